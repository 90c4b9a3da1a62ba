// The collection-network planner: solve a scenario (a file or the shipped example) as a server-side
// job, showing the best plan found so far, with cancel; the plan's hubs, and a map with collection legs, trunk legs by mode and a legend.
import { $, api, cell, fmt, fmtPct, longTask, plot, readNumber, show, showProblem, state, t } from "./core.js";
import { runJob } from "./jobs.js";
import { checked } from "./fieldnotes.js";
import { markRefused } from "./formcheck.js";
import { setYenText } from "./yen.js";

let outlines = null;
const netState = { last: null, source: null, warm: null };  // warm: the last plan's hubs for the same text
const MODE_COLOUR = { truck: "#d35400", ship: "#2471a3", rail: "#239b56" };
const EXAMPLE = "network_elv_japan";

function showNetwork() {
  show("network");
  if (netState.last) drawPlan(netState.last);
}

/** Solve `text` (YAML or JSON) at the carbon price in the form, showing progress; the old plan goes
 * at once (it no longer matches the inputs). */
async function solve(text, json, source) {
  $("#network-errors").replaceChildren();
  // the carbon price as typed, within what the service takes (0 … 1,000,000 JPY/tCO2e), said
  // with the field's label beside the field and in the list rather than as the service's carbon_price
  const read = () => ($("#carbon-price").value.trim() === "" ? { value: 0 }
    : readNumber($("#carbon-price"), document.querySelector('label[for="carbon-price"]').textContent.trim(), { min: 0, max: 1e6 }));
  const problem = checked($("#carbon-price"), () => read().problem);
  if (problem) { showProblem("#network-errors", { detail: problem }); return; }
  $("#network-result").hidden = true; netState.last = null;
  const price = read().value;
  const res = await longTask({ status: $("#network-status"), start: $("#network-solve"), cancel: $("#network-cancel"),
    bar: $("#network-progress"), what: () => t("network.solving") }, async (signal) => {
    $("#network-example").disabled = true;
    try { return await solveJob(text, json, price, source, signal); } finally {
      $("#network-example").disabled = false; $("#network-best").textContent = ""; $("#network-best").removeAttribute("title");
    }
  });
  await drawing;
  if (!res || res.problem) {  // cancelled or failed: no provisional plan stays
    $("#network-result").hidden = true; netState.last = null;
    if (res) {  // listed, and a refused carbon price beside its field too
      $("#network-status").textContent = ""; showProblem("#network-errors", res.problem);
      markRefused(res.problem, { carbon_price: "carbon-price" });
    }
    return;
  }
  $("#network-status").textContent = "";
  netState.last = { plan: res.plan, price, source };
  await drawPlan(netState.last);
}

let drawing = Promise.resolve();  // one drawing at a time: a streamed plan waits for the last

/** Plan as a server-side job (POST /api/network/jobs, core.js runJob); while it runs, the best plan
 * found so far is drawn (map, hubs, summary) and refined as better ones arrive. Cancel stops the
 * job on the server (DELETE). */
async function solveJob(text, json, price, source, signal) {
  const init = { method: "POST", headers: { "Content-Type": json ? "application/json" : "application/yaml" }, body: text };
  let drawn = null;
  // the plan solved last for the same scenario (e.g. at another carbon price) is the solver's first incumbent
  const warm = netState.warm && netState.warm.text === text ? `&start=${netState.warm.key.join(",")}` : "";
  const out = await runJob(`/api/network/jobs?carbon_price=${price}${warm}`, init, signal, { onProgress: (p) => {
    if (p && typeof p === "object" && p.objective != null) {
      setYenText($("#network-best"), "network.bestYen", { co2: fmt(p.co2e_t), hubs: p.hubs_opened.length,
        gap: fmtPct(p.mip_gap), s: Math.round(p.elapsed_s) }, { cost: p.cost_JPY });
      const key = `${p.objective} ${p.elapsed_s}`;  // each poll repeats the last progress: draw each plan once
      if (p.plan && !signal.aborted && key !== drawn) {
        drawn = key;
        netState.last = { plan: p.plan, price, source };  // a language switch redraws it too
        drawing = drawing.then(() => drawPlan({ plan: p.plan, price, source })).catch(() => {});
      }
    }
  } });
  if (!out.problem && Array.isArray(out.result.hubs_key)) netState.warm = { text, key: out.result.hubs_key };
  return out.problem ? out : { plan: out.result };
}

$("#network-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = $("#network-file").files[0];
  const problem = checked($("#network-file"), () => ($("#network-file").files.length ? null : t("network.needFile")));
  if (problem) { showProblem("#network-errors", { detail: problem }); return; }
  await solve(await file.text(), file.name.endsWith(".json"), file.name);
});

$("#network-example").addEventListener("click", async () => {
  const text = await (await api(`/api/examples/${EXAMPLE}`)).text();
  await solve(text, false, t(`example.${EXAMPLE}`));
});

