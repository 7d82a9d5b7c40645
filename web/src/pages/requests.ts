// The employer's own contact requests and where each stands.

import { call } from "../api";
import type { PageContext } from "../router";
import { alertBox, h, link, paragraph, statusBadge, table } from "../dom";
import { countOf, formatTimestamp, STATUS_BADGE_KIND, STATUS_LABELS } from "../labels";
import type { ContactRequestJson as ContactRequest } from "../gen/verkenner/v1/contact_requests_pb";
import { shortId } from "./profile-view";

export async function myRequestsPage({ main, setTitle }: PageContext): Promise<void> {
  setTitle("Mijn aanvragen");
  main.append(paragraph("Uw aanvragen bij de Werkgeversservicepunten en hoe ver ze zijn."));
  const reply = await call("ContactRequestService", "ListContactRequests", { pageSize: 100 });
  const requests = reply.contactRequests ?? [];
  if (requests.length === 0) {
    main.append(
      alertBox("info", "U heeft nog geen aanvragen gedaan. ", link("/zoeken", "Zoek kandidaten")),
    );
    return;
  }
  main.append(
    table(
      "Aanvragen van uw organisatie",
      [
        {
          header: "Vacature",
          cell: (request: ContactRequest) =>
            link(
              `/aanvraag?naam=${encodeURIComponent(request.name ?? "")}`,
              request.vacancy?.title ?? "(zonder titel)",
            ),
        },
        { header: "Kandidaat", cell: (request) => shortId(request.profileId) },
        {
          header: "Werkgeversservicepunt",
          cell: (request) => request.labourMarketRegionName ?? "",
        },
        {
          header: "Status",
          cell: (request) =>
            statusBadge(
              STATUS_LABELS[request.status ?? ""] ?? "",
              STATUS_BADGE_KIND[request.status ?? ""],
            ),
        },
        { header: "Verstuurd", cell: (request) => formatTimestamp(request.createTime) },
        {
          header: "Laatste activiteit",
          cell: (request) => formatTimestamp(request.lastActivityTime),
        },
      ],
      requests,
    ),
  );
  main.append(
    h(
      "p",
      { class: "utrecht-paragraph vk-muted" },
      `${countOf(requests.length, "aanvraag", "aanvragen")}.`,
    ),
  );
}
