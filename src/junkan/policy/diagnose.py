"""Municipal CE diagnosis: per-capita figures from the survey, ranks among peers of similar
size, the potential by material stream (recovery at the peers' best-quartile per-capita
rate) and the effects of the catalogue's measures on that potential.

Definitions (MOE survey, see ``docs/policy.md``):

* 1人1日当たり排出量 (g/person/day) = ごみ総排出量 × 10⁶ ÷ 総人口 ÷ days of the fiscal year
  (366 when it contains 29 February);
* リサイクル率 R = (直接資源化量 + 中間処理後再生利用量 + 集団回収量)
  ÷ (ごみの総処理量 + 集団回収量);
* 最終処分量 per person (kg/yr) = (直接最終処分量 + 焼却残渣量 + 処理残渣量) × 1000 ÷ 総人口;
* rank = 1 + the number of peers strictly better (ties share a rank), the municipality itself
  being one of its peers;
* potential of a stream = max(0, q − own) × 総人口 ÷ 1000 t/yr, where q is the peers'
  ``quantile`` (default 0.75, linear interpolation) of the recovered kg/person/yr; the
  streams' potentials together are at most what the municipality disposes of without
  recovery (scaled down in proportion otherwise, with a note);
* a measure's effects are computed by the lifecycle engine on a model of the measure
  (:mod:`junkan.policy.measure_model`): the potential of its stream goes down the disposal
  route in the baseline and, for the captured share, to separate collection and recovery in
  the measure's scenario; the effects are the scenario's headline figures against the
  baseline (diverted t, CO2e, landfill, net cost). For a hand check they equal diverted ×
  the factors listed with each proposal: CO2e = diverted × factor; landfill avoided =
  diverted × the municipality's own residue ratio of the stream's disposal route; cost =
  diverted × (measure cost − variable share × average disposal cost − revenue).
"""

from __future__ import annotations

import bisect
import calendar
from dataclasses import dataclass, replace

import numpy as np

from junkan.policy import measure_model
from junkan.policy.industry import Industry
from junkan.policy.measure_model import MeasureModel
from junkan.policy.schema import Diagnosis
from junkan.policy.survey import Municipality

RANKED = (
    ("generation_g_per_person_day", "lower"),
    ("household_g_per_person_day", "lower"),
    ("recycling_rate", "higher"),
    ("final_disposal_kg_per_person_year", "lower"),
    ("cost_JPY_per_person_year", "lower"),
)
"""Metrics ranked among peers, with the direction that is better."""
INDUSTRY_RANKED = (("business_g_per_employed_day", "lower"),)
"""Ranked too when the diagnosis has an industry table (peers without a row are left out)."""


def fiscal_days(year: int) -> int:
    """Days of Japanese fiscal year ``year`` (1 April ``year`` to 31 March ``year + 1``)."""
    return 366 if calendar.isleap(year + 1) else 365


def metrics(m: Municipality, days: int) -> dict[str, float | None]:
    """The per-capita figures of one municipality."""
    pop = m.population
    out: dict[str, float | None] = {
        "population": float(pop),
        "generation_t": m.generation_t,
        "generation_g_per_person_day": m.generation_t * 1e6 / pop / days,
        "household_g_per_person_day": m.t["生活系ごみ"] * 1e6 / pop / days,
        "recycling_rate": _ratio(m.recovered_t, m.treated_t + m.t["集団回収量"]),
        "final_disposal_t": m.final_disposal_t,
        "final_disposal_kg_per_person_year": m.final_disposal_t * 1000 / pop,
        "cost_JPY_per_person_year": None if m.cost_kjpy is None else m.cost_kjpy * 1000 / pop,
    }
    return out


def industry_metrics(m: Municipality, ind: Industry | None, days: int) -> dict[str, float | None]:
    """Business waste per person employed per day (g) and the tertiary share of employment,
    None where the industry table has no row (or no sectors) for ``m``."""
    if ind is None:
        return {"employed": None, "business_g_per_employed_day": None, "tertiary_share": None}
    return {"employed": float(ind.employed),
            "business_g_per_employed_day": m.t["事業系ごみ"] * 1e6 / ind.employed / days,
            "tertiary_share": ind.tertiary_share}


def _ratio(a: float, b: float) -> float | None:
    return a / b if b > 0 else None


def peer_group(d: Diagnosis) -> list[Municipality]:
    """The municipality's peers (itself included), in survey order."""
    me = d.survey.find(d.request.municipality)
    if d.request.peers.codes is not None:
        codes = set(d.request.peers.codes) | {me.code}
        return [m for m in d.survey.municipalities if m.code in codes]
    cls = bisect.bisect_right(d.bounds, me.population)
    return [
        m for m in d.survey.municipalities if bisect.bisect_right(d.bounds, m.population) == cls
    ]


