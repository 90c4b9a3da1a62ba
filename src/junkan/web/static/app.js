// junkan web UI: a small single-page app over the JSON API (no framework, no CDN).
"use strict";

const state = { lang: localStorage.getItem("junkan.lang") || "en", msg: {}, model: null };
const $ = (sel) => document.querySelector(sel);

async function loadLang(lang) {
  const res = await fetch(`/static/i18n/${lang}.json`);
  state.msg = await res.json();
  state.lang = lang;
  localStorage.setItem("junkan.lang", lang);
  document.documentElement.lang = lang;
  $("#lang").value = lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => {
    const key = el.dataset.i18n;
    if (state.msg[key]) el.textContent = state.msg[key];
  });
  document.querySelectorAll("[data-i18n-label]").forEach((el) => {
    const key = el.dataset.i18nLabel;
    if (state.msg[key]) el.setAttribute("aria-label", state.msg[key]);
  });
}
/** The message `key` in the current language with `{name}` replaced from `vars`; `fallback`
 * (default: the key itself) when the catalogue has no such message. */
const t = (key, vars = {}, fallback = key) =>
  (state.msg[key] ?? fallback).replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? "");

// ---- charts: one Plotly configuration everywhere -----------------------------------------
/** No cloud, link or "edit in Chart Studio" buttons: the mode bar offers download as image only. */
const PLOT_CONFIG = Object.freeze({ displaylogo: false, responsive: true, showLink: false,
  showSendToCloud: false, showEditInChartStudio: false, modeBarButtons: [["toImage"]] });
const titled = (v) => (typeof v === "string" ? { text: v } : v);

/** Draw a chart with the shared configuration. Titles given as strings (chart and axes) become
 * `{text}` objects, as the bundled plotly.js needs; the page's font (with CJK) is used. */
function plot(id, traces, layout = {}) {
  if (!window.Plotly) return undefined;
  const l = { ...layout, font: { family: getComputedStyle(document.body).fontFamily, ...(layout.font || {}) } };
  if (l.title) l.title = titled(l.title);
  for (const k of Object.keys(l)) {
    if (/^[xy]axis\d*$/.test(k) && l[k] && l[k].title) l[k] = { ...l[k], title: titled(l[k].title) };
  }
  l.margin = { l: 60, r: 20, t: 50, b: 50, ...(layout.margin || {}) };
  return Plotly.react(id, traces, l, PLOT_CONFIG);
}

async function api(path, opts = {}) {
  const headers = Object.assign({ "X-Junkan-CSRF": "1" }, opts.headers || {});
  const res = await fetch(path, Object.assign({ credentials: "same-origin" }, opts, { headers }));
  if (res.status === 401 && !path.startsWith("/api/session")) {
    location.hash = "#/login";
    throw new Error("unauthorised");
  }
  return res;
}

const PAGES = { login: ["signIn", ""], models: ["models", "#/models"], model: ["models", "#/models"],
  network: ["network.nav", "#/network"], foresight: ["fs.nav", "#/foresight"], alloys: ["al.nav", "#/alloys"],
  trace: ["tr.nav", "#/trace"] };

function show(view) {
  for (const id of Object.keys(PAGES)) $(`#view-${id}`).hidden = id !== view;
  state.view = view;
  setTitle();
  $("#main").focus();
}

/** The window title names the page; the main navigation marks the current one. */
function setTitle() {
  const view = state.view; if (!view) return;
  const [key, href] = PAGES[view];
  const page = view === "model" && state.model ? (state.model.title || state.model.name) : t(key);
  document.title = `${page} — junkan`;
  document.querySelectorAll('nav[aria-label="main"] a').forEach((a) => {
    if (a.getAttribute("href") === href) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  });
}

// ---- numbers: one format everywhere (cards, tables, summaries, hover texts) -------------
/** A number with thousands separators and four significant digits (no exponent). */
function fmt(v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return v ?? "–";
  if (Math.abs(v) < 1e-9) return "0";
  if (Math.abs(v) >= 1e4) return v.toLocaleString(state.lang, { maximumFractionDigits: 0 });
  return v.toLocaleString(state.lang, { maximumSignificantDigits: 4 });
}
/** A share (a fraction 0–1) as a percentage: "0.22 %", "12.3 %", "100 %". */
function fmtPct(v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return "–";
  const p = 100 * v;
  if (Math.abs(p) < 1e-9) return "0 %";
  return `${p.toLocaleString(state.lang, Math.abs(p) >= 10 ? { maximumFractionDigits: 1 }
    : { maximumSignificantDigits: 3 })} %`;
}
/** A figure named `key`: shares and rates as %, anything else as a number. */
const isShare = (key) => /(^|_)(share|rate)(_|$)/.test(key);
const fmtKey = (key, v) => (isShare(key) ? fmtPct(v) : fmt(v));

/** An indicator's value with its unit: a share as %, water recirculation as cycles, a ratio bare,
 * anything else with its unit (t, JPY/t …); null as "n/a (reason)". */
function indicatorValue(i) {
  if (i.value === null) return `${t("ind.na")} (${i.reason})`;
  if (i.unit === "fraction") return fmtPct(i.value);
  if (i.unit === "cycles") return t("ind.cycles", { n: i.value.toLocaleString(state.lang, { maximumFractionDigits: 2 }) });
  if (i.unit === "ratio") return fmt(i.value);
  return `${fmt(i.value)} ${i.unit}`;
}

