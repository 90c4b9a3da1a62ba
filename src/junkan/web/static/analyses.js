// Lifecycle analyses page: start an uncertainty, sensitivity, calibration or optimisation job on a
// stored model, follow it (queued → running → done, elapsed seconds, cancel), and read it as charts:
// a fan chart of percentiles per scenario, Sobol'/Morris bars per input, observed against fitted
// figures, the Pareto front or the best loop with each actor's gain or loss.
import { $, api, fmt, fmtTime, jobError, jsonBody, jsonError, longTask, problemLead, problemOf, show, showMessages,
  showProblem, staticExample, t } from "./core.js";
import { runJob } from "./jobs.js";
import { drawAnalysis, modelTitles } from "./analyses_charts.js";
import { checked, markDocument } from "./fieldnotes.js";
import { markField, markRefused } from "./formcheck.js";
import { sortableTable, valued } from "./table_sort.js";

/** `shown`: says the errors listed under the form again (in another language after a switch); null when none. */
const an = { models: [], job: null, phase: "queued", loading: null, shown: null, seq: 0, width: 0 };

/** The calibration choice, beside the others (the page's form has uncertainty, sensitivity and optimise). */
function addCalibrationKind() {
  const input = Object.assign(document.createElement("input"), { type: "radio", name: "an-kind", value: "calibrate" });
  const span = Object.assign(document.createElement("span"), { textContent: t("an.kind.calibrate") });
  span.dataset.i18n = "an.kind.calibrate";
  const label = document.createElement("label");
  label.append(input, " ", span);
  $('#an-kinds input[value="optimise"]').closest("label").before(label);
}
addCalibrationKind();
const kind = () => document.querySelector('input[name="an-kind"]:checked').value;

async function showAnalyses() {
  show("analyses");
  const res = await api("/api/models");
  an.models = res.ok ? await res.json() : [];
  const keep = $("#an-model").value;
  $("#an-model").replaceChildren(...an.models.map((m) => Object.assign(document.createElement("option"), {
    value: m.id, textContent: `${m.title || m.name} (${m.name}, v${m.latest_version})`, selected: m.id === keep })));
  kindChanged();
  await listJobs();
  if (an.job) draw();
}

function kindChanged() {
  document.querySelectorAll(".an-opt").forEach((el) => { el.hidden = !el.dataset.kind.split(" ").includes(kind()); });
  // the JSON in the help (its keys and sample) is code, written the same in every language
  const json = /(\{.*\}|"\w+": \w+)/;
  $("#an-spec-help").replaceChildren(...t(`an.specHelp.${kind()}`).split(json).filter(Boolean)
    .map((part) => (json.test(part) ? Object.assign(document.createElement("code"), { textContent: part }) : part)));
}

/** The shipped settings for the chosen model and analysis (JSON copies of examples/…), if any.
 * Starting waits for them (an.loading), so a start right after this click sends them; they are
 * dropped if the model or the kind changed while they were fetched. */
function useExample() {
  an.loading = loadExample().finally(() => { an.loading = null; });
  return an.loading;
}

async function loadExample() {
  const m = an.models.find((x) => x.id === $("#an-model").value);
  const k = kind();
  const name = k === "optimise" ? `optimise_${m && m.name}` : `uncertainty_${m && m.name}`;
  const known = ["uncertainty_atm_reuse", "uncertainty_compressor_magnet", "optimise_compressor_magnet"];
  $("#an-errors").replaceChildren();
  if (!m || !known.includes(name)) { an.shown = () => showMessages("#an-errors", [t("an.noExample")]); an.shown(); return; }
  const spec = await staticExample(name);
  if ($("#an-model").value !== m.id || kind() !== k) return;  // another choice since: not these settings
  if (k !== "optimise" && k !== "calibrate") delete spec.observations;  // calibration data: not used by these analyses
  $("#an-spec").value = JSON.stringify(spec, null, 1);
  checked($("#an-spec"), specProblem);  // what was said beside the settings went with them
}

/** Why the settings text area holds no JSON object, in the page's language; null when it holds one (or nothing:
 * the model's own section). */
function specProblem() {
  const text = $("#an-spec").value.trim();
  if (!text) return null;
  let spec;
  try { spec = JSON.parse(text); } catch { return t("an.badJson", { msg: jsonError(text) }); }
  return typeof spec !== "object" || Array.isArray(spec) || spec === null ? t("an.specObject") : null;
}

