// ELV aluminium: predict the recovered fractions' quality, plan feed and removals against a buyer.
import { $, api, cell, fmt, fmtPct, plot, problemMessages, show, t } from "./core.js";
import { checkFields, markRefused } from "./formcheck.js";
import { setYenText, yen, yenExact } from "./yen.js";

const al = { lib: null, last: null, plan: null };
const EL_SHOWN = ["Si", "Fe", "Cu", "Mn", "Mg", "Zn", "Li"];



/** Names of the library's records in the current language (the shipped data is in English). */
const comp = (id) => t(`al.comp.${id}`, {}, (al.lib.components[id] || {}).name || id);
const vehicleName = (v) => `${t(`al.make.${v.make}`, {}, v.make)} ${t(`al.model.${v.model}`, {}, v.model)} ${v.year} ${v.powertrain} (${Math.round(v.al_kg)} kg Al)`;
const vehicleById = (id) => al.lib.vehicles.find((v) => v.id === id);

async function showAlloys() {
  show("alloys");
  if (al.lib) return;
  al.lib = await (await api("/api/alloys/library")).json();
  drawAlloyForm();
}

function drawAlloyForm() {
  const thead = document.createElement("thead");
  const hr = document.createElement("tr");
  hr.append(cell("th", t("al.vehicle")), cell("th", t("al.count")));
  thead.append(hr);
  const tbody = document.createElement("tbody");
  al.lib.vehicles.forEach((v, i) => {
    const tr = document.createElement("tr");
    const id = `al-count-${i}`;
    const label = Object.assign(document.createElement("label"), { htmlFor: id,
      textContent: vehicleName(v) });
    const input = Object.assign(document.createElement("input"), { type: "number", id, min: 0, step: 1,
      value: 10 });
    input.dataset.vehicle = v.id;
    const td1 = document.createElement("td"); td1.append(label);
    const td2 = document.createElement("td"); td2.append(input);
    tr.append(td1, td2); tbody.append(tr);
  });
  $("#al-vehicles").replaceChildren(thead, tbody);
  for (const [id, c] of Object.entries(al.lib.components)) {
    if (!c.removable) continue;
    const box = Object.assign(document.createElement("input"), { type: "checkbox", id: `al-rm-${id}`,
      checked: id === "battery_cells" });
    box.dataset.component = id;
    const label = Object.assign(document.createElement("label"), { htmlFor: box.id, textContent: comp(id) });
    const row = document.createElement("div"); row.className = "check"; row.append(box, label);
    $("#al-remove").append(row);
  }
  for (const [id, name] of Object.entries(al.lib.sorters)) $("#al-sorter").append(new Option(t(`al.sorter.${id}`, {}, name), id));
  for (const [id, b] of Object.entries(al.lib.buyers)) $("#al-buyer").append(new Option(t(`al.buyer.${id}`, {}, b.name), id));
}

function drawAlloyChart({ doc, buyer }) {
  const comp = doc.fractions.al.composition_wt_pct;
  const lim = al.lib.buyers[buyer].max;
  const els = EL_SHOWN.filter((e) => e !== "Si");
  const limited = els.filter((e) => lim[e] !== undefined);
  plot("al-chart", [
    { type: "bar", name: t("al.legendMean"), x: els, y: els.map((e) => comp[e].mean),
      hovertemplate: "%{x}: %{y:.3~g} wt %<extra></extra>",
      error_y: { type: "data", symmetric: false, array: els.map((e) => comp[e].p95 - comp[e].mean),
        arrayminus: els.map((e) => comp[e].mean - comp[e].p5) } },
    { type: "scatter", mode: "markers", name: t("al.legendLimit"), x: limited, y: limited.map((e) => lim[e]),
      hovertemplate: "%{x}: ≤ %{y:.3~g} wt %<extra></extra>", marker: { symbol: "line-ew-open", size: 40, color: "#c0392b" } },
  ], { title: t("chart.alloy"), height: 400, legend: { orientation: "h", y: -0.28, yanchor: "top" }, margin: { b: 100 },
    xaxis: { title: t("axis.element") }, yaxis: { title: t("axis.wtPct") } });
}

