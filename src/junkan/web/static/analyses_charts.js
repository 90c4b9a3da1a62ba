// Lifecycle analyses page, part 2: a finished analysis as a chart and a table — the fan chart of an
// uncertainty study (p5–p95, p25–p75 and the median per scenario), Sobol' (S1, ST with confidence)
// or Morris (μ*, σ) bars per input, a calibration's observed and fitted figures, and the best loop
// or the Pareto front of an optimisation with each actor's gain or loss. A table's yen amounts (by the
// unit of their column or row) are cells of analyses_notes.js (amountCell: 万/億/兆 on a Japanese page). A table of
// more than one row is sorted by a click on a column's heading (table_sort.js), its figures by their values.
import { $, fmt, fmtKey, fmtPct, fmtTime, isShare, plot as corePlot, state, t } from "./core.js";
import { amountCell, chartTable, comparisonTable, describe, rangeCell, sensitivityNotes, showNotes, uncertaintyNotes, withConf }
  from "./analyses_notes.js";
import { isYenUnit, yenTitle } from "./chart_axes.js";
import { fitLegend, fitTitle, inputName, keepTitlesIn, rowHeight, titleText } from "./chart_fit.js";
import { sortableTable, valued } from "./table_sort.js";
import { yenFigure } from "./yen.js";

/** A figure's name in words: the result cards' names where they exist ("Life-cycle CO2e (t)"); an
 * optimisation's `metric:qualifier` ("recycled_share:rare_earth", "margin:recycler") in words with the
 * material, actor or process by its title in the model (`whoName`); a sensitivity output's section ("totals.co2e_t") dropped. */
function figName(key) {
  const [metric, ...rest] = String(key).replace(/^(totals|headline)\./, "").split(":");
  const who = rest.join(":");
  if (who) return t(`an.figOf.${metric}`, { who: whoName(metric, who) }, `${figName(metric)}: ${whoName(metric, who)}`);
  return t(`card.${metric}`, {}, t(`an.fig.${metric}`, {}, metric));
}

/** The titles the model of the result shown gives its actors, materials and processes, by id (`modelTitles`). */
const titles = { actors: {}, materials: {}, processes: {} };
/** The section of the model that names the qualifier of an optimisation's metric (an actor's otherwise). */
const NAMED_IN = { virgin_input: "materials", recycled_input: "materials", recycled_share: "materials", activity: "processes" };

/** The titles of the actors, materials and processes of model document `doc` (a form document), for the figures
 * that name one; none when `doc` is null. */
function modelTitles(doc) {
  for (const k of Object.keys(titles)) {
    titles[k] = Object.fromEntries(Object.entries((doc && doc[k]) || {})
      .filter(([, v]) => v && typeof v.title === "string" && v.title.trim()).map(([id, v]) => [id, v.title.trim()]));
  }
}

/** The material, actor or process `who` of figure `metric`: its title in the model, else its id with spaces for
 * underscores ("rare earth": not a translation the page would have to invent; review 243 read "rare_earth"). */
const whoName = (metric, who) => titles[NAMED_IN[metric] || "actors"][who] || who.replace(/_+/g, " ").trim() || who;

/** A unit as the result writes it ("tCO2e/year", "JPY/kg", "fraction", "ratio", "factor") in the page's
 * language: the words and yen (円) translated, the symbols as written; "" for none. */
function unitText(u) {
  if (!u) return "";
  if (["fraction", "ratio", "factor"].includes(u)) return t(`an.unit.${u}`);
  return u.replace(/^JPY(?=\/|$)/, t("an.unit.JPY")).replace(/\/year$/, `/${t("an.unit.year")}`)
    .replace(/\/piece$/, `/${t("an.unit.piece")}`);  // 円/個, not 円/piece (review 243)
}

/** A figure's unit as shown: % for a share or rate (drawn in %), else the result's own unit (`given`)
 * where it has one, else its key's end (co2e_t → t, cost_JPY → JPY); "" when unknown. */
function unitOf(key, given) {
  const k = String(key).split(":").pop().replace(/^(totals|headline)\./, "");
  if (isShare(k) || given === "fraction") return "%";
  if (typeof given === "string" && given) return unitText(given);
  const m = k.match(/_(t|kg|JPY|EUR|USD|GJ|MJ|kWh)(_per_year)?$/);
  return m ? unitText(m[2] ? `${m[1]}/year` : m[1]) : "";
}

/** A value in the unit `unit` (as shown: "JPY", "JPY/年") as a hover says it: on a Japanese page a yen amount
 * in 万/億/兆 with its unit in 円 ("1.15兆円", "6,277万円/年"), as the chart's axis reads it; else as `plain` says it. */
const inUnit = (v, unit, plain = fmt) => (state.lang === "ja" && isYenUnit(unit) && typeof v === "number" && Number.isFinite(v)
  ? `${yenFigure(v)}${String(unit).trim().replace(/^JPY/, "円")}` : plain(v));

/** An axis title: the figure's name and its unit in brackets (not twice where the name says it). */
const axisName = (name, unit) => (unit && !/[)）]$/.test(name) ? `${name} [${unit}]` : name);

