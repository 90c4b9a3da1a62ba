// Chart axes in the page's language (core.js plot): outside English, figures written out with the
// language's separators (20,000, not 20k nor 2e+4); on a Japanese page an axis whose unit is yen read in
// 万 (10⁴), 億 (10⁸) and 兆 (10¹²) like the rest of the page ("5,000万", "1億", "1.15兆"), its title
// saying 円. An axis is in yen when its title ends with the unit in brackets: "費用（JPY）", "Cost [JPY/yr]",
// "電力費 [円]" (not "[千円]"). In every language a yen axis ticks whole yen: one whose values are all zero or all
// equal (its range a yen or two wide) shows 0, 1, 2 yen, not 0.2, 0.4. Negative figures have the charts' minus sign
// (U+2212, as plotly.js writes it), which the tables and summaries of amounts share (`signed`, yen.js). No imports:
// the kernel (core.js) uses it.

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

/** The axes of layout `l` in yen (by their titles' unit), for `yenTicks` once the chart is drawn; on a Japanese
 * page their titles saying 円 (in place). */
function yenAxes(l, lang) {
  const names = Object.keys(l).filter((k) => AXIS.test(k) && l[k] && TITLE_UNIT.test(titleOf(l[k])));
  if (lang === "ja") for (const k of names) l[k] = { ...l[k], title: { ...l[k].title, text: yenTitle(titleOf(l[k]), lang) } };
  return names;
}

/** Japanese units of large amounts, largest first (yen.js reads yen in them too). */
const UNITS = [[1e12, "兆"], [1e8, "億"], [1e4, "万"]];
/** From this amount on a Japanese page writes yen in units (below: every digit, "52,000"). */
const UNITS_FROM = 1e5;

/** The minus sign of the charts (plotly.js writes U+2212, not the hyphen-minus "-"). */
const MINUS = "\u2212";

/** Figure `v` as `write` writes its magnitude, after the charts' minus sign when it is negative (not when
 * the magnitude is written as zero: "0", not "−0"). The one way the page signs an amount: axes, tables, summaries. */
function signed(v, write) {
  const shown = write(Math.abs(v));
  return v < 0 && /[1-9]/.test(shown) ? `${MINUS}${shown}` : shown;
}

/** A tick at `v` of an axis with ticks `step` apart: in 万/億/兆 (when `big`) with the digits that tell
 * it from its neighbours ("5,000万", "1億", "1.15兆"), else every digit; "0", a minus sign as Plotly's. */
function yenTick(v, step, big) {
  if (Math.abs(v) < step / 1e6) return "0";
  return signed(v, (a) => {
    const unit = big ? UNITS.find(([s]) => a >= s * (1 - 1e-9)) : null;
    const size = unit ? unit[0] : 1;
    const digits = Math.min(20, Math.max(0, Math.ceil(-Math.log10(step / size) - 1e-9)));
    return `${(a / size).toLocaleString("ja", { maximumFractionDigits: digits })}${unit ? unit[1] : ""}`;
  });
}

/** Whether plotly.js' own ticks over `span` on `px` pixels could fall less than a yen apart: its rough step (the span
 * over 5 to 10 ticks, one per 80 px across or 40 px up) below 1. */
const underAYen = (span, px, vertical) => span / (Math.min(9, Math.max(4, px / (vertical ? 40 : 80))) + 1) < 1;

/** Each whole yen within `range` (an axis under a yen or a few wide: a dozen at most). */
function wholeYen([lo, hi]) {
  const vals = [];
  for (let v = Math.ceil(Math.min(lo, hi)); v <= Math.max(lo, hi) && vals.length < 50; v++) vals.push(v === 0 ? 0 : v);
  return vals;
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

/** On the drawn chart `gd`, the ticks of its yen axes `names`: a yen apart at least (in every language), and on a
 * Japanese page in 万/億/兆 (an axis whose ticks stay below 100,000 keeps plotly.js' own); again after a zoom or a
 * resize. */
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
    // (a chart drawn again since may have no yen axis there)
    if (!ax || ax.type !== "linear" || !Array.isArray(ax.range) || !unit) continue;
    const range = ax.range.map(Number), px = ax._length || 300;
    if (underAYen(Math.abs(range[1] - range[0]), px, k[0] === "y")) {  // all zero, all equal, or zoomed in to a few yen
      // each whole yen in the range, as an array: not plotly.js' linear ticks a yen apart, which a zoom out to
      // billions would draw first, one by one (the page froze for 20 s before this listener undid them)
      const vals = wholeYen(range);
      if (ax.tickmode !== "array" || String(ax.tickvals) !== String(vals)) Object.assign(update, {
        [`${k}.tickmode`]: "array", [`${k}.tickvals`]: vals, [`${k}.ticktext`]: vals.map((v) => yenTick(v, 1, false)),
        [`${k}.dtick`]: null, [`${k}.tick0`]: null });
      continue;
    }
    // 万/億/兆: on a Japanese page (円 in the title)
    const { step, vals } = unit[2].startsWith("円") ? roundTicks(range, px, k[0] === "y") : { vals: [] };
    const big = vals.some((v) => Math.abs(v) >= UNITS_FROM);
    if (!vals.length || !big) {  // zoomed in below 100,000 (or not in Japanese): plotly.js' own ticks again
      if (ax.tickmode === "array") {  // ours: undone
        Object.assign(update, { [`${k}.tickmode`]: "auto", [`${k}.tickvals`]: null, [`${k}.ticktext`]: null,
          [`${k}.dtick`]: null, [`${k}.tick0`]: null });
      }
      continue;
    }
    Object.assign(update, { [`${k}.tickmode`]: "array", [`${k}.tickvals`]: vals,
      [`${k}.ticktext`]: vals.map((v) => yenTick(v, step, big)) });
  }
  return Object.keys(update).length ? window.Plotly.relayout(gd, update) : gd;
}

export { isYenUnit, plainAxes, signed, UNITS, UNITS_FROM, yenAxes, yenTicks, yenTitle };