// ---- sign in ----------------------------------------------------------------------------
$("#login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const res = await api("/api/session", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: $("#email").value, password: $("#password").value }) });
  if (!res.ok) {
    const wait = res.headers.get("Retry-After");
    $("#login-error").textContent = res.status === 429 ? t("loginLocked", { s: wait || "?" })
      : res.status === 503 ? t("loginBusy") : t("wrongLogin");
    return;
  }
  $("#login-error").textContent = "";
  location.hash = "#/models";
});
$("#logout").addEventListener("click", async () => {
  await api("/api/session", { method: "DELETE" });
  location.hash = "#/login";
});
// switching language keeps the page's state (results, edits, selected scenario): only redraw
$("#lang").addEventListener("change", async (ev) => {
  await loadLang(ev.target.value);
  setTitle();
  if (state.view === "model") {
    if (state.model) drawNetwork(state.model.graph);
    renderResult(); renderCompare();
  } else if (state.view === "foresight" && fs.last) { drawLeversText(); drawFans(fs.last); }
  else if (state.view === "alloys" && al.last) drawAlloyChart(al.last);
  else if (state.view === "trace" && tr.last) drawLot(tr.last);
  else if (state.view === "network" && netState.last) drawPlan(netState.last);
});

async function whoami() {
  const res = await fetch("/api/me", { credentials: "same-origin" });
  if (!res.ok) { $("#who").textContent = ""; $("#logout").hidden = true; return null; }
  const me = await res.json();
  $("#who").textContent = `${me.name} (${me.organisation})`;
  $("#logout").hidden = false;
  return me;
}

// ---- models -----------------------------------------------------------------------------
async function showModels() {
  show("models");
  const rows = await (await api("/api/models")).json();
  const body = $("#models-table tbody");
  body.replaceChildren(...rows.map((m) => {
    const tr = document.createElement("tr");
    const a = document.createElement("a");
    a.href = `#/models/${m.id}`; a.textContent = m.name;
    const cells = [a, m.title || "", String(m.latest_version), m.owner ? t("own") : t("shared")];
    for (const c of cells) { const td = document.createElement("td"); td.append(c); tr.append(td); }
    return tr;
  }));
}

$("#upload-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = $("#upload-file").files[0];
  if (!file) return;
  const fd = new FormData(); fd.append("file", file);
  const res = await api("/api/models", { method: "POST", body: fd });
  const list = $("#upload-errors"); list.replaceChildren();
  if (res.status === 422) {
    const body = await res.json();
    $("#upload-status").textContent = t("invalidModel");
    for (const e of body.errors) {
      const li = document.createElement("li");
      const code = document.createElement("code"); code.textContent = e.path || "(document)";
      li.append(code, ": " + e.message); list.append(li);
    }
    return;
  }
  if (!res.ok) { $("#upload-status").textContent = (await res.json()).detail || res.statusText; return; }
  $("#upload-status").textContent = t("uploaded");
  showModels();
});

// ---- one model --------------------------------------------------------------------------
/** Forget the shown model's results, charts and messages (a new model or a failed request
 * must not leave the previous one's content beside it). */
function clearModel() {
  state.result = null; state.compare = null;
  $("#results").hidden = true; $("#comparison").hidden = true; $("#run-form").hidden = false;
  $("#cards").replaceChildren(); $("#indicators-table").replaceChildren(); $("#downloads").replaceChildren();
  $("#compare-table").replaceChildren(); $("#result-header").textContent = ""; $("#compare-header").textContent = "";
  $("#run-errors").replaceChildren(); $("#model-errors").replaceChildren(); $("#run-status").textContent = "";
  $("#progress").value = 0;
  if (window.Plotly) for (const id of ["network", "series", "sankey"]) Plotly.purge(id);
}

async function showModel(id) {
  show("model");
  if (state.model && state.model.id === id && !$("#run-form").hidden) return;  // keep edits and results
  clearModel();
  state.model = null;
  $("#model-title").textContent = "";
  $("#scenario").replaceChildren(); $("#params").querySelectorAll(".param").forEach((n) => n.remove());
  const res = await api(`/api/models/${id}`);
  if (!res.ok) {
    $("#run-form").hidden = true;
    $("#model-title").textContent = t("err.modelTitle");
    showProblem("#model-errors", res.status === 404 ? { detail: t("err.modelNotFound") } : await problemOf(res));
    return;
  }
  const m = await res.json();
  state.model = m;
  $("#model-title").textContent = m.title || m.name;
  setTitle();
  $("#scenario").replaceChildren(...m.scenarios.map((s) => new Option(s, s)));
  const fs = $("#params");
  m.parameters.forEach((p, i) => {
    const div = document.createElement("div"); div.className = "param";
    const label = document.createElement("label"); label.htmlFor = `param-${i}`; label.textContent = p.path;
    const input = Object.assign(document.createElement("input"), { id: `param-${i}`, type: "number", min: 0, max: 1, step: "any" });
    input.dataset.path = p.path;
    div.append(label, input); fs.append(div);
  });
  fillParams();
  drawNetwork(m.graph);
}

/** The form shows the selected scenario's values; an edit is any value that differs from them. */
function fillParams() {
  const m = state.model; if (!m) return;
  const values = (m.scenario_parameters && m.scenario_parameters[$("#scenario").value]) || m.parameters;
  const byPath = Object.fromEntries(values.map((p) => [p.path, p.value]));
  document.querySelectorAll("#params input").forEach((inp) => {
    const v = byPath[inp.dataset.path];
    inp.value = v; inp.dataset.original = v;
  });
}
$("#scenario").addEventListener("change", fillParams);

