// The form editor of a lifecycle model: products (sales, lifetime with units), the BOM tree (parts and
// materials, rows added and removed), loops (collection, reuse, dismantling and sink shares), processes
// (actor, stage, kind, unit factors with unit pickers, source) and materials. Every edit is checked by the
// server's lifecycle loader (debounced); each error is shown next to its field, found by the document path
// the loader names. Saved as a new version of the model; YAML/JSON editing stays below.
import { $, api, cell, fieldMessage, fmt, jsonBody, problemOf, readNumber, setText, showProblem, state, t } from "./core.js";
import { F, fmtPath, get, set, uid, within } from "./form_doc.js";
import "./form_new.js";

const NUM = /^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$/;

const edited = () => { scheduleCheck(); }, restructured = () => { render(); scheduleCheck(); };

// ---- controls: each labelled, with its error slot next to it ------------------------------
function field(p, label, control, extra = []) {
  const div = document.createElement("div"); div.className = "mf-field"; div.dataset.path = fmtPath(p);
  const id = control.id || (control.id = uid(p));
  const lab = cell("label", label); lab.htmlFor = id;
  const err = document.createElement("span"); err.className = "mf-err error"; err.id = `${id}-err`;
  control.setAttribute("aria-describedby", err.id);
  div.append(lab, control, ...extra, err);
  return div;
}

function textIn(p, label, { optional = true } = {}) {
  const inp = Object.assign(document.createElement("input"), { value: get(p) ?? "", maxLength: 500 });
  inp.addEventListener("input", () => { set(p, inp.value === "" && optional ? undefined : inp.value); edited(); });
  return field(p, label, inp);
}

/** A problem the page finds in field `p` itself (shown before the loader's), or none. */
const local = (p, problem) => (problem ? F.local.set(fmtPath(p), problem) : F.local.delete(fmtPath(p)));

function numberIn(p, label, { integer = false } = {}) {
  const v = get(p);
  const inp = Object.assign(document.createElement("input"), { type: "text", inputMode: "decimal",
    value: v ?? "", size: 10 });
  const read = () => {  // not finite (1e400), not whole where it must be: refused here, kept as typed; text with a unit: the loader's
    const s = inp.value.trim(), bare = NUM.test(s) && !NUM.exec(s)[2];
    const r = s === "" ? { value: undefined } : integer || bare ? readNumber(s, label, { integer }) : { value: s };
    local(p, r.problem); return r.problem ? s : r.value;
  };
  read(); inp.addEventListener("input", () => { set(p, read()); edited(); });
  return field(p, label, inp);
}

function options(sel, values, current, { optional = false, label = (x) => x } = {}) {
  const all = [...values];
  if (current != null && current !== "" && !all.includes(current)) all.push(current);
  sel.replaceChildren(...(optional ? [new Option("—", "")] : []), ...all.map((x) => new Option(label(x), x)));
  sel.value = current ?? "";
}
const LAZY = 60;  // a longer list is filled when its field is first used: every BOM line listing every part froze the page
function selectIn(p, label, values, { optional = false, labelOf, onChange = edited } = {}) {
  let lazy = true; const sel = document.createElement("select"), fill = () => { if (lazy) { lazy = false; options(sel, values, get(p), { optional, label: labelOf }); } };
  if (!labelOf) sel.className = "data";  // the model's own names, not messages
  if (values.length > LAZY) { options(sel, [], get(p), { optional, label: labelOf }); for (const ev of ["focus", "mousedown"]) sel.addEventListener(ev, fill); } else fill();
  sel.addEventListener("change", () => { set(p, sel.value === "" ? undefined : sel.value); onChange(); });
  return field(p, label, sel);
}

