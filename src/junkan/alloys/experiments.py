"""Five hypotheses about ELV aluminium recovery (I–V, from the shredder and sorter trials
that motivated this package) as scripted experiments on the model, each with a chart:

I    the makes fed control the grade: more of 〇〇社's cars, more wrought and less Si; more
     of ××社's, more cast (the makers as the source names them: ``vehicles.yaml`` makers);
II   removing Maker C's magnesium parts controls Mg;
III  grain size controls liberation, the Al share and the wrought share of the Al fraction;
IV   larger grain size raises throughput and Fe recovery, Al recovery hardly changes;
V    sorter accuracy decides whether the sorted cast product meets a buyer's window.

``run_all(out)`` writes ``hypotheses.json`` and ``hypotheses.html`` (plotly, offline)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go

from junkan.alloys.data import Library, load_alloy_library
from junkan.alloys.grade import grade_samples
from junkan.alloys.predict import TRACKED, FeedPlan, predict
from junkan.alloys.sorter import Sorter, sort
from junkan.core.report import Page

N = 1000
BASE_REMOVE = ["battery_cells"]


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x))


def maker_with(lib: Library, role: str) -> tuple[str, Any]:
    """The maker (key, :class:`~junkan.alloys.data.Maker`) the source gives ``role``."""
    for key, mk in lib.makers.items():
        if mk.role == role:
            return key, mk
    raise ValueError(f"no maker with role {role!r} in the vehicle library's makers")


def make_mix_si(lib: Library) -> dict[str, Any]:
    """I: the makes fed control the grade. 100 cars, the share of the maker whose cars the
    source says raise the wrought share (〇〇社) going 0 → 100 % against the maker whose cars
    raise the cast share (××社); each maker's cars in equal numbers. Si and the wrought share
    of the Al fraction per step."""
    w_key, w_maker = maker_with(lib, "wrought")
    c_key, c_maker = maker_with(lib, "cast")
    w_cars = [v.id for v in lib.vehicles.values() if v.maker == w_key]
    c_cars = [v.id for v in lib.vehicles.values() if v.maker == c_key]
    rows = []
    for share in np.linspace(0, 1, 6):
        lines = [{"vehicle": v, "count": 100 * share / len(w_cars)} for v in w_cars] + [
            {"vehicle": v, "count": 100 * (1 - share) / len(c_cars)} for v in c_cars]
        pred = predict(FeedPlan(vehicles=[ln for ln in lines if ln["count"] > 0],
                                remove=BASE_REMOVE), lib, n=N)
        c = pred.composition("al")[:, TRACKED.index("Si")]
        wrought = pred.summary()["al_fraction"]["wrought_share"]["mean"]
        rows.append({"wrought_maker_share": float(share), "Si_mean": _mean(c),
                     "Si_p5": float(np.percentile(c, 5)), "Si_p95": float(np.percentile(c, 95)),
                     "wrought_share": wrought})
    return {"hypothesis": f"I: the makes fed control the grade ({w_maker.label} cars raise "
                          f"the wrought share, {c_maker.label} cars the cast share)",
            "wrought_maker": {"key": w_key, "label": w_maker.label, "source": w_maker.source,
                              "vehicles": w_cars},
            "cast_maker": {"key": c_key, "label": c_maker.label, "source": c_maker.source,
                           "vehicles": c_cars},
            "rows": rows,
            "supported": rows[-1]["Si_mean"] < rows[0]["Si_mean"] - 1.0
            and rows[-1]["wrought_share"] > rows[0]["wrought_share"] + 0.1}


def part_removal_mg(lib: Library) -> dict[str, Any]:
    """II: Mg of the Al fraction as Maker C's magnesium parts are removed from 0 → 100 %."""
    rows = []
    for removed in np.linspace(0, 1, 6):
        plan = FeedPlan(vehicles=[
            {"vehicle": "makerC_sedan_2010_icev", "count": 50 * (1 - removed)},
            {"vehicle": "makerC_sedan_2010_icev", "count": 50 * removed, "remove": ["mg_beam"]},
            {"vehicle": "makerA_compact_2012_hev", "count": 50}], remove=BASE_REMOVE)
        c = predict(plan, lib, n=N).composition("al")[:, TRACKED.index("Mg")]
        rows.append({"mg_parts_removed": float(removed), "Mg_mean": _mean(c),
                     "Mg_p95": float(np.percentile(c, 95))})
    return {"hypothesis": "II: removing specific parts controls Mg", "rows": rows,
            "supported": rows[-1]["Mg_mean"] < 0.5 * rows[0]["Mg_mean"]}


def grain_size(lib: Library) -> dict[str, Any]:
    """III and IV: liberation, Al share, wrought share, Al recovery, Fe recovery, throughput
    against grain size."""
    mix = FeedPlan(vehicles=[{"vehicle": v, "count": 10} for v in lib.vehicles],
                   remove=BASE_REMOVE)
    rows = []
    from junkan.alloys.shredder import Shredder

    sh = Shredder(lib.shredder)
    for d in (30, 45, 55, 65, 75, 90, 110, 150):
        s = predict(mix.model_copy(update={"grain_mm": float(d)}), lib, n=N).summary()
        af = s["al_fraction"]
        rows.append({"grain_mm": d, "liberated_cast": float(sh.liberated(d, sh.d_lib("cast"))),
                     "liberated_wrought": float(sh.liberated(d, sh.d_lib("wrought"))),
                     "al_share": af["al_share"]["mean"],
                     "wrought_share": af["wrought_share"]["mean"],
                     "al_recovery": af["al_recovery"]["mean"],
                     "fe_recovery": s["fe_recovery"],
                     "throughput_t_per_h": s["throughput_t_per_h"]})
    best_share = max(rows, key=lambda r: r["al_share"])["grain_mm"]
    best_wrought = max(rows, key=lambda r: r["wrought_share"])["grain_mm"]
    rec = [r["al_recovery"] for r in rows if 45 <= r["grain_mm"] <= 90]
    return {"hypothesis": "III/IV: grain size controls liberation, Al share and throughput",
            "rows": rows, "best_al_share_mm": best_share, "best_wrought_share_mm": best_wrought,
            "al_recovery_range_45_90mm": [min(rec), max(rec)],
            "supported": best_share == 65 and rows[-1]["throughput_t_per_h"] >
            rows[0]["throughput_t_per_h"] and rows[-1]["fe_recovery"] > rows[0]["fe_recovery"]
            and max(rec) - min(rec) < 0.03}