function drawNetwork(graph) {
  const ids = graph.nodes.map((n) => n.id);
  const colour = { material: "#8d6e63", part: "#42a5f5", product: "#0b6e4f", stage: "#9e9e9e" };
  plot("network", [{
    type: "sankey", arrangement: "fixed",
    node: { label: graph.nodes.map((n) => n.label), color: graph.nodes.map((n) => colour[n.kind]), pad: 10,
            x: graph.nodes.map((n) => n.x), y: graph.nodes.map((n) => n.y),
            customdata: graph.nodes.map((n) => t(`kind.${n.kind}`)), hovertemplate: "%{label} (%{customdata})<extra></extra>" },
    link: { source: graph.edges.map((e) => ids.indexOf(e.source)), target: graph.edges.map((e) => ids.indexOf(e.target)),
            value: graph.edges.map(() => 1), hoverinfo: "none",
            color: graph.edges.map((e) => e.kind === "bom" ? "rgba(66,165,245,.35)" : "rgba(120,120,120,.3)") },
  }], { title: t("chart.network"), height: 440, margin: { l: 10, r: 10, t: 50, b: 10 } });
}

function overrides() {
  const out = {};
  document.querySelectorAll("#params input").forEach((inp) => {
    if (inp.value !== "" && Number(inp.value) !== Number(inp.dataset.original)) out[inp.dataset.path] = Number(inp.value);
  });
  return out;
}

function editsText(ov) {
  const e = Object.entries(ov || {});
  return e.length ? e.map(([p, v]) => `${p} = ${fmt(v)}`).join("; ") : t("result.noEdits");
}

$("#run-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const m = state.model; if (!m) return;
  $("#run-errors").replaceChildren(); $("#progress").value = 0;
  $("#run").disabled = true;
  try {
    const res = await api(`/api/models/${m.id}/runs`, { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ scenario: $("#scenario").value, version: m.version, overrides: overrides() }) });
    if (!res.ok) { clearResults(); $("#run-status").textContent = ""; showProblem("#run-errors", await problemOf(res)); return; }
    let run = await res.json();
    while (run.status === "queued" || run.status === "running") {
      $("#run-status").textContent = t(run.status); $("#progress").value = run.progress;
      await new Promise((r) => setTimeout(r, 250));
      run = await (await api(`/api/runs/${run.id}`)).json();
    }
    $("#progress").value = run.status === "succeeded" ? 1 : 0;
    if (run.status !== "succeeded") {
      clearResults(); $("#run-status").textContent = t("failed");
      showProblem("#run-errors", { detail: run.error }); return;
    }
    const [r, table, ind] = await Promise.all([`/api/runs/${run.id}/result`,
      `/api/runs/${run.id}/tables/indicators?format=json`, `/api/runs/${run.id}/indicators`].map(
      async (p) => (await api(p)).json()));
    state.result = { run, r, table, ind };
    renderResult();
    $("#run-status").textContent = t("succeeded");
  } finally { $("#run").disabled = false; }
});

function clearResults() {
  state.result = null; $("#results").hidden = true;
  if (window.Plotly) { Plotly.purge("series"); Plotly.purge("sankey"); }
}

const CARD_KEYS = ["co2e_t", "virgin_input_t", "recycled_share", "circular_inflow_share", "reuse_rate", "recycling_rate", "final_disposal_t"];
const SERIES = [["co2e_t", "t CO2e"], ["virgin_input_t", "t"], ["final_disposal_t", "t"]];

function renderResult() {
  const s = state.result; if (!s) return;
  const { run, r, table, ind } = s;
  $("#result-header").textContent = t("result.header", { scenario: run.scenario, edits: editsText(run.overrides),
    version: run.version });
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
    name: t(`series.${k}`), mode: "lines+markers", hovertemplate: `%{x}: %{y:,.4~g} ${unit}<extra>%{fullData.name}</extra>` })),
  { title: t("chart.series"), height: 380, legend: { orientation: "h", y: -0.2 },
    xaxis: { title: t("axis.year"), tickformat: "d" }, yaxis: { title: t("axis.tPerYear"), rangemode: "tozero" } });
  const n = r.sankey.nodes, l = r.sankey.links;
  plot("sankey", [{ type: "sankey", arrangement: "fixed", valueformat: ",.4~g", valuesuffix: " t",
    node: { label: n.map((x) => x.label), x: n.map((x) => x.x), y: n.map((x) => x.y), pad: 12 },
    link: { source: l.map((x) => x.source), target: l.map((x) => x.target), value: l.map((x) => x.value) } }],
  { title: t("chart.sankey"), height: 500, margin: { l: 10, r: 10, t: 50, b: 10 } });
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
      for (const [text, cls] of [[t(`fw.${fw}`, {}, fw), ""], [i.key, ""], [indicatorValue(i), "num"], [i.formula, ""], [status, ""]]) {
        const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.append(td);
      }
      if (i.notes && i.notes.length) tr.title = i.notes.join("\n");
      rows.push(tr);
    }
  }
  const thead = document.createElement("thead"); thead.append(head);
  const tbody = document.createElement("tbody"); tbody.append(...rows);
  $("#indicators-table").replaceChildren(thead, tbody);
}

$("#compare").addEventListener("click", async () => {
  const m = state.model; if (!m) return;
  $("#run-errors").replaceChildren();
  $("#run-status").textContent = t("running");
  const ov = overrides();
  const res = await api(`/api/models/${m.id}/compare`, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ version: m.version, overrides: ov }) });
  if (!res.ok) {
    $("#run-status").textContent = ""; state.compare = null; $("#comparison").hidden = true;
    showProblem("#run-errors", await problemOf(res)); return;
  }
  state.compare = { doc: await res.json(), overrides: ov, version: m.version };
  $("#run-status").textContent = t("succeeded");
  renderCompare();
});

