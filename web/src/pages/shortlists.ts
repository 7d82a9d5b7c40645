// Shortlists per vacancy for the WSP account manager, with a CSV export.

import { call, describeError, requestId } from "../api";
import { navigate, type PageContext } from "../router";
import {
  alertBox,
  button,
  downloadExport,
  h,
  link,
  panel,
  paragraph,
  table,
  textArea,
  textField,
  visuallyHidden,
} from "../dom";
import { formatTimestamp } from "../labels";
import type {
  ShortlistEntryJson as ShortlistEntry,
  ShortlistJson as Shortlist,
} from "../gen/verkenner/v1/shortlists_pb";
import { areaText, profileFacts, shortId } from "./profile-view";

export async function shortlistsPage({ main, params, setTitle }: PageContext): Promise<void> {
  const contactRequest = params.get("aanvraag") ?? "";
  setTitle(contactRequest ? "Shortlists voor een aanvraag" : "Shortlists");
  const reply = await call("ShortlistService", "ListShortlists", {
    contactRequest: contactRequest || undefined,
    pageSize: 100,
  });
  const shortlists = reply.shortlists ?? [];
  main.append(
    contactRequest
      ? paragraph(
          link(`/aanvraag?naam=${encodeURIComponent(contactRequest)}`, "Terug naar de aanvraag"),
        )
      : paragraph("Shortlists van uw regio: kandidaten die u voor een vacature op een rij zet."),
    shortlists.length === 0
      ? alertBox("info", "Nog geen shortlists.")
      : table(
          "Shortlists",
          [
            {
              header: "Titel",
              cell: (list: Shortlist) =>
                link(
                  `/wsp/shortlist?naam=${encodeURIComponent(list.name ?? "")}`,
                  list.title ?? "",
                ),
            },
            { header: "Kandidaten", numeric: true, cell: (list) => String(list.entryCount ?? 0) },
            { header: "Gemaakt door", cell: (list) => list.createdBy?.displayName ?? "" },
            { header: "Bijgewerkt", cell: (list) => formatTimestamp(list.updateTime) },
          ],
          shortlists,
        ),
    createForm(contactRequest),
  );
}

function createForm(contactRequest: string): HTMLElement {
  const message = h("div", { "aria-live": "polite" });
  const key = requestId();
  const form = h(
    "form",
    { novalidate: true },
    textField("title", {
      label: "Titel",
      description: "Bijvoorbeeld de vacature en de werkgever",
      attributes: { required: true, maxlength: 200 },
    }),
    textArea("vacancy", { label: "Vacaturetekst (optioneel)", attributes: { maxlength: 5000 } }),
    message,
    button("Shortlist maken", null, "primary"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const title = String(data.get("title") ?? "").trim();
    if (!title) {
      message.replaceChildren(alertBox("error", "Geef de shortlist een titel."));
      return;
    }
    try {
      const reply = await call("ShortlistService", "CreateShortlist", {
        requestId: key,
        title,
        vacancyText: String(data.get("vacancy") ?? ""),
        contactRequest: contactRequest || undefined,
      });
      navigate(`/wsp/shortlist?naam=${encodeURIComponent(reply.shortlist?.name ?? "")}`);
    } catch (error) {
      message.replaceChildren(alertBox("error", describeError(error)));
    }
  });
  return panel("nieuw-kop", "Nieuwe shortlist", form);
}

export async function shortlistPage({ main, params, setTitle }: PageContext): Promise<void> {
  const name = params.get("naam") ?? "";
  setTitle("Shortlist");
  const content = h("div", {});
  const message = h("div", { "aria-live": "polite" });
  main.append(paragraph(link("/wsp/shortlists", "Alle shortlists")), message, content);

  const render = (shortlist: Shortlist) => {
    setTitle(`Shortlist: ${shortlist.title ?? ""}`);
    const entries = shortlist.entries ?? [];
    content.replaceChildren(
      shortlist.vacancyText ? paragraph(shortlist.vacancyText) : "",
      shortlist.contactRequest
        ? paragraph(
            link(`/aanvraag?naam=${encodeURIComponent(shortlist.contactRequest)}`, "Bij aanvraag"),
          )
        : "",
      h(
        "div",
        { class: "vk-actions" },
        button(
          "Exporteren als CSV",
          async () => {
            try {
              downloadExport(await call("ShortlistService", "ExportShortlist", { name }));
              message.replaceChildren(
                alertBox("ok", "De export is gedownload. Het exporteren is vastgelegd."),
              );
            } catch (error) {
              message.replaceChildren(alertBox("error", describeError(error)));
            }
          },
          "secondary",
        ),
        link("/zoeken", "Kandidaten zoeken om toe te voegen"),
      ),
      entries.length === 0
        ? alertBox("info", "Nog geen kandidaten. Voeg ze toe vanaf een profiel.")
        : h(
            "ol",
            { class: "vk-cards" },
            entries.map((entry, index) => entryCard(entry, index, entries)),
          ),
    );
  };

  const change = async (
    method: "ReorderShortlistEntries" | "RemoveShortlistEntry",
    request: { profileIds: string[] } | { profileId: string },
  ) => {
    try {
      const reply = await call("ShortlistService", method, {
        name,
        ...request,
      });
      render(reply.shortlist ?? {});
    } catch (error) {
      message.replaceChildren(alertBox("error", describeError(error)));
    }
  };

  const entryCard = (entry: ShortlistEntry, index: number, entries: ShortlistEntry[]) => {
    const id = entry.profileId ?? "";
    const label = `kandidaat ${shortId(id)}`;
    const move = (offset: number) => {
      const order = entries.map((item) => item.profileId ?? "");
      [order[index], order[index + offset]] = [order[index + offset], order[index]];
      void change("ReorderShortlistEntries", { profileIds: order });
    };
    return h(
      "li",
      { class: "vk-card", "aria-label": label },
      h(
        "h2",
        { class: "utrecht-heading-3" },
        `${index + 1}. Kandidaat ${shortId(id)}${entry.profile ? ` · ${areaText(entry.profile)}` : ""}`,
      ),
      entry.profile
        ? profileFacts(entry.profile)
        : alertBox("warning", "Dit profiel is niet meer beschikbaar."),
      entry.note && paragraph(h("strong", {}, "Notitie: "), entry.note),
      h(
        "div",
        { class: "vk-actions" },
        entry.profile &&
          link(`/profiel?id=${encodeURIComponent(id)}`, [
            "Bekijk profiel",
            visuallyHidden(` van ${label}`),
          ]),
        index > 0 && button(["Omhoog", visuallyHidden(` ${label}`)], () => move(-1), "subtle"),
        index < entries.length - 1 &&
          button(["Omlaag", visuallyHidden(` ${label}`)], () => move(1), "subtle"),
        button(
          ["Verwijderen", visuallyHidden(` ${label}`)],
          () => void change("RemoveShortlistEntry", { profileId: id }),
          "subtle",
        ),
      ),
    );
  };

  const reply = await call("ShortlistService", "GetShortlist", { name });
  render(reply.shortlist ?? {});
}