/** The request body, or null after showing what is wrong with the form: in the list and beside each field
 * wrong (the form is novalidate: no browser bubble in its language); the first wrong field gets the focus
 * (not when `quiet`: the same checks said again in another language). */
function requestBody(quiet = false) {
  const errs = [];
  let wrong = null;
  const check = (el, problem) => {
    const said = checked(el, problem);
    if (said) { errs.push(said); wrong = wrong || el; }
    return !said;
  };
  const m = an.models.find((x) => x.id === $("#an-model").value);
  check($("#an-model"), () => (an.models.some((x) => x.id === $("#an-model").value) ? null : t("an.needModel")));
  const spec = check($("#an-spec"), specProblem) && $("#an-spec").value.trim() ? JSON.parse($("#an-spec").value) : undefined;
  const num = (id, lo, hi, key) => {
    const el = $(id);
    const value = () => (el.value.trim() === "" || el.validity.badInput ? NaN : Number(el.value.trim()));
    check(el, () => {
      const v = value();
      return !Number.isInteger(v) || v < lo || v > hi ? t("an.range", { what: t(key), lo: fmt(lo), hi: fmt(hi) }) : null;
    });
    return value();
  };
  const body = { model_id: m && m.id, version: m && m.latest_version };  // only the settings its kind takes (review 254)
  if (["uncertainty", "sensitivity"].includes(kind())) body.seed = num("#an-seed", 0, 4294967295, "an.seed");
  if (kind() === "uncertainty") body.runs = num("#an-runs", 1, 10000, "an.runs");
  if (kind() === "sensitivity") { body.n = num("#an-n", 4, 4096, "an.n"); body.method = $("#an-method").value; }
  if (spec) body.spec = spec;
  an.shown = null;
  if (errs.length) { showMessages("#an-errors", errs); if (wrong && !quiet) wrong.focus(); an.shown = () => requestBody(true); return null; }
  return body;
}

/** Beside the settings, what was refused in them: a request's `spec.…` fields, every path of a job's refused
 * `spec` document, and a model without an uncertainty section when no settings were given. */
function markSpec(problem) {
  const errors = (problem && problem.errors) || [];
  const missing = errors.filter((e) => e.type === "uncertainty-missing").map((e) => ({ ...e, path: "spec" }));
  if (missing.length) return markDocument({ ...problem, errors: missing }, $("#an-spec"), "spec");
  return markDocument(problem, $("#an-spec"), problem && problem.document === "spec" ? null : "spec");
}

/** The form's fields by the body key the service names a refused one by. */
const FIELDS = { model_id: "an-model", version: "an-model", runs: "an-runs", n: "an-n", seed: "an-seed", method: "an-method" };

$("#an-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (an.loading) await an.loading;  // the shipped settings just asked for
  $("#an-errors").replaceChildren();
  const body = requestBody(); if (!body) return;
  const k = kind();
  $("#an-result").hidden = true; an.job = null;  // the old result no longer matches the form
  an.progress = null; an.phase = "queued"; an.queue = null;  // not the last job's "done" (review 243)
  const bar = $("#an-progress");
  const out = await longTask({ status: $("#an-status"), start: $("#an-start"), cancel: $("#an-cancel"),
    bar, what: () => (an.phase === "running" && an.progress
      ? t(`an.progress.${an.progress.stage}`, { done: fmt(an.progress.done), of: fmt(an.progress.of) })
      : an.phase === "queued" && an.queue ? t("an.phase.queuedBehind", an.queue)  // review 264
      : t(`an.phase.${an.phase}`, {}, an.phase)) }, async (signal, said) => {
    an.phase = "queued";
    // the status says each poll's phase and progress as the bar shows it, not up to a second later (review 243)
    const done = await runJob(`/api/lifecycle/analyses?kind=${k}`, jsonBody(body, "POST"), signal,
      { onStart: listJobs, onPoll: (job) => { an.phase = job.status; an.queue = job.queue; said(); },
        onProgress: (p) => {  // model runs (or a fit's evaluations) done so far
          if (!p || !p.of) return;
          an.progress = p; bar.max = 1; bar.value = Math.min(1, p.done / p.of);
          said();
        } });
    // the names in its figures before "done" is said (review 247: "the result is below" over nothing)
    if (done && done.job && !done.problem) done.titles = await titlesOf(done.job, body.version);
    return done;
  }).catch((e) => { if (e.message === "unauthorised") return SIGNED_OUT; throw e; });
  // the session ended while it ran: said, not left showing its last progress (review 256)
  if (out === SIGNED_OUT) { $("#an-status").textContent = t("an.signedOut"); return; }
  const mine = ++an.seq;  // drawn unless another result is asked for meanwhile
  await listJobs();
  if (!out) { $("#an-status").textContent = t("an.stopped"); return; }
  $("#an-status").textContent = out.problem ? t("an.refusedStatus") : t("an.done");
  if (out.problem) {  // listed, and each refused field's beside it (the settings' all together)
    an.shown = () => showProblem("#an-errors", out.problem); an.shown();
    markRefused(out.problem, FIELDS); markSpec(out.problem);
    $("#an-errors").tabIndex = -1; $("#an-errors").focus();  // the keyboard where the reasons are
    return;
  }
  if (mine !== an.seq) return;
  an.job = { ...out.job, model: $("#an-model").selectedOptions[0].textContent };
  chooseKind(k);  // a result reopened while it ran may have chosen another (review 256)
  modelTitles(out.titles);
  draw();
  focusResult();
});

