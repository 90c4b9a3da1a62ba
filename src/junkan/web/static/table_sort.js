// Tables sorted by their column headings. Each heading of a table whose body has more than one row holds a
// button (named by the heading, its title "Sort by …" in the page's language): a click, or Enter or Space,
// sorts the rows by that column, ascending, then descending, and the heading says which (aria-sort). A
// column of figures (cells with a data-value, their own or their content's) sorts by those numbers: "1.2兆"
// after "3,993億", "10" after "9"; any other column by its text as the page's language orders it
// (Intl.Collator). A row without a value ("–", not in this scenario, no figure) goes last either way.
// A table made again (another figure, another language) keeps its order when its columns stay as many.
import { richTable, state, t } from "./core.js";

const VALUE = Symbol("value");

/** A cell for `sortableTable`: `shown` (text or node) sorted by the number `value` (its cell's data-value;
 * none when `value` is no finite number). In a template literal it says `shown`. */
const valued = (value, shown) => ({ [VALUE]: value, shown, toString: () => String(shown) });
const isValued = (c) => c !== null && typeof c === "object" && VALUE in c;

/** The number cell `td` sorts by (its data-value, or its content's), or null when it has none. */
function numberOf(td) {
  const raw = td.dataset.value ?? (td.querySelector("[data-value]") || { dataset: {} }).dataset.value;
  const v = raw === undefined || raw === "" ? NaN : Number(raw);
  return Number.isFinite(v) ? v : null;
}

/** The text cell `td` sorts by, or null when it says nothing ("", "–"). */
function textOf(td) {
  const s = td.textContent.trim();
  return s === "" || s === "–" ? null : s;
}

/** Sort the body of `table` by column `col` in the order `dir` ("ascending" | "descending"); rows equal in it
 * keep their order. */
function sortRows(table, col, dir) {
  const body = table.tBodies[0];
  const rows = [...body.rows];
  const cells = rows.map((r) => r.cells[col]);
  const numeric = cells.some((td) => td && numberOf(td) !== null);
  const key = (td) => (!td ? null : numeric ? numberOf(td) : textOf(td));
  const collator = new Intl.Collator(state.lang, { numeric: true });
  const keyed = rows.map((r, i) => ({ r, i, k: key(cells[i]) }));
  const sign = dir === "descending" ? -1 : 1;
  keyed.sort((a, b) => {
    if (a.k === null || b.k === null) return (a.k === null) - (b.k === null) || a.i - b.i;  // none: last
    return sign * (numeric ? a.k - b.k : collator.compare(a.k, b.k)) || a.i - b.i;
  });
  body.append(...keyed.map((x) => x.r));
}

/** Mark the headings of `table`: column `col` sorted `dir`, the others not; the rows sorted so. */
function sortBy(table, col, dir) {
  [...table.tHead.rows[0].cells].forEach((th, i) => th.setAttribute("aria-sort", i === col ? dir : "none"));
  sortRows(table, col, dir);
  table.sortedBy = { col, dir, n: table.tHead.rows[0].cells.length };
}

/** Make the headings of `table` sort it (see the top of this module) when its body has more than one row; a table
 * sorted before, with as many columns, sorted so again. */
function sortable(table) {
  const head = table.tHead && table.tHead.rows[0];
  if (!head || !table.tBodies[0] || table.tBodies[0].rows.length < 2) return table;
  [...head.cells].forEach((th, col) => {
    if (th.querySelector(":scope > button.th-sort")) return;
    const label = th.textContent;
    const button = Object.assign(document.createElement("button"), { type: "button", className: "th-sort",
      textContent: label, title: t("table.sortBy", { column: label }) });
    button.addEventListener("click", () => sortBy(table, col, th.getAttribute("aria-sort") === "ascending"
      ? "descending" : "ascending"));
    th.replaceChildren(button);
    th.setAttribute("aria-sort", "none");
  });
  const was = table.sortedBy;
  if (was && was.n === head.cells.length) sortBy(table, was.col, was.dir);
  return table;
}

/** `richTable` (core.js) whose cells may be `valued` (their number the cell's data-value), its headings sorting it
 * (`sortable`). */
function sortableTable(el, heads, rows, num = [], data = []) {
  richTable(el, heads, rows.map((r) => r.map((c) => (isValued(c) ? c.shown : c))), num, data);
  const trs = el.tBodies[0].rows;
  rows.forEach((r, i) => r.forEach((c, j) => {
    if (isValued(c) && typeof c[VALUE] === "number" && Number.isFinite(c[VALUE])) trs[i].cells[j].dataset.value = String(c[VALUE]);
  }));
  return sortable(el);
}

export { sortable, sortableTable, valued };
