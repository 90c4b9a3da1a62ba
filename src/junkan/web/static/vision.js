// Vision page: belt images and a trained model sent to POST /api/vision/predict (a server-side job,
// polled at GET /api/vision/jobs/{id}; Cancel stops it on the server with DELETE); each image drawn with
// its pieces outlined and labelled by group, the pieces per class on the image, and counts and mass per
// group and belt interval with their 5–95 % bands. A synthetic frame can be rendered (POST
// /api/vision/render) and used as the image; the model can be evaluated on held-out renders (POST
// /api/vision/evaluate, a job with progress and cancel): confusion matrix, accuracy per group and the
// sorter document for “junkan alloy plan --sorter”.
import { $, api, fmt, fmtPct, jsonBody, longTask, plot, problemOf, richTable, show, showMessages, showProblem, t } from "./core.js";
import { runJob } from "./jobs.js";
import { fitTitle } from "./chart_fit.js";
import { checked } from "./fieldnotes.js";
import { markRefused } from "./formcheck.js";

const vi = { last: null, phase: "queued", sample: null, evaluation: null };
const MAX_IMAGES = 8;
const MAX_IMAGE_BYTES = 8 * 2 ** 20;
const MAX_MODEL_CHARS = 16_000_000;
const GROUPS = ["wrought", "cast", "copper", "other"];
const GROUP_COLOUR = { wrought: "#2e86c1", cast: "#d68910", copper: "#a04000", other: "#7d3c98" };

function showVision() {
  show("vision");
  redrawVision();
}

/** A file as base64 (without the data-URL prefix) and as a data URL to draw. */
function readFile(file) {
  return new Promise((resolve, reject) => {
    const fr = new FileReader();
    fr.onload = () => resolve({ url: fr.result, data: String(fr.result).split(",", 2)[1] || "" });
    fr.onerror = () => reject(fr.error);
    fr.readAsDataURL(file);
  });
}

/** The image's size in pixels, or null when the browser cannot show it (TIFF). */
function imageSize(url) {
  return new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve({ w: img.naturalWidth, h: img.naturalHeight });
    img.onerror = () => resolve(null);
    img.src = url;
  });
}

/** What is wrong with the model file chosen (none, too large), in the page's language; null when nothing is. */
function modelProblem() {
  const model = $("#vi-model").files[0];
  if (!model) return t("vi.needModel");
  return model.size > MAX_MODEL_CHARS ? t("vi.modelTooBig", { name: model.name, max: fmt(MAX_MODEL_CHARS) }) : null;
}

/** What is wrong with the images chosen (none and no sample, too many, each one too large), in the page's language. */
function imageProblems() {
  const files = [...$("#vi-images").files];
  const out = [];
  if (!files.length && !vi.sample) out.push(t("vi.needImages"));
  if (files.length > MAX_IMAGES) out.push(t("vi.tooManyImages", { n: files.length, max: MAX_IMAGES }));
  files.filter((f) => f.size > MAX_IMAGE_BYTES).forEach((f) => out.push(t("vi.imageTooBig", { name: f.name, max: fmt(MAX_IMAGE_BYTES) })));
  return out;
}

/** Check field `id` with `problem` (core's words for what is wrong now, or null), beside the field: its
 * problem added to `errs`. */
function check(id, problem, errs) {
  const said = checked($(id), problem);
  if (said) errs.push(said);
  return !said;
}

/** The check of field `id`: a number above `lo` and at most `hi`, else the message `key`. */
const within = (id, lo, hi, key) => () => {
  const v = Number($(id).value);
  return $(id).value.trim() && v > lo && v <= hi ? null : t(key);
};

/** The request (body, images to draw), or null after showing what is wrong with the form: in the list and
 * beside each field wrong. */
