// A candidate objects (AVG art. 21): the municipality that imported the profile hides it, an
// employer can no longer open it, and the WSP of the candidate's region shows it again and
// confirms the candidate's availability. Every state passes axe.
import fs from "node:fs";
import { expect, regionsOfMunicipalities } from "../checks.mjs";

export const name = "gemeente verbergt een profiel na bezwaar, WSP toont het weer";
export const timeoutMs = 120_000;

// The first client of `source` in the synthetic export, with the arbeidsmarktregio of its
// municipality.
function clientOf(source, profilesFile) {
  const regionOf = regionsOfMunicipalities();
  const line = fs
    .readFileSync(profilesFile, "utf8")
    .split("\n")
    .slice(1)
    .find((row) => row.startsWith(`${source};`));
  expect(line, `the synthetic export has no client of ${source}`);
  return { clientNumber: line.split(";")[1], region: regionOf.get(source) };
}

async function lookUp(page, clientNumber, source) {
  await page.getByRole("link", { name: "Rechten kandidaat" }).click();
  await page.getByRole("heading", { level: 1, name: "Rechten van de kandidaat" }).waitFor();
  if (source) await page.getByLabel("Bron").fill(source);
  await page.getByLabel("Klantnummer").fill(clientNumber);
  await page.getByRole("button", { name: "Opzoeken" }).click();
  await page.getByRole("heading", { level: 2, name: /^Profiel / }).waitFor();
  return page.locator("[data-profile-id]").getAttribute("data-profile-id");
}

async function employerSees(ctx, profileId) {
  const page = await ctx.newPage();
  await ctx.login(page, ctx.accounts.employer);
  await page.getByRole("heading", { level: 1, name: "Kandidaten zoeken" }).waitFor();
  await page.goto(`/profiel?id=${encodeURIComponent(profileId)}`);
  const outcome = await Promise.race([
    page
      .getByText("Een anoniem profiel", { exact: false })
      .waitFor()
      .then(() => "profile"),
    page
      .getByText("Niet gevonden", { exact: false })
      .waitFor()
      .then(() => "not found"),
  ]);
  await page.close();
  return outcome;
}

export async function run(ctx) {
  const { importer } = ctx.accounts;
  const { clientNumber, region } = clientOf(importer.source, ctx.stack.profilesFile);
  const wsp = ctx.accounts.wspByRegion[region];
  expect(wsp, `no WSP account for ${region}`);

  // The municipality finds its client and hides the profile, with the reason.
  const page = await ctx.newPage({ acceptDownloads: true });
  await ctx.login(page, importer);
  await page.getByRole("link", { name: "Rechten kandidaat" }).waitFor();
  const profileId = await lookUp(page, clientNumber);
  expect(profileId && profileId.length > 8, "the page shows the profile's number");
  expect(
    (await page.getByText("Zichtbaar voor werkgevers").locator("..").innerText()).includes("ja"),
    "the profile is visible before the objection",
  );
  await ctx.checkAccessibility(page, "rechten kandidaat: opgezocht");
  expect((await employerSees(ctx, profileId)) === "profile", "an employer sees it before");

  await page.getByLabel("Reden om te verbergen").fill("kort");
  await page.getByRole("button", { name: "Profiel verbergen" }).click();
  await page.getByText("Beschrijf de reden in ten minste 10 tekens.").waitFor();
  await page
    .getByLabel("Reden om te verbergen")
    .fill("Bezwaar van de kandidaat (art. 21 AVG), per brief");
  await page.getByRole("button", { name: "Profiel verbergen" }).click();
  await page.getByText("Het profiel is verborgen voor werkgevers.").waitFor();
  await page.getByText("Bezwaar van de kandidaat (art. 21 AVG), per brief").waitFor();
  await ctx.checkAccessibility(page, "rechten kandidaat: verborgen");
  await ctx.screenshot(page, "45-profiel-verborgen");
  expect((await employerSees(ctx, profileId)) === "not found", "an employer cannot open it");

  // The candidate asks who received the profile (art. 15): the employer's view is there.
  await page.getByLabel("Doel van het opvragen").fill("Inzageverzoek van de kandidaat per e-mail");
  await page.getByRole("button", { name: "Inzage opvragen" }).click();
  const access = page.getByRole("table", { name: "Wie het profiel ontving" });
  await access.waitFor();
  const organisations = await access.locator("tbody tr td:nth-child(2)").allTextContents();
  expect(
    organisations.includes(ctx.accounts.employer.organisation),
    `the access report names ${organisations.join(", ")}`,
  );
  await ctx.checkAccessibility(page, "rechten kandidaat: inzage");
  await ctx.screenshot(page, "46-inzage");
  const [accessCsv] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download als CSV" }).click(),
  ]);
  const csvHeader = fs
    .readFileSync(await accessCsv.path(), "utf8")
    .replace(/^\uFEFF/, "")
    .split(/\r\n/)[0];
  expect(csvHeader === "datum;organisatie;rol;handeling;doel", `CSV header "${csvHeader}"`);

  // The WSP of the candidate's region sees why, and shows it again.
  const wspPage = await ctx.newPage();
  await ctx.login(wspPage, wsp);
  await wspPage.getByRole("link", { name: "Rechten kandidaat" }).waitFor();
  await lookUp(wspPage, clientNumber, importer.source);
  await wspPage.getByText(importer.name, { exact: false }).first().waitFor();
  await wspPage.getByLabel("Reden om weer te tonen").fill("Kandidaat trekt het bezwaar in");
  await wspPage.getByRole("button", { name: "Profiel weer tonen" }).click();
  await wspPage.getByText("Het verbergen is opgeheven").waitFor();
  await ctx.checkAccessibility(wspPage, "rechten kandidaat: weer getoond");
  expect((await employerSees(ctx, profileId)) === "profile", "an employer sees it again");

  // The WSP confirms the availability on the profile page; the details say so at once.
  await wspPage.goto(`/profiel?id=${encodeURIComponent(profileId)}`);
  await wspPage.getByRole("heading", { level: 2, name: "Beschikbaarheid" }).waitFor();
  await wspPage.getByRole("button", { name: "Beschikbaarheid bevestigd" }).click();
  await wspPage.getByText("Vastgelegd: beschikbaarheid bevestigd op").waitFor();
  await ctx.checkAccessibility(wspPage, "profiel: beschikbaarheid bevestigd");
  await wspPage.reload();
  const confirmed = wspPage
    .locator(".utrecht-data-list__item")
    .filter({ hasText: "Beschikbaarheid bevestigd" });
  const text = await confirmed.innerText();
  expect(!text.includes("niet recent") && /op \d+ \w+ \d{4}/.test(text), `details: ${text}`);
  ctx.log(
    `profile ${profileId.slice(0, 8)} hidden by ${importer.source}, shown again by ${region}`,
  );
}
