// Vacancy search: the employer describes the job, Verkenner ranks anonymous profiles, and the
// facets narrow the results down.

import { call, describeError } from "../api";
import type { PageContext } from "../router";
import {
  alertBox,
  button,
  checkbox,
  fieldset,
  h,
  link,
  paragraph,
  replaceChildren,
  selectField,
  textField,
  visuallyHidden,
} from "../dom";
import { AFFINITIES, EDUCATION_MINIMUMS, FACET_LABELS, formatNumber, WEEKDAYS } from "../labels";
import type {
  CandidateMatchJson as CandidateMatch,
  FacetJson as Facet,
  FacetResultJson as FacetResult,
  SearchCandidatesResponseJson as SearchResponse,
  SortOrderJson as SortOrder,
  VacancyJson as Vacancy,
} from "../gen/verkenner/v1/search_pb";
import {
  checkVacancy,
  MAX_HOURS_PER_WEEK,
  SEARCH_TEXT_MAX_CHARS,
  SEARCH_VACANCY,
} from "../vacancy";
import { areaText, profileFacts, shortId } from "./profile-view";

const PAGE_SIZE = 10;
const FACETS: Facet[] = [
  "FACET_EDUCATION_LEVEL",
  "FACET_HOURS_BAND",
  "FACET_DISTANCE_BAND",
  "FACET_EXPERIENCE_BAND",
  "FACET_AFFINITY",
  "FACET_LABOUR_MARKET_REGION",
];

interface SearchState {
  vacancy: Vacancy;
  sortOrder: SortOrder;
  filters: Map<string, Set<string>>; // by FacetResult.facet, the Facet enum's names
  pageTokens: string[]; // token of each page visited so far; "" for the first
  response: SearchResponse | null;
  formValues: Record<string, string[]>;
  elapsedMs: number;
}

// Kept while the app runs, so "terug naar resultaten" from a profile shows the same page.
let state: SearchState | null = null;

export function searchPage({ main, setTitle }: PageContext): void {
  setTitle("Kandidaten zoeken");
  main.append(
    paragraph(
      "Beschrijf de vacature. Verkenner zoekt anonieme profielen van mensen uit het ",
      "doelgroepregister die erbij passen, en legt uit waarom.",
    ),
  );
  const form = searchForm();
  const results = h("section", { class: "vk-search-results", "aria-labelledby": "resultaten-kop" });
  main.append(form, results);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const vacancy = vacancyFrom(form);
    if (typeof vacancy === "string") {
      replaceChildren(results, alertBox("error", vacancy));
      return;
    }
    state = {
      vacancy,
      sortOrder: String(new FormData(form).get("sort") ?? "SORT_ORDER_RELEVANCE") as SortOrder,
      filters: new Map(),
      pageTokens: [""],
      response: null,
      formValues: snapshot(form),
      elapsedMs: 0,
    };
    void runSearch(results, true);
  });

  // A suggested occupation searches for its label, as if typed: the form shows what was
  // searched, every other criterion stays, and the label names the occupation to the server.
  results.addEventListener("click", (event) => {
    const chosen = (event.target as Element).closest<HTMLButtonElement>(
      "button[data-suggested-occupation]",
    );
    if (!chosen) return;
    const text = form.elements.namedItem("text") as HTMLInputElement;
    text.value = chosen.dataset.suggestedOccupation ?? "";
    form.requestSubmit();
  });

  if (state) {
    restore(form, state.formValues);
    if (state.response) renderResults(results, state, false);
  }
}

