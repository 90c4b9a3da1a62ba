// Lifecycle analyses page, part 2: a finished analysis as a chart and a table — the fan chart of an
// uncertainty study (p5–p95, p25–p75 and the median per scenario), Sobol' (S1, ST with confidence)
// or Morris (μ*, σ) bars per input, a calibration's observed and fitted figures, and the best loop
// or the Pareto front of an optimisation with each actor's gain or loss.
import { $, fmt, fmtKey, fmtPct, fmtTime, isShare, plot, richTable, t } from "./core.js";

/** A figure's name in words: the result cards' names where they exist ("Life-cycle CO2e (t)"). */
const figName = (key) => t(`card.${key}`, {}, t(`an.fig.${key}`, {}, key));

/** A chart title broken into lines that fit the chart `id`'s width (a narrow screen clips one long
 * line at both ends): breaks after spaces and colons, before an opening bracket. */
function fitTitle(text, id) {
  const width = (document.getElementById(id) || {}).clientWidth || 800;
  const wide = (c) => (/[\u3000-\u9fff\uff00-\uffef]/.test(c) ? 2 : 1);  // CJK: about two Latin letters
  const max = Math.max(16, Math.floor(width / 9.5));
  const parts = text.split(/(?<=[\s:：、，])|(?=[(（])/);
  const lines = [""];
  for (const part of parts) {
    const len = [...lines[lines.length - 1] + part].reduce((n, c) => n + wide(c), 0);
    if (len > max && lines[lines.length - 1].trim()) lines.push(part.trimStart());
    else lines[lines.length - 1] += part;
  }
  return lines.map((l) => l.trim()).join("<br>");
}

/** The second table under the chart (parameters of a calibration, actors of an optimisation), with
 * its heading; hidden when `rows` is null. */
function extraTable(titleKey, heads, rows, num, data) {
  let box = $("#an-extra");
  if (!box) {
    box = Object.assign(document.createElement("div"), { id: "an-extra" });
    box.append(Object.assign(document.createElement("h4"), { id: "an-extra-title" }),
      Object.assign(document.createElement("table"), { id: "an-extra-table" }));
    box.lastChild.setAttribute("aria-labelledby", "an-extra-title");
    $("#an-table").after(box);
  }
  box.hidden = rows === null;
  if (rows === null) return;
  $("#an-extra-title").textContent = t(titleKey);
  richTable($("#an-extra-table"), heads, rows, num, data);
}

function options(keys, chosen) {
  const sel = $("#an-figure");
  sel.replaceChildren(...keys.map(([value, text]) => Object.assign(document.createElement("option"), { value, textContent: text })));
  sel.value = keys.some(([v]) => v === chosen) ? chosen : keys[0][0];
  $('label[for="an-figure"]').hidden = keys.length < 2; sel.hidden = keys.length < 2;
  return sel.value;
}

function drawUncertainty(r, chosen) {
  const first = r.scenarios[0];
  const keys = [...Object.keys(first.totals).map((k) => [`totals:${k}`, figName(k)]),
    ...Object.keys(first.headline).map((k) => [`headline:${k}`, figName(k)])];
  const [sec, key] = options(keys, chosen).split(":");
  const names = r.scenarios.map((s) => s.name);
  const p = (q) => r.scenarios.map((s) => s[sec][key][q]);
  const share = isShare(key);
  const y = (v) => v.map((x) => (share ? 100 * x : x));
  const unit = share ? "%" : (key.match(/_(t|JPY|kg)$/) || [, ""])[1];
  const band = (lo, hi, name, color) => ({ type: "bar", x: names, base: y(p(lo)), y: y(p(hi)).map((h, i) => h - y(p(lo))[i]),
    name, marker: { color }, width: lo === "p5" ? 0.5 : 0.3, hoverinfo: "text",
    text: names.map((n, i) => `${n}: ${fmtKey(key, p(lo)[i])} – ${fmtKey(key, p(hi)[i])}`), textposition: "none" });
  plot("an-chart", [band("p5", "p95", t("an.p5p95"), "#aed6f1"), band("p25", "p75", t("an.p25p75"), "#3498db"),
    { type: "scatter", mode: "markers", x: names, y: y(p("p50")), name: t("an.median"), marker: { color: "#1b2631", size: 12, symbol: "line-ew-open", line: { width: 3 } },
      hoverinfo: "text", text: names.map((n, i) => `${n}: ${t("an.median")} ${fmtKey(key, p("p50")[i])}`) }],
  { title: fitTitle(t("an.fanTitle", { figure: figName(key), runs: fmt(r.runs) }), "an-chart"), barmode: "overlay", height: 420,
    xaxis: { title: t("an.axisScenario") }, yaxis: { title: unit && !/[)）]$/.test(figName(key)) ? `${figName(key)} [${unit}]` : (share ? `${figName(key)} [%]` : figName(key)) },
    legend: { orientation: "h", y: -0.2, yanchor: "top" } });
  richTable($("#an-table"), [t("an.col.parameter"), t("an.col.distribution"), "p5", "p50", "p95", t("an.col.source")],
    r.parameters.map((q) => [q.parameter, q.distribution, fmt(q.p5), fmt(q.p50), fmt(q.p95), q.source || "–"]), [2, 3, 4], [0, 1, 5]);
  return t("an.aboutUncertainty", { runs: fmt(r.runs), seed: r.seed, n: r.parameters.length });
}

