// One model: its value network, the scenario form, runs and comparisons, saving edits as a scenario.
import { $, api, editsText, fieldMessage, fmt, jsonBody, longTask, problemOf, setTitle, show, showMessages, showProblem, state, t } from "./core.js";
import { checked } from "./fieldnotes.js";
import { markField, markRefused } from "./formcheck.js";
import { clearParams, labelParams, listParams, openParam, paramWords, scenarioValues } from "./params.js";
import { clearResults, drawNetwork, renderCompare, renderResult } from "./results.js";
import { loadWorkspace, redrawWorkspace, resetWorkspace } from "./workspace.js";

/** Forget the shown model's results, charts and messages (a new model or a failed request
 * must not leave the previous one's content beside it). */
function clearModel() {
  state.result = null; state.compare = null; state.flows = null;
  $("#results").hidden = true; $("#comparison").hidden = true; $("#run-form").hidden = false;
  $("#cards").replaceChildren(); $("#indicators-table").replaceChildren(); $("#downloads").replaceChildren();
  $("#compare-table").replaceChildren(); $("#result-header").textContent = ""; $("#compare-header").textContent = "";
  $("#run-errors").replaceChildren(); $("#model-errors").replaceChildren(); $("#run-status").textContent = "";
  $("#save-status").textContent = ""; $("#save-errors").replaceChildren();
  $("#progress").value = 0;
  resetWorkspace();
  if (window.Plotly) for (const id of ["network", "series", "sankey"]) Plotly.purge(id);
}

async function showModel(id, select = null) {
  show("model");
  if (!select && state.model && state.model.id === id && !$("#run-form").hidden) return;  // keep edits and results
  clearModel();
  state.model = null;
  $("#model-title").textContent = ""; $("#model-network").hidden = true;
  $("#scenario").replaceChildren(); clearParams($("#params"));
  const res = await api(`/api/models/${id}`);
  if (!res.ok) {
    $("#run-form").hidden = true; $("#workspace").hidden = true;
    $("#model-title").textContent = t("err.modelTitle");
    showProblem("#model-errors", res.status === 404 ? { detail: t("err.modelNotFound") } : await problemOf(res));
    return;
  }
  const m = await res.json();
  state.model = m;
  $("#workspace").hidden = false; $("#model-network").hidden = false;  // shown before drawn: a hidden chart gets a default width
  $("#model-title").textContent = m.title || m.name;
  setTitle();
  $("#scenario").replaceChildren(...m.scenarios.map((s) => new Option(s, s)));
  if (select && m.scenarios.includes(select)) $("#scenario").value = select;
  listParams($("#params"), m, (input) => { checked(input, () => paramProblem(input)); showEdits(); });
  fillParams();
  drawNetwork(m.graph);
  loadWorkspace(m);
  baselineFlows(m);
}

// ---- parameters: the selected scenario's values, edits as a diff (params.js lists them) -------
/** The form shows the selected scenario's values; an edit is any value that differs from them. */
function fillParams() {
  const m = state.model; if (!m) return;
  const values = (m.scenario_parameters && m.scenario_parameters[$("#scenario").value]) || m.parameters;
  scenarioValues(Object.fromEntries(values.map((p) => [p.path, p.value])));
  showEdits();
}
$("#scenario").addEventListener("change", fillParams);

function overrides() {
  const out = {};
  document.querySelectorAll("#params .param input").forEach((inp) => {
    if (inp.value !== "" && Number(inp.value) !== Number(inp.dataset.original)) out[inp.dataset.path] = Number(inp.value);
  });
  return out;
}

/** A parameter's name in the page's words, with its document path. */
const paramLabel = (inp) => `${paramWords(inp.dataset.path)} (${inp.dataset.path})`;

/** What is wrong with a parameter's field: typed as something other than a number (a number field then holds
 * "", which would otherwise read as "no edit"); null when nothing is. */
function paramProblem(inp) {
  const notNumber = inp.validity.badInput || (inp.value === "" && inp.dataset.typedText === "1");
  return notNumber ? t("num.nan", { label: paramLabel(inp) }) : null;
}

/** The parameters typed as something other than a number: a message naming each, above the form and beside
 * the parameter's field; true if there was none. */
function paramsAreNumbers() {
  const bad = [...document.querySelectorAll("#params .param input")].map((inp) => checked(inp, () => paramProblem(inp))).filter(Boolean);
  if (bad.length) showMessages("#run-errors", bad);
  return !bad.length;
}

/** A refused run or comparison: its problems listed above the form, and those of a parameter's document
 * path beside the parameter's field (until it is edited). */
function refusedRun(doc) {
  showProblem("#run-errors", doc);
  const errors = doc && Array.isArray(doc.errors) ? doc.errors : [];
  errors.forEach((e) => openParam(String(e.path ?? "")));  // a refused parameter's field, made if it waits
  document.querySelectorAll("#params .param input").forEach((inp) => {
    const own = errors.filter((e) => String(e.path ?? "") === inp.dataset.path);
    const value = inp.value;
    const said = () => own.map((e) => t("form.refused", { label: paramLabel(inp), message: fieldMessage(e) })).join(" ");
    if (own.length) markField(inp, () => (inp.value === value ? said() : null));
  });
}

/** The edits against the selected scenario, as "path: before → after", beside the form. */
function showEdits() {
  const changed = [];
  document.querySelectorAll("#params .param input").forEach((inp) => {
    const edited = inp.value !== "" && Number(inp.value) !== Number(inp.dataset.original);
    inp.closest(".param").classList.toggle("edited", edited);
    if (edited) changed.push(`${inp.dataset.path}: ${fmt(Number(inp.dataset.original))} → ${fmt(Number(inp.value))}`);
  });
  $("#edits").textContent = changed.length ? `${t("edits.title")}: ${changed.join("; ")}` : t("edits.none");
}

