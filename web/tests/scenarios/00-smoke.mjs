// Smoke test: the server serves the built app, the login page renders with its form, and the
// page passes axe-core's WCAG 2.1 A/AA rules. Every other scenario builds on this much working.
export const name = "de inlogpagina laadt en is toegankelijk";

export async function run(ctx) {
  const page = await ctx.newPage();
  const response = await page.goto("/");
  if (!response || !response.ok()) {
    throw new Error(`GET / answered ${response ? response.status() : "nothing"}`);
  }
  // The security headers come with the app's own files too.
  const csp = response.headers()["content-security-policy"] ?? "";
  if (!csp.includes("script-src 'self'")) {
    throw new Error(`GET / has no strict Content-Security-Policy (got "${csp}")`);
  }
  await page.goto("/inloggen");
  await page.getByLabel("E-mailadres").waitFor({ state: "visible" });
  await page.getByLabel("Wachtwoord").waitFor({ state: "visible" });
  await page.getByRole("button", { name: "Inloggen" }).waitFor({ state: "visible" });
  const title = await page.title();
  if (!title.trim()) throw new Error("the login page has no <title>");
  const lang = await page.locator("html").getAttribute("lang");
  if (!lang?.startsWith("nl")) throw new Error(`<html lang> is "${lang}", expected nl`);
  ctx.log(`title "${title}", lang ${lang}`);
  const results = await ctx.checkAccessibility(page, "inloggen");
  ctx.log(
    `axe: ${results.passes.length} rules passed, ` +
      `${results.incomplete.length} to review by hand`,
  );
  ctx.log(`screenshot: ${await ctx.screenshot(page, "00-smoke-inloggen")}`);
}
