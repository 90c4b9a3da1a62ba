// A model's parameters (the shares and rates a scenario form edits): labelled in words, holding the selected
// scenario's values. A long list is shown in groups — products and parts, then each product or part — whose
// fields are made when a group is first opened (model.js reads and marks the fields there are).
import { fmt, state, t } from "./core.js";
import { within } from "./form_doc.js";

/** Parameters above this many are grouped: 8,500 fields of a 100-product model took seconds to lay out,
 * and a list that long cannot be read anyway. */
const GROUPED_ABOVE = 120;

const PARAM_WORDS = [
  [/^products\.(\w+)\.maintenance\[\d+\]\.replacement_rate$/, "param.replacementRate", "product"],
  [/^products\.(\w+)\.maintenance\[\d+\]\.collection\.rate$/, "param.maintenanceCollection", "product"],
  [/^products\.(\w+)\.eol\.collection\.rate$/, "param.eolCollection", "product"],
  [/^parts\.(\w+)\.recovery\.reuse\.share$/, "param.reuseShare", "part"],
  [/^parts\.(\w+)\.recovery\.reuse\.pass_rate$/, "param.reusePass", "part"],
  [/^parts\.(\w+)\.recovery\.(\w+)\.share$/, "param.recoveryShare", "part"],
];

/** The value network's node names by id, made once per graph (a map per parameter made a 2,000-part
 * model's page take minutes: thousands of parameters × thousands of nodes). */
const namesOf = new WeakMap();
function nodeNames(graph) {
  if (!graph) return {};
  if (!namesOf.has(graph)) namesOf.set(graph, Object.fromEntries((graph.nodes || []).map((n) => [n.id, n.label])));
  return namesOf.get(graph);
}

/** "End-of-life collection rate: Automated teller machine (0–1)" above the document path. */
function paramWords(path) {
  const nodes = nodeNames(state.model && state.model.graph);
  for (const [re, key, kind] of PARAM_WORDS) {
    const m = path.match(re);
    if (m) return t(key, { item: nodes[`${kind}:${m[1]}`] || m[1], route: m[2] || "" });
  }
  return path;
}

function labelParam(label) {
  const code = document.createElement("code"); code.textContent = label.dataset.path;
  const words = document.createElement("span"); words.textContent = `${paramWords(label.dataset.path)} ${t("param.range")}`;
  label.replaceChildren(words, document.createElement("br"), code);
}

/** The labels and group titles in the current language. */
function labelParams() {
  document.querySelectorAll("#params .param label").forEach(labelParam);
  document.querySelectorAll("#params summary[data-title]").forEach(title);
  const search = document.querySelector("#params .param-search");
  if (search) { search.querySelector("label").textContent = t("params.search"); found(search.parentElement); }
}

const P = { values: {}, made: 0, onInput: () => {} };  // the selected scenario's values by path; fields made
const LATER = new WeakMap();  // a group whose fields (or inner groups) wait → what makes them

function makeParam(p) {
  const div = document.createElement("div"); div.className = "param";
  const id = `param-${P.made++}`;
  const label = document.createElement("label"); label.htmlFor = id; label.dataset.path = p.path;
  const input = Object.assign(document.createElement("input"), { id, type: "number", min: 0, max: 1, step: "any" });
  input.dataset.path = p.path;
  input.value = P.values[p.path] ?? p.value; input.dataset.original = input.value;
  input.addEventListener("input", () => { delete input.dataset.typedText; P.onInput(input); });
  // a number field drops letters as they are typed ("NaN" leaves it empty): remembered, so that Run
  // says the value is not a number instead of running without the edit
  input.addEventListener("keydown", (ev) => { if (/^[^\d.,eE+-]$/.test(ev.key)) input.dataset.typedText = "1"; });
  labelParam(label);
  div.append(label, input);
  return div;
}

/** A group's title: its products or parts (and how many parameters), or one product's or part's name. */
function title(summary) {
  const { title: kind, key, count } = summary.dataset;
  const nodes = nodeNames(state.model && state.model.graph);
  const name = nodes[`${key.split(".")[0] === "products" ? "product" : "part"}:${key.slice(key.indexOf(".") + 1)}`] || key;
  summary.dataset.name = name;
  summary.textContent = kind === "section" ? t(`params.${key}`, { n: fmt(Number(count)) }) : `${name} (${count})`;
}

