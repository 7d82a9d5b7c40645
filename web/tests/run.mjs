#!/usr/bin/env node
// The web app's end-to-end tests: starts one real Verkenner stack (synthetic profiles, an index,
// accounts, verkenner-server serving the built app from web/dist) and one headless Debian
// Chromium, then runs every web/tests/scenarios/*.mjs in name order against them.
//
// Usage (from the repository root, after the server build and scripts/build-web):
//   node web/tests/run.mjs --bin build/asan                    every scenario
//   node web/tests/run.mjs --bin build/release --only 00-smoke one scenario (file name without
//                                                               .mjs, or its `name`; comma list)
// Options (environment variable in brackets):
//   --bin DIR        the CMake build directory with the server programs [VERKENNER_WEB_BIN]
//                    (default: the first of build/asan, build/release, build/debug that has them;
//                    VERKENNER_SERVER_BINARY, VERKENNER_ADMIN_BINARY, VERKENNER_INDEX_BINARY,
//                    VERKENNER_GENERATE_BINARY name single programs)
//   --web-root DIR   the built web app (default web/dist)          [VERKENNER_WEB_ROOT]
//   --refdata DIR    the reference data (default ../shared/refdata) [VERKENNER_REFDATA]
//   --only LIST      scenarios to run                               [VERKENNER_WEB_ONLY]
//   --profiles N     synthetic profiles to index (default 3000)     [VERKENNER_WEB_PROFILES]
//   --timeout S      the whole run's limit in seconds (default 270) [VERKENNER_WEB_TIMEOUT]
//   --keep           keep the stack's temporary directory (store, index, server.log)
// Scenarios come from web/tests/scenarios [VERKENNER_WEB_SCENARIOS: another directory].
// Screenshots go to web/test-results/screenshots [VERKENNER_WEB_SCREENSHOTS]; a failing
// scenario leaves FAIL-<scenario>-<n>.png there and prints the server log's tail.
//
// A scenario is a module exporting `name` and `async run(ctx)`, optionally `timeoutMs` (default
// 120000) and `allowPageErrors` (true: uncaught page errors and CSP violations do not fail it).
// ctx: baseUrl, accounts (see harness.mjs startStack), browser, stack, log(...),
//   newPage(contextOptions?)   a page in a fresh browser context (own cookies), baseURL set, so
//                              page.goto('/inloggen') works; closed after the scenario
//   login(page, account)       logs in through the app's login page (/inloggen)
//   checkAccessibility(page, label, {exclude}?)   axe-core WCAG 2.1 A/AA; throws on violations
//   screenshot(page, name)     full-page PNG; returns the path
//   serverLogTail(n)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  checkAccessibility,
  defaultRefdata,
  killLiveChildren,
  launchBrowser,
  repoRoot,
  screenshot,
  screenshotDir,
  SetupError,
  startStack,
  webDir,
} from "./harness.mjs";

const { values: options } = parseArgs({
  options: {
    bin: { type: "string", default: process.env.VERKENNER_WEB_BIN },
    "web-root": { type: "string", default: process.env.VERKENNER_WEB_ROOT },
    refdata: { type: "string", default: process.env.VERKENNER_REFDATA },
    only: { type: "string", default: process.env.VERKENNER_WEB_ONLY },
    profiles: { type: "string", default: process.env.VERKENNER_WEB_PROFILES ?? "3000" },
    timeout: { type: "string", default: process.env.VERKENNER_WEB_TIMEOUT ?? "270" },
    keep: { type: "boolean", default: false },
  },
});

const log = (...args) => console.log(...args);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

function findBinDir() {
  if (options.bin) return path.resolve(options.bin);
  for (const preset of ["asan", "release", "debug"]) {
    const dir = path.join(repoRoot, "build", preset);
    if (fs.existsSync(path.join(dir, "service/verkenner-server"))) return dir;
  }
  throw new SetupError("no build with service/verkenner-server found: pass --bin BUILD_DIR");
}