function searchForm(): HTMLFormElement {
  return h(
    "form",
    { class: "vk-search-form", role: "search", "aria-label": "Vacature", novalidate: true },
    h(
      "div",
      { class: "vk-search-form__wide" },
      textField("text", {
        label: "Functie en taken",
        description: "Bijvoorbeeld: orderpicker magazijn, inpakken en sorteren",
        attributes: { autocomplete: "off" },
      }),
    ),
    textField("postcode", {
      label: "Postcode werkplek",
      description: "Vier cijfers, met of zonder letters: 3511 of 3511 AB",
      attributes: { autocomplete: "postal-code", inputmode: "text", maxlength: 7 },
    }),
    h(
      "div",
      { class: "vk-inline-fields" },
      textField("hours_min", {
        label: "Uren per week, minimaal",
        attributes: { inputmode: "numeric", maxlength: 2 },
      }),
      textField("hours_max", {
        label: "Uren per week, maximaal",
        attributes: { inputmode: "numeric", maxlength: 2 },
      }),
    ),
    h(
      "div",
      {},
      selectField("education", "Opleiding, minimaal", EDUCATION_MINIMUMS),
      checkbox("education_required", "ja", "Opleiding is een harde eis"),
    ),
    selectField("driving_licence", "Rijbewijs", [
      ["", "Maakt niet uit"],
      ["REQUIREMENT_PREFERRED", "Gewenst"],
      ["REQUIREMENT_REQUIRED", "Vereist"],
    ]),
    h(
      "div",
      { class: "vk-search-form__wide" },
      fieldset(
        "Werkdagen",
        h(
          "div",
          { class: "vk-checkbox-grid" },
          WEEKDAYS.map(([code, label]) => checkbox("days", code, label)),
        ),
      ),
    ),
    h(
      "div",
      { class: "vk-search-form__wide" },
      fieldset(
        "Affiniteiten die bij het werk passen",
        h(
          "div",
          { class: "vk-checkbox-grid" },
          AFFINITIES.map(([code, label]) => checkbox("affinities", code, label)),
        ),
      ),
    ),
    selectField("sort", "Sorteren op", [
      ["SORT_ORDER_RELEVANCE", "Best passend"],
      ["SORT_ORDER_DISTANCE", "Kortste afstand"],
      ["SORT_ORDER_LAST_UPDATE", "Laatst bijgewerkt"],
    ]),
    h("div", { class: "vk-search-form__wide" }, button("Zoeken", null, "primary")),
  );
}

// The form as a Vacancy message, or a message saying what to correct.
function vacancyFrom(form: HTMLFormElement): Vacancy | string {
  const data = new FormData(form);
  const field = (name: string) => String(data.get(name) ?? "");
  const checked = checkVacancy(
    {
      text: field("text"),
      postcode: field("postcode"),
      hoursMin: field("hours_min"),
      hoursMax: field("hours_max"),
    },
    SEARCH_VACANCY,
  );
  if (checked.problems.includes("postcode")) {
    return "De postcode klopt niet. Gebruik vier cijfers, eventueel met twee letters.";
  }
  if (checked.problems.includes("hours")) {
    return `Vul de uren per week in als hele getallen van 0 tot ${MAX_HOURS_PER_WEEK}, de eerste niet groter dan de tweede.`;
  }
  if (checked.problems.includes("text")) {
    return `Beschrijf de functie en taken in ten hoogste ${formatNumber(SEARCH_TEXT_MAX_CHARS)} tekens.`;
  }
  const vacancy: Vacancy = {};
  if (checked.text) vacancy.text = checked.text;
  if (checked.postcode) vacancy.workplace = { postcode: checked.postcode };
  if (checked.hours) vacancy.hours = checked.hours;
  // The check boxes and lists below offer only the enums' own values.
  const days = data.getAll("days").map(String) as NonNullable<Vacancy["days"]>;
  if (days.length) vacancy.days = days;
  const education = field("education");
  if (education) {
    vacancy.education = {
      minimumLevelCode: education,
      requirement: data.get("education_required")
        ? "REQUIREMENT_REQUIRED"
        : "REQUIREMENT_PREFERRED",
    };
  }
  const licence = field("driving_licence") as Vacancy["drivingLicence"];
  if (licence) vacancy.drivingLicence = licence;
  const affinities = data.getAll("affinities").map(String);
  if (affinities.length) vacancy.affinities = affinities;
  if (Object.keys(vacancy).length === 0) {
    return "Vul ten minste de functie, een postcode of de uren in.";
  }
  return vacancy;
}

