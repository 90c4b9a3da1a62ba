// junkan web UI, shared kernel: state, translations, the API, charts, numbers, messages, long work.
// ES modules served from the package (no framework, no CDN).
import { plainAxes, signed, yenAxes, yenTicks } from "./chart_axes.js";
import { plotlyReady } from "./chart_lib.js";
const state = { lang: localStorage.getItem("junkan.lang") || "en", msg: {}, model: null };
const $ = (sel) => document.querySelector(sel);

async function loadLang(lang) {
  const res = await fetch(`/static/i18n/${lang}.json`);
  const before = new Map(Object.entries(state.msg || {}).map(([k, v]) => [v, k]));  // text → key
  state.msg = await res.json();
  // a status or message that is one whole message of the old language (完了しました。) follows too
  document.querySelectorAll("[role=status], [aria-live], [aria-live] > li").forEach((el) => {
    const key = !liveTexts.has(el) && el.children.length === 0 && before.get(el.textContent);
    if (key && state.msg[key] && !/\{\w+\}/.test(state.msg[key])) el.textContent = state.msg[key];
  });
  state.lang = lang;
  localStorage.setItem("junkan.lang", lang);
  document.documentElement.lang = lang;
  $("#lang").value = lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => {
    const key = el.dataset.i18n;
    if (state.msg[key]) el.textContent = state.msg[key];
  });
  document.querySelectorAll("[data-i18n-label]").forEach((el) => {
    const key = el.dataset.i18nLabel;
    if (state.msg[key]) el.setAttribute("aria-label", state.msg[key]);
  });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
    const key = el.dataset.i18nPlaceholder;
    if (state.msg[key]) el.setAttribute("placeholder", state.msg[key]);
  });
  for (const [el, live] of liveTexts) {  // texts made of messages follow the switch
    if (!el.isConnected || el.textContent !== live.shown) { liveTexts.delete(el); continue; }
    el.textContent = live.shown = live.make();
  }
}

/** Texts made of messages (with values) that a language switch must redo: element → how. */
const liveTexts = new Map();

/** Set `el`'s text to `make()` now and again after a language switch (until something else writes the element). */
function setText(el, make) {
  const shown = make();
  el.textContent = shown; liveTexts.set(el, { make, shown });
}
/** The message `key` in the current language with `{name}` replaced from `vars`; `fallback`
 * (default: the key itself) when the catalogue has no such message. */
const t = (key, vars = {}, fallback = key) =>
  (state.msg[key] ?? fallback).replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? "");

// ---- charts: one Plotly configuration everywhere -----------------------------------------
/** No cloud, link or "edit in Chart Studio" buttons: the mode bar offers download as image only. */
const PLOT_CONFIG = Object.freeze({ displaylogo: false, responsive: true, showLink: false,
  showSendToCloud: false, showEditInChartStudio: false, modeBarButtons: [["toImage"]] });
const titled = (v) => (typeof v === "string" ? { text: v } : v);

/** Draw a chart with the shared configuration. Titles given as strings (chart and axes) become `{text}`
 * objects, as the bundled plotly.js needs; the page's font (with CJK) is used. A chart drawn `height` px tall
 * keeps that height through a window resize: its box is made that tall (a responsive chart takes its box's
 * size on a resize, boxes are 320 px: taller charts were squashed, titles cut, axis titles on legends). */
function plot(id, traces, layout = {}) {
  const box = typeof id === "string" ? document.getElementById(id) : id;
  if (box) box.style.height = typeof layout.height === "number" ? `${layout.height}px` : "";
  if (!window.Plotly) return plotlyReady().then(() => plot(id, traces, layout), () => undefined);  // 1st chart
  const l = { ...layout, font: { family: getComputedStyle(document.body).fontFamily, ...(layout.font || {}) } };
  if (l.title) l.title = titled(l.title);
  for (const k of Object.keys(l)) {
    if (/^[xy]axis\d*$/.test(k) && l[k] && l[k].title) l[k] = { ...l[k], title: titled(l[k].title) };
  }
  l.margin = { l: 60, r: 20, t: 50, b: 50, ...(layout.margin || {}) };
  if (state.lang !== "en") plainAxes(l, traces);
  const yenNames = yenAxes(l, state.lang);  // in Japanese: 万/億/兆 on the yen axes once drawn
  return Plotly.react(id, traces, l, { ...PLOT_CONFIG, locale: plotLocale() }).then((gd) => yenTicks(gd, yenNames));
}