function hubTable(plan) {
  const thead = document.createElement("thead");
  const hr = document.createElement("tr");
  for (const h of ["network.hub", "network.capacity", "network.inflow", "network.util"]) {
    const th = cell("th", t(h)); th.scope = "col"; hr.append(th);
  }
  thead.append(hr);
  const tbody = document.createElement("tbody");
  for (const h of plan.open_hubs) {
    const tr = document.createElement("tr");
    for (const [v, cls] of [[h.hub, ""], [fmt(h.capacity_t), "num"], [fmt(h.inflow_t), "num"], [fmtPct(h.utilisation), "num"]]) {
      const td = cell("td", v); if (cls) td.className = cls; tr.append(td);
    }
    tbody.append(tr);
  }
  $("#network-hubs").replaceChildren(thead, tbody);
}

/** Every leg as a segment with its ends: collection (zone → hub), trunk (hub → destination,
 * or → the destination's port by ship) and delivery (port → destination by truck after a
 * ship leg), as the report's map draws them. */
function segments(plan) {
  const dest = Object.fromEntries(plan.destinations.map((d) => [d.name, d]));
  const out = [];
  for (const f of plan.flows) {
    if (f.leg !== "trunk") {
      out.push({ ...f, a: plan.places[f.from], b: plan.places[f.to] });
      continue;
    }
    const d = dest[f.to];
    if (!d) continue;
    if (f.mode === "ship" && d.port) {
      out.push({ ...f, a: plan.places[f.from], b: d.port, to: d.port_name || f.to });
      out.push({ ...f, leg: "delivery", mode: "truck", from: d.port_name || f.to, a: d.port, b: [d.lon, d.lat] });
    } else {
      out.push({ ...f, a: plan.places[f.from], b: [d.lon, d.lat] });
    }
  }
  return out;
}

/** Lines of one leg type grouped per mode, so each mode has one legend entry. */
function legTraces(segs, leg, width, dash) {
  const top = Math.max(1, ...segs.filter((f) => f.leg === leg).map((f) => f.t));
  const out = [];
  for (const mode of Object.keys(MODE_COLOUR)) {
    const fl = segs.filter((f) => f.leg === leg && f.mode === mode && f.a && f.b);
    fl.forEach((f, i) => {
      const name = t(`network.leg.${leg}`, { mode: t(`mode.${mode}`, {}, mode) });
      out.push({ x: [f.a[0], f.b[0]], y: [f.a[1], f.b[1]], mode: "lines", legendgroup: `${leg}-${mode}`, showlegend: i === 0,
        name, line: { color: MODE_COLOUR[mode], width: width(f.t / top), dash }, hoverinfo: "text",
        text: `${name}: ${f.from} → ${f.to}, ${fmt(f.t)} t/yr` });
    });
  }
  return out;
}

async function drawPlan({ plan, price, source }) {
  setYenText($("#network-summary"), "network.summaryYen", { co2: fmt(plan.co2_t), hubs: plan.open_hubs.length,
    gap: fmtPct(plan.mip_gap) }, { cost: plan.cost_JPY });
  $("#network-about").textContent = t("network.about", { source, price: fmt(price) });
  hubTable(plan);
  $("#network-result").hidden = false;
  outlines = outlines || (await (await api("/api/network/prefectures")).json()).prefectures;
  const traces = outlines.map((p) => ({ x: p.outline.map((q) => q[0]), y: p.outline.map((q) => q[1]),
    mode: "lines", fill: "toself", fillcolor: "#f2f2f2", line: { color: "#999", width: 0.5 },
    hoverinfo: "text", text: state.lang === "ja" ? p.ja : p.name, showlegend: false }));
  const segs = segments(plan);
  traces.push(...legTraces(segs, "collection", (s) => 0.4 + 2.5 * s, "dot"));
  traces.push(...legTraces(segs, "trunk", (s) => 0.8 + 5 * s, "solid"));
  traces.push(...legTraces(segs, "delivery", (s) => 0.4 + 2.5 * s, "dash"));
  traces.push({ x: plan.open_hubs.map((h) => h.lon), y: plan.open_hubs.map((h) => h.lat), mode: "markers",
    name: t("network.hub"), marker: { symbol: "square", size: 10, color: "#1b4f72" },
    text: plan.open_hubs.map((h) => `${h.hub}: ${fmt(h.inflow_t)} t/yr`), hoverinfo: "text" });
  traces.push({ x: plan.destinations.map((d) => d.lon), y: plan.destinations.map((d) => d.lat),
    mode: "markers", name: t("network.destination"), marker: { symbol: "star", size: 14, color: "#c0392b" },
    text: plan.destinations.map((d) => d.name), hoverinfo: "text" });
  plot("network-map", traces, { title: t("chart.networkMap"), height: 760,
    xaxis: { title: t("axis.lon") }, yaxis: { title: t("axis.lat"), scaleanchor: "x", scaleratio: 1.2 },
    legend: { orientation: "h", y: -0.1, yanchor: "top" }, margin: { b: 90 }, plot_bgcolor: "white" });
}

function redrawNetwork() { if (netState.last) drawPlan(netState.last); }

export { showNetwork, redrawNetwork };