// ---- runs ------------------------------------------------------------------------------------
/** Start a run and follow its progress until it ends; the run record (or null if stopped). */
async function runAndWait(m, scenario, ov, onProgress = () => {}) {
  const res = await api(`/api/models/${m.id}/runs`, jsonBody({ scenario, version: m.version, overrides: ov }));
  if (!res.ok) return { problem: await problemOf(res) };
  let run = await res.json();
  while (run.status === "queued" || run.status === "running") {
    onProgress(run);
    await new Promise((r) => setTimeout(r, 250));
    if (!state.model || state.model.id !== m.id) return null;  // the user went elsewhere
    run = await (await api(`/api/runs/${run.id}`)).json();
  }
  return { run };
}

$("#run-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const m = state.model; if (!m) return;
  $("#run-errors").replaceChildren(); $("#progress").value = 0;
  if (!paramsAreNumbers()) return;
  $("#run").disabled = true;
  try {
    const out = await runAndWait(m, $("#scenario").value, overrides(), (run) => {
      $("#run-status").textContent = t(run.status); $("#progress").value = run.progress;
    });
    if (!out) return;
    if (out.problem) { clearResults(); $("#run-status").textContent = ""; refusedRun(out.problem); return; }
    const { run } = out;
    $("#progress").value = run.status === "succeeded" ? 1 : 0;
    if (run.status !== "succeeded") {
      clearResults(); $("#run-status").textContent = t("failed");
      showProblem("#run-errors", { detail: run.error }); return;
    }
    const [r, table, ind] = await Promise.all([`/api/runs/${run.id}/result`,
      `/api/runs/${run.id}/tables/indicators?format=json`, `/api/runs/${run.id}/indicators`].map(
      async (p) => (await api(p)).json()));
    state.result = { run, r, table, ind, finished: run.finished_at };
    renderResult();
    $("#save-name").value = suggestName(run.scenario);
    $("#run-status").textContent = t("succeeded");
  } finally { $("#run").disabled = false; }
});

/** The value network's link widths: the baseline's mass flows over the horizon, from a run of
 * the baseline (the latest one of this version, or a new one). */
async function baselineFlows(m) {
  const base = m.scenarios[0];
  const runs = await (await api(`/api/runs?model_id=${m.id}`)).json();
  let run = runs.filter((r) => r.version === m.version && r.scenario === base && r.status === "succeeded"
    && !Object.keys(r.overrides || {}).length).pop();
  if (!run) {
    const out = await runAndWait(m, base, {});
    if (!out || !out.run || out.run.status !== "succeeded") return;
    run = out.run;
  }
  const flows = await (await api(`/api/runs/${run.id}/tables/flows?format=json`)).json();
  if (!state.model || state.model.id !== m.id) return;
  const total = {};
  for (const f of flows) total[`${f.source}→${f.target}`] = (total[`${f.source}→${f.target}`] || 0) + f.mass_kg / 1000;
  state.flows = { total, scenario: base, years: [flows[0] && flows[0].year, flows.length && flows[flows.length - 1].year] };
  drawNetwork(m.graph);
}

$("#compare").addEventListener("click", async () => {
  const m = state.model; if (!m) return;
  $("#run-errors").replaceChildren();
  if (!paramsAreNumbers()) return;
  const ov = overrides();
  $("#progress").removeAttribute("value");  // busy (a comparison reports no fraction), not a run's bar kept
  const res = await longTask({ status: $("#run-status"), start: $("#compare"), cancel: $("#compare-cancel"),
    what: () => t("job.compare") }, (signal) => api(`/api/models/${m.id}/compare`, jsonBody({ version: m.version, overrides: ov }, "POST", signal)));
  $("#progress").value = res && res.ok ? 1 : 0;
  if (!res) return;
  if (!res.ok) {
    $("#run-status").textContent = ""; state.compare = null; $("#comparison").hidden = true;
    refusedRun(await problemOf(res)); return;
  }
  state.compare = { doc: await res.json(), overrides: ov, version: m.version };
  $("#run-status").textContent = t("succeeded");
  renderCompare();
});

// ---- save a run's edits as a new scenario ----------------------------------------------------
function suggestName(scenario) {
  const taken = new Set(state.model ? state.model.scenarios : []);
  for (let i = 1; ; i++) if (!taken.has(`${scenario}_edit_${i}`)) return `${scenario}_edit_${i}`;
}

$("#save-scenario").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const m = state.model, s = state.result; if (!m || !s) return;
  $("#save-errors").replaceChildren();
  const name = $("#save-name").value.trim();
  const res = await api(`/api/models/${m.id}/scenarios`, jsonBody({ name, description: $("#save-description").value.trim(),
    extends: s.run.scenario, overrides: s.run.overrides, version: s.run.version }));
  if (!res.ok) {  // listed, and a refused name or description beside its field
    const doc = await problemOf(res);
    showProblem("#save-errors", doc); markRefused(doc, { name: "save-name", description: "save-description" });
    return;
  }
  const saved = await res.json();
  await showModel(m.id, name);
  $("#run-status").textContent = t("save.done", { name, version: saved.latest_version });
});

function redrawModel() {
  if (!state.model) return;
  labelParams(); showEdits();
  drawNetwork(state.model.graph);
  redrawWorkspace(state.model);
  renderResult(); renderCompare();
}

export { showModel, redrawModel, clearModel, editsText };