/** A number with a unit from the units the loader accepts for this kind of quantity. */
function quantityIn(p, label, kind) {
  const v = get(p);
  const m = typeof v === "number" ? [null, String(v), ""] : typeof v === "string" ? NUM.exec(v) || [null, v, ""] : [null, "", ""];
  const units = F.choices.units[kind] || [];
  const num = Object.assign(document.createElement("input"), { type: "text", inputMode: "decimal", value: m[1], size: 10 });
  const unit = Object.assign(document.createElement("select"), { className: "data" });
  options(unit, units, m[2] || units[0]);
  unit.id = uid([...p, "unit"]);
  unit.setAttribute("aria-label", t("mf.unitOf", { what: label }));
  const write = () => {  // the number read here, as a number field's: "abc" refused as typed, not as "abc kg"
    const n = num.value.trim(); local(p, n === "" ? null : readNumber(n, label).problem);
    set(p, n === "" ? undefined : `${n} ${unit.value}`); edited();
  };
  num.addEventListener("input", write); unit.addEventListener("change", write);
  const div = field(p, label, num, [unit]); div.classList.add("mf-qty"); return div;
}

/** Several names from a list (processes run per item, BOM paths extracted…). */
function multiIn(p, label, values) {
  const cur = get(p) || [];
  const sel = Object.assign(document.createElement("select"), { className: "data", multiple: true, size: Math.min(5, Math.max(2, values.length)) });
  options(sel, [...new Set([...values, ...cur])], null);
  for (const o of sel.options) o.selected = cur.includes(o.value);
  sel.addEventListener("change", () => {
    const chosen = [...sel.selectedOptions].map((o) => o.value);
    set(p, chosen.length || get(p) ? chosen : undefined); edited();
  });
  return field(p, label, sel);
}

function button(text, aria, onClick, cls = "secondary") {
  const b = Object.assign(document.createElement("button"), { type: "button", className: `${cls} mf-btn`, textContent: text });
  if (aria) b.setAttribute("aria-label", aria);
  b.addEventListener("click", onClick);
  return b;
}

/** Destination → share rows (sinks, recycling yields), with rows added and removed. */
function shareMap(p, legend, keys) {
  const fs = group(p, legend);
  const map = get(p) || {};
  const list = `${uid([...p, "keys"])}`;
  const dl = Object.assign(document.createElement("datalist"), { id: list });
  dl.append(...keys.map((k) => new Option(k, k)));
  fs.append(dl);
  for (const k of Object.keys(map)) {
    const row = field([...p, k], k, shareInput([...p, k]), [button(t("mf.remove"), `${t("mf.remove")} ${k}`, () => {
      const m = { ...get(p) }; delete m[k]; set(p, m); restructured();
    })]);
    row.querySelector("label").classList.add("data");
    fs.append(row);
  }
  const name = Object.assign(document.createElement("input"), { id: uid([...p, "new"]), maxLength: 100 });
  name.setAttribute("list", list);
  const add = button(t("mf.add"), `${t("mf.add")}: ${legend}`, () => {
    const k = name.value.trim(); if (!k) return;
    set(p, { ...(get(p) || {}), [k]: 0 }); restructured();
  });
  fs.append(field([...p, "(new)"], t("mf.newKey"), name, [add]));
  return fs;
}

function shareInput(p) {
  const inp = Object.assign(document.createElement("input"), { type: "text", inputMode: "decimal", value: get(p) ?? "", size: 8 });
  inp.addEventListener("input", () => { const s = inp.value.trim(); set(p, s === "" ? undefined : Number.isNaN(Number(s)) ? s : Number(s)); edited(); });
  return inp;
}

function group(p, legend, { open = null } = {}) {
  const el = document.createElement(open === null ? "fieldset" : "details");
  el.className = "mf-group"; el.dataset.path = fmtPath(p);
  if (open === null) el.append(cell("legend", legend)); else {
    const s = cell("summary", legend); el.append(s); el.open = open;
  }
  const err = document.createElement("span"); err.className = "mf-err error"; err.setAttribute("aria-live", "polite");
  el.append(err);
  return el;
}

