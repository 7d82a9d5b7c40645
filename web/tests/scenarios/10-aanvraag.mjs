// The main scenario, across two employers and the WSP of the candidate's region:
// an employer searches, narrows by a facet, opens a profile, saves it with a note and asks for
// contact; the WSP account manager finds the request, claims it, moves its status and looks up
// the candidate's identity with a purpose; an employer of another organisation sees none of it.
// Every page and state passes axe, and each gets a screenshot.
import fs from "node:fs";
import { expect, openFirstProfile, regionsOfMunicipalities } from "../checks.mjs";

export const name = "werkgever vraagt contact aan, WSP behandelt, andere werkgever ziet niets";
export const timeoutMs = 180_000;

async function count(locator) {
  return Number((await locator.textContent()).replace(/\D/g, ""));
}

// A workplace postcode in the region: that of a synthetic profile from one of its municipalities.
function postcodeIn(region, profilesFile) {
  const regionOf = regionsOfMunicipalities();
  for (const line of fs.readFileSync(profilesFile, "utf8").split("\n").slice(1)) {
    const cells = line.split(";");
    if (regionOf.get(cells[0]) === region && /^[1-9][0-9]{3}/.test(cells[9] ?? ""))
      return cells[9].slice(0, 4);
  }
  throw new Error(`no profile with a postcode in ${region}`);
}

