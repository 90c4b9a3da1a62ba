// A run's results (cards, series, Sankey, indicators, downloads), the comparison, and the value network.
import { $, editsText, fmt, fmtKey, fmtPct, fmtTime, formulaText, indicatorValue, plot, state, t, translated } from "./core.js";
import { placeColumns } from "./wrap.js";
import { yen, yenExact } from "./yen.js";

// ---- the value network: the baseline's mass flows as widths, colours by kind with a legend -----
const KIND_COLOUR = { material: "#8d6e63", part: "#42a5f5", product: "#0b6e4f", stage: "#7e57c2", end: "#c0392b",
  market: "#f39c12", input: "#5d6d7e", stock: "#95a5a6" };
const END = /^(landfill|energy_recovery|export|incineration)$/i;

/** The kind of a node for colours: material, part, product, stage, or an end (disposal), a market. */
function nodeKind(n) {
  if (n.kind !== "stage") return n.kind;
  return END.test(n.label) ? "end" : /market/i.test(n.label) ? "market" : "stage";
}

/** The flow-table name of a graph node: stages without their "(re-supplied)"/"(recovered)"
 * column suffix; a product is made in Manufacturing. */
const flowName = (id, node) => (node.kind === "product" ? "Manufacturing"
  : id.replace(/^stage:/, "").replace(/ \((re-supplied|recovered)\)$/, ""));

/** A stage's name in the current language: the engine's own stages are translated (with their
 * "(re-supplied)", "(recovered)" and "(use)" suffixes); a model's process titles stay as written. */
function stageLabel(label) {
  const held = label.match(/^Held at end of horizon \((.+)\)$/);
  if (held) {
    const key = Object.keys(state.msg).find((k) => k.startsWith("stage.") && k.slice(6).toLowerCase() === held[1]);
    return t("stage.heldIn", { stage: key ? state.msg[key] : held[1] });
  }
  const m = label.match(/^(.*?)( \((re-supplied|recovered)\))?$/);
  const base = t(`stage.${m[1]}`, {}, m[1]);
  return m[3] ? `${base} ${t(`stage.suffix.${m[3]}`)}` : base;
}

function legend(el, kinds) {
  el.replaceChildren(...kinds.map(([kind, label]) => {
    const li = document.createElement("li");
    const sw = document.createElement("span"); sw.className = "swatch"; sw.style.background = KIND_COLOUR[kind] || kind;
    li.append(sw, label); return li;
  }));
}

let lastGraph = null;  // the value network drawn last, drawn again when the chart's width changes
const laidOut = {};  // the box width each flow chart's names were wrapped and its columns placed for

/** More parts or products than this in one column of the value network are drawn as one node: a column of
 * 2,000 parts left each a fraction of a pixel, and plotly took seconds to draw them. */
const MANY_NODES = 60;

/** The value network with each crowded column of parts or products merged into one node (its links merged:
 * one per source, target and kind), and how many of each kind were merged. */
function merged(graph) {
  const columns = new Map();
  for (const n of graph.nodes) {
    if (n.kind !== "part" && n.kind !== "product") continue;
    const key = `${n.kind}@${n.x}`; if (!columns.has(key)) columns.set(key, []); columns.get(key).push(n);
  }
  const into = new Map(), counts = { part: 0, product: 0 }, added = [];
  for (const [key, members] of columns) {
    if (members.length <= MANY_NODES) continue;
    const kind = members[0].kind;
    const node = { id: `${kind}:*${key}`, kind, x: members[0].x, y: 0.5, label: t(`net.many.${kind}`, { n: fmt(members.length) }) };
    members.forEach((m) => into.set(m.id, node)); counts[kind] += members.length; added.push(node);
  }
  if (!into.size) return { graph, counts };
  const seen = new Set(), edges = [], id = (x) => (into.has(x) ? into.get(x).id : x);
  for (const e of graph.edges) {
    const source = id(e.source), target = id(e.target), key = `${source}\u0000${target}\u0000${e.kind}`;
    if (source !== target && !seen.has(key)) { seen.add(key); edges.push({ ...e, source, target }); }
  }
  return { graph: { nodes: [...graph.nodes.filter((n) => !into.has(n.id)), ...added], edges }, counts };
}

