// Shredder monitor page: a shipped scenario (editable JSON) run through the monitor as a server-side job
// (POST /api/sensing/jobs?kind=run, polled with its progress, DELETE on cancel); the signals over time with the alarms shaded and the true events marked, the alarms with the
// action each advises and its evidence, and the true events with whether an alarm caught them.
import { $, api, fmt, jsonBody, longTask, plot, problemOf, richTable, show, showMessages, showProblem,
  staticExample, t } from "./core.js";

const sn = { last: null, loaded: null, progress: null };
const POLL_MS = 500;
const SIGNALS = [["current", "#1f618d"], ["droop", "#7d3c98"], ["lel", "#b9770e"]];
const ALARM_EVENTS = new Set(["jam", "overload", "gas_cylinder", "battery", "fuel_tank"]);

async function showSensing() {
  show("sensing");
  if (sn.loaded === null) await loadExample();
  if (sn.last) drawRun(sn.last);
}

async function loadExample() {
  const name = $("#sn-example").value;
  sn.loaded = name;
  const doc = await staticExample(name);
  if (sn.loaded === name) $("#sn-doc").value = JSON.stringify(doc, null, 1);  // not one chosen meanwhile
}

const action = (a) => t(`sn.action.${a}`, {}, a);
const evtName = (e) => t(`sn.event.${e}`, {}, e);
const evidence = (ev) => ev.map((e) => `${e.source}: ${e.signal} ${fmt(e.value)} ≥ ${fmt(e.threshold)}`).join("; ") || "–";

function drawChart(r) {
  const s = r.series;
  // current and droop are shares of rated (left axis), gas is %LEL (right axis)
  const traces = SIGNALS.filter(([k]) => s[k]).map(([k, color]) => ({ type: "scatter", mode: "lines", x: s.t, y: s[k],
    yaxis: k === "lel" ? "y2" : "y", name: t(`sn.sig.${k}`), line: { color, width: 1.2 },
    hovertemplate: `${t(`sn.sig.${k}`)}: %{y}<br>t = %{x} s<extra></extra>` }));
  const top = Math.max(1, ...["current", "droop"].flatMap((k) => (s[k] || []).filter(Number.isFinite)));
  const shapes = r.alarms.map((a) => ({ type: "rect", xref: "x", yref: "paper", x0: a.start, x1: a.end ?? a.start + 1, y0: 0, y1: 1,
    fillcolor: "#e74c3c", opacity: 0.18, line: { width: 0 } }));
  traces.push({ type: "scatter", mode: "markers", x: r.alarms.map((a) => a.start), y: r.alarms.map(() => top * 1.05),
    name: t("sn.alarms"), marker: { symbol: "triangle-down", size: 12, color: "#c0392b" }, hoverinfo: "text",
    text: r.alarms.map((a) => `${t("sn.alarm")} ${a.id}: ${action(a.action)} (${fmt(a.start)}–${fmt(a.end)} s)`) });
  const ev = r.truth.events || [];
  traces.push({ type: "scatter", mode: "markers", x: ev.map((e) => e.onset_s), y: ev.map(() => -0.05 * top),
    name: t("sn.truthEvents"), marker: { symbol: "diamond", size: 10, color: ev.map((e) => (ALARM_EVENTS.has(e.type) ? "#117a65" : "#95a5a6")) },
    hoverinfo: "text", text: ev.map((e) => `${evtName(e.type)} ${fmt(e.onset_s)} s`) });
  plot("sn-chart", traces, { title: t("sn.chartTitle", { name: r.scenario, line: r.line }), height: 440, shapes,
    xaxis: { title: t("sn.axisTime") }, yaxis: { title: t("sn.axisSignal") },
    yaxis2: { title: t("sn.axisGas"), overlaying: "y", side: "right", showgrid: false, rangemode: "tozero" }, margin: { r: 70 }, legend: { orientation: "h", y: -0.2, yanchor: "top" } });
}

