// The candidate's rights over their profile, for the organisations that act for them: the
// municipality or UWV that imported the profile, and the WSP of the candidate's region. A
// candidate is named by source and client number; the page never shows who the person is.

import { ApiError, call, describeError } from "../api";
import type { PageContext } from "../router";
import { IMPORTER } from "../router";
import {
  alertBox,
  button,
  dataList,
  downloadExport,
  h,
  panel,
  paragraph,
  replaceChildren,
  statusBadge,
  table,
  textArea,
  textField,
} from "../dom";
import { formatTimestamp } from "../labels";
import { shortId } from "./profile-view";
import type {
  AccessReportEntryJson as AccessReportEntry,
  CandidateKeyJson as CandidateKey,
  CandidateVisibilityJson as CandidateVisibility,
} from "../gen/verkenner/v1/candidate_rights_pb";

const MIN_REASON = 10;
const MAX_REASON = 500;

export async function candidatePage({ account, main, setTitle }: PageContext): Promise<void> {
  setTitle("Rechten van de kandidaat");
  const importer = account.role === IMPORTER;
  main.append(
    paragraph(
      "Een kandidaat kan bezwaar maken tegen het tonen van het profiel aan werkgevers (artikel 21 ",
      "AVG). Zoek de kandidaat op met de bron en het klantnummer; verberg het profiel dan met de ",
      "reden, of toon het weer. De registratie blijft bestaan. Elke handeling wordt vastgelegd.",
    ),
  );
  const result = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { novalidate: true },
    textField("source", {
      label: "Bron",
      description: importer
        ? "Uw eigen bron; u handelt alleen voor uw eigen klanten."
        : "CBS-gemeentecode (bijvoorbeeld GM0344) of UWV.",
      attributes: importer
        ? { value: account.source ?? "", readonly: true, required: true }
        : { required: true, autocomplete: "off", spellcheck: "false" },
    }),
    textField("clientNumber", {
      label: "Klantnummer",
      description: "Het nummer van de kandidaat in het systeem van de bron.",
      attributes: { required: true, maxlength: 64, autocomplete: "off", spellcheck: "false" },
    }),
    button("Opzoeken", null, "primary"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const candidate: CandidateKey = {
      source: String(data.get("source") ?? "")
        .trim()
        .toUpperCase(),
      clientNumber: String(data.get("clientNumber") ?? "").trim(),
    };
    if (!candidate.source || !candidate.clientNumber) {
      result.replaceChildren(alertBox("error", "Vul de bron en het klantnummer in."));
      return;
    }
    try {
      const reply = await call("CandidateRightsService", "GetCandidateVisibility", { candidate });
      showVisibility(result, candidate, reply.visibility ?? {});
    } catch (error) {
      result.replaceChildren(alertBox("error", lookupError(error, importer)));
    }
  });
  main.append(panel("kandidaat-kop", "Kandidaat opzoeken", form), result);
}

function lookupError(error: unknown, importer: boolean): string {
  if (error instanceof ApiError && error.status === 404) {
    return importer
      ? "Geen actueel profiel met dit klantnummer. Controleer het nummer, of de laatste import."
      : "Geen actueel profiel met dit klantnummer in uw regio. Controleer de bron en het nummer.";
  }
  return describeError(error);
}

