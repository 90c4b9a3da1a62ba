// Problems said beside the field they are about, for the pages that check their forms themselves (built on
// formcheck.js markField): a page's own check of one field, and the refusals of a whole document typed or
// chosen in one field (a JSON text area, an uploaded file), all of them together beside that field
// (formcheck.js markRefused says one refusal per field of a form).
import { fieldMessage, problemLead, t } from "./core.js";
import { markField } from "./formcheck.js";

/** Field `el`'s label as the page shows it (its id when it has none). */
const labelText = (el) => document.querySelector(`label[for="${CSS.escape(el.id)}"]`)?.textContent.trim() || el.id;

/** Check field `el` with the page's own `check` (its problem now in the page's language, or null): a problem
 * is said beside the field, asked again as the field is edited and after a language switch, and gone once the
 * field is right; returned too (null when none). A field found right loses what was said beside it before. */
function checked(el, check) {
  const problem = check();
  if (problem || el.getAttribute("aria-invalid") === "true") markField(el, problem ? check : null);
  return problem || null;
}

/** Say beside field `el` the refusals in a service's answer `doc` (problem+json, errors by path) of the
 * document the field holds: those whose path is under body key `key` (null: every path with one, the document
 * being the body itself), each as "label › path: message" in the page's language, all together; said until
 * the field is edited. True when one was said. */
function markDocument(doc, el, key = null) {
  const under = (p) => key === null || p === key || p.startsWith(`${key}.`) || p.startsWith(`${key}[`);
  const errors = (doc && Array.isArray(doc.errors) ? doc.errors : [])
    .filter((e) => e.path != null && String(e.path) !== "" && under(String(e.path)));
  if (!errors.length) return false;
  const value = el.value;
  const say = () => {
    const out = errors.map((e) => {
      const rest = key === null ? String(e.path) : String(e.path).slice(key.length).replace(/^\./, "");
      return t("form.refused", { label: rest ? `${labelText(el)} › ${rest}` : labelText(el), message: fieldMessage(e) });
    });
    const lead = problemLead(doc, out);
    return (lead ? [lead, ...out] : out).join(" ");
  };
  markField(el, () => (el.value === value ? say() : null));
  return true;
}

export { checked, markDocument };
