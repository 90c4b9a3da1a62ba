// Reverse-chain page (seed 003, solution 2): meter a dismantling day (a generated compressor day,
// the shipped example, or the user's clamp readings and scan events) as long work with cancel; the
// station timeline with the detected steps, energy per step and product model, the unit factors with
// the sources of the numbers they use, their export as a lifecycle library template (and how a
// scenario uses it); the product model identified from a photo with its evidence.
import { $, api, fmt, fmtPct, jsonBody, jsonError, longTask, plot, problemOf, richTable, show, showMessages, showProblem,
  staticExample, t } from "./core.js";
import { yenCell } from "./yen.js";

const me = { last: null, ref: null, exported: null, ident: null, photoUrl: null, url: null };
const STEP_COLOURS = ["#1f618d", "#b9770e", "#7d3c98", "#117a65", "#a93226", "#2e4053", "#d35400", "#5d6d7e"];
const source = () => document.querySelector('input[name="me-source"]:checked').value;
/** A step's name: the seed's steps translated, any other as written in the circuits file. */
const stepName = (s) => t(`me.step.${s}`, {}, s);

async function showMetering() {
  show("metering");
  if (!$("#me-circuits").value) $("#me-circuits").value = JSON.stringify((await staticExample("metering_example")).circuits, null, 1);
  if (me.last) drawRun(me.last);
  if (me.ident) drawIdentification(me.ident);
}

function syncSource() {
  const s = source();
  document.querySelectorAll(".me-opt").forEach((el) => { el.hidden = el.dataset.source !== s; });
}
document.querySelectorAll('input[name="me-source"]').forEach((r) => r.addEventListener("change", syncSource));

const readText = (file) => new Promise((resolve, reject) => {
  const fr = new FileReader(); fr.onload = () => resolve(fr.result); fr.onerror = () => reject(fr.error); fr.readAsText(file);
});

/** The route and body of the run the form asks for, or null after showing what is wrong. */
async function request() {
  const s = source();
  if (s === "demo") {
    const errs = []; const int = (id, lo, hi, key) => {
      const raw = $(id).value.trim(); const v = Number(raw);
      if (raw === "" || !Number.isInteger(v) || v < lo || v > hi) errs.push(t("an.range", { what: t(key), lo: fmt(lo), hi: fmt(hi) }));
      return v;
    };
    const body = { units: int("#me-units", 2, 100, "me.units"), seed: int("#me-seed", 0, 2147483648, "me.seed") };
    if (errs.length) { showMessages("#me-errors", errs); return null; }
    return { path: "/api/metering/demo", body };
  }
  if (s === "example") {
    const ex = await staticExample("metering_example");
    return { path: "/api/metering/run", body: ex };
  }
  let circuits;
  try { circuits = JSON.parse($("#me-circuits").value); } catch { showMessages("#me-errors", [t("me.badJson", { msg: jsonError($("#me-circuits").value) })]); return null; }
  if (!circuits || typeof circuits !== "object" || Array.isArray(circuits)) { showMessages("#me-errors", [t("me.badJson", { msg: "{…}" })]); return null; }
  const [readings] = $("#me-readings").files; const [scans] = $("#me-scans").files;
  if (!readings) { showMessages("#me-errors", [t("me.noReadings")]); return null; }
  const body = { circuits, readings_csv: await readText(readings) };
  if (scans) body.scans_csv = await readText(scans);
  return { path: "/api/metering/run", body };
}

$("#me-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#me-errors").replaceChildren();
  const req = await request(); if (!req) return;
  $("#me-result").hidden = true; me.last = null; me.exported = null;  // the old result no longer matches the form
  const res = await longTask({ status: $("#me-status"), start: $("#me-run"), cancel: $("#me-cancel"), bar: $("#me-progress"),
    what: () => t("me.running") }, async (signal) => {
    const [r, ref] = await Promise.all([api(req.path, jsonBody(req.body, "POST", signal)), me.ref ? null : api("/api/metering/reference", { signal })]);
    if (ref && ref.ok) me.ref = await ref.json();
    return r;
  });
  if (!res) return;
  $("#me-status").textContent = "";
  if (!res.ok) { showProblem("#me-errors", await problemOf(res)); return; }
  me.last = { source: source(), result: await res.json() };
  drawRun(me.last);
  $("#me-result").scrollIntoView({ block: "start" });
});

