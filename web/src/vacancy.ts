// The one check of a vacancy as a user types it in, for both forms that ask for one (the search
// form and the contact request form), against the limits proto/verkenner/v1 documents:
// HoursRange (0 to 40 hours a week, the lowest not above the highest), Location.postcode (PC4 or
// PC6), Vacancy.text (at most 1,000 characters) and ContactRequestVacancy (title 1 to 200
// characters, text at most 4,000). The service checks the same again; this check only says it
// sooner and in the form's words.

import type { HoursRangeJson } from "./gen/verkenner/v1/common_pb";

export const MAX_HOURS_PER_WEEK = 40;
export const SEARCH_TEXT_MAX_CHARS = 1000; // Vacancy.text
export const REQUEST_TITLE_MAX_CHARS = 200; // ContactRequestVacancy.title
export const REQUEST_TEXT_MAX_CHARS = 4000; // ContactRequestVacancy.text

// What the user typed, as the form's fields hold it (trimmed or not).
export interface VacancyInput {
  title?: string;
  text: string;
  postcode: string;
  hoursMin: string;
  hoursMax: string;
}

export interface VacancyRules {
  // Fields that may not be empty; hours: at least the highest number of hours.
  required: Array<"title" | "hours" | "postcode">;
  textMaxChars: number;
}

export const SEARCH_VACANCY: VacancyRules = { required: [], textMaxChars: SEARCH_TEXT_MAX_CHARS };
export const REQUEST_VACANCY: VacancyRules = {
  required: ["title", "hours", "postcode"],
  textMaxChars: REQUEST_TEXT_MAX_CHARS,
};

// A field that is wrong, in the form's order.
export type VacancyProblem = "title" | "text" | "hours" | "postcode";

export interface CheckedVacancy {
  title: string;
  text: string;
  postcode: string; // upper case; "" when not given
  hours: HoursRangeJson | undefined; // undefined when neither number is given
  problems: VacancyProblem[]; // empty: the vacancy may be sent
}

// Characters as the proto counts them (code points), not UTF-16 units.
function characters(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

// The hours a week: empty lowest is 0, empty highest is 40 unless the hours are required.
// Whole numbers, 0 <= lowest <= highest <= 40, and the highest at least 1 (no job of 0 hours).
function hoursOf(
  minText: string,
  maxText: string,
  required: boolean,
): HoursRangeJson | undefined | null {
  if (!minText && !maxText && !required) return undefined;
  if (!maxText && required) return null;
  const minHours = minText ? Number(minText) : 0;
  const maxHours = maxText ? Number(maxText) : MAX_HOURS_PER_WEEK;
  const valid =
    Number.isInteger(minHours) &&
    Number.isInteger(maxHours) &&
    minHours >= 0 &&
    maxHours >= 1 &&
    maxHours <= MAX_HOURS_PER_WEEK &&
    minHours <= maxHours;
  return valid ? { minHours, maxHours } : null;
}

export function checkVacancy(input: VacancyInput, rules: VacancyRules): CheckedVacancy {
  const title = (input.title ?? "").trim();
  const text = input.text.trim();
  const postcode = input.postcode.trim().toUpperCase();
  const hours = hoursOf(
    input.hoursMin.trim(),
    input.hoursMax.trim(),
    rules.required.includes("hours"),
  );
  const problems: VacancyProblem[] = [];
  if ((rules.required.includes("title") && !title) || characters(title) > REQUEST_TITLE_MAX_CHARS) {
    problems.push("title");
  }
  if (characters(text) > rules.textMaxChars) problems.push("text");
  if (hours === null) problems.push("hours");
  if (
    (postcode || rules.required.includes("postcode")) &&
    !/^[1-9][0-9]{3}( ?[A-Z]{2})?$/.test(postcode)
  ) {
    problems.push("postcode");
  }
  return { title, text, postcode, hours: hours ?? undefined, problems };
}
