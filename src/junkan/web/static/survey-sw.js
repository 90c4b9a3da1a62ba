// junkan's service worker, served at /survey-sw.js (scope /) with VERSION and ASSETS written above
// this line by the service (the page and its own scripts, styles, message catalogues and plotly.js,
// all from the package: nothing from another site). It lets the field survey open without a network:
// - the page and its assets: network first (so an online page is exactly the served one), the cached
//   copy when the network fails; every successful fetch refreshes the copy;
// - /api/me, /api/session (whether signed in: the app asks it when it opens) and the survey's checklist:
//   the same, so the page knows who is signed in and which species to offer while offline; signing out
//   (DELETE /api/session) or a 401 forgets the cached identity;
// - everything else (the API's other calls, uploads) goes to the network untouched.
// The survey page (survey.js) asks it over a MessageChannel whether it can open offline (see "message" below): the
// list of API answers kept for an offline start is here only.
const CACHE = `junkan-survey-${VERSION}`;
const KEEP_API = ["/api/me", "/api/session", "/api/nature/survey/checklist"];

/** The signed-in identity and the checklist as they are now (a page opened before this worker started fetched them
 * without it); either may be missing (signed out): then it is cached at its next successful fetch. */
async function keepApi() {
  await Promise.all(KEEP_API.map((u) => networkFirst(u, u).catch(() => null)));
}

self.addEventListener("install", (ev) => {
  ev.waitUntil(caches.open(CACHE).then((c) => c.addAll(ASSETS)).then(keepApi).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (ev) => {
  ev.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("junkan-survey-") && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

async function networkFirst(req, key) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(req);
    if (res.ok) await cache.put(key, res.clone());
    else if (res.status === 401) await cache.delete(key);
    return res;
  } catch (e) {
    const hit = await cache.match(key);
    if (hit) return hit;
    throw e;
  }
}

self.addEventListener("fetch", (ev) => {
  const req = ev.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.method === "DELETE" && url.pathname === "/api/session") {
    ev.waitUntil(caches.open(CACHE).then((c) => Promise.all([c.delete("/api/me"), c.delete("/api/session")])));
    return;
  }
  if (req.method !== "GET") return;
  if (req.mode === "navigate" && url.pathname === "/") ev.respondWith(networkFirst(req, "/"));
  else if (ASSETS.includes(url.pathname)) ev.respondWith(networkFirst(req, url.pathname));
  // an API answer is kept under its query too: an area's own checklist (?area=) must not
  // replace the survey's in the offline copy
  else if (KEEP_API.includes(url.pathname)) ev.respondWith(networkFirst(req, url.pathname + url.search));
});

/** The answer to the page's {type: "offline-ready", refresh}: with refresh (the page is online), the identity and
 * the checklist are fetched again and kept (this worker's install may have run offline and kept neither); then
 * {ready: true} when the page, the identity and the checklist are all cached, so the page opens offline. */
async function offlineReady(refresh) {
  if (refresh) await keepApi();
  const hits = await Promise.all(["/", ...KEEP_API].map((u) => caches.match(u)));
  return { ready: hits.every(Boolean) };
}

self.addEventListener("message", (ev) => {
  const port = ev.ports && ev.ports[0];
  if (!port || !ev.data || ev.data.type !== "offline-ready") return;
  ev.waitUntil(offlineReady(Boolean(ev.data.refresh))
    .catch(() => ({ ready: false }))
    .then((answer) => port.postMessage(answer)));
});
