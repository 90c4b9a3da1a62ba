// Reports and Solar panels pages (issue 24, items 2, 3, 6): a recycled-content periodic report of the
// shipped plan (its maker set to the user's organisation) from the caller's own ledger accounts, with
// the filing layout (CSV) and report page to download; a disclosure pack (ESRS E5, CTI, ISO 59020) with
// its inline XBRL; the solar-panel registry kept by the service as the user's organisation sees it (its
// roles, each with its fields), and registering panel models and installations in it, handing panels over
// (owner) and reporting their treatment (certified recycler).
import { $, api, fmt, fmtPct, formulaText, indicatorValue, jsonBody, jsonError, longTask, plot, problemOf, richTable, show,
  showMessages, showProblem, staticExample, state, t } from "./core.js";
import { markField, markRefused } from "./formcheck.js";

const pl = { me: null, report: null, pack: null, solar: null, granted: {}, urls: {} };
const PERIOD = /^(FY\d{4}|\d{4}|\d{4}Q[1-4])$/;

const send = (text, signal) => ({ method: "POST", signal, headers: { "Content-Type": "application/json" }, body: text });

/** Why text area `sel` holds no JSON document, in the page's language; null when it holds one. */
function notJson(sel) {
  try {
    const doc = JSON.parse($(sel).value);
    return doc && typeof doc === "object" && !Array.isArray(doc) ? null : t("pl.badJson", { msg: "{…}" });
  } catch { return t("pl.badJson", { msg: jsonError($(sel).value) }); }
}

/** Say `problem` (from `check()`, asked again as the field is edited) beside field `sel` and in the list
 * `errors`; true when there is none. */
function fine(sel, errors, check) {
  const problem = check();
  markField($(sel), problem ? check : null);
  if (problem) showMessages(errors, [problem]);
  return !problem;
}

/** A JSON document typed in a text area, or null after showing why it is not one. */
const parsed = (sel, errors) => (fine(sel, errors, () => notJson(sel)) ? JSON.parse($(sel).value) : null);

/** Put `text` behind the download link `sel` (revoking the link's previous file). */
function link(sel, text, type) {
  if (pl.urls[sel]) URL.revokeObjectURL(pl.urls[sel]);
  pl.urls[sel] = URL.createObjectURL(new Blob([text], { type }));
  $(sel).href = pl.urls[sel];
}

async function me() { pl.me = await (await api("/api/me")).json(); return pl.me; }

// ---- periodic report ---------------------------------------------------------------------
async function showReports() {
  show("reports");
  const who = await me();
  if (!$("#rp-plan").value) $("#rp-plan").value = JSON.stringify({ ...(await staticExample("policy_plan")), maker: who.organisation }, null, 1);
  if (!$("#dp-doc").value) $("#dp-doc").value = JSON.stringify(await staticExample("policy_pack"), null, 1);
  if (pl.report) drawReport(pl.report);
  if (pl.pack) drawPack(pl.pack);
}

$("#rp-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#rp-errors").replaceChildren();
  const period = $("#rp-period").value.trim();
  if (!fine("#rp-period", "#rp-errors", () => (PERIOD.test($("#rp-period").value.trim()) ? null : t("rp.badPeriod")))) return;
  const plan = parsed("#rp-plan", "#rp-errors"); if (!plan) return;
  $("#rp-result").hidden = true; pl.report = null;
  const q = `/api/policy/reports?period=${encodeURIComponent(period)}&lang=${state.lang}`;
  const text = JSON.stringify(plan);
  const out = await longTask({ status: $("#rp-status"), start: $("#rp-run"), cancel: $("#rp-cancel"), bar: $("#rp-progress"),
    what: () => t("rp.running") }, async (signal) => {
    const res = await api(q, send(text, signal));
    if (!res.ok) return { problem: await problemOf(res) };
    const [csv, html] = await Promise.all([api(`${q}&format=csv`, send(text, signal)), api(`${q}&format=html`, send(text, signal))]);
    return { doc: await res.json(), csv: csv.ok ? await csv.text() : null, html: html.ok ? await html.text() : null };
  });
  if (!out) return;
  $("#rp-status").textContent = "";
  if (out.problem) { showProblem("#rp-errors", out.problem); return; }
  // a byte-order mark: Excel (Japanese Windows) reads a CSV without one as Shift_JIS
  if (out.csv) link("#rp-csv", "\ufeff" + out.csv, "text/csv;charset=utf-8");
  $("#rp-csv").hidden = !out.csv;
  if (out.html) link("#rp-html", out.html, "text/html"); $("#rp-html").hidden = !out.html;
  pl.report = out.doc;
  drawReport(pl.report);
});

