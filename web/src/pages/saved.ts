// The organisation's saved profiles, with their notes.

import { call, describeError } from "../api";
import type { PageContext } from "../router";
import { alertBox, button, h, link, paragraph, visuallyHidden } from "../dom";
import { formatTimestamp } from "../labels";
import { areaText, profileFacts, shortId } from "./profile-view";

export async function savedPage({ main, setTitle }: PageContext): Promise<void> {
  setTitle("Bewaarde profielen");
  main.append(paragraph("Profielen die u of uw collega's hebben bewaard, met hun notities."));
  const reply = await call("SavedProfileService", "ListSavedProfiles", { pageSize: 100 });
  const saved = reply.savedProfiles ?? [];
  if (saved.length === 0) {
    main.append(
      alertBox("info", "U heeft nog geen profielen bewaard. ", link("/zoeken", "Zoek kandidaten")),
    );
    return;
  }
  const status = h("div", { "aria-live": "polite" });
  const list = h("ul", { class: "vk-cards" });
  main.append(status, list);
  for (const entry of saved) {
    const id = entry.profileId ?? "";
    const titleId = `bewaard-${id}`;
    const item = h(
      "li",
      { class: "vk-card", "aria-labelledby": titleId },
      h(
        "h2",
        { class: "utrecht-heading-3", id: titleId },
        entry.profile
          ? `Kandidaat ${shortId(id)} · ${areaText(entry.profile)}`
          : `Kandidaat ${shortId(id)}`,
      ),
      entry.profile
        ? profileFacts(entry.profile)
        : alertBox(
            "warning",
            "Dit profiel is niet meer beschikbaar: de kandidaat staat niet meer in Verkenner.",
          ),
      entry.note && paragraph(h("strong", {}, "Notitie: "), entry.note),
      h(
        "p",
        { class: "utrecht-paragraph vk-muted" },
        `Bewaard door ${entry.savedBy?.displayName ?? "onbekend"} op ${formatTimestamp(entry.createTime)}`,
      ),
      h(
        "div",
        { class: "vk-actions" },
        entry.profile &&
          link(`/profiel?id=${encodeURIComponent(id)}`, [
            "Bekijk profiel",
            visuallyHidden(` van kandidaat ${shortId(id)}`),
          ]),
        button(
          ["Verwijderen", visuallyHidden(` kandidaat ${shortId(id)}`)],
          async () => {
            try {
              await call("SavedProfileService", "DeleteSavedProfile", { profileId: id });
              item.remove();
              status.replaceChildren(
                alertBox("ok", `Kandidaat ${shortId(id)} is niet meer bewaard.`),
              );
            } catch (error) {
              status.replaceChildren(alertBox("error", describeError(error)));
            }
          },
          "subtle",
        ),
      ),
    );
    list.append(item);
  }
}
