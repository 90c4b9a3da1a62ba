// Vision page: belt images and a trained model sent to POST /api/vision/predict (a server-side job,
// polled at GET /api/vision/jobs/{id}); each image drawn with its pieces outlined (bounding boxes) and
// labelled by group, the pieces per class on the image, and counts and mass per group and belt
// interval with their 5–95 % bands. The service has no route to stop a vision job: Cancel stops waiting.
import { $, api, fmt, fmtPct, jsonBody, longTask, plot, problemOf, richTable, show, showMessages, showProblem,
  t } from "./core.js";

const vi = { last: null, phase: "queued" };
const POLL_MS = 500;
const MAX_IMAGES = 8;
const MAX_IMAGE_BYTES = 8 * 2 ** 20;
const MAX_MODEL_CHARS = 16_000_000;
const GROUPS = ["wrought", "cast", "copper", "other"];
const GROUP_COLOUR = { wrought: "#2e86c1", cast: "#d68910", copper: "#a04000", other: "#7d3c98" };

function showVision() {
  show("vision");
  if (vi.last) drawResult(vi.last);
}

const sleep = (ms, signal) => new Promise((resolve, reject) => {
  const id = setTimeout(resolve, ms);
  signal.addEventListener("abort", () => { clearTimeout(id); reject(new DOMException("stopped", "AbortError")); }, { once: true });
});

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

/** The request (body, images to draw), or null after showing what is wrong with the form. */
async function request() {
  const errs = [];
  const model = $("#vi-model").files[0];
  const files = [...$("#vi-images").files];
  if (!model) errs.push(t("vi.needModel"));
  else if (model.size > MAX_MODEL_CHARS) errs.push(t("vi.modelTooBig", { name: model.name, max: fmt(MAX_MODEL_CHARS) }));
  if (!files.length) errs.push(t("vi.needImages"));
  if (files.length > MAX_IMAGES) errs.push(t("vi.tooManyImages", { n: files.length, max: MAX_IMAGES }));
  files.filter((f) => f.size > MAX_IMAGE_BYTES).forEach((f) => errs.push(t("vi.imageTooBig", { name: f.name, max: fmt(MAX_IMAGE_BYTES) })));
  const scale = Number($("#vi-scale").value); const interval = Number($("#vi-interval").value);
  if (!($("#vi-scale").value.trim() && scale > 0.01 && scale <= 10)) errs.push(t("vi.badScale"));
  if (!($("#vi-interval").value.trim() && interval > 0 && interval <= 1e7)) errs.push(t("vi.badInterval"));
  if (errs.length) { showMessages("#vi-errors", errs); return null; }
  const read = await Promise.all(files.map(readFile));
  const sizes = await Promise.all(read.map((r) => imageSize(r.url)));
  const body = { model: await model.text(), interval_s: interval,
    images: files.map((f, i) => ({ name: f.name, data: read[i].data, mm_per_px: scale })) };
  const shown = files.map((f, i) => ({ name: f.name, url: sizes[i] ? read[i].url : null, size: sizes[i], scale }));
  return { body, shown, model: model.name };
}

/** Start the prediction and poll it until it ends. */
async function runJob(body, signal) {
  vi.phase = "queued";
  const res = await api("/api/vision/predict", jsonBody(body, "POST", signal));
  if (!res.ok) return { problem: await problemOf(res) };
  let job = await res.json();
  while (job.status === "queued" || job.status === "running") {
    vi.phase = job.status;
    await sleep(POLL_MS, signal);
    const r = await api(`/api/vision/jobs/${job.id}`, { signal });
    if (!r.ok) return { problem: await problemOf(r) };
    job = await r.json();
  }
  if (job.status !== "succeeded") return { problem: { detail: job.error || t("an.phase.failed") } };
  return { result: job.result };
}

$("#vi-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#vi-errors").replaceChildren();
  const req = await request(); if (!req) return;
  $("#vi-result").hidden = true; vi.last = null;  // the old result no longer matches the form
  const out = await longTask({ status: $("#vi-status"), start: $("#vi-run"), cancel: $("#vi-cancel"),
    bar: $("#vi-progress"), what: () => t(`nt.phase.${vi.phase}`, {}, vi.phase) }, (signal) => runJob(req.body, signal));
  if (!out) { $("#vi-status").textContent = t("vi.stopped"); return; }
  $("#vi-status").textContent = "";
  if (out.problem) { showProblem("#vi-errors", out.problem); return; }
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
  const images = shown.url ? [{ source: shown.url, xref: "x", yref: "y", x: 0, y: 0, sizex: w, sizey: h,
    sizing: "stretch", layer: "below", xanchor: "left", yanchor: "top" }] : [];
  plot("vi-belt", traces, { title: t("vi.chart.beltTitle", { name: shown.name || im.image, n: im.pieces.length }),
    height: Math.min(820, 140 + Math.round(900 * h / w)), images, shapes, plot_bgcolor: shown.url ? "white" : "#eee",
    xaxis: { title: t("vi.axis.x"), range: [0, w], showgrid: false, zeroline: false, constrain: "domain" },
    yaxis: { title: t("vi.axis.y"), range: [h, 0], showgrid: false, zeroline: false, scaleanchor: "x", constrain: "domain" },
    legend: { orientation: "h", y: -0.12, yanchor: "top" } });
  const byClass = {};
  for (const p of im.pieces) {
    const c = byClass[p.class] || (byClass[p.class] = { group: p.group, n: 0, mass: 0, prob: 0 });
    c.n += 1; c.mass += p.mass_g; c.prob += p.probability;
  }
  richTable($("#vi-classes"), [t("vi.col.class"), t("vi.col.group"), t("vi.col.count"), t("vi.col.mass"), t("vi.col.prob")],
    Object.entries(byClass).sort((a, b) => b[1].n - a[1].n).map(([c, v]) => [clsName(c), groupName(v.group), fmt(v.n),
      fmt(v.mass), fmtPct(v.prob / v.n)]), [2, 3, 4]);
  const warn = (im.warnings || []).join("; ");
  $("#vi-belt").setAttribute("aria-label", t("vi.beltLabel", { name: shown.name || im.image, n: im.pieces.length })
    + (warn ? ` — ${warn}` : ""));
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
  const layout = (title, y) => ({ title, barmode: "group", height: 360, xaxis: { title: t("vi.axis.interval"), type: "category" },
    yaxis: { title: y, rangemode: "tozero" }, legend: { orientation: "h", y: -0.25, yanchor: "top" } });
  plot("vi-counts", bars("count", 1), layout(t("vi.chart.countsTitle"), t("vi.axis.count")));
  plot("vi-mass", bars("mass_kg", 1), layout(t("vi.chart.massTitle"), t("vi.axis.kg")));
}

$("#vi-which").addEventListener("change", () => vi.last && drawImage(vi.last));

function redrawVision() { if (vi.last) drawResult(vi.last); }

export { showVision, redrawVision };