const kg = (v) => (v == null ? "–" : fmt(v));
/** Why a row falls short of the plan, in the page's language, from the row's figures. */
function gapText(p) {
  const why = [];
  if (!p.lots) why.push(t("rp.gap.noClaims"));
  if (p.gap_points > 0) why.push(t("rp.gap.share", { points: fmt(p.gap_points), target: fmtPct(p.target_share) }));
  if (p.target_kg != null && p.recycled_kg < p.target_kg) why.push(t("rp.gap.mass", { kg: fmt(p.target_kg - p.recycled_kg) }));
  if (p.uncovered_claims) why.push(t("rp.gap.uncovered", { n: fmt(p.uncovered_claims) }));
  return why.join("; ") || t("rp.gap.none");
}

function drawReport(r) {
  $("#rp-result").hidden = false;
  const short = r.products.filter((p) => p.gap_points > 0 || (p.target_kg != null && p.recycled_kg < p.target_kg)).length;
  $("#rp-summary").textContent = t("rp.summary", { maker: r.maker, period: r.period, quarters: r.quarters.join(", "),
    rows: r.products.length, short, accounts: r.accounts.length });
  richTable($("#rp-table"), [t("rp.col.product"), t("rp.col.category"), t("rp.col.characteristic"), t("rp.col.recycled"), t("rp.col.basis"),
    t("rp.col.share"), t("rp.col.target"), t("rp.col.lots"), t("rp.col.custody"), t("rp.col.gap")],
  r.products.map((p) => [`${p.name} (${p.product})`, p.category, t(`rp.ch.${p.characteristic}`, {}, p.characteristic), kg(p.recycled_kg),
    kg(p.basis_kg), p.share == null ? "–" : fmtPct(p.share),
    [p.target_share != null ? fmtPct(p.target_share) : "", p.target_kg != null ? `${fmt(p.target_kg)} kg` : ""].filter(Boolean).join(", ") || "–",
    fmt(p.lots), (p.custody || []).map((m) => t(`rp.custody.${m}`, {}, m)).join(", ") || "–", gapText(p)]), [3, 4, 5, 6, 7], [0, 1]);
  // each product's claims in the ledger, each lot a link to its page (footprint, genealogy)
  const items = Object.entries(r.evidence || {}).filter(([, cs]) => cs.length).map(([product, cs]) => {
    const li = document.createElement("li");
    li.append(`${product}: `);
    cs.forEach((c, i) => {
      if (i) li.append(", ");
      const a = Object.assign(document.createElement("a"), { href: `#/trace/lots/${encodeURIComponent(c.lot)}`, textContent: c.lot });
      a.classList.add("data");
      li.append(a, ` (${kg(c.mass_kg)} kg)`);
    });
    return li;
  });
  $("#rp-evidence").replaceChildren(...items);
  $("#rp-evidence-box").hidden = !items.length;
}

