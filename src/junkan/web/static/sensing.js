// Shredder monitor page: a shipped scenario (editable JSON) run through the monitor as a server-side job
// (POST /api/sensing/jobs?kind=run, polled with its progress, DELETE on cancel); the signals over time with the alarms shaded and the true events marked, the alarms with the
// action each advises and its evidence, and the true events with whether an alarm caught them.
import { $, api, fmt, fmtPct, jsonBody, jsonError, longTask, plot, problemMessages, problemOf, richTable, show,
  showMessages, showProblem, staticExample, t } from "./core.js";
import { runJob } from "./jobs.js";
import { checked, markDocument } from "./fieldnotes.js";
import { markRefused } from "./formcheck.js";

const sn = { last: null, loaded: null, progress: null };
const SIGNALS = [["current", "#1f618d"], ["droop", "#7d3c98"], ["lel", "#b9770e"]];
const ALARM_EVENTS = new Set(["jam", "overload", "gas_cylinder", "battery", "fuel_tank"]);

async function showSensing() {
  show("sensing");
  if (sn.loaded === null) await loadExample();
  if (sn.last) drawRun(sn.last);
  await listLive();
}

async function loadExample() {
  const name = $("#sn-example").value;
  sn.loaded = name;
  const doc = await staticExample(name);
  if (sn.loaded !== name) return;  // another one chosen meanwhile
  $("#sn-doc").value = JSON.stringify(doc, null, 1);
  checked($("#sn-doc"), scenarioProblem);  // what was said beside the scenario went with it
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
    yaxis2: { title: t("sn.axisGas"), overlaying: "y", side: "right", showgrid: false, rangemode: "tozero", tickmode: "auto", nticks: 6 }, margin: { r: 70 }, legend: { orientation: "h", y: -0.2, yanchor: "top" } });
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

/** What the job is doing, in words: its phase and share done. */
function phaseText() {
  const p = sn.progress;
  if (!p || !p.phase) return t("sn.running");
  return t("sn.phase", { phase: t(`sn.phase.${p.phase}`, {}, p.phase), pct: Math.round(100 * (p.fraction || 0)) });
}

/** Start the run as a job and poll it until it ends (core.js runJob), showing its progress; a
 * cancel stops it on the server too (DELETE). */
async function runScenarioJob(body, bar, signal) {
  sn.progress = null;
  return runJob("/api/sensing/jobs?kind=run", jsonBody(body), signal, { onProgress: (p) => {
    sn.progress = p;
    if (Number.isFinite(p.fraction)) { bar.max = 1; bar.value = p.fraction; }
  } });
}

/** Why the scenario text area holds no JSON object, in the page's language; null when it holds one. */
function scenarioProblem() {
  let doc;
  try { doc = JSON.parse($("#sn-doc").value); } catch { return t("sn.badJson", { msg: jsonError($("#sn-doc").value) }); }
  return !doc || typeof doc !== "object" || Array.isArray(doc) ? t("sn.badJson", { msg: "{…}" }) : null;
}

$("#sn-example").addEventListener("change", loadExample);
$("#sn-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#sn-errors").replaceChildren();
  const problem = checked($("#sn-doc"), scenarioProblem);  // listed and beside the scenario
  if (problem) { showMessages("#sn-errors", [problem]); return; }
  const scenario = JSON.parse($("#sn-doc").value);
  $("#sn-result").hidden = true; sn.last = null;
  const bar = $("#sn-progress");
  const out = await longTask({ status: $("#sn-status"), start: $("#sn-run"), cancel: $("#sn-cancel"), bar,
    what: phaseText }, (signal) => runScenarioJob({ scenario, every: 10 }, bar, signal));
  if (!out) return;
  $("#sn-status").textContent = "";
  if (out.problem) { showProblem("#sn-errors", out.problem); markDocument(out.problem, $("#sn-doc")); return; }
  sn.last = out.result;
  drawRun(sn.last);
});

// ---- live lines (issue 19 item 6): a shipped scenario replayed as a live line, followed as
// Server-Sent Events (GET …/stream; EventSource: the session cookie authenticates a GET, and it
// resumes with Last-Event-ID by itself). Per line: the signals (a bounded window), the state
// confidences of the Bayesian attractor model, the alarms with evidence and the operator's buttons.
const WINDOW = 600;            // points kept per trace in the live chart (60 s of 10 Hz steps at 1×)
const FLUSH_MS = 250;          // events are drawn in batches, not one by one
const LIVE_SIGNALS = [["current", "#1f618d"], ["droop", "#7d3c98"], ["lel", "#b9770e"]];
const live = new Map();        // line id → { info, es, lastId, buf, conf, alarms, status, ... }