async function request() {
  const errs = [];
  const model = $("#vi-model").files[0];
  const files = [...$("#vi-images").files];
  check("#vi-model", modelProblem, errs);
  if (checked($("#vi-images"), () => imageProblems().join(" ") || null)) errs.push(...imageProblems());
  const scale = Number($("#vi-scale").value); const interval = Number($("#vi-interval").value);
  check("#vi-scale", within("#vi-scale", 0.01, 10, "vi.badScale"), errs);
  check("#vi-interval", within("#vi-interval", 0, 1e7, "vi.badInterval"), errs);
  if (errs.length) { showMessages("#vi-errors", errs); return null; }
  if (!files.length) {  // the rendered sample frame, at its own scale
    const sm = vi.sample;
    const body = { model: await model.text(), interval_s: interval,
      images: [{ name: sm.name, data: sm.data, mm_per_px: sm.mm_per_px }] };
    return { body, shown: [{ name: sm.name, url: sm.url, size: sm.size, scale: sm.mm_per_px }], model: model.name };
  }
  const read = await Promise.all(files.map(readFile));
  const sizes = await Promise.all(read.map((r) => imageSize(r.url)));
  const body = { model: await model.text(), interval_s: interval,
    images: files.map((f, i) => ({ name: f.name, data: read[i].data, mm_per_px: scale })) };
  const shown = files.map((f, i) => ({ name: f.name, url: sizes[i] ? read[i].url : null, size: sizes[i], scale }));
  return { body, shown, model: model.name };
}

/** Start a vision job (`POST start`) and poll it at /api/vision/jobs/{id} until it ends (core.js runJob); `onPoll`
 * hears each poll's job. A cancel stops it on the server (DELETE). Resolves to `{ result }` or `{ problem }`. */
function serverJob(start, body, signal, onPoll = () => {}) {
  return runJob(start, jsonBody(body, "POST"), signal, { poll: "/api/vision/jobs", onPoll });
}

/** Start the prediction and poll it until it ends; a cancel stops it on the server (DELETE). */
function predictJob(body, signal) {
  vi.phase = "queued";
  return serverJob("/api/vision/predict", body, signal, (job) => { vi.phase = job.status; });
}

$("#vi-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#vi-errors").replaceChildren();
  const req = await request(); if (!req) return;
  $("#vi-result").hidden = true; vi.last = null;  // the old result no longer matches the form
  const out = await longTask({ status: $("#vi-status"), start: $("#vi-run"), cancel: $("#vi-cancel"),
    bar: $("#vi-progress"), what: () => t(`nt.phase.${vi.phase}`, {}, vi.phase) }, (signal) => predictJob(req.body, signal));
  if (!out) { $("#vi-status").textContent = t("vi.stopped"); return; }
  $("#vi-status").textContent = "";
  if (out.problem) {  // listed, and each refused field's beside it
    showProblem("#vi-errors", out.problem);
    const fields = { model: "vi-model", interval_s: "vi-interval", images: "vi-images" };
    req.body.images.forEach((_, i) => { fields[`images[${i}].mm_per_px`] = "vi-scale"; });
    markRefused(out.problem, fields);
    return;
  }
  vi.last = { result: out.result, shown: req.shown, model: req.model };
  drawResult(vi.last);
  $("#vi-result").scrollIntoView({ block: "start" });
});

const clsName = (c) => t(`vi.class.${c}`, {}, c);
const groupName = (g) => t(`vi.group.${g}`, {}, g);

function drawResult(last) {
  const r = last.result;
  $("#vi-result").hidden = false;
  const pieces = r.images.reduce((s, im) => s + im.pieces.length, 0);
  $("#vi-summary").textContent = t("vi.summary", { model: r.model, file: last.model, images: r.images.length, pieces });
  const keep = $("#vi-which").value;
  $("#vi-which").replaceChildren(...r.images.map((im, i) => Object.assign(document.createElement("option"), {
    value: String(i), textContent: `${last.shown[i] ? last.shown[i].name : im.image} (${t("vi.nPieces", { n: im.pieces.length })})`,
    selected: String(i) === keep })));
  drawImage(last);
  drawIntervals(r);
}

