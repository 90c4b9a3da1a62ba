// Municipality page (issue 24, item 1): a municipal CE diagnosis on the shipped survey sample (or the
// user's survey table) as long work with cancel — per-capita figures with the rank among peers of
// similar size, the peers compared on a chosen figure, the potential of each material stream at the
// peers' best-quartile recovery, the improvement proposals with their effects, and the council report.
import { $, api, fmt, fmtPct, inTable, jsonBody, longTask, plot, problemOf, richTable, show, showMessages, showProblem,
  staticExample, state, t } from "./core.js";
import { checked } from "./fieldnotes.js";
import { markRefused } from "./formcheck.js";

const mu = { last: null, survey: null, industry: null, sample: null, reportUrl: null };
const METRICS = ["generation_g_per_person_day", "household_g_per_person_day", "recycling_rate",
  "final_disposal_kg_per_person_year", "cost_JPY_per_person_year"];
/** The figures a result ranks: the five above, and business waste per person employed when the
 *  diagnosis had an industry table. */
const metricsOf = (r) => (r.ranks && "business_g_per_employed_day" in r.ranks ? [...METRICS, "business_g_per_employed_day"] : METRICS);
const metricName = (k) => t(`mu.m.${k}`, {}, k);
const metricValue = (k, v) => (k === "recycling_rate" ? fmtPct(v) : fmt(v));
/** A survey stream (named in Japanese in the survey layout) in the page's language. */
const streamName = (s) => t(`mu.stream.${s}`, {}, s);
/** Whether result `r` compares with the peers the request listed (not those of the municipality's size class). */
const listed = (r) => r.peers_by === "codes";

/** Municipalities of a survey table (code, name, population) from its CSV text. */
function municipalities(csv) {
  const rows = csv.replace(/^\uFEFF/, "").split(/\r?\n/).filter((l) => l.trim()).map((l) => l.split(",").map((c) => c.replace(/^"|"$/g, "").trim()));
  const head = rows.shift() || [];
  const col = (name) => head.indexOf(name);
  const [c, n, p] = [col("地方公共団体コード"), col("市区町村名"), col("総人口")];
  if (c < 0) return [];
  return rows.map((r) => ({ code: r[c], name: n >= 0 ? r[n] : "", population: p >= 0 ? Number(r[p]) : NaN }));
}

/** A CSV file's text as the service reads it (policy/survey.py ENCODINGS): UTF-8, else Shift_JIS as
 *  Excel saves a CSV on Japanese Windows; null if it is neither (the page says so: decoding it as
 *  UTF-8 anyway would send replacement characters in place of every Japanese heading). */
async function csvText(file) {
  const bytes = await file.arrayBuffer();
  for (const encoding of ["utf-8", "shift_jis"]) {
    try { return new TextDecoder(encoding, { fatal: true }).decode(bytes); } catch { /* the next one */ }
  }
  return null;
}

/** What is wrong with the CSV file chosen in `input` (read into mu[key]) in the page's language: not UTF-8 nor
 * Shift_JIS, or (the survey) no municipality in it; null when nothing is (or no file is chosen). */
function csvProblem(input, key) {
  const [f] = input.files;
  if (!f) return null;
  if (mu[key] === null) return t("mu.badEncoding", { name: f.name });
  return key === "survey" && !municipalities(mu.survey).length ? t("mu.badSurvey") : null;
}

/** The chosen file's text into mu[key], or a message when it cannot be read, listed and beside the field. */
async function pickCsv(input, key) {
  const [f] = input.files;
  $("#mu-errors").replaceChildren();
  mu[key] = f ? await csvText(f) : null;
  const problem = checked(input, () => csvProblem(input, key));
  if (problem) showMessages("#mu-errors", [problem]);
  return mu[key];
}

function fillCodes(list, keep) {
  $("#mu-code").replaceChildren(...list.map((m) => Object.assign(document.createElement("option"), { value: m.code,
    textContent: `${m.name} (${m.code}, ${t("mu.population", { n: fmt(m.population) })})`, selected: m.code === keep })));
}

