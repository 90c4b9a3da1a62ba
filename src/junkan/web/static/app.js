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
}
const t = (key, vars = {}) =>
  (state.msg[key] || key).replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? "");

async function api(path, opts = {}) {
  const headers = Object.assign({ "X-Junkan-CSRF": "1" }, opts.headers || {});
  const res = await fetch(path, Object.assign({ credentials: "same-origin" }, opts, { headers }));
  if (res.status === 401 && !path.startsWith("/api/session")) {
    location.hash = "#/login";
    throw new Error("unauthorised");
  }
  return res;
}

function show(view) {
  for (const id of ["login", "models", "model", "network", "foresight", "alloys", "trace"]) $(`#view-${id}`).hidden = id !== view;
  $("#main").focus();
}

function fmt(v) {
  if (typeof v !== "number") return v ?? "–";
  if (Math.abs(v) < 1e-9) return "0";
  if (Math.abs(v) >= 1e4) return v.toLocaleString(state.lang, { maximumFractionDigits: 0 });
  return v.toLocaleString(state.lang, { maximumSignificantDigits: 4 });
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
$("#lang").addEventListener("change", async (ev) => { await loadLang(ev.target.value); route(); });

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
async function showModel(id) {
  show("model");
  $("#results").hidden = true; $("#comparison").hidden = true;
  const res = await api(`/api/models/${id}`);
  if (!res.ok) { $("#model-title").textContent = "404"; return; }
  const m = await res.json();
  state.model = m;
  $("#model-title").textContent = m.title || m.name;
  $("#scenario").replaceChildren(...m.scenarios.map((s) => new Option(s, s)));
  const fs = $("#params");
  fs.querySelectorAll(".param").forEach((n) => n.remove());
  m.parameters.forEach((p, i) => {
    const div = document.createElement("div"); div.className = "param";
    const label = document.createElement("label"); label.htmlFor = `param-${i}`; label.textContent = p.path;
    const input = document.createElement("input");
    Object.assign(input, { id: `param-${i}`, type: "number", min: 0, max: 1, step: "any", value: p.value });
    input.dataset.path = p.path; input.dataset.original = p.value;
    div.append(label, input); fs.append(div);
  });
  drawNetwork(m.graph);
}

function drawNetwork(graph) {
  if (!window.Plotly) return;
  const ids = graph.nodes.map((n) => n.id);
  const colour = { material: "#8d6e63", part: "#42a5f5", product: "#0b6e4f", stage: "#9e9e9e" };
  Plotly.react("network", [{
    type: "sankey", arrangement: "fixed",
    node: { label: graph.nodes.map((n) => n.label), color: graph.nodes.map((n) => colour[n.kind]), pad: 10,
            x: graph.nodes.map((n) => n.x), y: graph.nodes.map((n) => n.y) },
    link: { source: graph.edges.map((e) => ids.indexOf(e.source)), target: graph.edges.map((e) => ids.indexOf(e.target)),
            value: graph.edges.map(() => 1), color: graph.edges.map((e) => e.kind === "bom" ? "rgba(66,165,245,.35)" : "rgba(120,120,120,.3)") },
  }], { height: 420, margin: { l: 10, r: 10, t: 10, b: 10 } }, { displaylogo: false, responsive: true });
}

function overrides() {
  const out = {};
  document.querySelectorAll("#params input").forEach((inp) => {
    if (Number(inp.value) !== Number(inp.dataset.original)) out[inp.dataset.path] = Number(inp.value);
  });
  return out;
}

$("#run-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const m = state.model; if (!m) return;
  $("#run-errors").replaceChildren(); $("#progress").value = 0;
  $("#run").disabled = true;
  try {
    const res = await api(`/api/models/${m.id}/runs`, { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ scenario: $("#scenario").value, overrides: overrides() }) });
    if (res.status === 422) {
      for (const e of (await res.json()).errors) {
        const li = document.createElement("li"); li.textContent = `${e.path}: ${e.message}`; $("#run-errors").append(li);
      }
      return;
    }
    let run = await res.json();
    while (run.status === "queued" || run.status === "running") {
      $("#run-status").textContent = t(run.status); $("#progress").value = run.progress;
      await new Promise((r) => setTimeout(r, 250));
      run = await (await api(`/api/runs/${run.id}`)).json();
    }
    $("#progress").value = run.status === "succeeded" ? 1 : 0;
    if (run.status !== "succeeded") { $("#run-status").textContent = `${t("failed")} ${run.error}`; return; }
    $("#run-status").textContent = t("succeeded");
    await showResult(run.id);
  } finally { $("#run").disabled = false; }
});