const SIGNED_OUT = Symbol("signed out");

/** The model's form documents by model id and version, as asked (`titlesOf`). */
const forms = new Map();

/** Milliseconds the names of a result's figures are waited for before it is drawn with ids. */
const TITLES_WAIT_MS = 3000;

/** The form document (its titles of actors, materials and processes) of the model an optimisation ran on (its
 * figures name them: "recycled_share:rare_earth") at `version` (default: the one it ran on, else its latest); null when the job is of
 * another kind, the model cannot be read or does not answer within TITLES_WAIT_MS (its figures then name them by
 * id; the answer is kept for the next time). */
async function titlesOf(job, version) {
  const ran = (job.result && job.result.stored_model) || {};  // the stored model and version it ran on
  const m = job.kind === "optimise" && job.result
    && (an.models.find((x) => x.id === ran.id) || an.models.find((x) => x.name === job.result.model));
  if (!m) return null;
  version = version ?? (m.id === ran.id ? ran.version : undefined);  // not another model's version (review 252)
  const key = `${m.id}@${version ?? m.latest_version}`;
  if (!forms.has(key)) {
    forms.set(key, api(`/api/models/${m.id}/form?version=${version ?? m.latest_version}`)
      .then((res) => (res.ok ? res.json() : null)).then((f) => (f && f.document) || null, () => null)
      .then((doc) => { if (!doc) forms.delete(key); return doc; }));  // asked again next time
  }
  return Promise.race([forms.get(key), new Promise((ok) => { setTimeout(() => ok(null), TITLES_WAIT_MS); })]);
}

/** The result shown drawn again (the figure chosen kept), its chart's width noted (for the resize below). */
function draw() {
  drawAnalysis(an.job, $("#an-figure").value);
  an.width = $("#an-chart").clientWidth;
}

/** A result drawn again when its chart's width changed (a phone turned, a window resized): its titles, names and
 * legend are fitted to the width when drawn (review 247: turned back to portrait, they kept the landscape's). */
let resizing = 0;
window.addEventListener("resize", () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => {
    const w = $("#an-chart").clientWidth;
    if (an.job && !$("#an-result").hidden && w && Math.abs(w - an.width) > 1) draw();
  }, 250);
});

/** The result's heading focused (a screen reader says where the result is) and scrolled to. */
function focusResult() {
  const title = $("#an-result-title");
  title.tabIndex = -1;
  title.focus({ preventScroll: true });
  $("#an-result").scrollIntoView({ block: "start" });
}

/** The user's analyses, newest first (sorted by a column's heading: the times as times); a finished one can be reopened. */
async function listJobs() {
  const res = await api("/api/lifecycle/analyses");
  const jobs = res.ok ? await res.json() : [];
  sortableTable($("#an-jobs"), [t("an.col.started"), t("an.col.kind"), t("an.col.status"), t("an.col.finished"), t("an.col.open")],
    jobs.map((j) => {
      const b = Object.assign(document.createElement("button"), { type: "button", className: "link", textContent: t("an.open") });
      b.setAttribute("aria-label", t("an.openLabel", { kind: t(`an.kindName.${j.kind}`, {}, j.kind), at: fmtTime(j.created_at) }));
      b.disabled = j.status !== "succeeded";
      b.addEventListener("click", () => reopen(j.id));
      const time = (iso) => valued(iso ? Date.parse(iso) : null, fmtTime(iso));
      return [time(j.created_at), t(`an.kindName.${j.kind}`, {}, j.kind), jobStatus(j), time(j.finished_at), b];
    }));
  asCards($("#an-jobs"));
}

