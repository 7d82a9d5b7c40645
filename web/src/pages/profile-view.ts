// How an anonymous profile is shown: the facts an employer may see, never who the person is.

import { h, statusBadge } from "../dom";
import {
  affinityLabel,
  DISTANCE_LABELS,
  formatDate,
  formatDecimal,
  formatMonth,
  formatMonths,
  monthHasPassed,
  formatPercent,
  TRAVEL_MODE_LABELS,
  WEEKDAYS,
} from "../labels";
import type { AnonymousProfileJson as AnonymousProfile } from "../gen/verkenner/v1/profile_pb";

export function areaText(profile: AnonymousProfile): string {
  const area = profile.area;
  if (!area?.name) return "onbekende regio";
  return area.level === "AREA_LEVEL_MUNICIPALITY" && area.labourMarketRegionName
    ? `${area.name} (${area.labourMarketRegionName})`
    : area.name;
}

export function availabilityText(profile: AnonymousProfile): string {
  const hours = profile.availability;
  if (!hours?.maxHours) return "onbekend";
  const range =
    hours.minHours && hours.minHours !== hours.maxHours
      ? `${hours.minHours} tot ${hours.maxHours} uur per week`
      : `${hours.maxHours} uur per week`;
  // A "baan" in the banenafspraak is 25.5 hours a week; the service computes the equivalent.
  return profile.banen ? `${range} (${formatDecimal(profile.banen)} baan)` : range;
}

export function experienceText(profile: AnonymousProfile): string {
  const experience = profile.workExperience ?? [];
  if (experience.length === 0) return "geen werkervaring bekend";
  return experience
    .slice(0, 3)
    .map(
      (item) => `${item.occupation?.label ?? item.sector ?? "werk"} (${formatMonths(item.months)})`,
    )
    .join(", ");
}

export function daysText(days: string[] | undefined): string {
  if (!days?.length) return "";
  return WEEKDAYS.filter(([code]) => days.includes(code))
    .map(([, , short]) => short)
    .join(", ");
}

// The share of the five core fields that is known, as a bar and in words.
export function completenessMeter(profile: AnonymousProfile): HTMLElement {
  const fraction = Number(profile.completeness?.fraction ?? 0);
  const fill = h("span", { class: "vk-meter__fill" });
  fill.style.width = `${Math.round(fraction * 100)}%`;
  const missing = missingFields(profile);
  return h(
    "span",
    {},
    h("span", { class: "vk-meter", "aria-hidden": "true" }, fill),
    `${formatPercent(fraction)} ingevuld`,
    missing.length > 0 && h("span", { class: "vk-muted" }, ` (onbekend: ${missing.join(", ")})`),
  );
}

function missingFields(profile: AnonymousProfile): string[] {
  const known = profile.completeness ?? {};
  const missing: string[] = [];
  // A withheld education (privacy) is not missing from the profile.
  if (!known.educationKnown && !profile.education?.withheld) missing.push("opleiding");
  if (!known.experienceKnown) missing.push("werkervaring");
  if (!known.availabilityKnown) missing.push("uren");
  if (!known.travelDistanceKnown) missing.push("reisafstand");
  if (!known.affinitiesKnown) missing.push("affiniteiten");
  return missing;
}

export function shortId(profileId: string | undefined): string {
  return (profileId ?? "").slice(0, 8).toUpperCase();
}

// The education as disclosure control lets it show: the level, its CBS band, or withheld so
// that the candidate stays among at least k people of their region.
export function educationText(profile: AnonymousProfile): string {
  const education = profile.education;
  if (education?.withheld) return "niet getoond (privacy)";
  return education?.label || "onbekend";
}

// How far the candidate travels; when unknown, the distance searches assumed instead, so that an
// employer knows why the candidate was found (or would not be, farther away).
export function travelText(profile: AnonymousProfile): string {
  if (profile.maxTravelKm) {
    const mode = TRAVEL_MODE_LABELS[profile.travelMode ?? ""];
    return `${profile.maxTravelKm} km${mode ? ` (${mode})` : ""}`;
  }
  return profile.assumedTravelKm
    ? `reisafstand onbekend: gezocht binnen ${profile.assumedTravelKm} km`
    : "onbekend";
}