async function showMunicipality() {
  show("municipality");
  if (!mu.sample) {
    const res = await api("/api/policy/survey/sample");
    if (!res.ok) { showProblem("#mu-errors", await problemOf(res)); return; }
    mu.sample = municipalities(await res.text());
    const ex = await staticExample("policy_diagnosis");
    fillCodes(mu.sample, String(ex.municipality));
    $("#mu-quantile").value = String(ex.quantile ?? 0.75);
  }
  if (mu.last) drawResult(mu.last);
}

$("#mu-industry").addEventListener("change", () => pickCsv($("#mu-industry"), "industry"));

$("#mu-survey").addEventListener("change", async () => {
  await pickCsv($("#mu-survey"), "survey");
  const list = mu.survey ? municipalities(mu.survey) : mu.sample;
  fillCodes(list || [], $("#mu-code").value);
});

/** A municipality code as the service reads it: full-width digits (typed with a Japanese input method, or
 * written so in a survey table) are the ASCII ones (NFKC). */
const codeOf = (c) => String(c).normalize("NFKC").trim();

/** The peer codes typed, in order (commas, spaces or 、 between them). */
const peerCodes = () => codeOf($("#mu-peer-codes").value).split(/[\s,、]+/).filter(Boolean);

/** The typed peer codes that are no municipality of the survey table the page lists (the chosen one, else the
 * sample), said as one message; null when every one is (or none is typed). */
function peersProblem() {
  const known = new Set((mu.survey ? municipalities(mu.survey) : mu.sample || []).map((m) => codeOf(m.code)));
  const unknown = [...new Set(peerCodes().filter((c) => !known.has(c)))];
  return unknown.length ? t("mu.badPeerCodes", { codes: unknown.join(", ") }) : null;
}

/** The diagnosis request: the shipped example for the chosen municipality and quantile, compared with the
 * listed peers when codes are typed (the service refuses a code given twice or none but the municipality's). */
async function requestBody() {
  const q = Number($("#mu-quantile").value);
  const quantile = () => { const v = $("#mu-quantile").value.trim(); return v && Number(v) >= 0.5 && Number(v) <= 0.95 ? null : t("mu.badQuantile"); };
  const problems = [checked($("#mu-quantile"), quantile), checked($("#mu-code"), () => ($("#mu-code").value ? null : t("mu.noCode"))),
    checked($("#mu-peer-codes"), peersProblem)];
  if (problems.some(Boolean)) { showMessages("#mu-errors", problems.filter(Boolean)); return null; }
  const doc = { ...(await staticExample("policy_diagnosis")), municipality: $("#mu-code").value, quantile: q };
  if (peerCodes().length) doc.peers = { codes: peerCodes() };
  const body = { document: JSON.stringify(doc) };
  if (mu.survey) body.survey_csv = mu.survey;
  if (mu.industry) body.industry_csv = mu.industry;
  return body;
}

/** A refused diagnosis: its problems listed, and each refused field's beside it (the municipality and the
 * quantile of the document the form makes, the tables chosen). */
function refused(doc) {
  showProblem("#mu-errors", doc);
  // a problem inside a table (its line or header) is the table's: marked beside the table's field
  const table = ["survey_csv", "industry_csv"].includes(doc?.document) ? doc.document : null;
  const errors = (doc?.errors || []).map((e) => (table && inTable(e.path) ? { ...e, path: `${table}.${e.path}` } : e));
  markRefused({ ...doc, errors }, { municipality: "mu-code", quantile: "mu-quantile", "peers.codes": "mu-peer-codes", survey_csv: "mu-survey",
    industry_csv: "mu-industry" });
}

$("#mu-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#mu-errors").replaceChildren();
  const body = await requestBody(); if (!body) return;
  $("#mu-result").hidden = true; mu.last = null;
  const res = await longTask({ status: $("#mu-status"), start: $("#mu-run"), cancel: $("#mu-cancel"), bar: $("#mu-progress"),
    what: () => t("mu.running") }, (signal) => api(`/api/policy/diagnose?lang=${state.lang}`, jsonBody(body, "POST", signal)));
  if (!res) return;
  $("#mu-status").textContent = "";
  if (!res.ok) { refused(await problemOf(res)); return; }
  mu.last = { body, result: await res.json() };
  if (mu.reportUrl) { URL.revokeObjectURL(mu.reportUrl); mu.reportUrl = null; }
  drawResult(mu.last);
  $("#mu-result").scrollIntoView({ block: "start" });
});

