// Dutch words for the API's codes, and the formats the pages show numbers and dates in.

import type { DateJson as DateValue } from "./gen/verkenner/v1/common_pb";

// Numbers as protobuf's JSON mapping writes them: int64 as a string, int32 as a number; a double
// as a number or, for the values JSON has no number for, "NaN", "Infinity", "-Infinity".
type Count = string | number;
type JsonDouble = number | "NaN" | "Infinity" | "-Infinity";

export const STATUS_LABELS: Record<string, string> = {
  CONTACT_REQUEST_STATUS_NEW: "Nieuw",
  CONTACT_REQUEST_STATUS_IN_PROGRESS: "In behandeling",
  CONTACT_REQUEST_STATUS_CANDIDATE_APPROACHED: "Kandidaat benaderd",
  CONTACT_REQUEST_STATUS_INTERVIEW_SCHEDULED: "Gesprek gepland",
  CONTACT_REQUEST_STATUS_PLACED: "Geplaatst",
  CONTACT_REQUEST_STATUS_NOT_PLACED: "Niet geplaatst",
  CONTACT_REQUEST_STATUS_WITHDRAWN: "Ingetrokken",
};

// The order a request moves in; the service refuses moves backwards.
export const STATUS_ORDER = Object.keys(STATUS_LABELS);

export const STATUS_BADGE_KIND: Record<string, string> = {
  CONTACT_REQUEST_STATUS_NEW: "warning",
  CONTACT_REQUEST_STATUS_IN_PROGRESS: "active",
  CONTACT_REQUEST_STATUS_CANDIDATE_APPROACHED: "active",
  CONTACT_REQUEST_STATUS_INTERVIEW_SCHEDULED: "active",
  CONTACT_REQUEST_STATUS_PLACED: "success",
  CONTACT_REQUEST_STATUS_NOT_PLACED: "neutral",
  CONTACT_REQUEST_STATUS_WITHDRAWN: "inactive",
};

export const DISTANCE_LABELS: Record<string, string> = {
  DISTANCE_BAND_0_5: "0 tot 5 km",
  DISTANCE_BAND_5_10: "5 tot 10 km",
  DISTANCE_BAND_10_20: "10 tot 20 km",
  DISTANCE_BAND_20_30: "20 tot 30 km",
  DISTANCE_BAND_30_PLUS: "30 km of meer",
};

export const TRAVEL_MODE_LABELS: Record<string, string> = {
  TRAVEL_MODE_WALKING: "lopend",
  TRAVEL_MODE_BICYCLE: "fiets",
  TRAVEL_MODE_PUBLIC_TRANSPORT: "openbaar vervoer",
  TRAVEL_MODE_CAR: "auto",
  TRAVEL_MODE_ASSISTED: "begeleid vervoer",
};

export const WEEKDAYS: Array<[string, string, string]> = [
  ["WEEKDAY_MONDAY", "maandag", "ma"],
  ["WEEKDAY_TUESDAY", "dinsdag", "di"],
  ["WEEKDAY_WEDNESDAY", "woensdag", "wo"],
  ["WEEKDAY_THURSDAY", "donderdag", "do"],
  ["WEEKDAY_FRIDAY", "vrijdag", "vr"],
  ["WEEKDAY_SATURDAY", "zaterdag", "za"],
  ["WEEKDAY_SUNDAY", "zondag", "zo"],
];

// Affinity codes the sources use (SourceProfile.affinities), with the words employers know.
export const AFFINITIES: Array<[string, string]> = [
  ["administratie", "Administratie"],
  ["binnen_werken", "Binnen werken"],
  ["buiten_werken", "Buiten werken"],
  ["creatief", "Creatief"],
  ["detailhandel", "Detailhandel"],
  ["dieren", "Dieren"],
  ["groen", "Groen"],
  ["horeca", "Horeca"],
  ["ict", "ICT"],
  ["koken", "Koken"],
  ["logistiek", "Logistiek"],
  ["productie", "Productie"],
  ["schoonmaak", "Schoonmaak"],
  ["techniek", "Techniek"],
  ["zorg", "Zorg"],
];

export function affinityLabel(code: string): string {
  return AFFINITIES.find(([value]) => value === code)?.[1] ?? code.replaceAll("_", " ");
}

// Minimum education levels an employer can ask for (codes of the education reference list).
export const EDUCATION_MINIMUMS: Array<[string, string]> = [
  ["", "Geen eis"],
  ["praktijkonderwijs", "Praktijkonderwijs of vso"],
  ["mbo1", "Mbo 1 (entree)"],
  ["mbo2", "Mbo 2"],
  ["mbo3", "Mbo 3"],
  ["mbo4", "Mbo 4, havo"],
  ["hbo_bachelor", "Hbo of wo"],
];