// When the availability was last confirmed with the candidate; past the server's period (or
// never) it is marked, since hours and days that old may no longer hold.
export function confirmedText(profile: AnonymousProfile): string {
  const date = formatDate(profile.availabilityConfirmedOn);
  if (!profile.availabilityUnconfirmed) return `op ${date}`;
  return date ? `op ${date}, niet recent` : "nooit";
}

function confirmedFact(profile: AnonymousProfile): Node {
  return h(
    "span",
    {},
    confirmedText(profile),
    profile.availabilityUnconfirmed && " ",
    profile.availabilityUnconfirmed && statusBadge("niet recent bevestigd", "warning"),
  );
}

// The registration's end, where the source gave one: after it, hiring the candidate may no
// longer count for the banenafspraak.
export function registrationText(profile: AnonymousProfile, today?: Date): string {
  const until = profile.registeredUntil;
  if (!until?.year) return "";
  return monthHasPassed(until, today)
    ? `stond in het doelgroepregister tot en met ${formatMonth(until)}: een plaatsing telt mogelijk niet meer mee voor de banenafspraak`
    : `staat in het doelgroepregister tot en met ${formatMonth(until)}`;
}

// The facts of a card, in a definition list.
export function profileFacts(profile: AnonymousProfile, distanceBand?: string): HTMLElement {
  const facts: Array<[string, string | Node]> = [
    ["Opleiding", educationText(profile)],
    ["Werkervaring", experienceText(profile)],
    ["Beschikbaar", availabilityText(profile)],
  ];
  if (distanceBand && DISTANCE_LABELS[distanceBand]) {
    facts.push(["Afstand tot werkplek", DISTANCE_LABELS[distanceBand]]);
  }
  facts.push(["Beschikbaarheid bevestigd", confirmedFact(profile)]);
  facts.push(["Reisafstand", travelText(profile)]);
  facts.push([
    "Affiniteiten",
    (profile.affinities ?? []).map(affinityLabel).join(", ") || "onbekend",
  ]);
  const registration = registrationText(profile);
  if (registration) facts.push(["Doelgroepregister", registration]);
  facts.push(["Volledigheid", completenessMeter(profile)]);
  return h(
    "dl",
    { class: "vk-card__facts" },
    facts.map(([key, value]) => h("div", {}, h("dt", {}, key), h("dd", {}, value))),
  );
}

// Every field of a profile, for the detail page.
export function profileDetails(profile: AnonymousProfile): Array<[string, string | Node]> {
  const rows: Array<[string, string | Node]> = [
    ["Woongebied", areaText(profile)],
    ["Opleidingsniveau", educationText(profile)],
    ["Diploma's en certificaten", (profile.diplomas ?? []).join(", ") || "geen bekend"],
    ["Werkervaring", workExperienceList(profile)],
    ["Vaardigheden", (profile.skills ?? []).join(", ") || "geen bekend"],
    ["Beschikbaarheid", availabilityText(profile)],
    ["Dagen", daysText(profile.days) || "onbekend"],
    ["Beschikbaar vanaf", formatDate(profile.availableFrom) || "direct"],
    ["Beschikbaarheid bevestigd", confirmedFact(profile)],
    ["Reisafstand", travelText(profile)],
    [
      "Rijbewijs",
      profile.drivingLicence === undefined ? "onbekend" : profile.drivingLicence ? "ja" : "nee",
    ],
    ["Affiniteiten", (profile.affinities ?? []).map(affinityLabel).join(", ") || "onbekend"],
    [
      "Ondersteuning",
      (profile.supportNeeds ?? []).map((need) => need.replaceAll("_", " ")).join(", ") ||
        "geen bekend",
    ],
    ["Talen", (profile.languages ?? []).join(", ") || "onbekend"],
    ["Wensen", profile.wishes || "geen bekend"],
    ["Volledigheid", completenessMeter(profile)],
  ];
  const registration = registrationText(profile);
  if (registration) rows.splice(1, 0, ["Doelgroepregister", registration]);
  return rows;
}

function workExperienceList(profile: AnonymousProfile): Node | string {
  const experience = profile.workExperience ?? [];
  if (experience.length === 0) return "geen bekend";
  return h(
    "ul",
    { class: "utrecht-unordered-list" },
    experience.map((item) =>
      h(
        "li",
        {},
        `${item.occupation?.label ?? "werk"}${item.sector ? `, ${item.sector}` : ""}: `,
        formatMonths(item.months),
        item.lastYear ? ` (tot ${item.lastYear})` : "",
      ),
    ),
  );
}