// ---- disclosure pack ---------------------------------------------------------------------
$("#dp-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#dp-errors").replaceChildren();
  const doc = parsed("#dp-doc", "#dp-errors"); if (!doc) return;
  $("#dp-result").hidden = true; pl.pack = null;
  const q = `/api/policy/disclosure?lang=${state.lang}`;
  const text = JSON.stringify(doc);
  const out = await longTask({ status: $("#dp-status"), start: $("#dp-run"), cancel: $("#dp-cancel"), bar: $("#dp-progress"),
    what: () => t("dp.running") }, async (signal) => {
    const res = await api(q, send(text, signal));
    if (!res.ok) return { problem: await problemOf(res) };
    const [x, h] = await Promise.all([api(`${q}&format=xhtml`, send(text, signal)), api(`${q}&format=html`, send(text, signal))]);
    return { doc: await res.json(), xhtml: x.ok ? await x.text() : null, html: h.ok ? await h.text() : null };
  });
  if (!out) return;
  $("#dp-status").textContent = "";
  if (out.problem) { showProblem("#dp-errors", out.problem); return; }
  if (out.xhtml) link("#dp-xhtml", out.xhtml, "application/xhtml+xml"); $("#dp-xhtml").hidden = !out.xhtml;
  if (out.html) link("#dp-html", out.html, "text/html"); $("#dp-html").hidden = !out.html;
  pl.pack = out.doc;
  drawPack(pl.pack);
});

function drawPack(p) {
  $("#dp-result").hidden = false;
  $("#dp-summary").textContent = t("dp.summary", { company: p.company.name, start: p.period.start, end: p.period.end });
  const box = $("#dp-tables"); box.replaceChildren();
  for (const [key, title] of [["esrs_e5", "dp.esrs"], ["cti", "dp.cti"], ["iso59020", "dp.iso"]]) {
    const rows = p[key]; if (!Array.isArray(rows) || !rows.length) continue;
    const h = Object.assign(document.createElement("h4"), { id: `dp-h-${key}`, textContent: t(title) });
    const tb = document.createElement("table"); tb.setAttribute("aria-labelledby", h.id);
    richTable(tb, [t("dp.col.indicator"), t("dp.col.value"), t("dp.col.formula"), t("dp.col.source")],
      rows.map((i) => [t(`indname.${i.key}`, {}, i.key), indicatorValue(i), formulaText(i), i.source]), [1], [2, 3]);
    box.append(h, tb);
  }
}

// ---- solar panels: the registry the service keeps ------------------------------------------
// The page reads and writes the stored registry (/api/policy/solar/registry): the installations the
// user's organisation has a role for, with each role's fields; its panel models; and it registers new
// models (as their maker) and installations (as their owner), hands panels over to a dismantler or recycler
// (as the owner) and reports their treatment (as a certified recycler they were handed to). Roles an operator
// grants (municipality, certified recycler) are shown, never chosen here.
const REG = "/api/policy/solar/registry";
const ROLES = ["maker", "owner", "municipality", "dismantler", "recycler"];
const TECH = ["c-Si", "CIS/CIGS", "CdTe", "other"];
const techName = (v) => (v === "other" ? t("so.tech.other") : v);  // the others are the technologies' names
const SUBSTANCES = ["Pb", "Cd", "As", "Se", "Sb"];
const LIMIT = 1000;
/** A model number or installation name as the service takes it (escaped for the `v`-flag patterns of forms). */
const ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9._:\\/\\-]{0,79}";

const el = (tag, props = {}, ...kids) => { const e = Object.assign(document.createElement(tag), props); e.append(...kids); return e; };
/** A label (translated now and on a language change) and its control. */
function field(id, key, control) {
  control.id = id;
  const label = el("label", { htmlFor: id, textContent: t(key) });
  label.dataset.i18n = key;
  return [label, control];
}
const input = (props) => el("input", props);
const withList = (e, id) => { e.setAttribute("list", id); return e; };
const select = (values, text, i18n = {}) => el("select", {}, ...values.map((v) => {
  const o = el("option", { value: v, textContent: text(v) }); if (i18n[v]) o.dataset.i18n = i18n[v]; return o; }));
const submit = (id, key) => { const b = el("button", { id, type: "submit", textContent: t(key) }); b.dataset.i18n = key; return b; };
const errorList = (id) => el("ul", { id, className: "error" });

