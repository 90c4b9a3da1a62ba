// Lots page, part 1: find the lots your organisation may see (search by id, filter by material and
// holder, creation dates), one page at a time; choosing a lot opens its footprint and genealogy (trace.js).
import { $, api, fmt, fmtPct, fmtTime, problemOf, showProblem, t } from "./core.js";
import { checked } from "./fieldnotes.js";

const SIZES = [10, 25, 50, 100];
/** The query shown (filters as last searched, page) and the last answer, kept across languages. */
const ls = { q: "", material: "", holder: "", made_from: "", made_to: "", limit: 25, offset: 0, asked: 0, open: null, doc: null, seen: { material: new Set(), owner: new Set() } };

/** The search section, built once (index.html belongs to the whole app) before the lot form;
 * its fixed texts carry data-i18n, so switching language translates them. */
function build() {
  const sec = document.createElement("section");
  sec.id = "lots-list";
  sec.setAttribute("aria-labelledby", "lots-title");
  sec.innerHTML = `
    <h3 id="lots-title" data-i18n="lots.title">Find a lot</h3>
    <form id="lots-form" role="search" novalidate>
      <div class="lots-filters">
        <span><label for="lots-q" data-i18n="lots.q">Search by id</label>
          <input id="lots-q" type="search" maxlength="200" autocomplete="off"></span>
        <span><label for="lots-material" data-i18n="lots.material">Material</label>
          <input id="lots-material" list="lots-materials" maxlength="200" autocomplete="off"></span>
        <span><label for="lots-holder" data-i18n="lots.holder">Holder</label>
          <input id="lots-holder" list="lots-holders" maxlength="200" autocomplete="off"></span>
        <span><label for="lots-from" data-i18n="lots.from">Made from</label>
          <input id="lots-from" type="date"></span>
        <span><label for="lots-to" data-i18n="lots.to">Made to</label>
          <input id="lots-to" type="date"></span>
        <span><label for="lots-size" data-i18n="lots.size">Per page</label>
          <select id="lots-size">${SIZES.map((n) => `<option value="${n}"${n === ls.limit ? " selected" : ""}>${n}</option>`).join("")}</select></span>
        <button type="submit" data-i18n="lots.search">Search</button>
        <button type="button" id="lots-clear" class="secondary" data-i18n="lots.clear">Clear</button>
      </div>
      <ul id="lots-errors" class="error" aria-live="assertive"></ul>
    </form>
    <datalist id="lots-materials"></datalist><datalist id="lots-holders"></datalist>
    <p id="lots-empty" hidden></p>
    <table id="lots-table" hidden></table>
    <p id="lots-hidden-note" class="note" hidden data-i18n="lots.hiddenNote">– : not visible to your organisation.</p>
    <div class="pager">
      <button type="button" id="lots-prev" class="secondary" data-i18n="lots.prev">Previous</button>
      <span id="lots-range" role="status" aria-live="polite"></span>
      <button type="button" id="lots-next" class="secondary" data-i18n="lots.next">Next</button>
    </div>`;
  $("#tr-form").before(sec);
}
build();

/** The current filters as query parameters (empty ones left out). */
function params() {
  const p = new URLSearchParams({ limit: String(ls.limit), offset: String(ls.offset) });
  for (const k of ["q", "material", "holder", "made_from", "made_to"]) if (ls[k]) p.set(k, ls[k]);
  return p;
}

/** Fetch the current page and draw it; errors are shown beside the form and the old table hidden. */
async function showLots() {
  const mine = ++ls.asked;  // a slower earlier answer must not overwrite a later one
  $("#lots-list").setAttribute("aria-busy", "true");
  try {
    const res = await api(`/api/trace/lots?${params()}`);
    const doc = res.ok ? await res.json() : await problemOf(res);
    if (mine !== ls.asked) return;
    $("#lots-errors").replaceChildren();
    if (!res.ok) { ls.doc = null; showProblem("#lots-errors", doc); drawLots(); return; }
    ls.doc = doc;
  } finally { if (mine === ls.asked) $("#lots-list").removeAttribute("aria-busy"); }
  // an offset past the end (lots changed since) goes back to the last page that has lots
  if (!ls.doc.lots.length && ls.doc.total > 0 && ls.offset > 0) {
    ls.offset = Math.max(0, Math.floor((ls.doc.total - 1) / ls.limit) * ls.limit);
    await showLots();
    return;
  }
  for (const d of ls.doc.lots) { ls.seen.material.add(d.material); ls.seen.owner.add(d.owner); }
  drawLots();
}

/** A table cell; `cls` "data" marks names and ids (data, not messages), "num" right-aligns. */
function td(text, cls = "") {
  const c = document.createElement("td");
  c.textContent = text;
  if (cls) c.className = cls;
  return c;
}

