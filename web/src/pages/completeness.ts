// How complete the source's active profiles are: per municipality, how many profiles miss each
// core field. Incomplete profiles stay findable, but rank lower and tell employers less.

import { call } from "../api";
import type { PageContext } from "../router";
import {
  alertBox,
  h,
  paragraph,
  replaceChildren,
  selectField,
  table,
  visuallyHidden,
} from "../dom";
import { CORE_FIELD_LABELS, count, formatNumber, formatPercent } from "../labels";

import type { MunicipalityCompletenessJson as MunicipalityCompleteness } from "../gen/verkenner/v1/profile_import_pb";

const FIELDS = Object.keys(CORE_FIELD_LABELS);

function missingOf(group: MunicipalityCompleteness, field: string): number {
  return count(group.missing?.find((entry) => entry.field === field)?.missingProfiles);
}

export async function completenessPage({ account, main, setTitle }: PageContext): Promise<void> {
  setTitle("Volledigheid van de profielen");
  main.append(
    paragraph(
      `Hoeveel actieve profielen van ${account.organisationName ?? "uw bron"} een kerngegeven missen, per `,
      "woongemeente. Vul deze gegevens aan in het bronsysteem: complete profielen worden beter gevonden.",
    ),
  );

  const reply = await call("ProfileImportService", "GetCompletenessStatistics");
  const municipalities = reply.municipalities ?? [];
  const total: MunicipalityCompleteness = {
    municipalityCode: "",
    municipalityName: "Alle gemeenten",
    activeProfiles: reply.activeProfiles,
    missing: reply.missing,
  };
  if (count(total.activeProfiles) === 0) {
    main.append(
      alertBox("info", "Uw bron heeft nog geen actieve profielen. Importeer eerst een bestand."),
    );
    return;
  }
  if (reply.kThreshold) {
    main.append(
      paragraph(
        `Gemeenten met minder dan ${reply.kThreshold} profielen van uw bron staan samen onder `,
        '"overige gemeenten", zodat niemand in een kleine groep herkenbaar wordt.',
      ),
    );
  }
  const groups = [total, ...municipalities];
  const chooser = selectField(
    "gemeente",
    "Gemeente in de grafiek",
    groups.map((group): [string, string] => [group.municipalityCode ?? "", nameOf(group)]),
  );
  const chart = h("figure", { class: "vk-chart" });
  const select = chooser.querySelector("select") as HTMLSelectElement;
  const draw = () => {
    const group =
      groups.find((candidate) => (candidate.municipalityCode ?? "") === select.value) ?? groups[0];
    drawChart(chart, group);
  };
  select.addEventListener("change", draw);
  main.append(chooser, chart);
  draw();
  main.append(
    table(
      "Profielen zonder dit gegeven, per gemeente",
      [
        { header: "Gemeente", cell: (group: MunicipalityCompleteness) => nameOf(group) },
        {
          header: "Actieve profielen",
          numeric: true,
          cell: (group) => formatNumber(group.activeProfiles),
        },
        ...FIELDS.map((field) => ({
          header: `Zonder ${CORE_FIELD_LABELS[field].toLowerCase()}`,
          numeric: true,
          cell: (group: MunicipalityCompleteness) => formatNumber(missingOf(group, field)),
        })),
      ],
      groups,
    ),
  );
}

function nameOf(group: MunicipalityCompleteness): string {
  return group.municipalityName || group.municipalityCode || "";
}

function drawChart(chart: HTMLElement, group: MunicipalityCompleteness): void {
  const active = count(group.activeProfiles);
  const captionId = "grafiek-bijschrift";
  replaceChildren(
    chart,
    h(
      "figcaption",
      { class: "utrecht-paragraph", id: captionId },
      h("strong", {}, `${nameOf(group)}: profielen zonder gegeven`),
      ` (van ${formatNumber(active)} actieve profielen)`,
    ),
    h(
      "div",
      { role: "list", "aria-labelledby": captionId },
      FIELDS.map((field) => {
        const missing = missingOf(group, field);
        const fraction = active > 0 ? missing / active : 0;
        const bar = h("span", { class: "vk-chart__bar" });
        bar.style.width = `${Math.round(fraction * 1000) / 10}%`;
        return h(
          "div",
          { class: "vk-chart__row", role: "listitem" },
          h("span", {}, CORE_FIELD_LABELS[field]),
          h("span", { class: "vk-chart__track", "aria-hidden": "true" }, bar),
          h(
            "span",
            { class: "vk-chart__value" },
            `${formatNumber(missing)}`,
            visuallyHidden(` profielen, ${formatPercent(fraction)}`),
          ),
        );
      }),
    ),
  );
}