/** Epoch seconds of the run's first reading (the timeline's zero). */
function origin(r) {
  const starts = Object.values(r.summary.import.circuits || {}).map((c) => c.start).filter(Number.isFinite);
  return starts.length ? Math.min(...starts) : Math.min(...r.events.map((e) => e.start));
}

function drawRun(last) {
  const r = last.result; const s = r.summary; const imp = s.import;
  $("#me-result").hidden = false;
  $("#me-result-title").textContent = t(`me.result.${last.source}`);
  const models = [...new Set(r.factors.map((f) => f.model))];
  const units = new Set(r.events.map((e) => e.unit_id)).size;
  const kwh = Object.values(imp.circuits).reduce((a, c) => a + c.kwh, 0);
  const idle = Object.values(s.circuits || {}).reduce((a, c) => a + (c.idle_kwh || 0), 0);
  $("#me-summary").textContent = t("me.summary", { units, models: models.length, steps: r.events_total,
    circuits: Object.keys(imp.circuits).length, rows: fmt(imp.rows), refused: fmt(imp.quarantined), kwh: fmt(kwh), idle: fmt(idle) });
  const notes = [...Object.entries(imp.quarantine_reasons || {}).map(([why, n]) => t("me.refused", { n: fmt(n), why })),
    ...Object.entries(s.residual_kwh || {}).map(([c, v]) => t("me.residual", { circuit: c, kwh: fmt(v) })),
    ...(r.events_total > r.events.length ? [t("me.eventsCut", { shown: fmt(r.events.length), total: fmt(r.events_total) })] : [])];
  $("#me-quarantine").replaceChildren(...notes.map((n) => Object.assign(document.createElement("li"), { textContent: n })));
  drawTimeline(r);
  drawEnergy(r);
  drawSteps(r);
  drawFactors(r);
  drawReference();
  if (me.exported) drawExport(me.exported); else $("#me-export").hidden = true;
}

/** One row per step (with its circuit), a bar per detected step of a unit from its start to its end. */
function drawTimeline(r) {
  const t0 = origin(r);
  const steps = [...new Set(r.events.map((e) => e.step))];
  const row = (e) => `${stepName(e.step)} · ${e.circuit}`;
  const traces = steps.map((st, i) => {
    const ev = r.events.filter((e) => e.step === st);
    return { type: "bar", orientation: "h", name: stepName(st), y: ev.map(row), base: ev.map((e) => (e.start - t0) / 60),
      x: ev.map((e) => Math.max((e.end - e.start) / 60, 0.05)), marker: { color: STEP_COLOURS[i % STEP_COLOURS.length],
        opacity: ev.map((e) => (e.shared ? 0.55 : 0.95)), line: { color: "#222", width: 0.5 } },
      customdata: ev.map((e) => [e.unit_id, e.model, fmt(e.wh), fmt(e.operating_s), t(e.shared ? "me.shared" : "me.alone"),
        fmt((e.start - t0) / 60), fmt((e.end - t0) / 60)]),
      hovertemplate: `${t("me.hover.unit")}: %{customdata[0]} (%{customdata[1]})<br>%{customdata[5]}–%{customdata[6]} min`
        + `<br>%{customdata[2]} Wh, ${t("me.hover.operating")} %{customdata[3]} s<br>%{customdata[4]}<extra>${stepName(st)}</extra>` };
  });
  const rows = [...new Set(r.events.map(row))];
  plot("me-timeline", traces, { title: t("me.chart.timelineTitle", { n: fmt(r.events.length) }), barmode: "overlay",
    height: 160 + 48 * rows.length, margin: { l: 220 }, xaxis: { title: t("me.axis.time"), rangemode: "tozero" },
    yaxis: { title: t("me.axis.step"), type: "category", automargin: true }, legend: { orientation: "h", y: -0.3, yanchor: "top" } });
}

