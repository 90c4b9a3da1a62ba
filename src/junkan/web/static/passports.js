// Passports page: grade an uploaded grading document (the items' grades against each criteria set, the
// classes of ranked families), download one item's passport (AAS, Battery Pass, Battery Pass as AAS: the
// file `junkan passport export` writes), and read a passport file back into its grading record with the
// attributes junkan's Battery Pass subset ignores. A refused document lists its problems per field, in
// the user's language where the rule has a code (core.js fieldMessage).
import { $, api, fieldMessage, problemOf, richTable, setText, show, showProblem, t } from "./core.js";
import { checked } from "./fieldnotes.js";
import { markRefused } from "./formcheck.js";

const pp = { doc: null, grades: null, record: null, problems: {} };

async function showPassports() {
  show("passports");
  redrawPassports();
}

/** Everything shown again in the current language: results and problems alike. */
function redrawPassports() {
  if (pp.grades) drawGrades();
  if (pp.record) drawRecord();
  for (const [sel, doc] of Object.entries(pp.problems)) showProblem(sel, doc);
}

/** The input a refusal shown in `sel` is about: the file (the import's submodel field when its problem names it). */
function inputOf(sel, doc) {
  if (sel === "#pp-errors") return "#pp-doc";
  if (sel === "#pp-export-errors") return "#pp-item";
  const submodel = (doc?.errors || []).some((e) => /^submodel/.test(String(e.path ?? "")));
  return submodel && $("#pp-submodel").value.trim() ? "#pp-submodel" : "#pp-file";
}

/** The fields of each form by the query parameter a refusal names them by. */
const FIELDS = { "#pp-errors": { as_of: "pp-asof" }, "#pp-export-errors": { item: "pp-item", format: "pp-format", as_of: "pp-asof" },
  "#pp-import-errors": { submodel: "pp-submodel", format: "pp-import-format" } };

/** Show (and keep, for a language switch) the problem document of a refusal, or clear it; the input it is
 * about is marked aria-invalid and described by the problem list, as on the other pages, and a refused
 * field (a query parameter the form sets) is said beside that field too, until it is edited. */
function problem(sel, doc) {
  if (doc) { pp.problems[sel] = doc; showProblem(sel, doc); } else { delete pp.problems[sel]; $(sel).replaceChildren(); }
  for (const id of Object.values(FIELDS[sel])) checked($(`#${id}`), () => null);  // what an earlier refusal said beside it
  const inputs = sel === "#pp-import-errors" ? ["#pp-file", "#pp-submodel"] : [inputOf(sel, doc)];
  for (const inp of inputs) { $(inp).removeAttribute("aria-invalid"); $(inp).removeAttribute("aria-describedby"); }
  if (doc) { const inp = $(inputOf(sel, doc)); inp.setAttribute("aria-invalid", "true"); inp.setAttribute("aria-describedby", sel.slice(1)); }
  if (doc) markRefused(doc, FIELDS[sel]);
}

/** After a request, the button is enabled again and, when it had the focus (lost while it was disabled,
 * unless the user has moved on meanwhile), gets it back. */
function release(button, hadFocus) {
  button.disabled = false;
  const now = document.activeElement;
  if (hadFocus && (!now || now === document.body || now === button)) button.focus();
}

/** A file as a multipart upload. */
function upload(file) { const fd = new FormData(); fd.append("file", file); return { method: "POST", body: fd }; }

// ---- grade ------------------------------------------------------------------------------------
$("#pp-grade-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = $("#pp-doc").files[0];
  if (!file) return;
  problem("#pp-errors", null); problem("#pp-export-errors", null);
  $("#pp-export-status").textContent = "";
  setText($("#pp-status"), () => t("pp.grading"));
  const button = $("#pp-grade"); const hadFocus = document.activeElement === button;
  button.disabled = true;
  try {
    const asOf = $("#pp-asof").value;
    const res = await api(`/api/passports/grade${asOf ? `?as_of=${encodeURIComponent(asOf)}` : ""}`, upload(file));
    $("#pp-status").textContent = "";
    if (!res.ok) {
      pp.grades = null; pp.doc = null; $("#pp-result").hidden = true;
      problem("#pp-errors", await problemOf(res));
      return;
    }
    pp.grades = await res.json(); pp.doc = { file, asOf };
    drawGrades();
  } finally { release(button, hadFocus); }
});