async function showResult(runId) {
  const r = await (await api(`/api/runs/${runId}/result`)).json();
  const cards = [];
  for (const key of ["co2e_t", "virgin_input_t", "recycled_share", "circular_inflow_share", "reuse_rate", "recycling_rate", "final_disposal_t"]) {
    cards.push([t(`card.${key}`), r.totals[key], key]);
  }
  for (const [mat, share] of Object.entries(r.recycled_share_by_material_total)) {
    if (share > 0) cards.push([t("card.recycledShareOf", { m: mat }), share, `recycled_share_${mat}`]);
  }
  $("#cards").replaceChildren(...cards.map(([label, value, key]) => {
    const div = document.createElement("div"); div.className = "card"; div.dataset.key = key;
    const l = document.createElement("div"); l.className = "label"; l.textContent = label;
    const v = document.createElement("div"); v.className = "value"; v.textContent = fmt(value);
    div.append(l, v); return div;
  }));
  $("#results").hidden = false;
  if (window.Plotly) {
    const traces = ["co2e_t", "virgin_input_t", "final_disposal_t"].map((k) => ({ x: r.years, y: r.indicators[k], name: t(`card.${k}`), mode: "lines" }));
    Plotly.react("series", traces, { title: t("chart.series"), height: 340, legend: { orientation: "h" } }, { displaylogo: false, responsive: true });
    const n = r.sankey.nodes, l = r.sankey.links;
    Plotly.react("sankey", [{ type: "sankey", arrangement: "fixed", valueformat: ",.0f", valuesuffix: " t",
      node: { label: n.map((x) => x.label), x: n.map((x) => x.x), y: n.map((x) => x.y), pad: 12 },
      link: { source: l.map((x) => x.source), target: l.map((x) => x.target), value: l.map((x) => x.value) } }],
      { title: t("chart.sankey"), height: 500 }, { displaylogo: false, responsive: true });
  }
  const ind = await (await api(`/api/runs/${runId}/indicators`)).json();
  const head = document.createElement("tr");
  for (const h of ["framework", "indicator", "value", "formula"]) {
    const th = document.createElement("th"); th.scope = "col"; th.textContent = t(h); head.append(th);
  }
  const rows = [];
  for (const [fw, list] of Object.entries(ind)) {
    for (const i of list) {
      const tr = document.createElement("tr");
      const value = i.value === null ? `n/a (${i.reason})` : i.unit === "fraction"
        ? `${(100 * i.value).toLocaleString(state.lang, { maximumFractionDigits: 1 })} %` : `${fmt(i.value)} ${i.unit}`;
      for (const [text, cls] of [[fw, ""], [i.key, ""], [value, "num"], [i.formula, ""]]) {
        const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.append(td);
      }
      rows.push(tr);
    }
  }
  const thead = document.createElement("thead"); thead.append(head);
  const tbody = document.createElement("tbody"); tbody.append(...rows);
  $("#indicators-table").replaceChildren(thead, tbody);
  const tables = ["indicators", "materials", "processes", "flows", "products", "parts", "actors"];
  $("#downloads").replaceChildren(...tables.map((name) => {
    const li = document.createElement("li");
    for (const f of ["csv", "parquet"]) {
      const a = document.createElement("a"); a.href = `/api/runs/${runId}/tables/${name}?format=${f}`;
      a.textContent = `${name}.${f}`; a.download = `${name}.${f}`; li.append(a, " ");
    }
    return li;
  }));
}