function snapshot(form: HTMLFormElement): Record<string, string[]> {
  const values: Record<string, string[]> = {};
  for (const [name, value] of new FormData(form)) (values[name] ??= []).push(String(value));
  return values;
}

function restore(form: HTMLFormElement, values: Record<string, string[]>): void {
  for (const element of Array.from(form.elements)) {
    const input = element as HTMLInputElement;
    if (!input.name) continue;
    const saved = values[input.name] ?? [];
    if (input.type === "checkbox") input.checked = saved.includes(input.value);
    else if (input.tagName !== "BUTTON") input.value = saved[0] ?? "";
  }
}

async function runSearch(results: HTMLElement, moveFocus: boolean): Promise<void> {
  if (!state) return;
  const current = state;
  const pageToken = current.pageTokens[current.pageTokens.length - 1];
  results.setAttribute("aria-busy", "true");
  const started = performance.now();
  try {
    const response = await call("CandidateSearchService", "SearchCandidates", {
      vacancy: current.vacancy,
      sortOrder: current.sortOrder,
      pageSize: PAGE_SIZE,
      pageToken: pageToken || undefined,
      facets: FACETS,
      facetFilters: Array.from(current.filters, ([facet, values]) => ({
        facet: facet as Facet,
        values: Array.from(values),
      })).filter((filter) => filter.values.length > 0),
    });
    if (state !== current) return; // a newer search started meanwhile
    current.response = response;
    current.elapsedMs = performance.now() - started;
    renderResults(results, current, moveFocus);
  } catch (error) {
    results.removeAttribute("aria-busy");
    replaceChildren(results, alertBox("error", describeError(error)));
  }
}

function renderResults(results: HTMLElement, current: SearchState, moveFocus: boolean): void {
  const response = current.response ?? {};
  const matches = response.matches ?? [];
  const total = Number(response.totalSize ?? 0);
  const page = current.pageTokens.length;
  const first = (page - 1) * PAGE_SIZE + 1;
  const summary = h(
    "h2",
    { class: "utrecht-heading-2", id: "resultaten-kop", tabindex: "-1" },
    total === 0
      ? "Geen kandidaten gevonden"
      : `${formatNumber(total)} ${total === 1 ? "kandidaat" : "kandidaten"} gevonden`,
  );
  replaceChildren(
    results,
    summary,
    total > 0 &&
      paragraph(
        `Resultaat ${first} tot ${first + matches.length - 1}. `,
        h(
          "span",
          { class: "vk-muted", "data-search-ms": Math.round(current.elapsedMs) },
          `Zoektijd ${Math.round(current.elapsedMs)} ms.`,
        ),
      ),
    response.textIgnored && ignoredTextNotice(response),
    response.spellingApplied
      ? paragraph(
          `Gezocht op ‘${response.spellingSuggestion}’ in plaats van ‘${current.vacancy.text ?? ""}’.`,
        )
      : response.spellingSuggestion && paragraph(`Bedoelt u: ${response.spellingSuggestion}?`),
    h(
      "div",
      { class: "vk-results" },
      facetPanel(results, current, response.facets ?? []),
      h(
        "div",
        {},
        matches.length > 0
          ? h("ol", { class: "vk-cards", start: first }, matches.map(card))
          : alertBox("info", "Probeer minder eisen, een grotere afstand of andere woorden."),
        pagination(results, current),
      ),
    ),
  );
  results.removeAttribute("aria-busy");
  if (moveFocus) summary.focus();
}

