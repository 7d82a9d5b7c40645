// The app shell: header with the navigation of the signed-in role, the router, and what every
// page shares (title, focus on navigation, loading and error states).

import { ApiError, call, describeError, hasSession, logout, setSessionLostHandler } from "./api";
import { alertBox, h, link, replaceChildren } from "./dom";
import {
  currentAccount,
  EMPLOYER,
  homeOf,
  IMPORTER,
  navigate,
  NAVIGATION,
  setAccount,
  setRenderer,
  WSP,
  type Account,
  type Page,
  type PageContext,
} from "./router";

interface Route {
  path: string;
  page: () => Promise<Page>;
  roles: string[]; // empty: any signed-in role
}

// Pages load on demand so the first load carries only the shell and the login page.
const ROUTES: Route[] = [
  {
    path: "/zoeken",
    page: () => import("./pages/search").then((m) => m.searchPage),
    roles: [EMPLOYER, WSP],
  },
  {
    path: "/profiel",
    page: () => import("./pages/profile").then((m) => m.profilePage),
    roles: [EMPLOYER, WSP],
  },
  {
    path: "/bewaard",
    page: () => import("./pages/saved").then((m) => m.savedPage),
    roles: [EMPLOYER],
  },
  {
    path: "/aanvragen",
    page: () => import("./pages/requests").then((m) => m.myRequestsPage),
    roles: [EMPLOYER],
  },
  {
    path: "/aanvraag",
    page: () => import("./pages/request").then((m) => m.requestPage),
    roles: [EMPLOYER, WSP],
  },
  {
    path: "/wsp/aanvragen",
    page: () => import("./pages/queue").then((m) => m.queuePage),
    roles: [WSP],
  },
  {
    path: "/wsp/shortlists",
    page: () => import("./pages/shortlists").then((m) => m.shortlistsPage),
    roles: [WSP],
  },
  {
    path: "/wsp/shortlist",
    page: () => import("./pages/shortlists").then((m) => m.shortlistPage),
    roles: [WSP],
  },
  {
    path: "/import",
    page: () => import("./pages/import").then((m) => m.importPage),
    roles: [IMPORTER],
  },
  {
    path: "/import/status",
    page: () => import("./pages/import").then((m) => m.importStatusPage),
    roles: [IMPORTER],
  },
  {
    path: "/werklijst",
    page: () => import("./pages/worklist").then((m) => m.worklistPage),
    roles: [IMPORTER],
  },
  {
    path: "/kandidaat",
    page: () => import("./pages/candidate").then((m) => m.candidatePage),
    roles: [IMPORTER, WSP],
  },
  {
    path: "/volledigheid",
    page: () => import("./pages/completeness").then((m) => m.completenessPage),
    roles: [IMPORTER],
  },
];

const root = document.getElementById("app") as HTMLElement;

// After a page change inside the app, focus goes to the new page's heading, so keyboard and
// screen reader users start at the top of the new content, as after a full page load.
function focusHeading(): void {
  // The old page's elements are gone, so focus fell back to the body; a page that moved focus
  // itself (the search results) keeps it.
  if (document.activeElement && document.activeElement !== document.body) return;
  root.querySelector<HTMLElement>("main h1")?.focus();
}

function header(account: Account | null): HTMLElement {
  const items = (account?.role && NAVIGATION[account.role]) || [];
  return h(
    "header",
    { class: "utrecht-page-header vk-header" },
    h(
      "div",
      { class: "vk-header__bar" },
      h(
        "a",
        { class: "vk-logo", href: account ? homeOf(account) : "/inloggen" },
        h("span", { class: "vk-logo__mark", "aria-hidden": "true" }, "V"),
        h("span", {}, "Verkenner"),
        h("span", { class: "vk-logo__tagline" }, "banenafspraak"),
      ),
      account &&
        h(
          "div",
          { class: "vk-header__account" },
          h("span", {}, `${account.displayName ?? ""} · ${account.organisationName ?? ""}`),
          h(
            "button",
            {
              type: "button",
              class: "utrecht-button utrecht-button--subtle vk-logout",
              onclick: async () => {
                await logout().catch(() => undefined);
                setAccount(null);
                navigate("/inloggen");
              },
            },
            "Uitloggen",
          ),
        ),
    ),
    items.length > 0 &&
      h(
        "nav",
        { class: "utrecht-nav-bar vk-nav", "aria-label": "Hoofdmenu" },
        h(
          "ul",
          { class: "utrecht-nav-list" },
          items.map(([href, text]) =>
            h(
              "li",
              { class: "utrecht-nav-list__item" },
              h(
                "a",
                {
                  class: "utrecht-nav-list__link",
                  href,
                  "aria-current": location.pathname === href ? "page" : null,
                },
                text,
              ),
            ),
          ),
        ),
      ),
  );
}

