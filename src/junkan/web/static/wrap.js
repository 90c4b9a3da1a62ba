// Names wrapped to the room a chart has for them (plotly writes a line break as <br>), measured with the
// page's font: a long name ran out of a chart at 800 px.

const ruler = document.createElement("canvas").getContext("2d");

/** The width in px of a text in the page's font at `size` px, as a function (each text measured once: a
 * chart's names are wrapped again and again, and are made of the same pieces). */
function measurer(size) {
  const font = `${size}px ${getComputedStyle(document.body).fontFamily}`, known = new Map();
  return (s) => {
    let w = known.get(s);
    if (w === undefined) { ruler.font = font; w = ruler.measureText(s).width; known.set(s, w); }
    return w;
  };
}

const PIECES = /[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]|[^\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]+/g;
/** `text` in lines at most `room` px wide as `measure` says (a piece wider than a line keeps its own line),
 * joined by <br> as plotly writes a line break. */
function wrapText(text, room, measure) {
  const lines = [];
  let line = "";
  text.split(/\s+/).filter(Boolean).forEach((word) => word.split(/(?<=-)/).flatMap((w) => w.match(PIECES) || []).forEach((piece, k) => {
    const joined = line ? line + (k === 0 ? " " : "") + piece : piece;
    if (line && measure(joined) > room) { lines.push(line); line = piece; } else line = joined;
  }));
  if (line) lines.push(line);
  return lines.join("<br>");
}

/** A flow chart's columns placed so that each column's names fit beside its bars, and the names wrapped:
 * `labels` of the nodes at `xs` (fractions of the plot's `width` px, one distinct value per column), bars
 * `bar` px thick, names at `size` px, the plot `height` px tall. Plotly writes a column's names on the right of
 * its bars but the last column's on their left, so the last gap holds two columns' names. Each column's names
 * start wrapped to a fifth of the width; while the gaps do not hold them, the column with the widest names is
 * wrapped a tenth narrower (not below 48 px, nor to more lines than its nodes have height for). The room left
 * over is shared as the layout's own gaps are; the order of the columns is kept. Returns the wrapped labels,
 * the nodes' new x and the plot's width: `width`, or wider when even the narrowest names do not fit in it
 * (the chart is then drawn that wide, to be scrolled: squeezed, the names ran into the bars at 640 px). */
function placeColumns(labels, xs, width, bar, size, height) {
  const measure = measurer(size), pad = 8, lineHeight = 1.3 * size;
  const cols = [...new Set(xs)].sort((a, b) => a - b), n = cols.length;
  const col = xs.map((x) => cols.indexOf(x));
  const members = cols.map((_, k) => col.flatMap((c, i) => (c === k ? [i] : [])));
  const text = labels.map(String);
  const widest = Array(n).fill(0), room = Array(n).fill(Math.max(48, Math.floor(width / 5)));
  const lines = members.map((m) => Math.max(1, Math.floor(height / Math.max(m.length, 1) / lineHeight)));
  const wrap = (k, r) => members[k].map((i) => wrapText(String(labels[i]), r, measure));
  const fits = (k, wrapped) => wrapped.every((s) => s.split("<br>").length <= lines[k]);
  const settle = (k, wrapped) => {
    members[k].forEach((i, j) => { text[i] = wrapped[j]; });
    widest[k] = Math.max(0, ...wrapped.flatMap((s) => s.split("<br>").map(measure)));
  };
  cols.forEach((_, k) => settle(k, wrap(k, room[k])));
  if (n < 2) return { labels: text, xs, width };
  const spans = cols.slice(1).map((x, k) => x - cols[k]);
  const sum = spans.reduce((a, b) => a + b, 0) || 1;
  const need = () => spans.map((_, k) => bar + pad + widest[k] + (k === n - 2 ? pad + widest[n - 1] : 0));
  const needed = () => need().reduce((a, b) => a + b, 0) + bar;  // the plot's width the names need
  const shrinkable = new Set(cols.keys());
  while (needed() > width) {
    const k = [...shrinkable].sort((a, b) => widest[b] - widest[a])[0];
    if (k === undefined) break;  // as narrow as the names go: the chart is drawn wider
    room[k] = Math.floor(Math.min(room[k], widest[k]) * 0.9);
    const wrapped = wrap(k, room[k]);
    if (room[k] < 48 || !fits(k, wrapped)) shrinkable.delete(k);
    else settle(k, wrapped);
  }
  const at = [0], gaps = need(), total = needed();
  const wide = Math.max(width, Math.ceil(total));
  gaps.forEach((w, k) => at.push(at[k] + w + (wide - total) * spans[k] / sum));
  return { labels: text, xs: col.map((k) => Math.max(0.001, Math.min(0.999, (at[k] + bar / 2) / wide))),
    width: wide };
}

export { measurer, placeColumns, wrapText };