/** One image with each piece's outline in its group's colour and its id written at the corner. */
function drawImage(last) {
  const i = Number($("#vi-which").value) || 0;
  const im = last.result.images[i]; const shown = last.shown[i] || { scale: 1 };
  const k = 1 / shown.scale;
  const box = (p) => p.bbox_mm.map((v) => v * k);
  const w = shown.size ? shown.size.w : Math.max(1, ...im.pieces.map((p) => (p.bbox_mm[0] + p.bbox_mm[2]) * k));
  const h = shown.size ? shown.size.h : Math.max(1, ...im.pieces.map((p) => (p.bbox_mm[1] + p.bbox_mm[3]) * k));
  // each piece's outline (image pixels, from the service) or, without one, its box
  const shapes = im.pieces.map((p) => {
    const line = { color: GROUP_COLOUR[p.group] || "#000", width: 2 };
    if (p.outline_px && p.outline_px.length >= 3) {
      return { type: "path", xref: "x", yref: "y", line, path: `M${p.outline_px.map(([x, y]) => `${x},${y}`).join("L")}Z` };
    }
    const [x, y, bw, bh] = box(p);
    return { type: "rect", xref: "x", yref: "y", x0: x, y0: y, x1: x + bw, y1: y + bh, line };
  });
  const traces = GROUPS.map((g) => {
    const ps = im.pieces.filter((p) => p.group === g);
    return { type: "scatter", mode: "markers+text", name: `${groupName(g)} (${ps.length})`, x: ps.map((p) => box(p)[0]),
      y: ps.map((p) => box(p)[1]), text: ps.map((p) => String(p.id)), textposition: "middle center",
      textfont: { color: "white", size: 10 }, marker: { symbol: "square", size: 17, color: GROUP_COLOUR[g] },
      customdata: ps.map((p) => [clsName(p.class), fmtPct(p.probability), fmt(p.area_mm2), fmt(p.mass_g)]),
      hovertemplate: `#%{text} %{customdata[0]} (%{customdata[1]})<br>${t("vi.hover.area")}: %{customdata[2]} mm²`
        + `<br>${t("vi.hover.mass")}: %{customdata[3]} g<extra>${groupName(g)}</extra>` };
  });
  const height = beltHeight("vi-belt", w, h, 820);  // the legend below the x axis' title, at any height
  const images = shown.url ? [{ source: shown.url, xref: "x", yref: "y", x: 0, y: 0, sizex: w, sizey: h,
    sizing: "stretch", layer: "below", xanchor: "left", yanchor: "top" }] : [];
  plot("vi-belt", traces, { title: fitTitle(t("vi.chart.beltTitle", { name: shown.name || im.image, n: im.pieces.length }), "vi-belt"),
    height, images, shapes, plot_bgcolor: shown.url ? "white" : "#eee",
    xaxis: { title: t("vi.axis.x"), range: [0, w], showgrid: false, zeroline: false, constrain: "domain" },
    yaxis: { title: t("vi.axis.y"), range: [h, 0], showgrid: false, zeroline: false, scaleanchor: "x", constrain: "domain" },
    legend: { orientation: "h", y: -70 / (height - 150), yanchor: "top" }, margin: { b: 100 } });
  // one row per class and group: a piece's group is the one of highest summed probability, which an
  // uncertain piece's class need not belong to (a "cast aluminium" piece counted as "other")
  const byClass = {};
  for (const p of im.pieces) {
    const c = byClass[`${p.class}\u0000${p.group}`] || (byClass[`${p.class}\u0000${p.group}`] = { cls: p.class, group: p.group, n: 0, mass: 0, prob: 0 });
    c.n += 1; c.mass += p.mass_g; c.prob += p.probability;
  }
  richTable($("#vi-classes"), [t("vi.col.class"), t("vi.col.group"), t("vi.col.count"), t("vi.col.mass"), t("vi.col.prob")],
    Object.values(byClass).sort((a, b) => b.n - a.n).map((v) => [clsName(v.cls), groupName(v.group), fmt(v.n),
      fmt(v.mass), fmtPct(v.prob / v.n)]), [2, 3, 4]);
  const other = (im.warnings || []).filter((w) => !w.startsWith("empty belt"));
  const notes = [...(im.pieces.length ? [] : [t("vi.noPieces")]), ...other];
  $("#vi-belt-notes").replaceChildren(...notes.map((m) => Object.assign(document.createElement("li"), { textContent: m })));
  const warn = (im.warnings || []).join("; ");
  $("#vi-belt").setAttribute("aria-label", t("vi.beltLabel", { name: shown.name || im.image, n: im.pieces.length })
    + (warn ? ` — ${warn}` : ""));
}