/** The charts' own words (the mode bar's button, the flow chart's hover) in the page's
 * language: registered with plotly.js once per language, from the catalogue. */
const plotLocales = new Set(["en"]);
function plotLocale() {
  if (!plotLocales.has(state.lang) && window.Plotly && Plotly.register) {
    Plotly.register({ moduleType: "locale", name: state.lang, dictionary: {
      "Download plot as a PNG": t("plot.png"), "Download plot": t("plot.download"),
      "incoming flow count:": t("plot.incoming"), "outgoing flow count:": t("plot.outgoing"),
      "source:": t("plot.source"), "target:": t("plot.target") } });
    plotLocales.add(state.lang);
  }
  return state.lang;
}

const inFlight = new Set(), held = [];  // requests sent, not answered; asked while signing out
async function api(path, opts = {}) {
  const session = path.startsWith("/api/session");
  if (state.signingOut && !session) return new Promise((ok, no) => held.push(() => api(path, opts).then(ok, no)));
  const headers = Object.assign({ "X-Junkan-CSRF": "1" }, opts.headers || {});
  const sent = fetch(path, Object.assign({ credentials: "same-origin" }, opts, { headers }));
  inFlight.add(sent); sent.finally(() => inFlight.delete(sent)).catch(() => {});
  const res = await sent;
  if (res.status === 401 && !session) {
    if (location.hash !== "#/login") state.next = location.hash;  // back there once signed in again
    location.hash = "#/login";
    throw new Error("unauthorised");
  }
  return res;
}

const PAGES = { login: ["signIn", ""], models: ["models", "#/models"], model: ["models", "#/models"],
  network: ["network.nav", "#/network"], foresight: ["fs.nav", "#/foresight"], alloys: ["al.nav", "#/alloys"],
  trace: ["tr.nav", "#/trace"], market: ["mk.nav", "#/market"], passports: ["pp.nav", "#/passports"],
  sensing: ["sn.nav", "#/sensing"],
  analyses: ["an.nav", "#/analyses"], indicators: ["ic.nav", "#/indicators"], nature: ["nt.nav", "#/nature"],
  vision: ["vi.nav", "#/vision"], metering: ["me.nav", "#/metering"],
  municipality: ["mu.nav", "#/municipality"], reports: ["rp.nav", "#/reports"], solar: ["so.nav", "#/solar"] };

function show(view) {
  for (const id of Object.keys(PAGES)) $(`#view-${id}`).hidden = id !== view;
  state.view = view;
  setTitle();
  $("#main").focus();
}
/** The window title names the page; the main navigation marks the current one. */
function setTitle() {
  const view = state.view; if (!view) return;
  const [key, href] = PAGES[view];
  const page = view === "model" && state.model ? (state.model.title || state.model.name) : t(key);
  document.title = `${page} — junkan`;
  document.querySelectorAll("#nav-main a").forEach((a) => {
    if (a.getAttribute("href") === href) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  });
}

// ---- numbers: one format everywhere (cards, tables, summaries, hover texts) -------------
/** A number with thousands separators and four significant digits (no exponent), negative with the charts' minus
 * sign (U+2212, `signed`), as the amounts and axes are. */
function fmt(v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return v ?? "–";
  if (Math.abs(v) < 1e-9) return "0";
  return signed(v, (a) => a.toLocaleString(state.lang, a >= 1e4 ? { maximumFractionDigits: 0 }
    : { maximumSignificantDigits: 4 }));
}
/** A share (a fraction 0–1) as a percentage: "0.22 %", "12.3 %", "100 %". */
function fmtPct(v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return "–";
  const p = 100 * v;
  if (Math.abs(p) < 1e-9) return "0 %";
  return `${signed(p, (a) => a.toLocaleString(state.lang, a >= 10 ? { maximumFractionDigits: 1 }
    : { maximumSignificantDigits: 3 }))} %`;
}
/** A figure named `key`: shares and rates as %, anything else as a number. */
const isShare = (key) => /(^|_)(share|rate)(_|$)/.test(key);
const fmtKey = (key, v) => (isShare(key) ? fmtPct(v) : fmt(v));

/** An indicator's value with its unit: a share as %, water recirculation as cycles, a ratio bare,
 * anything else with its unit (t, JPY/t …); null as "n/a (reason)". */
