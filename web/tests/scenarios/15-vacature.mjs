// The vacancy forms check what the proto documents before anything is sent (web/src/vacancy.ts,
// one check for both forms): the search form's postcode, hours (whole numbers, 0 to 40, the
// lowest not above the highest, the highest at least 1) and text (at most 1,000 characters);
// the contact request form's required title, hours and postcode. Each refusal is the form's own
// message, not the server's 400; the page sends no call for it.
import { expect, openFirstProfile } from "../checks.mjs";

export const name = "vacatureformulieren controleren postcode, uren en tekstlengte";

export async function run(ctx) {
  const { employer2 } = ctx.accounts;
  const page = await ctx.newPage();
  const apiCalls = [];
  page.on("request", (request) => {
    if (new URL(request.url()).pathname.startsWith("/api/v1/CandidateSearchService/")) {
      apiCalls.push(request.url());
    }
  });
  await ctx.login(page, employer2);
  await page.getByRole("heading", { level: 1, name: "Kandidaten zoeken" }).waitFor();
  const search = page.getByRole("button", { name: "Zoeken", exact: true });
  const refusedWith = async (text) => {
    await search.click();
    await page.getByRole("alert").filter({ hasText: text }).waitFor();
  };

  await page.getByLabel("Postcode werkplek").fill("12");
  await refusedWith("De postcode klopt niet. Gebruik vier cijfers, eventueel met twee letters.");
  await page.getByLabel("Postcode werkplek").fill("");

  const hoursMessage =
    "Vul de uren per week in als hele getallen van 0 tot 40, de eerste niet groter dan de tweede.";
  for (const [min, max] of [
    ["20", "10"],
    ["", "0"],
    ["8", "41"],
    ["7,5", "20"],
  ]) {
    await page.getByLabel("Uren per week, minimaal").fill(min);
    await page.getByLabel("Uren per week, maximaal").fill(max);
    await refusedWith(hoursMessage);
  }
  await page.getByLabel("Uren per week, minimaal").fill("");
  await page.getByLabel("Uren per week, maximaal").fill("");

  // Vacancy.text: at most 1,000 characters.
  await page.getByLabel("Functie en taken").fill("inpakken ".repeat(111) + "xx");
  await refusedWith("Beschrijf de functie en taken in ten hoogste 1.000 tekens.");
  expect(apiCalls.length === 0, `refused searches were sent: ${apiCalls.join(", ")}`);

  // Just inside every limit: the search runs.
  await page.getByLabel("Functie en taken").fill("inpakken ".repeat(111) + "x");
  await page.getByLabel("Uren per week, minimaal").fill("0");
  await page.getByLabel("Uren per week, maximaal").fill("40");
  await search.click();
  await page.locator("#resultaten-kop").waitFor();
  expect(apiCalls.length === 1, `one search sent, saw ${apiCalls.length}`);
  await page.getByLabel("Functie en taken").fill("");
  await search.click();
  await page.locator(".vk-card").first().waitFor();

  // The contact request form: title, hours and postcode are required, and its hours obey the
  // same rule (here a negative lowest number).
  await openFirstProfile(page);
  await page.getByLabel("Uren per week, minimaal").fill("-4");
  await page.getByLabel("Uren per week, maximaal").fill("20");
  await page.getByLabel("Contactpersoon", { exact: true }).fill(employer2.name);
  await page.getByLabel("E-mailadres contactpersoon").fill(employer2.email);
  await page.getByRole("button", { name: "Contact aanvragen" }).click();
  await page
    .getByRole("alert")
    .filter({
      hasText:
        "Vul nog in: de functietitel, de uren per week (hele getallen tot en met 40), " +
        "de postcode van de werkplek.",
    })
    .waitFor();
}