$("#mu-report").addEventListener("click", async () => {
  if (!mu.last) return;
  $("#mu-errors").replaceChildren(); $("#mu-status").textContent = t("mu.reporting");
  const res = await api(`/api/policy/diagnose?lang=${state.lang}&format=html`, jsonBody(mu.last.body));
  $("#mu-status").textContent = "";
  if (!res.ok) { refused(await problemOf(res)); return; }
  if (mu.reportUrl) URL.revokeObjectURL(mu.reportUrl);
  mu.reportUrl = URL.createObjectURL(new Blob([await res.text()], { type: "text/html" }));
  const a = $("#mu-report-link"); a.href = mu.reportUrl; a.hidden = false; a.focus();
});

function drawResult({ result: r }) {
  $("#mu-result").hidden = false;
  const m = r.municipality;
  const name = Object.assign(document.createElement("span"), { className: "data", textContent: `${m.name} (${m.code})` });
  $("#mu-result-title").replaceChildren(name, ` ${t("mu.resultTitle", { year: m.fiscal_year })}`);
  const said = { pop: fmt(r.current.population), gen: fmt(r.current.generation_t), rate: fmtPct(r.current.recycling_rate),
    potential: fmtPct(r.potential_recycling_rate) };
  // listed peers: named (as the council report says them), not the size class they were not chosen by
  $("#mu-summary").textContent = listed(r)
    ? t("mu.summaryListed", { ...said, peers: r.peers.filter((p) => !p.is_target).map((p) => `${p.name} (${p.code})`).join(", ") })
    : t("mu.summary", { ...said, peers: r.peers.length, from: fmt(r.size_class?.from), below: fmt(r.size_class?.below) });
  const table = $("#mu-peers");
  table.dataset.i18nLabel = listed(r) ? "mu.peersListed" : "mu.peers";
  table.setAttribute("aria-label", listed(r) ? t("mu.peersListed") : t("mu.peers"));
  $("#mu-cards").replaceChildren(...metricsOf(r).map((k) => {
    const card = document.createElement("div"); card.className = "card";
    const rk = r.ranks[k] || {};
    card.append(Object.assign(document.createElement("div"), { className: "label", textContent: metricName(k) }),
      Object.assign(document.createElement("div"), { className: "value", textContent: metricValue(k, r.current[k]) }),
      Object.assign(document.createElement("div"), { className: "label", textContent: t("mu.rank", { rank: rk.rank ?? "–", of: rk.of ?? "–" }) }));
    return card;
  }));
  const keep = $("#mu-metric").value || "recycling_rate";
  $("#mu-metric").replaceChildren(...metricsOf(r).map((k) => Object.assign(document.createElement("option"), { value: k, textContent: metricName(k), selected: k === keep })));
  drawPeers(r);
  drawPotential(r);
  drawProposals(r);
  $("#mu-method").textContent = state.lang === "ja" ? t("mu.methodJa") : r.method;
  $("#mu-notes").replaceChildren(...(r.notes || []).map((n) => Object.assign(document.createElement("li"), { textContent: n[state.lang] || n.en })));
  $("#mu-report-link").hidden = !mu.reportUrl;
}

function drawPeers(r) {
  const k = $("#mu-metric").value;
  const peers = [...r.peers].sort((a, b) => a[k] - b[k]);
  const share = k === "recycling_rate";
  const ranked = { what: metricName(k), rank: r.ranks[k]?.rank ?? "–", of: r.ranks[k]?.of ?? "–" };
  plot("mu-peers-chart", [{ type: "bar", x: peers.map((p) => `${p.name} (${p.code})`), y: peers.map((p) => (share ? 100 * p[k] : p[k])),
    marker: { color: peers.map((p) => (p.is_target ? "#b9770e" : "#1f618d")) }, name: metricName(k), showlegend: false,
    customdata: peers.map((p) => metricValue(k, p[k])), hovertemplate: `%{x}: %{customdata}<extra></extra>` }],
  { title: listed(r) ? t("mu.chart.peersTitleListed", ranked) : t("mu.chart.peersTitle", ranked), height: 360,
    xaxis: { title: listed(r) ? t("mu.axis.peerListed") : t("mu.axis.peer"), type: "category" }, yaxis: { title: share ? t("mu.axis.pct") : metricName(k), rangemode: "tozero" } });
  richTable($("#mu-peers"), [t("mu.col.municipality"), t("mu.col.population"), ...metricsOf(r).map(metricName)],
    r.peers.map((p) => [`${p.name} (${p.code})${p.is_target ? ` ★ ${t("mu.target")}` : ""}`, fmt(p.population), ...metricsOf(r).map((x) => metricValue(x, p[x]))]),
    [1, 2, 3, 4, 5, 6], [0]);
}