const lineText = (L) => t("sl.lineHead", { line: L.info.line, scenario: L.info.scenario, speed: fmt(L.info.speed) });
const stateName = (s) => t(`sl.state.${s}`, {}, s);

function el(tag, attrs = {}, text = undefined) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The block of one line: heading, status, Stop, chart, confidences, alarms. */
function lineBlock(L) {
  const id = L.info.line;
  const box = el("section", { class: "sl-line", id: `sl-line-${id}`, "aria-labelledby": `sl-h-${id}` });
  const h = el("h4", { id: `sl-h-${id}` }, lineText(L));
  const status = el("p", { class: "sl-status", role: "status", "aria-live": "polite" });
  const stop = el("button", { type: "button", class: "danger" }, t("sl.stop"));
  stop.setAttribute("aria-label", t("sl.stopLine", { line: id }));
  stop.addEventListener("click", () => stopLine(L));
  const chart = el("div", { id: `sl-chart-${id}`, class: "chart", role: "figure" });
  chart.setAttribute("aria-label", t("sl.chartLabel", { line: id }));
  const confH = el("h5", {}, t("sl.confidence"));
  const conf = el("table", { class: "sl-conf" });
  conf.setAttribute("aria-label", t("sl.confidenceOf", { line: id }));
  const alarmsH = el("h5", {}, t("sn.alarms"));
  const alarms = el("table", { class: "sl-alarms" });
  alarms.setAttribute("aria-label", t("sl.alarmsOf", { line: id }));
  const errors = el("ul", { class: "error", "aria-live": "assertive" });
  box.append(h, status, stop, errors, chart, confH, conf, alarmsH, alarms);
  Object.assign(L, { box, h, statusEl: status, stopBtn: stop, chart, confEl: conf, alarmsEl: alarms, errorsEl: errors });
  $("#sl-lines").append(box);
  drawLiveChart(L);
  drawConf(L); drawAlarms(L); drawStatus(L);
}

/** (Re)draw the live chart from the points held (new titles after a language switch). */
function drawLiveChart(L) {
  const traces = LIVE_SIGNALS.map(([k, color]) => ({ type: "scatter", mode: "lines", x: [...L.pts.t], y: [...L.pts[k]],
    yaxis: k === "lel" ? "y2" : "y", name: t(`sn.sig.${k}`), line: { color, width: 1.2 },
    hovertemplate: `${t(`sn.sig.${k}`)}: %{y}<br>t = %{x} s<extra></extra>` }));
  traces.push({ type: "scatter", mode: "markers", x: [...L.pts.at], y: L.pts.at.map(() => 1.05), name: t("sn.alarms"),
    marker: { symbol: "triangle-down", size: 12, color: "#c0392b" }, hoverinfo: "x+name" });
  plot(L.chart.id, traces, { title: t("sl.chartTitle", { line: L.info.line }), height: 360,
    xaxis: { title: t("sn.axisTime") }, yaxis: { title: t("sn.axisSignal"), rangemode: "tozero" },
    yaxis2: { title: t("sn.axisGas"), overlaying: "y", side: "right", showgrid: false, rangemode: "tozero", tickmode: "auto", nticks: 6 },
    margin: { r: 70 }, legend: { orientation: "h", y: -0.25, yanchor: "top" } });
}

function drawConf(L) {
  const rows = Object.entries(L.conf || {}).map(([s, p]) => [stateName(s), fmtPct(p)]);
  richTable(L.confEl, [t("sl.col.state"), t("sl.col.confidence")], rows.length ? rows : [[t("sl.noSteps"), "–"]], [1]);
}

function drawStatus(L) {
  const s = L.status;
  L.statusEl.textContent = t("sl.statusLine", { status: t(`sl.status.${s}`, {}, s), t: fmt(L.lastT ?? 0),
    steps: L.steps, alarms: L.alarms.size, quarantined: L.quarantined })
    + (L.modelVersion != null ? ` ${t("sl.modelVersion", { v: L.modelVersion })}` : "")
    + (L.info.restored ? ` ${t("sl.restored")}` : "");
  L.stopBtn.disabled = s === "stopped";
}

function alarmState(a) {
  const parts = [];
  if (a.acknowledged) parts.push(t("sl.acknowledged"));
  if (a.label) parts.push(t(`sl.label.${a.label}`, {}, a.label));
  return parts.join(", ") || t("sl.open");
}

