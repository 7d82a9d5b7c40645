// A municipality uploads its export with bad rows, follows the import, gets the rejected rows
// as a CSV file, and looks at how complete its profiles are.
import fs from "node:fs";
import { expect } from "../checks.mjs";

export const name = "gemeente importeert een bestand met foute rijen en krijgt het rapport";
export const timeoutMs = 180_000;

// Columns of the Sonar-style CSV (see verkenner-generate --format csv).
const POSTCODE = 9;
const EDUCATION = 16;
const HOURS_MIN = 22;
const HOURS_MAX = 23;

// The importer's own rows from the synthetic export, with four of them broken on purpose.
function exportWithBadRows(profilesFile, source) {
  const lines = fs.readFileSync(profilesFile, "utf8").split("\n").filter(Boolean);
  const header = lines[0];
  const own = lines
    .slice(1)
    .filter((line) => line.startsWith(`${source};`))
    .slice(0, 40);
  expect(own.length >= 20, `the synthetic export has only ${own.length} rows of ${source}`);
  const rows = own.map((line) => line.split(";"));
  const broken = new Map([
    [
      5,
      (cells) => {
        cells[POSTCODE] = "0000 AA";
      },
    ], // not a postcode
    [
      10,
      (cells) => {
        cells[EDUCATION] = "mbo9";
      },
    ], // unknown education code
    [
      15,
      (cells) => {
        cells[HOURS_MIN] = "30";
        cells[HOURS_MAX] = "12";
      },
    ], // inconsistent
    [
      20,
      (cells) => {
        cells.length = 8;
      },
    ], // too few fields
  ]);
  for (const [rowNumber, breakRow] of broken) breakRow(rows[rowNumber - 1]);
  const text = [header, ...rows.map((cells) => cells.join(";"))].join("\n") + "\n";
  return { text, rows: rows.length, brokenRows: [...broken.keys()] };
}

