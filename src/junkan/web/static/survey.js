// Nature page, field survey, offline first: species observations with an optional photo.
// Each observation (and its photo, as a Blob) goes into IndexedDB (the device's queue) before the form says "saved"; a
// sync sends the queue in batches and removes an entry only when the service answered created / unchanged / updated for
// it and took its photo (so an answer lost on the way means a resend, which the service acknowledges as "unchanged").
// A conflict keeps the entry with the server's version beside it for the surveyor to choose. A synced observation can be
// edited: the edit is queued with the version it started from (base_version), so the service stores it as the next
// version or answers with a conflict. A service worker (/survey-sw.js) keeps the page's own files so it opens offline.
import { $, api, fmt, jsonBody, problemOf, richTable, showMessages, showProblem, t } from "./core.js";

const SURVEY_DB = "junkan-survey"; const QUEUE = "queue"; const BATCH = 500;
const LIST = 100;  // synced observations listed for editing (the newest)
const MAX_PHOTO = 10 * 1024 * 1024;  // bytes; the service's limit (junkan.nature.photo.MAX_BYTES)
const sv = { db: null, syncing: null, checklist: null, editing: null, readyCheck: 0 };
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

/** The image type from the file's first bytes (never from its name), as the service checks it: JPEG, PNG, WebP. */
async function photoType(file) {
  const b = new Uint8Array(await file.slice(0, 12).arrayBuffer());
  const ascii = (i, n) => String.fromCharCode(...b.slice(i, i + n));
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (b[0] === 0x89 && ascii(1, 3) === "PNG") return "image/png";
  if (ascii(0, 4) === "RIFF" && ascii(8, 4) === "WEBP") return "image/webp";
  return null;
}

/** The observation of the form, or null after showing what is wrong. */
async function observation() {
  const errs = [];
  const num = (id, lo, hi, key, int) => {
    const raw = $(id).value.trim(); const v = Number(raw);
    if (raw === "" || !Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v))) {
      errs.push(t("an.range", { what: t(key), lo: fmt(lo), hi: fmt(hi) }));
    }
    return v;
  };
  const text = (id, key) => { const v = $(id).value.trim(); if (!v) errs.push(t("ns.required", { what: t(key) })); return v; };
  const species = text("#ns-species", "ns.species");
  const o = { id: sv.editing ? sv.editing.id : newId(), species, count: num("#ns-count", 1, 1000000, "ns.count", true),
    lat: num("#ns-lat", -90, 90, "ns.lat"), lon: num("#ns-lon", -180, 180, "ns.lon"),
    time: text("#ns-time", "ns.time"), observer: text("#ns-observer", "ns.observer") };
  if (sv.checklist && species && !sv.checklist.has(species)) errs.push(t("ns.notOnChecklist", { species }));
  const file = $("#ns-photo").files[0];
  if (file && file.size > MAX_PHOTO) errs.push(t("ns.photoTooLarge", { name: file.name, mb: fmt(MAX_PHOTO / 1048576) }));
  else if (file && !(await photoType(file))) errs.push(t("ns.photoType", { name: file.name }));
  if (errs.length) { showMessages("#ns-errors", errs); return null; }
  o.time = withOffset(o.time, sv.editing && sv.editing.offset);
  const opt = { area: $("#ns-area").value.trim(), remarks: $("#ns-remarks").value.trim(),
    photo: file ? file.name : (sv.editing && sv.editing.photo) };
  for (const [k, v] of Object.entries(opt)) if (v) o[k] = v;
  if (sv.pos) o.accuracy_m = Math.min(100000, Math.max(0.1, sv.pos));
  else if (sv.editing && sv.editing.accuracy_m) o.accuracy_m = sv.editing.accuracy_m;
  return { o, file };
}

$("#ns-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#ns-errors").replaceChildren();
  const got = await observation(); if (!got) return;
  const { o, file } = got;
  const entry = { id: o.id, observation: o, base_version: sv.editing ? sv.editing.version : null, state: "pending" };
  if (file) entry.photo = new Blob([await file.arrayBuffer()], { type: await photoType(file) });
  try {
    await inQueue("readwrite", (st) => st.put(entry));
  } catch (e) {
    showMessages("#ns-errors", [t("ns.notSaved", { why: String(e && e.message || e) })]); return;
  }
  $("#ns-status").textContent = t("ns.saved");
  for (const id of ["#ns-count", "#ns-remarks", "#ns-photo"]) $(id).value = id === "#ns-count" ? "1" : "";
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
  $("#ns-photo").value = "";
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
  for (const id of ["#ns-species", "#ns-remarks", "#ns-photo", "#ns-area"]) $(id).value = "";
  $("#ns-count").value = "1";
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
  let sent = 0;
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
  }
  if (sent) $("#ns-status").textContent = t("ns.sent", { n: sent });
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

async function loadChecklist() {
  if (sv.checklist) return;
  const res = await api("/api/nature/survey/checklist").catch(() => null);
  if (!res || !res.ok) return;  // offline without a cached copy: names are not checked against it
  const doc = await res.json();
  sv.checklist = new Set(doc.species.map((x) => x.name));
  $("#ns-checklist").replaceChildren(...doc.species.map((x) => Object.assign(document.createElement("option"),
    { value: x.name, textContent: `${x.en} (${x.group})` })));
}

/** The page's identity and checklist as the service worker keeps them for an offline start. */
const OFFLINE_API = ["/api/me", "/api/nature/survey/checklist"];

/** Once the service worker controls the page, pass the identity and checklist through it (its install may have run
 * while offline and kept neither), then say whether the page can open offline: its files, who is signed in and the
 * checklist are all on the device. Only the latest check writes its answer (checks overlap when the connection comes
 * and goes); one that finds something missing while online tries again a few times, and again whenever the connection
 * returns. */
async function offlineReady(attempt = 0) {
  const note = $("#ns-offline-ready");
  if (!("serviceWorker" in navigator) || !window.caches) { note.textContent = t("ns.offlineUnsupported"); return; }
  const check = ++sv.readyCheck;
  if (!navigator.serviceWorker.controller) {
    await new Promise((ok) => navigator.serviceWorker.addEventListener("controllerchange", ok, { once: true }));
  }
  if (navigator.onLine) await Promise.all(OFFLINE_API.map((u) => fetch(u, { credentials: "same-origin" }).catch(() => null)));
  const ready = (await Promise.all(["/", ...OFFLINE_API].map((u) => caches.match(u)))).every(Boolean);
  if (check !== sv.readyCheck) return;  // a later check answers
  note.dataset.ready = String(ready);
  writeOfflineReady();
  if (!ready && navigator.onLine && attempt < READY_RETRIES) setTimeout(() => offlineReady(attempt + 1), 2000);
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
  keepOffline();
  if (!$("#ns-time").value) {
    const d = new Date(); d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
    $("#ns-time").value = d.toISOString().slice(0, 19);
  }
  loadChecklist();
  drawQueue().then(syncSurvey);
}

$("#ns-sync").addEventListener("click", () => syncSurvey());
window.addEventListener("online", () => { syncSurvey(); if ($("#ns-offline-ready").dataset.ready !== "true") keepOffline(); });

function redrawSurvey() {
  drawQueue(); writeSynced(); $("#ns-status").textContent = "";
  writeOfflineReady();
  if (sv.editing) $("#ns-editing-what").textContent = t("ns.editing", { species: $("#ns-species").value, version: sv.editing.version });
  $("#ns-save").textContent = t(sv.editing ? "ns.saveEdit" : "ns.save");
}

export { showSurvey, redrawSurvey };
