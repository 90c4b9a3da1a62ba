// junkan web UI: a small single-page app over the JSON API (ES modules served from the package,
// no framework, no CDN). This module signs in and out, switches language and routes to the pages.
import { $, api, inFlight, loadLang, resumeRequests, setText, setTitle, show, state, t, whoami } from "./core.js";
import { pause } from "./jobs.js";
import { showModels } from "./models.js";
import { redrawModel, showModel } from "./model.js";
import { redrawNetwork, showNetwork } from "./network.js";
import { redrawForesight, showForesight } from "./foresight.js";
import { redrawAlloys, showAlloys } from "./alloys.js";
import { redrawTrace, showTrace } from "./trace.js";
import { openLot } from "./lots.js";
import { redrawMarket, showMarket } from "./market.js";
import { redrawPassports, showPassports } from "./passports.js";
import { redrawSensing, showSensing } from "./sensing.js";
import { redrawAnalyses, showAnalyses } from "./analyses.js";
import { drawIndicators, showIndicators } from "./indicators.js";
import { redrawNature, showNature } from "./nature.js";
import { redrawVision, showVision } from "./vision.js";
import { redrawMetering, showMetering } from "./metering.js";
import { redrawMunicipality, showMunicipality } from "./municipality.js";
import { redrawReports, redrawSolar, showReports, showSolar } from "./policy.js";
import { installFormChecks } from "./formcheck.js";

installFormChecks();  // forms marked data-check: the page says what is wrong, in its language, beside the field

// ---- sign in ----------------------------------------------------------------------------
$("#login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const res = await api("/api/session", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: $("#email").value, password: $("#password").value }) });
  if (!res.ok) {
    const wait = res.headers.get("Retry-After");
    sayLogin(...(res.status === 429 ? ["loginLocked", { s: wait || "?" }] : res.status === 503 ? ["loginBusy"] : ["wrongLogin"]));
    return;
  }
  sayLogin(null);
  $("#password").value = "";  // not kept in the page for whoever signs in next
  location.hash = afterSignIn();  // route(): another user than the page's gets a fresh page (review 256)
});
// a refusal is about what was sent: it goes once the e-mail or password is edited (it stayed beside the form's
// own field checks of the next try, which sends nothing, as if that try had been refused too)
for (const id of ["#email", "#password"]) $(id).addEventListener("input", () => { if (state.loginSaid) sayLogin(null); });
/** The sign-in form's message (a catalogue key and its figures; null: none), said again in the
 * language chosen next (review 257: it stayed in the old one). */
function sayLogin(key, vars = {}) {
  state.loginSaid = key ? [key, vars] : null;
  $("#login-error").textContent = key ? t(key, vars) : "";
}
// a session ended by the service (not this page's sign-out): no uncaught error from a poll
window.addEventListener("unhandledrejection", (ev) => { if (ev.reason?.message === "unauthorised") ev.preventDefault(); });
/** Signing out: nothing new is sent, what was sent is answered (at most 3 s), then the session
 * ends, so a page still loading is not refused half-way (a 401 in the console, CI 2026-12-06). */
const SIGN_OUT_WAIT_MS = 10000;  // a sign-out not answered by then is said to have failed
$("#logout").addEventListener("click", async () => {
  $("#signout-problem").hidden = true;
  $("#logout").disabled = true;  // one sign-out at a time
  state.signingOut = true;
  await Promise.race([Promise.allSettled([...inFlight]), pause(3000)]);
  const ctl = new AbortController(), timer = setTimeout(() => ctl.abort(), SIGN_OUT_WAIT_MS);
  const res = await api("/api/session", { method: "DELETE", signal: ctl.signal }).catch(() => null);
  clearTimeout(timer);  // a request that hangs no longer leaves the button doing nothing
  $("#logout").disabled = false;
  if (!res || !(res.ok || res.status === 401)) {  // still signed in: the page goes on working
    state.signOutProblem = res ? ["signOutRefused", { status: res.status }] : ["signOutFailed", {}];
    $("#signout-problem").textContent = t(...state.signOutProblem);
    $("#signout-problem").hidden = false;  // until the next page is shown
    resumeRequests();  // what was asked meanwhile (a job's polls) is sent now (reviews 235, 236)
    return;
  }
  // a fresh page: no result, form or list of the signed-out user stays in memory for the next one
  location.hash = "#/login";
  location.reload();
});

