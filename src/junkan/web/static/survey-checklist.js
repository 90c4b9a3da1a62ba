// Nature page, field survey: an administrator's editor of the organisation's species checklist (upload a CSV or
// JSON file for the whole survey or one area, or remove it); the survey reloads its checklist after each change.
import { $, api, problemOf, showMessages, showProblem, t } from "./core.js";

function field(id, key, props) {
  const label = Object.assign(document.createElement("label"), { htmlFor: id, textContent: t(key) });
  label.dataset.i18n = key;
  return [label, Object.assign(document.createElement("input"), { id }, props)];
}

function i18nEl(tag, key, props = {}) {
  const e = Object.assign(document.createElement(tag), { textContent: t(key) }, props);
  e.dataset.i18n = key; return e;
}

/** For an administrator: upload the organisation's checklist (CSV or JSON) for the survey or one area, or remove it. */
async function checklistEditor(loadChecklist) {
  if ($("#ns-cl-edit")) return;
  const res = await api("/api/me").catch(() => null);
  const me = res && res.ok ? await res.json() : null;
  if (!me || me.role !== "admin" || $("#ns-cl-edit")) return;
  const box = Object.assign(document.createElement("details"), { id: "ns-cl-edit" });
  const url = () => {
    const area = $("#ns-cl-area").value.trim();
    return `/api/nature/survey/checklist${area ? `?area=${encodeURIComponent(area)}` : ""}`;
  };
  const done = async (r, okKey, vars = {}) => {
    $("#ns-cl-errors").replaceChildren(); $("#ns-cl-status").textContent = "";
    if (!r) { showMessages("#ns-cl-errors", [t("ns.offline")]); return; }
    if (r.status === 404) { $("#ns-cl-status").textContent = t("ns.cl.none"); return; }
    if (!r.ok) { showProblem("#ns-cl-errors", await problemOf(r)); return; }
    const doc = r.status === 204 ? {} : await r.json();
    $("#ns-cl-status").textContent = t(okKey, { ...vars, name: doc.name, n: (doc.species || []).length });
    await loadChecklist(true);
  };
  const upload = i18nEl("button", "ns.cl.upload", { type: "button", id: "ns-cl-upload" });
  upload.onclick = async () => {
    const file = $("#ns-cl-file").files[0];
    if (!file) { showMessages("#ns-cl-errors", [t("ns.cl.noFile")]); return; }
    const body = new FormData(); body.append("file", file, file.name);
    await done(await api(url(), { method: "PUT", body }).catch(() => null), "ns.cl.uploaded");
  };
  const remove = i18nEl("button", "ns.cl.remove", { type: "button", id: "ns-cl-remove" });
  remove.onclick = async () => done(await api(url(), { method: "DELETE" }).catch(() => null), "ns.cl.removed");
  box.append(i18nEl("summary", "ns.cl.title"), i18nEl("p", "ns.cl.about", { className: "note" }),
    ...field("ns-cl-file", "ns.cl.file", { type: "file", accept: ".csv,.json,text/csv,application/json" }),
    ...field("ns-cl-area", "ns.cl.area", { maxLength: 100 }), upload, remove,
    Object.assign(document.createElement("span"), { id: "ns-cl-status" }),
    Object.assign(document.createElement("ul"), { id: "ns-cl-errors", className: "error" }));
  box.querySelector("#ns-cl-status").setAttribute("role", "status");
  box.querySelector("#ns-cl-status").setAttribute("aria-live", "polite");
  $("#ns-form").after(box);
}

export { checklistEditor };
