"""HTML pages of the uncertainty verbs through the shared report helper
(:class:`junkan.core.report.Page`): fan charts of percentiles, tornado and Sobol' bars,
observed versus fitted."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from junkan.core.report import Page
from junkan.lifecycle.uncertainty import PAGES
from junkan.lifecycle.uncertainty.evaluate import YEARLY
from junkan.lifecycle.uncertainty.gsa import DRIVER_RULE

if TYPE_CHECKING:
    from junkan.lifecycle.uncertainty.calibration import Calibration
    from junkan.lifecycle.uncertainty.gsa import Sensitivity
    from junkan.lifecycle.uncertainty.montecarlo import Ensemble


def _target(path: Path, name: str) -> Path:
    return path if path.suffix.lower() in (".html", ".htm") else path / name


def fan_chart(ens: Ensemble, figure: str) -> go.Figure:
    """Percentile bands (5–95, 25–75) and the median of one figure across scenarios."""
    fig = go.Figure()
    # a scenario in which no run defines the figure (a share of 0 t) has no bands: left out,
    # not an all-NaN percentile (a RuntimeWarning on the terminal)
    scen = [s for s in ens.study.scenarios if figure in ens.outputs.headline[s]
            and np.isfinite(ens.outputs.headline[s][figure]).any()]
    q = {s: np.nanpercentile(ens.outputs.headline[s][figure], [5, 25, 50, 75, 95]) for s in scen}
    for lo, hi, name, alpha in ((0, 4, "5–95 %", 0.2), (1, 3, "25–75 %", 0.4)):
        fig.add_trace(
            go.Bar(
                x=scen,
                y=[q[s][hi] - q[s][lo] for s in scen],
                base=[q[s][lo] for s in scen],
                name=name,
                marker_color=f"rgba(31,119,180,{alpha})",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=scen,
            y=[q[s][2] for s in scen],
            mode="markers",
            name="median",
            marker={"color": "black", "symbol": "line-ew-open", "size": 30},
        )
    )
    fig.update_layout(title=figure, barmode="overlay", height=360, xaxis_title="scenario",
                      yaxis_title=_with_unit(figure, ens.study.figure_unit(figure)))
    return fig


COLOURS = ("31,119,180", "214,39,40", "44,160,44", "148,103,189", "255,127,14", "140,86,75")
"""Each scenario's colour in a fan chart over the years (RGB), in turn."""


def yearly_fan(ens: Ensemble, figure: str) -> go.Figure:
    """The fan of one figure of :data:`~.evaluate.YEARLY` over the years: per scenario, the
    runs' 5–95 % and 25–75 % bands and their median in each year (a year no run defines,
    e.g. a share of 0 t, is a gap)."""
    fig = go.Figure()
    for n, s in enumerate(ens.study.scenarios):
        fan = ens.yearly(s, (figure,))  # this figure's percentiles only
        if figure not in fan:
            continue
        years, q, rgb = fan["years"], fan[figure], COLOURS[n % len(COLOURS)]
        share = 100.0 if figure.endswith("share") else 1.0
        y = {k: [None if v is None else share * v for v in q[k]] for k in q}
        for lo, hi, alpha, band in (("p5", "p95", 0.15, "5–95 %"), ("p25", "p75", 0.3, "25–75 %")):
            fig.add_trace(go.Scatter(x=years + years[::-1], y=y[hi] + y[lo][::-1], fill="toself",
                                     fillcolor=f"rgba({rgb},{alpha})", line={"width": 0},
                                     name=f"{s}: {band}", legendgroup=s, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=years, y=y["p50"], mode="lines", name=f"{s}: median",
                                 legendgroup=s, line={"color": f"rgb({rgb})"}))
    unit = "%" if figure.endswith("share") else \
        f"{ens.study.figure_unit(f'totals.{figure}') or ''}/year".lstrip("/")
    fig.update_layout(title=f"{figure} per year (fan of the runs)", height=380,
                      xaxis_title="year", yaxis_title=_with_unit(figure, unit))
    return fig