$("#compare").addEventListener("click", async () => {
  const m = state.model; if (!m) return;
  $("#run-status").textContent = t("running");
  const doc = await (await api(`/api/models/${m.id}/compare`)).json();
  $("#run-status").textContent = t("succeeded");
  const table = $("#compare-table");
  const head = document.createElement("tr");
  for (const h of [t("figure"), ...doc.scenarios.map((s) => s.name)]) {
    const th = document.createElement("th"); th.scope = "col"; th.textContent = h; head.append(th);
  }
  const rows = [];
  const keys = [...new Set(doc.scenarios.flatMap((s) => Object.keys(s.headline)))];
  for (const k of keys) rows.push([k, doc.scenarios.map((s) => s.headline[k])]);
  for (const k of ["co2e_t", "virgin_input_t", "recycled_share", "reuse_rate", "final_disposal_t"])
    rows.push([t(`card.${k}`), doc.scenarios.map((s) => s.totals[k])]);
  const body = rows.map(([k, vals]) => {
    const tr = document.createElement("tr");
    const th = document.createElement("th"); th.scope = "row"; th.textContent = k; tr.append(th);
    for (const v of vals) { const td = document.createElement("td"); td.className = "num"; td.textContent = fmt(v); tr.append(td); }
    return tr;
  });
  const thead = document.createElement("thead"); thead.append(head);
  const tbody = document.createElement("tbody"); tbody.append(...body);
  table.replaceChildren(thead, tbody);
  $("#comparison").hidden = false;
});

// ---- network planner ----------------------------------------------------------------------
let outlines = null;
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
    const body = await res.json();
    for (const e of body.errors || [{ path: "", message: body.message || body.detail }]) {
      const li = document.createElement("li"); li.textContent = e.path ? `${e.path}: ${e.message}` : e.message;
      $("#network-errors").append(li);
    }
    return;
  }
  const plan = await res.json();
  $("#network-summary").textContent = t("network.summary", { cost: fmt(plan.cost_JPY),
    co2: fmt(plan.co2_t), hubs: plan.open_hubs.length, gap: (100 * plan.mip_gap).toFixed(3) });
  const head = document.createElement("tr");
  for (const h of ["network.hub", "network.capacity", "network.inflow", "network.util"]) {
    const th = document.createElement("th"); th.scope = "col"; th.textContent = t(h); head.append(th);
  }
  const rows = plan.open_hubs.map((h) => {
    const tr = document.createElement("tr");
    for (const [v, cls] of [[h.hub, ""], [fmt(h.capacity_t), "num"], [fmt(h.inflow_t), "num"],
                            [`${Math.round(100 * h.utilisation)} %`, "num"]]) {
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
        text: `${f.mode}: ${fmt(f.t)} t/yr` });
    }
    traces.push({ x: plan.open_hubs.map((h) => h.lon), y: plan.open_hubs.map((h) => h.lat), mode: "markers",
      name: t("network.hub"), marker: { symbol: "square", size: 10, color: "#1b4f72" },
      text: plan.open_hubs.map((h) => h.hub), hoverinfo: "text" });
    traces.push({ x: plan.destinations.map((d) => d.lon), y: plan.destinations.map((d) => d.lat),
      mode: "markers", name: t("network.destination"), marker: { symbol: "star", size: 14, color: "#c0392b" },
      text: plan.destinations.map((d) => d.name), hoverinfo: "text" });
    Plotly.react("network-map", traces, { height: 700, yaxis: { scaleanchor: "x", scaleratio: 1.2 },
      plot_bgcolor: "white", margin: { l: 40, r: 10, t: 10, b: 40 } }, { displaylogo: false, responsive: true });
  }
});

// ---- future scenarios (foresight) ---------------------------------------------------------
const fs = { models: [], timer: null, seq: 0 };
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

