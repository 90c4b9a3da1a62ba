// Nature page, field survey, offline first: species observations with an optional photo.
// Each observation (and its photo, as a Blob) goes into IndexedDB (the device's queue) before the form says "saved"; a
// sync sends the queue in batches and removes an entry only when the service answered created / unchanged / updated for
// it and took its photo (so an answer lost on the way means a resend, which the service acknowledges as "unchanged").
// A conflict keeps the entry with the server's version beside it for the surveyor to choose. A synced observation can be
// edited: the edit is queued with the version it started from (base_version), so the service stores it as the next
// version or answers with a conflict. A service worker (/survey-sw.js) keeps the page's own files so it opens offline.
// A photo over the service's limit is made smaller (a JPEG with the photo's EXIF block) on the device before it is kept.
import { $, api, fmt, jsonBody, problemOf, richTable, showMessages, showProblem, t } from "./core.js";
import { checked } from "./fieldnotes.js";
import { checklistEditor } from "./survey-checklist.js";
import { exifOf, photoType, withExif } from "./survey_photo.js";

const SURVEY_DB = "junkan-survey"; const QUEUE = "queue"; const BATCH = 500;
const LIST = 100;  // synced observations listed for editing (the newest)
// The largest photo the service takes (bytes, 10 MiB): equal to MAX_BYTES in src/junkan/nature/photo.py (the API does
// not publish it; tests/web/test_nature_vision_pages.py checks the two agree). A larger one is made smaller here first.
const MAX_PHOTO = 10 * 1024 * 1024;
const SHRINK_SIDES = [4096, 2048, 1024];  // longest side (px) of the smaller copy, tried in turn until it fits
const SHRINK_QUALITY = 0.85;  // JPEG quality of the smaller copy
// checklist: as GET answers it; shown: the page is open (its timers run only then)
const sv = { db: null, syncing: null, checklist: null, editing: null, readyCheck: 0, shown: false };
const RETRY_MS = 5000;  // a sync the network failed while the browser said it was online is tried again after this
const READY_RETRIES = 5;  // checks 2 s apart while online before the page waits for the connection to return

function openDb() {
  if (sv.db) return sv.db;
  sv.db = new Promise((resolve, reject) => {
    const req = indexedDB.open(SURVEY_DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(QUEUE, { keyPath: "id" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => { sv.db = null; reject(req.error); };
  });
  return sv.db;
}

/** Run ``fn(store)`` in one transaction; resolves when the transaction is committed (durable), with fn's value. */
async function inQueue(mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(QUEUE, mode);
    let out;
    const r = fn(tx.objectStore(QUEUE));
    if (r) r.onsuccess = () => { out = r.result; };
    tx.oncomplete = () => resolve(out);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("aborted"));
  });
}
const queued = () => inQueue("readonly", (st) => st.getAll());

function newId() {
  const rnd = crypto.randomUUID ? crypto.randomUUID()
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  return `obs-${rnd}`;
}

/** The local time of a datetime-local field with a UTC offset (ISO 8601): this device's, or `offset` when given. */
function withOffset(local, offset) {
  const base = local.length === 16 ? `${local}:00` : local;
  if (offset) return `${base}${offset}`;
  const off = -new Date(local).getTimezoneOffset(); const sign = off >= 0 ? "+" : "-";
  const hh = String(Math.floor(Math.abs(off) / 60)).padStart(2, "0"); const mm = String(Math.abs(off) % 60).padStart(2, "0");
  return `${base}${sign}${hh}:${mm}`;
}

// ---- a photo over the service's limit is re-encoded on this device: JPEG, its longest side reduced step by step ----

/** A copy of the photo within the service's limit: JPEG (quality SHRINK_QUALITY), its longest side reduced step by step
 * (SHRINK_SIDES), its EXIF block (GPS point, time taken) carried over; {blob, width, height, exif}, or null when the
 * browser cannot decode the photo or no step fits. */