function renderCompare() {
  const c = state.compare; if (!c) return;
  const doc = c.doc;
  $("#compare-header").textContent = t("compare.header", { edits: editsText(c.overrides), version: c.version });
  const head = document.createElement("tr");
  for (const h of [t("figure"), ...doc.scenarios.map((s) => s.name)]) {
    const th = document.createElement("th"); th.scope = "col"; th.textContent = h; head.append(th);
  }
  const rows = [];
  const keys = [...new Set(doc.scenarios.flatMap((s) => Object.keys(s.headline)))];
  for (const k of keys) rows.push([k, doc.scenarios.map((s) => fmtKey(k, s.headline[k]))]);
  for (const k of ["co2e_t", "virgin_input_t", "recycled_share", "reuse_rate", "final_disposal_t"])
    rows.push([t(`card.${k}`), doc.scenarios.map((s) => fmtKey(k, s.totals[k]))]);
  const body = rows.map(([k, vals]) => {
    const tr = document.createElement("tr");
    const th = document.createElement("th"); th.scope = "row"; th.textContent = k; tr.append(th);
    for (const v of vals) { const td = document.createElement("td"); td.className = "num"; td.textContent = v; tr.append(td); }
    return tr;
  });
  const thead = document.createElement("thead"); thead.append(head);
  const tbody = document.createElement("tbody"); tbody.append(...body);
  $("#compare-table").replaceChildren(thead, tbody);
  $("#comparison").hidden = false;
}

// ---- network planner ----------------------------------------------------------------------
let outlines = null;
const netState = { last: null };
$("#network-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = $("#network-file").files[0];
  if (!file) return;
  $("#network-errors").replaceChildren();
  $("#network-status").textContent = t("network.solving");
  const price = Number($("#carbon-price").value || 0);
  const res = await api(`/api/network/solve?carbon_price=${price}`, { method: "POST",
    headers: { "Content-Type": file.name.endsWith(".json") ? "application/json" : "application/yaml" },
    body: await file.text() });
  $("#network-status").textContent = "";
  if (!res.ok) {
    $("#network-result").hidden = true;  // the previous plan no longer matches the inputs
    const body = await problemOf(res);
    netState.last = null;
    showProblem("#network-errors", body);
    return;
  }
  netState.last = await res.json();
  await drawPlan(netState.last);
});

async function drawPlan(plan) {
  $("#network-summary").textContent = t("network.summary", { cost: fmt(plan.cost_JPY),
    co2: fmt(plan.co2_t), hubs: plan.open_hubs.length, gap: fmtPct(plan.mip_gap) });
  const head = document.createElement("tr");
  for (const h of ["network.hub", "network.capacity", "network.inflow", "network.util"]) {
    const th = document.createElement("th"); th.scope = "col"; th.textContent = t(h); head.append(th);
  }
  const rows = plan.open_hubs.map((h) => {
    const tr = document.createElement("tr");
    for (const [v, cls] of [[h.hub, ""], [fmt(h.capacity_t), "num"], [fmt(h.inflow_t), "num"],
                            [fmtPct(h.utilisation), "num"]]) {
      const td = document.createElement("td"); td.textContent = v; if (cls) td.className = cls; tr.append(td);
    }
    return tr;
  });
  const thead = document.createElement("thead"); thead.append(head);
  const tbody = document.createElement("tbody"); tbody.append(...rows);
  $("#network-hubs").replaceChildren(thead, tbody);
  $("#network-result").hidden = false;
  if (window.Plotly) {
    outlines = outlines || (await (await api("/api/network/prefectures")).json()).prefectures;
    const traces = outlines.map((p) => ({ x: p.outline.map((q) => q[0]), y: p.outline.map((q) => q[1]),
      mode: "lines", fill: "toself", fillcolor: "#f2f2f2", line: { color: "#999", width: 0.5 },
      hoverinfo: "text", text: state.lang === "ja" ? p.ja : p.name, showlegend: false }));
    const colour = { truck: "#d35400", ship: "#2471a3", rail: "#239b56" };
    const top = Math.max(1, ...plan.flows.filter((f) => f.leg === "trunk").map((f) => f.t));
    const dest = Object.fromEntries(plan.destinations.map((d) => [d.name, [d.lon, d.lat]]));
    for (const f of plan.flows.filter((f) => f.leg === "trunk")) {
      const a = plan.places[f.from], b = dest[f.to];
      if (a && b) traces.push({ x: [a[0], b[0]], y: [a[1], b[1]], mode: "lines", showlegend: false,
        line: { color: colour[f.mode], width: 0.5 + 5 * f.t / top }, hoverinfo: "text",
        text: `${t(`mode.${f.mode}`, {}, f.mode)}: ${fmt(f.t)} t/yr` });
    }
    traces.push({ x: plan.open_hubs.map((h) => h.lon), y: plan.open_hubs.map((h) => h.lat), mode: "markers",
      name: t("network.hub"), marker: { symbol: "square", size: 10, color: "#1b4f72" },
      text: plan.open_hubs.map((h) => h.hub), hoverinfo: "text" });
    traces.push({ x: plan.destinations.map((d) => d.lon), y: plan.destinations.map((d) => d.lat),
      mode: "markers", name: t("network.destination"), marker: { symbol: "star", size: 14, color: "#c0392b" },
      text: plan.destinations.map((d) => d.name), hoverinfo: "text" });
    plot("network-map", traces, { title: t("chart.networkMap"), height: 700,
      xaxis: { title: t("axis.lon") }, yaxis: { title: t("axis.lat"), scaleanchor: "x", scaleratio: 1.2 },
      legend: { orientation: "h", y: -0.08 }, plot_bgcolor: "white" });
  }
}

// ---- future scenarios (foresight) ---------------------------------------------------------
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
      o.value = m.name; o.textContent = m.title; return o;
    }));
    const jp = fs.models.find((m) => m.name === "japan_ce");
    if (jp) $("#fs-model").value = jp.name;
  }
  drawLevers();
  fsRun();
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
    label.textContent = `${lv.name} (${lv.start}–)`;
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