// The profile's visibility, and the form that changes it.
function showVisibility(
  result: HTMLElement,
  candidate: CandidateKey,
  visibility: CandidateVisibility,
  message?: HTMLElement,
): void {
  const facts: Array<[string, string | Node]> = [
    [
      "Profielnummer",
      h("code", { "data-profile-id": visibility.profileId ?? "" }, visibility.profileId ?? ""),
    ],
    [
      "Zichtbaar voor werkgevers",
      visibility.visible ? statusBadge("ja", "success") : statusBadge("nee", "warning"),
    ],
  ];
  if (visibility.hiddenByImport) {
    facts.push([
      "Verborgen door de import",
      "de laatste import van de bron zegt visible = nee; een nieuwe import toont het weer",
    ]);
  }
  if (visibility.hiddenByOrganisation) {
    facts.push(
      ["Verborgen door", visibility.hiddenBy?.displayName ?? ""],
      ["Reden", visibility.reason ?? ""],
      ["Sinds", formatTimestamp(visibility.hideTime)],
    );
  }
  const hide = !visibility.hiddenByOrganisation;
  const form = h(
    "form",
    { novalidate: true },
    textArea("reason", {
      label: hide ? "Reden om te verbergen" : "Reden om weer te tonen",
      description: `Tussen ${MIN_REASON} en ${MAX_REASON} tekens, zonder persoonsgegevens, bijvoorbeeld: bezwaar van de kandidaat (art. 21 AVG) per brief.`,
      attributes: { required: true, minlength: MIN_REASON, maxlength: MAX_REASON },
    }),
    button(hide ? "Profiel verbergen" : "Profiel weer tonen", null, hide ? "primary" : "secondary"),
  );
  const feedback = h("div", {});
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = String(new FormData(form).get("reason") ?? "").trim();
    if (reason.length < MIN_REASON) {
      feedback.replaceChildren(
        alertBox("error", `Beschrijf de reden in ten minste ${MIN_REASON} tekens.`),
      );
      return;
    }
    try {
      const reply = await call("CandidateRightsService", "SetCandidateVisibility", {
        candidate,
        visible: !hide,
        reason,
      });
      showVisibility(
        result,
        candidate,
        reply.visibility ?? {},
        alertBox(
          "ok",
          hide
            ? "Het profiel is verborgen voor werkgevers."
            : "Het verbergen is opgeheven voor deze organisatie.",
        ),
      );
    } catch (error) {
      feedback.replaceChildren(alertBox("error", describeError(error)));
    }
  });
  replaceChildren(
    result,
    message ?? null,
    panel(
      "zichtbaarheid-kop",
      `Profiel ${shortId(visibility.profileId)}`,
      dataList(facts),
      form,
      feedback,
    ),
    accessPanel(candidate),
  );
}

// The candidate's right of access (art. 15 AVG): who received the profile, when and why.
function accessPanel(candidate: CandidateKey): HTMLElement {
  const report = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { novalidate: true },
    paragraph(
      "Welke organisaties het profiel bekeken, bewaarden, contact aanvroegen, op een shortlist ",
      "zetten, exporteerden of opvroegen wie de kandidaat is, met datum en doel. Het opvragen ",
      "wordt vastgelegd met het doel.",
    ),
    textArea("purpose", {
      label: "Doel van het opvragen",
      description: `Tussen ${MIN_REASON} en ${MAX_REASON} tekens, bijvoorbeeld: inzageverzoek van de kandidaat per e-mail.`,
      attributes: { required: true, minlength: MIN_REASON, maxlength: MAX_REASON },
    }),
    button("Inzage opvragen", null, "secondary"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const purpose = String(new FormData(form).get("purpose") ?? "").trim();
    if (purpose.length < MIN_REASON) {
      report.replaceChildren(
        alertBox("error", `Beschrijf het doel in ten minste ${MIN_REASON} tekens.`),
      );
      return;
    }
    try {
      const reply = await call("CandidateRightsService", "GetAccessReport", { candidate, purpose });
      const entries = reply.entries ?? [];
      const download = button(
        "Download als CSV",
        async () => {
          try {
            downloadExport(
              await call("CandidateRightsService", "ExportAccessReport", { candidate, purpose }),
            );
          } catch (error) {
            report.append(alertBox("error", describeError(error)));
          }
        },
        "secondary",
      );
      report.replaceChildren(
        entries.length === 0
          ? alertBox("info", "Geen enkele organisatie heeft dit profiel ontvangen.")
          : table(
              "Wie het profiel ontving",
              [
                {
                  header: "Datum",
                  cell: (entry: AccessReportEntry) => formatTimestamp(entry.time),
                },
                {
                  header: "Organisatie",
                  cell: (entry: AccessReportEntry) => entry.organisation ?? "",
                },
                {
                  header: "Handeling",
                  cell: (entry: AccessReportEntry) => entry.description ?? "",
                },
                { header: "Doel", cell: (entry: AccessReportEntry) => entry.purpose ?? "" },
              ],
              entries,
            ),
        h("p", { class: "utrecht-paragraph" }, download),
      );
    } catch (error) {
      report.replaceChildren(alertBox("error", describeError(error)));
    }
  });
  return panel("inzage-kop", "Inzage (artikel 15 AVG)", form, report);
}