/** The page's controls, made once: the view's (as of, role), a model's and an installation's forms. */
function buildSolar() {
  if ($("#so-date")) return;
  const keep = ["#so-run", "#so-cancel", "#so-progress", "#so-status", "#so-errors"].map($);
  $("#so-errors").setAttribute("aria-live", "assertive");
  const as = $("#so-as");
  $("#so-form").replaceChildren(el("p", { id: "so-granted" }), ...field("so-date", "so.date", input({ type: "date" })),
    $("#so-form label[for=so-as]") || el("label", { htmlFor: "so-as" }), as, ...keep);
  $("#so-form label[for=so-as]").dataset.i18n = "so.as";
  const mf = el("form", { id: "so-model-form" },
    ...field("so-m-name", "so.m.name", input({ required: true, maxLength: 80, pattern: ID_PATTERN })),
    ...field("so-m-tech", "so.col.technology", select(TECH, techName, { other: "so.tech.other" })),
    ...field("so-m-mass", "so.col.unitMass", input({ type: "number", required: true, min: "0.001", max: "1000", step: "any" })),
    ...field("so-m-glass", "so.m.glass", input({ type: "number", required: true, min: "0", max: "100", step: "any" })),
    ...field("so-m-subst", "so.m.substances", el("textarea", { rows: 3, spellcheck: false, className: "pl-doc" })),
    submit("so-m-run", "so.m.submit"), el("span", { id: "so-m-status", role: "status" }), errorList("so-m-errors"));
  const inf = el("form", { id: "so-inst-form" },
    ...field("so-i-name", "so.i.name", input({ required: true, maxLength: 80, pattern: ID_PATTERN })),
    ...field("so-i-maker", "so.i.maker", input({ required: true, maxLength: 200 })),
    ...field("so-i-model", "so.i.model", withList(input({ required: true, maxLength: 80 }), "so-i-models")),
    el("datalist", { id: "so-i-models" }),
    ...field("so-i-code", "so.i.municipality", input({ required: true, pattern: "\\d{5}", inputMode: "numeric", maxLength: 5 })),
    ...field("so-i-address", "so.i.address", input({ maxLength: 500 })),
    ...field("so-i-count", "so.col.count", input({ type: "number", required: true, min: "1", max: "100000000", step: "1" })),
    ...field("so-i-start", "so.i.commissioned", input({ type: "date", required: true })),
    ...field("so-i-eob", "so.i.eob", input({ type: "date" })),
    submit("so-i-run", "so.i.submit"), el("span", { id: "so-i-status", role: "status" }), errorList("so-i-errors"));
  const details = (id, key, form) => { const s = el("summary", { textContent: t(key) }); s.dataset.i18n = key; return el("details", { id }, s, form); };
  const [hf, tf] = entryForms();
  $("#so-result").after(details("so-add-model", "so.addModel", mf), details("so-add-inst", "so.addInst", inf),
    details("so-hand", "so.handover", hf), details("so-treat", "so.treat", tf));
  $("#so-hand").hidden = true; $("#so-treat").hidden = true;
  // checked by the page (formcheck.js), in its language beside each field: no browser bubble
  for (const f of [mf, inf, hf, tf]) { f.noValidate = true; f.dataset.check = ""; }
  mf.addEventListener("submit", addModel);
  inf.addEventListener("submit", addInstallation);
  hf.addEventListener("submit", handOver);
  tf.addEventListener("submit", reportTreatment);
}

const count = () => input({ type: "number", required: true, min: "1", max: "100000000", step: "1" });

/** The forms of the registry's entries on an installation: the owner's handover to a dismantler or recycler,
 * a certified recycler's treatment report. Each is shown only where the view gives the role that may send it. */
function entryForms() {
  const hf = el("form", { id: "so-hand-form" },
    ...field("so-h-inst", "so.h.installation", el("select", { required: true })),
    ...field("so-h-to", "so.h.to", input({ required: true, maxLength: 200 })),
    ...field("so-h-role", "so.h.role", el("select")),
    ...field("so-h-count", "so.col.count", count()),
    ...field("so-h-date", "so.h.date", input({ type: "date", required: true })),
    submit("so-h-run", "so.h.submit"), el("span", { id: "so-h-status", role: "status" }), errorList("so-h-errors"));
  const tf = el("form", { id: "so-treat-form" },
    ...field("so-t-inst", "so.h.installation", el("select", { required: true })),
    ...field("so-t-count", "so.col.count", count()),
    ...field("so-t-date", "so.t.date", input({ type: "date", required: true })),
    ...field("so-t-method", "so.t.method", input({ required: true, maxLength: 500 })),
    ...field("so-t-recovered", "so.t.recovered", el("textarea", { rows: 3, spellcheck: false, className: "pl-doc" })),
    ...field("so-t-disposed", "so.t.disposed", input({ type: "number", min: "0", max: "10000000000", step: "any", value: "0" })),
    submit("so-t-run", "so.t.submit"), el("span", { id: "so-t-status", role: "status" }), errorList("so-t-errors"));
  return [hf, tf];
}

