"""The figures of one simulated run that objectives, constraints and the per-actor table are
made of — named sums over the run's public tables — and the linear forms of the metrics.

Every metric is a sum of such figures (linear) or a ratio of two sums (recycled share, RAP);
that is what makes a selection of loop options a (fractional) mixed-integer linear program
once the figures are additive in the choices."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from junkan.core.errors import ModelError, Problem, short
from junkan.lifecycle import Result
from junkan.lifecycle.optimise.spec import Term

Linear = dict[str, float]
"""A linear form over figures: figure name → coefficient."""

ACTOR_KEYS = ("co2e", "cost", "revenue", "margin")


BASIS_ROW = {"piece": 0, "kg": 1}
"""The row of a run's activity array (T, 2, N) that holds each basis."""


def measure(
    result: Result, years: tuple[int, int] | None, activity: Iterable[tuple[str, str]], rap: bool
) -> dict[str, float]:
    """Figures of one run: network and per-actor CO2e (t), cost, revenue, margin; virgin and
    recycled input (t) in all and per material; activity of the named (process, basis) per
    year; RAP numerator and denominator per actor (whole horizon, ``junkan.indicators``).
    The sums of the run's actors and materials tables, read from its arrays (an optimisation
    measures hundreds of runs: building the tables took ~40 % of each one's time)."""
    raw, compiled = result.raw, result.raw.compiled
    y = result.years
    sel = slice(None) if years is None else (y >= years[0]) & (y <= years[1])
    # (N, 4): CO2e kg, energy MJ, cost, revenue; NaN counted as 0, as the tables' sums did
    imp = np.nansum(result.impacts()[sel], axis=0)
    out: dict[str, float] = {}
    names = compiled.processes.actor
    actors = sorted(set(names))
    for actor in actors:
        rows = [i for i, a in enumerate(names) if a == actor]
        co2e, cost, revenue = (float(imp[rows, k].sum()) for k in (0, 2, 3))
        for key, v in zip(ACTOR_KEYS, (co2e / 1000, cost, revenue, revenue - cost), strict=True):
            out[f"{key}@{actor}"] = v
    for key in ACTOR_KEYS:
        out[key] = sum(out[f"{key}@{a}"] for a in actors)
    virgin, recycled = np.nansum(raw.virgin[sel], axis=0), np.nansum(raw.recycled[sel], axis=0)
    order = sorted(range(len(compiled.materials)), key=lambda m: compiled.materials[m])
    for m in order:
        out[f"virgin_input@{compiled.materials[m]}"] = float(virgin[m]) / 1000
        out[f"recycled_input@{compiled.materials[m]}"] = float(recycled[m]) / 1000
    out["virgin_input"] = float(virgin.sum()) / 1000
    out["recycled_input"] = float(recycled.sum()) / 1000
    index = {n: i for i, n in enumerate(compiled.processes.names)}
    for proc, basis in set(activity):
        if proc not in index:
            continue  # a process the run does not have: no figure, as its table had no row
        for year, v in zip(y[sel], raw.activity[sel, BASIS_ROW[basis], index[proc]],
                           strict=True):
            out[f"activity@{proc}@{basis}@{int(year)}"] = float(v)
    if rap:
        out.update(_rap(result))
    return out


def _rap(result: Result) -> dict[str, float]:
    """RAP's numerator (value added: revenue − purchases) and denominator (circulation cost)
    per actor, from ``junkan.indicators``' per-actor reading of the run (whole horizon), and
    for the network their sums over the actors (value added is additive over companies):
    RAP's formula applied to all the actors together, the ratio of the sums."""
    from junkan.indicators import scenario_indicators

    totals = result.totals()
    doc = scenario_indicators(result, totals, totals)["indicators_by_actor"]
    out = {"rap_num": 0.0, "rap_den": 0.0}
    for actor, items in doc.items():
        for item in items:
            if item["key"] == f"actor.{actor}.rap":
                inputs = item["inputs"]
                num = float(inputs["revenue"]) - float(inputs["purchases"])
                den = float(inputs["circulation_cost"])
                out[f"rap_num@{actor}"], out[f"rap_den@{actor}"] = num, den
                out["rap_num"] += num
                out["rap_den"] += den
    return out