export async function run(ctx) {
  const { importer } = ctx.accounts;
  const file = exportWithBadRows(ctx.stack.profilesFile, importer.source);

  const page = await ctx.newPage({ acceptDownloads: true });
  await ctx.login(page, importer);
  await page.getByRole("heading", { level: 1, name: "Bestand importeren" }).waitFor();
  await ctx.checkAccessibility(page, "importeren");

  // Submitting without a file says what is missing.
  await page.getByRole("button", { name: "Importeren" }).click();
  await page.getByText("Kies een bestand om te importeren.").waitFor();
  await ctx.checkAccessibility(page, "importeren zonder bestand");

  await page.getByLabel("Importbestand").setInputFiles({
    name: `${importer.source.toLowerCase()}-export.csv`,
    mimeType: "text/csv",
    buffer: Buffer.from(file.text),
  });
  await ctx.screenshot(page, "40-import-kiezen");
  await page.getByRole("button", { name: "Importeren" }).click();
  await page.waitForURL(/\/import\/status\?id=/);
  const done = page.getByText(/^Klaar: /);
  await done.waitFor({ timeout: 60_000 });
  const summary = await done.textContent();
  ctx.log(`${file.rows} rows uploaded: ${summary}`);
  const [accepted, rejected] = summary.match(/[\d.]+/g).map((n) => Number(n.replace(/\./g, "")));
  expect(
    accepted + rejected === file.rows,
    `${accepted} + ${rejected} rows reported, ${file.rows} sent`,
  );
  expect(rejected >= file.brokenRows.length, `only ${rejected} rows rejected`);
  expect(accepted > 0, "no row accepted");

  // Disclosure control after the import: the smallest group as shown, beside the k it must reach.
  const smallest = page
    .locator("dt", { hasText: "Kleinste groep zoals getoond" })
    .locator("xpath=..");
  const smallestText = (await smallest.locator("dd").textContent()) ?? "";
  const [groupSize, k] = (smallestText.match(/\d+/g) ?? []).map(Number);
  expect(k === 12, `k is ${k} in "${smallestText}"`);
  expect(groupSize >= k, `smallest group as shown ${groupSize} < k = ${k}`);

  // The report names each broken row by its number in the file.
  const problems = page.getByRole("table", { name: "Eerste problemen" });
  await problems.waitFor();
  const numbers = new Set(
    (await problems.locator("tbody tr td:first-child").allTextContents()).map(Number),
  );
  for (const row of file.brokenRows) expect(numbers.has(row), `row ${row} is not in the report`);
  await ctx.checkAccessibility(page, "importrapport");
  await ctx.screenshot(page, "41-import-rapport");

  // The rejected rows as a spreadsheet file: one line per problem, row numbers and Dutch text.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download afgekeurde rijen (CSV)" }).click(),
  ]);
  const csv = fs.readFileSync(await download.path(), "utf8").replace(/^\uFEFF/, "");
  const lines = csv.trim().split(/\r\n/);
  expect(lines[0] === "rij;veld;reden;toelichting", `unexpected CSV header "${lines[0]}"`);
  const csvRows = new Set(lines.slice(1).map((line) => Number(line.split(";")[0])));
  for (const row of file.brokenRows)
    expect(csvRows.has(row), `row ${row} is not in the downloaded report`);
  expect(download.suggestedFilename().endsWith(".csv"), "the download is a .csv file");
  // Never a value from the file: the broken postcode is not repeated back.
  expect(!csv.includes("0000 AA"), "the report repeats a value from the file");
  ctx.log(`downloaded ${download.suggestedFilename()}: ${lines.length - 1} problems`);

  // The completeness dashboard.
  await page.getByRole("link", { name: "Volledigheid" }).click();
  await page.getByRole("heading", { level: 1, name: "Volledigheid van de profielen" }).waitFor();
  const chart = page.locator("figure.vk-chart");
  await chart.waitFor();
  expect(
    (await chart.locator(".vk-chart__row").count()) === 5,
    "the chart has a bar per core field",
  );
  const table = page.getByRole("table", { name: "Profielen zonder dit gegeven, per gemeente" });
  await table.waitFor();
  const firstRow = await table.locator("tbody tr").first().locator("td").allTextContents();
  expect(
    firstRow[0] === "Alle gemeenten" && Number(firstRow[1].replace(/\./g, "")) > 0,
    `the first row should total the source's profiles: ${firstRow.join(" | ")}`,
  );
  await ctx.checkAccessibility(page, "volledigheid");
  await ctx.screenshot(page, "42-volledigheid");
  // Another municipality in the chart.
  const options = await page
    .getByLabel("Gemeente in de grafiek")
    .locator("option")
    .allTextContents();
  if (options.length > 1) {
    await page.getByLabel("Gemeente in de grafiek").selectOption({ label: options[1] });
    await chart.getByText(`${options[1]}: profielen zonder gegeven`).waitFor();
  }
  ctx.log(`completeness: ${firstRow.join(" | ")}; ${options.length - 1} groups`);

  // The worklist names the clients to complete, by their own client numbers (issue 15, point 4).
  const ownClients = new Set(
    fs
      .readFileSync(ctx.stack.profilesFile, "utf8")
      .split("\n")
      .filter((line) => line.startsWith(`${importer.source};`))
      .map((line) => line.split(";")[1]),
  );
  await page.getByRole("link", { name: "Werklijst" }).click();
  await page.getByRole("heading", { level: 1, name: "Werklijst" }).waitFor();
  const worklist = page.getByRole("table", { name: "Klanten om aan te vullen of te bevestigen" });
  await worklist.waitFor();
  const listed = await worklist.locator("tbody tr td:first-child").allTextContents();
  expect(listed.length > 0, "the worklist is empty");
  for (const client of listed) expect(ownClients.has(client), `${client} is not a client of ours`);
  await ctx.checkAccessibility(page, "werklijst");
  await ctx.screenshot(page, "43-werklijst");
  const [worklistDownload] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download als CSV" }).click(),
  ]);
  const worklistCsv = fs
    .readFileSync(await worklistDownload.path(), "utf8")
    .replace(/^\uFEFF/, "")
    .trim()
    .split(/\r\n/);
  expect(
    worklistCsv[0] === "klantnummer;ontbreekt;beschikbaarheid_bevestigd_op;niet_recent_bevestigd",
    `unexpected worklist header "${worklistCsv[0]}"`,
  );
  for (const line of worklistCsv.slice(1)) {
    const client = line.split(";")[0];
    expect(ownClients.has(client), `${client} in the CSV is not a client of ours`);
  }
  ctx.log(`worklist: ${listed.length} on the first page, ${worklistCsv.length - 1} in the CSV`);
}