def sorter_accuracy(lib: Library, buyer: str = "adc12_feed") -> dict[str, Any]:
    """V: probability that the sorted cast product meets ``buyer`` vs sorter accuracy."""
    plan = FeedPlan(vehicles=[{"vehicle": v, "count": 10} for v in
                              ("makerA_kei_2008_icev", "makerA_compact_2012_hev",
                               "makerB_sedan_2015_icev", "makerC_kei_2014_icev")],
                    remove=[*BASE_REMOVE, "mg_beam"])
    pred = predict(plan, lib, n=N)
    rows = []
    for acc in (0.6, 0.7, 0.8, 0.9, 0.95, 0.99):
        s = Sorter.accuracy(wrought=acc, cast=acc, copper=acc, other=acc, name=f"{acc:.2f}")
        out = sort(pred, s, seed=1)
        comp = out.composition("cast")
        g = grade_samples(comp, TRACKED, lib.buyers[buyer])
        rows.append({"accuracy": acc, "probability_met": g["probability_met"],
                     "expected_price_JPY_per_kg": g["expected_price_JPY_per_kg"],
                     "Mg_mean": _mean(comp[:, TRACKED.index("Mg")]),
                     "Fe_mean": _mean(comp[:, TRACKED.index("Fe")]),
                     "cast_product_kg": _mean(out.mass[:, 1])})
    return {"hypothesis": f"V: sorter accuracy decides the grade (buyer {buyer})",
            "rows": rows, "supported": rows[-1]["probability_met"] > rows[0]["probability_met"]}


def hypotheses_page(res: dict[str, Any],
                    source: str | os.PathLike[str] | None = None) -> Page:
    """The experiments' page: which hypotheses the model supports, and a chart of each."""
    figs: list[go.Figure] = []
    r = res["I"]["rows"]
    figs.append(go.Figure([go.Scatter(x=[x["wrought_maker_share"] for x in r],
                                      y=[x["Si_mean"] for x in r],
                                      error_y={"type": "data", "symmetric": False,
                                               "array": [x["Si_p95"] - x["Si_mean"]
                                                         for x in r],
                                               "arrayminus": [x["Si_mean"] - x["Si_p5"]
                                                              for x in r]},
                                      mode="lines+markers", name="Si")]).update_layout(
        title=f"I — Si of the Al fraction vs {res['I']['wrought_maker']['label']}'s share of "
              "the feed (5–95 %)",
        xaxis_title=f"share of {res['I']['wrought_maker']['label']} cars (the rest "
                    f"{res['I']['cast_maker']['label']})", yaxis_title="Si (wt %)"))
    r = res["II"]["rows"]
    figs.append(go.Figure([go.Scatter(x=[x["mg_parts_removed"] for x in r], y=[x[k] for x in r],
                                      mode="lines+markers", name=k)
                           for k in ("Mg_mean", "Mg_p95")]).update_layout(
        title="II — Mg of the Al fraction vs share of Maker C's Mg parts removed",
        xaxis_title="share removed", yaxis_title="Mg (wt %)"))
    r = res["III_IV"]["rows"]
    figs.append(go.Figure([go.Scatter(x=[x["grain_mm"] for x in r], y=[x[k] for x in r],
                                      mode="lines+markers", name=k)
                           for k in ("liberated_cast", "liberated_wrought", "al_share",
                                     "wrought_share", "al_recovery", "fe_recovery")]).update_layout(
        title="III/IV — liberation, Al share, wrought share and recoveries vs grain size",
        xaxis_title="grain size (mm)", yaxis_title="share"))
    figs.append(go.Figure(go.Scatter(x=[x["grain_mm"] for x in r],
                                     y=[x["throughput_t_per_h"] for x in r],
                                     mode="lines+markers")).update_layout(
        title="IV — throughput vs grain size", xaxis_title="grain size (mm)",
        yaxis_title="t/h"))
    r = res["V"]["rows"]
    figs.append(go.Figure(go.Scatter(x=[x["accuracy"] for x in r],
                                     y=[x["probability_met"] for x in r],
                                     mode="lines+markers")).update_layout(
        title="V — probability the sorted cast product meets the ADC12 feed spec",
        xaxis_title="sorter accuracy (all classes)", yaxis_title="P(spec met)"))
    page = Page("ELV aluminium: hypotheses I–V on the model", source=source)
    page.bullets(f"{v['hypothesis']}: {'supported' if v['supported'] else 'NOT supported'}"
                 for v in res.values())
    for f in figs:
        page.figure(f)
    return page


def run_all(out: Path, lib: Library | None = None) -> dict[str, Any]:
    lib = lib or load_alloy_library()
    res = {"I": make_mix_si(lib), "II": part_removal_mg(lib), "III_IV": grain_size(lib),
           "V": sorter_accuracy(lib)}
    out.mkdir(parents=True, exist_ok=True)
    hypotheses_page(res).write(out / "hypotheses.html")
    (out / "hypotheses.json").write_text(json.dumps(res, indent=2, default=float))
    return res
