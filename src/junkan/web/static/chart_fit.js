// A chart's words kept inside its box (the analyses and vision pages): its title broken into lines before it is
// drawn; its axis titles, once drawn, broken to the room the plot leaves them, measured in the page's font; on a
// narrow screen its legend across the whole chart, each entry's name broken to the chart's width. On a 360 px phone
// in Japanese the x axis' title of the Morris bars and of the tornado ran 17 px out of the chart (centred on a plot
// pushed right by the inputs' names) and the Pareto front's legend 54 px (review 243).
import { measurer, wrapText } from "./wrap.js";

/** A chart title broken into lines that fit `share` of the chart `id`'s width (a narrow screen clips one
 * long line at both ends): breaks after spaces and after colons that end a word of four letters or more
 * (never "B:" alone), before an opening bracket. */
function fitTitle(text, id, share = 1) {
  return fitLines(text, ((document.getElementById(id) || {}).clientWidth || 800) * share);
}

/** `text` broken into lines of about `width` pixels (see :func:`fitTitle`). */
function fitLines(text, width) {
  const wide = (c) => (/[\u3000-\u9fff\uff00-\uffef]/.test(c) ? 2 : 1);  // CJK: about two Latin letters
  const max = Math.max(16, Math.floor(width / 9.5));
  // after a colon only past a word of 4+ letters: "B:" of "B:co2e_t" was left alone on a line (review 247)
  const parts = text.split(/(?<=[\s、，])|(?<=[^\s:：]{4}[:：])|(?=[(（])/);
  const lines = [""];
  for (const part of parts) {
    const len = [...lines[lines.length - 1] + part].reduce((n, c) => n + wide(c), 0);
    if (len > max && lines[lines.length - 1].trim()) lines.push(part.trimStart());
    else lines[lines.length - 1] += part;
  }
  // no line starting with "%" or a closing bracket ("95<br>% 区間付き）", review 247)
  return lines.map((l) => l.trim()).join("<br>").replace(NO_START, "$1<br>").replace(NO_END, "<br>$1")
    .replace(/<br>\s+/g, "<br>").replace(/(<br>)+$/, "");
}

/** What may not start a line (a closing bracket, a comma or stop, a long-vowel mark, a percent sign) and what
 * may not end one (an opening bracket), in Japanese as in English. */
const NO_START = /<br>([)）\]］」』、。，．・ー%％])/g, NO_END = /([(（[［「『])<br>/g;

/** `text` in lines at most `room` px wide as `measure` says: wrapText's breaks (between words, and between any
 * two CJK characters), none before a closing bracket or after an opening one. */
function wrapWords(text, room, measure) {
  if (measure(text) <= room) return text;
  for (let r = room; ; r -= 8) {
    const lines = wrapText(text, r, measure).replace(NO_START, "$1<br>").replace(NO_END, "<br>$1");
    if (r < 40 || lines.split("<br>").every((line) => measure(line) <= room)) return lines;
  }
}

const titleText = (v) => String((v && (v.text ?? (typeof v === "string" ? v : ""))) || "");

/** On the drawn chart `gd`, the titles of its x and y axes (`texts`: each as written, on one line) broken into
 * lines that stay inside the chart: a title is centred on its axis, so it has twice the distance from the middle
 * of the axis to the chart's nearer edge (less a few px). Fitted again once the plot moved (a title of more
 * lines takes more room); resolves to `gd`. */
async function keepTitlesIn(gd, texts) {
  for (let pass = 0; pass < 3; pass++) {
    const fl = gd && gd._fullLayout, s = fl && fl._size;
    if (!s || !window.Plotly) return gd;
    const measure = measurer(Math.round(((fl.font && fl.font.size) || 12) * 1.2));  // plotly.js' axis titles
    const update = {};
    for (const [k, mid, size] of [["xaxis", s.l + s.w / 2, fl.width], ["yaxis", s.t + s.h / 2, fl.height]]) {
      const text = texts[k];
      if (!text || !gd.layout[k]) continue;
      const fitted = wrapWords(text, Math.max(40, 2 * Math.min(mid, size - mid) - 10), measure);
      if (fitted !== titleText(gd.layout[k].title)) update[`${k}.title.text`] = fitted;
    }
    if (!Object.keys(update).length) return gd;
    await window.Plotly.relayout(gd, update);
  }
  return gd;
}

/** A narrow chart's legend (`l.legend`, in the layout `l`) across the whole chart `width` px wide, not from the
 * plot's left edge; the `traces` with names wider than that broken into lines (a copy; plotly.js does not break
 * a legend's entry). */
function fitLegend(l, traces, width) {
  l.legend = { ...l.legend, xref: "container", x: 0, xanchor: "left" };
  const measure = measurer((l.legend.font && l.legend.font.size) || 12);
  const room = Math.max(80, width - 56);  // the entry's symbol and the legend's padding
  return traces.map((tr) => (typeof tr.name === "string" && measure(tr.name) > room
    ? { ...tr, name: wrapWords(tr.name, room, measure) } : tr));
}

/** For a narrow chart, the shortest end of the parameter path `path` (two parts at least) that no other path of
 * `all` ends with, after "…", in lines of about 16 letters broken after its dots and underscores (review 256: at 390 px the whole
 * names left the bars a quarter of the chart; the whole path is in the hover and the table). */
function inputName(path, all) {
  const parts = path.split(".");
  let k = 2;
  const end = () => parts.slice(-k).join(".");
  while (k < parts.length && all.filter((q) => q === end() || q.endsWith(`.${end()}`)).length !== 1) k++;
  const lines = [""];
  for (const piece of (k < parts.length ? `…${end()}` : path).split(/(?<=[._])/)) {
    if (lines[lines.length - 1] && (lines[lines.length - 1] + piece).length > 16) lines.push(piece);
    else lines[lines.length - 1] += piece;
  }
  return lines.join("<br>");
}

/** The height in px of a bar chart's row for the category `names` (lines broken by "<br>"): `base`, or more for
 * names of three lines (in 11 px letters, as a narrow chart draws them). */
const rowHeight = (names, base) => Math.max(base, 14 * Math.max(1, ...names.map((n) => n.split("<br>").length)) + 4);

export { fitLegend, fitLines, fitTitle, inputName, keepTitlesIn, rowHeight, titleText };