async function shrinkPhoto(file) {
  let img;
  try { img = await createImageBitmap(file); } catch { return null; }
  try {
    const exif = exifOf(await file.arrayBuffer());
    const longest = Math.max(img.width, img.height);
    for (const side of new Set(SHRINK_SIDES.map((s) => Math.min(s, longest)))) {
      const width = Math.max(1, Math.round(img.width * side / longest));
      const height = Math.max(1, Math.round(img.height * side / longest));
      const canvas = Object.assign(document.createElement("canvas"), { width, height });
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, width, height);  // JPEG has no transparency
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(img, 0, 0, width, height);
      const jpeg = await new Promise((ok) => canvas.toBlob(ok, "image/jpeg", SHRINK_QUALITY));
      canvas.width = 0; canvas.height = 0;  // free its memory now (a phone has little)
      const blob = jpeg && withExif(new Uint8Array(await jpeg.arrayBuffer()), exif);
      if (blob && blob.size <= MAX_PHOTO) return { blob, width, height, exif: Boolean(exif) };
    }
    return null;
  } catch { return null; } finally { img.close(); }
}

/** The photo field's note (beside it): what became of a photo over the limit. */
function writePhotoNote() {
  const note = $("#ns-photo-note"); const n = sv.photoNote;
  note.textContent = n ? t(n.key, n.vars) : "";
  note.className = n && n.key === "ns.photoNotShrunk" ? "error" : "note";
}

/** The picked photo as it will be saved: a smaller copy when it is over the limit (started as soon as it is picked;
 * the same work is awaited on saving). */
function pickedPhoto(file) {
  if (sv.photo && sv.photo.file === file) return sv.photo.ready;
  const mb = (n) => fmt(Math.ceil(n / 104857.6) / 10);  // MiB, rounded up (over the limit never reads "10")
  const vars = { name: file.name, mb: mb(file.size), max: mb(MAX_PHOTO) };
  sv.photoNote = { key: "ns.photoShrinking", vars }; writePhotoNote();
  const ready = shrinkPhoto(file).then((got) => {
    if (sv.photo && sv.photo.file === file) {
      sv.photoNote = got ? { key: got.exif ? "ns.photoShrunkExif" : "ns.photoShrunk",
        vars: { ...vars, w: got.width, h: got.height, size: mb(got.blob.size) } } : { key: "ns.photoNotShrunk", vars };
      writePhotoNote();
    }
    return got;
  });
  sv.photo = { file, ready };
  return ready;
}

function clearPhoto() { $("#ns-photo").value = ""; sv.photo = null; sv.photoNote = null; writePhotoNote(); }

$("#ns-photo").after(Object.assign(document.createElement("p"), { id: "ns-photo-note", className: "note" }));
$("#ns-photo-note").setAttribute("aria-live", "polite");
$("#ns-photo").addEventListener("change", async () => {
  const file = $("#ns-photo").files[0];
  sv.photo = null; sv.photoNote = null; writePhotoNote();
  if (file && file.size > MAX_PHOTO && await photoType(file) && $("#ns-photo").files[0] === file) pickedPhoto(file);
});

