// Nature page: assess or classify the generated sample scene, or your own assessment (its files in the
// server's raster folder), as a server-side job (POST
// /api/nature/jobs, polled, DELETE on cancel); indicators per sourcing area, the TNFD core metrics
// C1.0 / C1.1 with their uncertainty, which indicators can monitor year-on-year change (Sen's slope
// against the minimum detectable change), and the classification's accuracy, kappa and confusion matrix.
import { $, fmt, fmtPct, jsonBody, jsonError, longTask, plot, richTable, show, showMessages, showProblem, t } from "./core.js";
import { runJob } from "./jobs.js";
import { checked, markDocument } from "./fieldnotes.js";
import { markRefused } from "./formcheck.js";
import { redrawSurvey, showSurvey } from "./survey.js";

const nt = { last: null, phase: "queued" };
const kind = () => document.querySelector('input[name="nt-kind"]:checked').value;
const YES = "#1e8449"; const NO = "#a6acaf";
const AREA_COLOURS = ["#1f618d", "#b9770e", "#7d3c98", "#117a65", "#a93226", "#2e4053"];

function showNature() {
  show("nature");
  if (nt.last) drawResult(nt.last);
  showSurvey();
}

/** Start the job and poll it until it ends (core.js runJob); a cancel stops it on the server too. */
function natureJob(k, body, signal) {
  nt.phase = "queued";
  return runJob(`/api/nature/jobs?kind=${k}`, jsonBody(body, "POST"), signal, { onPoll: (job) => { nt.phase = job.status; } });
}

/** Why the assessment text area holds no JSON object, in the page's language; null when it holds one. */
function docProblem() {
  let doc = null;
  try { doc = JSON.parse($("#nt-doc").value); } catch { return t("nt.badDoc", { msg: jsonError($("#nt-doc").value) }); }
  return !doc || typeof doc !== "object" || Array.isArray(doc) ? t("nt.badDoc", { msg: "{…}" }) : null;
}

/** The request body, or null after showing what is wrong with the form: in the list and beside each field
 * wrong. */
function requestBody() {
  const errs = [];
  const num = (id, lo, hi, key) => {
    const problem = () => {
      const raw = $(id).value.trim(); const v = Number(raw);
      return raw === "" || !Number.isInteger(v) || v < lo || v > hi ? t("an.range", { what: t(key), lo: fmt(lo), hi: fmt(hi) }) : null;
    };
    const said = checked($(id), problem);
    if (said) errs.push(said);
    return Number($(id).value.trim());
  };
  if (source() === "own") {
    const problem = checked($("#nt-doc"), docProblem);
    if (problem) { showMessages("#nt-errors", [problem]); return null; }
    return { assessment: JSON.parse($("#nt-doc").value) };
  }
  const sample = { size: num("#nt-size", 60, 600, "nt.size"), seed: num("#nt-seed", 0, 4294967295, "nt.seed") };
  if (errs.length) { showMessages("#nt-errors", errs); return null; }
  return { sample };
}

const source = () => document.querySelector('input[name="nt-source"]:checked').value;
document.querySelectorAll('input[name="nt-source"]').forEach((r) => r.addEventListener("change", () => {
  const own = source() === "own";
  $("#nt-own-fields").hidden = !own; $("#nt-sample-fields").hidden = own;
  $("#nt-size").required = !own; $("#nt-seed").required = !own;
}));

$("#nt-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#nt-errors").replaceChildren();
  const body = requestBody(); if (!body) return;
  const k = kind();
  $("#nt-result").hidden = true; nt.last = null;  // the old result no longer matches the form
  const out = await longTask({ status: $("#nt-status"), start: $("#nt-run"), cancel: $("#nt-cancel"),
    bar: $("#nt-progress"), what: () => t(`nt.phase.${nt.phase}`, {}, nt.phase) }, (signal) => natureJob(k, body, signal));
  if (!out) return;
  $("#nt-status").textContent = "";
  if (out.problem) {  // listed, and each refused field's beside it (the assessment's all together)
    showProblem("#nt-errors", out.problem);
    markRefused(out.problem, { "sample.size": "nt-size", "sample.seed": "nt-seed" });
    markDocument(out.problem, $("#nt-doc"), "assessment");
    return;
  }
  nt.last = { kind: k, sample: body.sample, result: out.result, id: out.id };
  drawResult(nt.last);
  $("#nt-result").scrollIntoView({ block: "start" });
});