function drawAlarms(L) {
  const rows = [...L.alarms.values()].map((a) => {
    const ack = el("button", { type: "button" }, t("sl.ack"));
    ack.setAttribute("aria-label", t("sl.ackAlarm", { id: a.id }));
    ack.disabled = a.acknowledged || L.status === "stopped";
    ack.addEventListener("click", () => operate(L, a, "acknowledge"));
    const fa = el("button", { type: "button" }, t("sl.falseAlarm"));
    fa.setAttribute("aria-label", t("sl.falseAlarmOf", { id: a.id }));
    fa.disabled = a.label === "false_alarm" || L.status === "stopped";
    fa.addEventListener("click", () => operate(L, a, "label"));
    const cellBox = el("span", { class: "sl-buttons" }); cellBox.append(ack, fa);
    const res = el("span", { class: "sl-result" }, a.result || "");
    const st = el("span"); st.append(el("span", {}, alarmState(a)), " ", res);
    return [String(a.id), fmt(a.start), action(a.action), evidence(a.evidence || []), st, cellBox];
  });
  richTable(L.alarmsEl, [t("sn.col.alarm"), t("sn.col.start"), t("sn.col.action"), t("sn.col.evidence"),
    t("sl.col.state2"), t("sl.col.operator")], rows, [0, 1], [3]);
}

/** Acknowledge an alarm or label it a false alarm (POST), and show the service's answer. */
async function operate(L, a, what) {
  const base = `/api/sensing/live/${encodeURIComponent(L.info.line)}/alarms/${a.id}`;
  const res = what === "acknowledge" ? await api(`${base}/acknowledge`, { method: "POST" })
    : await api(`${base}/label`, jsonBody({ label: "false_alarm", state: "normal" }));
  if (!res.ok) { a.result = problemMessages(await problemOf(res)).join("; "); drawAlarms(L); return; }
  const out = await res.json();
  if (what === "acknowledge") { a.acknowledged = true; a.result = t("sl.ackDone"); } else {
    a.label = out.label; a.result = t("sl.labelDone", { v: out.model_version }); L.modelVersion = out.model_version;
  }
  drawAlarms(L); drawStatus(L);
}

/** One stream event into the line's state (drawing waits for the next flush). */
function onEvent(L, kind, ev, id) {
  if (id && id <= L.lastId) return;  // seen before this stream was reopened
  if (id) L.lastId = id;
  if (kind === "step") { L.buf.push(ev); return; }
  L.dirty = true;
  if (kind === "alarm") { L.alarms.set(ev.id, { ...ev }); L.pendingAlarms.push(ev.start); }
  else if (kind === "acknowledged") { const a = L.alarms.get(ev.id); if (a) a.acknowledged = true; }
  else if (kind === "label") { const a = L.alarms.get(ev.id); if (a) a.label = ev.label; L.modelVersion = ev.model_version; }
  else if (kind === "status") L.status = ev.status;
  else if (kind === "quarantined") L.quarantined = ev.count ?? L.quarantined + 1;
  else if (kind === "error") L.errorsEl.replaceChildren(el("li", {}, ev.detail));
  else if (kind === "end") { L.finished = true; if (!["stopped", "not restored"].includes(L.status)) L.status = "ended"; closeStream(L); }
}

/** Draw what came since the last flush: extend the chart (bounded window), confidences, alarms. */
function flush(L) {
  const steps = L.buf.splice(0);
  if (steps.length) {
    const xs = steps.map((s) => s.t);
    const cols = LIVE_SIGNALS.map(([k]) => steps.map((s) => s[k] ?? null));
    L.pts.t.push(...xs); LIVE_SIGNALS.forEach(([k], i) => L.pts[k].push(...cols[i]));
    for (const k of ["t", ...LIVE_SIGNALS.map(([k]) => k)]) L.pts[k].splice(0, Math.max(0, L.pts[k].length - WINDOW));
    if (window.Plotly && L.chart.data) Plotly.extendTraces(L.chart, { x: cols.map(() => xs), y: cols }, [0, 1, 2], WINDOW);
    const last = steps[steps.length - 1];
    L.steps += steps.length; L.lastT = last.t;
    if (last.confidence) L.conf = last.confidence;
    drawConf(L); L.dirty = true;
  }
  // the alarm marks within the window of steps shown (older ones leave the chart, not the table)
  const from = L.pts.t.length ? L.pts.t[0] : -Infinity;
  const at = [...L.pts.at, ...L.pendingAlarms].filter((x) => x >= from);
  if (L.pendingAlarms.length || at.length !== L.pts.at.length) {
    if (L.pendingAlarms.length) drawAlarms(L);
    L.pendingAlarms = []; L.pts.at = at;
    if (window.Plotly && L.chart.data) Plotly.restyle(L.chart, { x: [at], y: [at.map(() => 1.05)] }, [3]);
  }
  if (L.dirty) { drawStatus(L); L.dirty = false; }
}