/** kWh per unit (mean, 5–95 % as error bars) per step, one bar per product model. */
function drawEnergy(r) {
  const steps = [...new Set(r.factors.map((f) => f.step))];
  const models = [...new Set(r.factors.map((f) => f.model))];
  const traces = models.map((m, i) => {
    const f = steps.map((st) => r.factors.find((x) => x.model === m && x.step === st) || null);
    const wh = (x, k) => (x ? 1000 * x[k] : null);
    return { type: "bar", name: m, x: steps.map(stepName), y: f.map((x) => wh(x, "kwh_mean")),
      marker: { color: ["#1f618d", "#ca6f1e", "#117a65", "#7d3c98"][i % 4] },
      error_y: { type: "data", symmetric: false, visible: true, array: f.map((x) => (x ? wh(x, "kwh_p95") - wh(x, "kwh_mean") : 0)),
        arrayminus: f.map((x) => (x ? wh(x, "kwh_mean") - wh(x, "kwh_p05") : 0)) },
      customdata: f.map((x) => (x ? [fmt(wh(x, "kwh_p05")), fmt(wh(x, "kwh_p95")), x.units] : ["–", "–", 0])),
      hovertemplate: `%{y:.4~r} Wh (5–95 %: %{customdata[0]}–%{customdata[1]}), ${t("me.hover.units")} %{customdata[2]}<extra>${m}</extra>` };
  });
  plot("me-energy", traces, { title: t("me.chart.energyTitle"), barmode: "group", height: 380,
    xaxis: { title: t("me.axis.step"), type: "category" }, yaxis: { title: t("me.axis.wh"), rangemode: "tozero" },
    legend: { title: { text: t("me.legendModel") } } });
}

function drawSteps(r) {
  const truth = r.truth_kwh_per_step || null;
  const heads = [t("me.col.step"), t("me.col.scanned"), t("me.col.inferred"), t("me.col.total")];
  if (truth) heads.push(t("me.col.truth"), t("me.col.deviation"));
  richTable($("#me-steps"), heads, r.summary.steps.map((s) => {
    const row = [stepName(s.step), fmt(s.scanned_kwh), fmt(s.inferred_kwh), fmt(s.kwh)];
    if (truth) { const tr = truth[s.step]; row.push(fmt(tr), tr ? fmtPct((s.kwh - tr) / tr) : "–"); }
    return row;
  }), [1, 2, 3, 4, 5]);
}

function drawFactors(r) {
  const wh = (v) => fmt(1000 * v);
  // one unit gives no standard deviation (the service sends null with sd_note)
  const sd = (v, f) => (v == null ? t("me.sdNa") : f(v));
  richTable($("#me-factors"), [t("me.col.model"), t("me.col.step"), t("me.col.units"), t("me.col.wh"), t("me.col.range"),
    t("me.col.operating"), t("me.col.shared"), t("me.col.co2e"), t("me.col.jpy")],
  r.factors.map((f) => [f.model, stepName(f.step), fmt(f.units), `${wh(f.kwh_mean)} ± ${sd(f.kwh_sd, wh)}`,
    `${wh(f.kwh_p05)} – ${wh(f.kwh_p95)}`, `${fmt(f.operating_s_mean)} ± ${sd(f.operating_s_sd, fmt)}`, fmt(f.shared_units),
    fmt(1000 * f.kg_co2e), yenCell(f.jpy)]), [2, 3, 4, 5, 6, 7, 8], [0]);
}

/** The grid factor, tariff and assumed voltage / power factor, each with its source as written. */
function drawReference() {
  if (!me.ref) { $("#me-reference").replaceChildren(); return; }
  const UNITS = { v_ll_three_phase: "V", v_single_phase: "V", power_factor: "", grid_kg_per_kwh: "kg CO2e/kWh", tariff_jpy_per_kwh: t("me.unit.tariff") };
  richTable($("#me-reference"), [t("me.col.quantity"), t("me.col.value"), t("me.col.source")],
    Object.entries(me.ref).map(([k, v]) => [t(`me.ref.${k}`, {}, k), `${fmt(v.value)} ${UNITS[k] ?? ""}`.trim(), v.source]), [1], [2]);
}