async function fsRun() {
  const m = currentModel(); if (!m) return;
  const n = Number($("#fs-n").value) || 2000;
  const seq = ++fs.seq;
  $("#fs-status").textContent = t("fs.running", { n: fmt(n) });
  $("#fs-errors").replaceChildren();
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
  $("#fs-status").textContent = t("fs.ran", { n: fmt(doc.scenarios), s: fmt(doc.seconds) });
  const traces = [];
  Object.entries(doc.families).forEach(([fam, q], i) => {
    const c = FAN_COLOURS[i % FAN_COLOURS.length];
    const yrs = doc.years, back = [...yrs].reverse();
    for (const [lo, hi, a] of [["q05", "q95", 0.12], ["q25", "q75", 0.3]]) {
      traces.push({ x: [...yrs, ...back], y: [...q[hi], ...[...q[lo]].reverse()], fill: "toself",
        fillcolor: rgba(c, a), line: { width: 0 }, hoverinfo: "skip", showlegend: false, legendgroup: fam });
    }
    traces.push({ x: yrs, y: q.q50, name: fam, legendgroup: fam, line: { color: c, width: 2 },
      hovertemplate: `%{x}: ${t("fs.median")} %{y:.2f}<extra>${fam}</extra>` });
  });
  plot("fs-fans", traces, { title: t("chart.fans"), height: 440, xaxis: { title: t("axis.year"), tickformat: "d" },
    yaxis: { range: [0, 1], title: t("axis.score") } });
}

