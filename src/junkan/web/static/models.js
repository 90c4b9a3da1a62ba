// The model list: search, open, download, delete; upload a file or start from a shipped example.
import { $, api, cell, examples, fieldMessage, fmtTime, problemLead, problemMessages, show, t } from "./core.js";

let searchTimer = null;

/** List the models (those matching the search box), each with its actions. */
async function showModels() {
  show("models");
  await listModels();
  await drawExamples();
}

async function listModels() {
  const q = $("#model-search").value.trim();
  const rows = await (await api(`/api/models${q ? `?q=${encodeURIComponent(q)}` : ""}`)).json();
  const body = $("#models-table tbody");
  body.replaceChildren(...rows.map((m) => {
    const tr = document.createElement("tr");
    const a = Object.assign(document.createElement("a"), { href: `#/models/${m.id}`, textContent: m.name });
    const dl = Object.assign(document.createElement("a"), { href: `/api/models/${m.id}/download`,
      textContent: t("ws.download") });
    dl.setAttribute("download", "");
    dl.setAttribute("aria-label", `${t("ws.download")} ${m.name}`);
    const actions = document.createElement("td"); actions.append(dl);
    if (m.owner) {
      const del = Object.assign(document.createElement("button"), { type: "button", className: "danger",
        textContent: t("ws.delete") });
      del.setAttribute("aria-label", `${t("ws.delete")} ${m.name}`);
      del.addEventListener("click", () => deleteModel(m));
      actions.append(" ", del);
    }
    const cells = [a, m.title || "", String(m.latest_version), m.owner ? t("own") : t("shared"), fmtTime(m.updated_at)];
    for (const c of cells) { const td = document.createElement("td"); td.append(c); tr.append(td); }
    tr.append(actions);
    return tr;
  }));
  $("#models-empty").hidden = rows.length > 0;
}

async function deleteModel(m) {
  if (!window.confirm(t("ws.confirmDelete", { name: m.name }))) return;
  const res = await api(`/api/models/${m.id}`, { method: "DELETE" });
  $("#upload-status").textContent = res.ok ? t("ws.deleted", { name: m.name }) : problemMessages(await res.json()).join(" ");
  await listModels();
}

/** One button per shipped lifecycle example: a copy becomes a new model of your organisation. */
async function drawExamples() {
  const box = $("#examples");
  box.querySelectorAll("button").forEach((b) => { b.textContent = t(`example.${b.dataset.example}`, {}, b.textContent); });
  if (box.dataset.drawn) return;
  box.dataset.drawn = "1";
  for (const ex of (await examples()).filter((e) => e.kind === "lifecycle")) {
    const b = Object.assign(document.createElement("button"), { type: "button", className: "secondary" });
    b.dataset.example = ex.name;
    b.textContent = t(`example.${ex.name}`, {}, ex.title);
    b.addEventListener("click", () => addExample(ex.name));
    box.append(b, " ");
  }
}

/** A new model from a shipped example (the library's templates), then open it. */
async function addExample(name) {
  $("#upload-status").textContent = t("ws.adding");
  const text = await (await api(`/api/examples/${name}`)).text();
  const res = await api("/api/models", { method: "POST", headers: { "Content-Type": "application/yaml" }, body: text });
  if (!res.ok) { $("#upload-status").textContent = problemMessages(await res.json()).join(" "); return; }
  const m = await res.json();
  $("#upload-status").textContent = t("uploaded");
  location.hash = `#/models/${m.id}`;
}

/** A readable explanation of an upload's errors: a network scenario sent as a model is named as such. */
function uploadErrors(body, text) {
  const list = $("#upload-errors");
  list.replaceChildren();
  if (/^\s*junkan_network\s*:/m.test(text)) {
    list.append(cell("li", t("err.networkAsModel")));
    return;
  }
  const shown = (body.errors || []).map(fieldMessage);
  const lead = problemLead(body, shown);
  if (lead && shown.length) list.append(cell("li", lead));
  (body.errors || []).forEach((e, i) => {
    const li = document.createElement("li");
    const code = document.createElement("code"); code.textContent = e.path || t("err.document");
    li.append(code, ": " + shown[i]); list.append(li);
  });
  if (!(body.errors || []).length) list.append(...problemMessages(body).map((m) => cell("li", m)));
}

$("#upload-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = $("#upload-file").files[0];
  if (!file) return;
  const text = await file.text();
  const type = { "Content-Type": file.name.endsWith(".json") ? "application/json" : "application/yaml" };
  $("#upload-errors").replaceChildren(); $("#upload-status").textContent = "";
  // checked first: a model your organisation already has becomes a new version, not a second row
  const check = await api("/api/validate", { method: "POST", body: text, headers: type });
  if (!check.ok) {
    $("#upload-status").textContent = check.status === 422 ? t("invalidModel") : "";
    uploadErrors(await check.json(), text);
    return;
  }
  const { name } = await check.json();
  const same = (await (await api(`/api/models?q=${encodeURIComponent(name)}`)).json()).find((m) => m.owner && m.name === name);
  let res;
  if (same && window.confirm(t("ws.newVersionOf", { name }))) {
    res = await api(`/api/models/${same.id}?comment=${encodeURIComponent(file.name)}`, { method: "PUT", body: text, headers: type });
  } else {
    const fd = new FormData(); fd.append("file", file);
    res = await api("/api/models", { method: "POST", body: fd });
  }
  if (!res.ok) { uploadErrors(await res.json(), text); return; }
  const saved = await res.json();
  $("#upload-status").textContent = same && saved.id === same.id
    ? t("ws.versionSaved", { name, version: saved.latest_version }) : t("uploaded");
  await listModels();
});

$("#model-search").addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(listModels, 200); });
$("#models-search-form").addEventListener("submit", (ev) => { ev.preventDefault(); listModels(); });

export { showModels, listModels };
