// Never a dead end: a vacancy text of which Verkenner knows no word is left out of the search,
// with a notice that names the words, the candidates who meet the other criteria, and the
// nearest occupations as buttons; a button searches for that occupation. A typo is searched as
// the occupation word meant, and the page says so.
import { expect } from "../checks.mjs";

export const name =
  "onbekende woorden: melding, kandidaten zonder de tekst en beroepssuggesties; tikfouten verbeterd";

const NOTICE = "Hieronder kandidaten die aan uw andere eisen voldoen, zonder de tekst.";

async function totalShown(page) {
  const heading = (await page.locator("#resultaten-kop").textContent()) ?? "";
  const match = heading.match(/^([\d.]+) kandida/);
  return match ? Number(match[1].replaceAll(".", "")) : 0;
}

async function searchAndWait(page) {
  await page.getByRole("button", { name: "Zoeken", exact: true }).click();
  await page.locator(".vk-search-results:not([aria-busy])").locator("#resultaten-kop").waitFor();
}

export async function run(ctx) {
  const { employer } = ctx.accounts;
  const page = await ctx.newPage();
  await ctx.login(page, employer);
  await page.getByRole("heading", { level: 1, name: "Kandidaten zoeken" }).waitFor();
  await page.getByLabel("Uren per week, minimaal").fill("16");
  await page.getByLabel("Uren per week, maximaal").fill("32");

  // Only the other criteria: how many candidates meet them.
  await searchAndWait(page);
  const withoutText = await totalShown(page);
  expect(withoutText > 0, "the criteria without text find nobody; the scenario needs some");

  // Words nobody's profile holds, one a Dutch word a letter from an occupation ("kapper").
  await page.getByLabel("Functie en taken").fill("zzqx kappen");
  await searchAndWait(page);
  const notice = page.getByRole("status").filter({ hasText: NOTICE });
  await notice.waitFor();
  const noticeText = (await notice.textContent()) ?? "";
  expect(
    noticeText.includes(
      "We herkennen ‘zzqx’ en ‘kappen’ niet als beroep of vaardigheid. " + NOTICE,
    ),
    `the notice names the words: ${noticeText}`,
  );
  const total = await totalShown(page);
  expect(total === withoutText, `${total} candidates shown, ${withoutText} meet the criteria`);
  expect((await page.locator(".vk-card").count()) > 0, "no candidate cards under the notice");
  const suggestions = page
    .getByRole("group", { name: "Bedoelt u een van deze beroepen? Zoek op:" })
    .getByRole("button");
  const count = await suggestions.count();
  expect(count >= 1 && count <= 5, `${count} suggested occupations, expected 1 to 5`);
  const label = ((await suggestions.first().textContent()) ?? "").trim();
  const labels = await suggestions.allTextContents();
  expect(
    labels.some((text) => text.trim() === "kapper"),
    `"kapper" is not among the suggestions: ${labels.join(", ")}`,
  );
  await ctx.checkAccessibility(page, "zoekresultaten zonder herkende tekst");
  await ctx.screenshot(page, "17-onbekende-woorden");

  // The suggestion searches for that occupation, with the other criteria kept.
  await suggestions.first().click(); // sets aria-busy on the results until they are in
  await page.locator(".vk-search-results:not([aria-busy])").locator("#resultaten-kop").waitFor();
  expect(
    (await page.getByLabel("Functie en taken").inputValue()) === label,
    "the occupation's label is the search text",
  );
  expect((await page.getByLabel("Uren per week, maximaal").inputValue()) === "32", "hours kept");
  expect((await notice.count()) === 0, "the notice stays after choosing an occupation");
  const reasons =
    (await page.locator(".vk-card").first().locator(".vk-reasons").textContent()) ?? "";
  expect(
    reasons.includes(`ervaring als ${label}`),
    `the first candidate has no experience as ${label}: ${reasons}`,
  );

  // A typo: searched as the occupation word meant, and said so.
  await page.getByLabel("Functie en taken").fill("schoonmakre");
  await searchAndWait(page);
  const corrected = page.getByText(/^Gezocht op ‘schoonmak\w+’ in plaats van ‘schoonmakre’\.$/);
  await corrected.waitFor();
  expect((await notice.count()) === 0, "a corrected typo is not an unknown text");
  expect((await totalShown(page)) > 0, "the corrected typo finds nobody");
  ctx.log(`"zzqx kappen": ${total} candidates without the text; "${label}" chosen; typo corrected`);
}