$("#fs-model").addEventListener("change", () => { drawLevers(); fsRun(); });
$("#fs-n").addEventListener("change", fsSchedule);
$("#fs-form").addEventListener("submit", (ev) => ev.preventDefault());
$("#fs-analyse").addEventListener("click", async () => {
  const m = currentModel();
  const n = Math.max(100, Number($("#fs-n").value) || 2000);
  $("#fs-status").textContent = t("fs.analysing", { n: fmt(n) });
  const res = await api(`/api/foresight/models/${m.name}/analyse`, { method: "POST",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify({ n, levers: leverValues() }) });
  const doc = await res.json();
  if (!res.ok) { $("#fs-status").textContent = ""; $("#fs-analysis").hidden = true; showProblem("#fs-errors", doc); return; }
  $("#fs-status").textContent = "";
  const fams = Object.keys(doc.ratings[0] || {}).sort();
  const thead = document.createElement("thead");
  const hr = document.createElement("tr");
  for (const h of [t("fs.group"), t("fs.share"), ...fams]) {
    const th = document.createElement("th"); th.textContent = h; hr.append(th);
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
  // scenario tree: each merge drawn at its branch year, leaves (groups) at the right
  const k = doc.k, end = doc.years[doc.years.length - 1] + 1;
  const x = {}, y = {};
  let next = 0;
  const place = (node) => {
    if (node < k) { x[node] = end; y[node] = next++; return y[node]; }
    const mg = doc.scenario_tree[node - k];
    const ys = mg.children.map(place);
    x[node] = mg.branch_year ?? end; y[node] = (ys[0] + ys[1]) / 2; return y[node];
  };
  const traces = [], notes = [];
  if (doc.scenario_tree.length) {
    place(doc.scenario_tree[doc.scenario_tree.length - 1].node);
    for (const mg of doc.scenario_tree) {
      for (const ch of mg.children) {
        traces.push({ x: [x[mg.node], x[mg.node], x[ch]], y: [y[mg.node], y[ch], y[ch]], mode: "lines",
          line: { color: "#555" }, hoverinfo: "skip", showlegend: false });
      }
      if (mg.branch_year) notes.push({ x: x[mg.node], y: y[mg.node], xanchor: "right", yshift: 10,
        showarrow: false, text: t("fs.branch", { year: mg.branch_year, driver: mg.driver }), font: { size: 11 } });
    }
  }
  traces.push({ x: Array(k).fill(end), y: [...Array(k).keys()].map((g) => y[g] ?? g), mode: "markers+text",
    text: [...Array(k).keys()].map((g) => `${GROUPS[g]} ${fmtPct(doc.group_shares[g])}`),
    textposition: "middle right", marker: { size: 12, color: "#1b4f72" }, showlegend: false });
  plot("fs-tree", traces, { title: t("chart.tree"), height: 60 * k + 140, annotations: notes, yaxis: { visible: false },
    xaxis: { range: [doc.years[0] - 8, end + 6], title: t("axis.branchYear"), tickformat: "d" }, plot_bgcolor: "white",
    margin: { l: 10, r: 10 } });
  $("#fs-analysis").hidden = false;
});

// ---- ELV aluminium ------------------------------------------------------------------------
const al = { lib: null, last: null };
const EL_SHOWN = ["Si", "Fe", "Cu", "Mn", "Mg", "Zn", "Li"];

function cell(tag, text) { const c = document.createElement(tag); c.textContent = text; return c; }

async function showAlloys() {
  show("alloys");
  if (al.lib) return;
  al.lib = await (await api("/api/alloys/library")).json();
  const thead = document.createElement("thead");
  const hr = document.createElement("tr");
  hr.append(cell("th", t("al.vehicle")), cell("th", t("al.count")));
  thead.append(hr);
  const tbody = document.createElement("tbody");
  al.lib.vehicles.forEach((v, i) => {
    const tr = document.createElement("tr");
    const id = `al-count-${i}`;
    const label = Object.assign(document.createElement("label"), { htmlFor: id,
      textContent: `${v.make} ${v.model} ${v.year} ${v.powertrain} (${Math.round(v.al_kg)} kg Al)` });
    const input = Object.assign(document.createElement("input"), { type: "number", id, min: 0, step: 1,
      value: 10 });
    input.dataset.vehicle = v.id;
    const td1 = document.createElement("td"); td1.append(label);
    const td2 = document.createElement("td"); td2.append(input);
    tr.append(td1, td2); tbody.append(tr);
  });
  $("#al-vehicles").replaceChildren(thead, tbody);
  for (const [id, c] of Object.entries(al.lib.components)) {
    if (!c.removable) continue;
    const box = Object.assign(document.createElement("input"), { type: "checkbox", id: `al-rm-${id}`,
      checked: id === "battery_cells" });
    box.dataset.component = id;
    const label = Object.assign(document.createElement("label"), { htmlFor: box.id, textContent: c.name });
    const row = document.createElement("div"); row.className = "check"; row.append(box, label);
    $("#al-remove").append(row);
  }
  for (const [id, name] of Object.entries(al.lib.sorters)) $("#al-sorter").append(new Option(name, id));
  for (const [id, b] of Object.entries(al.lib.buyers)) $("#al-buyer").append(new Option(b.name, id));
}

function drawAlloyChart({ doc, buyer }) {
  const comp = doc.fractions.al.composition_wt_pct;
  const lim = al.lib.buyers[buyer].max;
  const els = EL_SHOWN.filter((e) => e !== "Si");
  const limited = els.filter((e) => lim[e] !== undefined);
  plot("al-chart", [
    { type: "bar", name: t("al.legendMean"), x: els, y: els.map((e) => comp[e].mean),
      hovertemplate: "%{x}: %{y:.3~g} wt %<extra></extra>",
      error_y: { type: "data", symmetric: false, array: els.map((e) => comp[e].p95 - comp[e].mean),
        arrayminus: els.map((e) => comp[e].mean - comp[e].p5) } },
    { type: "scatter", mode: "markers", name: t("al.legendLimit"), x: limited, y: limited.map((e) => lim[e]),
      hovertemplate: "%{x}: ≤ %{y:.3~g} wt %<extra></extra>", marker: { symbol: "line-ew-open", size: 40, color: "#c0392b" } },
  ], { title: t("chart.alloy"), height: 380, legend: { orientation: "h", y: -0.2 },
    xaxis: { title: t("axis.element") }, yaxis: { title: t("axis.wtPct") } });
}

function alInputs() {
  const vehicles = [];
  document.querySelectorAll("#al-vehicles input").forEach((el) => {
    vehicles.push({ vehicle: el.dataset.vehicle, count: Number(el.value) });
  });
  const remove = [...document.querySelectorAll("#al-remove input:checked")].map((el) => el.dataset.component);
  return { vehicles, remove, grain_mm: Number($("#al-grain").value),
    sorter: $("#al-sorter").value || null, buyer: $("#al-buyer").value };
}

function alError(doc) {
  $("#al-status").textContent = "";
  $("#al-errors").replaceChildren(...problemMessages(doc).map((m) => cell("li", m)));
}

$("#al-grain").addEventListener("input", () => { $("#al-grain-out").value = `${$("#al-grain").value} mm`; });
$("#al-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#al-errors").replaceChildren();
  $("#al-status").textContent = t("al.running", { n: fmt(1000) });
  const req = alInputs();
  const res = await api("/api/alloys/predict", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(req) });
  const doc = await res.json();
  if (!res.ok) { $("#al-result").hidden = true; al.last = null; alError(doc); return; }
  $("#al-status").textContent = "";
  const af = doc.al_fraction, g = doc.grade_al_fraction;
  $("#al-summary").textContent = t("al.summary", { share: fmtPct(af.al_share.mean),
    wrought: fmtPct(af.wrought_share.mean), rec: fmtPct(af.al_recovery.mean),
    tph: fmt(doc.throughput_t_per_h), buyer: g.buyer, p: fmtPct(g.probability_met),
    price: fmt(g.expected_price_JPY_per_kg), lim: g.most_limiting });
  const thead = document.createElement("thead");
  const hr = document.createElement("tr");
  for (const h of [t("al.fraction"), t("al.mass"), ...EL_SHOWN.map((e) => `${e} (wt %)`)]) hr.append(cell("th", h));
  thead.append(hr);
  const tbody = document.createElement("tbody");
  for (const [fr, d] of Object.entries(doc.fractions)) {
    const tr = document.createElement("tr");
    tr.append(cell("td", fr), cell("td", `${fmt(d.mass_kg.mean)} ± ${fmt(d.mass_kg.sd)}`));
    for (const e of EL_SHOWN) {
      const c = d.composition_wt_pct[e];
      tr.append(cell("td", `${fmt(c.mean)} (${fmt(c.p5)}–${fmt(c.p95)})`));
    }
    tbody.append(tr);
  }
  $("#al-fractions").replaceChildren(thead, tbody);
  al.last = { doc, buyer: req.buyer };
  drawAlloyChart(al.last);
  $("#al-result").hidden = false;
});

