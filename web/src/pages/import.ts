// Municipalities and UWV upload their client export; the page follows the import and offers the
// rejected rows as a CSV file to correct in the source system.

import { call, describeError, uploadImport } from "../api";
import { navigate, type PageContext } from "../router";
import {
  alertBox,
  button,
  checkbox,
  dataList,
  downloadExport,
  h,
  link,
  panel,
  paragraph,
  replaceChildren,
  table,
} from "../dom";
import {
  CORE_FIELD_LABELS,
  count,
  formatNumber,
  formatPercent,
  formatTimestamp,
  IMPORT_STATE_LABELS,
} from "../labels";
import type {
  FieldCompletenessJson as FieldCompleteness,
  ImportReportJson as ImportReport,
  RowRejectionJson as RowRejection,
} from "../gen/verkenner/v1/profile_import_pb";

const RECENT_KEY = "verkenner.recent-imports";
const POLL_INTERVAL_MS = 1000;

function recentImports(): string[] {
  try {
    return JSON.parse(localStorage.getItem(RECENT_KEY) ?? "[]") as string[];
  } catch {
    return [];
  }
}

function remember(importId: string): void {
  const recent = [importId, ...recentImports().filter((id) => id !== importId)].slice(0, 10);
  localStorage.setItem(RECENT_KEY, JSON.stringify(recent));
}

