// The document a model's form editor edits (model_form.js), its state, and paths into it: arrays of keys
// (names may hold dots), written as the lifecycle loader writes them.

// local: path → the form's own refusal of a number field's text (before the loader sees it)
const F = { doc: null, choices: null, model: null, timer: null, seq: 0, ids: new Set(), errors: [], openNext: null, masses: null, note: null, local: new Map() };

const fmtPath = (p) => p.reduce((s, k) => (typeof k === "number" ? `${s}[${k}]` : s ? `${s}.${k}` : String(k)), "");
function get(p) { return p.reduce((o, k) => (o == null ? undefined : o[k]), F.doc); }
function set(p, v) {
  if (v === undefined && get(p) === undefined) return;  // nothing to clear: no empty parents made
  let o = F.doc;
  for (let i = 0; i < p.length - 1; i++) {
    if (o[p[i]] == null || typeof o[p[i]] !== "object") o[p[i]] = typeof p[i + 1] === "number" ? [] : {};
    o = o[p[i]];
  }
  if (v === undefined) delete o[p[p.length - 1]]; else o[p[p.length - 1]] = v;
}

/** An element id for the field at path `p`, unique in the form. */
function uid(p) {
  const base = `mff-${fmtPath(p).replace(/[^A-Za-z0-9_-]/g, "_")}`;
  let id = base, i = 2; while (F.ids.has(id)) id = `${base}-${i++}`;
  F.ids.add(id); return id;
}

/** `path` lies at or below `group` (a path): "parts.a.bom[0]" below "parts.a", not below "parts.ab". */
const within = (path, group) => group === "" || path === group || path.startsWith(`${group}.`) || path.startsWith(`${group}[`);

export { F, fmtPath, get, set, uid, within };
