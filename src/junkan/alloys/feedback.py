"""Learn from measured lots: Bayesian updating of the per-part composition estimates, and a
control chart of lots against the buyer's window.

**Update.** For element e, the part keys' concentrations c_e (K,) have a Gaussian prior —
initially the mean and variance of the uniform standard window, (lo+hi)/2 and (hi−lo)²/12.
A lot produced from a known feed, measured at y_e (wt %) with the method's standard deviation
σ_m, is modelled as y_e = h·c_e + b_e + ε: h_k is the share of the lot's mass that is key k's
metal and b_e what the attached steel, residue and misplaced heavies add (both from the
prediction means). The conjugate (Kalman) update gives the posterior mean and covariance;
lots are folded in one after the other. Posterior samples feed :func:`predict` and
:func:`~junkan.alloys.plan.plan_feed` again ("re-plan").

**Control chart.** Individuals chart per element: centre line and σ from the moving range
(σ = MR̄/1.128) of the first ``baseline`` lots, limits ±3σ, the buyer's limit drawn, and
flags for lots above the window, outside the control limits, or in a run of 8 on one side of
the centre (Western Electric rule 4: drift).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from junkan.alloys.data import ELEMENTS, Library, load_alloy_library
from junkan.alloys.grade import check_composition
from junkan.alloys.predict import (
    AL_OUTPUTS,
    OUTPUTS,
    TRACKED,
    FeedPlan,
    build_feed,
    route_feed,
    routing_for,
)
from junkan.core.errors import short

METHOD_SD = {"libs": 0.10, "spark_oes": 0.02, "melt_sample": 0.01}
"""Measurement standard deviation (wt %, absolute) by method. ASSUMPTION: typical repeatability
of handheld LIBS on shredded pieces, spark OES on a remelted disc and a lab melt analysis; give
your lab's values with ``sd`` per measurement to override."""


@dataclass
class Estimates:
    """Per element, mean (K,) and covariance (K, K) of the part keys' concentrations."""

    keys: list[str]
    mean: dict[str, np.ndarray]
    cov: dict[str, np.ndarray]
    lots: int = 0

    @classmethod
    def prior(cls, lib: Library) -> Estimates:
        keys, lo, hi = lib.key_windows()
        mean = {e: (lo[:, j] + hi[:, j]) / 2 for j, e in enumerate(ELEMENTS)}
        cov = {e: np.diag(np.maximum((hi[:, j] - lo[:, j]) ** 2 / 12, 1e-8))
               for j, e in enumerate(ELEMENTS)}
        return cls(keys=keys, mean=mean, cov=cov)

    def sd(self, element: str) -> np.ndarray:
        return np.sqrt(np.diag(self.cov[element]))

    def samples(self, n: int, seed: int = 0) -> np.ndarray:
        """(n, K, E+1) compositions drawn from the estimates (clipped at 0; Al the balance)."""
        rng = np.random.default_rng(seed)
        out = np.zeros((n, len(self.keys), len(TRACKED)))
        for j, e in enumerate(ELEMENTS):
            out[:, :, j] = np.clip(rng.multivariate_normal(self.mean[e], self.cov[e], size=n,
                                                           method="cholesky"), 0, 100)
        out[:, :, -1] = np.clip(100 - out[:, :, :-1].sum(axis=2), 0, 100)
        return out

    def document(self) -> dict[str, Any]:
        return {"keys": self.keys, "lots": self.lots,
                "mean": {e: m.round(6).tolist() for e, m in self.mean.items()},
                "cov": {e: c.round(9).tolist() for e, c in self.cov.items()}}

    def save(self, path: str | Path) -> None:
        tmp = Path(path).with_suffix(".tmp")
        tmp.write_text(json.dumps(self.document()))
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path, lib: Library) -> Estimates:
        doc = json.loads(Path(path).read_text())
        if doc["keys"] != lib.part_keys():
            raise ValueError(f"{path}: estimates were made for another vehicle library "
                             "(part keys differ); start again from the prior")
        return cls(keys=doc["keys"], mean={e: np.array(v) for e, v in doc["mean"].items()},
                   cov={e: np.array(v) for e, v in doc["cov"].items()}, lots=doc["lots"])


def lot_model(feed_plan: FeedPlan, est: Estimates, lib: Library, n: int = 400,
              seed: int = 0) -> tuple[np.ndarray, dict[str, float]]:
    """h (K,): share of the Al-fraction lot's mass that is each key's metal; b_e: wt % the
    rest adds (attached steel, residue, heavies), at the current estimates."""
    feed = build_feed(feed_plan, lib)
    comp, rt = routing_for(lib, feed_plan.grain_mm, n, seed, est.samples(n, seed))
    al = [OUTPUTS.index(o) for o in AL_OUTPUTS]
    out_mass, out_el = route_feed(lib, feed, comp, rt)
    mass_out = float(out_mass[:, al].sum(axis=1).mean())
    # key k's metal reaching the lot: its alloy mass routed to the Al outputs, without the
    # attached steel / residue (those are in b)
    to_al = rt.share[:, :, al].sum(axis=2).mean(axis=0)  # (F,) kg per kg of family metal
    h = feed.alloy_kg * to_al[lib.index().key_family] / max(mass_out, 1e-12)
    b = {}
    for j, e in enumerate(ELEMENTS):
        total = float(out_el[:, al, j].sum(axis=1).mean())
        from_keys = float(h @ est.mean[e]) * mass_out / 100
        b[e] = max(float(100 * (total - from_keys) / max(mass_out, 1e-12)), 0.0)
    return h, b


