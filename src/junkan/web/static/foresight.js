// Future scenarios (foresight): lever sliders re-run the ensemble live; groups and the scenario tree
// as long work with cancel.
import { $, api, fmt, fmtPct, fmtTime, jsonBody, longTask, plot, problemOf, readNumber, setText, show, showMessages,
  showProblem, t } from "./core.js";
import { runJob } from "./jobs.js";
import { markField } from "./formcheck.js";

const fs = { models: [], timer: null, seq: 0, last: null };
const FAN_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"];
const GROUPS = "ABCDEFGHIJKLMNOPQRST";

function rgba(hex, a) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgba(${r},${g},${b},${a})`;
}

async function showForesight() {
  show("foresight");
  if (!fs.models.length) {
    fs.models = (await (await api("/api/foresight/models")).json()).models;
    $("#fs-model").replaceChildren(...fs.models.map((m) => {
      const o = document.createElement("option");
      o.value = m.name; o.textContent = t(`fsmodel.${m.name}`, {}, m.title); return o;
    }));
    const jp = fs.models.find((m) => m.name === "japan_ce");
    if (jp) $("#fs-model").value = jp.name;
  }
  drawLevers();
  fsRun();
  listEarlier();
}

function currentModel() { return fs.models.find((m) => m.name === $("#fs-model").value); }

function drawLeversText() {
  const m = currentModel(); if (!m) return;
  $("#fs-about").textContent = t("fs.about", { factors: fmt(m.factors), links: fmt(m.links),
    start: m.years[0], end: m.years[1] });
}

function drawLevers() {
  const m = currentModel();
  drawLeversText();
  const box = $("#fs-levers");
  box.querySelectorAll(".lever").forEach((el) => el.remove());
  for (const lv of m.levers) {
    const row = document.createElement("div");
    row.className = "lever";
    const id = `lever-${lv.id}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = `${t(`lever.${lv.id}`, {}, lv.name)} (${lv.start}–)`;
    label.dataset.lever = lv.id;
    const input = Object.assign(document.createElement("input"),
      { type: "range", id, min: 0, max: 100, step: 5, value: 50 });
    input.dataset.lever = lv.id;
    const out = Object.assign(document.createElement("output"), { htmlFor: id, value: "50 %" });
    input.addEventListener("input", () => { out.value = `${input.value} %`; fsSchedule(); });
    row.append(label, input, out);
    box.append(row);
  }
  $("#fs-analysis").hidden = true;
}

function leverValues() {
  const out = {};
  document.querySelectorAll("#fs-levers input[type=range]").forEach((el) => {
    out[el.dataset.lever] = Number(el.value) / 100;
  });
  return out;
}

function fsSchedule() { clearTimeout(fs.timer); fs.timer = setTimeout(fsRun, 150); }

/** The number of scenarios asked for, within the field's own limits (its min and max), or null after
 * saying what is wrong beside the field and in the list (the value is never changed silently). */
function scenarioCount() {
  const inp = $("#fs-n");
  const read = () => readNumber(inp, $("label[for=fs-n]").textContent, { integer: true, min: Number(inp.min), max: Number(inp.max) });
  const { value, problem } = read();
  markField(inp, problem ? () => read().problem || null : null);  // asked again as it is edited
  if (problem) { showMessages("#fs-errors", [problem]); return null; }
  return value;
}

async function fsRun() {
  const m = currentModel(); if (!m) return;
  $("#fs-errors").replaceChildren();
  const n = scenarioCount(); if (n === null) { ++fs.seq; $("#fs-status").textContent = ""; return; }
  const seq = ++fs.seq;
  fs.reopened = false;  // this run's outcome is the page's news again
  $("#fs-status").textContent = t("fs.running", { n: fmt(n) });
  const res = await api(`/api/foresight/models/${m.name}/run`, { method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ n, levers: leverValues() }) });
  if (seq !== fs.seq) return;  // a newer slider position is already on its way
  const doc = await res.json();
  if (!res.ok) {
    fs.last = null; if (window.Plotly) Plotly.purge("fs-fans");
    showProblem("#fs-errors", doc); $("#fs-status").textContent = ""; return;
  }
  fs.last = doc;
  drawFans(doc);
}

