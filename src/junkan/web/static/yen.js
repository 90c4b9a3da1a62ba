// Yen amounts as the page's language writes them. In Japanese, a large amount is read in 万 (10⁴), 億 (10⁸)
// and 兆 (10¹²): "6,277万円", "1.2億円", not "62,769,510 円"; the exact figure stays on hand as the element's
// title (tooltip). In English, amounts keep the thousands separators ("62,769,510 JPY"). Chart axes are not
// written here: chart_axes.js writes a yen axis' ticks the same way (core.js plot). A negative amount has the
// charts' minus sign in every language ("−6,277万円", "−62,769,510 JPY"): chart_axes.js `signed`.
import { signed, UNITS, UNITS_FROM } from "./chart_axes.js";
import { fmt, state, t } from "./core.js";

/** The figure of a yen amount without its currency: in Japanese from 100,000 on in 万/億/兆 with at most four
 * significant digits ("52.19万", "6,277万", "1.2億"), else as `fmt` writes numbers; negative after "−". */
function yenFigure(v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return fmt(v);
  return signed(v, (a) => {
    if (state.lang !== "ja" || a < UNITS_FROM) return fmt(a);
    let i = UNITS.findIndex(([s]) => a >= s);
    // 99,999,999 is 10,000万 rounded: the next unit says it ("1億")
    if (i > 0 && Math.round(a / UNITS[i][0]) >= 1e4) i -= 1;
    const [size, unit] = UNITS[i];
    const n = a / size;
    const opts = n >= 1000 ? { maximumFractionDigits: 0 } : { maximumSignificantDigits: 4 };
    return `${n.toLocaleString("ja", opts)}${unit}`;
  });
}

/** Whether `yenFigure` rounds the amount `v` (in 万/億/兆): not every digit, which a title then says. */
const yenRounded = (v) => typeof v === "number" && Number.isFinite(v) && yenFigure(v) !== signed(v, fmt);

/** A yen amount with its currency, as a summary says it: "6,277万円" (Japanese), "62,769,510 JPY" (English). */
function yen(v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return fmt(v);
  return state.lang === "ja" ? `${yenFigure(v)}円` : `${yenFigure(v)} JPY`;
}

/** The exact amount with its currency (every digit), for a title: "62,769,510円" (in English as `yen` says it). */
function yenExact(v) {
  if (typeof v !== "number" || !Number.isFinite(v) || state.lang !== "ja") return yen(v);
  const digits = signed(v, (a) => a.toLocaleString(state.lang, { maximumFractionDigits: a >= 1e4 ? 0 : 2 }));
  return `${digits}円`;
}

/** A table cell's content for a yen amount in a column whose heading names the currency: the figure
 * (`yenFigure`) in a span whose title is the exact amount when the figure is rounded; text otherwise. */
function yenCell(v) {
  const shown = yenFigure(v);
  if (!yenRounded(v)) return shown;
  const span = document.createElement("span");
  span.textContent = shown;
  span.title = yenExact(v);
  return span;
}

/** Write the message `key` into `el` with the yen amounts `amounts` ({placeholder: number}) said by `yen`
 * and the other `vars` as given; when an amount is rounded, the element's title says the message with the
 * exact amounts (removed otherwise). */
function setYenText(el, key, vars, amounts) {
  const shown = Object.fromEntries(Object.entries(amounts).map(([k, v]) => [k, yen(v)]));
  const exact = Object.fromEntries(Object.entries(amounts).map(([k, v]) => [k, yenExact(v)]));
  el.textContent = t(key, { ...vars, ...shown });
  const full = t(key, { ...vars, ...exact });
  if (full !== el.textContent) el.title = full; else el.removeAttribute("title");
  return el.textContent;
}

export { yen, yenCell, yenExact, yenFigure, yenRounded, setYenText };