/** A signed share: "+178.5 %", "−12.0 %" (+: above the reference); "≈ 0 %" within ±0.05 % (a fit's
 * −0.00000000151 % is its solver's rounding, not a deviation to read). */
const fmtSigned = (v) => (typeof v !== "number" || !Number.isFinite(v) ? fmtPct(v) : Math.abs(v) < 5e-4 ? t("an.nearZero")
  : `${v > 0 ? "+" : "\u2212"}${fmtPct(Math.abs(v))}`);

/** A distribution's name in the page's language (the schema's fixed list; another as written). */
const distName = (d) => t(`an.dist.${d}`, {}, d);

/** A chart in the page's language: large numbers on its axes as plain grouped digits outside English
 * (Plotly's k/M/B are English abbreviations), Plotly's k/M/B in English; the margins grow to fit them. */
function plot(id, traces, layout = {}) {
  const num = { automargin: true, ...(state.lang === "en" ? { exponentformat: "B" } : { exponentformat: "none", separatethousands: true }) };
  const l = { ...layout };
  for (const k of ["xaxis", "yaxis"]) l[k] = { ...num, ...(layout[k] || {}) };
  // on a phone the x axis' title is centred on a plot narrower than the chart: broken to fit it
  const box = document.getElementById(id);
  const narrow = box && box.clientWidth < 640;
  if (narrow && typeof l.xaxis.title === "string") l.xaxis.title = fitTitle(l.xaxis.title, id, 0.6);
  // and its legend at the foot of the chart, below the axis title however many lines it has, as wide as the chart
  if (narrow && l.legend && l.legend.y < 0) l.legend = { ...l.legend, yref: "container", y: 0, yanchor: "bottom" };
  if (narrow && l.legend) traces = fitLegend(l, traces, box.clientWidth);
  // a title broken into lines (fitTitle) needs the room above the plot for each of them
  const title = String((layout.title && (layout.title.text ?? layout.title)) || "");
  l.margin = { t: Math.max(50, 24 + 26 * title.split("<br>").length), ...(layout.margin || {}) };
  // from the chart's top down, in that room (review 247: centred in it, four lines ran 11 px into the tornado's
  // bars); plotly.js anchors the first line's baseline, a font size below the top it is given
  const size = (layout.title && layout.title.font && layout.title.font.size) || 17;
  if (title) l.title = { ...(typeof layout.title === "object" ? layout.title : {}), text: title,
    yref: "container", y: 1, yanchor: "top", pad: { t: 10 + size } };
  const drawn = corePlot(id, traces, l);
  // the axis titles once more to the room the plot as drawn leaves them (long tick labels took the rest)
  const texts = Object.fromEntries(["xaxis", "yaxis"].map((k) => [k, yenTitle(titleText(layout[k] && layout[k].title), state.lang)]));
  // named by its own title (not "Chart of the analysis result" for every chart); kept on a change of language
  if (box && title) { box.removeAttribute("data-i18n-label"); box.setAttribute("aria-label", title.split("<br>").join(" ")); }
  return drawn && drawn.then ? drawn.then((gd) => keepTitlesIn(gd, texts)) : drawn;
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
  sortableTable($("#an-extra-table"), heads, rows, num, data);
}

function options(keys, chosen) {
  const sel = $("#an-figure");
  sel.replaceChildren(...keys.map(([value, text]) => Object.assign(document.createElement("option"), { value, textContent: text })));
  sel.value = keys.some(([v]) => v === chosen) ? chosen : keys[0][0];
  $('label[for="an-figure"]').hidden = keys.length < 2; sel.hidden = keys.length < 2;
  return sel.value;
}

/** The keys of section `sec` over all scenarios, in the order they first appear (a figure the baseline
 * lacks is still offered). */
const unionKeys = (scenarios, sec) => [...new Set(scenarios.flatMap((s) => Object.keys(s[sec] || {})))];

function drawUncertainty(r, chosen) {
  const yearly = [...new Set(r.scenarios.flatMap((s) => Object.keys(s.yearly || {})))].filter((k) => k !== "years");
  const keys = [...unionKeys(r.scenarios, "totals").map((k) => [`totals:${k}`, figName(k)]),
    ...unionKeys(r.scenarios, "headline").map((k) => [`headline:${k}`, figName(k)]),
    ...yearly.map((k) => [`yearly:${k}`, t("an.perYear", { figure: figName(k) })])];
  const [sec, key] = options(keys, chosen).split(":");
  if (sec === "yearly") drawFan(r, key); else drawBands(r, sec, key);
  const units = r.parameters.some((q) => q.unit);
  sortableTable($("#an-table"), [t("an.col.parameter"), t("an.col.distribution"), "p5", "p50", "p95", ...(units ? [t("an.col.unit")] : []), t("an.col.source")],
    r.parameters.map((q) => [q.parameter, distName(q.distribution), ...[q.p5, q.p50, q.p95].map((x) => amountCell(x, unitText(q.unit))),
      ...(units ? [unitText(q.unit) || "–"] : []), q.source || "–"]),
  [2, 3, 4], units ? [0, 1, 5, 6] : [0, 1, 5]);
  // the scenarios compared on the figure shown (its total over the horizon): P(B beats A), ties counted as half,
  // and P(equal); none for a figure per year
  const cmp = sec === "yearly" ? null : comparisonTable(r, sec, key);
  extraTable("an.cmpTitle", cmp ? cmp.heads : [], cmp ? cmp.rows : null, [2, 3], [0, 1]);
  uncertaintyNotes(r, figName);
  return t("an.aboutUncertainty", { runs: fmt(r.runs), seed: r.seed, n: r.parameters.length });
}

