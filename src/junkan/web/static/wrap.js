// Names wrapped to the room a chart has for them (plotly writes a line break as <br>), measured with the
// page's font: a long name ran out of a chart at 800 px.

const ruler = document.createElement("canvas").getContext("2d");

/** The width in px of a text in the page's font at `size` px, as a function. */
function measurer(size) {
  const font = `${size}px ${getComputedStyle(document.body).fontFamily}`;
  return (s) => { ruler.font = font; return ruler.measureText(s).width; };
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

export { measurer, wrapText };