function drawFans(doc) {
  // a run that ends after an earlier analysis was reopened leaves that analysis's status
  if (!fs.reopened) $("#fs-status").textContent = t("fs.ran", { n: fmt(doc.scenarios), s: fmt(doc.seconds) });
  const traces = [];
  Object.entries(doc.families).forEach(([fam, q], i) => {
    const c = FAN_COLOURS[i % FAN_COLOURS.length];
    const yrs = doc.years, back = [...yrs].reverse();
    for (const [lo, hi, a] of [["q05", "q95", 0.12], ["q25", "q75", 0.3]]) {
      traces.push({ x: [...yrs, ...back], y: [...q[hi], ...[...q[lo]].reverse()], fill: "toself",
        fillcolor: rgba(c, a), line: { width: 0 }, hoverinfo: "skip", showlegend: false, legendgroup: fam });
    }
    const name = t(`family.${fam}`, {}, fam);
    traces.push({ x: yrs, y: q.q50, name, legendgroup: fam, line: { color: c, width: 2 },
      hovertemplate: `%{x}: ${t("fs.median")} %{y:.2f}<extra>${name}</extra>` });
  });
  plot("fs-fans", traces, { title: t("chart.fans"), height: 440, xaxis: { title: t("axis.year"), tickformat: "d" },
    yaxis: { range: [0, 1], title: t("axis.score") } });
}

$("#fs-model").addEventListener("change", () => { drawLevers(); fsRun(); });
$("#fs-n").addEventListener("change", fsSchedule);
$("#fs-form").addEventListener("submit", (ev) => ev.preventDefault());
$("#fs-analyse").addEventListener("click", async () => {
  const m = currentModel(); if (!m) return;
  $("#fs-errors").replaceChildren();
  const n = scenarioCount(); if (n === null) return;
  $("#fs-analysis").hidden = true; fs.analysis = null;
  const bar = $("#fs-progress");
  const res = await longTask({ status: $("#fs-status"), start: $("#fs-analyse"), cancel: $("#fs-cancel"),
    bar, what: () => t("fs.analysing", { n: fmt(n) }) },
  (signal) => runJob("/api/foresight/jobs", jsonBody({ model: m.name, n, levers: leverValues() }), signal, {
    onProgress: (p) => {  // the stage: scenarios run so far, then the grouping
      if (p.stage === "ensemble") { bar.max = 1; bar.value = 0.5 * p.done / p.of; } else bar.value = 0.5;
      $("#fs-stage").textContent = p.stage === "ensemble" ? t("fs.stageRun", { done: fmt(p.done), of: fmt(p.of) })
        : t("fs.stageGroup");
    } }));
  $("#fs-stage").textContent = "";
  if (!res) return;
  $("#fs-status").textContent = "";
  if (res.problem) { showProblem("#fs-errors", res.problem); return; }
  fs.analysis = res.result;
  drawAnalysis(fs.analysis);
  listEarlier();
});

/** The user's earlier analyses (server-side jobs), newest first, to reopen one. */
async function listEarlier() {
  const res = await api("/api/foresight/jobs");
  if (!res.ok) return;
  const done = (await res.json()).filter((j) => j.status === "succeeded");
  const sel = $("#fs-earlier");
  const none = document.createElement("option");
  none.value = ""; setText(none, () => t("fs.earlierPick", { n: done.length }));
  sel.replaceChildren(none, ...done.map((j) => {
    const o = document.createElement("option"); o.value = j.id; o.textContent = fmtTime(j.finished_at); return o;
  }));
  $("#fs-earlier-box").hidden = !done.length;
}

$("#fs-earlier").addEventListener("change", async () => {
  const id = $("#fs-earlier").value; if (!id) return;
  $("#fs-errors").replaceChildren();
  const res = await api(`/api/foresight/jobs/${id}`);
  if (!res.ok) { showProblem("#fs-errors", await problemOf(res)); return; }
  const job = await res.json();
  fs.analysis = job.result;
  const m = fs.models.find((x) => x.name === job.result.model);
  if (m && $("#fs-model").value !== m.name) { $("#fs-model").value = m.name; drawLevers(); fsRun(); }
  fs.reopened = true;
  $("#fs-status").textContent = t("fs.reopened", { n: fmt(job.result.scenarios), when: fmtTime(job.finished_at) });
  drawAnalysis(fs.analysis);
});

function drawAnalysis(doc) {
  const fams = Object.keys(doc.ratings[0] || {}).sort();
  const thead = document.createElement("thead");
  const hr = document.createElement("tr");
  for (const h of [t("fs.group"), t("fs.share"), ...fams.map((f) => t(`family.${f}`, {}, f))]) {
    const th = document.createElement("th"); th.scope = "col"; th.textContent = h; hr.append(th);
  }
  thead.append(hr);
  const tbody = document.createElement("tbody");
  doc.group_shares.forEach((share, g) => {
    const tr = document.createElement("tr");
    for (const v of [GROUPS[g], fmtPct(share), ...fams.map((f) => doc.ratings[g][f])]) {
      const td = document.createElement("td"); td.textContent = v; tr.append(td);
    }
    tbody.append(tr);
  });
  $("#fs-groups").replaceChildren(thead, tbody);
  $("#fs-analysis").hidden = false;  // before drawing: a hidden chart is drawn at a default width
  drawTree(doc);
}

