// Checks the scenarios share.
import fs from "node:fs";
import path from "node:path";
import { defaultRefdata } from "./harness.mjs";

// The arbeidsmarktregio of every municipality code, from the reference data.
export function regionsOfMunicipalities() {
  const refdata = process.env.VERKENNER_REFDATA || defaultRefdata();
  return new Map(
    fs
      .readFileSync(path.join(refdata, "gemeenten_nl.csv"), "utf8")
      .split("\n")
      .slice(1)
      .map((line) => line.split(","))
      .map((cells) => [cells[0], cells[4]]),
  );
}

export function expect(condition, message) {
  if (!condition) throw new Error(message);
}

// What the focused element looks like: its name and whether an outline or shadow marks it.
export async function focused(page) {
  return page.evaluate(() => {
    const element = document.activeElement;
    if (!element || element === document.body) return { name: "(body)", visible: false };
    const style = getComputedStyle(element);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
    const shadow = style.boxShadow !== "none";
    const label =
      element.getAttribute("aria-label") ||
      element.labels?.[0]?.textContent ||
      element.textContent ||
      element.getAttribute("name") ||
      element.tagName;
    return {
      name: `${element.tagName.toLowerCase()} "${label.trim().slice(0, 40)}"`,
      visible: outline || shadow,
    };
  });
}

// Presses Tab until `predicate` (run in the page, with `arg`) holds for the focused element,
// checking that focus is visible at every stop; fails after `limit` presses.
export async function tabTo(page, description, predicate, { limit = 60, arg } = {}) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    const state = await focused(page);
    expect(state.visible, `focus is not visible on ${state.name}`);
    if (await page.evaluate(predicate, arg)) return state;
  }
  throw new Error(`${description}: not reached in ${limit} Tab presses`);
}

// Logs in on the login page with the keyboard alone.
export async function keyboardLogin(page, account) {
  await page.goto("/inloggen");
  await page.getByLabel("E-mailadres").waitFor();
  await tabTo(page, "e-mail field", () => document.activeElement?.getAttribute("name") === "email");
  await page.keyboard.type(account.email);
  await page.keyboard.press("Tab");
  await page.keyboard.type(account.password);
  await page.keyboard.press("Enter");
  await page.waitForURL((url) => !url.pathname.startsWith("/inloggen"));
}

// From search results, opens the first card's profile and waits for its contact form.
export async function openFirstProfile(page) {
  await page
    .locator(".vk-card")
    .first()
    .getByRole("link", { name: /Bekijk profiel/ })
    .click();
  await page.getByRole("heading", { level: 2, name: "Contact aanvragen" }).waitFor();
}