// The search found nobody by the vacancy text's words, so it left them out: say which words,
// and offer the occupations nearest to them.
function ignoredTextNotice(response: SearchResponse): HTMLElement {
  const words = dutchList((response.unknownWords ?? []).map((word) => `‘${word}’`));
  const suggestions = response.suggestedOccupations ?? [];
  return alertBox(
    "info",
    paragraph(
      `We herkennen ${words || "de tekst"} niet als beroep of vaardigheid. `,
      "Hieronder kandidaten die aan uw andere eisen voldoen, zonder de tekst.",
    ),
    suggestions.length > 0 &&
      h(
        "div",
        { role: "group", "aria-labelledby": "beroepsuggesties-kop" },
        paragraph(
          h("span", { id: "beroepsuggesties-kop" }, "Bedoelt u een van deze beroepen? Zoek op:"),
        ),
        h(
          "ul",
          { class: "vk-suggestions" },
          suggestions.map((occupation) =>
            h(
              "li",
              {},
              button(occupation.label ?? "", null, "secondary", {
                type: "button",
                "data-suggested-occupation": occupation.label ?? "",
              }),
            ),
          ),
        ),
      ),
  );
}

// "‘a’", "‘a’ en ‘b’", "‘a’, ‘b’ en ‘c’".
function dutchList(items: string[]): string {
  return items.length <= 1
    ? (items[0] ?? "")
    : `${items.slice(0, -1).join(", ")} en ${items[items.length - 1]}`;
}

function facetPanel(
  results: HTMLElement,
  current: SearchState,
  facets: FacetResult[],
): HTMLElement {
  return h(
    "aside",
    { class: "vk-facets", "aria-label": "Filters" },
    h("h2", { class: "utrecht-heading-3" }, "Filteren"),
    facets
      .filter((facet) => (facet.values ?? []).length > 0)
      .map((facet) => {
        const name = facet.facet ?? "";
        const selected = current.filters.get(name) ?? new Set<string>();
        const group = fieldset(
          FACET_LABELS[name] ?? name,
          (facet.values ?? []).map((value) =>
            checkbox(
              `facet-${name}`,
              value.value ?? "",
              `${value.label ?? value.value} (${formatNumber(value.count)})`,
              selected.has(value.value ?? ""),
            ),
          ),
        );
        group.addEventListener("change", (event) => {
          const input = event.target as HTMLInputElement;
          const values = current.filters.get(name) ?? new Set<string>();
          if (input.checked) values.add(input.value);
          else values.delete(input.value);
          current.filters.set(name, values);
          current.pageTokens = [""];
          void runSearch(results, false).then(() => {
            // Keep keyboard users where they were: the same checkbox after the re-render.
            const again = results.querySelector<HTMLInputElement>(
              `input[name="facet-${name}"][value="${CSS.escape(input.value)}"]`,
            );
            again?.focus();
          });
        });
        return group;
      }),
  );
}

function card(match: CandidateMatch): HTMLElement {
  const profile = match.profile ?? {};
  const id = profile.profileId ?? "";
  const titleId = `kaart-${id}`;
  return h(
    "li",
    { class: "vk-card", "aria-labelledby": titleId },
    h(
      "h3",
      { class: "utrecht-heading-3", id: titleId },
      `Kandidaat ${shortId(id)} · ${areaText(profile)}`,
    ),
    profileFacts(profile, match.distanceBand),
    (match.reasons ?? []).length > 0 &&
      h(
        "div",
        {},
        h("p", { class: "utrecht-paragraph" }, h("strong", {}, "Waarom deze kandidaat:")),
        h(
          "ul",
          { class: "vk-reasons" },
          (match.reasons ?? []).slice(0, 4).map((reason) => h("li", {}, reason.text ?? "")),
        ),
      ),
    link(`/profiel?id=${encodeURIComponent(id)}`, [
      "Bekijk profiel ",
      visuallyHidden(`van kandidaat ${shortId(id)}`),
    ]),
  );
}

function pagination(results: HTMLElement, current: SearchState): HTMLElement | null {
  const next = current.response?.nextPageToken;
  const page = current.pageTokens.length;
  if (!next && page === 1) return null;
  return h(
    "nav",
    { class: "vk-pagination", "aria-label": "Paginering" },
    page > 1 &&
      button("Vorige pagina", () => {
        current.pageTokens.pop();
        void runSearch(results, true);
      }),
    h("span", {}, `Pagina ${page}`),
    next &&
      button("Volgende pagina", () => {
        current.pageTokens.push(next);
        void runSearch(results, true);
      }),
  );
}