function drawNetwork(full) {
  lastGraph = full;
  const { graph, counts } = merged(full);
  const note = $("#network-note");
  note.hidden = !(counts.part || counts.product);
  const what = ["part", "product"].filter((k) => counts[k]).map((k) => t(`net.many.${k}`, { n: fmt(counts[k]) }));
  note.textContent = note.hidden ? "" : t("net.merged", { what: new Intl.ListFormat(state.lang).format(what), max: MANY_NODES });
  const flows = state.flows;
  const byId = Object.fromEntries(graph.nodes.map((n) => [n.id, n]));
  const mass = (e) => (flows ? flows.total[`${flowName(e.source, byId[e.source])}→${flowName(e.target, byId[e.target])}`] || 0 : 0);
  const top = Math.max(...graph.edges.map(mass), 1);
  const thin = top * 0.004;  // links without a mass (the BOM, flows of 0 t): drawn thin, grey
  const edges = graph.edges;
  const value = edges.map((e) => (e.kind === "flow" && mass(e) > 0 ? mass(e) : thin));
  const hover = edges.map((e) => (e.kind === "bom" ? t("net.bomLink") : flows ? `${fmt(mass(e))} t` : t("net.noFlows")));
  // only nodes with a link (plotly drops the others, and with them the fixed positions' order)
  const used = new Set(edges.flatMap((e) => [e.source, e.target]));
  const nodes = graph.nodes.filter((n) => used.has(n.id));
  const ids = nodes.map((n) => n.id), at = new Map(ids.map((x, i) => [x, i]));
  const names = nodes.map((n) => (n.kind === "stage" ? stageLabel(n.label) : n.label));
  const named = Object.fromEntries(ids.map((id, i) => [id, names[i]]));
  const wrapped = wrapLabels("network", names, nodes.map((n) => n.x), 14, 11, 520);
  const drawn = plot("network", [{
    type: "sankey", arrangement: "fixed",
    node: { label: wrapped.labels,
            color: nodes.map((n) => KIND_COLOUR[nodeKind(n)]), pad: 14,
            x: wrapped.xs, y: nodes.map((n) => n.y), thickness: 14,
            customdata: nodes.map((n, i) => `${names[i]} (${t(`kind.${nodeKind(n)}`)})`), hovertemplate: "%{customdata}<extra></extra>" },
    link: { source: edges.map((e) => at.get(e.source)), target: edges.map((e) => at.get(e.target)),
            value, customdata: edges.map((e, i) => `${named[e.source]} → ${named[e.target]}: ${hover[i]}`),
            hovertemplate: "%{customdata}<extra></extra>",
            color: edges.map((e) => (e.kind === "flow" && mass(e) > 0 ? "rgba(126,87,194,.35)" : "rgba(120,120,120,.25)")) },
  }], { title: t("chart.network"), height: 520, width: wrapped.width, font: { size: 11 },
    margin: { l: 10, r: 10, t: 50, b: 10 } });
  if (drawn) drawn.then(() => scrollRoom("network", 520));
  legend($("#network-legend"), [["material", t("kind.material")], ["part", t("kind.part")], ["product", t("kind.product")],
    ["stage", t("kind.stage")], ["market", t("kind.market")], ["end", t("kind.end")],
    ["rgba(126,87,194,.5)", flows ? t("net.flowLegend", { scenario: flows.scenario, from: flows.years[0], to: flows.years[1] }) : t("net.noFlows")],
    ["rgba(120,120,120,.4)", t("net.bomLegend")]]);
}

const CARD_KEYS = ["co2e_t", "virgin_input_t", "recycled_share", "circular_inflow_share", "reuse_rate", "recycling_rate", "final_disposal_t"];
const SERIES = [["co2e_t", "t CO2e"], ["virgin_input_t", "t"], ["final_disposal_t", "t"]];

function renderResult() {
  const s = state.result; if (!s) return;
  const { run, r, table, ind } = s;
  $("#result-header").textContent = t("result.header", { scenario: run.scenario, edits: editsText(run.overrides),
    version: run.version, time: fmtTime(run.finished_at) });
  $("#save-scenario").hidden = !state.model || !state.model.owner;
  const cards = CARD_KEYS.map((key) => [t(`card.${key}`), fmtKey(key, r.totals[key]), key]);
  for (const [mat, share] of Object.entries(r.recycled_share_by_material_total)) {
    if (share > 0) cards.push([t("card.recycledShareOf", { m: mat }), fmtPct(share), `recycled_share_${mat}`]);
  }
  $("#cards").replaceChildren(...cards.map(([label, value, key]) => {
    const div = document.createElement("div"); div.className = "card"; div.dataset.key = key;
    const l = document.createElement("div"); l.className = "label"; l.textContent = label;
    const v = document.createElement("div"); v.className = "value"; v.textContent = value;
    div.append(l, v); return div;
  }));
  $("#results").hidden = false;
  // the per-year series of the run (its indicators table: one row per year)
  plot("series", SERIES.map(([k, unit]) => ({ x: table.map((row) => row.year), y: table.map((row) => row[k]),
    name: t(`series.${k}`), mode: "lines+markers", hovertemplate: `%{x}: %{y:,.4~r} ${unit}<extra>%{fullData.name}</extra>` })),
  { title: t("chart.series"), height: 400, legend: { orientation: "h", y: -0.28, yanchor: "top" }, margin: { b: 100 },
    xaxis: { title: t("axis.year"), tickformat: "d" }, yaxis: { title: t("axis.tPerYear"), rangemode: "tozero" } });
  drawSankey(r);
  renderIndicators(ind);
  const tables = ["indicators", "materials", "processes", "flows", "products", "parts", "actors"];
  $("#downloads").replaceChildren(...tables.map((name) => {
    const li = document.createElement("li");
    for (const f of ["csv", "parquet"]) {
      const a = document.createElement("a"); a.href = `/api/runs/${run.id}/tables/${name}?format=${f}`;
      a.textContent = `${name}.${f}`; a.download = `${name}.${f}`; li.append(a, " ");
    }
    return li;
  }));
}