/** The observation of the form, or null after showing what is wrong. */
async function observation() {
  const errs = [];
  // each field's problem listed and said beside it (fieldnotes.js), until it is right
  const say = (id, check) => { const p = checked($(id), check); if (p) errs.push(p); return $(id).value.trim(); };
  const num = (id, lo, hi, key, int) => Number(say(id, () => {
    const raw = $(id).value.trim(); const v = Number(raw);
    return raw === "" || !Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v))
      ? t(int ? "an.range" : "ns.rangeNumber", { what: t(key), lo: fmt(lo), hi: fmt(hi) }) : null;
  }));
  const text = (id, key, more = () => null) => say(id, () => ($(id).value.trim() ? more() : t("ns.required", { what: t(key) })));
  const listed = () => { const list = checklistFor($("#ns-area").value.trim()), species = $("#ns-species").value.trim();
    return list && !list.some((x) => x.name === species) ? t("ns.notOnChecklist", { species }) : null; };
  const o = { id: sv.editing ? sv.editing.id : newId(), species: text("#ns-species", "ns.species", listed),
    count: num("#ns-count", 1, 1000000, "ns.count", true), lat: num("#ns-lat", -90, 90, "ns.lat"),
    lon: num("#ns-lon", -180, 180, "ns.lon"), time: text("#ns-time", "ns.time"), observer: text("#ns-observer", "ns.observer") };
  const file = $("#ns-photo").files[0];
  const type = file && await photoType(file);
  let photo = null;  // the Blob to keep and send: the file's bytes, or their smaller copy when over the limit
  if (file && !type) errs.push(t("ns.photoType", { name: file.name }));
  else if (file && file.size > MAX_PHOTO) {
    const got = await pickedPhoto(file);
    if (got) photo = got.blob;
    else errs.push(t("ns.photoTooLarge", { name: file.name, mb: fmt(MAX_PHOTO / 1048576) }));
  } else if (file) photo = new Blob([await file.arrayBuffer()], { type });
  if (errs.length) { showMessages("#ns-errors", errs); return null; }
  o.time = withOffset(o.time, sv.editing && sv.editing.offset);
  const opt = { area: $("#ns-area").value.trim(), remarks: $("#ns-remarks").value.trim(),
    photo: file ? file.name : (sv.editing && sv.editing.photo) };
  for (const [k, v] of Object.entries(opt)) if (v) o[k] = v;
  if (sv.pos) o.accuracy_m = Math.min(100000, Math.max(0.1, sv.pos));
  else if (sv.editing && sv.editing.accuracy_m) o.accuracy_m = sv.editing.accuracy_m;
  return { o, photo };
}

$("#ns-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#ns-errors").replaceChildren();
  const got = await observation(); if (!got) return;
  const { o, photo } = got;
  const entry = { id: o.id, observation: o, base_version: sv.editing ? sv.editing.version : null, state: "pending" };
  if (photo) entry.photo = photo;
  try {
    await inQueue("readwrite", (st) => st.put(entry));
  } catch (e) {
    showMessages("#ns-errors", [t("ns.notSaved", { why: String(e && e.message || e) })]); return;
  }
  $("#ns-status").textContent = t("ns.saved");
  for (const id of ["#ns-count", "#ns-remarks"]) $(id).value = id === "#ns-count" ? "1" : "";
  clearPhoto();
  endEdit();
  await drawQueue();
  syncSurvey();
});

$("#ns-locate").addEventListener("click", () => {
  if (!navigator.geolocation) { showMessages("#ns-errors", [t("ns.noLocation")]); return; }
  navigator.geolocation.getCurrentPosition((p) => {
    $("#ns-lat").value = p.coords.latitude.toFixed(6); $("#ns-lon").value = p.coords.longitude.toFixed(6);
    sv.pos = p.coords.accuracy;
  }, () => showMessages("#ns-errors", [t("ns.noLocation")]), { enableHighAccuracy: true, timeout: 20000 });
});

/** Fill the form with a synced observation to edit it (saved as the next version of `version`). */
function startEdit(version, o) {
  sv.editing = { id: o.id, version, offset: o.time.slice(19), photo: o.photo, accuracy_m: o.accuracy_m };
  sv.pos = null;
  const set = { "#ns-species": o.species, "#ns-count": o.count, "#ns-lat": o.lat, "#ns-lon": o.lon,
    "#ns-time": o.time.slice(0, 19), "#ns-observer": o.observer, "#ns-area": o.area || "", "#ns-remarks": o.remarks || "" };
  for (const [id, v] of Object.entries(set)) $(id).value = String(v);
  clearPhoto();
  $("#ns-editing").hidden = false;
  $("#ns-editing-what").textContent = t("ns.editing", { species: o.species, version });
  $("#ns-save").textContent = t("ns.saveEdit");
  $("#ns-species").focus();
}

function endEdit() {
  sv.editing = null;
  $("#ns-editing").hidden = true;
  $("#ns-save").textContent = t("ns.save");
}
$("#ns-edit-cancel").addEventListener("click", () => {
  endEdit();
  for (const id of ["#ns-species", "#ns-remarks", "#ns-area"]) $(id).value = "";
  $("#ns-count").value = "1";
  clearPhoto();
});