/** Refill a select of installations with `rows`, keeping the chosen one if it is still there. */
function installationsIn(sel, rows) {
  const keep = $(sel).value;
  $(sel).replaceChildren(...rows.map((i) => el("option", { value: i.id, textContent: `${named(i)} (${i.municipality})`, selected: i.id === keep })));
}

/** Show the entry forms the organisation may send on what it sees: handovers of installations it owns, treatment
 * reports (with the operator's certificate) of installations handed to it as recycler. */
function drawEntryForms(v) {
  if (!$("#so-hand")) return;
  const keep = $("#so-h-role").value;
  $("#so-h-role").replaceChildren(...["dismantler", "recycler"].map((r) => el("option", { value: r, textContent: t(`so.role.${r}`), selected: r === keep })));
  const owned = v.installations.filter((i) => (i.roles || []).includes("owner"));
  const handed = pl.granted?.certified_recycler ? v.installations.filter((i) => (i.roles || []).includes("recycler")) : [];
  installationsIn("#so-h-inst", owned); $("#so-hand").hidden = !owned.length;
  installationsIn("#so-t-inst", handed); $("#so-treat").hidden = !handed.length;
}

/** The chosen installation's name, for the messages. */
const chosen = (sel) => $(sel).selectedOptions[0]?.textContent ?? $(sel).value;

async function handOver(ev) {
  ev.preventDefault();
  const to = $("#so-h-to").value.trim(), n = Number($("#so-h-count").value), name = chosen("#so-h-inst");
  const body = { to, role: $("#so-h-role").value, count: n, date: $("#so-h-date").value };
  const path = `${REG}/installations/${encodeURIComponent($("#so-h-inst").value)}/handovers`;
  const fields = { to: "so-h-to", role: "so-h-role", count: "so-h-count", date: "so-h-date" };
  if (await write(path, body, "#so-h-errors", "#so-h-status", t("so.h.done", { count: fmt(n), name, to }), fields)) {
    $("#so-h-to").value = ""; $("#so-h-count").value = "";
  }
}

/** "glass, 1500" per line → recovered mass by material (kg), or the first bad line's number. */
function recovered(text) {
  const out = {};
  for (const [n, line] of text.split("\n").entries()) {
    if (!line.trim()) continue;
    const [m, kgText, extra] = line.split(",").map((x) => x.trim());
    const v = Number(kgText);
    if (extra !== undefined || !m || m.length > 40 || kgText === "" || !(v >= 0) || !Number.isFinite(v)) return { line: n + 1 };
    out[m] = (out[m] ?? 0) + v;
  }
  return { out };
}

/** Text area `sel` read by `read` (→ {out} or the first bad {line}); null after saying the line's problem
 * (message `key`) beside the area and in the list `errors`. */
function lines(sel, errors, key, read) {
  const bad = () => { const { line } = read($(sel).value); return line ? t(key, { line }) : null; };
  return fine(sel, errors, bad) ? read($(sel).value).out : null;
}