$("#al-plan").addEventListener("click", async () => {
  $("#al-errors").replaceChildren();
  $("#al-status").textContent = t("al.planning");
  const req = alInputs();
  const stock = Object.fromEntries(req.vehicles.map((v) => [v.vehicle, v.count]));
  const res = await api("/api/alloys/plan", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ stock, buyer: req.buyer, grain_mm: req.grain_mm, sorter: req.sorter,
      product: req.sorter ? "cast" : "al", probability: Number($("#al-prob").value) }) });
  const doc = await res.json();
  if (!res.ok) { $("#al-plan-result").hidden = true; alError(doc); return; }
  $("#al-status").textContent = "";
  $("#al-plan-summary").textContent = t("al.planned", { margin: fmt(doc.margin_JPY), kg: fmt(doc.product_kg),
    p: fmtPct(doc.probability_met) });
  const thead = document.createElement("thead");
  const hr = document.createElement("tr");
  hr.append(cell("th", t("al.vehicle")), cell("th", t("al.shred")), cell("th", t("al.removeFirst")));
  thead.append(hr);
  const tbody = document.createElement("tbody");
  for (const [v, n] of Object.entries(doc.vehicles)) {
    if (n < 1e-6) continue;
    const rm = Object.entries(doc.removals[v] || {}).map(([p, k]) => `${p} ×${fmt(k)}`).join(", ");
    const tr = document.createElement("tr");
    tr.append(cell("td", v), cell("td", fmt(n)), cell("td", rm));
    tbody.append(tr);
  }
  $("#al-plan-table").replaceChildren(thead, tbody);
  $("#al-plan-result").hidden = false;
});

// ---- lots (traceability) --------------------------------------------------------------------
function table(el, heads, rows) {
  const thead = document.createElement("thead");
  const hr = document.createElement("tr");
  heads.forEach((h) => hr.append(cell("th", h)));
  thead.append(hr);
  const tbody = document.createElement("tbody");
  for (const r of rows) { const tr = document.createElement("tr"); r.forEach((v) => tr.append(cell("td", v))); tbody.append(tr); }
  el.replaceChildren(thead, tbody);
}

const tr = { last: null };

async function showTrace() {
  show("trace");
  const [notes, cat, ags] = await Promise.all(["notifications", "catalogue", "agreements"].map(
    async (k) => (await api(`/api/trace/${k}`)).json()));
  $("#tr-notes").replaceChildren(...(notes.notifications.length
    ? notes.notifications.map((n) => cell("li", `${n.created_at.slice(0, 19)} — ${n.message}`))
    : [cell("li", t("tr.none"))]));
  table($("#tr-catalogue"), [t("tr.provider"), t("tr.name"), t("tr.fields"), t("tr.policy")],
    cat.datasets.map((d) => [d.provider, `${d.name} (${d.lots})`, d.fields.join(", "), JSON.stringify(d.policy)]));
  table($("#tr-agreements"), [t("tr.grantor"), t("tr.grantee"), t("tr.fields"), t("tr.purpose"), t("tr.expires"), t("tr.revoked")],
    ags.agreements.map((a) => [a.grantor, a.grantee, a.fields.join(", "), a.purpose, a.expires_at.slice(0, 10), a.revoked ? "✓" : ""]));
  // a revoke button on the agreements this organisation granted
  const me = ($("#who").textContent.match(/\((.*)\)/) || [])[1];
  $("#tr-agreements").querySelectorAll("tbody tr").forEach((tr, i) => {
    const a = ags.agreements[i];
    if (a.revoked || a.grantor !== me) return;
    const btn = Object.assign(document.createElement("button"), { type: "button", textContent: t("tr.revoke") });
    btn.setAttribute("aria-label", `${t("tr.revoke")} ${a.grantee} ${a.purpose}`);
    btn.addEventListener("click", async () => { await api(`/api/trace/agreements/${a.id}`, { method: "DELETE" }); showTrace(); });
    tr.lastChild.append(btn);
  });
  if (!$("#tr-fields").children.length) {
    for (const f of ["cfp", "recycled", "claims", "composition", "inputs", "site"]) {
      const box = Object.assign(document.createElement("input"), { type: "checkbox", id: `tr-f-${f}`, value: f });
      const label = Object.assign(document.createElement("label"), { htmlFor: box.id, textContent: t(`tr.field.${f}`, {}, f) });
      const span = document.createElement("span"); span.append(box, label); $("#tr-fields").append(span);
    }
  }
}

$("#tr-grant").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#tr-errors").replaceChildren();
  const fields = [...document.querySelectorAll("#tr-fields input:checked")].map((el) => el.value);
  const res = await api("/api/trace/agreements", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ grantee: $("#tr-grantee").value.trim(), lots: $("#tr-lots").value.split(",").map((x) => x.trim()).filter(Boolean),
      fields, purpose: $("#tr-purpose").value.trim(), expires_at: `${$("#tr-expires").value}T23:59:59Z` }) });
  if (!res.ok) {
    const doc = await res.json();
    $("#tr-errors").replaceChildren(...problemMessages(doc).map((m) => cell("li", m)));
    return;
  }
  $("#tr-grant-status").textContent = t("tr.granted");
  await showTrace();
});

$("#tr-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#tr-errors").replaceChildren();
  const lot = $("#tr-lot").value.trim();
  const res = await api(`/api/trace/lots/${encodeURIComponent(lot)}/genealogy`);
  if (!res.ok) {
    $("#tr-result").hidden = true; tr.last = null;
    showProblem("#tr-errors", res.status === 404 ? { detail: t("tr.notFound", { lot }) } : await problemOf(res));
    return;
  }
  tr.last = { g: await res.json(), lot };
  drawLot(tr.last);
});