$("#me-export-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!me.last) return;
  $("#me-export-errors").replaceChildren(); $("#me-export-status").textContent = t("me.exporting");
  const res = await api("/api/metering/export", jsonBody({ factors: me.last.result.factors, actor: $("#me-actor").value.trim() }));
  $("#me-export-status").textContent = "";
  if (!res.ok) { showProblem("#me-export-errors", await problemOf(res)); return; }
  me.exported = await res.json();
  drawExport(me.exported);
});

const quantity = (s) => String(s).split(" ");
/** A process's own provenance (the clamp data and factor set); the grid factor's and tariff's
 * sources, the same for every process, are in the table of sources above. */
const provenance = (src) => { const [own, rest] = String(src).split("; CO2e:"); return rest ? `${own}; ${t("me.seeSources")}` : own; };
/** The template's processes, what each model's dismantling adds per unit, the YAML a model needs. */
function drawExport(doc) {
  $("#me-export").hidden = false;
  const procs = Object.entries(doc.processes);
  const uf = doc.unit_factors || {};
  $("#me-export-summary").textContent = t("me.exportSummary", { n: procs.length, id: uf.id || "–", version: uf.version ?? "–",
    actor: Object.keys(doc.actors || {})[0] || "–" });
  const num = (s) => { const [v, ...u] = quantity(s); return `${fmt(Number(v))} ${u.join(" ")}`; };
  richTable($("#me-processes"), [t("me.col.process"), t("me.col.model"), t("me.col.step"), t("me.col.energy"), t("me.col.co2eProc"),
    t("me.col.cost"), t("me.col.source")],
  procs.map(([id, p]) => { const f = factorOf(id); return [id, f ? f.model : "–", f ? stepName(f.step) : "–", num(p.energy), num(p.co2e), num(p.cost), provenance(p.source)]; }),
  [3, 4, 5], [0, 1, 6]);
  const byModel = {};
  for (const [id] of procs) {
    const f = factorOf(id); if (!f) continue;
    const m = byModel[f.model] ||= { ids: [], kwh: 0, co2e: 0, jpy: 0 };
    m.ids.push(id); m.kwh += f.kwh_mean; m.co2e += f.kg_co2e; m.jpy += f.jpy;
  }
  richTable($("#me-per-unit"), [t("me.col.model"), t("me.col.steps"), t("me.col.kwhUnit"), t("me.col.co2eUnit"), t("me.col.jpyUnit")],
    Object.entries(byModel).map(([m, v]) => [m, fmt(v.ids.length), fmt(v.kwh), fmt(v.co2e), yenCell(v.jpy)]), [1, 2, 3, 4], [0]);
  $("#me-snippet").textContent = Object.entries(byModel).map(([m, v]) => `products:\n  ${slug(m)}:          # ${m}\n    eol:\n      dismantling:\n`
    + `        processes: [${v.ids.join(", ")}]`).join("\n\n");
  const a = $("#me-download");
  if (me.url) URL.revokeObjectURL(me.url);
  me.url = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 1)], { type: "application/json" }));
  a.href = me.url;
}

const slug = (s) => String(s).replace(/[^0-9a-zA-Z_]+/g, "_").replace(/^_+|_+$/g, "").toLowerCase() || "x";
/** The factor row a template process was made from (the process id is model_step, slugged). */
function factorOf(id) { return (me.last ? me.last.result.factors : []).find((f) => `${slug(f.model)}_${slug(f.step)}` === id) || null; }