function drawLevers() {
  const m = currentModel();
  $("#fs-about").textContent = t("fs.about", { factors: m.factors, links: m.links,
    start: m.years[0], end: m.years[1] });
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
    const li = document.createElement("li");
    li.textContent = problemMessages(doc).join("; ");
    $("#fs-errors").append(li); $("#fs-status").textContent = ""; return;
  }
  $("#fs-status").textContent = t("fs.ran", { n: fmt(doc.scenarios), s: doc.seconds.toFixed(2) });
  const traces = [];
  Object.entries(doc.families).forEach(([fam, q], i) => {
    const c = FAN_COLOURS[i % FAN_COLOURS.length];
    const yrs = doc.years, back = [...yrs].reverse();
    for (const [lo, hi, a] of [["q05", "q95", 0.12], ["q25", "q75", 0.3]]) {
      traces.push({ x: [...yrs, ...back], y: [...q[hi], ...[...q[lo]].reverse()], fill: "toself",
        fillcolor: rgba(c, a), line: { width: 0 }, hoverinfo: "skip", showlegend: false, legendgroup: fam });
    }
    traces.push({ x: yrs, y: q.q50, name: fam, legendgroup: fam, line: { color: c, width: 2 } });
  });
  Plotly.react("fs-fans", traces, { height: 420, yaxis: { range: [0, 1], title: "score" },
    margin: { l: 50, r: 10, t: 10, b: 40 } }, { displaylogo: false, responsive: true });
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
  if (!res.ok) { $("#fs-status").textContent = problemMessages(doc).join("; "); return; }
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
    for (const v of [GROUPS[g], `${(100 * share).toFixed(1)} %`, ...fams.map((f) => doc.ratings[g][f])]) {
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
    text: [...Array(k).keys()].map((g) => `${GROUPS[g]} ${(100 * doc.group_shares[g]).toFixed(0)} %`),
    textposition: "middle right", marker: { size: 12, color: "#1b4f72" }, showlegend: false });
  Plotly.react("fs-tree", traces, { height: 60 * k + 120, annotations: notes, yaxis: { visible: false },
    xaxis: { range: [doc.years[0] - 8, end + 6] }, plot_bgcolor: "white",
    margin: { l: 10, r: 10, t: 10, b: 40 } }, { displaylogo: false, responsive: true });
  $("#fs-analysis").hidden = false;
});

