// Market page: the buyers' conditions your organisation may see (its own can be withdrawn), your
// offers, forms to post an offer (a graded aluminium lot) and to publish a condition to partners, and
// the match of your offers against the conditions granted to you (long work with cancel): who buys
// what, at which margin, as a chart and a table, and why a lot stayed unmatched.
import { $, api, fmt, jsonBody, longTask, plot, problemOf, richTable, show, showMessages, showProblem, t } from "./core.js";
import { markProblems, markRefused } from "./formcheck.js";
import { setYenText, yenCell } from "./yen.js";

/** Every element a shipped alloy buyer limits (data/alloys/market.yaml). One left empty is not
 * measured and is left out of the offer — never sent as 0 wt %: a lot does not meet a limit on an
 * element it was not analysed for. */
const ELEMENTS = ["Si", "Fe", "Cu", "Mn", "Mg", "Zn", "Ni", "Ti", "Pb", "Sn", "Li"];
const mk = { me: null, conditions: [], offers: [], last: null };

/** The composition inputs of the offer form (wt %), built once. */
(function buildComposition() {
  const box = $("#mk-o-comp");
  for (const el of ELEMENTS) {
    const id = `mk-o-${el}`;
    const lab = Object.assign(document.createElement("label"), { htmlFor: id });
    lab.dataset.i18n = `mk.el.${el}`; lab.textContent = `${el} (wt %)`;
    const inp = Object.assign(document.createElement("input"), { id, type: "number", min: "0", max: "100", step: "any" });
    inp.dataset.i18nPlaceholder = "mk.notMeasured"; inp.placeholder = "not measured";  // empty: left out
    const span = document.createElement("span"); span.append(lab, inp); box.append(span);
  }
}());

async function showMarket() {
  show("market");
  mk.me = await (await api("/api/me")).json();  // each time: another user may have signed in
  await Promise.all([listConditions(), listOffers()]);
  if (mk.last) drawMatch(mk.last);
}

const tonnes = (kg) => fmt(kg / 1000);
const window_ = (w) => (w ? `${w.start} – ${w.end}` : "–");

async function listConditions() {
  const res = await api("/api/market/conditions");
  if (!res.ok) { showProblem("#mk-errors", await problemOf(res)); return; }
  mk.conditions = await res.json();
  drawConditions();
}

function drawConditions() {
  const rows = mk.conditions.map((c) => {
    let act = "";
    if (mk.me && c.buyer === mk.me.organisation) {
      act = Object.assign(document.createElement("button"), { type: "button", className: "danger", textContent: t("mk.withdraw") });
      act.setAttribute("aria-label", t("mk.withdrawLabel", { id: c.id }));
      act.addEventListener("click", () => withdraw(c));
    }
    // a shipped criteria set by its name in the page's language, as the form lists it (its
    // id is in the name); another id as written
    const named = typeof c.criteria === "string"
      ? [...$("#mk-c-criteria").options].find((o) => o.value === c.criteria) : null;
    const crit = typeof c.criteria !== "string" ? t("mk.customCriteria") : named ? named.textContent : c.criteria;
    return [c.id, c.buyer, crit, fmt(c.price.base), tonnes(c.min_lot || 0), tonnes(c.capacity), window_(c.delivery),
      (c.granted_to || []).join(", ") || "–", act];
  });
  richTable($("#mk-conditions"), [t("mk.col.id"), t("mk.col.buyer"), t("mk.col.criteria"), t("mk.col.price"), t("mk.col.minLot"),
    t("mk.col.capacity"), t("mk.col.delivery"), t("mk.col.granted"), t("mk.col.actions")], rows, [3, 4, 5], [0, 1, 2, 7]);
  $("#mk-conditions").hidden = !rows.length;
  $("#mk-conditions-empty").hidden = rows.length > 0;
}

async function withdraw(c) {
  if (!window.confirm(t("mk.confirmWithdraw", { id: c.id }))) return;
  const res = await api(`/api/market/conditions/${c.record}`, { method: "DELETE" });
  $("#mk-errors").replaceChildren();
  if (!res.ok) showProblem("#mk-errors", await problemOf(res));
  await listConditions();
}

async function listOffers() {
  const res = await api("/api/market/offers");
  if (!res.ok) { showProblem("#mk-errors", await problemOf(res)); return; }
  mk.offers = await res.json();
  drawOffers();
}