/** A parameter path's shortest end (two parts at least) that no other path of `all` ends with. */
function shortName(path, all) {
  const parts = path.split(".");
  for (let k = 2; k < parts.length; k++) {
    const end = parts.slice(-k).join(".");
    if (all.filter((q) => q === end || q.endsWith(`.${end}`)).length === 1) return `…${end}`;
  }
  return path;
}

function drawSensitivity(r, chosen) {
  const outs = Object.keys(r.outputs);
  const label = (o) => { const [s, k] = o.split(":"); return k ? `${s}: ${figName(k)}` : figName(o); };
  const o = options(outs.map((x) => [x, label(x)]), chosen);
  const d = r.outputs[o], sobol = r.method === "sobol";
  const [a, b] = sobol ? ["S1", "ST"] : ["mu_star", "sigma"];
  const order = r.parameters.map((_, i) => i).sort((i, j) => (d[b][i] ?? 0) - (d[b][j] ?? 0));
  // a narrow chart keeps the end of each path ("…co2e"): the whole one is in the hover and the table
  const narrow = ($("#an-chart").clientWidth || 800) < 640;
  const names = order.map((i) => (narrow ? shortName(r.parameters[i], r.parameters) : r.parameters[i]));
  const bar = (k, conf, color) => ({ type: "bar", orientation: "h", y: names, x: order.map((i) => d[k][i]),
    name: t(`an.idx.${k}`), marker: { color }, error_x: conf && d[conf] ? { type: "data", array: order.map((i) => d[conf][i]), visible: true } : undefined,
    hoverinfo: "text", text: order.map((i) => `${r.parameters[i]}: ${fmt(d[k][i])}`), textposition: "none" });
  plot("an-chart", [bar(a, sobol ? "S1_conf" : "mu_star_conf", "#5dade2"), bar(b, sobol ? "ST_conf" : null, "#1a5276")],
    { title: fitTitle(t(sobol ? "an.sobolTitle" : "an.morrisTitle", { output: label(o) }), "an-chart"), barmode: "group", height: 200 + 40 * names.length,
      xaxis: { title: t(sobol ? "an.axisSobol" : "an.axisMorris") }, yaxis: { title: t("an.axisInput"), automargin: true },
      margin: { l: 20 }, legend: { orientation: "h", y: -0.15, yanchor: "top" } });
  richTable($("#an-table"), [t("an.col.parameter"), t(`an.idx.${a}`), t(`an.idx.${b}`)],
    [...order].reverse().map((i) => [r.parameters[i], fmt(d[a][i]), fmt(d[b][i])]), [1, 2], [0]);
  return t("an.aboutSensitivity", { method: sobol ? "Sobol'" : "Morris", n: fmt(r.evaluations) });
}

const choiceText = (choices) => choices.map((c) => `${c.decision} = ${c.option}`).join("; ");