// ---- ELV aluminium ------------------------------------------------------------------------
const al = { lib: null };
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
  if (!res.ok) { $("#al-result").hidden = true; alError(doc); return; }
  $("#al-status").textContent = "";
  const af = doc.al_fraction, g = doc.grade_al_fraction;
  $("#al-summary").textContent = t("al.summary", { share: af.al_share.mean.toFixed(3),
    wrought: af.wrought_share.mean.toFixed(3), rec: af.al_recovery.mean.toFixed(3),
    tph: doc.throughput_t_per_h.toFixed(1), buyer: g.buyer, p: g.probability_met.toFixed(2),
    price: Math.round(g.expected_price_JPY_per_kg), lim: g.most_limiting });
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
  const comp = doc.fractions.al.composition_wt_pct;
  const lim = al.lib.buyers[req.buyer].max;
  const els = EL_SHOWN.filter((e) => e !== "Si");
  Plotly.react("al-chart", [
    { type: "bar", name: "Al fraction (mean, 5–95 %)", x: els, y: els.map((e) => comp[e].mean),
      error_y: { type: "data", symmetric: false, array: els.map((e) => comp[e].p95 - comp[e].mean),
        arrayminus: els.map((e) => comp[e].mean - comp[e].p5) } },
    { type: "scatter", mode: "markers", name: "buyer limit", x: els.filter((e) => lim[e] !== undefined),
      y: els.filter((e) => lim[e] !== undefined).map((e) => lim[e]), marker: { symbol: "line-ew-open", size: 40, color: "#c0392b" } },
  ], { height: 360, yaxis: { title: "wt %" }, margin: { l: 50, r: 10, t: 10, b: 40 } },
  { displaylogo: false, responsive: true });
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
    p: doc.probability_met.toFixed(3) });
  const thead = document.createElement("thead");
  const hr = document.createElement("tr");
  hr.append(cell("th", t("al.vehicle")), cell("th", t("al.shred")), cell("th", t("al.removeFirst")));
  thead.append(hr);
  const tbody = document.createElement("tbody");
  for (const [v, n] of Object.entries(doc.vehicles)) {
    if (n < 1e-6) continue;
    const rm = Object.entries(doc.removals[v] || {}).map(([p, k]) => `${p} ×${k.toFixed(1)}`).join(", ");
    const tr = document.createElement("tr");
    tr.append(cell("td", v), cell("td", n.toFixed(1)), cell("td", rm));
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
      const label = Object.assign(document.createElement("label"), { htmlFor: box.id, textContent: f });
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
    $("#tr-result").hidden = true;
    $("#tr-errors").replaceChildren(cell("li", res.status === 404 ? `${lot}: not found` : (await res.text())));
    return;
  }
  const g = await res.json();
  const root = g.nodes.find((n) => n.lot === lot);
  const cfp = root.cfp_kgco2e || {}, rec = root.recycled || {};
  $("#tr-summary").textContent = t("tr.summary", { lot: root.lot, material: root.material, mass: fmt(root.mass_kg),
    creator: root.creator, owner: root.owner, cfp: fmt(cfp.total), perkg: fmt(cfp.per_kg),
    rec: rec.total === undefined ? "–" : (100 * rec.total).toFixed(2), access: root.access });
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
    mode: "lines", line: { color: "#999" }, hoverinfo: "text", text: `${e.mass_kg} kg`, showlegend: false }));
  traces.push({ x: g.nodes.map((n) => pos[n.lot][0]), y: g.nodes.map((n) => pos[n.lot][1]), mode: "markers+text",
    text: g.nodes.map((n) => `${n.lot}<br>${n.cfp_kgco2e ? fmt(n.cfp_kgco2e.total) + " kg CO2e" : ""}`),
    textposition: "top center", marker: { size: 18, color: g.nodes.map((n) => n.lot === lot ? "#c0392b" : "#1b4f72") },
    hovertext: g.nodes.map((n) => `${n.lot}: ${n.material}, ${n.mass_kg} kg (${n.creator})`), hoverinfo: "text", showlegend: false });
  Plotly.react("tr-graph", traces, { height: 360, xaxis: { visible: false }, yaxis: { visible: false },
    margin: { l: 10, r: 10, t: 30, b: 10 }, plot_bgcolor: "white" }, { displaylogo: false, responsive: true });
  // breakdown: each input's share of the CFP and of the recycled mass (mass-allocated)
  const inputs = (root.inputs || []).map((i) => ({ ...i, node: g.nodes.find((n) => n.lot === i.lot) }))
    .filter((i) => i.node && i.node.cfp_kgco2e);
  if (inputs.length) {
    const cfpPart = inputs.map((i) => i.node.cfp_kgco2e.total * i.mass_kg / i.node.mass_kg);
    const recPart = inputs.map((i) => (i.node.recycled ? i.node.recycled.total : 0) * i.mass_kg);
    Plotly.react("tr-breakdown", [
      { type: "bar", name: "CFP (kg CO2e)", x: inputs.map((i) => i.lot), y: cfpPart },
      { type: "bar", name: "recycled mass (kg)", x: inputs.map((i) => i.lot), y: recPart, yaxis: "y2" }],
      { height: 320, barmode: "group", yaxis: { title: "kg CO2e" }, yaxis2: { title: "kg", overlaying: "y", side: "right" },
        margin: { l: 50, r: 50, t: 10, b: 40 } }, { displaylogo: false, responsive: true });
    $("#tr-breakdown").hidden = false;
  } else { $("#tr-breakdown").hidden = true; }
  $("#tr-result").hidden = false;
});

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

/** The messages of an error answer (RFC 9457 problem+json: detail, plus errors[] by field). */
function problemMessages(doc) {
  if (doc && Array.isArray(doc.errors) && doc.errors.length) {
    return doc.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message));
  }
  return [(doc && (doc.detail || doc.message)) || "error"];
}
