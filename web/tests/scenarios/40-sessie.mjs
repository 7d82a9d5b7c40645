// Sessions end cleanly: a tab whose CSRF token no longer fits (damaged, or from a replaced
// store) goes to the login page and comes back where it was; logging out ends the session on the
// server too; a page of another role says so instead of showing anything.
import { expect } from "../checks.mjs";

export const name = "sessie verlopen, uitloggen en pagina's van een andere rol";

export async function run(ctx) {
  const { employer } = ctx.accounts;
  const page = await ctx.newPage();
  await ctx.login(page, employer);
  await page.getByRole("heading", { level: 1, name: "Kandidaten zoeken" }).waitFor();

  // A token the server does not recognise: the next call is refused with 403 and the app
  // sends the user to the login page, remembering the page.
  await page.evaluate(() => sessionStorage.setItem("verkenner.csrf", "0".repeat(64)));
  await page.getByRole("link", { name: "Bewaarde profielen" }).click();
  await page.waitForURL(/\/inloggen\?verlopen=1&terug=%2Fbewaard/);
  await page.getByText("Uw sessie is verlopen. Log opnieuw in.").waitFor();
  await ctx.checkAccessibility(page, "inloggen na verlopen sessie");
  await page.getByLabel("E-mailadres").fill(employer.email);
  await page.getByLabel("Wachtwoord").fill(employer.password);
  await page.getByRole("button", { name: "Inloggen" }).click();
  await page.getByRole("heading", { level: 1, name: "Bewaarde profielen" }).waitFor();

  // Another role's page.
  await page.goto("/wsp/aanvragen");
  await page.getByRole("heading", { level: 1, name: "Geen toegang" }).waitFor();
  await ctx.checkAccessibility(page, "geen toegang");

  // Logging out ends the session on the server, not just in the page.
  await page.getByRole("button", { name: "Uitloggen" }).click();
  await page.getByRole("heading", { level: 1, name: "Inloggen" }).waitFor();
  const status = await page.evaluate(async () => {
    const response = await fetch("/api/v1/SessionService/GetCurrentAccount", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    return response.status;
  });
  expect(status === 401, `after logging out the API answered ${status}, not 401`);
  await page.goto("/zoeken");
  await page.waitForURL(/\/inloggen\?terug=%2Fzoeken/);
  ctx.log("expired CSRF token → login and back; other role → Geen toegang; logout → 401");
}