export const FACET_LABELS: Record<string, string> = {
  FACET_EDUCATION_LEVEL: "Opleidingsniveau",
  FACET_LABOUR_MARKET_REGION: "Arbeidsmarktregio",
  FACET_HOURS_BAND: "Uren per week",
  FACET_DISTANCE_BAND: "Afstand",
  FACET_EXPERIENCE_BAND: "Werkervaring",
  FACET_AFFINITY: "Affiniteit",
};

export const CORE_FIELD_LABELS: Record<string, string> = {
  CORE_FIELD_EDUCATION: "Opleiding",
  CORE_FIELD_EXPERIENCE: "Werkervaring",
  CORE_FIELD_AVAILABILITY: "Beschikbaarheid",
  CORE_FIELD_TRAVEL_DISTANCE: "Reisafstand",
  CORE_FIELD_AFFINITIES: "Affiniteiten",
};

export const IMPORT_STATE_LABELS: Record<string, string> = {
  IMPORT_STATE_RUNNING: "Bezig",
  IMPORT_STATE_SUCCEEDED: "Klaar",
  IMPORT_STATE_FAILED: "Mislukt",
  IMPORT_STATE_INTERRUPTED: "Onderbroken",
};

const numberFormat = new Intl.NumberFormat("nl-NL");
const decimalFormat = new Intl.NumberFormat("nl-NL", { maximumFractionDigits: 2 });
const percentFormat = new Intl.NumberFormat("nl-NL", {
  style: "percent",
  maximumFractionDigits: 0,
});
const dateFormat = new Intl.DateTimeFormat("nl-NL", {
  dateStyle: "long",
  timeZone: "Europe/Amsterdam",
});
const dateTimeFormat = new Intl.DateTimeFormat("nl-NL", {
  dateStyle: "medium",
  timeStyle: "short",
  timeZone: "Europe/Amsterdam",
});

export function count(value: Count | undefined): number {
  return Number(value ?? 0);
}

export function formatNumber(value: Count | undefined): string {
  return numberFormat.format(count(value));
}

// "1 aanvraag", "3 aanvragen".
export function countOf(value: Count | undefined, singular: string, plural: string): string {
  const n = count(value);
  return `${numberFormat.format(n)} ${n === 1 ? singular : plural}`;
}

export function formatDecimal(value: JsonDouble | undefined): string {
  return decimalFormat.format(Number(value ?? 0));
}

export function formatPercent(fraction: JsonDouble | undefined): string {
  return percentFormat.format(Number(fraction ?? 0));
}

export function formatTimestamp(value: string | undefined): string {
  return value ? dateTimeFormat.format(new Date(value)) : "";
}

export function formatDate(value: DateValue | undefined): string {
  if (!value?.year) return "";
  return dateFormat.format(
    new Date(Date.UTC(value.year, (value.month ?? 1) - 1, value.day ?? 1, 12)),
  );
}

const monthFormat = new Intl.DateTimeFormat("nl-NL", {
  year: "numeric",
  month: "long",
  timeZone: "UTC",
});

// A date given to the month ("maart 2026"), such as AnonymousProfile.registered_until.
export function formatMonth(value: DateValue | undefined): string {
  if (!value?.year) return "";
  return monthFormat.format(new Date(Date.UTC(value.year, (value.month ?? 1) - 1, 1, 12)));
}

// Whether a month given as a date has ended before `today`.
export function monthHasPassed(value: DateValue, today: Date = new Date()): boolean {
  const year = today.getFullYear();
  const month = today.getMonth() + 1;
  return value.year! < year || (value.year === year && (value.month ?? 12) < month);
}

export function formatMonths(months: number | undefined): string {
  const total = months ?? 0;
  if (total < 12) return `${total} ${total === 1 ? "maand" : "maanden"}`;
  const years = Math.floor(total / 12);
  return `${years} jaar${total % 12 ? ` en ${total % 12} mnd` : ""}`;
}

// Age of a request in whole days, for the queue.
export function ageInDays(timestamp: string | undefined): number {
  if (!timestamp) return 0;
  return Math.max(0, Math.floor((Date.now() - new Date(timestamp).getTime()) / 86_400_000));
}

// "2026-11-30" from a date input → the API's Date message.
export function dateFromInput(value: string): DateValue | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return undefined;
  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
}
