// Lifecycle analyses page, part 3: what a result says about itself, in the page's language — a
// sensitivity's base sample size (and that it was rounded up), the correlated groups analysed as
// independent and a warning when the indices are unstable; an uncertainty study's comparisons of
// scenarios (P(B beats A) with ties counted as half, and P(equal)). Each kind of note has its own
// message, chosen from the result's fields (the service's own English notes are the tooltip). And
// the tables' cells of a yen amount (decided by the unit of their column or row): on a Japanese
// page in 万/億/兆 ("3,993億") with the exact amount as their title, the amount as their data-value; a negative
// one after the charts' minus sign ("−3,993億"). Every figure of a table is its cell's data-value (table_sort.js
// `valued`), by which a click on its column's heading sorts the rows.
import { $, fmt, fmtPct, t } from "./core.js";
import { isYenUnit } from "./chart_axes.js";
import { sortableTable, valued } from "./table_sort.js";
import { yenCell, yenExact, yenFigure, yenRounded } from "./yen.js";

/** The notes box under the line about the result: one line a note, `warn` lines marked as warnings;
 * hidden when there are none. `said` (the service's notes, in English) is its tooltip. */
function showNotes(lines, said = []) {
  let box = $("#an-notes");
  if (!box) {
    box = Object.assign(document.createElement("ul"), { id: "an-notes", className: "an-notes" });
    $("#an-about").after(box);
  }
  box.hidden = !lines.length;
  box.title = said.join("\n");
  box.replaceChildren(...lines.map(({ kind, text, warn }) => {
    const li = Object.assign(document.createElement("li"), { textContent: text });
    li.dataset.note = kind;
    if (warn) { li.setAttribute("role", "alert"); li.style.fontWeight = "bold"; }
    return li;
  }));
}

/** A sensitivity's notes: the base sample size used (rounded up from the one asked for, where it
 * was), each correlated group analysed as independent, and the outputs whose indices are unstable
 * (`label` names an output in words). */
function sensitivityNotes(r, label) {
  const lines = [];
  if (typeof r.n === "number" && r.n > 0) {
    const rounded = typeof r.n_requested === "number" && r.n_requested !== r.n;
    lines.push({ kind: rounded ? "n-rounded" : "n", text: t(rounded ? "an.note.nRounded" : "an.note.n",
      { n: fmt(r.n), requested: fmt(r.n_requested), evaluations: fmt(r.evaluations) }) });
  }
  for (const g of r.correlated_groups || []) {
    lines.push({ kind: "correlated", text: t("an.note.correlated", { group: g.group, correlation: fmt(g.correlation),
      parameters: (g.parameters || []).join(", ") }) });
  }
  const shaky = r.unstable || [];  // the service's rule and limit (gsa.py UNSTABLE, an assumption)
  if (shaky.length) {
    lines.push({ kind: "unstable", warn: true, text: t(r.method === "morris" ? "an.note.unstableMorris" : "an.note.unstable",
      { outputs: shaky.map(label).join(t("an.outputSep")), limit: fmt(r.unstable_limit) }) });
  }
  showNotes(lines, r.notes || []);
}

const finite = (v) => typeof v === "number" && Number.isFinite(v);

/** Yen amounts `vs` (numbers) joined by `sep` and followed by `after` as a table cell says them: on a
 * Japanese page in 万/億/兆 ("3,993億 – 4,106億", "1,822億 ± 147.2億"), the exact amounts as the title
 * where one is rounded (English: every digit, no title); the first amount as the data-value, by which
 * the table can be ordered (its text "1.2兆" before "3,993億" would not order it). */
function yenSpan(vs, sep = "", after = "") {
  let span = vs.length === 1 && !after ? yenCell(vs[0]) : null;
  if (!(span instanceof Node)) {
    span = document.createElement("span");
    span.textContent = vs.map(yenFigure).join(sep) + after;
    if (vs.some(yenRounded)) span.title = vs.map(yenExact).join(sep) + after;
  }
  span.dataset.value = String(vs[0]);
  return span;
}

/** A table cell of figure `v` in unit `unit` as shown ("JPY", "円/kg", "t"): a yen amount as `yenSpan`
 * says it, any other figure (or none) as `plain` writes it; `v` its value. */
const amountCell = (v, unit, plain = fmt) => (isYenUnit(unit) && finite(v) ? yenSpan([v]) : valued(v, plain(v)));