let workDir = null;
let stack = null;
let browser = null;
let cleaning = null;
let failed = false;
let aborting = false; // the global timeout or a signal: no more scenarios, no more reports

async function cleanUp() {
  cleaning ??= (async () => {
    if (browser) {
      await Promise.race([
        browser.close().catch(() => {}),
        new Promise((r) => setTimeout(r, 10_000)),
      ]);
    }
    if (stack) {
      const ended = await stack.stop();
      if (ended.code !== 0 || ended.problems.length > 0) {
        failed = true;
        log(
          `FAIL verkenner-server ended with ${ended.signal ?? ended.code}` +
            `${ended.problems.length ? ` (${ended.problems.join(", ")})` : ""}; log tail:\n` +
            stack.logTail(60),
        );
      }
    }
    killLiveChildren();
    if (workDir) {
      if (failed || options.keep) {
        log(`the stack's files are kept in ${workDir} (server.log, store.db, index)`);
      } else {
        fs.rmSync(workDir, { recursive: true, force: true });
      }
    }
  })();
  return cleaning;
}

for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
]) {
  process.on(signal, () => {
    log(`\nweb tests: ${signal}, stopping`);
    failed = true;
    aborting = true;
    cleanUp().finally(() => process.exit(code));
  });
}

const timeoutSeconds = Number(options.timeout);
const globalTimer = setTimeout(() => {
  log(`FAIL web tests: the whole run took longer than ${timeoutSeconds} s (--timeout)`);
  failed = true;
  aborting = true;
  if (stack) log(`server log tail:\n${stack.logTail(30)}`);
  cleanUp().finally(() => process.exit(1));
}, timeoutSeconds * 1000);

function loadScenarioFiles() {
  const dir = process.env.VERKENNER_WEB_SCENARIOS || path.join(webDir, "tests", "scenarios");
  const files = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".mjs"))
        .sort()
    : [];
  if (files.length === 0) throw new SetupError(`no scenarios in ${dir}`);
  return files.map((f) => path.join(dir, f));
}