/** The run's mass flows over the whole horizon, names wrapped and columns placed for the chart's width. */
function drawSankey(r) {
  const n = r.sankey.nodes, l = r.sankey.links;
  const kindOf = (x) => (/^Virgin/.test(x.label) ? "input" : /^Held/.test(x.label) ? "stock"
    : nodeKind({ kind: "stage", label: x.label }));
  // figures written out (263,600 t, not 2.636e+5 t): "r" rounds to significant digits without an exponent
  const names = n.map((x) => stageLabel(x.label)), wrapped = wrapLabels("sankey", names, n.map((x) => x.x), 20, 12, 500);
  const drawn = plot("sankey", [{ type: "sankey", arrangement: "fixed", valueformat: ",.4~r", valuesuffix: " t",
    node: { label: wrapped.labels, x: wrapped.xs, y: n.map((x) => x.y), pad: 14, thickness: 20,
            color: n.map((x) => KIND_COLOUR[kindOf(x)]), customdata: names, hovertemplate: "%{customdata}<br>%{value:,.4~r} t<extra></extra>" },
    link: { source: l.map((x) => x.source), target: l.map((x) => x.target), value: l.map((x) => x.value),
            color: l.map((x) => `${KIND_COLOUR[kindOf(n[x.source])]}55`), customdata: l.map((x) => `${names[x.source]} → ${names[x.target]}`),
            hovertemplate: "%{customdata}<br>%{value:,.4~r} t<extra></extra>" } }],
  { title: t("chart.sankey"), height: 500, width: wrapped.width, margin: { l: 10, r: 10, t: 50, b: 10 } });
  if (drawn) drawn.then(() => scrollRoom("sankey", 500));
  legend($("#sankey-legend"), [["input", t("kind.input")], ["stage", t("kind.stage")], ["market", t("kind.market")],
    ["end", t("kind.end")], ["stock", t("kind.stock")]]);
}

/** A chart's box `height` px tall plus its sideways scrollbar, if it has one (the chart keeps its height). */
function scrollRoom(id, height) {
  const box = $(`#${id}`);
  box.style.height = `${height + box.offsetHeight - box.clientHeight}px`;
}

// a flow chart's names are wrapped and its columns placed for its width: placed again when the width changes
// (not when only the height does: a large network takes seconds to draw)
let resized = 0;
const widthChanged = (id) => { const w = $(`#${id}`).clientWidth; return w > 0 && w !== laidOut[id]; };
window.addEventListener("resize", () => {
  clearTimeout(resized);
  resized = setTimeout(() => {
    if (lastGraph && widthChanged("network")) drawNetwork(lastGraph);
    if (state.result && widthChanged("sankey")) drawSankey(state.result.r);
  }, 200);
});

/** An indicator's name in the current language ("MCI of product atm"); its key when unknown. */
function indicatorName(key) {
  const product = key.match(/^mci\.product\.(.+)$/);
  if (product) return t("indname.mci.product", { item: product[1] });
  return t(`indname.${key}`, {}, key);
}

function renderIndicators(ind) {
  const head = document.createElement("tr");
  for (const h of ["framework", "indicator", "value", "formula", "ind.status"]) {
    const th = document.createElement("th"); th.scope = "col"; th.textContent = t(h); head.append(th);
  }
  const rows = [];
  for (const [fw, list] of Object.entries(ind)) {
    for (const i of list) {
      const tr = document.createElement("tr");
      const status = t(`ind.status.${i.status || "summary"}`);
      const money = i.unit === "JPY" && typeof i.value === "number";  // yen: 6,277万円 in Japanese, exact in the title
      for (const [text, cls] of [[t(`fw.${fw}`, {}, fw), ""], [`${indicatorName(i.key)} (${i.key})`, ""], [money ? yen(i.value) : indicatorValue(i), "num"], [formulaText(i), "data"], [status, ""]]) {
        const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.append(td);
        if (money && cls === "num" && yenExact(i.value) !== text) td.title = yenExact(i.value);
      }
      if (i.notes && i.notes.length) tr.title = indicatorNotes(i).join("\n");
      rows.push(tr);
    }
  }
  const thead = document.createElement("thead"); thead.append(head);
  const tbody = document.createElement("tbody"); tbody.append(...rows);
  $("#indicators-table").replaceChildren(thead, tbody);
}