def _with_unit(what: str, unit: str | None) -> str:
    """An axis title: what is plotted and its unit (shares as fractions of 1)."""
    return f"{what} [{unit}]" if unit else what


def ensemble_report(ens: Ensemble, path: Path) -> Path:
    m = ens.study.model
    page = Page(
        f"Uncertainty — {m.baseline.title or m.name}",
        source=m.source,
        subtitle=f"{len(ens.theta):,} paired Monte Carlo runs, seed {ens.seed}",
    )
    page.heading("Headline figures (percentiles)")
    frame = ens.to_frame()
    page.table(frame[frame.section == "headline"])
    for key in m.baseline.headline:
        fig = fan_chart(ens, key)
        if fig.data[0].x:
            page.figure(fig)
        else:  # empty axes said nothing (review 222)
            page.paragraph(f"{key}: not defined in any run of any scenario (a ratio of zero "
                           "to zero): no chart")
    page.heading("Per year: fans of the runs (median, 25–75 % and 5–95 % in each year)")
    for key in YEARLY:
        page.figure(yearly_fan(ens, key))
    rows = [(c["a"], c["b"], k, v, c["p_equal"][k]) for c in ens.comparisons()
            for k, v in c["p_b_beats_a"].items()]
    if rows:  # one scenario: nothing to compare
        page.heading("Probability that scenario B beats A (paired draws; ties count ½)")
        page.table(pd.DataFrame(rows, columns=["A", "B", "total", "P(B better) + ½ P(equal)",
                                               "P(equal)"]))
    page.heading("Parameters")
    page.table(
        pd.DataFrame(
            [
                {k: p[k] for k in ("parameter", "unit", "distribution", "p5", "p50", "p95",
                                   "source")}
                for p in ens.to_json()["parameters"]
            ]
        )
    )
    return page.write(_target(path, PAGES["uncertainty"]))


def tornado_chart(sa: Sensitivity, output: str) -> go.Figure:
    """Each parameter at its 5th and 95th percentile, the others at their medians: the
    change of ``output`` from its value with every parameter at the median."""
    t = sa.tornado[output]
    nominal = t["nominal"][0]
    order = sorted(range(len(sa.names)), key=lambda i: abs(t["high"][i] - t["low"][i]))
    fig = go.Figure()
    for key, color, label in (("low", "#1f77b4", "parameter at its 5th percentile"),
                              ("high", "#d62728", "parameter at its 95th percentile")):
        fig.add_trace(
            go.Bar(
                y=[sa.names[i] for i in order],
                x=[t[key][i] - nominal for i in order],
                base=nominal,
                orientation="h",
                name=label,
                marker_color=color,
            )
        )
    fig.update_layout(title=f"Tornado — {output}", barmode="overlay",
                      height=120 + 28 * len(order),
                      xaxis_title=_with_unit(output, sa.units.get(output)))
    return fig


def sobol_chart(sa: Sensitivity, output: str) -> go.Figure:
    d = sa.indices[output]
    fig = go.Figure()
    keys = (
        (("S1", "first order"), ("ST", "total order"))
        if sa.method == "sobol"
        else (("mu_star", "μ*"), ("sigma", "σ"))
    )
    for key, label in keys:
        fig.add_trace(
            go.Bar(
                x=sa.names,
                y=d[key],
                name=label,
                error_y={"type": "data", "array": d.get(f"{key}_conf")}
                if f"{key}_conf" in d
                else None,
            )
        )
    fig.update_layout(
        title=f"{'Sobol' if sa.method == 'sobol' else 'Morris'} — {output}",
        barmode="group",
        height=380,
        xaxis_title="parameter",
        yaxis_title="share of the variance" if sa.method == "sobol"
        else _with_unit("elementary effect", sa.units.get(output)),
    )
    return fig