/** Each scenario's spread of figure `key` of section `sec` (totals, headline) as bars: 5–95 %, 25–75 % and the
 * median of the runs, and the same as a table. */
function drawBands(r, sec, key) {
  const names = r.scenarios.map((s) => s.name);
  const p = (q) => r.scenarios.map((s) => ((s[sec] || {})[key] ? s[sec][key][q] : null));
  const share = isShare(key);
  const y = (v) => v.map((x) => (x === null || x === undefined ? null : share ? 100 * x : x));
  const unit = unitOf(key, ((r.units || {})[sec] || {})[key]);
  const said = (v) => inUnit(v, unit, (x) => fmtKey(key, x));  // the hover's figures, as the axis reads them
  const range = (lo, hi, i) => (p(lo)[i] === null ? t("an.notInScenario") : `${said(p(lo)[i])} – ${said(p(hi)[i])}`);
  const band = (lo, hi, name, color) => ({ type: "bar", x: names, base: y(p(lo)),
    y: y(p(hi)).map((h, i) => (h === null ? null : h - y(p(lo))[i])),
    name, marker: { color }, width: lo === "p5" ? 0.5 : 0.3, hoverinfo: "text",
    text: names.map((n, i) => `${n}: ${range(lo, hi, i)}`), textposition: "none" });
  plot("an-chart", [band("p5", "p95", t("an.p5p95"), "#aed6f1"), band("p25", "p75", t("an.p25p75"), "#3498db"),
    { type: "scatter", mode: "markers", x: names, y: y(p("p50")), name: t("an.median"), marker: { color: "#1b2631", size: 12, symbol: "line-ew-open", line: { width: 3 } },
      hoverinfo: "text", text: names.map((n, i) => `${n}: ${t("an.median")} ${p("p50")[i] === null ? "–" : said(p("p50")[i])}`) }],
  { title: fitTitle(t("an.fanTitle", { figure: figName(key), runs: fmt(r.runs) }), "an-chart"), barmode: "overlay", height: 420,
    xaxis: { title: t("an.axisScenario") }, yaxis: { title: axisName(figName(key), unit) },
    legend: { orientation: "h", y: -0.2, yanchor: "top" } });
  // what the fan chart draws, as a table (the parameters' table follows it)
  const qs = ["p5", "p25", "p50", "p75", "p95"];
  chartTable("an-chart", [t("an.col.scenario"), ...qs.map((q) => (unit && !share ? `${q} [${unit}]` : q))],
    names.map((n, i) => [n, ...qs.map((q) => (p(q)[i] === null ? t("an.notInScenario") : amountCell(p(q)[i], unit, (x) => fmtKey(key, x))))]),
    [1, 2, 3, 4, 5], [0]);
}

/** Each scenario's colour in a fan over the years (RGB), in turn. */
const FAN_RGB = ["31,119,180", "214,39,40", "44,160,44", "148,103,189", "255,127,14", "140,86,75"];

/** The fan of figure `key` over the years (each scenario's `yearly`): its runs' 5–95 % and 25–75 % bands and
 * their median in each year, per scenario (a year no run defines, a share of 0 t, a gap); and as a table. */
function drawFan(r, key) {
  const share = isShare(key), given = ((r.units || {}).totals || {})[key];
  const unit = unitOf(key, share ? "fraction" : given && `${given}/year`);
  const y = (v) => (v === null || v === undefined ? null : share ? 100 * v : v);
  const said = (v) => (v === null || v === undefined ? "–" : inUnit(v, unit, (x) => fmtKey(key, x)));
  const traces = [], rows = [];
  r.scenarios.forEach((s, n) => {
    const f = (s.yearly || {})[key];
    if (!f) return;
    const years = s.yearly.years, rgb = FAN_RGB[n % FAN_RGB.length], back = [...years].reverse();
    for (const [lo, hi, alpha, band] of [["p5", "p95", 0.15, t("an.p5p95")], ["p25", "p75", 0.3, t("an.p25p75")]]) {
      traces.push({ type: "scatter", x: [...years, ...back], y: [...f[hi].map(y), ...[...f[lo]].reverse().map(y)],
        fill: "toself", fillcolor: `rgba(${rgb},${alpha})`, line: { width: 0 }, name: `${s.name}: ${band}`,
        legendgroup: s.name, hoverinfo: "skip" });
    }
    traces.push({ type: "scatter", mode: "lines", x: years, y: f.p50.map(y), name: `${s.name}: ${t("an.median")}`,
      legendgroup: s.name, line: { color: `rgb(${rgb})` }, hoverinfo: "text",
      text: years.map((yr, i) => `${s.name} ${yr}: ${t("an.median")} ${said(f.p50[i])} (${t("an.p25p75")} ${said(f.p25[i])} – `
        + `${said(f.p75[i])}; ${t("an.p5p95")} ${said(f.p5[i])} – ${said(f.p95[i])})`) });
    years.forEach((yr, i) => rows.push([s.name, String(yr), ...["p5", "p25", "p50", "p75", "p95"]
      .map((q) => (f[q][i] === null ? "–" : amountCell(f[q][i], unit, (x) => fmtKey(key, x))))]));
  });
  plot("an-chart", traces, { title: fitTitle(t("an.fanYearsTitle", { figure: figName(key), runs: fmt(r.runs) }), "an-chart"),
    height: 420, xaxis: { title: t("an.axisYear"), tickformat: "d" },
    // per year, not the name's "(t)" of the horizon's total
    yaxis: { title: axisName(figName(key).replace(/\s*[(（][^()（）]*[)）]$/, ""), unit) },
    legend: { orientation: "h", y: -0.2, yanchor: "top" } });
  const qs = ["p5", "p25", "p50", "p75", "p95"];
  chartTable("an-chart", [t("an.col.scenario"), t("an.col.year"), ...qs.map((q) => (unit && !share ? `${q} [${unit}]` : q))],
    rows, [1, 2, 3, 4, 5, 6], [0]);
}

