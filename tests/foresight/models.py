"""Small causal models with a known answer, built in code so tests can move the switch years.

* :func:`switch_model`: one policy lever per given year, each acting on its own chain
  policy → adoption → market → KPI (lag 1 each, link weights ±50 %), sampled on/off in
  half of the scenarios; a ``weather`` driver and sampled starting values add variation that
  never splits. The true branch of lever i is its start year, its driver the lever.
* :func:`calm_model`: drivers with uncertain trends pushing two KPIs: one continuum of
  futures, no split.
"""

from __future__ import annotations

from typing import Any

FAMILIES = ["resource_circulation", "economy"]


def switch_model(years: list[int], effect: float = 0.05) -> dict[str, Any]:
    factors: list[dict[str, Any]] = [
        {"id": "weather", "role": "driver", "trend": [-0.0005, 0.0005], "shock": 0.001}]
    links: list[dict[str, Any]] = []
    levers = []
    for i, year in enumerate(years):
        s = f"_{i}" if len(years) > 1 else ""
        factors += [{"id": f"policy{s}", "role": "state"},
                    {"id": f"adoption{s}", "role": "state"},
                    {"id": f"market{s}", "role": "state", "x0": [0.4, 0.6]},
                    {"id": f"kpi_main{s}", "role": "kpi", "family": FAMILIES[i % 2],
                     "x0": [0.3, 0.5]}]
        links += [{"src": f"policy{s}", "dst": f"adoption{s}", "sign": "+", "strength": 3,
                   "uncertainty": 0.5},
                  {"src": f"adoption{s}", "dst": f"market{s}", "sign": "+", "strength": 2,
                   "uncertainty": 0.5},
                  {"src": f"market{s}", "dst": f"kpi_main{s}", "sign": "+", "strength": 3,
                   "uncertainty": 0.5}]
        levers.append({"id": f"switch{s}", "factor": f"policy{s}", "effect": effect,
                       "start": year})
    factors.append({"id": "kpi_other", "role": "kpi", "family": "society", "x0": [0.3, 0.7]})
    links.append({"src": "weather", "dst": "kpi_other", "sign": "+", "strength": 1})
    return {"name": "switch", "years": {"start": 2024, "end": 2050}, "gain": 0.5,
            "factors": factors, "links": links, "levers": levers}


def calm_model() -> dict[str, Any]:
    return {"name": "calm", "years": {"start": 2024, "end": 2050}, "gain": 0.2,
            "factors": [
                {"id": "demand", "role": "driver", "trend": [-0.004, 0.004], "shock": 0.002},
                {"id": "prices", "role": "driver", "trend": [-0.004, 0.004], "shock": 0.002},
                {"id": "kpi_reuse", "role": "kpi", "family": "resource_circulation",
                 "x0": [0.3, 0.5]},
                {"id": "kpi_cost", "role": "kpi", "family": "economy", "x0": [0.4, 0.7]}],
            "links": [
                {"src": "demand", "dst": "kpi_reuse", "sign": "+", "strength": 2,
                 "uncertainty": 0.3},
                {"src": "prices", "dst": "kpi_reuse", "sign": "-", "strength": 1},
                {"src": "prices", "dst": "kpi_cost", "sign": "+", "strength": 1}]}


def lag_model(lags: list[int], start: int = 2030) -> dict[str, Any]:
    """A lever switched on for every scenario in ``start`` on ``src``, which drives one
    target per lag; nothing else moves."""
    factors: list[dict[str, Any]] = [{"id": "src", "role": "state"}]
    links = []
    for lag in lags:
        factors.append({"id": f"kpi_lag{lag}", "role": "kpi", "family": "economy"})
        links.append({"src": "src", "dst": f"kpi_lag{lag}", "sign": "+", "strength": 1,
                      "lag": lag})
    return {"name": "lags", "years": {"start": 2024, "end": 2040}, "factors": factors,
            "links": links, "levers": [{"id": "on", "factor": "src", "effect": 0.05,
                                        "start": start, "mode": "on"}]}