def update_estimates(est: Estimates, feed_plan: FeedPlan, measured: dict[str, float],
                     method: str, sd: dict[str, float] | None = None,
                     lib: Library | None = None) -> Estimates:
    """Fold one measured lot (wt %) into the estimates (returns new estimates)."""
    lib = lib or load_alloy_library()
    if method not in METHOD_SD and not sd:
        raise ValueError(f"unknown method {short(method)}; use {sorted(METHOD_SD)} or give sd")
    # empty, unknown elements (Al is the balance, not estimated), NaN, negative, above 100 %
    check_composition(measured, allowed=ELEMENTS)
    h, b = lot_model(feed_plan, est, lib)
    mean = dict(est.mean)
    cov = dict(est.cov)
    for e, y in measured.items():
        r = (sd or {}).get(e, METHOD_SD.get(method, 0.05)) ** 2
        p = est.cov[e]
        ph = p @ h
        s = float(h @ ph) + r
        gain = ph / s
        mean[e] = np.clip(est.mean[e] + gain * (y - b[e] - float(h @ est.mean[e])), 0, 100)
        cov[e] = p - np.outer(gain, ph)
    return Estimates(keys=est.keys, mean=mean, cov=cov, lots=est.lots + 1)


def control_chart(values: list[float], limit: float | None = None,
                  baseline: int = 10) -> dict[str, Any]:
    """Individuals chart: centre, ±3σ (σ from the moving range of the first ``baseline``
    lots) and per-lot flags (above the window, outside control limits, drift run)."""
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        raise ValueError("a control chart needs at least 2 lots")
    base = x[:max(2, min(baseline, x.size))]
    centre = float(base.mean())
    mr = np.abs(np.diff(base))
    sigma = float(mr.mean() / 1.128) if mr.size else 0.0
    ucl, lcl = centre + 3 * sigma, max(centre - 3 * sigma, 0.0)
    flags: list[list[str]] = [[] for _ in x]
    side = np.sign(x - centre)
    for i, v in enumerate(x):
        if limit is not None and v > limit:
            flags[i].append("above window")
        if v > ucl or v < lcl:
            flags[i].append("outside control limits")
        if i >= 7 and abs(side[i - 7:i + 1].sum()) == 8:
            flags[i].append("drift (8 on one side)")
    return {"centre": centre, "sigma": sigma, "ucl": ucl, "lcl": lcl, "limit": limit,
            "values": x.tolist(), "flags": flags,
            "drift_from": next((i - 7 for i, f in enumerate(flags)
                                if any("drift" in s for s in f)), None)}


def write_control_chart(charts: dict[str, dict[str, Any]], out: Path,
                        source: str | None = None) -> Path:
    """``control-chart.html`` (with ``plotly.min.js`` beside it: works offline) in ``out``;
    returns the page's path."""
    from junkan.core.report import Page

    page = Page("Control charts of the recovered aluminium", source=source)
    page.paragraph("Individuals charts: lots against the buyer's window and control limits "
                   "at ±3σ (σ from the mean moving range / 1.128), with the drift rule of 8 "
                   "lots on one side of the centre line (Montgomery, Introduction to "
                   "Statistical Quality Control, ch. 6).")
    return page.figure(chart_figure(charts)).write(out / "control-chart.html")


def chart_figure(charts: dict[str, dict[str, Any]]) -> Any:
    """Plotly figure: one panel per element, lots against window and control limits."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=len(charts), cols=1, shared_xaxes=True,
                        subplot_titles=[f"{e} (wt %)" for e in charts])
    for r, (e, ch) in enumerate(charts.items(), start=1):
        lots = ch.get("lots") or list(range(1, len(ch["values"]) + 1))  # IDs of the lots
        colours = ["#c0392b" if f else "#1b4f72" for f in ch["flags"]]
        fig.add_trace(go.Scatter(x=lots, y=ch["values"], mode="lines+markers", name=e,
                                 marker={"color": colours}, showlegend=False), row=r, col=1)
        for y, dash, label in ((ch["centre"], "solid", "centre"), (ch["ucl"], "dot", "UCL"),
                               (ch["lcl"], "dot", "LCL"), (ch["limit"], "dash", "window")):
            if y is not None:
                fig.add_hline(y=y, line_dash=dash, annotation_text=label, row=r, col=1)
    fig.update_layout(height=260 * len(charts) + 60, title="Lots against the buyer's window")
    return fig


update = update_estimates
"""Former name of :func:`update_estimates` (kept for callers outside the package)."""