/** The inputs' axis of the sensitivity and tornado bars: on a narrow chart no title (the table's head names the
 * inputs) and 11 px names, broken by inputName into rows of rowHeight. */
const inputsAxis = (narrow) => ({ title: narrow ? "" : t("an.axisInput"), automargin: true, tickfont: narrow ? { size: 11 } : {} });

/** The chart beside the indices (the tornado), made on first use after the first chart; hidden
 * when `show` is false. */
function secondChart(show) {
  let el = $("#an-chart2");
  if (!el && !show) return null;
  if (!el) {
    el = Object.assign(document.createElement("div"), { id: "an-chart2", className: "chart" });
    el.setAttribute("role", "figure");
    ($("#an-chart-values") || $("#an-chart")).after(el);
  }
  el.hidden = !show;
  if (!show && window.Plotly) Plotly.purge(el);
  return el;
}

/** The tornado of output `o`: the output with each input at its 5th and at its 95th percentile (the
 * others at their medians, as gsa draws it), widest swing on top, as the CLI's report draws it. */
function drawTornado(r, o, label) {
  const tor = r.outputs[o].tornado;
  if (!secondChart(Boolean(tor && tor.low && tor.high))) { chartTable("an-chart2", null); return; }
  const fig = o.split(":").slice(o.includes(":") ? 1 : 0).join(":");  // scenario:figure
  const share = isShare(fig) || r.outputs[o].unit === "fraction", scale = (v) => (share ? 100 * v : v);
  const unit = share ? "" : unitOf(fig, r.outputs[o].unit);
  const said = (v) => (share ? fmtPct(v) : inUnit(v, unit));
  const mid = (tor.nominal || [0])[0], nominal = scale(mid);  // the output with every input at its median
  const swing = (i) => Math.abs(tor.high[i] - tor.low[i]);
  const order = r.parameters.map((_, i) => i).sort((i, j) => swing(i) - swing(j));
  const narrow = ($("#an-chart2").clientWidth || 800) < 640;
  const names = order.map((i) => (narrow ? inputName(r.parameters[i], r.parameters) : r.parameters[i]));
  const bar = (k, color) => ({ type: "bar", orientation: "h", y: names, base: nominal, x: order.map((i) => scale(tor[k][i]) - nominal),
    name: t(`an.tornado.${k}`), marker: { color }, hoverinfo: "text", textposition: "none",
    text: order.map((i) => `${r.parameters[i]}: ${t(`an.tornado.${k}`)} → ${said(tor[k][i])}`) });
  plot("an-chart2", [bar("low", "#1f77b4"), bar("high", "#d62728")],
    { title: fitTitle(t("an.tornadoTitle", { output: label, nominal: said(mid) }), "an-chart2"), barmode: "overlay",
      height: 200 + rowHeight(names, 32) * names.length, margin: { l: 20 },
      xaxis: { title: axisName(figName(fig), unitOf(fig, r.outputs[o].unit)) }, yaxis: inputsAxis(narrow),
      shapes: [{ type: "line", x0: nominal, x1: nominal, yref: "paper", y0: 0, y1: 1, line: { color: "#1b2631", width: 1 } }],
      legend: { orientation: "h", y: -0.15, yanchor: "top" } });
  $("#an-chart2").setAttribute("aria-label", t("an.tornadoLabel", { output: label }));
  // the unit in the heads (a yen amount's cell says none: "1.126兆")
  const head = (k) => (unit ? `${t(`an.tornado.${k}`)} [${unit}]` : t(`an.tornado.${k}`));
  const cell = (v) => (share ? valued(v, fmtPct(v)) : amountCell(v, unit));
  chartTable("an-chart2", [t("an.col.parameter"), head("low"), head("high")],
    [...order].reverse().map((i) => [r.parameters[i], cell(tor.low[i]), cell(tor.high[i])]), [1, 2], [0]);
}