// ---- identification from a photo -----------------------------------------------------------
let photo = null;  // { name, blob }
let choice = 0;  // the latest choice wins: a sample still loading must not replace a later one
let loading = Promise.resolve();  // identify waits for the chosen sample to arrive
$("#me-photo").addEventListener("change", () => {
  choice += 1; const [f] = $("#me-photo").files; photo = f ? { name: f.name, blob: f } : null;
});
for (const [btn, file] of [["#me-sample-qr", "metering_photo_qr.png"], ["#me-sample-none", "metering_photo_none.png"]]) {
  $(btn).addEventListener("click", async () => {
    const mine = ++choice;
    loading = (async () => {
      const blob = await (await fetch(`/static/examples/${file}`)).blob();
      if (mine !== choice) return;
      photo = { name: file, blob };
      $("#me-photo").value = "";
      $("#me-id-status").textContent = t("me.sampleChosen", { name: file });
    })();
    await loading;
  });
}

const base64 = (blob) => new Promise((resolve, reject) => {
  const fr = new FileReader(); fr.onload = () => resolve(String(fr.result).split(",", 2)[1] || ""); fr.onerror = () => reject(fr.error);
  fr.readAsDataURL(blob);
});

$("#me-id-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#me-id-errors").replaceChildren();
  await loading;  // a sample clicked just before: identify that one, not the previous photo
  if (!photo) { showMessages("#me-id-errors", [t("me.noPhoto")]); return; }
  $("#me-id-result").hidden = true; me.ident = null;
  const chosen = photo;
  const res = await longTask({ status: $("#me-id-status"), start: $("#me-identify"), cancel: $("#me-id-cancel"), bar: $("#me-id-progress"),
    what: () => t("me.identifying") }, async (signal) => api("/api/metering/identify",
    jsonBody({ image_b64: await base64(chosen.blob), use_text: $("#me-text").checked }, "POST", signal)));
  if (!res) return;
  $("#me-id-status").textContent = "";
  if (!res.ok) { showProblem("#me-id-errors", await problemOf(res)); return; }
  if (me.photoUrl) URL.revokeObjectURL(me.photoUrl);
  me.photoUrl = URL.createObjectURL(chosen.blob);
  me.ident = { name: chosen.name, result: await res.json() };
  drawIdentification(me.ident);
});

function drawIdentification({ name, result: r }) {
  $("#me-id-result").hidden = false;
  const img = $("#me-id-img"); img.src = me.photoUrl; img.alt = t("me.photoAlt", { name });
  const e = r.entry || {};
  const how = t(`me.method.${r.method}`, {}, r.method);
  $("#me-id-summary").textContent = r.model ? t("me.idSummary", { model: r.model, maker: e.maker ?? "–",
    type: t(`me.type.${e.product_type}`, {}, e.product_type ?? "–"), conf: fmtPct(r.confidence), how, ms: fmt(1000 * r.seconds) })
    : t("me.idNone", { how, ms: fmt(1000 * r.seconds) });
  const ev = r.evidence || {};
  const rows = [[t("me.ev.regions"), fmt(ev.label_regions ?? 0)]];
  for (const c of ev.codes || []) rows.push([t("me.ev.code", { type: c.type }), c.data]);
  if (ev.text !== undefined) rows.push([t("me.ev.text"), ev.text.replace(/\s+/g, " ").trim() || "–"]);
  if (ev.text_match) rows.push([t("me.ev.match"), `${ev.text_match.token} (${fmtPct(ev.text_match.ratio)})`]);
  if (e.bom) rows.push([t("me.ev.bom"), e.bom]);
  richTable($("#me-id-evidence"), [t("me.col.evidence"), t("me.col.found")], rows, [], [1]);
  const shapes = ev.shape || [];
  $("#me-id-shapes").hidden = !shapes.length;
  richTable($("#me-id-shapes"), [t("me.col.nearest"), t("me.col.distance"), t("me.col.p")],
    shapes.map((s) => [s.model, fmt(s.distance), fmtPct(s.p)]), [1, 2], [0]);
}

function redrawMetering() {
  if (me.last) drawRun(me.last);
  if (me.ident) drawIdentification(me.ident);
}

export { showMetering, redrawMetering };
