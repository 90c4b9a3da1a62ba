// Lots: a lot's footprint, recycled content and genealogy; notifications, the catalogue, agreements.
import { $, api, cell, fmt, fmtPct, plot, problemMessages, problemOf, show, showProblem, state, t, table } from "./core.js";
import { showLots } from "./lots.js";

const tr = { last: null };

/** An offer's usage policy in words ("purpose: …; until …"), not as JSON. */
function policyText(p) {
  if (!p || typeof p !== "object") return p ? String(p) : "–";
  return Object.entries(p).map(([k, v]) => `${t(`tr.policy.${k}`, {}, k)}: ${Array.isArray(v) ? v.join(", ") : typeof v === "object" ? JSON.stringify(v) : v}`).join("; ");
}

async function showTrace() {
  show("trace");
  const [notes, cat, ags] = await Promise.all([...["notifications", "catalogue", "agreements"].map(
    async (k) => (await api(`/api/trace/${k}`)).json()), showLots()]);
  $("#tr-notes").replaceChildren(...(notes.notifications.length
    ? notes.notifications.map((n) => cell("li", `${n.created_at.slice(0, 19)} — ${n.message}`))
    : [cell("li", t("tr.none"))]));
  table($("#tr-catalogue"), [t("tr.provider"), t("tr.name"), t("tr.fields"), t("tr.policy")],
    cat.datasets.map((d) => [d.provider, `${d.name} (${d.lots})`, d.fields.map((f) => t(`tr.field.${f}`, {}, f)).join(", "),
      policyText(d.policy)]), t("tr.none"));
  table($("#tr-agreements"), [t("tr.grantor"), t("tr.grantee"), t("tr.fields"), t("tr.purpose"), t("tr.expires"), t("tr.revoked")],
    ags.agreements.map((a) => [a.grantor, a.grantee, a.fields.map((f) => t(`tr.field.${f}`, {}, f)).join(", "), a.purpose, a.expires_at.slice(0, 10), a.revoked ? "✓" : ""]), t("tr.none"));
  // a revoke button on the agreements this organisation granted
  const me = state.me?.organisation;  // not read back from the header: a name may hold "("
  $("#tr-agreements").querySelectorAll("tbody tr").forEach((tr, i) => {
    const a = ags.agreements[i];
    if (!a || a.revoked || a.grantor !== me) return;  // (no agreement: the 'none' row)
    const btn = Object.assign(document.createElement("button"), { type: "button", textContent: t("tr.revoke") });
    btn.setAttribute("aria-label", `${t("tr.revoke")} ${a.grantee} ${a.purpose}`);
    btn.addEventListener("click", async () => { await api(`/api/trace/agreements/${a.id}`, { method: "DELETE" }); showTrace(); });
    tr.lastChild.append(btn);
  });
  if (!$("#tr-fields").children.length) {
    for (const f of ["cfp", "recycled", "claims", "composition", "inputs", "site"]) {
      const box = Object.assign(document.createElement("input"), { type: "checkbox", id: `tr-f-${f}`, value: f });
      const label = Object.assign(document.createElement("label"), { htmlFor: box.id });
      const span = document.createElement("span"); span.append(box, label); $("#tr-fields").append(span);
    }
  }
  document.querySelectorAll("#tr-fields label").forEach((l) => { l.textContent = t(`tr.field.${l.htmlFor.slice(5)}`, {}, l.htmlFor.slice(5)); });
}

$("#tr-grant").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#tr-grant-errors").replaceChildren(); $("#tr-grant-status").textContent = "";
  const fields = [...document.querySelectorAll("#tr-fields input:checked")].map((el) => el.value);
  const grantee = $("#tr-grantee").value.trim();
  const res = await api("/api/trace/agreements", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ grantee, lots: $("#tr-lots").value.split(",").map((x) => x.trim()).filter(Boolean),
      fields, purpose: $("#tr-purpose").value.trim(), expires_at: `${$("#tr-expires").value}T23:59:59Z` }) });
  // the one thing a grant does not find is the grantee (the service says "not found" alone, naming nothing)
  if (res.status === 404) { $("#tr-grant-errors").replaceChildren(cell("li", t("tr.granteeNotFound", { name: grantee }))); return; }
  if (!res.ok) {
    const doc = await res.json();
    // a refused field is named by its label in the form (Expires), not as the service's expires_at
    const fields = { grantee: "tr-grantee", lots: "tr-lots", purpose: "tr-purpose", expires_at: "tr-expires" };
    $("#tr-grant-errors").replaceChildren(...problemMessages(doc, fields).map((m) => cell("li", m)));
    return;
  }
  $("#tr-grant-status").textContent = t("tr.granted");
  await showTrace();
});

$("#tr-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#tr-errors").replaceChildren();
  const lot = $("#tr-lot").value.trim();
  const res = await api(`/api/trace/lots/${encodeURIComponent(lot)}/genealogy`);
  if (!res.ok) {
    $("#tr-result").hidden = true; tr.last = null;
    showProblem("#tr-errors", res.status === 404 ? { detail: t("tr.notFound", { lot }) } : await problemOf(res));
    return;
  }
  tr.last = { g: await res.json(), lot };
  drawLot(tr.last);
});