function drawSensitivity(r, chosen) {
  const outs = Object.keys(r.outputs);
  const label = (o) => { const [s, k] = o.split(":"); return k ? `${s}: ${figName(k)}` : figName(o); };
  const o = options(outs.map((x) => [x, label(x)]), chosen);
  const d = r.outputs[o], sobol = r.method === "sobol";
  const [a, b] = sobol ? ["S1", "ST"] : ["mu_star", "sigma"];
  // ranked as the CLI ranks them: by the total index (Sobol') or μ* (Morris); the largest on top
  const rank = sobol ? "ST" : "mu_star";
  const order = r.parameters.map((_, i) => i).sort((i, j) => (d[rank][i] ?? 0) - (d[rank][j] ?? 0));
  // Morris' effects are in the output's unit (a share's in percentage points); Sobol's are shares of variance
  const share = !sobol && (isShare(o) || d.unit === "fraction");
  const v = (x) => (typeof x === "number" && share ? 100 * x : x);
  const unit = share ? t("an.unit.pp") : unitOf(o, d.unit) || "–";
  // a narrow chart keeps the end of each path ("…co2e") in lines, no axis title: the whole path is in the hover and the table
  const narrow = ($("#an-chart").clientWidth || 800) < 640;
  const names = order.map((i) => (narrow ? inputName(r.parameters[i], r.parameters) : r.parameters[i]));
  const bar = (k, conf, color) => ({ type: "bar", orientation: "h", y: names, x: order.map((i) => v(d[k][i])),
    name: t(`an.idx.${k}`), marker: { color }, error_x: conf && d[conf] ? { type: "data", array: order.map((i) => v(d[conf][i])), visible: true } : undefined,
    hoverinfo: "text", text: order.map((i) => `${r.parameters[i]}: ${sobol ? fmt(d[k][i]) : inUnit(v(d[k][i]), unit)}`), textposition: "none" });
  plot("an-chart", [bar(a, sobol ? "S1_conf" : "mu_star_conf", "#5dade2"), bar(b, sobol ? "ST_conf" : null, "#1a5276")],
    { title: fitTitle(t(sobol ? "an.sobolTitle" : "an.morrisTitle", { output: label(o) }), "an-chart"), barmode: "group", height: 200 + rowHeight(names, 40) * names.length,
      xaxis: { title: sobol ? t("an.axisSobol") : t("an.axisMorrisUnit", { unit }) }, yaxis: inputsAxis(narrow),
      margin: { l: 20 }, legend: { orientation: "h", y: -0.15, yanchor: "top" } });
  const head = (k) => (sobol ? t(`an.idx.${k}`) : `${t(`an.idx.${k}`)} [${unit}]`);
  // each index ± its 95 % confidence half-width (Morris' σ has none)
  const cell = (k, i) => withConf(v(d[k][i]), d[`${k}_conf`] ? v(d[`${k}_conf`][i]) : undefined, sobol ? "" : unit);
  // an estimated S1 above its ST (impossible for the exact indices) is sampling noise: flagged on its row
  const above = (i) => sobol && typeof d.S1[i] === "number" && typeof d.ST[i] === "number" && d.S1[i] > d.ST[i] + 1e-9;
  const flagged = (i) => {
    if (!above(i)) return cell(a, i);
    const span = Object.assign(document.createElement("span"), { textContent: `${cell(a, i)} ⚠`, title: t("an.s1AboveSt") });
    span.setAttribute("aria-label", `${span.textContent} ${span.title}`);
    span.dataset.value = String(d[a][i]);  // sorted by the index
    return span;
  };
  sortableTable($("#an-table"), [t("an.col.parameter"), head(a), head(b)],
    [...order].reverse().map((i) => [r.parameters[i], flagged(i), cell(b, i)]), [1, 2], [0]);
  describe("an-chart", "an-table");
  sensitivityNotes(r, label);
  drawTornado(r, o, label(o));
  return t("an.aboutSensitivity", { method: sobol ? "Sobol'" : "Morris", n: fmt(r.evaluations) });
}

const choiceText = (choices) => choices.map((c) => `${c.decision} = ${c.option}`).join("; ");

/** An objective's value with its unit (yen: 万/億/兆 in Japanese); `o` names its unit. */
const amount = (v, o) => inUnit(v, unitText(o.unit), (x) => `${fmt(x)} ${unitText(o.unit)}`);