function clearResults() {
  state.result = null; $("#results").hidden = true;
  if (window.Plotly) { Plotly.purge("series"); Plotly.purge("sankey"); }
}

function renderCompare() {
  const c = state.compare; if (!c) return;
  const doc = c.doc;
  $("#compare-header").textContent = t("compare.header", { edits: editsText(c.overrides), version: c.version });
  const head = document.createElement("tr");
  for (const h of [t("figure"), ...doc.scenarios.map((s) => s.name)]) {
    const th = document.createElement("th"); th.scope = "col"; th.textContent = h; head.append(th);
  }
  // each scenario's years: one that sets `years` is not compared with the baseline as if it
  // covered the same ones (n/a, review 223)
  const span = (s) => (s.years ? `${s.years[0]}–${s.years[1]}` : `${doc.years[0]}–${doc.years[1]}`);
  const rows = [[t("compare.description"), doc.scenarios.map((s) => s.description || "–"), ""],
    [t("compare.years"), doc.scenarios.map(span), ""]];
  const keys = [...new Set(doc.scenarios.flatMap((s) => Object.keys(s.headline)))];
  const words = doc.headline_descriptions || {};
  const shown = (k, s) => (!(k in s.headline) ? "–" : s.headline[k] === null ? t("ind.na") : fmtKey(k, s.headline[k]));
  for (const k of keys) rows.push([words[k] || k, doc.scenarios.map((s) => shown(k, s)), k]);
  for (const k of ["co2e_t", "virgin_input_t", "recycled_share", "reuse_rate", "final_disposal_t"])
    rows.push([t(`card.${k}`), doc.scenarios.map((s) => fmtKey(k, s.totals[k])), ""]);
  const body = rows.map(([label, vals, key]) => {
    const tr = document.createElement("tr");
    const th = document.createElement("th"); th.scope = "row";
    const words = document.createElement("span"); words.textContent = label; th.append(words);
    if (key) words.className = "data";  // the model's own words
    if (key && key !== label) { const code = document.createElement("code"); code.textContent = key; th.append(document.createElement("br"), code); }
    tr.append(th);
    for (const v of vals) { const td = document.createElement("td"); td.className = rows[0][1] === vals ? "data" : "num"; td.textContent = v; tr.append(td); }
    return tr;
  });
  const thead = document.createElement("thead"); thead.append(head);
  const tbody = document.createElement("tbody"); tbody.append(...body);
  $("#compare-table").replaceChildren(thead, tbody);
  const base = doc.scenarios.find((s) => s.name === doc.baseline);
  const notes = doc.scenarios.filter((s) => s.note).map((s) => t("compare.horizonNote",
    { name: s.name, years: span(s), base: base ? span(base) : `${doc.years[0]}–${doc.years[1]}` }));
  $("#compare-notes").textContent = notes.join(" ");
  $("#compare-notes").hidden = !notes.length;
  $("#comparison").hidden = false;
}

export { drawNetwork, renderResult, renderCompare, clearResults };

/** An indicator's notes in the page's language where the catalogue has them (by the note's code,
 * `indnote.<code>`, with the figures it quotes), else as the service writes them. */
const indicatorNotes = (i) => (i.notes || []).map((n, k) => {
  const c = (i.note_codes || [])[k];
  return (c && translated(`indnote.${c.code}`, c.params)) ?? n;
});

/** A sankey's node labels wrapped and its columns placed so that every name fits beside its column
 * (`placeColumns`) — node `xs` from 0 to 1, bars `bar` px thick, labels in `size` px, the chart `id` as
 * wide as it is now: at 800 px names ran over the next column's, or out of the chart. */
function wrapLabels(id, labels, xs, bar, size, height) {
  const box = document.getElementById(id);
  const seen = (box && box.clientWidth) || 800;
  laidOut[id] = seen;
  const placed = placeColumns(labels, xs, seen - 20, bar, size, height - 60);  // margins 10 + 10, 50 + 10
  // too narrow for the names even wrapped their narrowest: drawn wider, the box scrolls sideways (and takes
  // the keyboard's focus to be scrolled by it)
  const scrolls = placed.width > seen - 20;
  if (box) { box.style.overflowX = scrolls ? "auto" : ""; if (scrolls) box.tabIndex = 0; else box.removeAttribute("tabindex"); }
  return { ...placed, width: placed.width + 20 };  // the chart's own resizing would keep the old places
}