function openStream(L) {
  if (L.es) return;
  const es = new EventSource(`/api/sensing/live/${encodeURIComponent(L.info.line)}/stream`);
  for (const kind of ["step", "alarm", "acknowledged", "label", "status", "quarantined", "error", "end"]) {
    es.addEventListener(kind, (m) => { if (m.data) onEvent(L, kind, JSON.parse(m.data), Number(m.lastEventId) || 0); });
  }
  // a refused stream (404 line gone, 429 too many) closes for good; a dropped one reconnects by itself
  es.onerror = () => { if (es.readyState === EventSource.CLOSED) { closeStream(L); L.status = L.status === "running" ? "lost" : L.status; drawStatus(L); } };
  L.es = es;
  L.timer = setInterval(() => flush(L), FLUSH_MS);
}

function closeStream(L) {
  if (L.es) { L.es.close(); L.es = null; }
  if (L.timer) { clearInterval(L.timer); L.timer = null; flush(L); }
}

/** Close every stream (the page is left, the user signs out); the lines go on in the service. */
function closeLiveStreams() { for (const L of live.values()) closeStream(L); }

function follow(info) {
  let L = live.get(info.line);
  if (!L) {
    L = { info, es: null, timer: null, lastId: 0, buf: [], pendingAlarms: [], conf: null, alarms: new Map(), steps: 0,
      lastT: null, status: info.status || "running", quarantined: info.quarantined || 0, modelVersion: info.model_version,
      pts: { t: [], current: [], droop: [], lel: [], at: [] } };
    live.set(info.line, L);
    lineBlock(L);
  }
  L.info = info;
  if (!L.finished) openStream(L);  // an ended replay's stream still brings its events, then `end`
  return L;
}

async function stopLine(L) {
  L.stopBtn.disabled = true;
  const res = await api(`/api/sensing/live/${encodeURIComponent(L.info.line)}`, { method: "DELETE" });
  if (!res.ok && res.status !== 404) {
    L.errorsEl.replaceChildren(...problemMessages(await problemOf(res)).map((m) => el("li", {}, m)));
    L.stopBtn.disabled = false; return;
  }
  closeStream(L);
  L.finished = true; L.status = "stopped"; drawStatus(L); drawAlarms(L);
}

/** The organisation's live lines, followed when the page is shown. */
async function listLive() {
  const res = await api("/api/sensing/live");
  if (!res.ok) return;
  for (const info of (await res.json()).lines) {
    const L = live.get(info.line);
    if (L && L.info.stream !== info.stream) { closeStream(L); L.box.remove(); live.delete(info.line); }
    follow(info);
  }
}

$("#sl-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#sl-errors").replaceChildren();
  const start = $("#sl-start");
  start.disabled = true;
  $("#sl-status").textContent = t("sl.starting");
  try {
    const scenario = await staticExample($("#sl-example").value);
    const res = await api("/api/sensing/live", jsonBody({ scenario, speed: Number($("#sl-speed").value) }));
    if (!res.ok) {
      const doc = await problemOf(res);
      $("#sl-status").textContent = ""; showProblem("#sl-errors", doc); markRefused(doc, { speed: "sl-speed" });
      return;
    }
    const info = await res.json();
    const old = live.get(info.line);
    if (old) { closeStream(old); old.box.remove(); live.delete(info.line); }  // a new run of a stopped line
    follow(info);
    $("#sl-status").textContent = t("sl.started", { line: info.line });
  } finally { start.disabled = false; }
});

// leaving the page or signing out closes the streams (the lines go on; coming back resumes them)
window.addEventListener("hashchange", () => { if (location.hash !== "#/sensing") closeLiveStreams(); });
window.addEventListener("pagehide", closeLiveStreams);
$("#logout").addEventListener("click", closeLiveStreams);

function redrawLive() {
  for (const L of live.values()) {
    L.h.textContent = lineText(L);
    L.stopBtn.textContent = t("sl.stop"); L.stopBtn.setAttribute("aria-label", t("sl.stopLine", { line: L.info.line }));
    L.chart.setAttribute("aria-label", t("sl.chartLabel", { line: L.info.line }));
    L.confEl.setAttribute("aria-label", t("sl.confidenceOf", { line: L.info.line }));
    L.alarmsEl.setAttribute("aria-label", t("sl.alarmsOf", { line: L.info.line }));
    L.box.querySelectorAll("h5")[0].textContent = t("sl.confidence");
    L.box.querySelectorAll("h5")[1].textContent = t("sn.alarms");
    drawLiveChart(L); drawConf(L); drawAlarms(L); drawStatus(L);
  }
}

function redrawSensing() { if (sn.last) drawRun(sn.last); redrawLive(); }

export { showSensing, redrawSensing };