function drawPareto(r) {
  const [o1, o2] = r.objectives;
  const ax = (o) => axisName(figName(o.figure), unitText(o.unit));
  // the model as given need not meet the constraints: say so beside its ✕
  const unmet = (r.as_modelled_constraints || []).filter((c) => !c.met).map((c) => figName(c.figure));
  const asGiven = unmet.length ? t("an.asModelledUnmet", { which: unmet.join(", ") }) : t("an.asModelled");
  const said = (p) => `${amount(p[o1.figure], o1)}, ${amount(p[o2.figure], o2)}`;
  const cellOf = (p, o) => amountCell(p[o.figure], unitText(o.unit));  // a yen objective in 万/億/兆
  // each point numbered as in the tables under the chart
  plot("an-chart", [{ type: "scatter", mode: "lines+markers+text", x: r.points.map((p) => p[o1.figure]), y: r.points.map((p) => p[o2.figure]),
    name: t("an.front"), marker: { size: 10, color: "#1f618d" }, hoverinfo: "text", textposition: "top right",
    text: r.points.map((_, i) => t("an.point", { n: i + 1 })),
    hovertext: r.points.map((p, i) => `${t("an.point", { n: i + 1 })}: ${choiceText(p.choices)}<br>${said(p)}`) },
  { type: "scatter", mode: "markers", x: [r.as_modelled[o1.figure]], y: [r.as_modelled[o2.figure]], name: asGiven,
    marker: { size: 14, symbol: "x", color: "#c0392b" }, hoverinfo: "text", text: [asGiven] }],
  { title: fitTitle(t("an.paretoTitle", { a: figName(o1.figure), b: figName(o2.figure) }), "an-chart"), height: 460,
    xaxis: { title: ax(o1) }, yaxis: { title: ax(o2) }, legend: { orientation: "h", y: -0.18, yanchor: "top" } });
  sortableTable($("#an-table"), ["#", ax(o1), ax(o2), t("an.col.choices")],
    [...r.points.map((p, i) => [valued(i + 1, String(i + 1)), cellOf(p, o1), cellOf(p, o2), choiceText(p.choices)]),
      ["✕", cellOf(r.as_modelled, o1), cellOf(r.as_modelled, o2), asGiven]], [0, 1, 2], [3]);
  describe("an-chart", "an-table");
  showNotes(methodNote(r.method), r.method?.text ? [r.method.text] : []);  // complete, or sampled
  const cur = (r.units || {}).money || "";
  extraTable("an.actorsTitle", ["#", t("an.col.actor"), `${t("an.col.co2eChange")} [t]`, `${t("an.col.marginChange")} [${unitText(cur)}]`],
    r.points.flatMap((p, i) => (p.actors || []).map((a) => [valued(i + 1, String(i + 1)), a.actor, valued(a.co2e_change_t, fmt(a.co2e_change_t)),
      amountCell(a.margin_change, unitText(cur))])),
    [0, 2, 3], [1]);
  return t("an.aboutPareto", { n: r.points.length });
}

/** Whether a change `c` of figure `k` is better, worse or none ("better" | "worse" | "none"): less is better for
 * the figures the service lists in `lower_is_better` (CO2e, cost, virgin input), more for the others. */
function verdict(r, k, c) {
  if (!c) return "none";
  return (c < 0) === (r.lower_is_better || []).includes(k) ? "better" : "worse";
}

/** A best loop's figure `k`'s unit as shown: the result's for it (co2e: t; cost, revenue and margin: its
 * currency), else its money. */
const bestUnit = (r, k) => unitText(typeof (r.units || {})[k] === "string" ? r.units[k] : (r.units || {}).money);

/** An optimisation's method as a note: the service's words in English; in Japanese what they say
 * (exact or approximate; a front complete or sampled), the words kept as the notes' tooltip. */
function methodNote(m) {
  if (!m?.text) return [];
  if (state.lang !== "ja") return [{ kind: "method", text: t("an.methodIs", { text: m.text }) }];
  // the method and, for a Pareto front (its own entry), whether the front is complete (review 256:
  // never said); the service's own account, in English, is the notes' tooltip
  const key = { milp: "exact", enumeration: "enumeration", "milp, then search": "search" }[m.name] || "approx";
  const notes = [{ kind: "method", text: t(`an.method.${key}`) }];
  const front = m.front && (m.front.approximate ? "an.front.approx" : m.front.complete ? "an.front.complete" : "an.front.sampled");
  if (m.front && "complete" in m.front) notes.push({ kind: "method", text: t(front, { n: m.front.points }) });
  return notes;
}

