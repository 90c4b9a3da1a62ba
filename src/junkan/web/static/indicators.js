// Indicator catalogue page: the 45 base indicators (names in both languages, level), a chart of the
// IN/OUT relations of a chosen representative indicator (#1–#5), and the whole relation grid as a table.
import { $, api, plot, problemOf, richTable, show, showProblem, state, t } from "./core.js";
import { measurer, wrapText } from "./wrap.js";

const ic = { doc: null };
const REL_COLOUR = { IN: "#1f618d", OUT: "#b9770e", none: "#d5d8dc", unknown: "#f5f5f5" };

async function showIndicators() {
  show("indicators");
  if (!ic.doc) {
    const res = await api("/api/indicators/catalogue");
    if (!res.ok) { showProblem("#ic-errors", await problemOf(res)); return; }
    ic.doc = await res.json();
    const levels = [...new Set(ic.doc.indicators.map((e) => e.level))];
    $("#ic-level").replaceChildren($("#ic-level").options[0], ...levels.map((l) => Object.assign(
      document.createElement("option"), { value: l })));
  }
  drawIndicators();
}

const nameOf = (e) => (state.lang === "ja" ? e.ja : e.en);
const levelName = (l) => t(`ic.level.${l}`, {}, l);

/** A representative indicator's relations: its drivers (IN) on the left, what it affects (OUT) on the right. */
function drawGraph(rep) {
  const byNo = Object.fromEntries(ic.doc.indicators.map((e) => [e.number, e]));
  const rel = ic.doc.relations[String(rep)] || {};
  const side = (kind) => Object.entries(rel).filter(([, v]) => v === kind).map(([k]) => byNo[Number(k)]);
  const ins = side("IN"), outs = side("OUT");
  const ypos = (list, i) => (list.length <= 1 ? 0.5 : 1 - i / (list.length - 1));
  const label = (e) => `#${e.number} ${nameOf(e)}`;
  // each side's names wrapped to its room (0.36 of the plot, margins 60 + 20): at 800 px they ran out of the chart
  const width = ($("#ic-graph").clientWidth || 800) - 80, room = 0.36 * width - 14, measure = measurer(11);
  const sideLabel = (e) => wrapText(label(e), room, measure);
  const lines = (list) => list.reduce((n, e) => n + sideLabel(e).split("<br>").length, 0);
  const traces = [];
  const edges = (list, x, kind) => list.forEach((e, i) => traces.push({ x: [x, 0.5], y: [ypos(list, i), 0.5], mode: "lines",
    line: { color: REL_COLOUR[kind], width: 1.5 }, hoverinfo: "skip", showlegend: false }));
  edges(ins, 0.36, "IN"); edges(outs, 0.64, "OUT");
  const nodes = (list, x, kind, pos) => ({ x: list.map(() => x), y: list.map((e, i) => ypos(list, i)), mode: "markers+text",
    name: t(`ic.rel.${kind}`), text: list.map(sideLabel), hovertext: list.map(label), textposition: pos, hoverinfo: "text",
    marker: { size: 10, color: REL_COLOUR[kind] }, textfont: { size: 11 } });
  traces.push(nodes(ins, 0.36, "IN", "middle left"), nodes(outs, 0.64, "OUT", "middle right"));
  traces.push({ x: [0.5], y: [0.5], mode: "markers", name: t("ic.representative"), text: [label(byNo[rep])],
    marker: { size: 18, color: "#922b21", symbol: "diamond" }, hoverinfo: "text" });
  const rows = Math.max(ins.length, outs.length, 4), tall = Math.max(lines(ins), lines(outs));
  plot("ic-graph", traces, { title: t("ic.graphTitle", { rep: label(byNo[rep]), nin: ins.length, nout: outs.length }),
    height: Math.min(1400, 160 + Math.max(rows * 26, tall * 16 + rows * 10)),
    xaxis: { title: t("ic.axisSides"), range: [0, 1], showticklabels: false, showgrid: false, zeroline: false },
    yaxis: { title: t("ic.axisList"), showticklabels: false, showgrid: false, zeroline: false, range: [-0.05, 1.08] },
    // the representative's name above it, within the strip between the two sides' names
    annotations: [{ x: 0.5, y: 0.5, text: wrapText(label(byNo[rep]), 0.28 * width - 16, measurer(13)), showarrow: false,
      yanchor: "bottom", yshift: 12, bgcolor: "rgba(255,255,255,0.9)", font: { size: 13 } }],
    legend: { orientation: "h", y: -0.12, yanchor: "top" }, plot_bgcolor: "white" });
}

function drawIndicators() {
  const doc = ic.doc; if (!doc) return;
  // the source is data (as the data file writes it): marked as such inside the translated message
  const [before, after] = t("ic.source", { source: "\u0000", read: doc.read }).split("\u0000");
  $("#ic-source").replaceChildren(before, Object.assign(document.createElement("span"), { className: "data", textContent: doc.source }), after);
  $("#ic-relnote").textContent = `${t("ic.relNote")} ${t("ic.cellKey")}`;
  const sel = $("#ic-rep"), chosen = Number(sel.value || 3);
  sel.replaceChildren(...doc.indicators.filter((e) => e.representative).map((e) => Object.assign(
    document.createElement("option"), { value: String(e.number), textContent: `#${e.number} ${nameOf(e)}`, selected: e.number === chosen })));
  for (const o of $("#ic-level").options) if (o.value) o.textContent = levelName(o.value);
  drawGraph(chosen);
  const level = $("#ic-level").value, q = $("#ic-q").value.trim().toLowerCase();
  const reps = doc.indicators.filter((e) => e.representative);
  const shown = doc.indicators.filter((e) => (!level || e.level === level)
    && (!q || e.en.toLowerCase().includes(q) || e.ja.includes(q) || String(e.number) === q));
  const relCell = (rep, e) => {
    const v = (doc.relations[String(rep.number)] || {})[String(e.number)];
    return v ? t(`ic.cell.${v}`, {}, v) : "";
  };
  richTable($("#ic-table"), ["#", t("ic.name"), t("ic.otherName"), t("ic.level"),
    ...reps.map((r) => t("ic.relTo", { n: r.number })), t("ic.note")],
  shown.map((e) => [String(e.number), nameOf(e), state.lang === "ja" ? e.en : e.ja,
    levelName(e.level) + (e.level_inferred ? ` (${t("ic.inferred")})` : ""), ...reps.map((r) => relCell(r, e)), e.note || ""]), [0], [2, 9]);
  $("#ic-table").setAttribute("aria-label", t("ic.tableLabel", { n: shown.length }));
}

for (const id of ["#ic-rep", "#ic-level"]) $(id).addEventListener("change", drawIndicators);
$("#ic-q").addEventListener("input", drawIndicators);
$("#ic-form").addEventListener("submit", (ev) => { ev.preventDefault(); drawIndicators(); });

export { showIndicators, drawIndicators };
