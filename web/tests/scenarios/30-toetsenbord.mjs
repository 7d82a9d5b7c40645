// Keyboard only: log in, search, narrow by a facet and open a profile without the mouse, and
// every element that takes focus on the way shows it (WCAG 2.1.1 and 2.4.7).
import { expect, focused, keyboardLogin, tabTo } from "../checks.mjs";

export const name = "alles werkt met alleen het toetsenbord, met zichtbare focus";

export async function run(ctx) {
  const { employer } = ctx.accounts;
  const page = await ctx.newPage();
  await page.goto("/inloggen");
  await page.getByLabel("E-mailadres").waitFor();

  // The skip link comes first and leads to the content.
  await page.keyboard.press("Tab");
  const skip = await focused(page);
  expect(
    skip.name.includes("Naar de inhoud"),
    `the first Tab stop is ${skip.name}, not the skip link`,
  );
  expect(skip.visible, "the skip link shows when focused");

  await keyboardLogin(page, employer);
  await page.getByRole("heading", { level: 1, name: "Kandidaten zoeken" }).waitFor();

  await tabTo(
    page,
    "job title field",
    () => document.activeElement?.getAttribute("name") === "text",
  );
  await page.keyboard.type("magazijn");
  await tabTo(
    page,
    "hours field",
    () => document.activeElement?.getAttribute("name") === "hours_max",
  );
  await page.keyboard.type("32");
  // A checkbox toggles with the space bar.
  await tabTo(
    page,
    "Logistiek checkbox",
    () => document.activeElement?.getAttribute("value") === "logistiek",
  );
  await page.keyboard.press("Space");
  expect(
    await page.getByRole("checkbox", { name: "Logistiek" }).isChecked(),
    "Space checks a checkbox",
  );
  await page.keyboard.press("Enter"); // submits the form
  const heading = page.locator("#resultaten-kop");
  await heading.waitFor();
  // Focus moves to the result count, so screen reader users hear it.
  expect(
    await heading.evaluate((element) => element === document.activeElement),
    "focus moves to the results heading",
  );

  // Into the facets: the first facet value, checked with Space; focus stays on it afterwards.
  await tabTo(page, "first facet", () => document.activeElement?.name?.startsWith("facet-"));
  const facetName = await page.evaluate(
    () => `${document.activeElement.name}=${document.activeElement.value}`,
  );
  await page.keyboard.press("Space");
  await page.waitForFunction(
    (expected) =>
      !document.querySelector(".vk-search-results[aria-busy]") &&
      `${document.activeElement?.name}=${document.activeElement?.value}` === expected &&
      document.activeElement.checked,
    facetName,
  );

  // On to the first card's profile link, opened with Enter.
  await tabTo(
    page,
    "first profile link",
    () => /Bekijk profiel/.test(document.activeElement?.textContent ?? ""),
    { limit: 120 },
  );
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { level: 2, name: "Contact aanvragen" }).waitFor();
  await tabTo(
    page,
    "save button",
    () => document.activeElement?.textContent === "Profiel bewaren",
    { limit: 80 },
  );
  await page.keyboard.press("Enter");
  await page.getByText("Bewaard. U vindt het profiel terug").waitFor();
  await ctx.screenshot(page, "30-toetsenbord-focus");
  ctx.log("log in, search, facet, profile and save done by keyboard; focus visible at every stop");
}