function group(key, kind, count, make) {
  const d = Object.assign(document.createElement("details"), { className: "param-group" });
  d.dataset.group = key;
  const s = document.createElement("summary"); Object.assign(s.dataset, { title: kind, key, count: String(count) });
  title(s); d.append(s);
  LATER.set(d, make);
  d.addEventListener("toggle", () => { if (d.open) drawn(d); });
  return d;
}

function drawn(d) {
  const make = LATER.get(d); if (!make) return;
  LATER.delete(d); d.append(...make());
}

/** The entity (product or part) of each parameter: the longest known name its path starts with. */
function entityOf(path, names) {
  const dot = path.indexOf("."), section = path.slice(0, dot);
  for (let end = path.length; (end = path.lastIndexOf(".", end - 1)) > dot;) {
    if (names.has(`${section}.${path.slice(dot + 1, end)}`)) return `${section}.${path.slice(dot + 1, end)}`;
  }
  return path;
}

/** Fill `box` with the model's parameters (`onInput(field)` after each edit): one field each, or for a long
 * list, groups per section and per product or part whose fields are made when opened. */
function listParams(box, m, onInput) {
  P.values = {}; P.made = 0; P.onInput = onInput;
  clearParams(box);
  if (m.parameters.length <= GROUPED_ABOVE) { box.append(...m.parameters.map(makeParam)); return; }
  const names = new Set((m.graph.nodes || []).flatMap((n) => (n.kind === "product" ? [`products.${n.id.slice(8)}`]
    : n.kind === "part" ? [`parts.${n.id.slice(5)}`] : [])));
  const sections = new Map();
  for (const p of m.parameters) {
    const sec = p.path.slice(0, p.path.indexOf(".")), key = entityOf(p.path, names);
    if (!sections.has(sec)) sections.set(sec, new Map());
    const ents = sections.get(sec); if (!ents.has(key)) ents.set(key, []); ents.get(key).push(p);
  }
  box.append(searchBox(box));
  for (const [sec, ents] of sections) {
    box.append(group(sec, "section", ents.size, () => [...ents].map(([key, ps]) => group(key, "entity", ps.length, () => ps.map(makeParam)))));
  }
}

/** A search box over the groups: the products and parts whose name or title holds the text stay shown (their
 * section opened), the others are hidden, and a line says how many match. */
function searchBox(box) {
  const wrap = Object.assign(document.createElement("div"), { className: "param-search" });
  const input = Object.assign(document.createElement("input"), { type: "search", id: "param-search", maxLength: 200 });
  const label = Object.assign(document.createElement("label"), { htmlFor: input.id, textContent: t("params.search") });
  const said = Object.assign(document.createElement("span"), { className: "note", role: "status" });
  input.addEventListener("input", () => found(box));
  wrap.append(label, input, said);
  return wrap;
}

function found(box) {
  const q = box.querySelector("#param-search").value.trim().toLowerCase();
  let shown = 0, all = 0;
  for (const sec of box.querySelectorAll(":scope > .param-group")) {
    if (q) drawn(sec);  // its groups, to be searched
    let here = 0;
    for (const d of sec.querySelectorAll(":scope > .param-group")) {
      const hit = !q || d.dataset.group.toLowerCase().includes(q) || d.querySelector("summary").dataset.name.toLowerCase().includes(q);
      d.hidden = !hit; all += 1; here += hit;
    }
    shown += here;
    if (q) sec.open = here > 0;
  }
  box.querySelector(".param-search .note").textContent = q ? t("params.found", { n: fmt(shown), of: fmt(all) }) : "";
}

/** The selected scenario's `values` (path → value) in the fields there are, and in those made later. */
function scenarioValues(values) {
  P.values = values;
  document.querySelectorAll("#params .param input").forEach((inp) => {
    const v = values[inp.dataset.path];
    inp.value = v; inp.dataset.original = v; delete inp.dataset.typedText;
  });
}

/** Open the groups holding the parameter at `path`, making its field. */
function openParam(path) {
  for (let again = true; again;) {  // opening a section makes the groups inside it
    again = false;
    for (const d of document.querySelectorAll("#params .param-group")) {
      if (within(path, d.dataset.group) && (LATER.has(d) || !d.open)) { drawn(d); d.open = true; again = true; }
    }
  }
}

/** Take the parameter list out of `box` (fields, groups, search box). */
function clearParams(box) { box.querySelectorAll(".param, .param-group, .param-search").forEach((n) => n.remove()); }

export { clearParams, labelParams, listParams, openParam, paramWords, scenarioValues };