/** A picture chart's height: the image's aspect at the chart's width (a narrow screen draws the image
 * smaller, not in a tall empty frame), with room for the title, axes and legend; at most `max` px. */
function beltHeight(id, w, h, max) {
  const width = Math.min(($(`#${id}`).clientWidth || 1000), 1000) - 80;
  return Math.min(max, 200 + Math.round(width * h / w));
}

/** Counts and mass per group and belt interval: the mean with its 5–95 % band. */
function drawIntervals(r) {
  const xs = r.intervals.map((iv) => `${fmt(iv.start_s)}–${fmt(iv.end_s)} s`);
  const bars = (what, scale) => GROUPS.map((g) => {
    const v = r.intervals.map((iv) => (iv[what] || {})[g] || { mean: 0, p5: 0, p95: 0 });
    return { type: "bar", name: groupName(g), x: xs, y: v.map((s) => s.mean * scale), marker: { color: GROUP_COLOUR[g] },
      error_y: { type: "data", symmetric: false, array: v.map((s) => (s.p95 - s.mean) * scale),
        arrayminus: v.map((s) => (s.mean - s.p5) * scale), visible: true },
      customdata: v.map((s) => [fmt(s.mean * scale), fmt(s.p5 * scale), fmt(s.p95 * scale)]),
      hovertemplate: `${groupName(g)}: %{customdata[0]} (5–95 %: %{customdata[1]}–%{customdata[2]})<extra>%{x}</extra>` };
  });
  const layout = (title, y) => ({ title: fitTitle(title, "vi-counts"), barmode: "group", height: 360, xaxis: { title: t("vi.axis.interval"), type: "category" },
    yaxis: { title: y, rangemode: "tozero" }, legend: { orientation: "h", y: -0.25, yanchor: "top" } });
  plot("vi-counts", bars("count", 1), layout(t("vi.chart.countsTitle"), t("vi.axis.count")));
  plot("vi-mass", bars("mass_kg", 1), layout(t("vi.chart.massTitle"), t("vi.axis.kg")));
}

$("#vi-which").addEventListener("change", () => vi.last && drawImage(vi.last));

// ---- render a sample frame; evaluate on held-out renders ------------------------------------
const MAX_EVAL_FRAMES = 24;
const SEED_MAX = 2 ** 31 - 1;

/** An element with attributes (`i18n` sets data-i18n, translated by loadLang) and children. */
function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "i18n") { e.dataset.i18n = v; e.textContent = t(v); } else if (k === "i18nLabel") e.dataset.i18nLabel = v;
    else if (v === true) e.setAttribute(k, ""); else e.setAttribute(k, String(v));
  }
  e.append(...kids);
  return e;
}

const numberField = (id, key, min, max, value, step = "1") => [el("label", { for: id, i18n: key }),
  el("input", { id, type: "number", min, max, step, value, required: true })];

