// Reports and Solar panels pages (issue 24, items 2, 3, 6): a recycled-content periodic report of the
// shipped plan (its maker set to the user's organisation) from the caller's own ledger accounts, with
// the filing layout (CSV) and report page to download; a disclosure pack (ESRS E5, CTI, ISO 59020) with
// its inline XBRL; the solar-panel registry as the user's organisation sees it in a chosen role.
import { $, api, fmt, fmtPct, longTask, plot, problemOf, richTable, show, showMessages, showProblem,
  staticExample, state, t } from "./core.js";

const pl = { me: null, report: null, pack: null, solar: null, urls: {} };
const PERIOD = /^(FY\d{4}|\d{4}|\d{4}Q[1-4])$/;
/** The example registry's organisations and the role each plays there. */
const SOLAR_ROLES = [["maker-a", "maker"], ["owner-1", "owner"], ["dismantler-1", "dismantler"], ["recycler-1", "recycler"],
  ["city-chiyoda", "municipality"]];

const send = (text, signal) => ({ method: "POST", signal, headers: { "Content-Type": "application/json" }, body: text });

/** A JSON document typed in a text area, or null after showing why it is not one. */
function parsed(sel, errors) {
  try {
    const doc = JSON.parse($(sel).value);
    if (doc && typeof doc === "object" && !Array.isArray(doc)) return doc;
  } catch (e) { showMessages(errors, [t("pl.badJson", { msg: e.message })]); return null; }
  showMessages(errors, [t("pl.badJson", { msg: "{…}" })]);
  return null;
}

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
  if (!PERIOD.test(period)) { showMessages("#rp-errors", [t("rp.badPeriod")]); return; }
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
  if (out.csv) link("#rp-csv", out.csv, "text/csv"); $("#rp-csv").hidden = !out.csv;
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
    t("rp.col.share"), t("rp.col.target"), t("rp.col.lots"), t("rp.col.gap")],
  r.products.map((p) => [`${p.name} (${p.product})`, p.category, t(`rp.ch.${p.characteristic}`, {}, p.characteristic), kg(p.recycled_kg),
    kg(p.basis_kg), p.share == null ? "–" : fmtPct(p.share),
    [p.target_share != null ? fmtPct(p.target_share) : "", p.target_kg != null ? `${fmt(p.target_kg)} kg` : ""].filter(Boolean).join(", ") || "–",
    fmt(p.lots), gapText(p)]), [3, 4, 5, 6, 7], [0, 1]);
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

const value = (i) => (i.value == null ? `${t("ind.na")} (${i.reason ?? "–"})` : i.unit === "fraction" ? fmtPct(i.value) : `${fmt(i.value)} ${i.unit || ""}`.trim());

function drawPack(p) {
  $("#dp-result").hidden = false;
  $("#dp-summary").textContent = t("dp.summary", { company: p.company.name, start: p.period.start, end: p.period.end });
  const box = $("#dp-tables"); box.replaceChildren();
  for (const [key, title] of [["esrs_e5", "dp.esrs"], ["cti", "dp.cti"], ["iso59020", "dp.iso"]]) {
    const rows = p[key]; if (!Array.isArray(rows) || !rows.length) continue;
    const h = Object.assign(document.createElement("h4"), { id: `dp-h-${key}`, textContent: t(title) });
    const tb = document.createElement("table"); tb.setAttribute("aria-labelledby", h.id);
    richTable(tb, [t("dp.col.indicator"), t("dp.col.value"), t("dp.col.formula"), t("dp.col.source")],
      rows.map((i) => [t(`indname.${i.key}`, {}, i.key), value(i), i.formula, i.source]), [1], [2, 3]);
    box.append(h, tb);
  }
}

// ---- solar panels ------------------------------------------------------------------------
async function showSolar() {
  show("solar");
  await me();
  fillRoles();
  if (!$("#so-doc").value) $("#so-doc").value = JSON.stringify(await staticExample("policy_solar"), null, 1);
  if (pl.solar) drawSolar(pl.solar);
}

function fillRoles() {
  const keep = $("#so-as").value || "city-chiyoda";
  $("#so-as").replaceChildren(...SOLAR_ROLES.map(([org, role]) => Object.assign(document.createElement("option"),
    { value: org, textContent: `${org}: ${t(`so.role.${role}`)}`, selected: org === keep })));
}

