// The region's request queue for the WSP account manager: filters, age and overdue flags.

import { call, describeError } from "../api";
import type { PageContext } from "../router";
import {
  alertBox,
  button,
  checkbox,
  h,
  link,
  paragraph,
  replaceChildren,
  selectField,
  statusBadge,
  table,
} from "../dom";
import { ageInDays, countOf, formatTimestamp, STATUS_BADGE_KIND, STATUS_LABELS } from "../labels";
import type {
  AssignmentFilterJson as AssignmentFilter,
  ContactRequestJson as ContactRequest,
  ContactRequestOrderJson as Order,
  ContactRequestStatusJson as Status,
} from "../gen/verkenner/v1/contact_requests_pb";

const OPEN_STATUSES: Status[] = [
  "CONTACT_REQUEST_STATUS_NEW",
  "CONTACT_REQUEST_STATUS_IN_PROGRESS",
  "CONTACT_REQUEST_STATUS_CANDIDATE_APPROACHED",
  "CONTACT_REQUEST_STATUS_INTERVIEW_SCHEDULED",
];

export async function queuePage({ account, main, setTitle }: PageContext): Promise<void> {
  setTitle(`Aanvragen ${account.labourMarketRegionName ?? ""}`.trim());
  main.append(
    paragraph(
      "Aanvragen van werkgevers voor kandidaten uit uw arbeidsmarktregio. ",
      "Een aanvraag is over tijd als hij na vijf werkdagen nog niet is opgepakt.",
    ),
  );
  const form = h(
    "form",
    { class: "vk-search-form", "aria-label": "Filters", novalidate: true },
    selectField(
      "status",
      "Status",
      [["open", "Alle openstaande"], ["", "Alle"], ...Object.entries(STATUS_LABELS)],
      "open",
    ),
    selectField("assignment", "Behandelaar", [
      ["ASSIGNMENT_FILTER_ANY", "Iedereen"],
      ["ASSIGNMENT_FILTER_UNASSIGNED", "Nog niemand"],
      ["ASSIGNMENT_FILTER_MINE", "Ik"],
    ]),
    selectField("order", "Volgorde", [
      ["CONTACT_REQUEST_ORDER_OLDEST_FIRST", "Oudste eerst"],
      ["CONTACT_REQUEST_ORDER_NEWEST_FIRST", "Nieuwste eerst"],
    ]),
    h("div", {}, checkbox("overdue", "ja", "Alleen over tijd")),
    h("div", { class: "vk-search-form__wide" }, button("Filteren", null, "primary")),
  );
  const results = h("div", { "aria-live": "polite" });
  main.append(form, results);

  const load = async () => {
    const data = new FormData(form);
    const status = String(data.get("status") ?? "");
    results.setAttribute("aria-busy", "true");
    try {
      const reply = await call("ContactRequestService", "ListRegionContactRequests", {
        // The lists offer only the enums' own values.
        statuses: status === "open" ? OPEN_STATUSES : status ? [status as Status] : [],
        overdueOnly: data.get("overdue") !== null,
        assignment: (data.get("assignment") ?? undefined) as AssignmentFilter | undefined,
        order: (data.get("order") ?? undefined) as Order | undefined,
        pageSize: 100,
      });
      const requests = reply.contactRequests ?? [];
      replaceChildren(
        results,
        requests.length === 0
          ? alertBox("info", "Geen aanvragen met deze filters.")
          : table(
              countOf(reply.totalSize ?? requests.length, "aanvraag", "aanvragen"),
              [
                {
                  header: "Vacature",
                  cell: (request: ContactRequest) =>
                    link(
                      `/aanvraag?naam=${encodeURIComponent(request.name ?? "")}`,
                      request.vacancy?.title ?? "(zonder titel)",
                    ),
                },
                { header: "Werkgever", cell: (request) => request.employerOrganisationName ?? "" },
                {
                  header: "Status",
                  cell: (request) => [
                    statusBadge(
                      STATUS_LABELS[request.status ?? ""] ?? "",
                      STATUS_BADGE_KIND[request.status ?? ""],
                    ),
                    request.overdue && " ",
                    request.overdue && statusBadge("Over tijd", "danger"),
                  ],
                },
                {
                  header: "Leeftijd",
                  numeric: true,
                  cell: (request) => `${ageInDays(request.createTime)} d`,
                },
                { header: "Ontvangen", cell: (request) => formatTimestamp(request.createTime) },
                {
                  header: "Behandelaar",
                  cell: (request) => request.assignedTo?.displayName ?? "—",
                },
              ],
              requests,
            ),
      );
    } catch (error) {
      replaceChildren(results, alertBox("error", describeError(error)));
    } finally {
      results.removeAttribute("aria-busy");
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void load();
  });
  await load();
}