/** Send the queue (pending entries, in batches); at most one sync runs at a time. */
function syncSurvey() {
  if (sv.syncing) { sv.again = true; return sv.syncing; }  // saved during a sync: one more round after it
  sv.syncing = doSync().finally(() => {
    sv.syncing = null;
    if (sv.again) { sv.again = false; syncSurvey(); }
  });
  return sv.syncing;
}

/** Upload a synced entry's photo; true when the service holds it (or refused it for good, said beside the form). */
async function sendPhoto(e) {
  const res = await api(`/api/nature/survey/observations/${encodeURIComponent(e.id)}/photo`,
    { method: "PUT", headers: { "Content-Type": e.photo.type || "application/octet-stream" }, body: e.photo });
  if (res.ok) return true;
  showProblem("#ns-errors", await problemOf(res));
  return res.status === 413 || res.status === 415;  // this photo will never be taken: the record stays synced
}

async function doSync() {
  if (!navigator.onLine) { $("#ns-status").textContent = t("ns.offline"); return; }
  const pending = (await queued()).filter((e) => e.state === "pending");
  let sent = 0; clearTimeout(sv.retry);  // this sync is the retry
  try {
    for (let i = 0; i < pending.length; i += BATCH) {
      const part = pending.slice(i, i + BATCH);
      const res = await api("/api/nature/survey/sync", jsonBody({ observations: part.map((e) => ({ observation: e.observation,
        base_version: e.base_version })) }, "POST"));
      if (!res.ok) { showProblem("#ns-errors", await problemOf(res)); break; }
      const { results } = await res.json();
      const done = []; const conflicts = []; const photos = [];
      results.forEach((r, k) => {
        if (r.id !== part[k].id) return;
        if (r.status === "conflict") conflicts.push({ ...part[k], state: "conflict", server: r.server });
        else if (part[k].photo) photos.push({ ...part[k], base_version: r.version });  // the record now is version r.version
        else done.push(r.id);
      });
      await inQueue("readwrite", (st) => { for (const e of [...conflicts, ...photos]) st.put(e); for (const id of done) st.delete(id); });
      for (const e of photos) if (await sendPhoto(e)) { await inQueue("readwrite", (st) => st.delete(e.id)); done.push(e.id); }
      sent += done.length;
    }
  } catch (e) {
    if (e.message === "unauthorised") throw e;
    $("#ns-status").textContent = t("ns.offline");  // the network failed: everything unconfirmed stays queued
    // and is tried again in 5 s: the browser said it was online, and may not say when the connection returns
    // (navigator.onLine true in a page opened offline, no "online" event after: Chromium 150, 2026-12-05); only
    // while the page is open (leaving it stops the retries, opening it again syncs at once)
    clearTimeout(sv.retry); sv.retry = sv.shown ? setTimeout(syncSurvey, RETRY_MS) : null; sent = -1;
  }
  if (sent > 0) $("#ns-status").textContent = t("ns.sent", { n: sent });
  else if (!sent && $("#ns-status").textContent === t("ns.offline")) $("#ns-status").textContent = "";  // online again
  await drawQueue();
  await drawSynced();
}

async function resolveConflict(id, keepMine) {
  await inQueue("readwrite", (st) => {
    const r = st.get(id);
    r.onsuccess = () => {
      const e = r.result; if (!e) return;
      if (keepMine) st.put({ ...e, state: "pending", base_version: e.server.version, server: undefined });
      else st.delete(id);
    };
  });
  await drawQueue();
  if (keepMine) syncSurvey();
}

const button = (key, fn) => Object.assign(document.createElement("button"), { type: "button", textContent: t(key), onclick: fn });