/** A table that a phone shows a card a row (app.css): each cell names its column (data-label, shown beside it);
 * the roles say table, rows, headings and cells, which a row laid out as a block would lose; named by its heading. */
function asCards(el) {
  const heads = [...el.querySelectorAll("thead th")].map((th) => th.textContent);
  const title = el.previousElementSibling;
  if (title && /^H\d$/.test(title.tagName)) { title.id = title.id || `${el.id}-title`; el.setAttribute("aria-labelledby", title.id); }
  el.setAttribute("role", "table");
  el.querySelectorAll("thead, tbody").forEach((g) => g.setAttribute("role", "rowgroup"));
  el.querySelectorAll("tr").forEach((tr) => tr.setAttribute("role", "row"));
  el.querySelectorAll("th").forEach((th) => th.setAttribute("role", "columnheader"));
  el.querySelectorAll("tbody tr").forEach((tr) => [...tr.cells].forEach((td, i) => {
    td.setAttribute("role", "cell"); td.dataset.label = heads[i] ?? "";
  }));
}

/** A job's status in words: a cancelled one as cancelled; a failed one short ("failed"), the service's
 * message under it, folded (its whole text also the tooltip), a model named by its name rather than its
 * internal id ("model <id> v2" as the service writes it), under the lead the error box gives a message in
 * English on a page in another language. */
function jobStatus(j) {
  const error = jobError(j);
  const status = t(`an.phase.${j.status}`, {}, j.status);
  if (error === t("job.cancelled")) return t("an.phase.cancelled");
  if (!j.error) return status;
  const named = an.models.reduce((text, m) => text.split(m.id).join(m.name), error);
  const lead = problemLead({}, [named]) && t("an.failedLead");
  const box = Object.assign(document.createElement("details"), { className: "an-why", title: lead ? `${lead}\n${named}` : named });
  const summary = Object.assign(document.createElement("summary"), { textContent: status });
  const why = Object.assign(document.createElement("p"), { textContent: named });
  if (lead) why.setAttribute("lang", "en");
  const said = lead ? [Object.assign(document.createElement("p"), { textContent: lead }), why] : [why];
  for (const p of said) p.style.cssText = "max-width:40ch;white-space:pre-wrap;overflow-wrap:anywhere;margin:.3em 0;";
  box.append(summary, ...said);
  return box;
}

/** A finished analysis shown again; the form follows it (its kind chosen, the marks of an earlier start gone). */
async function reopen(id) {
  const mine = ++an.seq;  // a later reopen (or a result come meanwhile) wins: this one then does nothing (review 247)
  $("#an-errors").replaceChildren(); an.shown = null;
  const res = await api(`/api/lifecycle/analyses/${id}`);
  if (mine !== an.seq) return;
  if (!res.ok) { const pr = await problemOf(res); an.shown = () => showProblem("#an-errors", pr); an.shown(); return; }
  const job = await res.json();
  const titles = await titlesOf(job);
  if (mine !== an.seq) return;
  an.job = job;
  for (const el of ["#an-model", "#an-runs", "#an-n", "#an-seed", "#an-spec"]) markField($(el), null);
  chooseKind(an.job.kind);
  modelTitles(titles);
  draw();
  focusResult();
}

function chooseKind(k) {
  const radio = document.querySelector(`input[name="an-kind"][value="${k}"]`);
  if (radio && !radio.checked) { radio.checked = true; kindChanged(); }
}

document.querySelectorAll('input[name="an-kind"]').forEach((r) => r.addEventListener("change", kindChanged));
$("#an-example").addEventListener("click", useExample);
$("#an-figure").addEventListener("change", () => an.job && draw());

function redrawAnalyses() {
  kindChanged(); listJobs();
  if (an.shown) an.shown();  // the errors under the form in the new language
  if (an.job) draw();
}

export { showAnalyses, redrawAnalyses };
