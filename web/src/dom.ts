// A small DOM builder: the app renders with plain elements, no framework, to stay within its
// 200 KB budget and to keep every element's role and label visible in one place.

import type { ExportRejectedRowsResponseJson } from "./gen/verkenner/v1/profile_import_pb";
import type { ExportShortlistResponseJson } from "./gen/verkenner/v1/shortlists_pb";

// The reply of an export method (ExportShortlist, ExportRejectedRows): a file, its content
// base64 as protobuf's JSON mapping writes bytes.
export type ExportedFile = ExportShortlistResponseJson | ExportRejectedRowsResponseJson;

type Child = Node | string | number | null | undefined | false | Child[];
type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "class") {
      element.className = String(value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else
      parent.appendChild(
        typeof child === "object" ? child : document.createTextNode(String(child)),
      );
  }
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let idCounter = 0;
export function uniqueId(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

// NL Design System (Utrecht) building blocks used on every page.

// Text for screen readers only, e.g. which candidate a repeated "Verwijderen" button is about.
export function visuallyHidden(text: string): HTMLSpanElement {
  return h("span", { class: "vk-visually-hidden" }, text);
}

export function paragraph(...children: Child[]): HTMLParagraphElement {
  return h("p", { class: "utrecht-paragraph" }, ...children);
}

export function link(href: string, text: Child, attributes: Attributes = {}): HTMLAnchorElement {
  return h("a", { class: "utrecht-link utrecht-link--html-a", href, ...attributes }, text);
}

export function button(
  text: Child,
  onClick: ((event: Event) => void) | null,
  kind: "primary" | "secondary" | "subtle" = "secondary",
  attributes: Attributes = {},
): HTMLButtonElement {
  return h(
    "button",
    {
      type: onClick ? "button" : "submit",
      class: `utrecht-button utrecht-button--${kind === "subtle" ? "subtle" : `${kind}-action`}`,
      onclick: onClick as EventListener | null,
      ...attributes,
    },
    text,
  );
}

export interface FieldOptions {
  label: string;
  description?: string;
  attributes?: Attributes;
}

// A label, an optional description tied to the control with aria-describedby, and the control.
function formField(
  kind: string,
  name: string,
  options: FieldOptions,
  control: (id: string, describedBy: string | null) => HTMLElement,
): HTMLDivElement {
  const id = uniqueId(name);
  const descriptionId = options.description ? `${id}-description` : null;
  return h(
    "div",
    { class: `utrecht-form-field utrecht-form-field--${kind}` },
    h(
      "div",
      { class: "utrecht-form-field__label" },
      h("label", { class: "utrecht-form-label", for: id }, options.label),
    ),
    descriptionId &&
      h("div", { class: "utrecht-form-field-description", id: descriptionId }, options.description),
    h("div", { class: "utrecht-form-field__input" }, control(id, descriptionId)),
  );
}

export function textField(name: string, options: FieldOptions): HTMLDivElement {
  return formField("text", name, options, (id, describedBy) =>
    h("input", {
      class: "utrecht-textbox utrecht-textbox--html-input",
      id,
      name,
      type: "text",
      "aria-describedby": describedBy,
      ...options.attributes,
    }),
  );
}

export function textArea(name: string, options: FieldOptions): HTMLDivElement {
  return formField("text", name, options, (id, describedBy) =>
    h("textarea", {
      class: "utrecht-textarea utrecht-textarea--html-textarea",
      id,
      name,
      rows: 4,
      "aria-describedby": describedBy,
      ...options.attributes,
    }),
  );
}

export function selectField(
  name: string,
  label: string,
  choices: Array<[string, string]>,
  selected = "",
): HTMLDivElement {
  return formField("select", name, { label }, (id) =>
    h(
      "select",
      { class: "utrecht-select utrecht-select--html-select", id, name },
      choices.map(([value, text]) => h("option", { value, selected: value === selected }, text)),
    ),
  );
}

export function checkbox(
  name: string,
  value: string,
  label: Child,
  checked = false,
): HTMLDivElement {
  // The input sits inside its label, so the whole text is a click target.
  return h(
    "div",
    { class: "utrecht-form-field utrecht-form-field--checkbox vk-check" },
    h(
      "label",
      { class: "utrecht-form-label utrecht-form-label--checkbox" },
      h("input", {
        class: "utrecht-checkbox utrecht-checkbox--html-input",
        type: "checkbox",
        name,
        value,
        checked,
      }),
      h("span", {}, label),
    ),
  );
}

export function fieldset(legend: string, ...children: Child[]): HTMLFieldSetElement {
  return h(
    "fieldset",
    { class: "utrecht-form-fieldset utrecht-form-fieldset--html-fieldset" },
    h(
      "legend",
      { class: "utrecht-form-fieldset__legend utrecht-form-fieldset__legend--html-legend" },
      legend,
    ),
    ...children,
  );
}

// A bordered section of a page with its own heading, named by that heading for screen readers.
export function panel(headingId: string, title: Child, ...children: Child[]): HTMLElement {
  return h(
    "section",
    { class: "vk-panel", "aria-labelledby": headingId },
    h("h2", { class: "utrecht-heading-2", id: headingId }, title),
    ...children,
  );
}

export type AlertKind = "info" | "ok" | "warning" | "error";

// Errors are announced with role=alert, other messages politely with role=status.
export function alertBox(kind: AlertKind, ...children: Child[]): HTMLDivElement {
  return h(
    "div",
    { class: `utrecht-alert utrecht-alert--${kind}`, role: kind === "error" ? "alert" : "status" },
    h(
      "div",
      { class: "utrecht-alert__content" },
      h("div", { class: "utrecht-alert__message" }, ...children),
    ),
  );
}

export function dataList(items: Array<[string, Child]>): HTMLDListElement {
  return h(
    "dl",
    { class: "utrecht-data-list utrecht-data-list--rows" },
    items.map(([key, value]) =>
      h(
        "div",
        { class: "utrecht-data-list__item" },
        h("dt", { class: "utrecht-data-list__item-key" }, key),
        h(
          "dd",
          { class: "utrecht-data-list__item-value utrecht-data-list__item-value--html-dd" },
          value,
        ),
      ),
    ),
  );
}

export function statusBadge(text: string, kind = "neutral"): HTMLSpanElement {
  return h("span", { class: `utrecht-status-badge utrecht-status-badge--${kind}` }, text);
}

export interface Column<T> {
  header: string;
  cell: (row: T) => Child;
  numeric?: boolean;
}

export function table<T>(caption: string, columns: Column<T>[], rows: T[]): HTMLDivElement {
  return h(
    "div",
    { class: "utrecht-table-container utrecht-table-container--overflow-inline" },
    h(
      "table",
      { class: "utrecht-table utrecht-table--html-table" },
      h("caption", { class: "utrecht-table__caption" }, caption),
      h(
        "thead",
        { class: "utrecht-table__header" },
        h(
          "tr",
          { class: "utrecht-table__row" },
          columns.map((column) =>
            h(
              "th",
              {
                class: `utrecht-table__header-cell${column.numeric ? " utrecht-table__header-cell--numeric-column" : ""}`,
                scope: "col",
              },
              column.header,
            ),
          ),
        ),
      ),
      h(
        "tbody",
        { class: "utrecht-table__body" },
        rows.map((row) =>
          h(
            "tr",
            { class: "utrecht-table__row" },
            columns.map((column) =>
              h(
                "td",
                {
                  class: `utrecht-table__cell${column.numeric ? " utrecht-table__cell--numeric-data" : ""}`,
                },
                column.cell(row),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

// Offers a file an export method returned (protobuf's JSON mapping sends bytes as base64).
export function downloadExport(reply: ExportedFile): void {
  const bytes = Uint8Array.from(atob(reply.content ?? ""), (char) => char.charCodeAt(0));
  downloadBlob(
    new Blob([bytes], { type: reply.contentType ?? "text/csv" }),
    reply.filename ?? "export.csv",
  );
}

// Offers a file to the browser's downloads.
function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const anchor = h("a", { href: url, download: filename });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