async function drawQueue() {
  let rows = [];
  try { rows = await queued(); } catch { rows = []; }
  richTable($("#ns-queue"), [t("ns.col.species"), t("ns.col.count"), t("ns.col.time"), t("ns.col.photo"), t("ns.col.state"), ""],
    rows.map((e) => {
      const conflict = e.state === "conflict";
      const what = conflict ? t("ns.state.conflict", { count: e.server.observation.count, species: e.server.observation.species,
        version: e.server.version }) : t(e.base_version ? "ns.state.edit" : "ns.state.pending", { version: e.base_version });
      const act = document.createElement("span");
      if (conflict) act.append(button("ns.keepMine", () => resolveConflict(e.id, true)), " ",
        button("ns.keepServer", () => resolveConflict(e.id, false)));
      return [e.observation.species, fmt(e.observation.count), e.observation.time, e.photo ? t("ns.photoQueued") : "–", what, act];
    }), [1]);
  $("#ns-queue").dataset.count = String(rows.length);
}

async function drawSynced() {
  if (!navigator.onLine) return;
  const total = await api("/api/nature/survey/observations?limit=1").catch(() => null);
  if (!total || !total.ok) return;
  const n = (await total.json()).total;
  const res = await api(`/api/nature/survey/observations?limit=${LIST}&offset=${Math.max(0, n - LIST)}`).catch(() => null);
  if (!res || !res.ok) return;
  sv.synced = await res.json();
  writeSynced();
}

function photoCell(p) {
  if (!p) return "–";
  const a = Object.assign(document.createElement("a"), { href: p.url, target: "_blank", rel: "noopener",
    textContent: t("ns.photoLink", { w: p.width, h: p.height }) });
  if (p.exif_distance_m == null) return a;
  const far = Object.assign(document.createElement("span"), { className: "note",
    textContent: ` ${t("ns.photoExif", { m: fmt(p.exif_distance_m) })}` });
  const span = document.createElement("span"); span.append(a, far); return span;
}

function writeSynced() {
  const doc = sv.synced; if (!doc) return;
  const parts = Object.entries(doc.richness).map(([area, v]) => t("ns.richness", { area, species: v.species, individuals: v.individuals }));
  $("#ns-richness").textContent = `${t("ns.total", { n: doc.total })}${parts.length ? ` — ${parts.join("; ")}` : ""}`;
  const rows = [...doc.observations].reverse();
  richTable($("#ns-list"), [t("ns.col.species"), t("ns.col.count"), t("ns.col.time"), t("ns.col.area"), t("ns.col.photo"),
    t("ns.col.version"), ""], rows.map(({ version, observation: o, photo }) => [o.species, fmt(o.count), o.time, o.area || "–",
    photoCell(photo), String(version), button("ns.edit", () => startEdit(version, o))]), [1, 5]);
}

/** The species of the checklist that serves `area`, from the survey's checklist as the service answers it (its `areas`
 * carry the organisation's area checklists): the area's own, else the survey's; null when not known on this device (no
 * checklist loaded yet, or an area's own too long to come inline: the service checks those species when they are sent). */
function checklistFor(area) {
  const doc = sv.checklist; if (!doc) return null;
  const own = area && doc.areas && doc.areas[area];
  return own ? own.species : doc.species;
}

/** The species offered for the form's area (their local name first: a site checklist gives one, the bundled example
 * an English one) and which checklist they come from. */
function showChecklist() {
  const doc = sv.checklist; if (!doc) return;
  const area = $("#ns-area").value.trim();
  const own = area && doc.areas && doc.areas[area];
  const list = checklistFor(area) || [];
  $("#ns-checklist").replaceChildren(...list.map((x) => Object.assign(document.createElement("option"),
    { value: x.name, textContent: `${[x.local, x.en].filter(Boolean).join(" / ") || x.name} (${x.group})` })));
  const vars = { area, name: own ? own.name : doc.name, n: list.length, source: doc.source };
  const key = own ? (own.species ? "ns.checklist.area" : "ns.checklist.areaUnknown")
    : doc.scope === "bundled" ? "ns.checklist.bundled" : "ns.checklist.survey";
  $("#ns-checklist-note").textContent = t(key, vars);
}
$("#ns-checklist").after(Object.assign(document.createElement("p"), { id: "ns-checklist-note", className: "note" }));
$("#ns-area").addEventListener("input", showChecklist);