function drawPotential(r) {
  const s = r.potential.map((p) => streamName(p.stream));
  plot("mu-potential-chart", [
    { type: "bar", name: t("mu.own"), x: s, y: r.potential.map((p) => p.own_kg_per_person_year), marker: { color: "#1f618d" },
      hovertemplate: `${t("mu.own")}: %{y:.3~r} kg<extra>%{x}</extra>` },
    { type: "bar", name: t("mu.best", { q: fmtPct(r.quantile) }), x: s, y: r.potential.map((p) => p.best_quartile_kg_per_person_year),
      marker: { color: "#117a65" }, hovertemplate: `${t("mu.best", { q: fmtPct(r.quantile) })}: %{y:.3~r} kg<extra>%{x}</extra>` }],
  // the legend above the bars: beside them it took 40 % of an 800 px page and the streams' names,
  // turned, ran into each other and the axis title
  { title: t("mu.chart.potentialTitle", { t: fmt(r.potential_total_t) }), barmode: "group", height: 380,
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" }, margin: { t: 90 },
    xaxis: { title: t("mu.axis.stream"), type: "category", automargin: true }, yaxis: { title: t("mu.axis.kgPerson"), rangemode: "tozero" } });
  richTable($("#mu-potential"), [t("mu.col.stream"), t("mu.col.own"), t("mu.col.best"), t("mu.col.potential")],
    r.potential.map((p) => [streamName(p.stream), fmt(p.own_kg_per_person_year), fmt(p.best_quartile_kg_per_person_year), fmt(p.potential_t)]),
    [1, 2, 3]);
}

function drawProposals(r) {
  const ps = r.proposals;
  const name = (p) => p[state.lang] || p.en;
  plot("mu-proposals-chart", [{ type: "bar", orientation: "h", y: ps.map(name), x: ps.map((p) => p.co2e_reduction_t), name: t("mu.col.co2e"),
    marker: { color: ps.map((p) => (p.net_cost_kJPY <= 0 ? "#1e8449" : "#b9770e")) }, showlegend: false,
    customdata: ps.map((p) => [fmt(p.diverted_t), fmt(p.net_cost_kJPY), fmtPct(p.recycling_rate_gain)]),
    hovertemplate: `%{y}<br>${t("mu.col.co2e")}: %{x:.3~r}<br>${t("mu.col.diverted")}: %{customdata[0]}<br>`
      + `${t("mu.col.cost")}: %{customdata[1]}<br>${t("mu.col.gain")}: %{customdata[2]}<extra></extra>` }],
  { title: t("mu.chart.proposalsTitle"), height: 140 + 44 * ps.length,
    xaxis: { title: t("mu.axis.co2e"), rangemode: "tozero" },
    yaxis: { title: { text: t("mu.axis.measure"), standoff: 12 }, automargin: true, autorange: "reversed" } });
  richTable($("#mu-proposals"), [t("mu.col.measure"), t("mu.col.stream"), t("mu.col.capture"), t("mu.col.diverted"), t("mu.col.co2e"),
    t("mu.col.landfill"), t("mu.col.cost"), t("mu.col.gain")],
  ps.map((p) => [name(p), state.lang === "ja" ? p.stream : (p.stream_en || streamName(p.stream)), fmtPct(p.capture), fmt(p.diverted_t),
    fmt(p.co2e_reduction_t), fmt(p.landfill_avoided_t), fmt(p.net_cost_kJPY), fmtPct(p.recycling_rate_gain)]), [2, 3, 4, 5, 6, 7]);
}

$("#mu-metric").addEventListener("change", () => mu.last && drawPeers(mu.last.result));

function redrawMunicipality() {
  if (mu.sample) fillCodes(mu.survey ? municipalities(mu.survey) : mu.sample, $("#mu-code").value);
  if (mu.last) drawResult(mu.last);
}

export { showMunicipality, redrawMunicipality };