function shell(account: Account | null): HTMLElement {
  const main = h("main", { id: "inhoud", class: "utrecht-page-content vk-main", tabindex: "-1" });
  replaceChildren(
    root,
    h(
      "a",
      { class: "utrecht-skip-link utrecht-skip-link--visible-on-focus", href: "#inhoud" },
      "Naar de inhoud",
    ),
    h(
      "div",
      { class: "utrecht-page vk-page" },
      header(account),
      main,
      h(
        "footer",
        { class: "utrecht-page-footer vk-footer" },
        h(
          "p",
          { class: "utrecht-paragraph" },
          "Verkenner toont geen namen, adressen of BSN's. Wie een kandidaat is, weet alleen het ",
          "Werkgeversservicepunt van de regio.",
        ),
      ),
    ),
  );
  return main;
}

async function currentAccountOrNull(): Promise<Account | null> {
  const known = currentAccount();
  if (known) return known;
  if (!hasSession()) return null;
  try {
    const reply = await call("SessionService", "GetCurrentAccount");
    setAccount(reply.account ?? null);
    return currentAccount();
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return null;
    throw error;
  }
}

let renderGeneration = 0;

async function render(): Promise<void> {
  const generation = ++renderGeneration;
  const path = location.pathname.replace(/\/+$/, "") || "/";
  let account: Account | null;
  try {
    account = await currentAccountOrNull();
  } catch (error) {
    shell(null).append(alertBox("error", describeError(error)));
    return;
  }
  if (generation !== renderGeneration) return;

  if (!account || path === "/inloggen") {
    if (path !== "/inloggen") {
      const next = location.pathname + location.search;
      history.replaceState(null, "", `/inloggen?terug=${encodeURIComponent(next)}`);
    }
    const main = shell(account);
    const { loginPage } = await import("./pages/login");
    await loginPage(context(account ?? {}, main));
    return;
  }
  const route = ROUTES.find((candidate) => candidate.path === path);
  if (!route) {
    navigate(homeOf(account), true);
    return;
  }
  const main = shell(account);
  if (route.roles.length > 0 && !route.roles.includes(account.role ?? "")) {
    context(account, main).setTitle("Geen toegang");
    main.append(
      alertBox(
        "warning",
        "Deze pagina hoort niet bij uw rol. ",
        link(homeOf(account), "Naar de startpagina"),
      ),
    );
    return;
  }
  const loading = h("p", { class: "utrecht-paragraph vk-loading", role: "status" }, "Laden…");
  main.append(loading);
  try {
    const page = await route.page();
    if (generation !== renderGeneration) return;
    loading.remove();
    await page(context(account, main));
  } catch (error) {
    loading.remove();
    main.append(alertBox("error", describeError(error)));
  }
}

function context(account: Account, main: HTMLElement): PageContext {
  return {
    account,
    params: new URLSearchParams(location.search),
    main,
    setTitle(title: string) {
      document.title = `${title} · Verkenner`;
      const existing = main.querySelector("h1");
      const heading = existing ?? h("h1", { class: "utrecht-heading-1", tabindex: "-1" });
      heading.textContent = title;
      if (!existing) main.prepend(heading);
      return heading;
    },
  };
}

export function start(): void {
  setRenderer(() => void render().then(focusHeading));
  setSessionLostHandler(() => {
    setAccount(null);
    if (location.pathname === "/inloggen") return;
    const back = encodeURIComponent(location.pathname + location.search);
    navigate(`/inloggen?verlopen=1&terug=${back}`);
  });
  // Links inside the app change the page without a reload.
  document.addEventListener("click", (event) => {
    const anchor = (event.target as Element | null)?.closest("a");
    if (!anchor || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const href = anchor.getAttribute("href");
    if (!href || !href.startsWith("/") || anchor.hasAttribute("download") || anchor.target) return;
    event.preventDefault();
    navigate(href);
  });
  window.addEventListener("popstate", () => void render().then(focusHeading));
  void render();
}