async function reportTreatment(ev) {
  ev.preventDefault();
  $("#so-t-errors").replaceChildren();
  const got = lines("#so-t-recovered", "#so-t-errors", "so.t.badLine", recovered); if (!got) return;
  const n = Number($("#so-t-count").value), name = chosen("#so-t-inst");
  const body = { count: n, date: $("#so-t-date").value, method: $("#so-t-method").value.trim(), recovered_kg: got,
    disposed_kg: Number($("#so-t-disposed").value || 0) };
  const path = `${REG}/installations/${encodeURIComponent($("#so-t-inst").value)}/treatments`;
  const fields = { count: "so-t-count", date: "so-t-date", method: "so-t-method", recovered_kg: "so-t-recovered",
    disposed_kg: "so-t-disposed" };
  if (await write(path, body, "#so-t-errors", "#so-t-status", t("so.t.done", { count: fmt(n), name }), fields)) {
    for (const s of ["#so-t-count", "#so-t-method", "#so-t-recovered"]) $(s).value = "";
  }
}

function fillRoles() {
  const keep = $("#so-as").value;
  $("#so-as").replaceChildren(el("option", { value: "", textContent: t("so.as.any") }),
    ...ROLES.map((r) => el("option", { value: r, textContent: t(`so.role.${r}`), selected: r === keep })));
}

async function showSolar() {
  show("solar");
  buildSolar();
  fillRoles();
  const who = await me();
  $("#so-i-maker").value ||= who.organisation;
  if (pl.solar && pl.solar.view.org !== who.organisation) { // another user signed in: nothing of the last one stays
    pl.solar = null; $("#so-result").hidden = true; $("#so-date").value = ""; $("#so-i-maker").value = who.organisation;
    clearWrites();
  }
  const res = await api(`${REG}/roles`);
  pl.granted = res.ok ? await res.json() : {};
  drawGranted();
  await readSolar(); // the registry is shared and changes: read it whenever the page is shown
}

/** Forget the forms' last messages (they are in the language and for the user of their time). */
function clearWrites() {
  for (const s of ["m", "i", "h", "t"].flatMap((f) => [`#so-${f}-status`, `#so-${f}-errors`])) $(s)?.replaceChildren();
}

function drawGranted() {
  if (!$("#so-granted")) return;
  const g = Object.entries(pl.granted || {});
  $("#so-granted").textContent = g.length
    ? t("so.granted", { roles: g.map(([r, v]) => `${t(`so.role.${r}`, {}, r)} (${v})`).join(", ") }) : t("so.granted.none");
}

/** The stored registry as the user's organisation sees it, and its panel models. */
async function readSolar() {
  $("#so-errors").replaceChildren();
  const date = $("#so-date").value;
  const q = `${REG}?lang=${state.lang}&limit=${LIMIT}${date ? `&as_of=${date}` : ""}`;
  const out = await longTask({ status: $("#so-status"), start: $("#so-run"), cancel: $("#so-cancel"), bar: $("#so-progress"),
    what: () => t("so.running") }, async (signal) => {
    const [view, models] = await Promise.all([api(q, { signal }), api(`${REG}/models`, { signal })]);
    if (!view.ok) return { problem: await problemOf(view) };
    return { view: await view.json(), models: models.ok ? await models.json() : [] };
  });
  if (!out) return;
  $("#so-status").textContent = "";
  if (out.problem) { showProblem("#so-errors", out.problem); return; }
  pl.solar = { ...out, role: $("#so-as").value };
  $("#so-i-models").replaceChildren(...out.models.map((m) => el("option", { value: m.name })));
  drawSolar(pl.solar);
}

$("#so-form").addEventListener("submit", (ev) => { ev.preventDefault(); readSolar(); });
$("#so-as").addEventListener("change", () => { if (pl.solar) { pl.solar.role = $("#so-as").value; drawSolar(pl.solar); } });

/** "Pb, solder ribbon, 0.2" per line → substances, or the first bad line's number. */
function substances(text) {
  const out = [];
  for (const [n, line] of text.split("\n").entries()) {
    if (!line.trim()) continue;
    const [s, part, pct, extra] = line.split(",").map((x) => x.trim());
    const v = Number(pct);
    if (extra !== undefined || !SUBSTANCES.includes(s) || !part || pct === "" || !(v >= 0 && v <= 100)) return { line: n + 1 };
    out.push({ substance: s, part, content_wt_pct: v });
  }
  return { out };
}