function lotRow(d) {
  const row = document.createElement("tr");
  row.className = "lot-row";
  const open = Object.assign(document.createElement("button"), { type: "button", className: "link data", textContent: d.lot });
  open.setAttribute("aria-label", t("lots.open", { lot: d.lot }));
  open.addEventListener("click", (ev) => { ev.stopPropagation(); openLot(d.lot); });
  const id = document.createElement("td"); id.append(open);
  const cfp = d.cfp_kgco2e, rec = d.recycled;
  row.append(id, td(d.material, "data"), td(fmt(d.mass_kg), "num"), td(d.owner, "data"),
    td(t(`lots.custody.${d.custody}`, {}, d.custody)),
    td(cfp ? fmt(cfp.per_kg) : "–", "num"), td(rec ? fmtPct(rec.total) : "–", "num"), td(fmtTime(d.updated_at)));
  if (d.lot === ls.open) row.setAttribute("aria-current", "true");
  row.dataset.lot = d.lot;
  row.addEventListener("click", () => openLot(d.lot));
  return { row, hidden: !cfp || !rec };
}

/** Draw the last answer in the current language (also after a language switch, without fetching). */
function drawLots() {
  const doc = ls.doc, table = $("#lots-table");
  const fill = (sel, set) => $(sel).replaceChildren(...[...set].sort().map((v) => Object.assign(document.createElement("option"), { value: v })));
  fill("#lots-materials", ls.seen.material); fill("#lots-holders", ls.seen.owner);
  const lots = doc ? doc.lots : [];
  $("#lots-empty").hidden = !doc || lots.length > 0;
  $("#lots-empty").textContent = ls.q || ls.material || ls.holder || ls.made_from || ls.made_to ? t("lots.emptyFiltered") : t("lots.empty");
  table.hidden = !lots.length;
  const head = document.createElement("tr");
  for (const k of ["id", "material", "mass", "holder", "custody", "cfp", "recycled", "updated"]) {
    const th = document.createElement("th"); th.scope = "col"; th.textContent = t(`lots.col.${k}`); head.append(th);
  }
  const rows = lots.map(lotRow);
  const thead = document.createElement("thead"); thead.append(head);
  const tbody = document.createElement("tbody"); tbody.append(...rows.map((r) => r.row));
  table.replaceChildren(thead, tbody);
  $("#lots-hidden-note").hidden = !rows.some((r) => r.hidden);
  const total = doc ? doc.total : 0;
  $("#lots-range").textContent = lots.length
    ? t("lots.range", { from: fmt(ls.offset + 1), to: fmt(ls.offset + lots.length), total: fmt(total) }) : "";
  $("#lots-prev").disabled = !doc || ls.offset === 0;
  $("#lots-next").disabled = !doc || ls.offset + lots.length >= total;
  $("#lots-prev").parentElement.hidden = !lots.length;
}

/** Open a lot's footprint and genealogy below (the lot form does the rest, errors included). */
function openLot(lot) {
  ls.open = lot;
  document.querySelectorAll("#lots-table tbody tr").forEach((r) => {
    if (r.dataset.lot === lot) r.setAttribute("aria-current", "true"); else r.removeAttribute("aria-current");
  });
  $("#tr-lot").value = lot;
  $("#tr-form").requestSubmit();
  $("#tr-form").scrollIntoView({ block: "start" });
}

/** The last day before the first: said beside "Made to" in the page's language (the service's refusal read
 * "made_to: … is before made_from (…)", in English under any language); null when the days are in order. */
const datesReversed = () => {
  const from = $("#lots-from").value, to = $("#lots-to").value;
  return from && to && to < from ? t("lots.datesReversed", { from }) : null;
};

$("#lots-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (checked($("#lots-to"), datesReversed)) { $("#lots-to").focus(); return; }
  ls.q = $("#lots-q").value.trim();
  ls.material = $("#lots-material").value.trim();
  ls.holder = $("#lots-holder").value.trim();
  ls.made_from = $("#lots-from").value;
  ls.made_to = $("#lots-to").value;
  ls.limit = Number($("#lots-size").value);
  ls.offset = 0;
  await showLots();
});
$("#lots-clear").addEventListener("click", async () => {
  for (const id of ["#lots-q", "#lots-material", "#lots-holder", "#lots-from", "#lots-to"]) $(id).value = "";
  Object.assign(ls, { q: "", material: "", holder: "", made_from: "", made_to: "", offset: 0 });
  await showLots();
});
$("#lots-size").addEventListener("change", () => $("#lots-form").requestSubmit());
$("#lots-prev").addEventListener("click", async () => { ls.offset = Math.max(0, ls.offset - ls.limit); await showLots(); });
$("#lots-next").addEventListener("click", async () => { ls.offset += ls.limit; await showLots(); });

export { showLots, drawLots, openLot };
