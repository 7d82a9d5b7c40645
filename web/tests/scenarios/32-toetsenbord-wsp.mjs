// Keyboard only, for the WSP account manager: open a request from the queue, claim it, move its
// status with a note and resolve the identity with a purpose, with visible focus at every stop.
import { expect, keyboardLogin, tabTo } from "../checks.mjs";

export const name = "WSP behandelt een aanvraag met alleen het toetsenbord";

// A request of the employer for a profile in the WSP's region, made through the JSON API the
// app uses (the employer's part is not what this scenario is about).
async function requestInRegion(ctx, region, title) {
  const page = await ctx.newPage();
  await ctx.login(page, ctx.accounts.employer);
  return page.evaluate(
    async ({ region, title, contact }) => {
      const call = async (path, body) => {
        const response = await fetch(`/api/v1/${path}`, {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            "X-CSRF-Token": sessionStorage.getItem("verkenner.csrf"),
          },
          body: JSON.stringify(body),
        });
        if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
        return response.json();
      };
      const found = await call("CandidateSearchService/SearchCandidates", {
        vacancy: { hours: { minHours: 0, maxHours: 40 } },
        facetFilters: [{ facet: "FACET_LABOUR_MARKET_REGION", values: [region] }],
        pageSize: 1,
      });
      const created = await call("ContactRequestService/CreateContactRequest", {
        requestId: crypto.randomUUID(),
        profileId: found.matches[0].profile.profileId,
        vacancy: { title, hours: { minHours: 16, maxHours: 24 }, workplace: { postcode: "3511" } },
        contactPerson: contact,
      });
      return created.contactRequest.name;
    },
    {
      region,
      title,
      contact: { name: ctx.accounts.employer.name, email: ctx.accounts.employer.email },
    },
  );
}

export async function run(ctx) {
  const { wsp } = ctx.accounts;
  const title = `Toetsenbord ${Date.now().toString(36)}`;
  await requestInRegion(ctx, wsp.region, title);

  const page = await ctx.newPage();
  await keyboardLogin(page, wsp);
  await page.getByRole("row", { name: new RegExp(title) }).waitFor();

  await tabTo(page, "the request's link", (text) => document.activeElement?.textContent === text, {
    limit: 120,
    arg: title,
  });
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: "Oppakken" }).waitFor();
  await tabTo(page, "Oppakken", () => document.activeElement?.textContent === "Oppakken", {
    limit: 80,
  });
  await page.keyboard.press("Enter");

  // The status list: one step down from "Status niet wijzigen" is the next status.
  await page.getByLabel("Nieuwe status").waitFor();
  await tabTo(page, "status list", () => document.activeElement?.getAttribute("name") === "status");
  await page.keyboard.press("ArrowDown");
  const chosen = await page.getByLabel("Nieuwe status").inputValue();
  expect(chosen === "CONTACT_REQUEST_STATUS_CANDIDATE_APPROACHED", `ArrowDown chose ${chosen}`);
  await page.keyboard.press("Tab");
  await page.keyboard.type("Gebeld met de klantmanager van de gemeente.");
  await tabTo(page, "Opslaan", () => document.activeElement?.textContent === "Opslaan");
  await page.keyboard.press("Enter");
  await page.getByText("In behandeling → Kandidaat benaderd").waitFor();

  await tabTo(
    page,
    "purpose field",
    () => document.activeElement?.getAttribute("name") === "purpose",
    { limit: 80 },
  );
  await page.keyboard.type(`Kandidaat benaderen voor de vacature ${title}`);
  await tabTo(
    page,
    "Identiteit opvragen",
    () => document.activeElement?.textContent === "Identiteit opvragen",
  );
  await page.keyboard.press("Enter");
  await page.locator(".vk-identity").waitFor();
  await ctx.checkAccessibility(page, "aanvraag na toetsenbord");
  ctx.log("queue → request → claim → status with note → identity, by keyboard");
}
