// The worklist at the source: the municipality's own clients, by client number, whose profiles
// miss core fields or whose availability was not confirmed recently, to complete in its own
// system and send again. Beside the completeness page, which counts; this one names.

import { call, describeError } from "../api";
import type { PageContext } from "../router";
import {
  alertBox,
  button,
  downloadExport,
  h,
  link,
  paragraph,
  replaceChildren,
  statusBadge,
  table,
} from "../dom";
import { CORE_FIELD_LABELS, formatDate, formatNumber } from "../labels";
import type { WorklistEntryJson as WorklistEntry } from "../gen/verkenner/v1/profile_import_pb";

const PAGE_SIZE = 100;

export async function worklistPage({ account, main, setTitle }: PageContext): Promise<void> {
  setTitle("Werklijst");
  main.append(
    paragraph(
      `Klanten van ${account.organisationName ?? "uw bron"} van wie het profiel een kerngegeven `,
      "mist of van wie de beschikbaarheid niet recent is bevestigd. Vul de gegevens aan in uw eigen ",
      "systeem en importeer opnieuw. Het opvragen wordt vastgelegd. Zie ook ",
      link("/volledigheid", "de volledigheid per gemeente"),
      ".",
    ),
  );
  const exportMessage = h("div", { "aria-live": "polite" });
  main.append(
    h(
      "p",
      { class: "utrecht-paragraph" },
      button(
        "Download als CSV",
        async () => {
          try {
            downloadExport(await call("ProfileImportService", "ExportWorklist", {}));
          } catch (error) {
            exportMessage.replaceChildren(alertBox("error", describeError(error)));
          }
        },
        "secondary",
      ),
    ),
    exportMessage,
  );
  const list = h("div", {});
  main.append(list);
  await showPage(list, "");
}

async function showPage(list: HTMLElement, pageToken: string): Promise<void> {
  const reply = await call("ProfileImportService", "ListWorklist", {
    pageSize: PAGE_SIZE,
    pageToken,
  });
  const entries = reply.entries ?? [];
  if (entries.length === 0 && !pageToken) {
    replaceChildren(
      list,
      alertBox("ok", "Alle actieve profielen zijn compleet en recent bevestigd."),
    );
    return;
  }
  const more = reply.nextPageToken
    ? button("Volgende klanten", () => void showPage(list, reply.nextPageToken ?? ""), "secondary")
    : null;
  replaceChildren(
    list,
    paragraph(
      `${formatNumber(reply.totalSize ?? 0)} van ${formatNumber(reply.activeProfiles)} actieve `,
      "profielen staan op de werklijst.",
    ),
    table(
      "Klanten om aan te vullen of te bevestigen",
      [
        { header: "Klantnummer", cell: (entry: WorklistEntry) => entry.clientNumber ?? "" },
        {
          header: "Ontbreekt",
          cell: (entry: WorklistEntry) =>
            (entry.missing ?? []).map((field) => CORE_FIELD_LABELS[field] ?? field).join(", ") ||
            "niets",
        },
        {
          header: "Beschikbaarheid bevestigd",
          cell: (entry: WorklistEntry) =>
            h(
              "span",
              {},
              formatDate(entry.availabilityConfirmedOn) || "nooit",
              entry.availabilityUnconfirmed && " ",
              entry.availabilityUnconfirmed && statusBadge("niet recent", "warning"),
            ),
        },
      ],
      entries,
    ),
    more,
  );
}
