// One contact request. The employer follows it and can withdraw it; the WSP account manager
// claims it, moves its status with notes, and (audited) looks up who the candidate is.

import { call, describeError, requestId } from "../api";
import type { Account, PageContext } from "../router";
import {
  alertBox,
  button,
  dataList,
  h,
  link,
  panel,
  paragraph,
  replaceChildren,
  selectField,
  statusBadge,
  textArea,
} from "../dom";
import {
  ageInDays,
  formatDate,
  formatTimestamp,
  STATUS_BADGE_KIND,
  STATUS_LABELS,
  STATUS_ORDER,
} from "../labels";
import type {
  ContactRequestJson as ContactRequest,
  ContactRequestStatusJson as Status,
  NoteAudienceJson as NoteAudience,
} from "../gen/verkenner/v1/contact_requests_pb";
import { shortId } from "./profile-view";

const WSP = "ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER";
const FINAL_STATUSES = [
  "CONTACT_REQUEST_STATUS_PLACED",
  "CONTACT_REQUEST_STATUS_NOT_PLACED",
  "CONTACT_REQUEST_STATUS_WITHDRAWN",
];

export async function requestPage(context: PageContext): Promise<void> {
  const { main, params, setTitle } = context;
  const name = params.get("naam") ?? "";
  setTitle("Aanvraag");
  const reply = await call("ContactRequestService", "GetContactRequest", { name });
  const content = h("div", {});
  main.append(content);
  show(context, content, reply.contactRequest ?? {});
}

function show(context: PageContext, content: HTMLElement, request: ContactRequest): void {
  const { account, setTitle } = context;
  setTitle(`Aanvraag: ${request.vacancy?.title ?? "(zonder titel)"}`);
  const isWsp = account.role === WSP;
  const status = request.status ?? "";
  const update = (next: ContactRequest) => show(context, content, next);
  replaceChildren(
    content,
    paragraph(link(isWsp ? "/wsp/aanvragen" : "/aanvragen", "Terug naar de aanvragen")),
    h(
      "p",
      { class: "utrecht-paragraph" },
      statusBadge(STATUS_LABELS[status] ?? status, STATUS_BADGE_KIND[status]),
      request.overdue && " ",
      request.overdue && statusBadge("Over tijd", "danger"),
    ),
    dataList([
      [
        "Kandidaat",
        request.profileWithdrawn
          ? `${shortId(request.profileId)} (profiel niet meer beschikbaar)`
          : link(
              `/profiel?id=${encodeURIComponent(request.profileId ?? "")}`,
              `Kandidaat ${shortId(request.profileId)}`,
            ),
      ],
      ["Werkgever", request.employerOrganisationName ?? ""],
      [
        "Contactpersoon",
        [request.contactPerson?.name, request.contactPerson?.email, request.contactPerson?.phone]
          .filter(Boolean)
          .join(", "),
      ],
      ["Werkgeversservicepunt", request.labourMarketRegionName ?? ""],
      ["Vacature", request.vacancy?.text ?? ""],
      [
        "Uren per week",
        request.vacancy?.hours?.maxHours
          ? `${request.vacancy.hours.minHours ?? 0} tot ${request.vacancy.hours.maxHours}`
          : "niet opgegeven",
      ],
      ["Postcode werkplek", request.vacancy?.workplace?.postcode ?? "niet opgegeven"],
      ["Startdatum", formatDate(request.vacancy?.startDate) || "niet opgegeven"],
      ["Bericht", request.message || "geen"],
      [
        "Verstuurd",
        `${formatTimestamp(request.createTime)} (${ageInDays(request.createTime)} dagen geleden)`,
      ],
      ["Uiterlijk opgepakt", formatTimestamp(request.dueTime)],
      ["Behandelaar", request.assignedTo?.displayName ?? "nog niemand"],
    ]),
    notesSection(request),
    isWsp ? wspActions(account, request, update) : employerActions(request, update),
  );
}

function notesSection(request: ContactRequest): HTMLElement {
  const notes = request.notes ?? [];
  const history = request.statusHistory ?? [];
  return panel(
    "verloop-kop",
    "Verloop",
    history.length === 0 && notes.length === 0 && paragraph("Nog geen activiteit."),
    history.length > 0 &&
      h(
        "ul",
        { class: "vk-notes" },
        history.map((change) =>
          h(
            "li",
            {},
            `${formatTimestamp(change.changeTime)}: ${STATUS_LABELS[change.fromStatus ?? ""] ?? "—"} → `,
            `${STATUS_LABELS[change.toStatus ?? ""] ?? ""} (${change.actor?.displayName ?? ""})`,
          ),
        ),
      ),
    notes.length > 0 && h("h3", { class: "utrecht-heading-3" }, "Notities"),
    notes.length > 0 &&
      h(
        "ul",
        { class: "vk-notes" },
        notes.map((note) =>
          h(
            "li",
            {},
            h("p", { class: "utrecht-paragraph" }, note.text ?? ""),
            h(
              "p",
              { class: "utrecht-paragraph vk-muted" },
              `${note.author?.displayName ?? ""}, ${formatTimestamp(note.createTime)}`,
              note.audience === "NOTE_AUDIENCE_WSP_ONLY" ? " · alleen voor het WSP" : "",
            ),
          ),
        ),
      ),
  );
}

function employerActions(
  request: ContactRequest,
  update: (next: ContactRequest) => void,
): HTMLElement | null {
  if (FINAL_STATUSES.includes(request.status ?? "")) return null;
  const message = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { novalidate: true },
    textArea("reason", {
      label: "Reden van intrekken (optioneel)",
      attributes: { maxlength: 500 },
    }),
    message,
    button("Aanvraag intrekken", null, "secondary"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const reply = await call("ContactRequestService", "WithdrawContactRequest", {
        name: request.name,
        reason: String(new FormData(form).get("reason") ?? ""),
      });
      update(reply.contactRequest ?? {});
    } catch (error) {
      message.replaceChildren(alertBox("error", describeError(error)));
    }
  });
  return panel("intrekken-kop", "Intrekken", form);
}