/** The render and evaluate sections, added once below the prediction's result. */
function buildExtras() {
  const render = el("section", { id: "vi-sample-box", "aria-labelledby": "vi-sample-title" },
    el("h3", { id: "vi-sample-title", i18n: "vi.sample.title" }), el("p", { i18n: "vi.sample.about" }),
    el("form", { id: "vi-sample-form", novalidate: true }, ...numberField("vi-sample-seed", "vi.sample.seed", 0, SEED_MAX, 1),
      ...numberField("vi-sample-pieces", "vi.sample.pieces", 0, 200, 50),
      ...numberField("vi-sample-grain", "vi.sample.grain", 10, 300, 65, "any"),
      el("button", { id: "vi-sample-run", type: "submit", i18n: "vi.sample.run" }),
      el("span", { id: "vi-sample-status", role: "status", "aria-live": "polite" }),
      el("ul", { id: "vi-sample-errors", class: "error", "aria-live": "assertive" })),
    el("div", { id: "vi-sample", hidden: true }, el("p", { id: "vi-sample-summary" }),
      el("div", { id: "vi-sample-chart", class: "chart", role: "figure", i18nLabel: "vi.chart.sample" }),
      el("table", { id: "vi-sample-truth", "aria-labelledby": "vi-sample-title" })));
  const evaluate = el("section", { id: "vi-eval-box", "aria-labelledby": "vi-eval-title" },
    el("h3", { id: "vi-eval-title", i18n: "vi.eval.title" }), el("p", { i18n: "vi.eval.about" }),
    el("form", { id: "vi-eval-form", novalidate: true }, ...numberField("vi-eval-frames", "vi.eval.frames", 1, MAX_EVAL_FRAMES, 6),
      ...numberField("vi-eval-seed", "vi.eval.seed", 0, SEED_MAX, 900000),
      el("button", { id: "vi-eval-run", type: "submit", i18n: "vi.eval.run" }),
      el("button", { id: "vi-eval-cancel", type: "button", class: "danger", hidden: true, i18n: "job.cancel" }),
      el("progress", { id: "vi-eval-progress", max: 1, hidden: true, i18nLabel: "job.progress" }),
      el("span", { id: "vi-eval-status", role: "status", "aria-live": "polite" }),
      el("ul", { id: "vi-eval-errors", class: "error", "aria-live": "assertive" })),
    el("div", { id: "vi-eval-result", hidden: true }, el("p", { id: "vi-eval-summary" }),
      el("div", { id: "vi-confusion", class: "chart", role: "figure", i18nLabel: "vi.chart.confusion" }),
      el("h4", { id: "vi-eval-groups-title", i18n: "vi.eval.groups" }),
      el("table", { id: "vi-eval-groups", "aria-labelledby": "vi-eval-groups-title" }),
      el("p", {}, el("a", { id: "vi-sorter", href: "#", download: "sorter.json", hidden: true, i18n: "vi.eval.sorter" }),
        el("span", { id: "vi-no-sorter", hidden: true, i18n: "vi.eval.noSorter" }))));
  $("#vi-result").after(render, evaluate);
  $("#vi-belt").after(el("ul", { id: "vi-belt-notes", "aria-live": "polite" }));
  $("#vi-classes").after(el("p", { id: "vi-classes-note", class: "note", i18n: "vi.classesNote" }));
}

/** An integer field's value, or null after adding a message to `errs` and saying it beside the field. */
function intField(id, lo, hi, key, errs) {
  const wrong = () => {
    const raw = $(id).value.trim(); const v = Number(raw);
    return !raw || !Number.isInteger(v) || v < lo || v > hi ? t(key, { min: fmt(lo), max: fmt(hi) }) : null;
  };
  return check(id, wrong, errs) ? Number($(id).value.trim()) : null;
}

