// What pages need of the app's navigation, apart from the shell (app.ts) that loads them: the
// page context, moving to another page, each role's home, and the signed-in account. Pages import
// this module, never app.ts, so no page imports the module that imports it.

import type { AccountJson } from "./gen/verkenner/v1/sessions_pb";

export type Account = AccountJson;

export interface PageContext {
  account: Account;
  params: URLSearchParams;
  main: HTMLElement;
  // Sets the document title and the page heading, and returns the heading.
  setTitle(title: string): HTMLElement;
}

export type Page = (context: PageContext) => Promise<void> | void;

export const EMPLOYER = "ACCOUNT_ROLE_EMPLOYER";
export const WSP = "ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER";
export const IMPORTER = "ACCOUNT_ROLE_IMPORTER";

// Each role's menu; its first entry is the role's home.
export const NAVIGATION: Partial<Record<NonNullable<Account["role"]>, Array<[string, string]>>> = {
  [EMPLOYER]: [
    ["/zoeken", "Kandidaten zoeken"],
    ["/bewaard", "Bewaarde profielen"],
    ["/aanvragen", "Mijn aanvragen"],
  ],
  [WSP]: [
    ["/wsp/aanvragen", "Aanvragen regio"],
    ["/wsp/shortlists", "Shortlists"],
    ["/zoeken", "Kandidaten zoeken"],
    ["/kandidaat", "Rechten kandidaat"],
  ],
  [IMPORTER]: [
    ["/import", "Bestand importeren"],
    ["/volledigheid", "Volledigheid"],
    ["/werklijst", "Werklijst"],
    ["/kandidaat", "Rechten kandidaat"],
  ],
};

export function homeOf(account: Account): string {
  return (account.role && NAVIGATION[account.role]?.[0]?.[0]) || "/inloggen";
}

let signedIn: Account | null = null;

// The account the shell shows and the pages act for; null: nobody is signed in (or not known
// yet: the shell asks the server).
export function currentAccount(): Account | null {
  return signedIn;
}

export function setAccount(account: Account | null): void {
  signedIn = account;
}

// The shell's renderer of the current location (app.ts registers it at start).
let renderLocation: () => void = () => {};

export function setRenderer(render: () => void): void {
  renderLocation = render;
}

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  renderLocation();
}