/** The scenario tree: a merge with a branch year at that year; one without (the groups never split
 * clearly within the horizon) a step left of its children, dashed, so every merge is visible and every
 * parent lies left of its children. Leaves (groups) at the right. */
function drawTree(doc) {
  const k = doc.k, end = doc.years[doc.years.length - 1] + 1;
  const step = Math.max(1, (end - doc.years[0]) / (2 * k));
  const x = {}, y = {};
  let next = 0;
  const place = (node) => {
    if (node < k) { x[node] = end; y[node] = next++; return y[node]; }
    const mg = doc.scenario_tree[node - k];
    const ys = mg.children.map(place);
    const left = Math.min(...mg.children.map((c) => x[c]));
    x[node] = mg.branch_year ? Math.min(mg.branch_year, left) : left - step;
    y[node] = (ys[0] + ys[1]) / 2; return y[node];
  };
  const traces = [], notes = [];
  let undated = 0;
  if (doc.scenario_tree.length) {
    place(doc.scenario_tree[doc.scenario_tree.length - 1].node);
    for (const mg of doc.scenario_tree) {
      const dated = Boolean(mg.branch_year);
      if (!dated) undated++;
      for (const ch of mg.children) {
        traces.push({ x: [x[mg.node], x[mg.node], x[ch]], y: [y[mg.node], y[ch], y[ch]], mode: "lines",
          line: { color: dated ? "#333" : "#999", dash: dated ? "solid" : "dash" }, hoverinfo: "text",
          text: dated ? t("fs.branch", { year: mg.branch_year, driver: mg.driver }) : t("fs.noBranch"), showlegend: false });
      }
      if (dated) notes.push({ x: x[mg.node], y: y[mg.node], xanchor: "right", yshift: 10,
        showarrow: false, text: t("fs.branch", { year: mg.branch_year, driver: mg.driver }), font: { size: 11 } });
    }
  }
  traces.push({ x: Array(k).fill(end), y: [...Array(k).keys()].map((g) => y[g] ?? g), mode: "markers+text",
    text: [...Array(k).keys()].map((g) => `${GROUPS[g]} ${fmtPct(doc.group_shares[g])}`),
    textposition: "middle right", marker: { size: 12, color: "#1b4f72" }, showlegend: false, hoverinfo: "text" });
  const lo = Math.min(doc.years[0], ...Object.values(x)) - 4;
  // years only where a merge has one (and the horizon's ends): an undated merge is placed left of its
  // children, not at a year; with no dated merge the tree has no year axis at all
  const dated = [...new Set(doc.scenario_tree.filter((mg) => mg.branch_year).map((mg) => mg.branch_year))];
  const ticks = [...new Set([doc.years[0], ...dated, doc.years[doc.years.length - 1]])].sort((a, b) => a - b);
  const xaxis = dated.length
    ? { range: [lo, end + 6], title: t("axis.branchYear"), tickmode: "array", tickvals: ticks, ticktext: ticks.map(String) }
    : { range: [lo, end + 6], visible: false };
  plot("fs-tree", traces, { title: t("chart.tree"), height: 60 * k + 140, annotations: notes, yaxis: { visible: false },
    xaxis, plot_bgcolor: "white", margin: { l: 10, r: 10 } });
  $("#fs-tree-note").textContent = undated ? t("fs.undated", { n: undated, all: doc.scenario_tree.length }) : "";
}

function redrawForesight() {
  if (!fs.models.length) return;
  $("#fs-model").querySelectorAll("option").forEach((o) => {
    const m = fs.models.find((x) => x.name === o.value); if (m) o.textContent = t(`fsmodel.${m.name}`, {}, m.title);
  });
  document.querySelectorAll("#fs-levers label[data-lever]").forEach((label) => {
    const lv = currentModel().levers.find((l) => l.id === label.dataset.lever);
    if (lv) label.textContent = `${t(`lever.${lv.id}`, {}, lv.name)} (${lv.start}–)`;
  });
  drawLeversText();
  if (fs.last) drawFans(fs.last);
  if (fs.analysis) drawAnalysis(fs.analysis);
}

export { showForesight, redrawForesight };