async function renderSample(ev) {
  ev.preventDefault();
  $("#vi-sample-errors").replaceChildren();
  const errs = [];
  const seed = intField("#vi-sample-seed", 0, SEED_MAX, "vi.sample.badSeed", errs);
  const pieces = intField("#vi-sample-pieces", 0, 200, "vi.sample.badPieces", errs);
  const grain = Number($("#vi-sample-grain").value);
  check("#vi-sample-grain", () => ($("#vi-sample-grain").value.trim() && Number($("#vi-sample-grain").value) >= 10
    && Number($("#vi-sample-grain").value) <= 300 ? null : t("vi.sample.badGrain")), errs);
  if (errs.length) { showMessages("#vi-sample-errors", errs); return; }
  $("#vi-sample-run").disabled = true; $("#vi-sample-status").textContent = t("vi.sample.rendering");
  try {
    const res = await api("/api/vision/render", jsonBody({ seed, pieces, grain_mm: grain }, "POST"));
    if (!res.ok) {
      const doc = await problemOf(res);
      showProblem("#vi-sample-errors", doc);
      markRefused(doc, { seed: "vi-sample-seed", pieces: "vi-sample-pieces", grain_mm: "vi-sample-grain" });
      return;
    }
    const doc = await res.json();
    vi.sample = { name: `sample-${doc.seed}.png`, data: doc.image_png_base64, url: `data:image/png;base64,${doc.image_png_base64}`,
      size: { w: doc.width, h: doc.height }, mm_per_px: doc.mm_per_px, truth: doc.truth };
    $("#vi-images").required = false;  // the sample is the image when none is chosen
    checked($("#vi-images"), () => imageProblems().join(" ") || null);  // "choose an image" no longer holds
    drawSample(vi.sample);
  } finally { $("#vi-sample-run").disabled = false; $("#vi-sample-status").textContent = ""; }
}

/** The rendered frame and its ground truth per group (pieces, mass). */
function drawSample(sm) {
  $("#vi-sample").hidden = false;
  $("#vi-sample-summary").textContent = t("vi.sample.summary", { name: sm.name, n: sm.truth.length, scale: fmt(sm.mm_per_px) });
  const { w, h } = sm.size;
  plot("vi-sample-chart", [], { title: fitTitle(t("vi.chart.sampleTitle", { name: sm.name, n: sm.truth.length }), "vi-sample-chart"),
    height: beltHeight("vi-sample-chart", w, h, 700), plot_bgcolor: "white",
    images: [{ source: sm.url, xref: "x", yref: "y", x: 0, y: 0, sizex: w, sizey: h, sizing: "stretch", layer: "below",
      xanchor: "left", yanchor: "top" }],
    xaxis: { title: t("vi.axis.x"), range: [0, w], showgrid: false, zeroline: false, constrain: "domain" },
    yaxis: { title: t("vi.axis.y"), range: [h, 0], showgrid: false, zeroline: false, scaleanchor: "x", constrain: "domain" } });
  richTable($("#vi-sample-truth"), [t("vi.col.group"), t("vi.col.count"), t("vi.col.mass")], GROUPS.map((g) => {
    const ps = sm.truth.filter((p) => p.group === g);
    return [groupName(g), fmt(ps.length), fmt(ps.reduce((s, p) => s + p.mass_g, 0))];
  }), [1, 2]);
}

async function startEvaluate(ev) {
  ev.preventDefault();
  $("#vi-eval-errors").replaceChildren();
  const errs = [];
  const model = $("#vi-model").files[0];
  check("#vi-model", modelProblem, errs);
  const frames = intField("#vi-eval-frames", 1, MAX_EVAL_FRAMES, "vi.eval.badFrames", errs);
  const seed = intField("#vi-eval-seed", 0, SEED_MAX, "vi.sample.badSeed", errs);
  if (errs.length) { showMessages("#vi-eval-errors", errs); return; }
  const body = { model: await model.text(), sample: { frames, seed } };
  $("#vi-eval-result").hidden = true;
  const bar = $("#vi-eval-progress");
  let done = 0;
  const out = await longTask({ status: $("#vi-eval-status"), start: $("#vi-eval-run"), cancel: $("#vi-eval-cancel"), bar,
    what: () => t("vi.eval.phase", { pct: Math.round(done * 100) }) }, (signal) => serverJob("/api/vision/evaluate",
    body, signal, (job) => { if (typeof job.progress === "number") { done = job.progress; bar.value = done; } }));
  if (!out) return;  // cancelled: the job was stopped on the server
  $("#vi-eval-status").textContent = "";
  if (out.problem) {
    showProblem("#vi-eval-errors", out.problem);
    markRefused(out.problem, { model: "vi-model", "sample.frames": "vi-eval-frames", "sample.seed": "vi-eval-seed" });
    return;
  }
  vi.evaluation = out.result;
  drawEvaluation(out.result);
}