function drawOffers() {
  const comp = (c) => ELEMENTS.filter((e) => c[e] !== undefined).map((e) => `${e} ${fmt(c[e])}`).join(", ");
  const rows = mk.offers.map((o) => {
    // the list holds the caller's own offers only: each can be withdrawn
    const act = Object.assign(document.createElement("button"), { type: "button", className: "danger", textContent: t("mk.withdraw") });
    act.setAttribute("aria-label", t("mk.withdrawOfferLabel", { id: o.id }));
    act.addEventListener("click", () => withdrawOffer(o));
    return [o.id, t(`mk.${o.item.material.family}`, {}, o.item.material.family), comp(o.item.composition || {}),
      tonnes(o.item.quantity.mass), `${fmt(o.location.lat)}, ${fmt(o.location.lon)}`, act];
  });
  richTable($("#mk-offers"), [t("mk.col.id"), t("mk.family"), t("mk.col.composition"), t("mk.col.mass"), t("mk.col.place"),
    t("mk.col.actions")], rows, [3], [0, 2]);
  $("#mk-offers").hidden = !rows.length;
  $("#mk-offers-empty").hidden = rows.length > 0;
}

async function withdrawOffer(o) {
  if (!window.confirm(t("mk.confirmWithdrawOffer", { id: o.id }))) return;
  const res = await api(`/api/market/offers/${o.record}`, { method: "DELETE" });
  $("#mk-errors").replaceChildren();
  if (!res.ok) showProblem("#mk-errors", await problemOf(res));
  await listOffers();
}

/** Post a form's document; its errors (problem+json, by field) listed below the form and each refused
 * field's beside it (`fields`: body key → input id). */
async function post(path, body, status, errors, fields) {
  $(errors).replaceChildren(); $(status).textContent = "";
  const res = await api(path, jsonBody(body));
  if (!res.ok) { const doc = await problemOf(res); showProblem(errors, doc); markRefused(doc, fields); return false; }
  $(status).textContent = t("mk.saved");
  return true;
}

const num = (id) => Number($(id).value.trim());
/** Check `form`'s fields by their own limits (required, min/max of the input) and labels, as the page's
 * form checks read them (formcheck.js): each problem beside its field and all in the list `errSel`; true
 * when all are fine (an empty mass was sent as " t" before). */
function fieldsFine(form, errSel) {
  const problems = markProblems(form.querySelectorAll("input, select"));
  if (problems.length) showMessages(errSel, problems);
  return !problems.length;
}

$("#mk-offer-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!fieldsFine(ev.target, "#mk-o-errors")) return;  // the composition's wt % too (0–100)
  const id = $("#mk-o-id").value.trim();
  const measured = ELEMENTS.filter((e) => $(`#mk-o-${e}`).value.trim() !== "");  // empty: not measured
  const composition = Object.fromEntries(measured.map((e) => [e, num(`#mk-o-${e}`)]));
  const body = { id, seller: mk.me.organisation, location: { lat: num("#mk-o-lat"), lon: num("#mk-o-lon") },
    item: { id, kind: "recycled_material", material: { name: "aluminium", family: $("#mk-o-family").value }, composition,
      quantity: { mass: `${num("#mk-o-mass")} t` } } };
  const fields = { id: "mk-o-id", "item.id": "mk-o-id", "item.material": "mk-o-family", "item.quantity": "mk-o-mass",
    "location.lat": "mk-o-lat", "location.lon": "mk-o-lon", ...Object.fromEntries(ELEMENTS.map((e) => [`item.composition.${e}`, `mk-o-${e}`])) };
  if (await post("/api/market/offers", body, "#mk-o-status", "#mk-o-errors", fields)) { ev.target.reset(); await listOffers(); }
});

$("#mk-cond-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!fieldsFine(ev.target, "#mk-c-errors")) return;
  const granted = $("#mk-c-grant").value.split(",").map((s) => s.trim()).filter(Boolean);
  const body = { id: $("#mk-c-id").value.trim(), buyer: mk.me.organisation, criteria: $("#mk-c-criteria").value,
    price: { base: `${num("#mk-c-price")} JPY/kg` }, location: { lat: num("#mk-c-lat"), lon: num("#mk-c-lon") },
    min_lot: `${num("#mk-c-min")} t`, capacity: `${num("#mk-c-cap")} t`, granted_to: granted };
  const fields = { id: "mk-c-id", criteria: "mk-c-criteria", price: "mk-c-price", min_lot: "mk-c-min",
    capacity: "mk-c-cap", "location.lat": "mk-c-lat", "location.lon": "mk-c-lon", granted_to: "mk-c-grant" };
  if (await post("/api/market/conditions", body, "#mk-c-status", "#mk-c-errors", fields)) { ev.target.reset(); await listConditions(); }
});

$("#mk-match").addEventListener("click", async () => {
  $("#mk-errors").replaceChildren();
  $("#mk-result").hidden = true; mk.last = null;
  const res = await longTask({ status: $("#mk-status"), start: $("#mk-match"), cancel: $("#mk-cancel"), bar: $("#mk-progress"),
    what: () => t("mk.matching") }, (signal) => api("/api/market/match", { method: "POST", signal }));
  if (!res) return;
  $("#mk-status").textContent = "";
  if (!res.ok) { showProblem("#mk-errors", await problemOf(res)); return; }
  mk.last = await res.json();
  drawMatch(mk.last);
});