function wspActions(
  account: Account,
  request: ContactRequest,
  update: (next: ContactRequest) => void,
): HTMLElement {
  const section = h("div", {});
  const message = h("div", { "aria-live": "polite" });
  const mine = request.assignedTo?.name === account.name;
  const finished = FINAL_STATUSES.includes(request.status ?? "");
  section.append(message);

  if (!mine && !finished) {
    section.append(
      panel(
        "oppakken-kop",
        "Oppakken",
        paragraph(
          request.assignedTo
            ? `${request.assignedTo.displayName} behandelt deze aanvraag. U kunt haar of hem vervangen.`
            : "Deze aanvraag heeft nog geen behandelaar.",
        ),
        button(
          request.assignedTo ? "Overnemen" : "Oppakken",
          async () => {
            try {
              const reply = await call("ContactRequestService", "ClaimContactRequest", {
                name: request.name,
                takeOver: Boolean(request.assignedTo),
              });
              update(reply.contactRequest ?? {});
            } catch (error) {
              message.replaceChildren(alertBox("error", describeError(error)));
            }
          },
          "primary",
        ),
      ),
    );
  }

  if (mine && !finished) section.append(statusForm(request, update, message));
  if (mine) section.append(identityPanel(request));
  section.append(
    paragraph(
      link(
        `/wsp/shortlists?aanvraag=${encodeURIComponent(request.name ?? "")}`,
        "Shortlists voor deze aanvraag",
      ),
    ),
  );
  return section;
}

function statusForm(
  request: ContactRequest,
  update: (next: ContactRequest) => void,
  message: HTMLElement,
): HTMLElement {
  const current = STATUS_ORDER.indexOf(request.status ?? "");
  const choices = STATUS_ORDER.filter(
    (status, index) => index > current && status !== "CONTACT_REQUEST_STATUS_WITHDRAWN",
  ).map((status): [string, string] => [status, STATUS_LABELS[status]]);
  let key = requestId();
  const form = h(
    "form",
    { novalidate: true },
    selectField("status", "Nieuwe status", [["", "Status niet wijzigen"], ...choices]),
    textArea("note", {
      label: "Notitie",
      description: "Geen persoonsgegevens van de kandidaat. Verplicht bij alleen een notitie.",
      attributes: { maxlength: 2000 },
    }),
    selectField("audience", "Wie mag de notitie lezen?", [
      ["NOTE_AUDIENCE_WSP_ONLY", "Alleen het Werkgeversservicepunt"],
      ["NOTE_AUDIENCE_WSP_AND_EMPLOYER", "Ook de werkgever"],
    ]),
    button("Opslaan", null, "primary"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    // The lists offer only the enums' own values.
    const status = String(data.get("status") ?? "") as Status | "";
    const note = String(data.get("note") ?? "").trim();
    const audience = String(data.get("audience")) as NoteAudience;
    if (!status && !note) {
      message.replaceChildren(alertBox("error", "Kies een nieuwe status of schrijf een notitie."));
      return;
    }
    try {
      const reply = status
        ? await call("ContactRequestService", "UpdateContactRequestStatus", {
            name: request.name,
            requestId: key,
            status,
            note,
            noteAudience: note ? audience : undefined,
          })
        : await call("ContactRequestService", "AddContactRequestNote", {
            name: request.name,
            requestId: key,
            text: note,
            audience,
          });
      key = requestId();
      update(reply.contactRequest ?? {});
      document.querySelector<HTMLElement>("main h1")?.focus();
    } catch (error) {
      message.replaceChildren(alertBox("error", describeError(error)));
    }
  });
  return panel("status-kop", "Status en notities", form);
}

// Looking up who a candidate is happens only with a stated purpose, and is logged.
function identityPanel(request: ContactRequest): HTMLElement {
  const result = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { novalidate: true },
    paragraph(
      "Om de kandidaat te benaderen kunt u opvragen bij welke gemeente of welk UWV-kantoor ",
      "de kandidaat bekend is, met het klantnummer. Dit wordt vastgelegd met uw naam en het doel.",
    ),
    textArea("purpose", {
      label: "Doel van het opvragen",
      description:
        "Tussen 10 en 500 tekens, bijvoorbeeld: kandidaat benaderen voor de vacature orderpicker.",
      attributes: { required: true, minlength: 10, maxlength: 500 },
    }),
    button("Identiteit opvragen", null, "secondary"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const purpose = String(new FormData(form).get("purpose") ?? "").trim();
    if (purpose.length < 10) {
      result.replaceChildren(alertBox("error", "Beschrijf het doel in ten minste 10 tekens."));
      return;
    }
    try {
      const reply = await call("IdentityService", "ResolveIdentity", {
        contactRequest: request.name,
        purpose,
      });
      form.remove();
      result.replaceChildren(
        h(
          "div",
          { class: "vk-identity" },
          dataList([
            ["Bekend bij", `${reply.sourceName ?? ""} (${reply.source ?? ""})`],
            ["Klantnummer", reply.clientNumber ?? ""],
            ["Vastgelegd onder", reply.auditId ?? ""],
          ]),
          paragraph(
            "Neem contact op met de klantmanager van deze organisatie. ",
            "Bewaar het klantnummer niet buiten het dossier.",
          ),
        ),
      );
    } catch (error) {
      result.replaceChildren(alertBox("error", describeError(error)));
    }
  });
  return panel("identiteit-kop", "Wie is de kandidaat?", form, result);
}