function newImportId(account: string): string {
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:T]/g, "");
  return `${account}-web-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

export function importPage({ account, main, setTitle }: PageContext): void {
  setTitle("Bestand importeren");
  main.append(
    paragraph(
      `Lever de profielen van ${account.organisationName ?? "uw organisatie"} (bron ${account.source ?? ""}) aan als `,
      "CSV- of JSON Lines-bestand, in het Sonar-exportformaat. Rijen met fouten worden overgeslagen; ",
      "u krijgt per rij te zien wat er mis is.",
    ),
  );
  const message = h("div", { "aria-live": "polite" });
  const fileId = "importbestand";
  const form = h(
    "form",
    { novalidate: true },
    h(
      "div",
      { class: "utrecht-form-field" },
      h(
        "div",
        { class: "utrecht-form-field__label" },
        h("label", { class: "utrecht-form-label", for: fileId }, "Importbestand"),
      ),
      h(
        "div",
        { class: "utrecht-form-field-description", id: `${fileId}-description` },
        "Een .csv- of .jsonl-bestand van ten hoogste 64 MB.",
      ),
      h(
        "div",
        { class: "utrecht-form-field__input" },
        h("input", {
          id: fileId,
          name: "file",
          type: "file",
          accept: ".csv,.jsonl,text/csv,application/x-ndjson",
          required: true,
          "aria-describedby": `${fileId}-description`,
        }),
      ),
    ),
    checkbox(
      "full_sync",
      "ja",
      "Dit is het volledige bestand: trek profielen in die er niet meer in staan",
    ),
    message,
    button("Importeren", null, "primary"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = form.querySelector<HTMLInputElement>("input[type=file]")!;
    const file = input.files?.[0];
    if (!file) {
      message.replaceChildren(alertBox("error", "Kies een bestand om te importeren."));
      input.focus();
      return;
    }
    if (!/\.(csv|jsonl)$/i.test(file.name)) {
      message.replaceChildren(
        alertBox("error", "Alleen .csv- en .jsonl-bestanden kunnen worden geïmporteerd."),
      );
      return;
    }
    const submit = form.querySelector<HTMLButtonElement>("button[type=submit]")!;
    submit.disabled = true;
    message.replaceChildren(
      h("p", { class: "utrecht-paragraph", role: "status" }, "Bestand wordt verstuurd…"),
    );
    try {
      const mode = new FormData(form).get("full_sync")
        ? "IMPORT_MODE_FULL_SYNC"
        : "IMPORT_MODE_INCREMENTAL";
      const { importId } = await uploadImport(file, newImportId(account.source ?? "import"), mode);
      remember(importId);
      navigate(`/import/status?id=${encodeURIComponent(importId)}`);
    } catch (error) {
      message.replaceChildren(alertBox("error", describeError(error)));
      submit.disabled = false;
    }
  });
  main.append(form);

  const recent = recentImports();
  if (recent.length > 0) {
    main.append(
      panel(
        "recent-kop",
        "Recente imports in deze browser",
        h(
          "ul",
          { class: "utrecht-unordered-list" },
          recent.map((id) => h("li", {}, link(`/import/status?id=${encodeURIComponent(id)}`, id))),
        ),
      ),
    );
  }
}

export async function importStatusPage({ main, params, setTitle }: PageContext): Promise<void> {
  const importId = params.get("id") ?? "";
  setTitle("Import");
  const content = h("div", {});
  main.append(paragraph(link("/import", "Nieuw bestand importeren")), content);
  const page = location.pathname + location.search;
  for (;;) {
    const reply = await call("ProfileImportService", "GetImport", {
      importId,
    });
    if (location.pathname + location.search !== page) return; // the user went elsewhere
    const report = reply.report ?? {};
    showReport(content, report);
    if (report.state !== "IMPORT_STATE_RUNNING") return;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

function showReport(content: HTMLElement, report: ImportReport): void {
  const running = report.state === "IMPORT_STATE_RUNNING";
  const received = count(report.receivedRows);
  const expected = count(report.expectedRows);
  const progress = h("progress", {
    class: "vk-progress",
    max: expected > 0 ? expected : null,
    value: expected > 0 ? received : null,
    "aria-label": "Voortgang van de import",
  });
  replaceChildren(
    content,
    h(
      "h2",
      { class: "utrecht-heading-2" },
      `${report.fileName || report.importId} · `,
      IMPORT_STATE_LABELS[report.state ?? ""] ?? "",
    ),
    running && progress,
    h(
      "p",
      { class: "utrecht-paragraph", role: "status" },
      running
        ? `${formatNumber(received)}${expected ? ` van ${formatNumber(expected)}` : ""} rijen verwerkt…`
        : report.state === "IMPORT_STATE_SUCCEEDED"
          ? `Klaar: ${formatNumber(report.acceptedRows)} rijen verwerkt, ${formatNumber(report.rejectedRows)} afgekeurd.`
          : report.state === "IMPORT_STATE_INTERRUPTED"
            ? "De import is onderbroken voordat het hele bestand binnen was; er is niets verwerkt. Verstuur het bestand opnieuw."
            : "De import is afgebroken. Verstuur het bestand opnieuw; wat al verwerkt is, wordt niet dubbel verwerkt.",
    ),
    dataList([
      ["Gestart", formatTimestamp(report.startTime)],
      ["Klaar", formatTimestamp(report.endTime) || "nog bezig"],
      ["Rijen ontvangen", formatNumber(report.receivedRows)],
      ["Goedgekeurd", formatNumber(report.acceptedRows)],
      ["Nieuw", formatNumber(report.created)],
      ["Bijgewerkt", formatNumber(report.updated)],
      ["Ongewijzigd", formatNumber(report.unchanged)],
      [
        "Verwijderd",
        formatNumber(count(report.deleted) + count(report.expired) + count(report.withdrawnAbsent)),
      ],
      ["Afgekeurd", formatNumber(report.rejectedRows)],
      [
        "Vrije tekst weggelaten (privacy: diploma's, vaardigheden, werkervaring, wensen)",
        formatNumber(report.freeTextLeftOut),
      ],
      ["Actieve profielen van uw bron", formatNumber(report.activeProfiles)],
      ["Op regioniveau getoond (privacy)", formatNumber(report.generalisedProfiles)],
      [
        "Opleiding als niveaugroep of niet getoond (privacy)",
        formatNumber(report.educationGeneralisedProfiles),
      ],
      [
        "Kleinste groep zoals getoond",
        report.kThreshold
          ? `${formatNumber(report.smallestGroupSize)} (k = ${formatNumber(report.kThreshold)})`
          : formatNumber(report.smallestGroupSize),
      ],
    ]),
    !running && rejectionsSection(report),
    !running &&
      (report.completeness ?? []).length > 0 &&
      table(
        "Volledigheid van de nieuwe en bijgewerkte profielen",
        [
          {
            header: "Gegeven",
            cell: (field: FieldCompleteness) =>
              CORE_FIELD_LABELS[field.field ?? ""] ?? field.field ?? "",
          },
          { header: "Ingevuld", numeric: true, cell: (field) => formatNumber(field.knownRows) },
          { header: "Aandeel", numeric: true, cell: (field) => formatPercent(field.fraction) },
        ],
        report.completeness ?? [],
      ),
  );
}

function rejectionsSection(report: ImportReport): HTMLElement | null {
  const rejections = report.rejections ?? [];
  if (count(report.rejectedRows) === 0) return alertBox("ok", "Alle rijen zijn goedgekeurd.");
  const exportMessage = h("div", { "aria-live": "polite" });
  return panel(
    "afgekeurd-kop",
    "Afgekeurde rijen",
    paragraph(
      `${formatNumber(report.rejectedRows)} rijen zijn afgekeurd en niet verwerkt. `,
      "Verbeter ze in het bronsysteem en lever ze opnieuw aan.",
      report.rejectionsTruncated ? " Het rapport toont de eerste 10.000 problemen." : "",
    ),
    h(
      "div",
      { class: "vk-actions" },
      button(
        "Download afgekeurde rijen (CSV)",
        async () => {
          try {
            downloadExport(
              await call("ProfileImportService", "ExportRejectedRows", {
                importId: report.importId,
              }),
            );
          } catch (error) {
            exportMessage.replaceChildren(alertBox("error", describeError(error)));
          }
        },
        "primary",
      ),
    ),
    exportMessage,
    table(
      "Eerste problemen",
      [
        {
          header: "Rij",
          numeric: true,
          cell: (rejection: RowRejection) => String(rejection.rowNumber ?? ""),
        },
        { header: "Veld", cell: (rejection) => rejection.field ?? "" },
        { header: "Probleem", cell: (rejection) => rejection.messageNl ?? "" },
      ],
      rejections.slice(0, 50),
    ),
  );
}