$("#so-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#so-errors").replaceChildren();
  const doc = parsed("#so-doc", "#so-errors"); if (!doc) return;
  const as = $("#so-as").value;
  // the service computes the view for the caller's organisation: the chosen one becomes yours
  const text = JSON.stringify(doc).replaceAll(JSON.stringify(as), JSON.stringify(pl.me.organisation));
  $("#so-result").hidden = true; pl.solar = null;
  const res = await longTask({ status: $("#so-status"), start: $("#so-run"), cancel: $("#so-cancel"), bar: $("#so-progress"),
    what: () => t("so.running") }, (signal) => api(`/api/policy/solar/view?lang=${state.lang}`, send(text, signal)));
  if (!res) return;
  $("#so-status").textContent = "";
  if (!res.ok) { showProblem("#so-errors", await problemOf(res)); return; }
  pl.solar = { as, view: await res.json() };
  drawSolar(pl.solar);
});

const STATUS = ["overdue", "approaching", "operating", "collected", "treated"];
const status = (s) => t(`so.status.${s}`, {}, s);

function drawSolar({ as, view: v }) {
  $("#so-result").hidden = false;
  const role = (SOLAR_ROLES.find(([o]) => o === as) || [])[1];
  $("#so-summary").textContent = t("so.summary", { org: v.org, as, role: role ? t(`so.role.${role}`) : "–", date: v.as_of,
    n: v.installations.length });
  $("#so-cards").replaceChildren(...STATUS.map((s) => {
    const c = document.createElement("div"); c.className = "card";
    c.append(Object.assign(document.createElement("div"), { className: "label", textContent: status(s) }),
      Object.assign(document.createElement("div"), { className: "value", textContent: fmt(v.status_counts[s] ?? 0) }));
    return c;
  }));
  const has = (k) => v.installations.some((i) => i[k] !== undefined);
  const cols = [["id", "so.col.id", (i) => i.id], ["municipality", "so.col.place", (i) => `${i.municipality}${i.prefecture ? ` (${i.prefecture})` : ""}`],
    ["owner", "so.col.owner", (i) => i.owner], ["address", "so.col.address", (i) => i.address ?? "–"],
    ["model", "so.col.model", (i) => (i.model ? `${i.model.id} (${i.model.maker}, ${i.model.technology})` : "–")],
    ["count", "so.col.count", (i) => fmt(i.count)], ["end_of_business", "so.col.eob", (i) => i.end_of_business ?? "–"],
    ["mass_t", "so.col.mass", (i) => fmt(i.mass_t)], ["hazardous", "so.col.hazardous", (i) => (i.hazardous || []).join(", ") || "–"],
    ["handovers", "so.col.handovers", (i) => (i.handovers || []).map((h) => `${h.to} (${t(`so.role.${h.role}`, {}, h.role)}) ${fmt(h.count)} · ${h.date}`).join("; ") || "–"],
    ["treatments", "so.col.treatments", (i) => (i.treatments || []).map((x) => `${fmt(x.count)} · ${x.date}: ${x.method}`).join("; ") || "–"],
    ["collected", "so.col.collected", (i) => `${fmt(i.collected)} / ${fmt(i.treated)}`], ["status", "so.col.status", (i) => status(i.status)],
    ["roles", "so.col.roles", (i) => (i.roles || []).map((r) => t(`so.role.${r}`, {}, r)).join(", ")]].filter(([k]) => has(k));
  const dataCols = cols.map(([k], n) => (["id", "owner", "address", "model", "treatments"].includes(k) ? n : -1)).filter((n) => n >= 0);
  const numCols = cols.map(([k], n) => (["count", "mass_t", "collected"].includes(k) ? n : -1)).filter((n) => n >= 0);
  richTable($("#so-installations"), cols.map(([, h]) => t(h)), v.installations.map((i) => cols.map(([, , f]) => f(i))), numCols, dataCols);
  $("#so-models").hidden = !v.models.length;
  $("#so-models-title").hidden = !v.models.length;
  richTable($("#so-models"), [t("so.col.model"), t("so.col.technology"), t("so.col.unitMass"), t("so.col.glass"), t("so.col.substances")],
    v.models.map((m) => [m.id, m.technology, fmt(m.mass_kg), fmtPct(m.glass_share),
      m.substances.map((s) => `${s.substance} ${fmt(s.content_wt_pct)} wt% (${s.part})${(m.above_threshold || []).includes(s.substance) ? " ⚠" : ""}`).join("; ")]),
    [2, 3], [0, 1, 4]);
  drawVolumes(v);
  const a = v.assumptions || {};
  $("#so-assumptions").textContent = t("so.assumptions", { years: a.approaching_years ?? "–", life: a.default_service_years ?? "–" });
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
function redrawSolar() { fillRoles(); if (pl.solar) drawSolar(pl.solar); }

export { showReports, redrawReports, showSolar, redrawSolar };