/** A range "lo – hi" of figures in unit `unit` (yen as `yenSpan` says them), `after` following it; `lo` its value. */
const rangeCell = (lo, hi, unit, plain = fmt, after = "") => (isYenUnit(unit) && finite(lo) && finite(hi)
  ? yenSpan([lo, hi], " – ", after) : valued(lo, `${plain(lo)} – ${plain(hi)}${after}`));

/** An index with its 95 % confidence half-width ("0.297 ± 0.391"); the value alone without one; in yen
 * (`unit`) as `yenSpan` says them ("1,822億 ± 147.2億"); `v` its value. */
const withConf = (v, c, unit = "") => (finite(c) ? isYenUnit(unit) && finite(v) ? yenSpan([v, c], " ± ")
  : valued(v, `${fmt(v)} ± ${fmt(c)}`) : amountCell(v, unit));

/** An uncertainty study's comparisons of figure `key` of section `sec` ("totals", "headline"): one
 * row a pair of scenarios with P(B beats A) (a headline figure: P(B greater than A)), ties counted as
 * half, and P(equal); the heads, rows and the note on ties. Null when the result has none. */
function comparisonTable(r, sec, key) {
  const head = sec === "headline";
  const [pk, ek] = head ? ["p_b_greater_headline", "p_equal_headline"] : ["p_b_beats_a", "p_equal"];
  const rows = (r.comparisons || []).filter((c) => c[pk] && key in c[pk])
    .map((c) => [c.a, c.b, valued(c[pk][key], fmtPct(c[pk][key])), valued((c[ek] || {})[key], fmtPct((c[ek] || {})[key]))]);
  if (!rows.length) return null;
  const lower = (r.lower_is_better || []).includes(key);
  const p = head ? t("an.col.pGreater") : t(lower ? "an.col.pBeatsLess" : "an.col.pBeatsMore");
  return { heads: [t("an.col.scenarioA"), t("an.col.scenarioB"), p, t("an.col.pEqual")], rows };
}

/** An uncertainty study's notes: on ties where it compares scenarios, and the figures some runs leave
 * undefined (`undefined`: their percentiles are over the runs that define them); `name` says a figure. */
function uncertaintyNotes(r, name = (k) => k) {
  const lines = (r.comparisons || []).length ? [{ kind: "ties", text: t("an.note.ties") }] : [];
  const gaps = r.undefined || [];
  if (gaps.length) {
    const one = (u) => t("an.note.undefinedOne", { scenario: u.scenario, figure: `${String(u.section).startsWith("actor:")
      ? `${u.section.slice(6)}: ` : ""}${name(u.figure)}`, defined: fmt(u.n_defined), runs: fmt(u.runs) });
    lines.push({ kind: "undefined", warn: true, text: t("an.note.undefined", { n: fmt(gaps.length), list: gaps.map(one).join(t("val.listSep")) }) });
  }
  showNotes(lines, r.comparison_ties ? [r.comparison_ties] : []);
}

/** Chart `chartId` described by the element `tableId` (the table of the numbers it draws). */
function describe(chartId, tableId) {
  const chart = document.getElementById(chartId);
  if (chart) chart.setAttribute("aria-describedby", tableId);
}

/** The numbers chart `chartId` draws, as a table right under it (folded: "Values in the chart"), which
 * describes the chart to a screen reader; hidden, and the chart undescribed, when `rows` is null. */
function chartTable(chartId, heads, rows = null, num = [], data = []) {
  const chart = document.getElementById(chartId), id = `${chartId}-values`;
  let box = document.getElementById(id);
  if (rows === null || !chart) {
    if (box) box.hidden = true;
    if (chart) chart.removeAttribute("aria-describedby");
    return;
  }
  if (!box) {
    box = Object.assign(document.createElement("details"), { id, className: "chart-values" });
    box.append(document.createElement("summary"), Object.assign(document.createElement("table"), { id: `${id}-table` }));
    chart.after(box);
  }
  box.hidden = false;
  box.firstChild.textContent = t("an.chartValues");
  sortableTable(box.lastChild, heads, rows, num, data);
  describe(chartId, `${id}-table`);
}

export { amountCell, chartTable, comparisonTable, describe, rangeCell, sensitivityNotes, showNotes, uncertaintyNotes, withConf };
