"""Each improvement measure as a small lifecycle model (:mod:`junkan.lifecycle`), run by the
lifecycle engine: the effect of a proposal is the engine's difference between the measure's
scenario and the baseline.

The model of one measure on one material stream of one municipality (``kind`` of document:
a :mod:`junkan.lifecycle` model, loadable with ``junkan compare``):

* **the waste** is a product whose pieces are tonnes: ``sales`` = the stream's potential
  (t/yr, the gap to the peers' best-quartile recovery — the tonnage now disposed that the
  measure acts on), a BOM of 1 t of the stream's material, discarded within the year (a
  fixed 0.1-year life: it enters mid-year and retires in the same year). Its material has no
  supply factors: both routes start from the same waste, so its making is outside the
  comparison;
* **baseline**: nothing is collected separately; all of it goes down the stream's disposal
  route (``uncollected``), split by the municipality's **own** residue ratio from the survey
  into the landfilled share (kind ``landfill``) and the rest (kind ``incineration``: burnt, or
  for the non-combustible route treated other than by landfill); both sinks cost the variable
  part of the average disposal cost;
* **the measure** (scenario named after it): ``collection.rate`` = its capture; collected
  tonnes cost the measure's cost per tonne (process ``separate_collection``) and go to
  ``recovery`` — a recycling sink (``route: recycling``, all of the material recovered) or
  product reuse (``route: reuse``) — which carries the stream's (or the measure's) net CO2e
  per tonne recovered instead of disposed, as a credit, and the sale price of the recovered
  material as revenue.

Every factor is copied from ``data/policy`` (or the user's catalogue) with its status in the
process's ``source``; the residue ratio from the survey row. The headline figures of the
model are the effects: ``junkan compare`` on the written model prints the very numbers the
diagnosis reports. Transport is not a separate leg: the measures' cost per tonne includes
collection, and :mod:`junkan.network` plans at prefecture level (no municipal distance).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from junkan.core.documents import dump_yaml
from junkan.policy.schema import Diagnosis, Measure
from junkan.policy.survey import Municipality

ENGINE = "junkan.lifecycle"
"""What computes the effects (named in the result and the report)."""
MEASURES_DEFAULT = "data/policy/measures.yaml"
FACTORS = "data/policy/factors.yaml"
EFFECTS = {
    "diverted_t": {
        "metric": "activity",
        "processes": ["separate_collection"],
        "compare": "change",
        "description": "tonnes collected separately and recovered (t/yr; a piece is 1 t)",
    },
    "co2e_reduction_t": {
        "metric": "co2e",
        "compare": "reduction",
        "unit": "t",
        "description": "CO2e reduction against the baseline (t/yr)",
    },
    "landfill_avoided_t": {
        "metric": "final_disposal",
        "compare": "reduction",
        "unit": "t",
        "description": "landfill avoided against the baseline (t/yr)",
    },
    "net_cost_JPY": {
        "metric": "margin",
        "compare": "reduction",
        "description": "net cost of the measure (JPY/yr): extra cost less extra revenue",
    },
}
"""The headline figures of every measure model; the diagnosis reads its effects from them."""
TOTALS = ("co2e_t", "cost_JPY", "revenue_JPY", "final_disposal_t")
"""The engine's totals kept in each proposal, for the baseline and the measure."""


@dataclass(frozen=True)
class MeasureModel:
    """A measure's lifecycle model: its ``name``, the ``document`` (a model document) and
    its YAML ``text`` (what is run and what :meth:`DiagnosisResult.write_models` writes)."""

    name: str
    scenario: str
    document: dict[str, Any]
    text: str


@dataclass(frozen=True)
class Inputs:
    """The factors a measure's model is built from (per tonne), as listed in a proposal."""

    co2e_t_per_t: float
    landfill_per_t: float
    disposal_JPY_per_t: float
    revenue_JPY_per_t: float


def model_name(d: Diagnosis, measure: Measure) -> str:
    return f"diagnosis-{d.request.municipality}-{d.request.fiscal_year}-{measure.id}"


def slug(text: str) -> str:
    """An identifier of letters, digits and ``_`` from an English name."""
    s = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return s or "stream"


def _num(x: float) -> str:
    """A number as written in a factor: the shortest text that reads back as the same float."""
    return repr(float(x))


