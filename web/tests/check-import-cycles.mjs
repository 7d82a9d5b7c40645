#!/usr/bin/env node
// No import cycles in the web app: walks every import of web/src/**/*.ts (static, dynamic
// `import()`, and `import type`, which also ties one module to another) with TypeScript's own
// scanner and fails on the first cycle it finds, printing it. Pages import router.ts, never the
// shell (app.ts) that imports them.
// Usage: node web/tests/check-import-cycles.mjs [--src DIR]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ts from "typescript";

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values: options } = parseArgs({
  options: { src: { type: "string", default: path.join(webDir, "src") } },
});
const src = path.resolve(options.src);

function sourceFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.ts$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

// The app's own modules that `file` imports (packages and generated declarations are leaves).
function importsOf(file) {
  const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
  return importedFiles
    .map((imported) => imported.fileName)
    .filter((name) => name.startsWith("."))
    .map((name) => path.resolve(path.dirname(file), name))
    .flatMap((base) => [`${base}.ts`, path.join(base, "index.ts")].filter((f) => fs.existsSync(f)));
}

const files = sourceFiles(src);
if (files.length === 0) {
  console.error(`import cycles: FAIL: no .ts files in ${src}`);
  process.exit(1);
}
const graph = new Map(files.map((file) => [file, importsOf(file)]));

// Depth-first search; a module met again while still on the path closes a cycle.
const done = new Set();
const onPath = [];
function visit(file) {
  if (done.has(file)) return null;
  const at = onPath.indexOf(file);
  if (at >= 0) return [...onPath.slice(at), file];
  onPath.push(file);
  for (const next of graph.get(file) ?? []) {
    const cycle = visit(next);
    if (cycle) return cycle;
  }
  onPath.pop();
  done.add(file);
  return null;
}
for (const file of files) {
  const cycle = visit(file);
  if (cycle) {
    const names = cycle.map((f) => path.relative(src, f));
    console.error(`import cycles: FAIL: ${names.join(" -> ")}`);
    process.exit(1);
  }
}
console.log(`import cycles: OK (${files.length} modules, no cycle)`);