/** Draw a closed group's fields when it is first opened, or when a problem is to be shown in it (drawn); an
 * open one's at once. Drawn up front, a large model's form held every part's fields: 134,000 elements for 30
 * products, 14 s to lay the page out. */
const LATER = new WeakMap();
function lazily(d, draw) {
  if (d.open) { draw(); return; }
  LATER.set(d, draw); d.classList.add("mf-later");
  d.addEventListener("toggle", () => { if (d.open && drawn(d)) { showErrors(); showMasses(); } });
}
/** Draw group `d` if its fields wait (lazily); whether it did. */
function drawn(d) {
  const draw = LATER.get(d); if (!draw) return false;
  LATER.delete(d); d.classList.remove("mf-later"); draw(); return true;
}
/** Open the groups at `paths` (document paths), drawing their fields: `ok(path)` says which to open. */
function openAll(root, ok) {
  for (let again = true; again;) {  // drawing a group may bring groups inside it
    again = false;
    for (const x of root.querySelectorAll("details.mf-later")) if (ok(x.dataset.path) && drawn(x)) { x.open = true; again = true; }
  }
}

// ---- sections ------------------------------------------------------------------------------
const names = (section) => Object.keys((F.doc && F.doc[section]) || {});
function libNames(section) {
  const lib = F.choices.library || {};
  return (F.doc.uses || []).flatMap((u) => (lib[u] && lib[u][section]) || []);
}
const processNames = () => [...new Set([...names("processes"), ...libNames("processes")])];
const tr = (kind) => (x) => t(`mf.${kind}.${x}`, {}, x);