def residue(me: Municipality, route: str) -> tuple[float, str]:
    """Tonnes landfilled per tonne sent down ``route`` from the municipality's own survey
    row, and where that comes from. Where the route carries nothing (no incinerator: 直接焼却量
    0), the stream's waste is disposed of the other way, so the ratio is the whole disposal's;
    it was 0, and a municipality landfilling everything avoided no landfill by diverting
    paper (review 318). 0 where the row disposes of nothing."""
    t = me.t
    if route == "incineration":
        num, den = t["焼却残渣量"], t["直接焼却量"]
        what = f"焼却残渣量 {num:,.6g} t ÷ 直接焼却量 {den:,.6g} t"
    else:
        num = t["直接最終処分量"] + t["処理残渣量"]
        den = t["直接最終処分量"] + t["焼却以外の中間処理量"]
        what = (
            f"(直接最終処分量 + 処理残渣量) {num:,.6g} t ÷ "
            f"(直接最終処分量 + 焼却以外の中間処理量) {den:,.6g} t"
        )
    basis = f"survey row of {me.name} ({me.code}): {what}"
    if den <= 0:  # the stream's waste goes another way here: the row's disposal as a whole
        num = t["直接最終処分量"] + t["焼却残渣量"] + t["処理残渣量"]
        den = t["直接焼却量"] + t["焼却以外の中間処理量"] + t["直接最終処分量"]
        basis += ("; nothing sent down this route, so the whole disposal's: (直接最終処分量 + "
                  f"焼却残渣量 + 処理残渣量) {num:,.6g} t ÷ (直接焼却量 + 焼却以外の中間処理量 + "
                  f"直接最終処分量) {den:,.6g} t")
        if den <= 0:
            return 0.0, basis
    ratio = num / den
    if ratio > 1.0:
        basis += (f" = {ratio:.3g}, capped at 1 (more residue than waste: check the survey "
                  "row)")
    return min(ratio, 1.0), basis


def inputs(d: Diagnosis, me: Municipality, measure: Measure) -> Inputs:
    f = d.factors
    s = f.streams[measure.stream]
    co2 = measure.co2e_t_per_t if measure.co2e_t_per_t is not None else s.co2e_t_per_t
    avoided = f.avoided_disposal_cost
    return Inputs(
        co2e_t_per_t=co2,
        landfill_per_t=residue(me, s.route)[0],
        disposal_JPY_per_t=avoided.national_average_JPY_per_t * avoided.variable_share,
        revenue_JPY_per_t=s.revenue_JPY_per_t,
    )


def _disposal(d: Diagnosis, me: Municipality, measure: Measure, x: Inputs) -> dict[str, Any]:
    """The disposal sinks of the stream's route, with their shares of the route."""
    s = d.factors.streams[measure.stream]
    a = d.factors.avoided_disposal_cost
    cost = (
        f"{FACTORS} avoided_disposal_cost: national_average_JPY_per_t "
        f"{a.national_average_JPY_per_t:,.6g} ({a.status}) × variable_share "
        f"{a.variable_share:g} ({a.variable_share_status})"
    )
    split = residue(me, s.route)[1]
    if s.route == "incineration" and me.t["直接焼却量"] > 0:
        rest = ("incineration", "焼却（残渣以外） / incinerated, not landfilled as ash")
        fill = ("ash_landfill", "焼却残渣の埋立 / incineration ash landfilled")
    elif s.route == "incineration":  # no incinerator: disposed of another way (residue())
        rest = ("treatment", "中間処理（埋立以外） / treated, not landfilled")
        fill = ("landfill", "埋立（直接・処理残渣） / landfilled directly or as residue")
    else:
        rest = (
            "treatment",
            "不燃・粗大ごみ処理（埋立以外） / non-combustible treatment, not landfilled",
        )
        fill = ("landfill", "埋立（直接・処理残渣） / landfilled directly or as residue")
    out: dict[str, Any] = {}
    for (name, title), kind, share in (
        (rest, "incineration", 1.0 - x.landfill_per_t),
        (fill, "landfill", x.landfill_per_t),
    ):
        if share > 0:
            out[name] = {
                "share": share,
                "process": {
                    "actor": "municipality",
                    "stage": "disposal",
                    "kind": kind,
                    "title": title,
                    "cost": f"{_num(x.disposal_JPY_per_t)} JPY/t",
                    "source": f"cost: {cost}; share of the route: {split}",
                },
            }
    return out


def _recovery(d: Diagnosis, measure: Measure, x: Inputs, material: str) -> dict[str, Any]:
    s = d.factors.streams[measure.stream]
    catalogue = d.request.measures or MEASURES_DEFAULT
    if measure.co2e_t_per_t is not None:
        co2 = f"{catalogue} {measure.id}.co2e_t_per_t ({d.catalogue.status})"
    else:
        co2 = f"{FACTORS} streams.{measure.stream}.co2e_t_per_t ({s.status})"
    source = (
        f"co2e: net CO2e per t recovered instead of disposed, as a credit: {co2}; revenue: "
        f"{FACTORS} streams.{measure.stream}.revenue_JPY_per_t ({s.status})"
    )
    p: dict[str, Any] = {
        "actor": "municipality",
        "stage": "reuse" if measure.route == "reuse" else "recycling",
        "title": f"{measure.ja} / {measure.en}",
        "co2e": f"{_num(-x.co2e_t_per_t)} tCO2e/t",
        "revenue": f"{_num(x.revenue_JPY_per_t)} JPY/t",
        "source": source,
    }
    if measure.route == "recycling":
        p.update(kind="recycling", yields={material: 1}, closed_loop=False)
    return p