function drawGrades() {
  const g = pp.grades;
  $("#pp-result").hidden = false;
  $("#pp-summary").textContent = t("pp.summary", { n: g.items.length, sets: g.criteria.length, date: g.as_of });
  const rows = g.grades.map((r) => [r.item, `${r.criteria} (${r.version})`, metSaid(r.met),
    r.failed.length ? whyNot(r).join("; ") : "–"]);
  richTable($("#pp-grades"), [t("pp.col.item"), t("pp.col.criteria"), t("pp.col.met"), t("pp.col.failed")], rows, [],
    [0, 1, 3]);
  $("#pp-classes").replaceChildren(...Object.entries(g.classes || {}).map(([family, cls]) => {
    const li = document.createElement("li");
    const better = (g.better_unknown || {})[family] || [];  // a better class not known (review 307)
    const said = (i) => (better[i] || []).map((b) => t("pp.betterUnknown", { criteria: b.criteria,
      measure: b.unmeasured.join(t("val.listSep")), class: b.class })).join(t("val.listSep"));
    const noClass = (it) => t("pp.noClass", { material: it.material ?? "?" });  // another material
    li.textContent = t("pp.classes", { family, list: g.items.map((it, i) => cls[i] === null
      ? `${it.id} → ${noClass(it)}` : `${it.id} → ${cls[i]}`
      + (said(i) ? ` (${said(i)})` : "")).join(t("val.listSep")) });
    return li;
  }));
  const sel = $("#pp-item"); const was = sel.value;
  sel.replaceChildren(...g.items.map((it) => Object.assign(document.createElement("option"), { value: it.id, textContent: it.id })));
  if (g.items.some((it) => it.id === was)) sel.value = was;
}

/** A verdict in words: met, not met, or unknown (null: a limit reads a value the item does not give). */
function metSaid(met) {
  return met === true ? t("pp.yes") : met === false ? t("pp.no") : t("pp.unknown");
}

/** The failed rules of a row in the page's language: each by its code and parameters where the catalogue
 * has it, else as the service says it. */
function whyNot(row) {
  return row.failed.map((text, k) => {
    const why = (row.reasons || [])[k];
    return why ? fieldMessage({ type: why.code, ctx: why.params, message: text }) : text;
  });
}

// ---- export -----------------------------------------------------------------------------------
$("#pp-export-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!pp.doc || !pp.grades) return;
  const id = $("#pp-item").value; const format = $("#pp-format").value;
  const item = pp.grades.items.find((it) => it.id === id);
  if (!item) return;
  const name = item.files[format];
  problem("#pp-export-errors", null);
  setText($("#pp-export-status"), () => t("pp.downloading", { name }));
  const q = new URLSearchParams({ item: id, format });
  if (pp.doc.asOf) q.set("as_of", pp.doc.asOf);
  const res = await api(`/api/passports/export?${q}`, upload(pp.doc.file));
  if (!res.ok) { $("#pp-export-status").textContent = ""; problem("#pp-export-errors", await problemOf(res)); return; }
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  setText($("#pp-export-status"), () => t("pp.downloaded", { name }));
});

// ---- import -----------------------------------------------------------------------------------
$("#pp-import-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = $("#pp-file").files[0];
  if (!file) return;
  problem("#pp-import-errors", null);
  setText($("#pp-import-status"), () => t("pp.reading"));
  const button = $("#pp-read"); const hadFocus = document.activeElement === button;
  button.disabled = true;
  try {
    const q = new URLSearchParams({ format: $("#pp-import-format").value });
    const submodel = $("#pp-submodel").value.trim();
    if (submodel) q.set("submodel", submodel);
    const res = await api(`/api/passports/import?${q}`, upload(file));
    $("#pp-import-status").textContent = "";
    if (!res.ok) {
      pp.record = null; $("#pp-record").hidden = true;
      problem("#pp-import-errors", await problemOf(res));
      return;
    }
    pp.record = await res.json();
    drawRecord();
  } finally { release(button, hadFocus); }
});

function drawRecord() {
  const { record: r, format, unmapped } = pp.record;
  const total = pp.record.unmapped_total ?? unmapped.length;
  $("#pp-record").hidden = false;
  $("#pp-record-summary").textContent = t("pp.record", { id: r.id, kind: t(`pp.kind.${r.kind}`, {}, r.kind),
    material: [r.material.name, r.material.family].filter(Boolean).join(" / "), format: t(`pp.fmt.${format}`, {}, format) });
  const props = Object.entries(r.properties || {}).map(([k, v]) => [k, String(v.value), v.method || "–"]);
  richTable($("#pp-record-props"), [t("pp.col.property"), t("pp.col.value"), t("pp.col.method")], props, [], [0, 1, 2]);
  $("#pp-record-props").hidden = !props.length;
  const grades = (r.grades || []).filter((g) => g.criteria).map((g) => [`${g.criteria} (${g.version})`,
    metSaid(g.met), (g.failed || []).length ? g.failed.join("; ") : "–"]);
  richTable($("#pp-record-grades"), [t("pp.col.criteria"), t("pp.col.met"), t("pp.col.failed")], grades, [], [0, 2]);
  $("#pp-record-grades").hidden = !grades.length;
  $("#pp-record-nogrades").hidden = grades.length > 0;
  const items = total ? unmapped : [t("pp.noUnmapped")];
  $("#pp-unmapped").replaceChildren(...items.map((p) => Object.assign(document.createElement("li"), { textContent: p })));
  $("#pp-unmapped-more").hidden = total <= unmapped.length;
  $("#pp-unmapped-more").textContent = total > unmapped.length ? t("pp.unmappedMore", { more: total - unmapped.length, total }) : "";
  $("#pp-record-json").textContent = JSON.stringify(r, null, 2);
}

export { redrawPassports, showPassports };