// switching language keeps every page's state (results, edits, choices): the page shown is redrawn
// now, another page when it is next shown
const REDRAW = { model: redrawModel, network: redrawNetwork, foresight: redrawForesight, alloys: redrawAlloys,
  trace: redrawTrace, models: showModels, market: redrawMarket, passports: redrawPassports, sensing: redrawSensing,
  analyses: redrawAnalyses,
  indicators: drawIndicators, nature: redrawNature, vision: redrawVision, metering: redrawMetering,
  municipality: redrawMunicipality, reports: redrawReports, solar: redrawSolar };
const drawnIn = {};
$("#lang").addEventListener("change", async (ev) => {
  await loadLang(ev.target.value);
  setTitle();
  if (state.signOutProblem) $("#signout-problem").textContent = t(...state.signOutProblem);
  if (state.loginSaid) $("#login-error").textContent = t(...state.loginSaid);
  if (REDRAW[state.view]) await REDRAW[state.view]();
  drawnIn[state.view] = state.lang;
});

// ---- routing ----------------------------------------------------------------------------
/** Where signing in leads: the page asked for while signed out (kept in state.next), if it is one of
 * this app's own pages (a hash route such as #/analyses or #/trace/lots/…); else the models. */
function afterSignIn() {
  const next = state.next; state.next = null;
  return typeof next === "string" && /^#\/[^\s]{0,500}$/.test(next) && next !== "#/login" ? next : "#/models";
}

async function route() {
  const hash = location.hash || "#/models";
  $("#signout-problem").hidden = true;
  if (hash === "#/login") {
    // signed in before on this page, not signed out here: say why the sign-in is asked again
    if (!(await whoami()) && state.owner) sayLogin("sessionEnded");
    show("login"); return;
  }
  const me = await whoami();
  if (!me) { state.next = hash; location.hash = "#/login"; return; }
  // whose results and forms this page holds: another user signed in (here after a session ended
  // elsewhere, review 256, or in another tab, review 257) gets a fresh page, so nothing of the
  // other's (a result, a form) stays; the same user finds the page as they left it
  if (state.owner && state.owner !== me.id) { location.reload(); return; }
  state.owner = me.id;
  const page = { "#/network": showNetwork, "#/foresight": showForesight, "#/alloys": showAlloys, "#/trace": showTrace,
    "#/market": showMarket, "#/passports": showPassports, "#/sensing": showSensing, "#/analyses": showAnalyses,
    "#/indicators": showIndicators,
    "#/nature": showNature, "#/vision": showVision, "#/metering": showMetering,
    "#/municipality": showMunicipality, "#/reports": showReports, "#/solar": showSolar }[hash];
  const m = hash.match(/^#\/models\/(\w+)$/);
  const lot = hash.match(/^#\/trace\/lots\/(.+)$/);  // a lot opened from a link (report evidence)
  const unknown = $("#route-unknown"); unknown.hidden = true;
  if (page) await page(); else if (m) await showModel(m[1]);
  else if (lot) {
    let id = lot[1];
    try { id = decodeURIComponent(id); } catch { /* a malformed escape: the text as written */ }
    await showTrace(); openLot(id);
  } else {
    await showModels();
    // an address no page answers (a mistyped or old link) is said, not silently the models
    if (hash !== "#/models") {
      const shown = hash.length > 80 ? `${hash.slice(0, 80)}…` : hash;
      setText(unknown, () => t("routeUnknown", { page: shown })); unknown.hidden = false;
    }
  }
  const view = state.view;
  if (drawnIn[view] && drawnIn[view] !== state.lang && REDRAW[view] && view !== "models") await REDRAW[view]();
  drawnIn[view] = state.lang;
}
window.addEventListener("hashchange", route);

// a table wider than its box scrolls in it (app.css): it then takes the keyboard focus, so
// it can be scrolled without a mouse (WCAG 2.1.1; axe: scrollable-region-focusable)
let tablesPending = false;
function focusableTables() {
  tablesPending = false;
  // every table measured before any is changed: a change between two measurements laid the page out again
  // each time (a 400-part model's form took 10 s of layouts)
  const tables = [...document.querySelectorAll("main table")];
  const scrolls = tables.map((tb) => tb.scrollWidth > tb.clientWidth + 1);
  tables.forEach((tb, i) => {
    if (scrolls[i] && !tb.hasAttribute("tabindex")) { tb.tabIndex = 0; tb.dataset.scrollFocus = "1"; }
    else if (!scrolls[i] && tb.dataset.scrollFocus) { tb.removeAttribute("tabindex"); delete tb.dataset.scrollFocus; }
  });
}
const laterTables = () => { if (!tablesPending) { tablesPending = true; requestAnimationFrame(focusableTables); } };
new MutationObserver(laterTables).observe(document.querySelector("main"), { childList: true, subtree: true });
window.addEventListener("resize", laterTables);
await loadLang(state.lang);
route();