/** POST `body` to `path`; true when stored, else the problem is shown in `errors`, a refused field of the
 * body named by its label in the form and said beside it too (`fields`: body key → input id, or [input id,
 * scale]: core's fieldOf). */
async function write(path, body, errors, statusSel, done, fields = null) {
  $(errors).replaceChildren(); $(statusSel).textContent = "";
  const res = await api(path, jsonBody(body));
  if (!res.ok) { const doc = await problemOf(res); showProblem(errors, doc, fields); markRefused(doc, fields || {}); return false; }
  $(statusSel).textContent = done;
  await readSolar();
  return true;
}

async function addModel(ev) {
  ev.preventDefault();
  const subst = lines("#so-m-subst", "#so-m-errors", "so.m.badLine", substances); if (!subst) return;
  const name = $("#so-m-name").value.trim();
  const body = { name, technology: $("#so-m-tech").value, mass_kg: Number($("#so-m-mass").value),
    glass_share: Number($("#so-m-glass").value) / 100, substances: subst };
  const fields = { name: "so-m-name", technology: "so-m-tech", mass_kg: "so-m-mass", glass_share: ["so-m-glass", 100],
    substances: "so-m-subst" };
  if (await write(`${REG}/models`, body, "#so-m-errors", "#so-m-status", t("so.m.done", { name }), fields)) ev.target.reset();
}

async function addInstallation(ev) {
  ev.preventDefault();
  const v = (id) => $(id).value.trim();
  const name = v("#so-i-name");
  const body = { name, maker: v("#so-i-maker"), model: v("#so-i-model"), municipality: v("#so-i-code"),
    count: Number(v("#so-i-count")), commissioned: v("#so-i-start"), end_of_business: v("#so-i-eob") || null };
  if (v("#so-i-address")) body.address = v("#so-i-address");
  const fields = { name: "so-i-name", maker: "so-i-maker", model: "so-i-model", municipality: "so-i-code",
    address: "so-i-address", count: "so-i-count", commissioned: "so-i-start", end_of_business: "so-i-eob" };
  if (await write(`${REG}/installations`, body, "#so-i-errors", "#so-i-status", t("so.i.done", { name }), fields)) {
    ev.target.reset(); $("#so-i-maker").value = pl.me.organisation;
  }
}

const STATUS = ["overdue", "approaching", "operating", "collected", "treated"];
const status = (s) => t(`so.status.${s}`, {}, s);
const named = (x) => x.name ?? x.id;

/** Status counts of `rows` (those whose status the organisation may see). */
function tally(rows) {
  const n = {};
  for (const i of rows) if (i.status) n[i.status] = (n[i.status] ?? 0) + 1;
  return n;
}