const cls = (c) => t(`nt.class.${c}`, {}, c);
const pm = (v, u) => `${fmt(v)} ± ${fmt(u)}`;
const indName = (k) => (k.endsWith("_km2") ? t("nt.classArea", { cls: cls(k.slice(0, -4)) }) : k);

function drawResult(last) {
  const { result: r, kind: k, sample } = last;
  $("#nt-result").hidden = false;
  const assess = k === "assess";
  $("#nt-result-title").textContent = t(assess ? "nt.resultAssess" : "nt.resultClassify");
  $("#nt-assess").hidden = !assess;
  const c = assess ? r.classifier : r;
  if (assess) {
    // the shipped sample's name said in the page's language; a document's own name as written
    const name = Object.assign(document.createElement("span"), { className: "data", textContent: sample ? t("nt.sampleName") : r.name });
    $("#nt-summary").replaceChildren(name, `: ${sample ? t("nt.summary", { areas: r.areas.length, scenes: r.scenes.length,
      size: sample.size, seed: sample.seed }) : t("nt.summaryOwn", { areas: r.areas.length, scenes: r.scenes.length })}`);
    areaTable(r);
    drawTnfd(r);
    const keep = $("#nt-area").value;
    $("#nt-area").replaceChildren(...r.areas.map((a) => Object.assign(document.createElement("option"), {
      value: a.id, textContent: `${a.id} (${a.commodity}, ${a.supplier})`, selected: a.id === keep })));
    drawResponsiveness(r);
    drawFlood(r);
    drawMap(r);
    drawTrends(r);
    reportLinks(last.id);
  } else {
    $("#nt-summary").textContent = sample ? t("nt.summaryClassify", { size: sample.size, seed: sample.seed })
      : t("nt.summaryClassifyOwn");
  }
  drawClassifier(c);
}

function areaTable(r) {
  richTable($("#nt-areas"), [t("nt.col.area"), t("nt.col.commodity"), t("nt.col.supplier"), t("nt.col.company"),
    t("nt.col.volume"), t("nt.col.c10"), t("nt.col.c11"), t("nt.col.protected"), t("nt.col.forestLoss"),
    t("nt.col.ndvi"), t("nt.col.vci"), t("nt.col.spi"), t("nt.col.c30"), t("nt.col.integrated"), t("nt.col.risk")],
  r.areas.map((a) => {
    const last = a.scenes[a.scenes.length - 1] || {};
    const lc = a.land_change || {}; const c11 = lc["C1.1"];
    const c30 = a["C3.0"]; const rating = a.risk && a.risk.rating;
    return [a.id, a.commodity, a.supplier, a.company, fmt(a.volume_t), pm(a["C1.0"].value_km2, a["C1.0"].uncertainty_km2),
      c11 ? pm(c11.value_km2, c11.uncertainty_km2_95) : "–",
      `${fmt(a.protected_overlap_km2)} (${fmtPct(a.protected_overlap_share)})`,
      lc.forest_loss_rate_per_year == null ? "–" : fmtPct(lc.forest_loss_rate_per_year),
      last.NDVI == null ? "–" : `${fmt(last.NDVI)} (${last.date})`,
      vciCell(a.drought),
      a.spi && a.spi.latest != null ? `${fmt(a.spi.latest)} (${a.spi.latest_month})` : "–",
      c30 && c30.withdrawal_m3 != null ? fmt(c30.withdrawal_m3) : "–",
      a.integrated && a.integrated.value != null ? fmt(a.integrated.value) : "–",
      rating ? t(`nt.risk.${rating}`, {}, rating) : "–"];
  }), [4, 5, 6, 7, 8, 9, 10, 11, 12], [0, 1, 2, 3]);
  coverageNotes(r);
}

/** The latest VCI, or in words why it is not rated (fewer years of history than the data file's minimum). */
function vciCell(d) {
  if (d && d.VCI_status === "insufficient history") return t("nt.vciUnrated", { years: d.VCI_history_years });
  return d && d.VCI_latest != null ? fmt(d.VCI_latest) : "–";
}

/** Under the table: each area assessed on the part the scenes cover (partial_areas: clip), with that share. */
function coverageNotes(r) {
  let list = $("#nt-coverage");
  if (!list) {
    list = document.createElement("ul"); list.id = "nt-coverage";
    $("#nt-areas").after(list);
  }
  list.replaceChildren(...r.areas.filter((a) => a.coverage && a.coverage.note).map((a) => {
    const li = document.createElement("li"); const c = a.coverage;
    li.textContent = t("nt.coverageNote", { id: a.id, share: fmtPct(c.covered_share), covered: fmt(c.covered_km2),
      polygon: fmt(c.polygon_km2) });
    return li;
  }));
  list.hidden = !list.children.length;
}