function modelSection() {
  const fs = group([], t("mf.model"));
  fs.dataset.path = "";
  fs.append(textIn(["name"], t("mf.name"), { optional: false }), textIn(["title"], t("mf.titleField")),
    selectIn(["currency"], t("mf.currency"), F.choices.currency, { optional: true, onChange: () => {
      const cur = F.doc.currency || "JPY";  // money units follow the model currency
      for (const k of ["cost", "revenue", "supply_cost"]) F.choices.units[k] = F.choices.units[k].map((u) => u.replace(/^[A-Z]{3}\//, `${cur}/`));
      restructured();
    } }),
    numberIn(["years", "start"], t("mf.yearStart"), { integer: true }), numberIn(["years", "end"], t("mf.yearEnd"), { integer: true }));
  const uses = group(["uses"], t("mf.uses"));
  for (const lib of Object.keys(F.choices.library)) {
    const box = Object.assign(document.createElement("input"), { type: "checkbox", id: uid(["uses", lib]),
      checked: (F.doc.uses || []).includes(lib) });
    box.addEventListener("change", () => {
      const cur = new Set(F.doc.uses || []); if (box.checked) cur.add(lib); else cur.delete(lib);
      set(["uses"], [...cur]); restructured();
    });
    const lab = cell("label", lib); lab.htmlFor = box.id; lab.className = "data inline";
    const d = document.createElement("div"); d.append(box, lab); uses.append(d);
  }
  fs.append(uses);
  return fs;
}

/** A collection of named entries (products, parts, processes…): one group each, added and removed. */
function entries(section, title, draw, fresh) {
  const sec = document.createElement("section"); sec.className = "mf-section";
  sec.append(cell("h5", title));
  const box = group([section], title); box.querySelector("legend").classList.add("sr-only");
  Object.keys(F.doc[section] || {}).forEach((name, i) => {
    const d = group([section, name], name, { open: i === 0 && section === "products" });
    d.querySelector("summary").classList.add("data");
    lazily(d, () => {
      draw(d, [section, name]);
      d.append(button(t("mf.removeEntry", { name }), null, () => {
        const m = { ...F.doc[section] }; delete m[name]; F.doc[section] = m; restructured();
      }, "danger"));
    });
    box.append(d);
  });
  const name = Object.assign(document.createElement("input"), { id: uid([section, "new"]), maxLength: 100, pattern: "[A-Za-z0-9_.\\-]+" });
  box.append(field([section, "(new)"], t("mf.newEntry", { what: title }), name, [button(t("mf.add"), `${t("mf.add")}: ${title}`, () => {
    const k = name.value.trim(); if (!k || (F.doc[section] || {})[k]) return;
    F.doc[section] = { ...(F.doc[section] || {}), [k]: fresh() }; restructured();
  })]));
  sec.append(box);
  return sec;
}

/** BOM lines of a product or part; a part line opens that part's own BOM (the tree). */
function bomEditor(el, p, seen) {
  const fs = group([...p, "bom"], t("mf.bom"));
  (get([...p, "bom"]) || []).forEach((line, i) => {
    const lp = [...p, "bom", i];
    const row = document.createElement("div"); row.className = "mf-row"; row.dataset.path = fmtPath(lp);
    const isPart = line && line.part != null;
    row.append(selectIn([...lp, isPart ? "part" : "material"], isPart ? t("mf.part") : t("mf.material"),
      isPart ? names("parts") : [...new Set([...names("materials"), ...libNames("materials")])]));
    row.append(isPart ? numberIn([...lp, "quantity"], t("mf.quantity")) : quantityIn([...lp, "mass"], t("mf.mass"), "mass"));
    row.append(button(t("mf.remove"), t("mf.removeLine", { n: i + 1 }), () => {
      get([...p, "bom"]).splice(i, 1); restructured();
    }));
    const err = document.createElement("span"); err.className = "mf-err error"; row.append(err);
    fs.append(row);
    if (isPart && names("parts").includes(line.part) && !seen.has(line.part)) {
      const sub = group(["parts", line.part], t("mf.partBom", { part: line.part }), { open: false });
      lazily(sub, () => bomEditor(sub, ["parts", line.part], new Set([...seen, line.part])));
      fs.append(sub);
    }
  });
  const addPart = button(t("mf.addPart"), null, () => { addLine(p, { part: names("parts")[0] || "", quantity: 1 }); });
  const addMat = button(t("mf.addMaterial"), null, () => { addLine(p, { material: names("materials")[0] || "", mass: "1 kg" }); });
  addPart.disabled = !names("parts").length;
  fs.append(addPart, " ", addMat);
  el.append(fs);
}
function addLine(p, line) { set([...p, "bom"], [...(get([...p, "bom"]) || []), line]); restructured(); }

const sinks = () => [...new Set([...processNames()])];

function lifetimeEditor(p, legend) {
  const fs = group(p, legend);
  const dist = get([...p, "distribution"]);
  fs.append(selectIn([...p, "distribution"], t("mf.distribution"), F.choices.distribution, { labelOf: tr("dist"), onChange: restructured }));
  const params = { fixed: ["mean"], normal: ["mean", "std"], lognormal: ["mean", "std"], weibull: ["scale", "shape"] }[dist] || [];
  for (const k of params) fs.append(k === "shape" ? numberIn([...p, k], t("mf.lt.shape")) : quantityIn([...p, k], t(`mf.lt.${k}`), "duration"));
  return fs;
}

/** The mass per piece the loader computes from the BOM tree (shown after each valid check). */
function massNote(kind, name) {
  const el = Object.assign(document.createElement("p"), { className: "note mf-mass" });
  el.dataset.mass = `${kind}:${name}`;
  return el;
}
function showMasses() {
  document.querySelectorAll("#mf-root [data-mass]").forEach((el) => {
    const [kind, name] = el.dataset.mass.split(/:(.*)/s);
    const kg = F.masses && F.masses[kind] && F.masses[kind][name];
    el.textContent = kg == null ? "" : t("mf.massTotal", { mass: `${fmt(kg)} kg` });
  });
}

function productEditor(d, p) {
  d.append(massNote("products", p[1]), textIn([...p, "title"], t("mf.titleField")));
  const sales = get([...p, "sales"]);
  if (sales !== null && typeof sales === "object") d.append(cell("p", t("mf.salesByYear")));
  else d.append(numberIn([...p, "sales"], t("mf.sales")));
  d.append(lifetimeEditor([...p, "lifetime"], t("mf.lifetime")));
  bomEditor(d, p, new Set());
  const eol = [...p, "eol"];
  const loops = group(eol, t("mf.loops"));
  loops.append(numberIn([...eol, "collection", "rate"], t("mf.collectionRate")),
    multiIn([...eol, "collection", "processes"], t("mf.collectionProcesses"), processNames()),
    numberIn([...eol, "reuse", "share"], t("mf.reuseShare")), numberIn([...eol, "reuse", "pass_rate"], t("mf.passRate")),
    multiIn([...eol, "dismantling", "processes"], t("mf.dismantlingProcesses"), processNames()),
    shareMap([...eol, "dismantling", "residual"], t("mf.residual"), sinks()),
    shareMap([...eol, "uncollected"], t("mf.uncollected"), sinks()));
  d.append(loops);
  (get([...p, "maintenance"]) || []).forEach((m, i) => {
    const mp = [...p, "maintenance", i];
    const fs = group(mp, t("mf.maintenance", { part: m.part || "" }));
    if (m.replacement_rate !== undefined) fs.append(numberIn([...mp, "replacement_rate"], t("mf.replacementRate")));
    fs.append(numberIn([...mp, "collection", "rate"], t("mf.collectionRate")));
    d.append(fs);
  });
}

function partEditor(d, p) {
  d.append(massNote("parts", p[1]), textIn([...p, "title"], t("mf.titleField")), quantityIn([...p, "price"], t("mf.price"), "cost"));
  bomEditor(d, p, new Set([p[1]]));
  const r = [...p, "recovery"];
  const fs = group(r, t("mf.recovery"));
  fs.append(numberIn([...r, "reuse", "share"], t("mf.reuseShare")), numberIn([...r, "reuse", "pass_rate"], t("mf.passRate")),
    numberIn([...r, "remanufacture", "share"], t("mf.remanShare")));
  d.append(fs);
}

function processEditor(d, p) {
  d.append(textIn([...p, "title"], t("mf.titleField")),
    selectIn([...p, "actor"], t("mf.actor"), [...new Set([...names("actors"), ...libNames("actors")])]),
    selectIn([...p, "stage"], t("mf.stage"), F.choices.stage, { labelOf: tr("stage") }),
    selectIn([...p, "kind"], t("mf.kind"), F.choices.kind, { optional: true, labelOf: tr("kind"), onChange: restructured }));
  for (const k of ["co2e", "energy", "cost", "revenue"]) d.append(quantityIn([...p, k], t(`mf.f.${k}`), k));
  d.append(quantityIn([...p, "distance"], t("mf.distance"), "distance"),
    selectIn([...p, "mode"], t("mf.mode"), [...new Set([...names("modes"), ...libNames("modes")])], { optional: true }),
    textIn([...p, "source"], t("mf.source"), { optional: false }));
  if (get([...p, "kind"]) === "recycling") {
    d.append(shareMap([...p, "yields"], t("mf.yields"), [...new Set([...names("materials"), ...libNames("materials")])]),
      shareMap([...p, "residue"], t("mf.residue"), sinks()));
  }
}

function materialEditor(d, p) {
  const v = [...p, "virgin"];
  d.append(textIn([...p, "title"], t("mf.titleField")),
    selectIn([...p, "buyer"], t("mf.buyer"), names("actors"), { optional: true }));
  for (const k of ["co2e", "energy", "cost"]) d.append(quantityIn([...v, k], t(`mf.virgin.${k}`), `supply_${k}`));
  d.append(textIn([...v, "source"], t("mf.virginSource"), { optional: false }));
}

function actorEditor(d, p) {
  d.append(selectIn([...p, "role"], t("mf.role"), F.choices.role, { labelOf: tr("role") }), textIn([...p, "title"], t("mf.titleField")));
}

function render() {
  if (!F.doc) return;
  const root = $("#mf-root");
  const open = new Set([...root.querySelectorAll("details[open]")].map((x) => x.dataset.path));
  const focus = document.activeElement && root.contains(document.activeElement) ? document.activeElement.id : null;
  F.ids = new Set(); F.local = new Map();
  root.replaceChildren(modelSection(),
    entries("products", t("mf.products"), productEditor, () => ({ sales: 0, lifetime: { distribution: "fixed", mean: "10 year" }, bom: [] })),
    entries("parts", t("mf.parts"), partEditor, () => ({ bom: [] })),
    entries("materials", t("mf.materials"), materialEditor, () => ({ virgin: { source: "" } })),
    entries("processes", t("mf.processes"), processEditor, () => ({ actor: names("actors")[0] || "", stage: "manufacturing", source: "" })),
    entries("actors", t("mf.actors"), actorEditor, () => ({ role: "product_maker" })));
  if (open.size) {
    openAll(root, (path) => open.has(path));
    root.querySelectorAll("details").forEach((x) => { if (open.has(x.dataset.path)) x.open = true; });
  }
  if (focus && document.getElementById(focus)) document.getElementById(focus).focus();
  showErrors(); showMasses();
}

// ---- live validation: the loader's errors next to their fields -----------------------------
function scheduleCheck() {
  F.note = null; $("#mf-status").textContent = t("doc.checking");
  clearTimeout(F.timer); F.timer = setTimeout(check, 400);
}

async function check() {
  const m = F.model; if (!m || !F.doc) return false;
  const seq = ++F.seq;
  const res = await api(`/api/models/${m.id}/form/validate`, jsonBody({ document: F.doc, base_version: F.base }));
  if (seq !== F.seq) return false;  // edited meanwhile: a newer check follows
  if (res.ok) {
    const r = await res.json();
    F.errors = []; showErrors();
    F.masses = r.masses || null; showMasses();
    if (F.local.size) { $("#mf-status").textContent = t("mf.invalid", { n: F.local.size }); return false; }
    setText($("#mf-status"), () => [F.note, t("mf.valid", { scenarios: r.scenarios.length, added: r.changes.added,
      removed: r.changes.removed })].filter(Boolean).join(" "));
    return true;
  }
  const doc = await problemOf(res);
  F.errors = res.status === 422 && Array.isArray(doc.errors) ? doc.errors : [];
  if (!F.errors.length) showProblem("#mf-errors", doc); else showErrors();
  $("#mf-status").textContent = t("mf.invalid", { n: F.errors.filter((e) => !F.local.has(e.path)).length + F.local.size });
  return false;
}

const MESSAGES = [
  [/must be between 0 and 1, got (.+)$/, "mf.err.share"],
  [/cannot read (.+?) as a quantity/, "mf.err.quantity"],
  [/has unit '(.+?)', which cannot be converted to '(.+?)'/, "mf.err.unit"],
  [/has unit '(.+?)', which is not a factor per piece/, "mf.err.factor"],
  [/^unknown (\w+) '(.+?)'/, "mf.err.unknown"],
  [/^String should have at least 1 character/, "mf.err.required"],
  [/^Field required/, "mf.err.required"],
  [/must be greater than 0/, "mf.err.positive"],
];
/** A refused field's message in the current language where its rule or form is known (else as written). */
function message(e) {
  const clean = fieldMessage(e);
  for (const [re, key] of MESSAGES) {
    const m = clean.match(re);
    if (m) return t(key, { a: m[1] || "", b: m[2] || "" }, clean);
  }
  return clean;
}

/** Each error beside the field at its path (or the nearest enclosing group); the rest above the form. */
function showErrors() {
  const root = $("#mf-root");
  root.querySelectorAll(".mf-err").forEach((e) => { e.textContent = ""; });
  root.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  const paths = [...F.local.keys(), ...F.errors.map((e) => e.path || "")];
  if (paths.length) openAll(root, (group) => paths.some((path) => within(path, group)));
  const byPath = new Map();
  for (const el of root.querySelectorAll("[data-path]")) byPath.set(el.dataset.path, [...(byPath.get(el.dataset.path) || []), el]);
  const loose = [];
  for (const e of [...[...F.local].map(([path, local]) => ({ path, local })), ...F.errors.filter((e) => !F.local.has(e.path))]) {
    let path = e.path || "", els = byPath.get(path);
    while (!els && path) { path = path.replace(/(\[\d+\]|\.?[^.[\]]+)$/, ""); els = byPath.get(path); }
    if (!els || (path === "" && e.path)) { loose.push(e); continue; }
    for (const el of els) {  // a part's BOM shows in the product's tree and under Parts
      const slot = el.querySelector(":scope > .mf-err");
      if (!slot) continue;
      slot.textContent = `${slot.textContent ? `${slot.textContent} ` : ""}${e.local || message(e)}`;
      const inp = el.querySelector(":scope > input, :scope > select");
      if (inp) inp.setAttribute("aria-invalid", "true");
      for (let d = el.closest("details"); d; d = d.parentElement.closest("details")) d.open = true;
    }
  }
  $("#mf-errors").replaceChildren(...loose.map((e) => {
    const li = document.createElement("li");
    const code = cell("code", e.path || t("err.document"));
    li.append(code, `: ${e.local || message(e)}`); return li;
  }));
}

// ---- load, save --------------------------------------------------------------------------
async function loadForm(m) {
  F.model = m; F.doc = null; F.errors = [];
  $("#mf-form").hidden = !m.owner;
  if (!m.owner) return;
  const res = await api(`/api/models/${m.id}/form?version=${m.version}`);
  if (!res.ok || !state.model || state.model.id !== m.id) return;
  const form = await res.json();
  F.doc = form.document; F.choices = form.choices; F.base = form.version;
  render();
  check();  // the masses, and the status against this version
  if (F.openNext === m.id) {  // just created from a template: straight into the form
    F.openNext = null;
    $("#workspace").open = true;
    F.note = t("mf.created", { name: m.name }); $("#mf-status").textContent = F.note;
    $("#mf-title").scrollIntoView(); $("#mf-root input").focus();
  }
}

// Enter in a field never submits the whole form: it adds the row when the field names a new one
$("#mf-root").addEventListener("keydown", (ev) => {
  if (ev.key !== "Enter" || ev.target.tagName !== "INPUT") return;
  ev.preventDefault();
  const add = ev.target.parentElement.querySelector(":scope > button.mf-btn");
  if (add && ev.target.id.endsWith("_new")) add.click();
});

function resetForm() {
  F.model = null; F.doc = null; F.errors = []; F.note = null; F.masses = null; clearTimeout(F.timer);
  $("#mf-root").replaceChildren(); $("#mf-status").textContent = ""; $("#mf-errors").replaceChildren();
  $("#mf-comment").value = "";
}

$("#mf-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const m = F.model; if (!m || !F.doc) return;
  clearTimeout(F.timer);
  if (!(await check())) return;
  const res = await api(`/api/models/${m.id}/form`, jsonBody({ document: F.doc, base_version: F.base,
    comment: $("#mf-comment").value.trim() || null }, "PUT"));
  if (!res.ok) { showProblem("#mf-errors", await problemOf(res)); return; }
  const saved = await res.json();
  state.model = null;  // reload at the new version
  const { showModel } = await import("./model.js");
  await showModel(m.id);
  F.note = t("doc.saved", { version: saved.latest_version }); $("#mf-status").textContent = F.note;
});

/** After a language switch: the labels (the document being edited stays). */
function redrawForm() { render(); }

export { loadForm, redrawForm, resetForm };