function drawBest(r) {
  const keys = Object.keys(r.network).filter((k) => typeof r.network[k] === "number" && typeof r.as_modelled[k] === "number");
  // a change from 0 has no share: said so, not drawn as 0 %
  const change = keys.map((k) => (r.as_modelled[k] ? (r.network[k] - r.as_modelled[k]) / Math.abs(r.as_modelled[k])
    : r.network[k] === r.as_modelled[k] ? 0 : null));
  const pct = (i) => (change[i] === null ? t("an.fromZero") : fmtSigned(change[i]));
  const colors = { better: "#1e8449", worse: "#b03a2e", none: "#7f8c8d" };
  const said = (k, at) => inUnit(at[k], bestUnit(r, k));  // a hover's figure in its unit (yen: 万/億/兆 in Japanese)
  // one trace per verdict, so that the legend says what green and red mean
  const traces = ["better", "worse", "none"].map((v) => {
    const at = keys.map((_, i) => i).filter((i) => change[i] !== null && verdict(r, keys[i], change[i]) === v);
    return { type: "bar", orientation: "h", y: at.map((i) => figName(keys[i])), x: at.map((i) => 100 * change[i]), name: t(`an.${v === "none" ? "noChange" : v}`),
      marker: { color: colors[v] }, hoverinfo: "text", textposition: "none",
      text: at.map((i) => `${figName(keys[i])}: ${said(keys[i], r.as_modelled)} → ${said(keys[i], r.network)} (${pct(i)})`) };
  }).filter((tr) => tr.x.length);
  plot("an-chart", traces, { title: fitTitle(t("an.bestTitle"), "an-chart"), height: 200 + 40 * keys.length, xaxis: { title: t("an.axisChange") },
    yaxis: { title: t("an.axisFigure"), automargin: true, categoryorder: "array", categoryarray: keys.map(figName).reverse() },
    barmode: "overlay", showlegend: true, legend: { orientation: "h", y: -0.2, yanchor: "top" }, margin: { l: 20 } });
  chartTable("an-chart", [t("an.axisFigure"), t("an.col.asModelled"), t("an.col.best"), t("an.change")],
    keys.map((k, i) => [axisName(figName(k), bestUnit(r, k)), amountCell(r.as_modelled[k], bestUnit(r, k)), amountCell(r.network[k], bestUnit(r, k)),
      valued(change[i], change[i] === null || !change[i] ? pct(i) : `${pct(i)} (${t(`an.${verdict(r, k, change[i])}`)})`)]), [1, 2, 3], [0]);
  sortableTable($("#an-table"), [t("an.col.decision"), t("an.col.option")], r.choices.map((c) => [c.decision, c.option]), [], [0, 1]);
  const cur = (r.units || {}).money || "";
  extraTable("an.actorsTitle", [t("an.col.actor"), `${t("an.col.co2eChange")} [t]`, `${t("an.col.marginChange")} [${unitText(cur)}]`],
    (r.actors || []).map((a) => [a.actor, valued(a.co2e_change_t, fmt(a.co2e_change_t)), amountCell(a.margin_change, unitText(cur))]),
    [1, 2], [0]);
  // best by what, and how it was found (review 243: neither was shown)
  const o = r.objective;
  const objective = o ? [{ kind: "objective", text: t("an.bestObjective", { sense: t(`an.sense.${o.sense}`), figure: figName(o.figure),
    value: amount(o.value, o), asModelled: amount(o.as_modelled, o) }) }] : [];
  // a scenario's settings taken apart by the best combination (review 315: said nowhere)
  const split = (r.scenario_splits || []).map((s) => ({ kind: "split", warn: true, text: t("an.note.split", {
    scenario: s.scenario, taken: s.taken.join(t("val.listSep")), left: s.left.join(t("val.listSep")) }) }));
  showNotes([...objective, ...split, ...methodNote(r.method)], r.method?.text ? [r.method.text] : []);
  return [t("an.aboutBest", { choices: "" }), choiceText(r.choices)];
}

/** A calibration: each observed figure, the model before and after the fit as a share of it (the
 * ±15 % band around 100 %), the observations and the fitted parameters with their bounds. */