def build(d: Diagnosis, me: Municipality, measure: Measure, tonnes: float) -> MeasureModel:
    """The lifecycle model of ``measure`` acting on ``tonnes`` per year of its stream."""
    x = inputs(d, me, measure)
    s = d.factors.streams[measure.stream]
    material = slug(s.en)
    product = f"{material}_waste"
    name = model_name(d, measure)
    catalogue = d.request.measures or MEASURES_DEFAULT
    sinks = _disposal(d, me, measure, x)
    disposal = {k: v["share"] for k, v in sinks.items()}
    eol: dict[str, Any] = {
        "collection": {"rate": 0.0, "processes": ["separate_collection"]},
        "dismantling": {"residual": {"recovery": 1.0}},
        "uncollected": disposal,
    }
    if measure.route == "reuse":
        eol["reuse"] = {"share": 1.0, "pass_rate": 1.0, "processes": ["recovery"]}
        eol["dismantling"] = {"residual": dict(disposal)}
    processes: dict[str, Any] = {
        "separate_collection": {
            "actor": "municipality",
            "stage": "collection",
            "title": f"{measure.ja}（分別収集・処理） / {measure.en} (collection and treatment)",
            "cost": f"{_num(measure.cost_JPY_per_t)} JPY/t",
            "source": f"{catalogue} {measure.id}.cost_JPY_per_t ({d.catalogue.status}, "
            f"{d.catalogue.date}); transport is part of this cost, not a separate leg",
        },
        "recovery": _recovery(d, measure, x, material),
    }
    processes.update({k: v["process"] for k, v in sinks.items()})
    doc: dict[str, Any] = {
        "junkan": 1,
        "name": name,
        "title": f"{me.name} {d.request.fiscal_year}年度 {measure.ja} / {measure.en}",
        "description": _description(d, me, measure, tonnes),
        "currency": "JPY",
        "years": {"start": d.request.fiscal_year, "end": d.request.fiscal_year},
        "actors": {"municipality": {"role": "waste_handler", "title": me.name}},
        "materials": {
            material: {
                "title": f"{measure.stream} / {s.en}",
                "virgin": {
                    "source": "model device: the waste enters as generated; its making is "
                    "the same on both routes and outside the comparison (no factors)"
                },
            }
        },
        "products": {
            product: {
                "title": f"{measure.stream}（ポテンシャル分） / {s.en} (potential)",
                "sales": float(tonnes),
                "lifetime": {"distribution": "fixed", "mean": "0.1 year"},
                "bom": [{"material": material, "mass": "1 t"}],
                "eol": eol,
            }
        },
        "processes": processes,
        "headline": copy.deepcopy(EFFECTS),
        "scenarios": {
            measure.id: {
                "description": f"{measure.ja}: capture {measure.capture:g} ({catalogue})",
                "set": {f"products.{product}.eol.collection.rate": measure.capture},
            }
        },
        "sources": {
            "survey": d.survey.source,
            "factors": f"{FACTORS} ({d.factors.date})",
            "measures": f"{catalogue} ({d.catalogue.status}, {d.catalogue.date})",
        },
    }
    text = dump_yaml(doc, width=100)
    return MeasureModel(name, measure.id, doc, text)


def _description(d: Diagnosis, me: Municipality, measure: Measure, tonnes: float) -> str:
    return (
        f"Written by the municipal CE diagnosis of {d.source}. One piece is one tonne: sales "
        f"= the potential of {measure.stream}, {tonnes:,.6g} t/yr (the peers' best-quartile "
        f"recovery less {me.name}'s own, × population). Baseline: all of it goes down the "
        f"disposal route; scenario {measure.id}: a share {measure.capture:g} is collected "
        "separately and recovered. The headline figures are the effects the diagnosis "
        "reports; edit the factors or add a transport leg (mode, distance) to "
        "separate_collection and run `junkan compare` on this file."
    )


def run(mm: MeasureModel) -> dict[str, Any]:
    """Run the model's baseline and measure with the lifecycle engine: the effects (the
    measure scenario's headline figures) and both runs' totals."""
    from junkan import lifecycle

    model = lifecycle.load(text=mm.text, source=f"{mm.name}.yaml")
    comparison = lifecycle.compare(model)
    by = {s["name"]: s for s in comparison.scenarios}
    base, scen = by[model.baseline.baseline_name], by[mm.scenario]
    head = scen["headline"]
    return {
        "diverted_t": float(head["diverted_t"]),
        "co2e_reduction_t": float(head["co2e_reduction_t"]),
        "landfill_avoided_t": float(head["landfill_avoided_t"]),
        "net_cost_kJPY": float(head["net_cost_JPY"]) / 1000,
        "engine": {
            "by": ENGINE,
            "model": mm.name,
            "scenario": mm.scenario,
            "baseline": {k: float(base["totals"][k]) for k in TOTALS},
            "measure": {k: float(scen["totals"][k]) for k in TOTALS},
        },
    }
