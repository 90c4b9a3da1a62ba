// Chart axes in the page's language (core.js plot): outside English, figures written out with the
// language's separators (20,000, not 20k nor 2e+4); on a Japanese page an axis whose unit is yen read in
// 万 (10⁴), 億 (10⁸) and 兆 (10¹²) like the rest of the page ("5,000万", "1億", "1.15兆"), its title
// saying 円. An axis is in yen when its title ends with the unit in brackets: "費用（JPY）", "Cost [JPY/yr]",
// "電力費 [円]" (not "[千円]"). No imports: the kernel (core.js) uses it.

/** Cartesian traces (those drawn on x and y axes). */
const CARTESIAN = new Set([undefined, "scatter", "scattergl", "bar", "histogram", "box", "heatmap"]);
const AXIS = /^[xy]axis\d*$/;

/** Outside English, axis figures written out with the language's separators (20,000, not 20k
 * nor 2e+4) on every axis the layout names, and on the default two of a cartesian chart. */
function plainAxes(l, traces) {
  const names = Object.keys(l).filter((k) => AXIS.test(k));
  if (traces.some((tr) => CARTESIAN.has(tr.type))) names.push("xaxis", "yaxis");
  for (const k of new Set(names)) {
    l[k] = { exponentformat: "none", separatethousands: true, ...(l[k] || {}) };
  }
}

/** A unit that is yen, alone or per something: "JPY", "JPY/kg", "円/年". */
const isYenUnit = (unit) => /^(JPY|円)(\s*\/|$)/.test(String(unit ?? "").trim());
/** The unit in brackets at a title's end: (opening bracket, unit, closing bracket). */
const TITLE_UNIT = /([[(（]\s*)((?:JPY|円)(?:\s*\/[^\])）]*)?)(\s*[\])）])$/;
const titleOf = (axis) => String((axis && axis.title && (axis.title.text ?? axis.title)) || "");

/** An axis title as a Japanese page writes it: the yen unit at its end as 円 ("費用 [円/年]"). */
const yenTitle = (text, lang) => (lang === "ja" ? String(text).replace(TITLE_UNIT, (_, a, u, b) => `${a}${u.replace(/^JPY/, "円")}${b}`) : text);

/** On a Japanese page, the axes of layout `l` in yen (by their titles' unit), their titles saying 円 (in place);
 * their names ([] in another language), for `yenTicks` once the chart is drawn. */
function yenAxes(l, lang) {
  if (lang !== "ja") return [];
  const names = Object.keys(l).filter((k) => AXIS.test(k) && l[k] && TITLE_UNIT.test(titleOf(l[k])));
  for (const k of names) l[k] = { ...l[k], title: { ...l[k].title, text: yenTitle(titleOf(l[k]), lang) } };
  return names;
}

/** Japanese units of large amounts, largest first (yen.js reads yen in them too). */
const UNITS = [[1e12, "兆"], [1e8, "億"], [1e4, "万"]];
/** From this amount on a Japanese page writes yen in units (below: every digit, "52,000"). */
const UNITS_FROM = 1e5;

/** A tick at `v` of an axis with ticks `step` apart: in 万/億/兆 (when `big`) with the digits that tell
 * it from its neighbours ("5,000万", "1億", "1.15兆"), else every digit; "0", a minus sign as Plotly's. */
function yenTick(v, step, big) {
  if (Math.abs(v) < step / 1e6) return "0";
  const sign = v < 0 ? "\u2212" : "", a = Math.abs(v);
  const unit = big ? UNITS.find(([s]) => a >= s * (1 - 1e-9)) : null;
  const size = unit ? unit[0] : 1;
  const digits = Math.min(20, Math.max(0, Math.ceil(-Math.log10(step / size) - 1e-9)));
  return `${sign}${(a / size).toLocaleString("ja", { maximumFractionDigits: digits })}${unit ? unit[1] : ""}`;
}

/** Ticks at round steps (1, 2 or 5 × 10ⁿ) over `range`, about as many as plotly.js would draw on `px` pixels
 * (on a plot narrowed by long labels, fewer: not turned aslant). */
function roundTicks([lo, hi], px, vertical) {
  const target = Math.min(9, Math.max(2, px / (vertical ? 40 : 80))) + 1;
  const rough = Math.abs(hi - lo) / target;
  if (!(rough > 0) || !Number.isFinite(rough)) return { step: 1, vals: [] };
  const base = 10 ** Math.floor(Math.log10(rough));
  const step = base * [1, 2, 5, 10].find((m) => m * base >= rough * (1 - 1e-9));
  const vals = [];
  for (let k = Math.ceil(Math.min(lo, hi) / step); k * step <= Math.max(lo, hi) * (1 + 1e-12) && vals.length < 50; k++) {
    vals.push(Math.round(k * step / base) * base);
  }
  return { step, vals };
}

/** The yen axes of each chart, for a redraw after a zoom or a resize; the charts listened to. */
const yenOf = new WeakMap(), listened = new WeakSet();

/** On the drawn chart `gd`, the ticks of its yen axes `names` in 万/億/兆 (an axis whose ticks stay below
 * 100,000 keeps plotly.js' own); again after a zoom or a resize. */
function yenTicks(gd, names) {
  if (!gd || !gd._fullLayout) return gd;
  yenOf.set(gd, names);
  if (names.length && !listened.has(gd) && gd.on) {
    listened.add(gd);
    gd.on("plotly_relayout", (ev) => {
      const changed = (yenOf.get(gd) || []).filter((k) => Object.keys(ev || {}).some((e) =>
        e === "autosize" || e === "width" || e === "height" || e.startsWith(`${k}.range`) || e === `${k}.autorange`));
      if (changed.length) relabel(gd, changed);
    });
  }
  return names.length ? relabel(gd, names) : gd;
}

function relabel(gd, names) {
  const update = {};
  for (const k of names) {
    const ax = gd._fullLayout[k], unit = TITLE_UNIT.exec(titleOf((gd.layout || {})[k]));
    // (a chart drawn again since, in English, has no 円 axis)
    if (!ax || ax.type !== "linear" || !Array.isArray(ax.range) || !unit || !unit[2].startsWith("円")) continue;
    const { step, vals } = roundTicks(ax.range.map(Number), ax._length || 300, k[0] === "y");
    const big = vals.some((v) => Math.abs(v) >= UNITS_FROM);
    if (!vals.length || !big) {  // zoomed in below 100,000: plotly.js' own ticks again
      if (ax.tickmode === "array") Object.assign(update, { [`${k}.tickmode`]: "auto", [`${k}.tickvals`]: null, [`${k}.ticktext`]: null });
      continue;
    }
    Object.assign(update, { [`${k}.tickmode`]: "array", [`${k}.tickvals`]: vals,
      [`${k}.ticktext`]: vals.map((v) => yenTick(v, step, big)) });
  }
  return Object.keys(update).length ? window.Plotly.relayout(gd, update) : gd;
}

export { isYenUnit, plainAxes, UNITS, UNITS_FROM, yenAxes, yenTicks, yenTitle };
