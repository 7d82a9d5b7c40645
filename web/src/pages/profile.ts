// One anonymous profile in full (counts as a profile view), with what the caller can do with it:
// employers save it with a note or ask for contact; WSP account managers put it on a shortlist.

import { call, describeError, requestId } from "../api";
import type { PageContext } from "../router";
import {
  alertBox,
  button,
  dataList,
  h,
  link,
  panel,
  paragraph,
  selectField,
  textArea,
  textField,
} from "../dom";
import { dateFromInput, formatDate } from "../labels";
import type { ContactRequestVacancyJson as ContactRequestVacancy } from "../gen/verkenner/v1/contact_requests_pb";
import type { AnonymousProfileJson as AnonymousProfile } from "../gen/verkenner/v1/profile_pb";
import type { SavedProfileJson as SavedProfile } from "../gen/verkenner/v1/saved_profiles_pb";
import {
  checkVacancy,
  MAX_HOURS_PER_WEEK,
  REQUEST_TEXT_MAX_CHARS,
  REQUEST_VACANCY,
  type VacancyProblem,
} from "../vacancy";
import { areaText, confirmedText, profileDetails, shortId } from "./profile-view";

// What the contact request form asks to correct, per vacancy field (after "Vul nog in: ").
const VACANCY_PROBLEMS: Record<VacancyProblem, string> = {
  title: "de functietitel",
  text: `een kortere omschrijving van het werk (ten hoogste ${REQUEST_TEXT_MAX_CHARS.toLocaleString("nl-NL")} tekens)`,
  hours: `de uren per week (hele getallen tot en met ${MAX_HOURS_PER_WEEK})`,
  postcode: "de postcode van de werkplek",
};

export async function profilePage({ account, main, params, setTitle }: PageContext): Promise<void> {
  const profileId = params.get("id") ?? "";
  setTitle(`Kandidaat ${shortId(profileId)}`);
  main.append(paragraph(link("/zoeken", "Terug naar de zoekresultaten")));
  const reply = await call("CandidateSearchService", "GetProfile", {
    profileId,
  });
  const profile = reply.profile ?? {};
  setTitle(`Kandidaat ${shortId(profileId)} · ${areaText(profile)}`);
  main.append(
    h(
      "p",
      { class: "utrecht-paragraph vk-muted" },
      "Een anoniem profiel: naam, adres en BSN blijven bij de gemeente of het UWV.",
    ),
    dataList(profileDetails(profile)),
  );
  if (account.role === "ACCOUNT_ROLE_EMPLOYER") {
    main.append(await savePanel(profileId), contactPanel(profileId));
  } else if (account.role === "ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER") {
    main.append(await shortlistPanel(profileId), availabilityPanel(profileId, profile));
  }
}

async function savePanel(profileId: string): Promise<HTMLElement> {
  let saved: SavedProfile | null = null;
  try {
    saved =
      (
        await call("SavedProfileService", "GetSavedProfile", {
          profileId,
        })
      ).savedProfile ?? null;
  } catch {
    saved = null; // not saved yet
  }
  const message = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { novalidate: true },
    textArea("note", {
      label: "Notitie bij dit profiel",
      description:
        "Zichtbaar voor de collega's van uw organisatie. Schrijf geen persoonsgegevens op.",
      attributes: { maxlength: 2000 },
    }),
    message,
    button(saved ? "Notitie opslaan" : "Profiel bewaren", null, "secondary"),
  );
  const note = form.querySelector("textarea") as HTMLTextAreaElement;
  note.value = saved?.note ?? "";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await call("SavedProfileService", saved ? "UpdateSavedProfileNote" : "SaveProfile", {
        profileId,
        note: note.value.trim(),
      });
      saved = { profileId, note: note.value };
      (form.querySelector("button") as HTMLButtonElement).textContent = "Notitie opslaan";
      message.replaceChildren(
        alertBox(
          "ok",
          "Bewaard. U vindt het profiel terug onder ",
          link("/bewaard", "Bewaarde profielen"),
          ".",
        ),
      );
    } catch (error) {
      message.replaceChildren(alertBox("error", describeError(error)));
    }
  });
  return panel("bewaren-kop", saved ? "Bewaard profiel" : "Bewaren", form);
}