function drawLot({ g, lot }) {
  $("#tr-result").hidden = false;  // before drawing: a hidden chart is drawn at a default width
  const root = g.nodes.find((n) => n.lot === lot);
  const cfp = root.cfp_kgco2e || {}, rec = root.recycled || {};
  $("#tr-summary").textContent = t("tr.summary", { lot: root.lot, material: root.material, mass: fmt(root.mass_kg),
    creator: root.creator, owner: root.owner, cfp: fmt(cfp.total), perkg: fmt(cfp.per_kg),
    rec: rec.total === undefined ? "–" : fmtPct(rec.total), access: t(`tr.access.${root.access}`, {}, root.access) });
  const facts = root.pcf_facts;
  if (facts) {
    $("#tr-summary").textContent += " " + t("tr.facts", { country: facts.country || "–",
      carbon: facts.fossil_carbon_kg === null || facts.fossil_carbon_kg === undefined
        ? t("tr.undeclared") : fmt(facts.fossil_carbon_kg),
      standards: (facts.standards || []).join(", ") });
  }
  capNotice(g);
  // genealogy: columns by generation (upstream left, downstream right)
  const level = { [lot]: 0 };
  for (let pass = 0; pass < g.nodes.length; pass++) {
    for (const e of g.edges) {
      if (level[e.to] !== undefined && level[e.from] === undefined) level[e.from] = level[e.to] - 1;
      if (level[e.from] !== undefined && level[e.to] === undefined) level[e.to] = level[e.from] + 1;
    }
  }
  const perLevel = {};
  const pos = {};
  for (const n of g.nodes) {
    const l = level[n.lot] ?? 0;
    perLevel[l] = (perLevel[l] || 0) + 1;
    pos[n.lot] = [l, perLevel[l]];
  }
  const traces = g.edges.map((e) => ({ x: [pos[e.from][0], pos[e.to][0]], y: [pos[e.from][1], pos[e.to][1]],
    mode: "lines", line: { color: "#999" }, hoverinfo: "text", text: `${fmt(e.mass_kg)} kg`, showlegend: false }));
  traces.push({ x: g.nodes.map((n) => pos[n.lot][0]), y: g.nodes.map((n) => pos[n.lot][1]), mode: "markers+text",
    text: g.nodes.map((n) => `${n.lot}<br>${n.cfp_kgco2e ? fmt(n.cfp_kgco2e.total) + " kg CO2e" : ""}`),
    textposition: "top center", marker: { size: 18, color: g.nodes.map((n) => n.lot === lot ? "#c0392b" : "#1b4f72") },
    hovertext: g.nodes.map((n) => `${n.lot}: ${n.material}, ${fmt(n.mass_kg)} kg (${n.creator})`), hoverinfo: "text", showlegend: false });
  // room around the outermost lots so no name is cut at the chart's edge
  const xs = Object.values(pos).map((p) => p[0]), ys = Object.values(pos).map((p) => p[1]);
  plot("tr-graph", traces, { title: t("chart.genealogy"), height: 380,
    xaxis: { visible: false, range: [Math.min(...xs) - 0.7, Math.max(...xs) + 0.7] },
    yaxis: { visible: false, range: [Math.min(...ys) - 0.6, Math.max(...ys) + 0.9] },
    margin: { l: 10, r: 10, t: 50, b: 10 }, plot_bgcolor: "white" });
  // breakdown: each input's share of the CFP and of the recycled mass (mass-allocated)
  const inputs = (root.inputs || []).map((i) => ({ ...i, node: g.nodes.find((n) => n.lot === i.lot) }))
    .filter((i) => i.node && i.node.cfp_kgco2e);
  if (inputs.length) {
    $("#tr-breakdown").hidden = false;
    const cfpPart = inputs.map((i) => i.node.cfp_kgco2e.total * i.mass_kg / i.node.mass_kg);
    const recPart = inputs.map((i) => (i.node.recycled ? i.node.recycled.total : 0) * i.mass_kg);
    // two panels side by side, each with its own scale (one overlaid axis hid one bar behind the other)
    const lots = inputs.map((i) => i.lot);
    plot("tr-breakdown", [
      { type: "bar", name: t("tr.legendCfp"), x: lots, y: cfpPart, hovertemplate: "%{x}: %{y:,.4~r} kg CO2e<extra></extra>" },
      { type: "bar", name: t("tr.legendRecycled"), x: lots, y: recPart, xaxis: "x2", yaxis: "y2",
        hovertemplate: "%{x}: %{y:,.4~r} kg<extra></extra>" }],
    { title: t("chart.breakdown"), height: 360, legend: { orientation: "h", y: -0.25 },
      xaxis: { domain: [0, 0.44], title: t("tr.inputLot") }, yaxis: { title: t("axis.kgCo2e"), rangemode: "tozero" },
      xaxis2: { domain: [0.56, 1], anchor: "y2", title: t("tr.inputLot") },
      yaxis2: { anchor: "x2", title: t("axis.kg"), rangemode: "tozero" } });
    $("#tr-breakdown").hidden = false;
  } else { $("#tr-breakdown").hidden = true; }
  $("#tr-result").hidden = false;
}

/** Under the summary, when the answer was capped: how many lots are shown, how many linked
 * lots were left out and the limit (nothing when the whole genealogy fits). */
function capNotice(g) {
  let note = $("#tr-truncated");
  if (!note) {
    note = Object.assign(document.createElement("p"), { id: "tr-truncated", className: "capped" });
    note.setAttribute("role", "status");
    $("#tr-summary").after(note);
  }
  note.hidden = !g.truncated;
  note.textContent = g.truncated ? t("tr.truncated", { shown: fmt(g.nodes.length),
    omitted: fmt(g.omitted ?? 0), limit: fmt(g.node_limit ?? g.nodes.length) }) : "";
}

async function redrawTrace() { await showTrace(); if (tr.last) drawLot(tr.last); }

export { showTrace, redrawTrace };