function alInputs() {
  const vehicles = [];
  document.querySelectorAll("#al-vehicles input").forEach((el) => {
    vehicles.push({ vehicle: el.dataset.vehicle, count: Number(el.value) });
  });
  const remove = [...document.querySelectorAll("#al-remove input:checked")].map((el) => el.dataset.component);
  return { vehicles, remove, grain_mm: Number($("#al-grain").value),
    sorter: $("#al-sorter").value || null, buyer: $("#al-buyer").value };
}

/** An infeasible plan's answer in the page's words: its lists of elements joined the language's way, a
 * lever's sorter and bin by the page's names of them, the cheapest levers' cost and margin as yen amounts. */
function leverWords(e) {
  const ctx = e.ctx || {};
  if (e.type === "lever-sorter") {
    return { ...e, ctx: { ...ctx, sorter: t(`al.sorter.${ctx.sorter_id}`, {}, ctx.sorter), bin: t(`al.fr.${ctx.bin}`, {}, ctx.bin) } };
  }
  const listed = (s) => String(s).split(", ").join(t("val.listSep"));  // Fe、Zn in Japanese
  if (e.type === "plan-window-unmet" || e.type === "plan-window-unmet-min") return { ...e, ctx: { ...ctx, binding: listed(ctx.binding), window: listed(ctx.window) } };
  const amount = (s) => Number(String(s).replace(/,/g, ""));
  if (e.type === "levers-cheapest") return { ...e, ctx: { ...ctx, cost: yen(amount(ctx.cost)), margin: yen(amount(ctx.margin)) } };
  return e;
}

/** A refused request's problems listed below the form, and each refused field's beside it (a vehicle's count
 * by its line of the feed or its id in the stock, the grain size, the probability). */
function alError(doc) {
  $("#al-status").textContent = "";
  const said = doc && Array.isArray(doc.errors) ? { ...doc, errors: doc.errors.map(leverWords) } : doc;
  $("#al-errors").replaceChildren(...problemMessages(said).map((m) => cell("li", m)));
  const fields = { grain_mm: "al-grain", probability: "al-prob" };
  al.lib.vehicles.forEach((v, i) => { fields[`vehicles[${i}]`] = fields[`stock.${v.id}`] = `al-count-${i}`; });
  markRefused(said, fields);
}

$("#al-grain").addEventListener("input", () => { $("#al-grain-out").value = `${$("#al-grain").value} mm`; });
$("#al-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#al-errors").replaceChildren();
  $("#al-status").textContent = t("al.running", { n: fmt(1000) });
  const req = alInputs();
  const res = await api("/api/alloys/predict", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(req) });
  const doc = await res.json();
  if (!res.ok) { $("#al-result").hidden = true; al.last = null; alError(doc); return; }
  $("#al-status").textContent = "";
  al.last = { doc, buyer: req.buyer };
  renderPredict(al.last);
});

function renderPredict({ doc, buyer }) {
  const af = doc.al_fraction, g = doc.grade_al_fraction;
  $("#al-summary").textContent = t("al.summary", { share: fmtPct(af.al_share.mean),
    wrought: fmtPct(af.wrought_share.mean), rec: fmtPct(af.al_recovery.mean),
    tph: fmt(doc.throughput_t_per_h), buyer: t(`al.buyer.${buyer}`, {}, g.buyer), p: fmtPct(g.probability_met),
    price: fmt(g.expected_price_JPY_per_kg), lim: g.most_limiting });
  // a part the law requires removed before shredding but left in (battery cells): said with the law
  $("#al-warnings").replaceChildren(...(doc.left_in || []).map((w) => cell("li", t("al.leftIn", {
    component: comp(w.component), n: fmt(w.vehicles), law: t(`al.law.${w.component}`, {}, w.law),
    requirement: t(`al.legal.${w.component}`, {}, w.requirement) }))));
  const thead = document.createElement("thead");
  const hr = document.createElement("tr");
  for (const h of [t("al.fraction"), t("al.mass"), ...EL_SHOWN.map((e) => `${e} (wt %)`)]) hr.append(cell("th", h));
  thead.append(hr);
  const tbody = document.createElement("tbody");
  for (const [fr, d] of Object.entries(doc.fractions)) {
    const tr = document.createElement("tr");
    tr.append(cell("td", t(`al.fr.${fr}`, {}, fr)), cell("td", `${fmt(d.mass_kg.mean)} ± ${fmt(d.mass_kg.sd)}`));
    for (const e of EL_SHOWN) {
      const c = d.composition_wt_pct[e];
      tr.append(cell("td", `${fmt(c.mean)} (${fmt(c.p5)}–${fmt(c.p95)})`));
    }
    tbody.append(tr);
  }
  $("#al-fractions").replaceChildren(thead, tbody);
  $("#al-result").hidden = false;  // before drawing: a hidden chart is drawn at a default width
  drawAlloyChart(al.last);
}