/** C1.0 (spatial footprint) and C1.1 (land-use change) per area, with their uncertainty as error bars. */
function drawTnfd(r) {
  const ids = r.areas.map((a) => a.id);
  const c11 = r.areas.map((a) => (a.land_change || {})["C1.1"] || {});
  plot("nt-tnfd", [
    { type: "bar", name: t("nt.c10"), x: ids, y: r.areas.map((a) => a["C1.0"].value_km2), marker: { color: "#1f618d" },
      error_y: { type: "data", array: r.areas.map((a) => a["C1.0"].uncertainty_km2), visible: true },
      customdata: r.areas.map((a) => pm(a["C1.0"].value_km2, a["C1.0"].uncertainty_km2)),
      hovertemplate: `${t("nt.c10")}: %{customdata} km²<extra>%{x}</extra>` },
    { type: "bar", name: t("nt.c11"), x: ids, y: c11.map((c) => c.value_km2 ?? null), marker: { color: "#ca6f1e" },
      error_y: { type: "data", array: c11.map((c) => c.uncertainty_km2_95 ?? 0), visible: true },
      customdata: c11.map((c) => pm(c.value_km2, c.uncertainty_km2_95)),
      hovertemplate: `${t("nt.c11")}: %{customdata} km² (95 %)<extra>%{x}</extra>` },
  ], { title: t("nt.chart.tnfdTitle"), barmode: "group", height: 380, xaxis: { title: t("nt.axis.area"), type: "category" },
    yaxis: { title: t("nt.axis.km2"), rangemode: "tozero" }, legend: { orientation: "h", y: -0.2, yanchor: "top" } });
  $("#nt-tnfd-note").textContent = t("nt.tnfdNote");
}

/** |Sen's slope| / minimum detectable change per indicator of one area: at or beyond 1 the yearly
 * trend is detectable (annual monitoring), bars coloured by the service's verdict. */
function drawResponsiveness(r) {
  const a = r.areas.find((x) => x.id === $("#nt-area").value) || r.areas[0];
  const resp = Object.entries(a.responsiveness || {});
  const CAP = 3;
  const ratio = ([, v]) => (v.min_detectable_change > 0 ? Math.abs(v.sen_slope_per_year) / v.min_detectable_change
    : (v.sen_slope_per_year === 0 ? 0 : CAP));
  const traces = [[true, YES, "nt.annualYes"], [false, NO, "nt.annualNo"]].map(([flag, color, key]) => {
    const rows = resp.filter(([, v]) => v.annual_monitoring === flag);
    return { type: "bar", orientation: "h", name: t(key), marker: { color },
      y: rows.map(([n]) => indName(n)), x: rows.map((e) => Math.min(CAP, ratio(e))), textposition: "outside", cliponaxis: false,
      text: rows.map((e) => (e[1].min_detectable_change > 0 ? fmt(ratio(e)) : t("nt.noNoise"))),
      customdata: rows.map(([, v]) => [fmt(Math.abs(v.sen_slope_per_year)), fmt(v.min_detectable_change), fmt(v.noise_sd),
        t(`nt.trend.${v.trend}`, {}, v.trend), fmt(v.p)]),
      hovertemplate: `%{y}<br>${t("nt.hover.slope")}: %{customdata[0]}<br>${t("nt.hover.mdc")}: %{customdata[1]}`
        + `<br>${t("nt.hover.noise")}: %{customdata[2]}<br>${t("nt.hover.trend")}: %{customdata[3]} (p = %{customdata[4]})<extra></extra>` };
  });
  const names = resp.map(([n]) => indName(n));
  plot("nt-resp", traces, { title: t("nt.chart.respTitle", { area: a.id, n: (a.responsiveness[resp[0]?.[0]] || {}).n ?? 0 }),
    height: 120 + 30 * resp.length, margin: { l: 170 },
    xaxis: { title: t("nt.axis.ratio"), range: [0, CAP], zeroline: true },
    yaxis: { title: t("nt.axis.indicator"), automargin: true, type: "category", categoryorder: "array", categoryarray: [...names].reverse() },
    shapes: [{ type: "line", xref: "x", yref: "paper", x0: 1, x1: 1, y0: 0, y1: 1, line: { color: "#c0392b", width: 2, dash: "dash" } }],
    annotations: [{ x: 1, y: 1, xref: "x", yref: "paper", yanchor: "bottom", showarrow: false, text: t("nt.mdcLine"), font: { color: "#c0392b" } }],
    legend: { orientation: "h", y: -0.15, yanchor: "top" } });
  richTable($("#nt-resp-table"), [t("nt.col.indicator"), t("nt.col.trend"), t("nt.col.slope"), t("nt.col.p"), t("nt.col.noise"),
    t("nt.col.mdc"), t("nt.col.annual")],
  resp.map(([n, v]) => [indName(n), t(`nt.trend.${v.trend}`, {}, v.trend), fmt(v.sen_slope_per_year), fmt(v.p), fmt(v.noise_sd),
    fmt(v.min_detectable_change), t(v.annual_monitoring ? "nt.yes" : "nt.no")]), [2, 3, 4, 5]);
}

