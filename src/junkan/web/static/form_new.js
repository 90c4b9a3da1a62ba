// A new model from a shipped template, on the models page: created through the form service and opened
// straight in the form editor (model_form.js).
import { $, api, jsonBody, problemOf, showProblem, t } from "./core.js";
import { F } from "./form_doc.js";

$("#mf-new").addEventListener("toggle", async () => {
  const sel = $("#mf-template");
  if (!$("#mf-new").open || sel.options.length) return;
  const rows = await (await api("/api/forms/templates")).json();
  sel.replaceChildren(...rows.map((r) => new Option(t(`example.${r.name}`, {}, r.title), r.name)));
});

$("#mf-new-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#mf-new-errors").replaceChildren(); $("#mf-new-status").textContent = t("ws.adding");
  const tpl = await api(`/api/forms/templates/${encodeURIComponent($("#mf-template").value)}`);
  if (!tpl.ok) { $("#mf-new-status").textContent = ""; showProblem("#mf-new-errors", await problemOf(tpl)); return; }
  const doc = (await tpl.json()).document;
  doc.name = $("#mf-new-name").value.trim();
  if ($("#mf-new-title").value.trim()) doc.title = $("#mf-new-title").value.trim();
  const res = await api("/api/forms", jsonBody({ document: doc, comment: t("mf.fromTemplate", { name: $("#mf-template").value }) }));
  $("#mf-new-status").textContent = "";
  if (!res.ok) { showProblem("#mf-new-errors", await problemOf(res)); return; }
  const m = await res.json();
  F.openNext = m.id;
  location.hash = `#/models/${m.id}`;
});