function drawSolar({ view: v, models, role }) {
  $("#so-result").hidden = false;
  const rows = role ? v.installations.filter((i) => (i.roles || []).includes(role)) : v.installations;
  $("#so-summary").textContent = t("so.summary", { org: v.org, date: v.as_of, n: v.installations.length, shown: rows.length,
    role: role ? t(`so.role.${role}`) : t("so.as.any") })
    + (v.installations.length >= LIMIT ? ` ${t("so.truncated", { n: LIMIT })}` : "")
    + (v.installations.length ? "" : ` ${t("so.empty")}`);
  const counts = role ? tally(rows) : v.status_counts;
  $("#so-cards").replaceChildren(...STATUS.map((s) => el("div", { className: "card" },
    el("div", { className: "label", textContent: status(s) }), el("div", { className: "value", textContent: fmt(counts[s] ?? 0) }))));
  const has = (k) => rows.some((i) => i[k] !== undefined);
  const cols = [["id", "so.col.id", named], ["municipality", "so.col.place", (i) => `${i.municipality}${i.prefecture ? ` (${i.prefecture})` : ""}`],
    ["owner", "so.col.owner", (i) => i.owner], ["address", "so.col.address", (i) => i.address ?? "–"],
    ["model", "so.col.model", (i) => (i.model ? `${named(i.model)} (${i.model.maker}, ${techName(i.model.technology)})` : "–")],
    ["count", "so.col.count", (i) => fmt(i.count)], ["end_of_business", "so.col.eob", (i) => i.end_of_business ?? "–"],
    ["mass_t", "so.col.mass", (i) => fmt(i.mass_t)], ["hazardous", "so.col.hazardous", (i) => (i.hazardous || []).join(", ") || "–"],
    ["handovers", "so.col.handovers", (i) => (i.handovers || []).map((h) => `${h.to} (${t(`so.role.${h.role}`, {}, h.role)}) ${fmt(h.count)} · ${h.date}`).join("; ") || "–"],
    ["treatments", "so.col.treatments", (i) => (i.treatments || []).map((x) => `${fmt(x.count)} · ${x.date}: ${x.method}`).join("; ") || "–"],
    ["collected", "so.col.collected", (i) => `${fmt(i.collected)} / ${fmt(i.treated)}`], ["status", "so.col.status", (i) => status(i.status)],
    ["roles", "so.col.roles", (i) => (i.roles || []).map((r) => t(`so.role.${r}`, {}, r)).join(", ")]].filter(([k]) => has(k));
  const dataCols = cols.map(([k], n) => (["id", "owner", "address", "model", "treatments"].includes(k) ? n : -1)).filter((n) => n >= 0);
  const numCols = cols.map(([k], n) => (["count", "mass_t", "collected"].includes(k) ? n : -1)).filter((n) => n >= 0);
  richTable($("#so-installations"), cols.map(([, h]) => t(h)), rows.map((i) => cols.map(([, , f]) => f(i))), numCols, dataCols);
  drawModels(models, v);
  drawVolumes(v);
  drawEntryForms(v);
  const a = v.assumptions || {};
  $("#so-assumptions").textContent = t("so.assumptions", { years: a.approaching_years ?? "–", life: a.default_service_years ?? "–" });
}

/** The organisation's stored models; ⚠ marks a substance above the threshold where the view has it. */
function drawModels(models, v) {
  const above = Object.fromEntries(v.models.map((m) => [m.id, m.above_threshold || []]));
  $("#so-models").hidden = !models.length;
  $("#so-models-title").hidden = !models.length;
  richTable($("#so-models"), [t("so.col.model"), t("so.col.technology"), t("so.col.unitMass"), t("so.col.glass"), t("so.col.substances")],
    models.map((m) => [named(m), techName(m.technology), fmt(m.mass_kg), fmtPct(m.glass_share),
      m.substances.map((s) => `${s.substance} ${fmt(s.content_wt_pct)} wt% (${s.part})${(above[m.id] || []).includes(s.substance) ? " ⚠" : ""}`).join("; ")]),
    [2, 3], [0, 1, 4]);
}

/** Panels (and their mass) reaching end of business per year in the areas the role may see. */
function drawVolumes(v) {
  const years = [...new Set(v.volumes.map((x) => x.year))].sort();
  const places = [...new Set(v.volumes.map((x) => x.municipality))];
  $("#so-volumes-chart").hidden = !years.length;
  if (!years.length) return;
  plot("so-volumes-chart", places.map((m) => ({ type: "bar", name: m, x: years.map(String),
    y: years.map((y) => v.volumes.filter((x) => x.year === y && x.municipality === m).reduce((s, x) => s + x.mass_t, 0)),
    customdata: years.map((y) => fmt(v.volumes.filter((x) => x.year === y && x.municipality === m).reduce((s, x) => s + x.panels, 0))),
    hovertemplate: `%{y:.3~r} t (%{customdata} ${t("so.panels")})<extra>${m}</extra>` })),
  { title: t("so.chart.volumesTitle"), barmode: "stack", height: 340, xaxis: { title: t("so.axis.year"), type: "category" },
    yaxis: { title: t("so.axis.mass"), rangemode: "tozero" }, legend: { title: { text: t("so.col.place") } } });
}

function redrawReports() { if (pl.report) drawReport(pl.report); if (pl.pack) drawPack(pl.pack); }
function redrawSolar() { fillRoles(); drawGranted(); clearWrites(); if (pl.solar) drawSolar(pl.solar); }

export { showReports, redrawReports, showSolar, redrawSolar };