/** Per area and scene: water, flooded (water now, not in the reference scene) and receded km², each with the
 * range from the Otsu threshold's uncertainty. */
function drawFlood(r) {
  const sw = r.surface_water;
  $("#nt-flood-note").textContent = sw ? t("nt.floodNote", { index: sw.index, ref: sw.reference_date }) : t("nt.floodNone");
  const rng = (v) => `${fmt(v.value)} (${fmt(v.low)}–${fmt(v.high)})`;
  richTable($("#nt-flood"), [t("nt.col.area"), t("nt.col.date"), t("nt.col.water"), t("nt.col.flooded"), t("nt.col.receded")],
    sw ? r.areas.flatMap((a) => (a.inundation || []).map((x) => [a.id, x.date, rng(x.water_km2), rng(x.flooded_km2),
      fmt(x.receded_km2)])) : [], [2, 3, 4]);
}

/** An area's rings as [lon, lat] points: its simplified outline from the result, else its bounding box. */
function outline(a) {
  if (a.outline && a.outline.length) return a.outline;
  const [w, s, e, n] = a.centroid.bbox;
  return [[[w, s], [e, s], [e, n], [w, n], [w, s]]];
}

/** Each area's outline (or bounding box when the result has no outline) and centroid in WGS 84, coloured by the
 * integrated impact (0–100); no base map: the page loads nothing from other sites. */
function drawMap(r) {
  const areas = r.areas.filter((a) => a.centroid);
  const scale = [[0, "#ffffb2"], [0.5, "#fd8d3c"], [1, "#bd0026"]];
  const v = (a) => (a.integrated && a.integrated.value != null ? a.integrated.value : null);
  plot("nt-map", [
    ...areas.map((a) => { const rings = outline(a); return { type: "scatter", mode: "lines", fill: "toself",
      x: rings.flatMap((ring, i) => [...(i ? [null] : []), ...ring.map((p) => p[0])]),
      y: rings.flatMap((ring, i) => [...(i ? [null] : []), ...ring.map((p) => p[1])]),
      line: { color: "#2e4053", width: 1 }, showlegend: false, hoverinfo: "skip", fillcolor: "rgba(46,64,83,0.08)" }; }),
    { type: "scatter", mode: "markers+text", x: areas.map((a) => a.centroid.lon), y: areas.map((a) => a.centroid.lat),
      text: areas.map((a) => a.id), textposition: "top center", showlegend: false,
      marker: { size: 16, color: areas.map((a) => v(a) ?? 0), cmin: 0, cmax: 100, colorscale: scale, line: { color: "#000", width: 1 },
        colorbar: { title: { text: t("nt.col.integrated") } } },
      customdata: areas.map((a) => [a.commodity, a.supplier, v(a) == null ? "–" : fmt(v(a))]),
      hovertemplate: `%{text}: %{customdata[0]}, %{customdata[1]}<br>${t("nt.col.integrated")}: %{customdata[2]}`
        + "<br>%{y:.4f}°, %{x:.4f}°<extra></extra>" },
  ], { title: t("nt.chart.mapTitle"), height: 420, xaxis: { title: t("nt.axis.lon") },
    yaxis: { title: t("nt.axis.lat"), scaleanchor: "x" } });
}

