// plotly.js (the package's plotly.min.js), loaded with the first chart a page draws rather than with
// every page: its 4.8 MB took Chromium ~1.5 s of CPU to read at each page load, the sign-in page's
// too (2026-12-07). No imports: core.js draws with it.

let loading = null;

/** Resolves to window.Plotly once plotly.js has run; rejects if the file does not load (the next chart
 * asks again). */
function plotlyReady() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!loading) {
    loading = new Promise((ok, fail) => {
      const s = document.createElement("script");
      s.src = "/static/plotly.min.js";
      s.onload = () => ok(window.Plotly);
      s.onerror = () => { loading = null; s.remove(); fail(new Error("plotly.min.js did not load")); };
      document.head.append(s);
    });
  }
  return loading;
}

export { plotlyReady };