async function loadChecklist(again = false) {
  if (sv.checklist && !again) return;
  const res = await api("/api/nature/survey/checklist").catch(() => null);
  if (!res || !res.ok) return;  // offline without a cached copy: names are not checked against it
  sv.checklist = await res.json();
  showChecklist();
}

/** A labelled control of the checklist editor: [label, control]. */
/** The worker's answer to `message` over a MessageChannel, or `fallback` when none comes within `ms` (a worker of an
 * older junkan that does not answer, or one stopped on the way). */
function askWorker(worker, message, fallback, ms = 15000) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => { channel.port1.close(); resolve(fallback); }, ms);
    channel.port1.onmessage = (ev) => { clearTimeout(timer); channel.port1.close(); resolve(ev.data); };
    worker.postMessage(message, [channel.port2]);
  });
}

/** Once a service worker is active for the page, ask it (survey-sw.js keeps the list of what an offline start needs) to
 * fetch and keep the identity and checklist again while online (its install may have run while offline and kept
 * neither), and to say whether the page can open offline: its files, who is signed in and the checklist are all on
 * the device. Only the latest check writes its answer (checks overlap when the connection comes and goes); one that
 * finds something missing while online tries again a few times, and again whenever the connection returns. */
async function offlineReady(attempt = 0) {
  const note = $("#ns-offline-ready");
  if (!("serviceWorker" in navigator) || !window.caches) { note.textContent = t("ns.offlineUnsupported"); return; }
  const check = ++sv.readyCheck;
  // the active worker, whether or not it controls this page yet: a page loaded while the worker was activating
  // may never be claimed (no "controllerchange"), yet the next start is served by that worker
  const registration = await navigator.serviceWorker.ready;
  const worker = navigator.serviceWorker.controller || registration.active;
  const answer = worker ? await askWorker(worker, { type: "offline-ready", refresh: navigator.onLine }, null) : null;
  const ready = Boolean(answer && answer.ready);
  if (check !== sv.readyCheck) return;  // a later check answers
  note.dataset.ready = String(ready);
  writeOfflineReady();
  clearTimeout(sv.readyRetry);
  if (!ready && navigator.onLine && attempt < READY_RETRIES && sv.shown) sv.readyRetry = setTimeout(() => offlineReady(attempt + 1), 2000);
}

function writeOfflineReady() {
  const note = $("#ns-offline-ready"); const ready = note.dataset.ready;
  if (ready) note.textContent = t(ready === "true" ? "ns.offlineReady" : "ns.offlineNotReady");
}

/** Register the worker (again: an install cut off by a lost connection is retried) and report readiness. */
function keepOffline() {
  if (!("serviceWorker" in navigator)) { offlineReady(); return; }
  navigator.serviceWorker.register("/survey-sw.js").then(() => offlineReady()).catch(() => {});
}

function showSurvey() {
  sv.shown = true;
  keepOffline();
  if (!$("#ns-time").value) {
    const d = new Date(); d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
    $("#ns-time").value = d.toISOString().slice(0, 19);
  }
  loadChecklist();
  checklistEditor(loadChecklist);
  drawQueue().then(syncSurvey);
}

$("#ns-sync").addEventListener("click", () => syncSurvey());
/** Leaving the page (the app's other pages are other hashes): its retries stop. */
function leaveSurvey() {
  sv.shown = false;
  clearTimeout(sv.retry); clearTimeout(sv.readyRetry); sv.retry = null; sv.readyRetry = null;
}
window.addEventListener("hashchange", () => { if (location.hash !== "#/nature") leaveSurvey(); });
window.addEventListener("online", () => { syncSurvey(); if ($("#ns-offline-ready").dataset.ready !== "true") keepOffline(); });

function redrawSurvey() {
  drawQueue(); writeSynced(); showChecklist(); $("#ns-status").textContent = "";
  writeOfflineReady(); writePhotoNote();
  if (sv.editing) $("#ns-editing-what").textContent = t("ns.editing", { species: $("#ns-species").value, version: sv.editing.version });
  $("#ns-save").textContent = t(sv.editing ? "ns.saveEdit" : "ns.save");
}

export { showSurvey, redrawSurvey };
