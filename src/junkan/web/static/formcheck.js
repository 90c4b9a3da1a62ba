// Forms checked by the page, not by the browser. A form marked `novalidate data-check` keeps its HTML
// constraints (required, min, max, step, pattern, type) as the description of what it takes, but the browser
// shows no bubble of its own (in the browser's language): on submit, each field that breaks one is said here,
// in the page's language, beside the field (marked aria-invalid and described by the message), and the form's
// own submit handler does not run. Numbers are read as the other pages read them (core.js readNumber).
// Pages that check a form themselves say their problems the same way, beside the field: markProblems (a
// form's fields by their HTML constraints), markField (a page's own check of one field) and markRefused (the
// fields a service's answer refused); each message goes once its field is right.
import { fieldMessage, fmt, problemMessages, readNumber, setText, t } from "./core.js";

/** A field's name as the page shows it: its label's text (a label for it, or one around it), else its
 * aria-label, name or id. */
function labelOf(el) {
  const label = (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) || el.closest("label");
  return (label && label.textContent.trim()) || el.getAttribute("aria-label") || el.name || el.id;
}

/** An attribute's number, or `fallback` when absent or not a number. */
function numAttr(el, name, fallback) {
  const v = el.getAttribute(name);
  return v === null || v.trim() === "" || !Number.isFinite(Number(v)) ? fallback : Number(v);
}

/** What is wrong with a number field (its label, range and whole-number step), or null. */
function numberProblem(el, label) {
  if (el.value.trim() === "" && !el.validity.badInput && !el.required) return null;
  const step = el.getAttribute("step");
  const min = numAttr(el, "min", -Infinity), max = numAttr(el, "max", Infinity);
  const whole = step !== null && step !== "any" && Number.isInteger(Number(step)) && Number(step) > 0
    && (!Number.isFinite(min) || Number.isInteger(min));
  return readNumber(el, label, { integer: whole, min, max }).problem || null;
}

/** The pattern attribute as JavaScript matches it (the whole value, as HTML does). */
function patternOf(el) {
  try { return new RegExp(`^(?:${el.getAttribute("pattern")})$`, "v"); } catch {
    try { return new RegExp(`^(?:${el.getAttribute("pattern")})$`, "u"); } catch { return null; }
  }
}

/** What is wrong with field `el` in the page's language, naming its label; null when nothing is (or when
 * the field is off: disabled, or in a hidden part of the page). */
function fieldProblem(el) {
  if (el.disabled || el.closest("[hidden], fieldset:disabled") || el.type === "hidden") return null;
  if (el.type === "checkbox" || el.type === "radio" || el.type === "submit" || el.type === "button") return null;
  const label = labelOf(el);
  if (el.type === "number") return numberProblem(el, label);
  if (el.type === "file") return el.required && !el.files.length ? t("form.file", { label }) : null;
  const value = String(el.value ?? "");
  if (el.validity.badInput) return t("form.invalid", { label });
  if (value.trim() === "") return el.required ? t("form.required", { label }) : null;
  if (el.type === "range") {
    const v = Number(value), min = numAttr(el, "min", 0), max = numAttr(el, "max", 100);
    return v < min || v > max ? t("num.range", { label, value, lo: fmt(min), hi: fmt(max) }) : null;
  }
  if (el.type === "email" && !/^[^@\s]+@[^@\s]+$/.test(value)) return t("form.email", { label });
  if (/^(date|datetime-local|month|time|week)$/.test(el.type)) {
    const lo = el.getAttribute("min"), hi = el.getAttribute("max");
    if ((lo && value < lo) || (hi && value > hi)) return t("form.dateRange", { label, lo: lo || "", hi: hi || "" });
  }
  if (el.hasAttribute("pattern") && patternOf(el) && !patternOf(el).test(value)) {
    // the form in words (form.like.<pattern>) where the catalogue has it: "not in the form" alone named none
    const like = t(`form.like.${el.getAttribute("pattern")}`, {}, "");
    return like ? t("form.patternLike", { label, like }) : t("form.pattern", { label });
  }
  const most = numAttr(el, "maxlength", Infinity);
  if ([...value].length > most) return t("form.tooLong", { label, n: fmt(most) });
  return null;
}

/** Pages' own checks of a field (formcheck's are its HTML constraints): field → its problem now, in the
 * page's language, or null. Kept while the field is said wrong, so a language switch or an edit asks again. */
const pageChecks = new WeakMap();

/** Field `el`'s problem now: the page's own check's (the more particular words), else its HTML constraints';
 * null when neither has one. */