function drawMatch(r) {
  const s = r.summary;
  $("#mk-result").hidden = false;
  setYenText($("#mk-summary"), "mk.summaryYen", { matched: tonnes(s.matched_kg), offered: tonnes(s.offered_kg),
    status: t(`mk.status.${String(s.status).replace(/ /g, "_")}`, {}, s.status) }, { margin: s.margin_JPY });
  const lots = [...new Set([...r.assignments.map((a) => a.lot), ...r.unmatched.map((u) => u.lot)])];
  const buyers = [...new Set(r.assignments.map((a) => `${a.buyer} (${a.condition})`))];
  const traces = buyers.map((b) => ({ type: "bar", orientation: "h", name: b, y: lots,
    x: lots.map((l) => r.assignments.filter((a) => a.lot === l && `${a.buyer} (${a.condition})` === b).reduce((v, a) => v + a.kg / 1000, 0)),
    hovertemplate: `${b}: %{x:.3s} t<extra></extra>` }));
  traces.push({ type: "bar", orientation: "h", name: t("mk.unmatchedName"), y: lots, marker: { color: "#bdc3c7" },
    x: lots.map((l) => r.unmatched.filter((u) => u.lot === l).reduce((v, u) => v + u.kg / 1000, 0)),
    hovertemplate: `${t("mk.unmatchedName")}: %{x:.3s} t<extra></extra>` });
  // the legend above the bars (below, a chart of few lots put it on the axis title); shown with one trace
  // too (no lot matched: Plotly hides a lone trace's legend, leaving a grey bar nothing names)
  plot("mk-chart", traces, { title: t("mk.chartTitle"), barmode: "stack", height: 220 + 36 * lots.length, showlegend: true,
    xaxis: { title: t("mk.axisMass") }, yaxis: { title: t("mk.axisLot"), automargin: true },
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" }, margin: { t: 90 } });
  richTable($("#mk-assignments"), [t("mk.col.lot"), t("mk.col.buyer"), t("mk.col.via"), t("mk.col.mass"), t("mk.col.price"),
    t("mk.col.transport"), t("mk.col.margin"), t("mk.col.co2e")],
  r.assignments.map((a) => [a.lot, `${a.buyer} (${a.condition})`, a.via || t("mk.direct"), tonnes(a.kg), fmt(a.price_JPY_per_kg),
    fmt(a.transport_JPY_per_kg), yenCell(a.margin_JPY), fmt(a.co2e_kg)]), [3, 4, 5, 6, 7], [0, 1]);
  $("#mk-unmatched").replaceChildren(...(r.unmatched.length ? r.unmatched : [null]).map((u) => {
    const li = document.createElement("li");
    li.textContent = u ? `${u.lot} (${tonnes(u.kg)} t): ${t(`mk.why.${u.code}`, {}, u.message)}` : t("mk.allMatched");
    if (u) li.title = whyDetail(u);  // the solver's own explanation, with the figures
    return li;
  }));
  const unserved = r.unserved_conditions || [];
  $("#mk-unserved-box").hidden = !unserved.length;
  $("#mk-unserved").replaceChildren(...unserved.map((u) => {
    const li = document.createElement("li"); const f = u.figures || {};
    // a pooled shipment held below the minimum by its pooling point's capacity is named
    const key = f.pool && f.pooled_kg < f.eligible_kg ? "mk.unservedPooled" : "mk.unservedItem";
    li.textContent = t(key, { condition: u.condition, buyer: u.buyer, min: tonnes(f.min_lot_kg),
      eligible: tonnes(f.eligible_kg), largest: tonnes(f.largest_lot_kg), pooled: tonnes(f.pooled_kg),
      pool: f.pool }, u.message);
    li.title = `${u.field}: ${u.message}`;
    return li;
  }));
  const left = r.conditions_left_out || [];  // a buyer's condition that cannot be used
  $("#mk-left-out-box").hidden = !left.length;
  $("#mk-left-out").replaceChildren(...left.map((c) => {
    const li = document.createElement("li");
    li.textContent = t("mk.leftOutItem", { condition: c.condition, buyer: c.buyer }, c.message);
    li.title = c.message;  // the rule it breaks, at its path in the condition
    return li;
  }));
}

/** The solver's reason for an unmatched lot with its figures, worded in the page's language
 * (masses in t, numbers in the locale); the solver's English message if there is no wording. */
function whyDetail(u) {
  const vars = Object.fromEntries(Object.entries(u.figures || {}).map(([k, v]) =>
    [k, typeof v === "number" && (k === "kg" || k.endsWith("_kg")) ? tonnes(v) : fmt(v)]));
  const key = u.code === "min_lot" && !vars.pools ? "mk.whyFig.min_lot_unpooled" : `mk.whyFig.${u.code}`;
  return u.figures ? t(key, vars, u.message) : u.message;
}

function redrawMarket() { drawConditions(); drawOffers(); if (mk.last) drawMatch(mk.last); }

export { showMarket, redrawMarket };