function drawPareto(r) {
  const [o1, o2] = r.objectives;
  const ax = (o) => `${figName(o.figure)} [${o.unit}]`;
  // the model as given need not meet the constraints: say so beside its ✕
  const unmet = (r.as_modelled_constraints || []).filter((c) => !c.met).map((c) => figName(c.figure));
  const asGiven = unmet.length ? t("an.asModelledUnmet", { which: unmet.join(", ") }) : t("an.asModelled");
  plot("an-chart", [{ type: "scatter", mode: "lines+markers", x: r.points.map((p) => p[o1.figure]), y: r.points.map((p) => p[o2.figure]),
    name: t("an.front"), marker: { size: 10, color: "#1f618d" }, hoverinfo: "text",
    text: r.points.map((p) => `${choiceText(p.choices)}<br>${fmt(p[o1.figure])} ${o1.unit}, ${fmt(p[o2.figure])} ${o2.unit}`) },
  { type: "scatter", mode: "markers", x: [r.as_modelled[o1.figure]], y: [r.as_modelled[o2.figure]], name: asGiven,
    marker: { size: 14, symbol: "x", color: "#c0392b" }, hoverinfo: "text", text: [asGiven] }],
  { title: fitTitle(t("an.paretoTitle", { a: figName(o1.figure), b: figName(o2.figure) }), "an-chart"), height: 460,
    xaxis: { title: ax(o1) }, yaxis: { title: ax(o2) }, legend: { orientation: "h", y: -0.18, yanchor: "top" } });
  richTable($("#an-table"), ["#", ax(o1), ax(o2), t("an.col.choices")],
    r.points.map((p, i) => [String(i + 1), fmt(p[o1.figure]), fmt(p[o2.figure]), choiceText(p.choices)]), [0, 1, 2], [3]);
  const cur = (r.units || {}).money || "";
  extraTable("an.actorsTitle", ["#", t("an.col.actor"), `${t("an.col.co2eChange")} [t]`, `${t("an.col.marginChange")} [${cur}]`],
    r.points.flatMap((p, i) => (p.actors || []).map((a) => [String(i + 1), a.actor, fmt(a.co2e_change_t), fmt(a.margin_change)])),
    [0, 2, 3], [1]);
  return t("an.aboutPareto", { n: r.points.length });
}

function drawBest(r) {
  const keys = Object.keys(r.network).filter((k) => typeof r.network[k] === "number" && typeof r.as_modelled[k] === "number");
  const change = keys.map((k) => (r.as_modelled[k] ? (r.network[k] - r.as_modelled[k]) / Math.abs(r.as_modelled[k]) : 0));
  plot("an-chart", [{ type: "bar", orientation: "h", y: keys.map(figName), x: change.map((c) => 100 * c), name: t("an.change"),
    marker: { color: change.map((c) => (c < 0 ? "#1e8449" : "#b03a2e")) }, hoverinfo: "text",
    text: keys.map((k, i) => `${figName(k)}: ${fmt(r.as_modelled[k])} → ${fmt(r.network[k])} (${fmtPct(change[i])})`), textposition: "none" }],
  { title: fitTitle(t("an.bestTitle"), "an-chart"), height: 160 + 40 * keys.length, xaxis: { title: t("an.axisChange") },
    yaxis: { title: t("an.axisFigure"), automargin: true }, showlegend: false, margin: { l: 20 } });
  richTable($("#an-table"), [t("an.col.decision"), t("an.col.option")], r.choices.map((c) => [c.decision, c.option]), [], [0, 1]);
  const cur = (r.units || {}).money || "";
  extraTable("an.actorsTitle", [t("an.col.actor"), `${t("an.col.co2eChange")} [t]`, `${t("an.col.marginChange")} [${cur}]`],
    (r.actors || []).map((a) => [a.actor, fmt(a.co2e_change_t), fmt(a.margin_change)]), [1, 2], [0]);
  return [t("an.aboutBest", { choices: "" }), choiceText(r.choices)];
}

/** A calibration: each observed figure, the model before and after the fit as a share of it (the
 * ±15 % band around 100 %), the observations and the fitted parameters with their bounds. */