$("#al-plan").addEventListener("click", async () => {
  $("#al-errors").replaceChildren();
  if (!checkFields($("#al-form"))) return;  // the plan button does not submit the form: checked here
  $("#al-status").textContent = t("al.planning");
  const req = alInputs();
  const stock = Object.fromEntries(req.vehicles.map((v) => [v.vehicle, v.count]));
  const res = await api("/api/alloys/plan", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ stock, buyer: req.buyer, grain_mm: req.grain_mm, sorter: req.sorter,
      product: req.sorter ? "cast" : "al", probability: Number($("#al-prob").value) }) });
  const doc = await res.json();
  if (!res.ok) { $("#al-plan-result").hidden = true; al.plan = null; alError(doc); return; }
  $("#al-status").textContent = "";
  al.plan = doc;
  renderPlan(doc);
});

/** A count of whole vehicles (plans are in whole units): "31", never "31.0". */
const whole = (n) => fmt(Math.round(n));

/** The whole-unit plan against the LP bound: method, gap in JPY and in % of the bound. */
function wholeGap(w) {
  if (!w) return ["", ""];
  const vars = { method: t(w.method === "milp" ? "al.wholeMilp" : "al.wholeRounding"), pct: fmtPct(w.gap_pct / 100) };
  const say = (money) => ` ${t("al.wholeGapYen", { ...vars, gap: money(Math.round(w.gap_JPY)), bound: money(w.lp_bound_JPY) })}`;
  return [say(yen), say(yenExact)];
}

function renderPlan(doc) {
  const el = $("#al-plan-summary"), [gap, gapExact] = wholeGap(doc.whole_units);
  setYenText(el, "al.plannedYen", { kg: fmt(doc.product_kg), p: fmtPct(doc.probability_met) }, { margin: doc.margin_JPY });
  const full = (el.title || el.textContent) + gapExact;
  el.textContent += gap;
  if (full !== el.textContent) el.title = full; else el.removeAttribute("title");
  const thead = document.createElement("thead");
  const hr = document.createElement("tr");
  hr.append(cell("th", t("al.vehicle")), cell("th", t("al.shred")), cell("th", t("al.removeFirst")));
  thead.append(hr);
  const tbody = document.createElement("tbody");
  for (const [v, n] of Object.entries(doc.vehicles)) {
    if (n < 1) continue;
    const rm = Object.entries(doc.removals[v] || {}).map(([p, k]) => t("al.removeFrom", { part: comp(p), n: whole(k) })).join(", ");
    const tr = document.createElement("tr");
    tr.append(cell("td", vehicleById(v) ? vehicleName(vehicleById(v)) : v), cell("td", whole(n)), cell("td", rm));
    tbody.append(tr);
  }
  $("#al-plan-table").replaceChildren(thead, tbody);
  $("#al-plan-result").hidden = false;
}

/** After a language switch: the form's names (keeping what is entered and chosen) and the chart. */
function redrawAlloys() {
  if (!al.lib) return;
  document.querySelectorAll("#al-vehicles label").forEach((l, i) => { l.textContent = vehicleName(al.lib.vehicles[i]); });
  document.querySelectorAll("#al-remove input").forEach((box) => { box.nextSibling.textContent = comp(box.dataset.component); });
  document.querySelectorAll("#al-sorter option").forEach((o) => { if (o.value) o.textContent = t(`al.sorter.${o.value}`, {}, al.lib.sorters[o.value]); });
  document.querySelectorAll("#al-buyer option").forEach((o) => { o.textContent = t(`al.buyer.${o.value}`, {}, al.lib.buyers[o.value].name); });
  document.querySelectorAll("#al-vehicles thead th").forEach((th, i) => { th.textContent = t(["al.vehicle", "al.count"][i]); });
  if (al.last) renderPredict(al.last);
  if (al.plan) renderPlan(al.plan);
}

export { showAlloys, redrawAlloys };