function indicatorValue(i) {
  if (i.value === null) return `${t("ind.na")} (${(i.reason_code && translated(`indreason.${i.reason_code}`, i.reason_params)) ?? i.reason ?? "–"})`;
  if (i.unit === "fraction") return fmtPct(i.value);
  if (i.unit === "cycles") return t("ind.cycles", { n: i.value.toLocaleString(state.lang, { maximumFractionDigits: 2 }) });
  if (i.unit === "ratio") return fmt(i.value);
  return `${fmt(i.value)} ${translated(`ind.unit.${i.unit}`) ?? i.unit}`;
}
/** An indicator's formula in the page's language where the catalogue has it (by key; one per
 * family of keys such as mci.product.*), else as the service writes it. */
const formulaText = (i) => translated(`indformula.${i.key}`)
  ?? translated(`indformula.${i.key.split(".").slice(0, 2).join(".")}`) ?? i.formula;

async function whoami() {
  // /api/session answers 200 signed in or not (no 401 in the console of a page opened signed out)
  const res = await fetch("/api/session", { credentials: "same-origin" });
  const me = state.me = res.ok ? (await res.json()).user : null;  // trace.js: its organisation
  if (!me) { $("#who").textContent = ""; $("#logout").hidden = true; return null; }
  $("#who").textContent = `${me.name} (${me.organisation})`;
  $("#logout").hidden = false;
  return me;
}

function cell(tag, text) { const c = document.createElement(tag); c.textContent = text; return c; }
function table(el, heads, rows, empty = "") {
  const thead = document.createElement("thead");
  const hr = document.createElement("tr");
  heads.forEach((h) => hr.append(cell("th", h)));
  thead.append(hr);
  const tbody = document.createElement("tbody");
  for (const r of rows) { const tr = document.createElement("tr"); r.forEach((v) => tr.append(cell("td", v))); tbody.append(tr); }
  if (!rows.length && empty) {  // a table with no rows says so (not a bare header row)
    const td = cell("td", empty); td.colSpan = heads.length; td.className = "empty";
    const tr = document.createElement("tr"); tr.append(td); tbody.append(tr);
  }
  el.replaceChildren(thead, tbody);
}

const cleanMessage = (m) => String(m ?? "").replace(/^(Value|Assertion|Type) error,\s*/i, "");
const translated = (key, vars) => (state.lang !== "en" && state.msg[key] ? t(key, vars) : null);

/** A refused field's message: outside English (or in every language: `everyLanguage`), translated by the
 * schema rule it broke (its `type`, with the limits or the figures quoted in `ctx`) where the catalogue knows
 * the rule; else as written. A `what` in `ctx` names a quantity (`mass`): said by `val.what.<what>`. */
function fieldMessage(e, everyLanguage = false) {
  const ctx = { ...(e.ctx || {}) };
  if (ctx.what !== undefined && state.msg[`val.what.${ctx.what}`]) ctx.what = t(`val.what.${ctx.what}`);
  // a reason inside the rule (why a quantity or unit cannot be read), coded: said in the page's language
  if (ctx.reason_code && state.msg[`val.reason.${ctx.reason_code}`]) ctx.reason = t(`val.reason.${ctx.reason_code}`, ctx);
  // a text not in its form: the form in words where the catalogue knows it (else the pattern), in every language
  if (e.type === "string_pattern_mismatch" && typeof ctx.pattern === "string") {
    if (state.msg[`val.pattern.${ctx.pattern}`]) ctx.pattern = t(`val.pattern.${ctx.pattern}`);
    everyLanguage = true;
  }
  // pydantic's list of choices ends "… or 'EUR'": listed the catalogue's way
  if (typeof ctx.expected === "string") ctx.expected = ctx.expected.replace(/,? or /g, ", ").split(", ").join(t("val.listSep"));
  const key = `val.${e.type}`;
  const said = e.type && (everyLanguage ? (state.msg[key] ? t(key, ctx) : null) : translated(key, ctx));
  if (!said) return cleanMessage(e.message);
  return ctx.scenario === undefined ? said : said + t("val.inScenario", { scenario: ctx.scenario });
}

/** Outside English, the line that goes before `messages` when one of them is in English (a
 * domain rule's own words): what happened, by the answer's status, and that the service's
 * explanation follows in English; null otherwise. */
function problemLead(doc, messages) {
  if (state.lang === "en") return null;
  const english = (m) => /[A-Za-z]{3}/.test(m) && !/[\u3040-\u30ff\u4e00-\u9fff]/.test(m);
  if (!messages.some(english)) return null;
  const byStatus = `problem.lead.${doc && doc.status}`;
  return t(state.msg[byStatus] ? byStatus : "problem.lead");
}