function drawCalibration(r) {
  const obs = r.observations;
  const label = (o) => `${o.scenario}: ${figName(o.figure)}`;
  const rel = (o, k) => (o.observed ? 100 * o[k] / o.observed : null);
  const narrow = ($("#an-chart").clientWidth || 800) < 640;  // the scenario above the figure's name
  const ys = obs.map((o) => (narrow ? `${o.scenario}:<br>${figName(o.figure)}` : label(o)));
  const point = (k, name, marker) => ({ type: "scatter", mode: "markers", orientation: "h", y: ys,
    x: obs.map((o) => (k === "observed" ? 100 : rel(o, k))), name, marker, hoverinfo: "text",
    text: obs.map((o) => `${label(o)}<br>${t("an.cal.observed")}: ${fmtKey(o.figure, o.observed)}<br>${name}: ${fmtKey(o.figure, o[k])}`) });
  const observed = point("observed", t("an.cal.observedBand"), { symbol: "diamond", size: 12, color: "#1b2631" });
  observed.error_x = { type: "constant", value: 15, visible: true, color: "#7f8c8d", thickness: 2, width: 8 };
  plot("an-chart", [observed, point("start", t("an.cal.start"), { symbol: "circle-open", size: 11, color: "#7f8c8d", line: { width: 2 } }),
    point("fitted", t("an.cal.fitted"), { symbol: "circle", size: 11, color: "#2874a6" })],
  { title: fitTitle(t("an.calTitle", { n: obs.length }), "an-chart"), height: 200 + 36 * obs.length, margin: { l: 20 },
    yaxis: { title: narrow ? "" : t("an.axisObservation"), automargin: true, type: "category", autorange: "reversed" },
    xaxis: { title: t("an.axisCal"), ticksuffix: " %", rangemode: "tozero" }, legend: { orientation: "h", y: -0.25, yanchor: "top" } });
  const yes = (v) => t(v ? "an.yes" : "an.no");
  richTable($("#an-table"), [t("an.col.scenario"), t("an.col.figure"), t("an.cal.observed"), t("an.cal.start"), t("an.cal.fitted"),
    t("an.col.relError"), t("an.col.within"), t("an.col.source")],
  obs.map((o) => [o.scenario, figName(o.figure), fmtKey(o.figure, o.observed), fmtKey(o.figure, o.start), fmtKey(o.figure, o.fitted),
    fmtPct(o.relative_error), yes(o.within_15_percent), o.source || "–"]), [2, 3, 4, 5], [0, 7]);
  extraTable("an.cal.paramsTitle", [t("an.col.parameter"), t("an.cal.start"), t("an.cal.fitted"), t("an.col.bounds"), t("an.col.ci95"),
    t("an.col.atBound")], r.parameters.map((q) => [q.parameter, fmt(q.start), fmt(q.fitted), `${fmt(q.bounds[0])} – ${fmt(q.bounds[1])}`,
    `${fmt(q.ci95[0])} – ${fmt(q.ci95[1])}`, yes(q.at_bound)]), [1, 2, 3, 4], [0]);
  const ok = obs.filter((o) => o.within_15_percent).length;
  return [t("an.aboutCalibration", { n: obs.length, ok, evaluations: fmt(r.evaluations) }), r.method];
}

/** Draw a finished job (kind, result) in the current language; `chosen` keeps the figure shown. */
function drawAnalysis(job, chosen) {
  const r = job.result; if (!r) return;
  $("#an-result").hidden = false;
  $('label[for="an-figure"]').hidden = true; $("#an-figure").hidden = true;
  $("#an-result-title").textContent = t(`an.kindName.${job.kind}`, {}, job.kind);
  let about;
  extraTable("", [], null);
  if (job.kind === "uncertainty") about = drawUncertainty(r, chosen);
  else if (job.kind === "sensitivity") about = drawSensitivity(r, chosen);
  else if (job.kind === "calibrate") about = drawCalibration(r);
  else if (r.points) about = drawPareto(r);
  else about = drawBest(r);
  // [message, data]: the data part (decision and option names as written) is marked as such
  const [msg, data] = Array.isArray(about) ? about : [about, ""];
  const span = Object.assign(document.createElement("span"), { className: "data", textContent: data });
  $("#an-about").replaceChildren(msg, span, ` · ${t("an.finished", { at: fmtTime(job.finished_at) })}`);
}

export { drawAnalysis, fitTitle };
