// A model's workspace: versions with downloads and a diff of any two, sharing with organisations,
// deleting, and editing the document with live validation (saved as a new version): in forms
// (model_form.js) or as YAML/JSON text.
import { $, api, cell, fmtTime, problemMessages, problemOf, setText, showProblem, state, t } from "./core.js";
import { loadForm, redrawForm, resetForm } from "./model_form.js";

let validateTimer = null;

function resetWorkspace() {
  $("#versions-table").replaceChildren(); $("#diff").replaceChildren(); $("#diff-summary").textContent = "";
  $("#shares-list").replaceChildren(); $("#share-status").textContent = ""; $("#share-errors").replaceChildren();
  $("#doc-text").value = ""; $("#doc-status").textContent = ""; $("#doc-errors").replaceChildren();
  $("#doc-comment").value = "";
  resetForm();
}

async function loadWorkspace(m) {
  $("#model-download").href = `/api/models/${m.id}/download?version=${m.version}`;
  $("#owner-tools").hidden = !m.owner;
  $("#doc-save").hidden = !m.owner;
  $("#doc-text").value = m.content;
  $("#doc-text").readOnly = !m.owner;
  await Promise.all([loadVersions(m), m.owner ? loadShares(m) : null, loadForm(m)]);
}

async function loadVersions(m) {
  const vs = await (await api(`/api/models/${m.id}/versions`)).json();
  if (!state.model || state.model.id !== m.id) return;
  const thead = document.createElement("thead");
  const hr = document.createElement("tr");
  for (const h of [t("version"), t("ws.savedAt"), t("ws.comment"), t("ws.file")]) {
    const th = cell("th", h); th.scope = "col"; hr.append(th);
  }
  thead.append(hr);
  const tbody = document.createElement("tbody");
  for (const v of vs) {
    const tr = document.createElement("tr");
    const a = Object.assign(document.createElement("a"), { href: `/api/models/${m.id}/download?version=${v.version}`,
      textContent: `v${v.version}.${v.format}` });
    a.setAttribute("download", "");
    const td = document.createElement("td"); td.append(a);
    const comment = cell("td", v.comment || ""); comment.className = "data";  // the user's words, as written
    tr.append(cell("td", `v${v.version}`), cell("td", fmtTime(v.created_at)), comment, td);
    tbody.append(tr);
  }
  $("#versions-table").replaceChildren(thead, tbody);
  const opts = vs.map((v) => new Option(`v${v.version}`, v.version));
  $("#diff-a").replaceChildren(...opts.map((o) => o.cloneNode(true)));
  $("#diff-b").replaceChildren(...opts);
  if (vs.length > 1) $("#diff-a").value = vs[vs.length - 2].version;
  $("#diff-b").value = vs[vs.length - 1].version;
}

$("#diff-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const m = state.model; if (!m) return;
  const res = await api(`/api/models/${m.id}/diff?a=${$("#diff-a").value}&b=${$("#diff-b").value}`);
  if (!res.ok) { $("#diff-summary").textContent = problemMessages(await problemOf(res)).join(" "); return; }
  const d = await res.json();
  setText($("#diff-summary"), () => (d.diff ? t("ws.diffSummary", { a: d.a, b: d.b, added: d.added, removed: d.removed })
    + (d.truncated ? ` ${t("ws.diffTruncated")}` : "") : t("ws.same", { a: d.a, b: d.b })));
  $("#diff").replaceChildren(...d.diff.split("\n").filter(Boolean).map((line) => {
    const span = cell("span", `${line}\n`);
    span.className = /^(\+\+\+|---|@@)/.test(line) ? "hunk" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "";
    return span;
  }));
});

// ---- sharing and deleting ------------------------------------------------------------------
async function loadShares(m) {
  const rows = await (await api(`/api/models/${m.id}/shares`)).json();
  if (!state.model || state.model.id !== m.id) return;
  $("#shares-list").replaceChildren(...(rows.length ? rows.map((r) => {
    const li = cell("li", `${r.organisation} (${fmtTime(r.created_at)}) `);
    const b = Object.assign(document.createElement("button"), { type: "button", className: "secondary",
      textContent: t("ws.withdraw") });
    b.setAttribute("aria-label", `${t("ws.withdraw")} ${r.organisation}`);
    b.addEventListener("click", async () => {
      await api(`/api/models/${m.id}/shares/${encodeURIComponent(r.organisation)}`, { method: "DELETE" });
      await loadShares(m);
    });
    li.append(b); return li;
  }) : [cell("li", t("ws.notShared"))]));
}

$("#share-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const m = state.model; if (!m) return;
  $("#share-errors").replaceChildren(); $("#share-status").textContent = "";
  const org = $("#share-org").value.trim();
  const res = await api(`/api/models/${m.id}/shares`, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ organisation: org }) });
  if (!res.ok) {
    showProblem("#share-errors", res.status === 404 ? { detail: t("ws.noSuchOrg", { org }) } : await problemOf(res));
    return;
  }
  $("#share-status").textContent = t("ws.sharedWith", { org });
  $("#share-org").value = "";
  await loadShares(m);
});

$("#model-delete").addEventListener("click", async () => {
  const m = state.model; if (!m) return;
  if (!window.confirm(t("ws.confirmDelete", { name: m.name }))) return;
  const res = await api(`/api/models/${m.id}`, { method: "DELETE" });
  if (!res.ok) { showProblem("#model-errors", await problemOf(res)); return; }
  state.model = null;
  location.hash = "#/models";
});

// ---- editing the document: live validation, saved as a new version ---------------------------
async function validateDoc() {
  const text = $("#doc-text").value;
  if (!text.trim()) return false;
  const res = await api("/api/validate", { method: "POST", headers: { "Content-Type": "application/yaml" }, body: text });
  if (text !== $("#doc-text").value) return false;  // typed on meanwhile: a newer check follows
  $("#doc-errors").replaceChildren();
  if (!res.ok) {
    $("#doc-status").textContent = t("doc.invalid");
    $("#doc-errors").replaceChildren(...problemMessages(await problemOf(res)).map((x) => cell("li", x)));
    return false;
  }
  const card = await res.json();
  $("#doc-status").textContent = t("doc.valid", { scenarios: card.scenarios.length, params: card.parameters });
  return true;
}

$("#doc-text").addEventListener("input", () => {
  $("#doc-status").textContent = t("doc.checking");
  clearTimeout(validateTimer); validateTimer = setTimeout(validateDoc, 600);
});

$("#doc-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const m = state.model; if (!m) return;
  if (!(await validateDoc())) return;
  const comment = $("#doc-comment").value.trim();
  const res = await api(`/api/models/${m.id}${comment ? `?comment=${encodeURIComponent(comment)}` : ""}`, {
    method: "PUT", headers: { "Content-Type": "application/yaml" }, body: $("#doc-text").value });
  if (!res.ok) { showProblem("#doc-errors", await problemOf(res)); return; }
  const saved = await res.json();
  state.model = null;  // reload at the new version
  const { showModel } = await import("./model.js");
  await showModel(m.id);
  $("#doc-status").textContent = t("doc.saved", { version: saved.latest_version });
});

/** After a language switch: the tables' words (what is typed in the document stays). */
async function redrawWorkspace(m) {
  redrawForm();
  await Promise.all([loadVersions(m), m.owner ? loadShares(m) : null]);
}

export { loadWorkspace, redrawWorkspace, resetWorkspace };