/** The form field a refused `path` of a request body belongs to, from `fields` ({body key: input id, or
 * [input id, scale]}): its label as the page shows it, and the factor from the body's value to the figure
 * typed (100 for a share typed in %); null when the path is not a form field's. */
function fieldOf(fields, path) {
  const key = String(path).split(/[.[]/, 1)[0];
  const spec = fields[key];
  if (!spec) return null;
  const [id, scale] = Array.isArray(spec) ? spec : [spec, 0];
  const label = document.querySelector(`label[for="${id}"]`);
  const rest = String(path).slice(key.length).replace(/^\./, "");
  return label ? { label: label.textContent.trim() + (rest ? ` › ${rest}` : ""), scale } : null;
}

/** A field error's message with the limits its context quotes as typed in the form (× `scale`), in the
 * page's language: a share sent as a fraction is refused "at most 1", which a field in % says as "at most
 * 100". As written when the catalogue does not know the rule. */
function scaledMessage(e, scale) {
  const ctx = { ...(e.ctx || {}) };
  const times = (x) => +(Number(x) * scale).toPrecision(12);
  for (const k of ["gt", "ge", "lt", "le"]) if (typeof ctx[k] === "number") ctx[k] = times(ctx[k]);
  // a domain rule on a share ("between 0 and 1, got 1.5") has its own words for a share typed in %
  if (scale === 100 && state.msg[`val.${e.type}.percent`] && Number.isFinite(Number(ctx.value))) {
    return t(`val.${e.type}.percent`, { ...ctx, value: times(ctx.value) });
  }
  return fieldMessage({ ...e, ctx }, true);  // the service's English quotes the unscaled limits
}

// places in an uploaded table: a line (and column) with its cell's header ("line 2.総人口"), the header row
const [TABLE_LINE, TABLE_HEAD] = [/^line (\d+)(?:, column (\d+))?(?:\.(.+))?$/s, /^header(?:\.(.+))?$/s];
const inTable = (path) => [TABLE_LINE, TABLE_HEAD].some((re) => re.test(String(path ?? "")));

/** A table place in the page's language ("line 3, column 7", "header.直接搬入量"), led by the table's name where
 * the answer names the refused document (`document`: "survey_csv" → "survey table › 2 行目 › 総人口"); other paths as written. */
function pathText(path, docName = null) {
  const line = TABLE_LINE.exec(path), head = TABLE_HEAD.exec(path);
  if (!line && !head) return path;
  const table = docName && state.msg[`path.doc.${docName}`] ? `${t(`path.doc.${docName}`)} › ` : "";
  if (state.lang === "en") return table + path;
  const where = line ? t("path.line", { n: line[1] }) + (line[2] ? t("path.column", { n: line[2] }) : "") : t("path.header");
  const rest = line ? line[3] : head[1];
  return table + (rest ? `${where} › ${rest}` : where);
}

/** The messages of an error answer (RFC 9457 problem+json: detail, plus errors[] by field),
 * without validation prefixes such as "Value error, ". Outside English, the service's own
 * messages (its `code`) and the schema's refusals (:func:`fieldMessage`) are translated, and
 * a message kept in English comes under a translated lead (:func:`problemLead`). With `fields`
 * (:func:`fieldOf`), a refused form field is named by its label, its limits as typed. */
function problemMessages(doc, fields = null) {
  let out;
  if (doc && Array.isArray(doc.errors) && doc.errors.length) {
    out = doc.errors.map((e) => {
      const f = e.path && fields ? fieldOf(fields, e.path) : null;
      if (f) return `${f.label}: ${f.scale ? scaledMessage(e, f.scale) : fieldMessage(e)}`;
      return e.path ? `${pathText(e.path, doc.document)}: ${fieldMessage(e)}` : fieldMessage(e);
    });
  } else {
    const detail = doc && (doc.detail || doc.message || doc.title);
    out = [(doc && doc.code && translated(`problem.${doc.code}`, { ...doc, ref: doc.ref ?? "" }))
      || (detail ? cleanMessage(typeof detail === "string" ? detail : JSON.stringify(detail)) : t("err.generic"))];
  }
  const lead = problemLead(doc, out);
  return lead ? [lead, ...out] : out;
}

/** Where JSON `text` stops being JSON: the index of the first character JSON.parse refuses (text.length when
 * the text ends too early). A small recursive-descent reader of RFC 8259, for messages only: the browser's
 * own (English, and without a position for most mistakes) are not shown. */
function jsonStop(text) {
  let i = 0;
  const ws = () => { while (" \t\n\r".includes(text[i]) && i < text.length) i++; };
  const fail = () => { throw i; };
  const lit = (w) => { if (text.startsWith(w, i)) i += w.length; else fail(); };
  const str = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\") { i++; if (text[i] === "u") { if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail(); i += 4; } else if (!'"\\/bfnrt'.includes(text[i]) || i >= text.length) fail(); } else if (text.charCodeAt(i) < 32) fail();
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const num = () => { const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i)); if (!m) fail(); i += m[0].length; };
  const seq = (close, item) => {
    i++; ws();
    if (text[i] === close) { i++; return; }
    for (;;) { item(); ws(); if (text[i] === ",") { i++; ws(); } else if (text[i] === close) { i++; return; } else fail(); }
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === "{") seq("}", () => { if (text[i] !== '"') fail(); str(); ws(); if (text[i] !== ":") fail(); i++; value(); });
    else if (c === "[") seq("]", value);
    else if (c === '"') str();
    else if (c === "t") lit("true"); else if (c === "f") lit("false"); else if (c === "n") lit("null");
    else num();
  };
  // NaN: nested too deeply for this reader (the browser's parser said no all the same)
  try { value(); ws(); return i < text.length ? i : -1; } catch (at) { return typeof at === "number" ? Math.min(at, text.length) : NaN; }
}