const problemNow = (el) => pageChecks.get(el)?.() || fieldProblem(el) || null;

/** Say `problem` beside field `el` (or take back what was said when it is null). */
function mark(el, problem) {
  const id = `${el.id || el.name}-problem`;
  let note = document.getElementById(id);
  const described = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter((d) => d && d !== id);
  if (!problem) {
    pageChecks.delete(el);
    if (note) note.remove();
    el.removeAttribute("aria-invalid");
    if (described.length) el.setAttribute("aria-describedby", described.join(" ")); else el.removeAttribute("aria-describedby");
    return;
  }
  if (!note) {
    note = Object.assign(document.createElement("span"), { id, className: "field-problem error" });
    el.after(note);
  }
  setText(note, () => problemNow(el) || problem);  // said again in the new language after a switch
  el.setAttribute("aria-invalid", "true");
  el.setAttribute("aria-describedby", [...described, id].join(" "));
}

/** Say beside field `el` what a page's own check finds wrong with it, as formcheck says its own: `check`
 * gives the field's problem now in the page's language (or null), and is asked again as the field is edited
 * and after a language switch, the message going once it gives none; null takes back what was said. */
function markField(el, check) {
  if (check) pageChecks.set(el, check); else pageChecks.delete(el);
  mark(el, problemNow(el));
}

/** Check `fields` by their HTML constraints, saying each problem beside its field (the first field wrong
 * gets the focus); the problems' messages, in the fields' order (none when all are fine). */
function markProblems(fields) {
  let first = null;
  const problems = [];
  for (const el of fields) {
    pageChecks.delete(el);
    const problem = fieldProblem(el);
    mark(el, problem);
    if (problem) { problems.push(problem); first ||= el; }
  }
  if (first) first.focus();
  return problems;
}

/** Check every field of `form` (also those a page added); true when all are fine. The first field found
 * wrong gets the focus. */
function checkFields(form) {
  return !markProblems(form.querySelectorAll("input, select, textarea")).length;
}

/** Say the refusals of a service's answer `doc` (problem+json, errors by path) beside the form's fields they
 * belong to, each named by the field's label; each said until its field is edited. `fields`: body key → input
 * id, or [input id, scale], as core.js problemMessages takes them; a key may also be a longer path
 * ("location.lon"), the longest one the refused path starts with chosen. */
function markRefused(doc, fields) {
  for (const e of (doc && Array.isArray(doc.errors) ? doc.errors : [])) {
    const path = String(e.path ?? "");
    const key = Object.keys(fields).filter((k) => path === k || path.startsWith(`${k}.`) || path.startsWith(`${k}[`))
      .sort((a, b) => b.length - a.length)[0];
    const spec = key && fields[key];
    const el = spec && document.getElementById(Array.isArray(spec) ? spec[0] : spec);
    if (!el) continue;
    const value = el.value, rest = path.slice(key.length).replace(/^\./, "");
    // a top-level key: said as the list says it (limits scaled as typed); a longer one: label, rest and message
    const say = key.includes(".") ? () => t("form.refused", { label: `${labelOf(el)}${rest ? ` › ${rest}` : ""}`, message: fieldMessage(e) })
      : () => problemMessages({ errors: [e] }, fields).at(-1);
    markField(el, () => (el.value === value ? say() : null));
  }
}

/** Check forms marked `data-check` on submit, before their own handlers: a form with a field wrong is not
 * submitted. A field said wrong is checked again as it is edited (its message goes once it is right). */
function installFormChecks(root = document) {
  root.addEventListener("submit", (ev) => {
    const form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-check")) return;
    if (!checkFields(form)) { ev.preventDefault(); ev.stopImmediatePropagation(); }
  }, true);
  const recheck = (ev) => {
    const el = ev.target;
    // a field said wrong here (by its form's check or a page's own): asked again, its message gone once right
    if (el instanceof Element && el.getAttribute("aria-invalid") === "true" && document.getElementById(`${el.id || el.name}-problem`)) {
      mark(el, problemNow(el));
    }
  };
  root.addEventListener("input", recheck, true);
  root.addEventListener("change", recheck, true);
  // after a language switch, once the pages have redrawn their labels (a task later), each message again
  new MutationObserver(() => setTimeout(() => {
    for (const note of document.querySelectorAll(".field-problem")) {
      const el = document.querySelector(`[aria-describedby~="${CSS.escape(note.id)}"]`);
      if (el) mark(el, problemNow(el));
    }
  }, 0)).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
}

export { checkFields, fieldProblem, installFormChecks, markField, markProblems, markRefused };