function drawRun(r) {
  $("#sn-result").hidden = false;
  const ev = r.truth.events || [];
  const wanted = ev.filter((e) => ALARM_EVENTS.has(e.type));
  const caught = (e) => r.alarms.some((a) => a.start <= (e.end_s ?? e.onset_s) + 5 && (a.end ?? a.start) >= e.onset_s);
  $("#sn-summary").textContent = t("sn.summary", { alarms: r.alarms.length, events: wanted.length,
    caught: wanted.filter(caught).length, minutes: fmt((r.truth.duration_s || 0) / 60) });
  drawChart(r);
  richTable($("#sn-alarms"), [t("sn.col.alarm"), t("sn.col.start"), t("sn.col.end"), t("sn.col.action"), t("sn.col.evidence"), t("sn.col.steps")],
    r.alarms.map((a) => [String(a.id), fmt(a.start), fmt(a.end), action(a.action), evidence(a.evidence),
      (a.decisions || []).map((d) => `${fmt(d.t)} s ${action(d.action)}`).join(" → ")]), [0, 1, 2], [4]);
  $("#sn-alarms").setAttribute("aria-label", t("sn.alarms"));
  richTable($("#sn-truth"), [t("sn.col.event"), t("sn.col.onset"), t("sn.col.end"), t("sn.col.severity"), t("sn.col.caught")],
    ev.map((e) => [evtName(e.type), fmt(e.onset_s), fmt(e.end_s), fmt(e.severity),
      ALARM_EVENTS.has(e.type) ? t(caught(e) ? "sn.yes" : "sn.missed") : t("sn.noAlarmWanted")]), [1, 2, 3]);
}

const sleep = (ms, signal) => new Promise((resolve, reject) => {
  const id = setTimeout(resolve, ms);
  signal.addEventListener("abort", () => { clearTimeout(id); reject(new DOMException("stopped", "AbortError")); }, { once: true });
});

/** What the job is doing, in words: its phase and share done. */
function phaseText() {
  const p = sn.progress;
  if (!p || !p.phase) return t("sn.running");
  return t("sn.phase", { phase: t(`sn.phase.${p.phase}`, {}, p.phase), pct: Math.round(100 * (p.fraction || 0)) });
}

/** Start the run as a job and poll it until it ends, showing its progress; a cancel stops it on the
 * server too (DELETE). */
async function runJob(body, bar, signal) {
  sn.progress = null;
  const res = await api("/api/sensing/jobs?kind=run", jsonBody(body, "POST", signal));
  if (!res.ok) return { problem: await problemOf(res) };
  let job = await res.json();
  try {
    while (job.status === "queued" || job.status === "running") {
      sn.progress = job.progress || null;
      if (sn.progress && Number.isFinite(sn.progress.fraction)) { bar.max = 1; bar.value = sn.progress.fraction; }
      await sleep(POLL_MS, signal);
      const r = await api(`/api/sensing/jobs/${job.id}`, { signal });
      if (!r.ok) return { problem: await problemOf(r) };
      job = await r.json();
    }
  } catch (e) {
    if (e.name === "AbortError") api(`/api/sensing/jobs/${job.id}`, { method: "DELETE" }).catch(() => {});
    throw e;
  }
  if (job.status !== "succeeded") return { problem: { detail: job.error || t("sn.failed") } };
  return { result: job.result };
}

$("#sn-example").addEventListener("change", loadExample);
$("#sn-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#sn-errors").replaceChildren();
  let scenario;
  try { scenario = JSON.parse($("#sn-doc").value); } catch (e) { showMessages("#sn-errors", [t("sn.badJson", { msg: e.message })]); return; }
  if (!scenario || typeof scenario !== "object" || Array.isArray(scenario)) { showMessages("#sn-errors", [t("sn.badJson", { msg: "{…}" })]); return; }
  $("#sn-result").hidden = true; sn.last = null;
  const bar = $("#sn-progress");
  const out = await longTask({ status: $("#sn-status"), start: $("#sn-run"), cancel: $("#sn-cancel"), bar,
    what: phaseText }, (signal) => runJob({ scenario, every: 10 }, bar, signal));
  if (!out) return;
  $("#sn-status").textContent = "";
  if (out.problem) { showProblem("#sn-errors", out.problem); return; }
  sn.last = out.result;
  drawRun(sn.last);
});

function redrawSensing() { if (sn.last) drawRun(sn.last); }

export { showSensing, redrawSensing };