/** Why `text` is not JSON, in the page's language: the line and column where it stops being JSON and the
 * character found there, or that it ends too early (an unclosed bracket or quote). */
function jsonError(text) {
  const at = jsonStop(text);
  if (Number.isNaN(at) || at < 0) return t("err.json.invalid");
  if (at >= text.length) return t("err.json.end");
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  const column = at - before.lastIndexOf("\n");
  return t("err.json.at", { line, column, found: JSON.stringify(String.fromCodePoint(text.codePointAt(at))) });
}

/** The problem document of a failed response (a readable stand-in when it is not JSON). */
async function problemOf(res) {
  try { return await res.clone().json(); } catch {
    return { detail: res.status === 404 ? t("err.notFound") : t("err.status", { status: res.status }) };
  }
}

/** Show a problem as a list of readable messages in the list `sel`. */
function showProblem(sel, doc, fields = null) {
  $(sel).replaceChildren(...problemMessages(doc, fields).map((m) => { const li = document.createElement("li"); li.textContent = m; return li; }));
}

/** A JSON request (POST unless `method` says otherwise). */
const jsonBody = (body, method = "POST", signal = undefined) => ({ method, signal,
  headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

/** The edits of a run or comparison in words: "path = value; …" or "none". */
function editsText(ov) {
  const e = Object.entries(ov || {});
  return e.length ? e.map(([p, v]) => `${p} = ${fmt(v)}`).join("; ") : t("result.noEdits");
}

/** A date-time as the user's locale writes it (minutes). */
const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString(state.lang, { dateStyle: "medium", timeStyle: "short" }) : "–");

// ---- long work: progress, elapsed time and cancel ------------------------------------------
/** Run `work(signal)` as long work the user can see and stop: the start button is disabled, the
 * progress bar shows activity, the status counts the seconds (`what()` names the work in the current
 * language; `work`'s 2nd argument says it now), and Cancel aborts the request. Resolves to work's value, or null if cancelled. */
async function longTask({ status, start, cancel, bar, what }, work) {
  const ctl = new AbortController();
  const t0 = performance.now();
  const tick = () => { status.textContent = t("job.elapsed", { what: what(), s: Math.round((performance.now() - t0) / 1000) }); };
  tick();
  const timer = setInterval(tick, 1000);
  const stop = () => ctl.abort();
  start.disabled = true; cancel.hidden = false; cancel.addEventListener("click", stop); if (document.activeElement === start) cancel.focus();
  if (bar) { bar.hidden = false; bar.removeAttribute("value"); }
  try { return await work(ctl.signal, tick); } catch (e) {
    if (e.name === "AbortError") { status.textContent = t("job.cancelled"); return null; }
    throw e;
  } finally {
    const back = document.activeElement === cancel;  // the keyboard's place kept: Cancel while running, then Start
    clearInterval(timer); start.disabled = false; cancel.hidden = true; cancel.removeEventListener("click", stop); if (back) start.focus();
    if (bar) bar.hidden = true;
  }
}

/** The service's words for a job that ended (background.py): stopped by its starter, interrupted by a restart,
 * an internal error with its log reference, a refusal's coded problems, all translated; else as written. */
const JOB_ERRORS = [[/^cancelled by the user who started it$/, "job.cancelled"],
  [/^interrupted: the server stopped/, "job.interrupted"], [/^internal error \(reference (\w+)\)/, "job.internal"],
  [/^this needs the '([\w-]+)' extra/, "job.extraMissing"], [/^stopped: the user who started it was disabled$/, "job.userDisabled"]];
function jobError(job) {
  if (job.status === "cancelled") return t("job.cancelled");
  const pr = job.problems; if (pr && pr.errors) return pr.errors.map((e) => [pr.document, e.path && pathText(e.path, pr.document), fieldMessage(e)].filter(Boolean).join(": ")).join("\n");
  if (pr && pr.code) return problemMessages({ ...pr, detail: job.error }).join("\n");  // a budget's, say
  const text = String(job.error ?? "");
  for (const [re, key] of JOB_ERRORS) { const m = text.match(re); if (m) return t(key, { ref: m[1] || "", extra: m[1] || "" }); }
  return text;
}

/** A number typed in a field named `label`: `{ value }`, or `{ problem }`, a message naming the
 * field (empty, not a number, too large, not whole, outside `min`–`max`). An `input` given
 * instead of text is read with the browser's own verdict (a number field holds "" for "abc"). */
function readNumber(text, label, { integer = false, min = -Infinity, max = Infinity } = {}) {
  if (text instanceof HTMLInputElement) {
    if (text.validity.badInput) return { problem: t("num.nan", { label }) };
    text = text.value;
  }
  const s = String(text ?? "").trim();
  if (s === "") return { problem: t("num.required", { label }) };
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return { problem: t("num.nan", { label }) };
  const value = Number(s);
  if (!Number.isFinite(value)) return { problem: t("num.finite", { label, value: s }) };
  if (integer && !Number.isInteger(value)) return { problem: t("num.integer", { label, value: s }) };
  if (value < min || value > max) {  // one bound only: said alone (it read "from 0 to Infinity")
    const key = Number.isFinite(min) && Number.isFinite(max) ? "num.range" : Number.isFinite(min) ? "num.atLeast" : "num.atMost";
    return { problem: t(integer ? `${key}Int` : key, { label, value: s, lo: fmt(min), hi: fmt(max) }) };
  }
  return { value };
}

/** A sign-out that failed: the requests asked meanwhile are sent after all (review 236). */
function resumeRequests() { state.signingOut = false; held.splice(0).forEach((send) => send()); }

/** A list of readable messages in the list `sel` (local checks, before anything is sent). */
function showMessages(sel, messages) { showProblem(sel, { errors: messages.map((message) => ({ message })) }); }

/** A table whose cells may be nodes; `num` lists the columns to right-align, `data` those that
 * hold data (names, ids, paths, sources as written), not messages. */
function richTable(el, heads, rows, num = [], data = []) {
  const thead = document.createElement("thead");
  const hr = document.createElement("tr");
  heads.forEach((h) => { const th = cell("th", h); th.scope = "col"; hr.append(th); });
  thead.append(hr);
  const tbody = document.createElement("tbody");
  for (const r of rows) {
    const tr = document.createElement("tr");
    r.forEach((v, i) => { const td = document.createElement("td"); if (v instanceof Node) td.append(v); else td.textContent = v ?? "–";
      if (num.includes(i)) td.classList.add("num");
      if (data.includes(i)) td.classList.add("data");
      tr.append(td); });
    tbody.append(tr);
  }
  el.replaceChildren(thead, tbody);
}

/** A shipped example's settings (JSON copies of examples/…/*.yaml in static/examples), fetched once each. */
const staticCache = {};
async function staticExample(name) {
  if (!staticCache[name]) staticCache[name] = await (await fetch(`/static/examples/${name}.json`)).json();
  return structuredClone(staticCache[name]);
}

/** The shipped examples (name, kind, title), fetched once. */
let examplesCache = null;
async function examples() {
  if (!examplesCache) examplesCache = (await (await api("/api/examples")).json());
  return examplesCache;
}

export { $, state, loadLang, setText, t, plot, api, PAGES, show, setTitle, fmt, fmtPct, isShare, fmtKey, indicatorValue,
  formulaText, translated, whoami, cell, table, jsonError, jsonStop, problemMessages, fieldMessage, problemLead, problemOf, showProblem, jsonBody, editsText, fmtTime, longTask, examples,
  showMessages, richTable, staticExample, inFlight, resumeRequests, jobError, readNumber, inTable };
