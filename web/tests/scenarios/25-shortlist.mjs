// The WSP account manager builds a shortlist for a vacancy from search results, reorders it and
// exports it as a CSV file for a spreadsheet.
import fs from "node:fs";
import { expect } from "../checks.mjs";

export const name = "WSP maakt een shortlist, ordent hem en exporteert hem als CSV";
export const timeoutMs = 150_000;

export async function run(ctx) {
  const { wsp } = ctx.accounts;
  const title = `Groenvoorziening ${Date.now().toString(36)}`;
  const page = await ctx.newPage({ acceptDownloads: true });
  await ctx.login(page, wsp);

  await page.getByRole("link", { name: "Shortlists" }).click();
  await page.getByRole("heading", { level: 1, name: "Shortlists" }).waitFor();
  await page.getByRole("button", { name: "Shortlist maken" }).click();
  await page.getByText("Geef de shortlist een titel.").waitFor();
  await ctx.checkAccessibility(page, "shortlists");
  await page.getByLabel("Titel").fill(title);
  await page.getByLabel("Vacaturetekst (optioneel)").fill("Onderhoud van parken, 24 uur per week.");
  await page.getByRole("button", { name: "Shortlist maken" }).click();
  await page.getByRole("heading", { level: 1, name: `Shortlist: ${title}` }).waitFor();
  await page.getByText("Nog geen kandidaten.").waitFor();

  // Two candidates from a search, each added from its profile page.
  const added = [];
  for (let i = 0; i < 2; i++) {
    await page.getByRole("link", { name: "Kandidaten zoeken" }).first().click();
    await page.getByRole("heading", { level: 1, name: "Kandidaten zoeken" }).waitFor();
    if (!(await page.locator("#resultaten-kop").count())) {
      await page.getByRole("checkbox", { name: "Groen" }).check();
      await page.getByLabel("Uren per week, maximaal").fill("32");
      await page.getByRole("button", { name: "Zoeken", exact: true }).click();
      await page.locator("#resultaten-kop").waitFor();
    }
    // The search stays on screen when coming back: the app keeps the last results.
    const card = page.locator(".vk-card").nth(i);
    added.push((await card.locator("h3").textContent()).match(/Kandidaat (\w+)/)[1]);
    await card.getByRole("link", { name: /Bekijk profiel/ }).click();
    await page.getByRole("heading", { level: 2, name: "Op een shortlist zetten" }).waitFor();
    await page.getByLabel("Shortlist", { exact: true }).selectOption({ label: title });
    await page
      .getByLabel("Notitie", { exact: true })
      .fill(`Kandidaat ${i + 1}: ervaring in het groen`);
    await page.getByRole("button", { name: "Toevoegen" }).click();
    await page.getByText("Toegevoegd.").waitFor();
    if (i === 0) await ctx.checkAccessibility(page, "profiel (WSP)");
  }
  await page.getByRole("link", { name: "Bekijk de shortlist" }).click();
  const cards = page.locator(".vk-card h2");
  await cards.nth(1).waitFor();
  expect((await cards.nth(0).textContent()).includes(added[0]), "the first added comes first");

  // Move the first one down; the order is stored.
  await page.getByRole("button", { name: `Omlaag kandidaat ${added[0]}` }).click();
  await page.waitForFunction(
    (id) => document.querySelectorAll(".vk-card h2")[1]?.textContent.includes(id),
    added[0],
  );
  await page.reload();
  await cards.nth(1).waitFor();
  expect((await cards.nth(0).textContent()).includes(added[1]), "the new order survives a reload");
  await ctx.checkAccessibility(page, "shortlist");
  await ctx.screenshot(page, "22-wsp-shortlist");

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Exporteren als CSV" }).click(),
  ]);
  const csv = fs.readFileSync(await download.path(), "utf8").replace(/^\uFEFF/, "");
  const lines = csv.trim().split(/\r?\n/);
  expect(lines[0].startsWith("positie;profiel_id;"), `unexpected CSV header "${lines[0]}"`);
  expect(lines.length === 3, `expected 2 candidates in the export, got ${lines.length - 1}`);
  await page.getByText("De export is gedownload.").waitFor();
  ctx.log(
    `shortlist "${title}": ${added.join(", ")} reordered and exported as ${download.suggestedFilename()}`,
  );
}
