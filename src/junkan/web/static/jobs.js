// Server-side jobs from the page: start one, poll it, stop it when the user cancels.
import { api, jobError, problemOf, t } from "./core.js";

/** Wait `ms`, or reject with an AbortError when `signal` aborts. */
function pause(ms, signal) {
  return new Promise((ok, no) => {
    const id = setTimeout(ok, ms);
    signal?.addEventListener("abort", () => { clearTimeout(id); no(new DOMException("stopped", "AbortError")); }, { once: true });
  });
}

/** Start a server-side job (`POST start`; `init` without its signal) and poll it twice a second until it ends.
 * Options: `poll`, the base the job is read at as `poll/{id}` (default: `start` without its query); `onPoll(job)`,
 * told every job document, the first included; `onProgress(p)`, told each poll's progress; `onStart(job)`, told once
 * the job was accepted. When `signal` aborts, at once, the job is stopped on the server (DELETE; one accepted after
 * that, once its start is answered: review 260) and the AbortError goes on. Resolves to `{ id, result, job }`, or `{ problem }` when refused, failed or cancelled. */
async function runJob(start, init, signal, { poll, onPoll = () => {}, onProgress = () => {}, onStart = () => {} } = {}) {
  const base = poll || start.split("?")[0];
  const sent = api(start, init);
  const halt = signal ? pause(2e9, signal) : sent;
  halt.catch(() => {});  // the start is never aborted (a job accepted after Cancel ran on): Cancel stops waiting for it
  const stop = (r) => r.ok && r.json().then((j) => api(`${base}/${encodeURIComponent(j.id)}`, { method: "DELETE" })).catch(() => {});
  const res = await Promise.race([sent, halt]).catch((e) => { sent.then(stop, () => {}); throw e; });
  if (!res.ok) return { problem: await problemOf(res) };
  let job = await res.json();
  const url = `${base}/${encodeURIComponent(job.id)}`;
  try {
    if (signal?.aborted) throw new DOMException("stopped", "AbortError");
    await onStart(job);
    onPoll(job);
    while (job.status === "queued" || job.status === "running") {
      await pause(500, signal);
      const r = await api(url, { signal });
      if (!r.ok) return { problem: await problemOf(r) };
      job = await r.json();
      onPoll(job);
      if (job.progress != null) onProgress(job.progress);
    }
  } catch (e) {
    if (e.name === "AbortError") await api(url, { method: "DELETE" }).catch(() => {});  // listed as cancelled after
    throw e;
  }
  if (job.status !== "succeeded") return { problem: job.problems ? { ...job.problems, detail: job.error } : { detail: jobError(job) || t("job.failed") } };
  return { id: job.id, result: job.result, job };
}

export { pause, runJob };