def rap_meaningful(term: Term, figures: dict[str, float]) -> bool:
    """Whether ``term`` means something with ``figures``: it is no RAP, or a RAP whose value
    added is not below 0 (see :func:`refuse_negative_rap`)."""
    if term.metric != "rap":
        return True
    return not figures.get(f"rap_num@{term.actor}" if term.actor else "rap_num", 0.0) < 0


def refuse_negative_rap(term: Term, path: str, figures: dict[str, float], where: str,
                        currency: str, origin: str) -> None:
    """ModelError at ``path`` when ``term`` is a RAP whose value added is negative at the
    point ``where`` names (its model, scenario and choices). RAP = value added ÷ circulation
    cost (docs/indicators.md, "RAP (Hitachi–AIST Circular Economy Lab)") measures the value
    a network adds per yen of circulation cost; with value added below 0 the ratio is
    negative and grows towards 0 as the circulation cost grows, so optimising it would
    reward spending more on circulation — it has no meaning there."""
    if rap_meaningful(term, figures):
        return
    added = figures.get(f"rap_num@{term.actor}" if term.actor else "rap_num", 0.0)
    who = f"actor {short(term.actor)}" if term.actor else "the model's actors together"
    raise ModelError([Problem(path, (
        f"{term.label()}: the value added of {who} (revenue − purchases of material supply "
        f"and parts, whole horizon) is {added:,.6g} {currency}, below 0, at {where}; RAP = "
        "value added ÷ circulation cost (docs/indicators.md, RAP) is a return on circulation "
        "cost only while value added is positive — below 0 a larger circulation cost would "
        "raise it. Use margin or cost instead, or constrain the options to those that add "
        "value"))], origin)


def forms(term: Term, keys: Iterable[str]) -> tuple[list[Linear], Linear | None]:
    """A term as linear forms over the figure names: the numerators (one per year for
    activity, else one) and the denominator of a ratio (``None`` if not a ratio)."""
    m = term.metric
    if m == "activity":
        prefix = f"activity@{term.process}@{term.basis}@"
        return [{k: 1.0} for k in sorted(keys) if k.startswith(prefix)], None
    if m == "recycled_share":
        sfx = f"@{term.material}" if term.material else ""
        rec = f"recycled_input{sfx}"
        return [{rec: 1.0}], {rec: 1.0, f"virgin_input{sfx}": 1.0}
    if m == "rap":
        sfx = f"@{term.actor}" if term.actor else ""
        return [{f"rap_num{sfx}": 1.0}], {f"rap_den{sfx}": 1.0}
    sfx = f"@{term.actor or term.material}" if (term.actor or term.material) else ""
    return [{f"{m}{sfx}": 1.0}], None


def evaluate(form: Linear, figures: dict[str, float]) -> float:
    return float(sum(c * figures.get(k, 0.0) for k, c in form.items()))


def value(term: Term, figures: dict[str, float]) -> float:
    """A term's value in one run (the largest year for activity; NaN for 0/0)."""
    nums, den = forms(term, figures)
    if not nums:
        return 0.0
    num = max(evaluate(f, figures) for f in nums)
    if den is None:
        return num
    d = evaluate(den, figures)
    return num / d if d else float("nan")


def yearly(term: Term, figures: dict[str, float]) -> list[tuple[int | None, float]]:
    """A term's value in one run as (year, value): one per year of the window for activity
    (a per-year figure), else one with year ``None`` (NaN for 0/0)."""
    nums, den = forms(term, figures)
    d = None if den is None else evaluate(den, figures)
    out: list[tuple[int | None, float]] = []
    for f in nums:
        (key,) = f
        year = int(key.rsplit("@", 1)[1]) if term.metric == "activity" else None
        n = evaluate(f, figures)
        out.append((year, n if d is None else n / d if d else float("nan")))
    return out


def vector(form: Linear, names: list[str]) -> np.ndarray:
    idx = {n: i for i, n in enumerate(names)}
    out = np.zeros(len(names))
    for k, c in form.items():
        if k in idx:
            out[idx[k]] += c
    return out