/** Per area over the scenes: mean NDVI (top) and surface-water extent in km² (bottom), one colour per area. */
function drawTrends(r) {
  const traces = r.areas.flatMap((a, i) => {
    const color = AREA_COLOURS[i % AREA_COLOURS.length];
    const dates = a.scenes.map((s) => s.date);
    return [["NDVI", "", t("nt.axis.ndvi")], ["water_km2", "2", t("nt.axis.waterKm2")]]
      .filter(([key]) => a.scenes.some((s) => s[key] != null))
      .map(([key, n, what], k) => ({ type: "scatter", mode: "lines+markers", name: a.id, legendgroup: a.id,
        showlegend: k === 0, x: dates, y: a.scenes.map((s) => s[key] ?? null), xaxis: `x${n}`, yaxis: `y${n}`, line: { color },
        hovertemplate: `${a.id}, %{x}<br>${what}: %{y:.4g}<extra></extra>` }));
  });
  plot("nt-trends", traces, { title: t("nt.chart.trendsTitle"), height: 520,
    xaxis: { title: t("nt.axis.date"), type: "date", anchor: "y" }, yaxis: { title: t("nt.axis.ndvi"), domain: [0.58, 1], anchor: "x" },
    xaxis2: { title: t("nt.axis.date"), type: "date", matches: "x", anchor: "y2" },
    yaxis2: { title: t("nt.axis.waterKm2"), domain: [0, 0.42], anchor: "x2", rangemode: "tozero" },
    legend: { orientation: "h", y: -0.12, yanchor: "top" } });
}

/** Links that download the job's LEAP report (the service writes it from the stored result). */
function reportLinks(id) {
  const link = (lang, format, key) => Object.assign(document.createElement("a"), { textContent: t(key), download: "",
    href: `/api/nature/jobs/${encodeURIComponent(id)}/report?lang=${lang}&format=${format}` });
  $("#nt-report").replaceChildren(link("en", "pdf", "nt.report.pdfEn"), " · ", link("ja", "pdf", "nt.report.pdfJa"),
    " · ", link(document.documentElement.lang === "ja" ? "ja" : "en", "html", "nt.report.html"));
}

/** "value (95 %: lo–hi)": a value with its 95 % interval over the held-out polygons as the sampling units
 * (classifier.validation), or the value alone without one. */
const withCi = (v, ci, f) => (Array.isArray(ci) && ci.every(Number.isFinite) ? `${f(v)} (95 %: ${f(ci[0])}–${f(ci[1])})` : f(v));

/** Accuracy, kappa (each with its 95 % interval) and the confusion matrix (rows: reference, columns: predicted) as a heatmap. */
function drawClassifier(c) {
  const v = c.validation || {};
  const per = v.per_class_ci95 || {};
  $("#nt-cls-summary").textContent = t("nt.clsSummary", { acc: withCi(c.accuracy, v.accuracy_ci95, fmtPct),
    kappa: withCi(c.kappa, v.kappa_ci95, fmt),
    n: fmt(Object.values(c.n_test_pixels || {}).reduce((s, x) => s + x, 0)), polys: (c.held_out_polygons || []).length });
  const names = c.classes.map(cls);
  const rowSums = c.confusion.map((row) => row.reduce((s, x) => s + x, 0) || 1);
  plot("nt-confusion", [{ type: "heatmap", x: names, y: names, z: c.confusion.map((row, i) => row.map((v) => v / rowSums[i])),
    zmin: 0, zmax: 1, colorscale: "Greens", reversescale: true, colorbar: { title: { text: t("nt.axis.share") } },
    customdata: c.confusion, hovertemplate: `${t("nt.axis.reference")}: %{y}<br>${t("nt.axis.predicted")}: %{x}<br>`
      + `${t("nt.hover.pixels")}: %{customdata}<extra></extra>` }],
  { title: t("nt.chart.confusionTitle", { acc: fmtPct(c.accuracy), kappa: fmt(c.kappa) }), height: 440,
    xaxis: { title: t("nt.axis.predicted"), type: "category" },
    yaxis: { title: t("nt.axis.reference"), type: "category", autorange: "reversed" },
    annotations: c.confusion.flatMap((row, i) => row.map((v, j) => ({ x: names[j], y: names[i], text: String(v), showarrow: false,
      font: { color: v / rowSums[i] > 0.5 ? "white" : "black" } }))), margin: { l: 110, b: 90 } });
  richTable($("#nt-f1"), [t("nt.col.class"), t("nt.col.f1"), t("nt.col.userAcc"), t("nt.col.train"), t("nt.col.test")],
    c.classes.map((k) => [cls(k), withCi(c.f1[k], (per[k] || {}).f1, fmt),
      withCi((c.user_accuracy || {})[k], (per[k] || {}).user, fmt), fmt((c.n_train_pixels || {})[k]),
      fmt((c.n_test_pixels || {})[k])]), [1, 2, 3, 4]);
}

$("#nt-area").addEventListener("change", () => nt.last && nt.last.kind === "assess" && drawResponsiveness(nt.last.result));

function redrawNature() { if (nt.last) drawResult(nt.last); redrawSurvey(); }

export { showNature, redrawNature };