export async function run(ctx) {
  const { employer, employer2, wsp } = ctx.accounts;
  const vacancyTitle = `Medewerker inpak ${Date.now().toString(36)}`;

  // --- The employer: search, facet, profile, save, request. ---
  const page = await ctx.newPage();
  await ctx.login(page, employer);
  await page.getByRole("heading", { level: 1, name: "Kandidaten zoeken" }).waitFor();
  await ctx.checkAccessibility(page, "zoeken (leeg formulier)");
  await ctx.screenshot(page, "10-zoeken-formulier");

  // A search by place and hours, so most of the index takes part.
  const postcode = postcodeIn(wsp.region, ctx.stack.profilesFile);
  await page.getByLabel("Postcode werkplek").fill(postcode);
  await page.getByLabel("Uren per week, minimaal").fill("8");
  await page.getByLabel("Uren per week, maximaal").fill("32");
  await page.getByRole("checkbox", { name: "Logistiek" }).check();
  const submitted = Date.now();
  await page.getByRole("button", { name: "Zoeken", exact: true }).click();
  const heading = page.locator("#resultaten-kop");
  await heading.waitFor();
  ctx.log(
    `results on screen ${Date.now() - submitted} ms after submitting: ${await heading.textContent()}`,
  );
  const total = await count(heading);
  expect(total > 10, `expected more than 10 candidates, got ${total}`);
  expect((await page.locator(".vk-card").count()) === 10, "the first page shows 10 cards");
  // Every card explains itself and shows the anonymous facts the issue lists.
  const firstCard = page.locator(".vk-card").first();
  for (const fact of [
    "Opleiding",
    "Werkervaring",
    "Beschikbaar",
    "Afstand",
    "Affiniteiten",
    "Volledigheid",
  ]) {
    await firstCard.getByText(fact, { exact: false }).first().waitFor();
  }
  await firstCard.getByText("Waarom deze kandidaat").waitFor();
  // Every card states how far the candidate travels, or the distance searched instead (issue
  // 15, point 5), and a registration's end where the source gave one (point 6).
  let travelFacts = 0;
  for (const fact of await page.locator(".vk-card__facts > div").all()) {
    const key = await fact.locator("dt").innerText();
    const value = await fact.locator("dd").innerText();
    if (key === "Reisafstand") {
      travelFacts += 1;
      expect(
        /^(\d+ km|reisafstand onbekend: gezocht binnen 15 km$)/.test(value),
        `Reisafstand: ${value}`,
      );
    }
    if (key === "Doelgroepregister") {
      expect(
        /^(staat|stond) in het doelgroepregister tot en met [a-z]+ \d{4}/.test(value),
        `Doelgroepregister: ${value}`,
      );
    }
  }
  expect(travelFacts === 10, `every card states its travel distance, ${travelFacts} of 10 do`);
  expect(/baan\)/.test(await firstCard.innerText()), "availability shows its banen equivalent");
  await ctx.checkAccessibility(page, "zoekresultaten");
  await ctx.screenshot(page, "11-zoekresultaten");
  await heading.scrollIntoViewIfNeeded();
  await ctx.screenshot(page, "11-zoekresultaten-venster", { fullPage: false });

  // Pagination by keyboard: the next page, then back.
  await page.getByRole("button", { name: "Volgende pagina" }).focus();
  await page.keyboard.press("Enter");
  await page.getByText("Pagina 2").waitFor();
  await page.getByRole("button", { name: "Vorige pagina" }).click();
  await page.getByText("Pagina 1").waitFor();

  // Narrow to the WSP's region with the facet; the count must drop and every card be in it.
  const regionFacet = page.getByRole("checkbox", { name: new RegExp(`^${wsp.regionName} \\(`) });
  await regionFacet.check();
  await page.waitForFunction((before) => {
    const text = document.querySelector("#resultaten-kop")?.textContent ?? "";
    return (
      !document.querySelector(".vk-search-results[aria-busy]") &&
      Number(text.replace(/\D/g, "")) !== before
    );
  }, total);
  const narrowed = await count(heading);
  expect(
    narrowed > 0 && narrowed < total,
    `the facet should narrow ${total} down, got ${narrowed}`,
  );
  expect(await regionFacet.isChecked(), "the facet stays checked");
  for (const title of await page.locator(".vk-card h3").allTextContents()) {
    expect(title.includes(wsp.regionName), `card "${title}" is outside ${wsp.regionName}`);
  }
  ctx.log(`facet ${wsp.regionName}: ${total} → ${narrowed} candidates`);
  await ctx.checkAccessibility(page, "zoekresultaten met filter");

  // The profile.
  await openFirstProfile(page);
  const profileUrl = page.url();
  await ctx.checkAccessibility(page, "profiel");
  await ctx.screenshot(page, "12-profiel");

  await page
    .getByLabel("Notitie bij dit profiel")
    .fill("Sterk in logistiek, past bij de inpakvacature");
  await page.getByRole("button", { name: "Profiel bewaren" }).click();
  await page.getByText("Bewaard. U vindt het profiel terug").waitFor();

  await page.getByLabel("Functietitel").fill(vacancyTitle);
  await page
    .getByLabel("Wat houdt het werk in? (optioneel)")
    .fill("Producten inpakken en etiketteren in een rustige ploeg.");
  await page.getByLabel("Uren per week, minimaal").fill("16");
  await page.getByLabel("Uren per week, maximaal").fill("24");
  await page.getByLabel("Postcode werkplek").fill("3511 AB");
  await page.getByLabel("Contactpersoon", { exact: true }).fill(employer.name);
  await page.getByLabel("E-mailadres contactpersoon").fill(employer.email);
  // Nothing missing now, so the first press sends it.
  await page.getByRole("button", { name: "Contact aanvragen" }).click();
  const sent = page.getByText("Uw aanvraag is verstuurd naar het Werkgeversservicepunt");
  await sent.waitFor();
  expect(
    (await sent.textContent()).includes(wsp.regionName),
    "the request goes to the WSP of the region",
  );
  const requestHref = await page
    .getByRole("link", { name: "Bekijk de aanvraag" })
    .getAttribute("href");
  const requestName = new URLSearchParams(requestHref.split("?")[1]).get("naam");
  expect(requestName, "the confirmation links to the request");
  await ctx.checkAccessibility(page, "profiel na aanvraag");
  await ctx.screenshot(page, "13-aanvraag-verstuurd");

  await page.getByRole("link", { name: "Mijn aanvragen" }).click();
  const row = page.getByRole("row", { name: new RegExp(vacancyTitle) });
  await row.waitFor();
  expect((await row.innerText()).includes("Nieuw"), "the new request has status Nieuw");
  await ctx.checkAccessibility(page, "mijn aanvragen");
  await ctx.screenshot(page, "14-mijn-aanvragen");

  await page.getByRole("link", { name: "Bewaarde profielen" }).click();
  await page.getByText("Sterk in logistiek, past bij de inpakvacature").waitFor();
  await ctx.checkAccessibility(page, "bewaarde profielen");
  await ctx.screenshot(page, "15-bewaarde-profielen");

  // --- The WSP account manager of that region. ---
  const wspPage = await ctx.newPage();
  await ctx.login(wspPage, wsp);
  await wspPage.getByRole("heading", { level: 1, name: `Aanvragen ${wsp.regionName}` }).waitFor();
  const queueRow = wspPage.getByRole("row", { name: new RegExp(vacancyTitle) });
  await queueRow.waitFor();
  expect(
    (await queueRow.innerText()).includes(employer.organisation),
    "the queue names the employer",
  );
  await ctx.checkAccessibility(wspPage, "wachtrij WSP");
  await ctx.screenshot(wspPage, "20-wsp-wachtrij");

  // Filters: the unassigned filter keeps it; "mine" does not have it yet.
  await wspPage.getByLabel("Behandelaar").selectOption("ASSIGNMENT_FILTER_MINE");
  await wspPage.getByRole("button", { name: "Filteren" }).click();
  await wspPage.getByText("Geen aanvragen met deze filters.").waitFor();
  await wspPage.getByLabel("Behandelaar").selectOption("ASSIGNMENT_FILTER_UNASSIGNED");
  await wspPage.getByRole("button", { name: "Filteren" }).click();
  await queueRow.waitFor();

  await queueRow.getByRole("link", { name: vacancyTitle }).click();
  await wspPage.getByRole("button", { name: "Oppakken" }).click();
  await wspPage.getByLabel("Nieuwe status").waitFor();
  await ctx.checkAccessibility(wspPage, "aanvraag opgepakt");
  await wspPage.getByLabel("Nieuwe status").selectOption({ label: "Kandidaat benaderd" });
  await wspPage
    .getByLabel("Notitie", { exact: true })
    .fill("Kandidaat gebeld via de klantmanager; interesse.");
  await wspPage
    .getByLabel("Wie mag de notitie lezen?")
    .selectOption("NOTE_AUDIENCE_WSP_AND_EMPLOYER");
  await wspPage.getByRole("button", { name: "Opslaan" }).click();
  await wspPage.getByText("In behandeling → Kandidaat benaderd").waitFor();

  // Identity: refused without a purpose, given with one.
  await wspPage.getByRole("button", { name: "Identiteit opvragen" }).click();
  await wspPage.getByText("Beschrijf het doel in ten minste 10 tekens.").waitFor();
  await ctx.checkAccessibility(wspPage, "identiteit zonder doel");
  await wspPage
    .getByLabel("Doel van het opvragen")
    .fill(`Kandidaat benaderen voor de vacature ${vacancyTitle}`);
  await wspPage.getByRole("button", { name: "Identiteit opvragen" }).click();
  const identity = wspPage.locator(".vk-identity");
  await identity.waitFor();
  const identityText = await identity.innerText();
  expect(/Klantnummer\s+\S+/.test(identityText), `no client number in "${identityText}"`);
  expect(/audit\//.test(identityText), "the look-up names its audit record");
  await ctx.checkAccessibility(wspPage, "identiteit opgevraagd");
  await ctx.screenshot(wspPage, "21-wsp-aanvraag-identiteit");

  // --- The employer sees the new status and the shared note, never the identity. ---
  await page.goto(`/aanvraag?naam=${encodeURIComponent(requestName)}`);
  await page.getByText("Kandidaat gebeld via de klantmanager; interesse.").waitFor();
  const employerView = await page.locator("main").innerText();
  expect(employerView.includes("Kandidaat benaderd"), "the employer sees the new status");
  expect(!/Klantnummer|audit\//.test(employerView), "the employer never sees the identity");
  await ctx.checkAccessibility(page, "aanvraag (werkgever)");
  await ctx.screenshot(page, "16-aanvraag-werkgever");

  // --- An employer of another organisation sees neither the request nor the saved profile. ---
  const other = await ctx.newPage();
  await ctx.login(other, employer2);
  await other.getByRole("link", { name: "Mijn aanvragen" }).click();
  await other.getByText("U heeft nog geen aanvragen gedaan.").waitFor();
  await other.goto(`/aanvraag?naam=${encodeURIComponent(requestName)}`);
  await other.getByText("Niet gevonden.").waitFor();
  expect(
    !(await other.locator("main").innerText()).includes(vacancyTitle),
    "another organisation must not see the request",
  );
  await ctx.checkAccessibility(other, "aanvraag van een andere organisatie");
  await other.getByRole("link", { name: "Bewaarde profielen" }).click();
  await other.getByText("U heeft nog geen profielen bewaard.").waitFor();
  // The profile itself is public to every employer, but not the first organisation's note.
  await other.goto(profileUrl);
  await other.getByRole("heading", { level: 2, name: "Bewaren" }).waitFor();
  expect(
    !(await other.locator("main").innerText()).includes("Sterk in logistiek"),
    "notes stay within the organisation",
  );
}