function contactPanel(profileId: string): HTMLElement {
  const message = h("div", { "aria-live": "polite" });
  // One idempotency key per form: sending twice after a lost answer creates one request.
  let key = requestId();
  const form = h(
    "form",
    { novalidate: true },
    paragraph(
      "Het Werkgeversservicepunt van de regio van deze kandidaat neemt uw aanvraag in ",
      "behandeling en benadert de kandidaat. U hoort binnen vijf werkdagen van hen.",
    ),
    textField("title", { label: "Functietitel", attributes: { required: true, maxlength: 200 } }),
    textArea("text", {
      label: "Wat houdt het werk in? (optioneel)",
      attributes: { maxlength: 4000 },
    }),
    h(
      "div",
      { class: "vk-inline-fields" },
      textField("hours_min", {
        label: "Uren per week, minimaal",
        attributes: { inputmode: "numeric", maxlength: 2, required: true },
      }),
      textField("hours_max", {
        label: "Uren per week, maximaal",
        attributes: { inputmode: "numeric", maxlength: 2, required: true },
      }),
    ),
    textField("postcode", {
      label: "Postcode werkplek",
      attributes: { maxlength: 7, autocomplete: "postal-code", required: true },
    }),
    textField("start", { label: "Gewenste startdatum", attributes: { type: "date" } }),
    textArea("message", {
      label: "Bericht aan het Werkgeversservicepunt",
      attributes: { maxlength: 2000 },
    }),
    textField("contact_name", {
      label: "Contactpersoon",
      attributes: { autocomplete: "name", required: true },
    }),
    textField("contact_email", {
      label: "E-mailadres contactpersoon",
      attributes: { type: "email", autocomplete: "email" },
    }),
    textField("contact_phone", {
      label: "Telefoonnummer contactpersoon",
      attributes: { type: "tel", autocomplete: "tel" },
    }),
    message,
    button("Contact aanvragen", null, "primary"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const value = (name: string) => String(data.get(name) ?? "").trim();
    const checked = checkVacancy(
      {
        title: value("title"),
        text: value("text"),
        postcode: value("postcode"),
        hoursMin: value("hours_min"),
        hoursMax: value("hours_max"),
      },
      REQUEST_VACANCY,
    );
    const problems = checked.problems.map((problem) => VACANCY_PROBLEMS[problem]);
    if (!value("contact_name")) problems.push("de naam van de contactpersoon");
    if (!value("contact_email") && !value("contact_phone"))
      problems.push("een e-mailadres of telefoonnummer");
    if (problems.length > 0) {
      message.replaceChildren(alertBox("error", `Vul nog in: ${problems.join(", ")}.`));
      return;
    }
    const vacancy: ContactRequestVacancy = {
      title: checked.title,
      text: checked.text,
      hours: checked.hours,
      workplace: { postcode: checked.postcode },
    };
    const start = dateFromInput(value("start"));
    if (start) vacancy.startDate = start;
    const submit = form.querySelector("button[type=submit]") as HTMLButtonElement;
    submit.disabled = true;
    try {
      const reply = await call("ContactRequestService", "CreateContactRequest", {
        requestId: key,
        profileId,
        vacancy,
        message: value("message"),
        contactPerson: {
          name: value("contact_name"),
          email: value("contact_email"),
          phone: value("contact_phone"),
        },
      });
      const created = reply.contactRequest ?? {};
      key = requestId();
      form.reset();
      message.replaceChildren(
        alertBox(
          "ok",
          `Uw aanvraag is verstuurd naar het Werkgeversservicepunt ${created.labourMarketRegionName ?? ""}. `,
          link(`/aanvraag?naam=${encodeURIComponent(created.name ?? "")}`, "Bekijk de aanvraag"),
        ),
      );
    } catch (error) {
      message.replaceChildren(alertBox("error", describeError(error)));
    } finally {
      submit.disabled = false;
    }
  });
  return panel("contact-kop", "Contact aanvragen", form);
}

// The WSP confirms with the candidate that the availability still holds.
function availabilityPanel(profileId: string, profile: AnonymousProfile): HTMLElement {
  const message = h("div", { "aria-live": "polite" });
  const confirm = button(
    "Beschikbaarheid bevestigd",
    async () => {
      try {
        const reply = await call("CandidateRightsService", "ConfirmAvailability", { profileId });
        confirm.remove();
        message.replaceChildren(
          alertBox(
            "ok",
            `Vastgelegd: beschikbaarheid bevestigd op ${formatDate(reply.availabilityConfirmedOn)}.`,
          ),
        );
      } catch (error) {
        message.replaceChildren(alertBox("error", describeError(error)));
      }
    },
    "secondary",
  );
  return panel(
    "beschikbaarheid-kop",
    "Beschikbaarheid",
    paragraph(
      `Laatst bevestigd: ${confirmedText(profile)}. Heeft u met de kandidaat besproken dat de `,
      "uren, dagen en startdatum nog kloppen? Leg dat dan vast.",
    ),
    confirm,
    message,
  );
}

async function shortlistPanel(profileId: string): Promise<HTMLElement> {
  const section = panel("shortlist-kop", "Op een shortlist zetten");
  const reply = await call("ShortlistService", "ListShortlists", {
    pageSize: 100,
  });
  const shortlists = reply.shortlists ?? [];
  if (shortlists.length === 0) {
    section.append(
      paragraph("Er zijn nog geen shortlists. ", link("/wsp/shortlists", "Maak een shortlist")),
    );
    return section;
  }
  const message = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { novalidate: true },
    selectField(
      "shortlist",
      "Shortlist",
      shortlists.map((list) => [list.name ?? "", list.title ?? ""]),
    ),
    textField("note", { label: "Notitie", attributes: { maxlength: 2000 } }),
    message,
    button("Toevoegen", null, "secondary"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const name = String(data.get("shortlist"));
    try {
      await call("ShortlistService", "AddShortlistEntry", {
        name,
        profileId,
        note: String(data.get("note") ?? ""),
      });
      message.replaceChildren(
        alertBox(
          "ok",
          "Toegevoegd. ",
          link(`/wsp/shortlist?naam=${encodeURIComponent(name)}`, "Bekijk de shortlist"),
        ),
      );
    } catch (error) {
      message.replaceChildren(alertBox("error", describeError(error)));
    }
  });
  section.append(form);
  return section;
}