function drawLot({ g, lot }) {
  const root = g.nodes.find((n) => n.lot === lot);
  const cfp = root.cfp_kgco2e || {}, rec = root.recycled || {};
  $("#tr-summary").textContent = t("tr.summary", { lot: root.lot, material: root.material, mass: fmt(root.mass_kg),
    creator: root.creator, owner: root.owner, cfp: fmt(cfp.total), perkg: fmt(cfp.per_kg),
    rec: rec.total === undefined ? "–" : fmtPct(rec.total), access: t(`tr.access.${root.access}`, {}, root.access) });
  const facts = root.pcf_facts;
  if (facts) {
    $("#tr-summary").textContent += " " + t("tr.facts", { country: facts.country || "–",
      carbon: facts.fossil_carbon_kg === null || facts.fossil_carbon_kg === undefined
        ? t("tr.undeclared") : fmt(facts.fossil_carbon_kg),
      standards: (facts.standards || []).join(", ") });
  }
  // genealogy: columns by generation (upstream left, downstream right)
  const level = { [lot]: 0 };
  for (let pass = 0; pass < g.nodes.length; pass++) {
    for (const e of g.edges) {
      if (level[e.to] !== undefined && level[e.from] === undefined) level[e.from] = level[e.to] - 1;
      if (level[e.from] !== undefined && level[e.to] === undefined) level[e.to] = level[e.from] + 1;
    }
  }
  const perLevel = {};
  const pos = {};
  for (const n of g.nodes) {
    const l = level[n.lot] ?? 0;
    perLevel[l] = (perLevel[l] || 0) + 1;
    pos[n.lot] = [l, perLevel[l]];
  }
  const traces = g.edges.map((e) => ({ x: [pos[e.from][0], pos[e.to][0]], y: [pos[e.from][1], pos[e.to][1]],
    mode: "lines", line: { color: "#999" }, hoverinfo: "text", text: `${fmt(e.mass_kg)} kg`, showlegend: false }));
  traces.push({ x: g.nodes.map((n) => pos[n.lot][0]), y: g.nodes.map((n) => pos[n.lot][1]), mode: "markers+text",
    text: g.nodes.map((n) => `${n.lot}<br>${n.cfp_kgco2e ? fmt(n.cfp_kgco2e.total) + " kg CO2e" : ""}`),
    textposition: "top center", marker: { size: 18, color: g.nodes.map((n) => n.lot === lot ? "#c0392b" : "#1b4f72") },
    hovertext: g.nodes.map((n) => `${n.lot}: ${n.material}, ${fmt(n.mass_kg)} kg (${n.creator})`), hoverinfo: "text", showlegend: false });
  plot("tr-graph", traces, { title: t("chart.genealogy"), height: 380, xaxis: { visible: false }, yaxis: { visible: false },
    margin: { l: 10, r: 10, t: 50, b: 10 }, plot_bgcolor: "white" });
  // breakdown: each input's share of the CFP and of the recycled mass (mass-allocated)
  const inputs = (root.inputs || []).map((i) => ({ ...i, node: g.nodes.find((n) => n.lot === i.lot) }))
    .filter((i) => i.node && i.node.cfp_kgco2e);
  if (inputs.length) {
    const cfpPart = inputs.map((i) => i.node.cfp_kgco2e.total * i.mass_kg / i.node.mass_kg);
    const recPart = inputs.map((i) => (i.node.recycled ? i.node.recycled.total : 0) * i.mass_kg);
    // two panels side by side, each with its own scale (one overlaid axis hid one bar behind the other)
    const lots = inputs.map((i) => i.lot);
    plot("tr-breakdown", [
      { type: "bar", name: t("tr.legendCfp"), x: lots, y: cfpPart, hovertemplate: "%{x}: %{y:,.4~g} kg CO2e<extra></extra>" },
      { type: "bar", name: t("tr.legendRecycled"), x: lots, y: recPart, xaxis: "x2", yaxis: "y2",
        hovertemplate: "%{x}: %{y:,.4~g} kg<extra></extra>" }],
    { title: t("chart.breakdown"), height: 360, legend: { orientation: "h", y: -0.25 },
      xaxis: { domain: [0, 0.44], title: t("tr.inputLot") }, yaxis: { title: t("axis.kgCo2e"), rangemode: "tozero" },
      xaxis2: { domain: [0.56, 1], anchor: "y2", title: t("tr.inputLot") },
      yaxis2: { anchor: "x2", title: t("axis.kg"), rangemode: "tozero" } });
    $("#tr-breakdown").hidden = false;
  } else { $("#tr-breakdown").hidden = true; }
  $("#tr-result").hidden = false;
}

// ---- routing ----------------------------------------------------------------------------
async function route() {
  const hash = location.hash || "#/models";
  if (hash === "#/login") { await whoami(); show("login"); return; }
  const me = await whoami();
  if (!me) { location.hash = "#/login"; return; }
  if (hash === "#/network") { show("network"); return; }
  if (hash === "#/foresight") { await showForesight(); return; }
  if (hash === "#/alloys") { await showAlloys(); return; }
  if (hash === "#/trace") { await showTrace(); return; }
  const m = hash.match(/^#\/models\/(\w+)$/);
  if (m) await showModel(m[1]); else await showModels();
}
window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", async () => { await loadLang(state.lang); route(); });

/** The messages of an error answer (RFC 9457 problem+json: detail, plus errors[] by field),
 * without validation prefixes such as "Value error, ". */
function problemMessages(doc) {
  const clean = (m) => String(m ?? "").replace(/^(Value|Assertion|Type) error,\s*/i, "");
  if (doc && Array.isArray(doc.errors) && doc.errors.length) {
    return doc.errors.map((e) => (e.path ? `${e.path}: ${clean(e.message)}` : clean(e.message)));
  }
  const detail = doc && (doc.detail || doc.message || doc.title);
  return [detail ? clean(typeof detail === "string" ? detail : JSON.stringify(detail)) : t("err.generic")];
}

/** The problem document of a failed response (a readable stand-in when it is not JSON). */
async function problemOf(res) {
  try { return await res.clone().json(); } catch {
    return { detail: res.status === 404 ? t("err.notFound") : t("err.status", { status: res.status }) };
  }
}

/** Show a problem as a list of readable messages in the list `sel`. */
function showProblem(sel, doc) {
  $(sel).replaceChildren(...problemMessages(doc).map((m) => { const li = document.createElement("li"); li.textContent = m; return li; }));
}