async function withTimeout(promise, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

async function runScenario(file, scenario, index) {
  const label = path.basename(file, ".mjs");
  const contexts = [];
  const pages = [];
  const pageErrors = [];
  const consoleErrors = [];
  const ctx = {
    baseUrl: stack.baseUrl,
    accounts: stack.accounts,
    browser,
    stack,
    log: (...args) => log(`    ${label}:`, ...args),
    serverLogTail: (n) => stack.logTail(n),
    checkAccessibility,
    screenshot,
    async newPage(contextOptions = {}) {
      const context = await browser.newContext({
        baseURL: stack.baseUrl,
        locale: "nl-NL",
        timezoneId: "Europe/Amsterdam",
        viewport: { width: 1280, height: 900 },
        ...contextOptions,
      });
      // Generous: under ASan the server answers several times slower.
      context.setDefaultTimeout(20_000);
      context.setDefaultNavigationTimeout(30_000);
      contexts.push(context);
      const page = await context.newPage();
      pages.push(page);
      page.on("pageerror", (error) => pageErrors.push(`${page.url()}: ${error.message}`));
      page.on("console", (message) => {
        if (message.type() === "error") consoleErrors.push(`${page.url()}: ${message.text()}`);
      });
      return page;
    },
    async login(page, account) {
      await page.goto("/inloggen");
      await page.getByLabel("E-mailadres").fill(account.email);
      await page.getByLabel("Wachtwoord").fill(account.password);
      await page.getByRole("button", { name: "Inloggen" }).click();
      await page.waitForURL((url) => !url.pathname.startsWith("/inloggen"));
    },
  };
  const started = Date.now();
  try {
    await withTimeout(scenario.run(ctx), scenario.timeoutMs ?? 120_000, `scenario ${label}`);
    const cspErrors = consoleErrors.filter((m) => /Content Security Policy/i.test(m));
    if (!scenario.allowPageErrors && (pageErrors.length > 0 || cspErrors.length > 0)) {
      throw new Error(
        `errors in the page:\n${[...pageErrors, ...cspErrors].map((e) => `  ${e}`).join("\n")}`,
      );
    }
    log(`PASS ${label} (${scenario.name ?? label}) in ${seconds(Date.now() - started)}`);
    return true;
  } catch (error) {
    if (aborting) return false;
    log(`FAIL ${label} (${scenario.name ?? label}) in ${seconds(Date.now() - started)}`);
    log(`  ${(error?.stack ?? String(error)).replace(/\n/g, "\n  ")}`);
    const otherConsoleErrors = consoleErrors.filter((m) => !/Content Security Policy/i.test(m));
    if (otherConsoleErrors.length > 0) {
      log(
        `  console errors:\n${otherConsoleErrors
          .slice(-10)
          .map((e) => `    ${e}`)
          .join("\n")}`,
      );
    }
    for (const [i, page] of pages.entries()) {
      if (page.isClosed()) continue;
      try {
        const shot = await withTimeout(
          screenshot(page, `FAIL-${String(index).padStart(2, "0")}-${label}-${i}`),
          15_000,
          "screenshot",
        );
        log(`  screenshot of ${page.url()}: ${shot}`);
      } catch (shotError) {
        log(`  (no screenshot: ${shotError.message})`);
      }
    }
    log(`  server log tail:\n    ${stack.logTail(25).replace(/\n/g, "\n    ")}`);
    return false;
  } finally {
    for (const context of contexts) await context.close().catch(() => {});
  }
}

async function main() {
  const started = Date.now();
  if (!fs.existsSync(path.join(webDir, "node_modules", "playwright-core"))) {
    throw new SetupError("web/node_modules has no playwright-core: run scripts/setup");
  }
  const binDir = findBinDir();
  const webRoot = path.resolve(options["web-root"] ?? path.join(webDir, "dist"));
  const refdata = path.resolve(options.refdata ?? defaultRefdata());
  if (!fs.existsSync(path.join(webRoot, "index.html"))) {
    throw new SetupError(
      `${webRoot}/index.html is missing: build the web app first (scripts/build-web, or ` +
        "`npm run build` in web/)",
    );
  }
  let scenarios = [];
  for (const file of loadScenarioFiles()) {
    const module = await import(pathToFileURL(file).href);
    if (typeof module.run !== "function") throw new SetupError(`${file} exports no run(ctx)`);
    scenarios.push([file, module]);
  }
  if (options.only) {
    // By file name (with or without .mjs) or by the exported name.
    const wanted = options.only.split(",").map((s) => s.trim());
    scenarios = scenarios.filter(
      ([file, module]) =>
        wanted.includes(path.basename(file)) ||
        wanted.includes(path.basename(file, ".mjs")) ||
        wanted.includes(module.name),
    );
  }
  if (scenarios.length === 0) throw new SetupError(`--only ${options.only}: no such scenario`);

  log(`web tests: ${scenarios.length} scenario(s); server programs from ${binDir}`);
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "verkenner-web-"));
  stack = await startStack({
    binDir,
    workDir,
    refdata,
    webRoot,
    profiles: Number(options.profiles),
    log: (m) => log(`  ${m}`),
  });
  browser = await launchBrowser();
  log(`  browser: Chromium ${browser.version()}; screenshots in ${screenshotDir()}`);

  let passed = 0;
  for (const [i, [file, scenario]] of scenarios.entries()) {
    if (aborting) break;
    if (await runScenario(file, scenario, i)) passed++;
    else failed = true;
  }
  log(`web tests: ${passed} of ${scenarios.length} passed in ${seconds(Date.now() - started)}`);
}

try {
  await main();
} catch (error) {
  failed = true;
  log(`FAIL web tests: ${error instanceof SetupError ? error.message : (error?.stack ?? error)}`);
} finally {
  await cleanUp();
  clearTimeout(globalTimer);
}
process.exit(failed ? 1 : 0);
