// Reflow (WCAG 1.4.10): at 320 CSS pixels wide, as on a phone or zoomed to 400%, the pages fit
// without scrolling sideways; only data tables may scroll inside their own box.
import { expect, openFirstProfile } from "../checks.mjs";

export const name = "op een smal scherm past alles zonder horizontaal scrollen";

async function expectNoSidewaysScroll(page, label) {
  const overflow = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [];
    for (const element of document.querySelectorAll("main *, header *, footer *")) {
      if (element.closest(".utrecht-table-container")) continue;
      const box = element.getBoundingClientRect();
      if (box.width > 0 && box.right > width + 1) {
        wide.push(
          `${element.tagName.toLowerCase()}.${element.className} (${Math.round(box.right)} px)`,
        );
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5) };
  });
  expect(
    overflow.scrollWidth <= overflow.width,
    `${label}: the page is ${overflow.scrollWidth} px wide at ${overflow.width} px: ${overflow.wide.join(", ")}`,
  );
}

export async function run(ctx) {
  const { employer, wsp } = ctx.accounts;
  const page = await ctx.newPage({ viewport: { width: 320, height: 640 } });
  await page.goto("/inloggen");
  await page.getByLabel("E-mailadres").waitFor();
  await expectNoSidewaysScroll(page, "inloggen");
  await ctx.login(page, employer);
  await page.getByRole("heading", { level: 1, name: "Kandidaten zoeken" }).waitFor();
  await page.getByLabel("Functie en taken").fill("magazijn");
  await page.getByRole("button", { name: "Zoeken", exact: true }).click();
  await page.locator("#resultaten-kop").waitFor();
  await expectNoSidewaysScroll(page, "zoekresultaten");
  await ctx.checkAccessibility(page, "zoekresultaten (smal)");
  await ctx.screenshot(page, "35-smal-zoekresultaten");
  await openFirstProfile(page);
  await expectNoSidewaysScroll(page, "profiel");

  const wspPage = await ctx.newPage({ viewport: { width: 320, height: 640 } });
  await ctx.login(wspPage, wsp);
  await wspPage.getByRole("heading", { level: 1 }).waitFor();
  await wspPage.locator(".utrecht-table, [role=status], [role=alert]").first().waitFor();
  await expectNoSidewaysScroll(wspPage, "wachtrij WSP");
  ctx.log("login, search results, profile and the WSP queue fit in 320 px");
}