def size_class(d: Diagnosis, population: int) -> tuple[int, int | None]:
    """(lower bound, upper bound or None) of the class ``population`` falls in."""
    cls = bisect.bisect_right(d.bounds, population)
    lo = d.bounds[cls - 1] if cls > 0 else 0
    return lo, d.bounds[cls] if cls < len(d.bounds) else None


def rank(values: dict[str, float | None], key: str, better: str) -> int | None:
    """Competition rank of ``key`` among ``values`` (None when its value is missing)."""
    mine = values[key]
    if mine is None:
        return None
    others = [v for v in values.values() if v is not None]
    tol = 1e-12 * max(1.0, abs(mine))
    if better == "lower":
        return 1 + sum(v < mine - tol for v in others)
    return 1 + sum(v > mine + tol for v in others)


@dataclass(frozen=True)
class StreamPotential:
    stream: str
    own_kg_per_person_year: float
    best_quartile_kg_per_person_year: float
    potential_t: float


def potentials(
    me: Municipality, peers: list[Municipality], streams: tuple[str, ...], q: float
) -> list[StreamPotential]:
    out = []
    for s in streams:
        rates = np.array([p.streams[s] * 1000 / p.population for p in peers])
        best = float(np.quantile(rates, q))
        own = me.streams[s] * 1000 / me.population
        out.append(StreamPotential(s, own, best, max(0.0, best - own) * me.population / 1000))
    return out


def disposed_t(me: Municipality) -> float:
    """What the municipality disposes of without recovery: ごみの総処理量 − 直接資源化量 −
    中間処理後再生利用量 (R's denominator less its numerator) — all a measure can divert."""
    return max(0.0, me.treated_t - me.t["直接資源化量"] - me.t["中間処理後再生利用量"])


def capped(me: Municipality, pot: list[StreamPotential]) -> tuple[list[StreamPotential], bool]:
    """``pot`` scaled down in proportion when the streams' potentials add up to more than
    :func:`disposed_t` (peers' rates above what a small-waste municipality throws away would
    divert tonnes it does not have, and push the potential R past 100 %); True if scaled."""
    total, room = sum(p.potential_t for p in pot), disposed_t(me)
    if total <= room:
        return pot, False
    k = room / total
    return [replace(p, potential_t=p.potential_t * k) for p in pot], True


def effects(
    d: Diagnosis, me: Municipality, pot: list[StreamPotential]
) -> tuple[list[dict[str, object]], dict[str, MeasureModel]]:
    """The effect of every measure of the catalogue on the municipality, each computed by
    the lifecycle engine from the measure's model (:mod:`junkan.policy.measure_model`),
    largest CO2e reduction first; measures whose stream has no potential come last with
    zero effects. Returns the rows and the models by name."""
    by_stream = {p.stream: p for p in pot}
    denominator = me.treated_t + me.t["集団回収量"]
    rows: list[dict[str, object]] = []
    models: dict[str, MeasureModel] = {}
    for m in d.catalogue.measures:
        s = d.factors.streams[m.stream]
        potential = by_stream[m.stream].potential_t if m.stream in by_stream else 0.0
        x = measure_model.inputs(d, me, m)
        model = measure_model.build(d, me, m, potential)
        models[model.name] = model
        run = measure_model.run(model)
        diverted = run["diverted_t"]
        rows.append(
            {
                "id": m.id,
                "ja": m.ja,
                "en": m.en,
                "stream": m.stream,
                "stream_en": s.en,
                "route": m.route,
                "capture": m.capture,
                "potential_t": potential,
                "diverted_t": diverted,
                "co2e_factor_t_per_t": x.co2e_t_per_t,
                "co2e_reduction_t": run["co2e_reduction_t"],
                "landfill_per_t": x.landfill_per_t,
                "landfill_per_t_basis": measure_model.residue(me, s.route)[1],
                "landfill_avoided_t": run["landfill_avoided_t"],
                "net_cost_JPY_per_t": m.cost_JPY_per_t - x.disposal_JPY_per_t - x.revenue_JPY_per_t,
                "net_cost_kJPY": run["net_cost_kJPY"],
                "recycling_rate_gain": diverted / denominator if denominator > 0 else 0.0,
                "proposed": diverted > 0,
                "computed_by": measure_model.ENGINE,
                "model": model.name,
                "engine": run["engine"],
            }
        )
    rows.sort(key=lambda r: (not r["proposed"], -float(r["co2e_reduction_t"])))  # type: ignore[arg-type]
    return rows, models