function drawCalibration(r) {
  const obs = r.observations;
  const label = (o) => `${o.scenario}: ${figName(o.figure)}`;
  const rel = (o, k) => (o.observed ? 100 * o[k] / o.observed : null);
  const unit = (o) => unitOf(o.figure, o.unit), plain = (o) => (x) => fmtKey(o.figure, x);
  const said = (o, v) => inUnit(v, unit(o), plain(o));
  const narrow = ($("#an-chart").clientWidth || 800) < 640;  // the scenario above the figure's name
  const ys = obs.map((o) => (narrow ? `${o.scenario}:<br>${figName(o.figure)}` : label(o)));
  const point = (k, name, marker) => ({ type: "scatter", mode: "markers", orientation: "h", y: ys,
    x: obs.map((o) => (k === "observed" ? 100 : rel(o, k))), name, marker, hoverinfo: "text",
    text: obs.map((o) => `${label(o)}<br>${t("an.cal.observed")}: ${said(o, o.observed)}<br>${name}: ${said(o, o[k])}`) });
  const observed = point("observed", t("an.cal.observedBand"), { symbol: "diamond", size: 12, color: "#1b2631" });
  observed.error_x = { type: "constant", value: 15, visible: true, color: "#7f8c8d", thickness: 2, width: 8 };
  plot("an-chart", [observed, point("start", t("an.cal.start"), { symbol: "circle-open", size: 11, color: "#7f8c8d", line: { width: 2 } }),
    point("fitted", t("an.cal.fitted"), { symbol: "circle", size: 11, color: "#2874a6" })],
  { title: fitTitle(t("an.calTitle", { n: obs.length }), "an-chart"), height: 200 + 36 * obs.length, margin: { l: 20 },
    // the axis title kept clear of the labels ("scenario: figure") by its standoff
    yaxis: { title: narrow ? "" : { text: t("an.axisObservation"), standoff: 16 }, automargin: true, type: "category", autorange: "reversed" },
    xaxis: { title: t("an.axisCal"), ticksuffix: " %", rangemode: "tozero" }, legend: { orientation: "h", y: -0.25, yanchor: "top" } });
  const yes = (v) => t(v ? "an.yes" : "an.no");
  // what the model can give for each figure anywhere in the ranges; ✗ where the observation is out of it
  const reach = (o) => (o.attainable ? rangeCell(o.attainable[0], o.attainable[1], unit(o), plain(o), o.reachable === false ? " ✗" : "") : "–");
  const cell = (o, k) => amountCell(o[k], unit(o), plain(o));  // a yen figure in 万/億/兆
  sortableTable($("#an-table"), [t("an.col.scenario"), t("an.col.figure"), t("an.cal.observed"), t("an.cal.start"), t("an.cal.fitted"),
    t("an.col.deviation"), t("an.col.within"), t("an.col.attainable"), t("an.col.source")],
  obs.map((o) => [o.scenario, figName(o.figure), cell(o, "observed"), cell(o, "start"), cell(o, "fitted"),
    valued(o.relative_error, fmtSigned(o.relative_error)), o.fitted_to === false ? t("an.cal.notFitted") : yes(o.within_15_percent), reach(o),
    o.source || "–"]), [2, 3, 4, 5, 7], [0, 8]);
  const units = r.parameters.some((q) => q.unit);
  extraTable("an.cal.paramsTitle", [t("an.col.parameter"), t("an.cal.start"), t("an.cal.fitted"), t("an.col.bounds"), t("an.col.ci95"),
    ...(units ? [t("an.col.unit")] : []), t("an.col.atBound")], r.parameters.map((q) => [q.parameter, amountCell(q.start, unitText(q.unit)),
    amountCell(q.fitted, unitText(q.unit)), rangeCell(q.bounds[0], q.bounds[1], unitText(q.unit)), q.identified === false
      ? t("an.cal.notIdentified") : rangeCell(q.ci95[0], q.ci95[1], unitText(q.unit)), ...(units ? [unitText(q.unit) || "–"] : []),
    q.informed === false ? t("an.cal.notInformed") : yes(q.at_bound)]),
  [1, 2, 3, 4], units ? [0, 5] : [0]);
  const fitted = obs.filter((o) => o.fitted_to !== false);  // those marked 'fit: false' are only shown
  const ok = fitted.filter((o) => o.within_15_percent).length;
  const unseen = r.parameters.filter((q) => q.identified === false);  // its range is its bounds
  const about = t("an.aboutCalibration", { n: fitted.length, ok, evaluations: fmt(r.evaluations) });
  // the parameters the observations do not identify: a note of its own, not inside "Method: …"
  showNotes(unseen.length ? [{ kind: "unseen", text: t("an.cal.unseen", { n: unseen.length, of: r.parameters.length }) }] : []);
  describe("an-chart", "an-table");
  // the method in the page's language; the service's own words in its tooltip (an unknown method as written)
  const known = CAL_METHODS.find(([re]) => re.test(String(r.method || "")));
  return known ? { msg: about, said: t(known[1]), title: r.method } : [about, r.method];
}

/** The calibration methods the service names (calibration.py's METHOD), by the start of its words. */
const CAL_METHODS = [[/^bounded least squares/i, "an.cal.method.lsq"]];

/** Draw a finished job (kind, result) in the current language; `chosen` keeps the figure shown. */
function drawAnalysis(job, chosen) {
  const r = job.result; if (!r) return;
  // the figure picker is hidden while the result is drawn again: kept in focus if it was (review 247: a change
  // made with the keyboard left the focus on the page)
  const picking = document.activeElement === $("#an-figure");
  $("#an-result").hidden = false;
  $('label[for="an-figure"]').hidden = true; $("#an-figure").hidden = true;
  $("#an-result-title").textContent = t(`an.kindName.${job.kind}`, {}, job.kind);
  let about;
  extraTable("", [], null);
  chartTable("an-chart", null); chartTable("an-chart2", null);
  secondChart(false);
  showNotes([]);
  if (job.kind === "uncertainty") about = drawUncertainty(r, chosen);
  else if (job.kind === "sensitivity") about = drawSensitivity(r, chosen);
  else if (job.kind === "calibrate") about = drawCalibration(r);
  else if (r.points) about = drawPareto(r);
  else about = drawBest(r);
  // [message, data]: the data part (decision and option names as written) is marked as such; or
  // {msg, said, title}: a message part said in the page's language, the service's words as its tooltip
  const [msg, data] = Array.isArray(about) ? about : [about.msg ?? about, ""];
  const span = Object.assign(document.createElement("span"), { className: "data", textContent: data });
  if (about.said) Object.assign(span, { className: "", textContent: about.said, title: about.title });
  // the years the figures cover: an optimisation's window; else the horizon, which only the totals
  // cover (a headline figure has its own years, in its title: review 243)
  const total = (k) => /(^|:)(totals|actors)\./.test(k ?? "");
  const key = job.kind === "uncertainty" ? "an.totalsYears"
    : job.kind === "sensitivity" ? (Object.keys(r.outputs ?? {}).some(total) ? "an.totalsYears" : null)
    : job.kind === "calibrate" ? ((r.observations ?? []).some((o) => total(o.figure)) ? "an.totalsYears" : null)
    : "an.years";
  const years = key && Array.isArray(r.years) && r.years.length === 2 ? ` · ${t(key, { from: r.years[0], to: r.years[1] })}` : "";
  $("#an-about").replaceChildren(msg, span, `${years} · ${t("an.finished", { at: fmtTime(job.finished_at) })}`);
  if (picking && !$("#an-figure").hidden) $("#an-figure").focus();
}

export { drawAnalysis, modelTitles };
