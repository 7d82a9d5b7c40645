// Helpers for the web app's end-to-end tests: a real Verkenner stack (synthetic profiles, an
// index, accounts, verkenner-server serving web/dist and the JSON API), Debian's Chromium driven
// by playwright-core, axe-core accessibility checks and screenshots. run.mjs uses them; a
// scenario gets them through its ctx.
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

// A problem with what the tests need (a missing build, browser or file), reported without a
// stack trace.
export class SetupError extends Error {}

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const webDir = path.join(repoRoot, "web");

// The shared reference data: $VERKENNER_REFDATA, else ../shared/refdata beside the checkout.
export function defaultRefdata() {
  return process.env.VERKENNER_REFDATA || path.resolve(repoRoot, "../shared/refdata");
}

// Children still running (tools and the server), so an interrupted run can end them.
const liveChildren = new Set();
export function killLiveChildren(signal = "SIGKILL") {
  for (const child of liveChildren) {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

// Runs a command to its end; rejects unless it exits with one of okCodes.
export function runTool(file, args, { input, okCodes = [0], env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: { ...process.env, ...env },
      cwd,
      stdio: ["pipe", "pipe", "pipe"],
    });
    liveChildren.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", (error) => {
      liveChildren.delete(child);
      reject(new Error(`cannot run ${file}: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      liveChildren.delete(child);
      if (okCodes.includes(code)) {
        resolve({ code, stdout, stderr });
      } else {
        const shown = [path.basename(file), ...args].join(" ");
        reject(
          new Error(
            `${shown} exited with ${signal ?? code}\n${(stderr || stdout).trim().slice(-2000)}`,
          ),
        );
      }
    });
    child.stdin.on("error", () => {}); // a tool that exits before reading its input
    child.stdin.end(input ?? "");
  });
}

// A CSV line with optional double quotes (the refdata files).
function parseCsvLine(line, separator = ",") {
  const fields = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === separator) {
      fields.push(field);
      field = "";
    } else {
      field += c;
    }
  }
  fields.push(field);
  return fields;
}

function readCsv(file, separator = ",") {
  const lines = fs
    .readFileSync(file, "utf8")
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
  const header = parseCsvLine(lines[0], separator);
  return lines.slice(1).map((line) => {
    const values = parseCsvLine(line, separator);
    return Object.fromEntries(header.map((h, i) => [h, values[i] ?? ""]));
  });
}

export function binaries(binDir) {
  const bin = path.resolve(binDir);
  return {
    generate:
      process.env.VERKENNER_GENERATE_BINARY ||
      path.join(bin, "indexer/synthetic/verkenner-generate"),
    index: process.env.VERKENNER_INDEX_BINARY || path.join(bin, "indexer/verkenner-index"),
    admin: process.env.VERKENNER_ADMIN_BINARY || path.join(bin, "service/verkenner-admin"),
    server: process.env.VERKENNER_SERVER_BINARY || path.join(bin, "service/verkenner-server"),
  };
}

// Synthetic people for the accounts (names from the refdata's fake-name lists).
const EMPLOYERS = [
  {
    key: "employer",
    email: "fatima.devries@korenbloem.example",
    name: "Fatima de Vries",
    organisation: "Bakkerij De Korenbloem",
    password: "korenbloem-wachtwoord-2026",
  },
  {
    key: "employer2",
    email: "daan.visser@hoveniersbedrijfgroen.example",
    name: "Daan Visser",
    organisation: "Hoveniersbedrijf Groen",
    password: "groen-wachtwoord-2026",
  },
];
const IMPORTER = {
  key: "importer",
  email: "eva.bakker@utrecht.example",
  name: "Eva Bakker",
  organisation: "Gemeente Utrecht",
  source: "GM0344",
  password: "utrecht-import-2026",
};
const ADMIN = {
  key: "admin",
  email: "beheer@verkenner.example",
  name: "Sanne Jansen",
  organisation: "Verkenner beheer",
  password: "beheer-wachtwoord-2026",
};

function pick(list, i) {
  return list[i % list.length];
}

// Starts the whole stack in a fresh temporary directory. Returns
//   { baseUrl, accounts, workDir, profilesFile, topRegion, stop(), logTail(n) }
// accounts: { employer, employer2, wsp (the region with most profiles), wspByRegion: {AMxx: …},
//             importer (GM0344 Utrecht), admin, all: [...] }; each has email, password, name,
//             organisation, role and, where it applies, region/regionName or source.
// stop() ends the server (SIGTERM, then SIGKILL) and resolves to { code, signal, problems },
// problems listing sanitizer reports found in the server log.
export async function startStack({
  binDir,
  refdata = defaultRefdata(),
  workDir,
  webRoot = path.join(webDir, "dist"),
  profiles = 3000,
  seed = 2026,
  wspRegions = "all", // 'all' or a list of AMxx codes; the top region is always included
  startTimeoutMs = 120_000,
  log = () => {},
} = {}) {
  const bins = binaries(binDir);
  for (const [what, file] of Object.entries(bins)) {
    if (!fs.existsSync(file)) {
      throw new SetupError(`${what}: ${file} not found; build the server first (scripts/build …)`);
    }
  }
  if (!fs.existsSync(path.join(refdata, "pc4_nl.csv"))) {
    throw new SetupError(
      `reference data not found in ${refdata}; set VERKENNER_REFDATA or --refdata`,
    );
  }
  if (!fs.existsSync(path.join(webRoot, "index.html"))) {
    throw new SetupError(
      `${path.join(webRoot, "index.html")} is missing: build the web app first (scripts/build-web)`,
    );
  }
  workDir ??= fs.mkdtempSync(path.join(os.tmpdir(), "verkenner-web-"));
  fs.mkdirSync(workDir, { recursive: true });
  const env = { VERKENNER_REFDATA: refdata };

  const keyFile = path.join(workDir, "pseudonym.key");
  fs.writeFileSync(keyFile, crypto.randomBytes(32), { mode: 0o600 });

  // Profiles and the index.
  const profilesFile = path.join(workDir, "profiles.csv");
  const indexDir = path.join(workDir, "index");
  const started = Date.now();
  await runTool(
    bins.generate,
    [
      "--count",
      String(profiles),
      "--seed",
      String(seed),
      "--format",
      "csv",
      "--output",
      profilesFile,
    ],
    { env },
  );
  // Exit 3: some rows rejected, as the generator means some to be.
  await runTool(
    bins.index,
    ["--index", indexDir, "--key_file", keyFile, "--refdata", refdata, profilesFile],
    { env, okCodes: [0, 3] },
  );
  log(`stack: ${profiles} profiles generated and indexed in ${Date.now() - started} ms`);

  // Which arbeidsmarktregio holds the most profiles (by source municipality).
  const regions = readCsv(path.join(refdata, "arbeidsmarktregios_nl.csv"));
  const regionName = Object.fromEntries(regions.map((r) => [r.am_code, r.arbeidsmarktregio]));
  const regionOf = Object.fromEntries(
    readCsv(path.join(refdata, "gemeenten_nl.csv")).map((g) => [g.gm_code, g.am_code]),
  );
  const perRegion = {};
  for (const line of fs.readFileSync(profilesFile, "utf8").split("\n").slice(1)) {
    const region = regionOf[line.slice(0, line.indexOf(";"))];
    if (region) perRegion[region] = (perRegion[region] ?? 0) + 1;
  }
  const topRegion = Object.entries(perRegion).sort((a, b) => b[1] - a[1])[0]?.[0] ?? "AM13";

  // Accounts.
  const store = path.join(workDir, "store.db");
  const firstNames = readCsv(path.join(refdata, "fake_first_names_nl.csv")).map(
    (r) => r.first_name,
  );
  const lastNames = readCsv(path.join(refdata, "fake_last_names_nl.csv")).map((r) => r.last_name);
  const accounts = { wspByRegion: {}, all: [] };
  const create = async (account) => {
    const args = [
      "--store",
      store,
      "create-account",
      "--email",
      account.email,
      "--name",
      account.name,
      "--role",
      account.role,
      "--organisation",
      account.organisation,
    ];
    if (account.region) args.push("--region", account.region);
    if (account.source) args.push("--source", account.source);
    args.push("--password_stdin");
    await runTool(bins.admin, args, { env, input: `${account.password}\n` });
    accounts.all.push(account);
    return account;
  };
  const accountsStarted = Date.now();
  for (const { key, ...employer } of EMPLOYERS) {
    accounts[key] = await create({ ...employer, role: "employer" });
  }
  const { key: importerKey, ...importer } = IMPORTER;
  accounts[importerKey] = await create({ ...importer, role: "importer" });
  const { key: adminKey, ...admin } = ADMIN;
  accounts[adminKey] = await create({ ...admin, role: "admin" });
  let wspCodes = wspRegions === "all" ? regions.map((r) => r.am_code) : [...wspRegions];
  wspCodes = [topRegion, ...wspCodes.filter((c) => c !== topRegion)];
  for (const [i, code] of wspCodes.entries()) {
    const first = pick(firstNames, 37 * i + 11);
    const last = pick(lastNames, 53 * i + 5);
    const slug = `${first}.${last}`
      .toLowerCase()
      .normalize("NFD")
      .replace(/[^a-z.]/g, "");
    accounts.wspByRegion[code] = await create({
      email: `${slug}@wsp-${code.toLowerCase()}.example`,
      name: `${first} ${last}`,
      role: "wsp",
      organisation: `WSP ${regionName[code] ?? code}`,
      region: code,
      regionName: regionName[code] ?? code,
      password: `wsp-${code.toLowerCase()}-wachtwoord`,
    });
  }
  accounts.wsp = accounts.wspByRegion[topRegion];
  log(
    `stack: ${accounts.all.length} accounts in ${Date.now() - accountsStarted} ms; ` +
      `most profiles in ${topRegion} ${regionName[topRegion]} (${perRegion[topRegion]})`,
  );

  // The server, on free ports chosen by itself.
  const logFile = path.join(workDir, "server.log");
  const logStream = fs.createWriteStream(logFile);
  const logLines = [];
  const server = spawn(
    bins.server,
    [
      "--index",
      indexDir,
      "--store",
      store,
      "--key_file",
      keyFile,
      "--refdata",
      refdata,
      "--listen",
      "127.0.0.1:0",
      "--http_listen",
      "127.0.0.1:0",
      "--web_root",
      path.resolve(webRoot),
    ],
    { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  liveChildren.add(server);
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    server.on("close", (code, signal) => {
      liveChildren.delete(server);
      exited = { code, signal };
      logStream.end();
      resolve(exited);
    });
  });
  server.on("error", (error) => logLines.push(`spawn error: ${error.message}`));
  let httpPort = null;
  let grpcPort = null;
  const onData = (chunk) => {
    logStream.write(chunk);
    for (const line of chunk.toString().split("\n")) {
      if (!line) continue;
      logLines.push(line);
      if (logLines.length > 2000) logLines.shift();
      const web = /web app on port (\d+)/.exec(line);
      if (web) httpPort = Number(web[1]);
      const grpc = /serving on port (\d+)/.exec(line);
      if (grpc) grpcPort = Number(grpc[1]);
    }
  };
  server.stdout.on("data", onData);
  server.stderr.on("data", onData);
  const logTail = (n = 40) => logLines.slice(-n).join("\n");

  let stopped = null;
  const stop = async () => {
    if (stopped) return stopped;
    stopped = (async () => {
      if (!exited) {
        server.kill("SIGTERM");
        const timer = setTimeout(() => server.kill("SIGKILL"), 20_000);
        await exitPromise;
        clearTimeout(timer);
      }
      const text = logLines.join("\n");
      const problems = [];
      if (/ERROR: (Address|Leak)Sanitizer/.test(text)) problems.push("sanitizer error");
      if (/runtime error:/.test(text)) problems.push("undefined behaviour");
      return { ...exited, problems };
    })();
    return stopped;
  };

  // The session cookie is Secure; Chromium stores and sends Secure cookies over plain http for
  // hosts it counts as trustworthy, and both 127.0.0.1 and localhost are (checked with Chromium
  // 156). 127.0.0.1 because the server listens on IPv4 only, and localhost may mean ::1 first.
  const host = process.env.VERKENNER_WEB_HOST || "127.0.0.1";
  const deadline = Date.now() + startTimeoutMs;
  try {
    while (httpPort === null || grpcPort === null) {
      if (exited) throw new Error(`verkenner-server exited (${exited.signal ?? exited.code})`);
      if (Date.now() > deadline) throw new Error("verkenner-server did not start in time");
      await new Promise((r) => setTimeout(r, 100));
    }
    const baseUrl = `http://${host}:${httpPort}`;
    for (;;) {
      try {
        const response = await fetch(`http://127.0.0.1:${httpPort}/`, {
          signal: AbortSignal.timeout(10_000),
        });
        await response.arrayBuffer();
        if (response.ok) break;
        throw new Error(`GET / answered ${response.status}`);
      } catch (error) {
        if (exited) throw new Error(`verkenner-server exited (${exited.signal ?? exited.code})`);
        if (Date.now() > deadline) throw new Error(`web app not served: ${error.message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    log(`stack: serving ${baseUrl} (gRPC on ${grpcPort}) from ${workDir}`);
    return {
      baseUrl,
      httpPort,
      grpcPort,
      accounts,
      workDir,
      profilesFile,
      topRegion,
      logFile,
      logTail,
      stop,
    };
  } catch (error) {
    await stop();
    error.message += `\nserver log (${logFile}):\n${logTail()}`;
    throw error;
  }
}

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// Debian's Chromium (never a downloaded one) with the flags this machine's closed network needs.
// playwright-core gives every launch a fresh temporary --user-data-dir of its own.
export async function launchBrowser({ executablePath } = {}) {
  const executable = executablePath || process.env.VERKENNER_CHROMIUM || "/usr/bin/chromium";
  if (!fs.existsSync(executable)) {
    throw new SetupError(`${executable} not found: run scripts/setup (Debian package chromium)`);
  }
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: executable,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}

export const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

// Runs axe-core on the page as it is now and throws a readable list if anything violates
// WCAG 2.1 A/AA. options.exclude: CSS selectors to leave out (use sparingly, say why).
export async function checkAccessibility(page, label = page.url(), { exclude = [] } = {}) {
  const { default: AxeBuilder } = await import("@axe-core/playwright");
  let builder = new AxeBuilder({ page }).withTags(AXE_TAGS);
  for (const selector of exclude) builder = builder.exclude(selector);
  const results = await builder.analyze();
  if (results.violations.length > 0) {
    const lines = results.violations.map((v) => {
      const nodes = v.nodes
        .slice(0, 5)
        .map((n) => {
          const summary = (n.failureSummary ?? "").replace(/\n/g, "\n        ");
          return `      ${n.target.join(" ")}\n        ${summary}`;
        })
        .join("\n");
      const more = v.nodes.length > 5 ? `\n      … and ${v.nodes.length - 5} more` : "";
      return `  - ${v.id} [${v.impact}]: ${v.help}\n    ${v.helpUrl}\n${nodes}${more}`;
    });
    throw new Error(
      `accessibility (${label}): ${results.violations.length} WCAG 2.1 AA violation(s)\n` +
        lines.join("\n"),
    );
  }
  return results;
}

export function screenshotDir() {
  return process.env.VERKENNER_WEB_SCREENSHOTS || path.join(webDir, "test-results", "screenshots");
}

// A full-page PNG in screenshotDir() (options go to page.screenshot, e.g. { fullPage: false }
// for what the window shows); returns its path.
export async function screenshot(page, name, options = {}) {
  const dir = screenshotDir();
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name.replace(/[^A-Za-z0-9._-]+/g, "_")}.png`);
  await page.screenshot({ path: file, fullPage: true, ...options });
  return file;
}