def sensitivity_report(sa: Sensitivity, path: Path) -> Path:
    page = Page(f"Sensitivity — {sa.model}" if sa.model else "Sensitivity", source=sa.source,
                subtitle=f"{sa.method}, n {sa.n:,}, {sa.evaluations:,} model evaluations")
    if notes := sa.notes():
        page.bullets(notes)
    for out in sa.indices:
        page.heading(out)
        page.bullets([f"top drivers: {', '.join(sa.drivers(out)[:5]) or 'none above noise'}"
                      f" ({DRIVER_RULE})"])
        page.figure(sobol_chart(sa, out))
        if out in sa.tornado:
            page.figure(tornado_chart(sa, out))
    return page.write(_target(path, PAGES["sensitivity"]))


def _observed_vs_fitted(obs: pd.DataFrame) -> go.Figure:
    """Each observed figure, and the model before and after the fit as a percentage of it,
    with the ±15 % a fit counts as reproducing — figures in t, yen and fractions side by
    side (one axis in each figure's unit hid four of six; review 222). A figure observed
    as 0 has no percentage: its values are in the table."""
    labels = [_with_unit(f"{s}: {f}", u)
              for s, f, u in zip(obs.scenario, obs.figure, obs.unit, strict=True)]
    observed = obs.observed.astype(float)
    share = {k: [100 * v / o if o else None for v, o in zip(obs[k], observed, strict=True)]
             for k in ("start", "fitted")}
    hover = [f"observed {o:.4g}" for o in observed]
    fig = go.Figure([
        go.Scatter(x=[100 if o else None for o in observed], y=labels, mode="markers",
                   name="observed (±15 %)", text=hover, marker={"symbol": "diamond", "size": 12},
                   error_x={"type": "constant", "value": 15}),
        go.Scatter(x=share["start"], y=labels, mode="markers", name="model before",
                   text=[f"{h}, before {v:.4g}" for h, v in zip(hover, obs.start, strict=True)],
                   marker={"symbol": "circle-open", "size": 11}),
        go.Scatter(x=share["fitted"], y=labels, mode="markers", name="fitted",
                   text=[f"{h}, fitted {v:.4g}" for h, v in zip(hover, obs.fitted, strict=True)],
                   marker={"size": 10}),
    ])
    fig.update_layout(title="Observed vs fitted", height=120 + 40 * len(labels),
                      xaxis_title="% of the observed value", yaxis={"autorange": "reversed"})
    return fig


def calibration_report(cal: Calibration, path: Path) -> Path:
    doc = cal.to_json()
    page = Page(
        f"Calibration — {doc['model']}", source=cal.study.model.source, subtitle=doc["method"]
    )
    obs = cal.to_frame()
    page.figure(_observed_vs_fitted(obs))
    if zero := [f"{s}: {f}" for s, f, o in zip(obs.scenario, obs.figure, obs.observed,
                                              strict=True) if not o]:
        page.paragraph(f"Observed as 0, so without a percentage in the chart (their values "
                       f"are in the table): {', '.join(zero)}.")
    page.table(
        obs[[c for c in ("scenario", "figure", "unit", "observed", "start", "fitted",
                         "relative_error", "attainable_low", "attainable_high", "reachable",
                         "source")
             if c in obs]]
    )
    page.heading("Fitted parameters (calibrated, not sourced)")
    page.table(
        pd.DataFrame(
            [
                {
                    "parameter": p["parameter"],
                    "unit": p["unit"],
                    "start": p["start"],
                    "fitted": p["fitted"],
                    "95 % low": p["ci95"][0],
                    "95 % high": p["ci95"][1],
                    "at bound": p["at_bound"],
                    "identified": p["identified"],
                }
                for p in doc["parameters"]
            ]
        )
    )
    if doc["warnings"]:
        page.bullets(doc["warnings"])
    return page.write(_target(path, PAGES["calibrate"]))