/** The confusion matrix (rows: true group, columns: predicted; shares of the row, counts written in), accuracy per group
 * with the 5–95 % band of its Dirichlet posterior, and the sorter document to download. */
function drawEvaluation(doc) {
  $("#vi-eval-result").hidden = false;
  $("#vi-eval-summary").textContent = t("vi.eval.summary", { acc: fmtPct(doc.accuracy), matched: fmt(doc.matched),
    pieces: fmt(doc.pieces), images: fmt(doc.images), count: fmtPct(doc.count_error), segments: fmtPct(doc.segment_count_error) });
  const names = doc.groups.map(groupName);
  const cm = doc.confusion;
  const rowSums = cm.map((row) => row.reduce((s, x) => s + x, 0) || 1);
  const width = Math.min(640, $("#vi-confusion").clientWidth || 640);
  plot("vi-confusion", [{ type: "heatmap", x: names, y: names, z: cm.map((row, i) => row.map((v) => v / rowSums[i])),
    zmin: 0, zmax: 1, colorscale: "Blues", reversescale: true, customdata: cm,
    colorbar: { title: { text: t("vi.axis.share"), side: "right" }, thickness: 14, tickvals: [0, 0.25, 0.5, 0.75, 1],
      ticktext: [0, 0.25, 0.5, 0.75, 1].map(fmtPct) },
    hovertemplate: `${t("vi.axis.true")}: %{y}<br>${t("vi.axis.predicted")}: %{x}<br>%{customdata} (%{z:.1%})<extra></extra>` }],
  { title: fitTitle(t("vi.chart.confusionTitle", { acc: fmtPct(doc.accuracy) }), "vi-confusion"), height: 440, width,
    margin: { l: 20, r: 10, t: 70 },
    xaxis: { title: t("vi.axis.predicted"), type: "category", automargin: true },
    yaxis: { title: t("vi.axis.true"), type: "category", autorange: "reversed", automargin: true },
    annotations: cm.flatMap((row, i) => row.map((v, j) => ({ x: names[j], y: names[i], text: String(v), showarrow: false,
      font: { color: v / rowSums[i] > 0.5 ? "white" : "black" } }))) });
  const u = doc.confusion_uncertainty;
  richTable($("#vi-eval-groups"), [t("vi.col.group"), t("vi.col.count"), t("vi.col.accuracy"), t("vi.col.band"), t("vi.col.ece")],
    doc.groups.map((g, i) => [groupName(g), fmt(rowSums[i]), fmtPct(doc.accuracy_by_group[g]),
      `${fmtPct(u.p5[i][i])}–${fmtPct(u.p95[i][i])}`, fmt((doc.calibration[g] || {}).ece)]), [1, 2, 3, 4]);
  const link = $("#vi-sorter");
  if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);
  link.hidden = !doc.sorter; $("#vi-no-sorter").hidden = Boolean(doc.sorter);
  if (doc.sorter) link.href = URL.createObjectURL(new Blob([JSON.stringify(doc.sorter, null, 1)], { type: "application/json" }));
}

buildExtras();
$("#vi-sample-form").addEventListener("submit", renderSample);
$("#vi-eval-form").addEventListener("submit", startEvaluate);

function redrawVision() {
  if (vi.last) drawResult(vi.last);
  if (vi.sample) drawSample(vi.sample);
  if (vi.evaluation) drawEvaluation(vi.evaluation);
}

export { showVision, redrawVision };
