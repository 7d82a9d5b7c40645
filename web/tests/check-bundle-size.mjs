#!/usr/bin/env node
// The web app's weight budget: the JavaScript and CSS that web/dist/index.html loads at start
// (<script src>, <link rel="stylesheet">, <link rel="modulepreload">), gzipped at level 9, may
// not exceed 200 KB (204,800 bytes) together. Prints each file's raw and gzipped size.
// Usage: node web/tests/check-bundle-size.mjs [--dist DIR] [--limit BYTES]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import zlib from "node:zlib";

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values: options } = parseArgs({
  options: {
    dist: { type: "string", default: path.join(webDir, "dist") },
    limit: { type: "string", default: "204800" },
  },
});
const dist = path.resolve(options.dist);
const limit = Number(options.limit);

function fail(message) {
  console.error(`bundle size: FAIL: ${message}`);
  process.exit(1);
}

const indexFile = path.join(dist, "index.html");
if (!fs.existsSync(indexFile)) {
  fail(`${indexFile} is missing: build the web app first (scripts/build-web)`);
}
const html = fs.readFileSync(indexFile, "utf8");

function attributes(tag) {
  const found = {};
  for (const m of tag.matchAll(/([a-zA-Z:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
    found[m[1].toLowerCase()] = m[2] ?? m[3] ?? m[4] ?? "";
  }
  return found;
}

const urls = [];
for (const [tag, name] of html.matchAll(/<(script|link)\b[^>]*>/gi)) {
  const attrs = attributes(tag.slice(name.length + 1));
  if (name.toLowerCase() === "script") {
    if (attrs.src) urls.push(attrs.src);
  } else {
    const rel = (attrs.rel ?? "").toLowerCase().split(/\s+/);
    if ((rel.includes("stylesheet") || rel.includes("modulepreload")) && attrs.href) {
      urls.push(attrs.href);
    }
  }
}
if (!urls.some((u) => /\.m?js(\?|#|$)/.test(u))) {
  fail(`${indexFile} loads no JavaScript: is it the built file, not web/index.html?`);
}

const files = [];
for (const url of urls) {
  if (url.startsWith("data:")) continue;
  if (/^[a-z]+:\/\//i.test(url) || url.startsWith("//")) {
    fail(`index.html loads ${url} from another origin (the Content-Security-Policy forbids it)`);
  }
  const relative = decodeURIComponent(url.replace(/[?#].*$/, "")).replace(/^\/+/, "");
  const file = path.resolve(dist, relative);
  if (!file.startsWith(dist + path.sep)) fail(`${url} points outside ${dist}`);
  if (!fs.existsSync(file)) fail(`index.html loads ${url}, but ${file} does not exist`);
  if (!files.includes(file)) files.push(file);
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
let totalRaw = 0;
let totalGzip = 0;
console.log("bundle size (gzip -9) of what index.html loads:");
for (const file of files) {
  const raw = fs.readFileSync(file);
  const gzipped = zlib.gzipSync(raw, { level: 9 }).length;
  totalRaw += raw.length;
  totalGzip += gzipped;
  console.log(
    `  ${path.relative(dist, file).padEnd(44)} ${String(raw.length).padStart(9)} B raw ` +
      `${String(gzipped).padStart(8)} B gzip (${kb(gzipped)})`,
  );
}
// The pages' chunks load on demand (after login, per page). The budget holds the whole app to
// 200 KB, the strictest reading of "the initial page load": whatever page a user opens first
// (and every page after it) loads less than that.
const loaded = new Set(files);
const lazy = [];
(function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full);
    else if (/\.(m?js|css)$/.test(entry.name) && !loaded.has(full)) lazy.push(full);
  }
})(dist);
let appGzip = totalGzip;
for (const file of lazy) {
  const gzipped = zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;
  appGzip += gzipped;
  console.log(`  (loaded on demand) ${path.relative(dist, file)}: ${gzipped} B gzip`);
}
console.log(`  loaded at start: ${totalRaw} B raw, ${totalGzip} B gzip (${kb(totalGzip)})`);
const verdict = appGzip <= limit ? "OK" : "FAIL";
console.log(
  `  whole app: ${appGzip} B gzip (${kb(appGzip)}) of ${limit} B (${kb(limit)}) allowed: ${verdict}`,
);
if (appGzip > limit) fail(`${appGzip - limit} B over the budget`);
