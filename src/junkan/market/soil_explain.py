"""Why surplus soil went to disposal (or nowhere) instead of a fill site: the first of these
that holds, per source and period —

- ``no_sink_grade``: no sink accepts the source's grade;
- ``too_far``: sinks accept it, but every one is beyond the longest haul allowed;
- ``no_demand``: the accepting sinks within reach take nothing in that period or later
  (later only through a stockyard that keeps the grade);
- ``demand_taken``: they would, but their demand is used up by other sources;
- ``stockyard_full``: their open demand is later, and the stockyards keeping the grade are
  full in that period;
- ``cheaper_to_dispose``: a match was possible, and disposal cost less per m³ than the
  cheapest whole route to a sink (direct, or through a stockyard with its storage).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from junkan.market.arcs import great_circle_km

if TYPE_CHECKING:
    from junkan.market.soil_result import SoilResult


def _received(res: SoilResult) -> np.ndarray:
    """m³ each sink receives per period (sinks × periods)."""
    m = res.market
    got = np.zeros((len(m.sinks), len(m.periods)))
    for v in np.flatnonzero(res.x):
        a = res.arcs[v]
        if a.kind in ("direct", "from_stockyard"):
            got[a.dest, a.period] += res.x[v]
    return got


def _cheapest(res: SoilResult, i: int, t: int, kinds: tuple[str, ...]) -> float | None:
    costs = [
        res.costs[v]
        for v, a in enumerate(res.arcs)
        if a.kind in kinds and a.origin == i and a.period == t
    ]
    return float(min(costs)) if costs else None


def _best_match(res: SoilResult, i: int, t: int) -> float | None:
    """JPY/m³ of the cheapest whole route from source ``i`` in period ``t`` to a sink:
    direct, or into a stockyard, held there, and out to a sink in a later period."""
    best = _cheapest(res, i, t, ("direct",))
    yards = res.market.stockyards
    for v, a in enumerate(res.arcs):
        if a.kind != "to_stockyard" or a.origin != i or a.period != t:
            continue
        for w, b in enumerate(res.arcs):
            if (
                b.kind == "from_stockyard"
                and b.origin == a.dest
                and b.grade == a.grade
                and b.period > t
            ):
                c = res.costs[v] + res.costs[w] + yards[a.dest].storage_cost * (b.period - t)
                best = c if best is None else min(best, float(c))
    return best


def _yards_full(res: SoilResult, g: str, t: int) -> bool:
    """Every stockyard keeping grade ``g`` is at capacity in period ``t``."""
    m = res.market
    load = np.zeros(len(m.stockyards))
    for v in np.flatnonzero(res.x):
        a = res.arcs[v]
        if (a.kind == "to_stockyard" and a.period == t) or (
            a.kind == "stock" and a.period == t - 1
        ):
            load[a.dest] += res.x[v]
    keep = [j for j, y in enumerate(m.stockyards) if y.accepts is None or g in y.accepts]
    return bool(keep) and all(load[j] >= m.stockyards[j].capacity - 1e-6 for j in keep)


def _relayed(res: SoilResult, i: int, g: str, accepting: list[int]) -> list[int]:
    """Sinks source ``i`` reaches through a stockyard keeping ``g`` (each leg within the
    longest haul)."""
    m = res.market
    if m.haul.max_km is None or not m.stockyards:
        return []
    yards = [y for y in m.stockyards if y.accepts is None or g in y.accepts]
    if not yards:
        return []
    f = m.haul.detour_factor
    first = great_circle_km([m.sources[i].location], [y.location for y in yards])[0] * f
    second = (
        great_circle_km([y.location for y in yards], [m.sinks[k].location for k in accepting]) * f
    )
    ok = (first[:, None] <= m.haul.max_km) & (second <= m.haul.max_km)
    return [accepting[k] for k in range(len(accepting)) if ok[:, k].any()]


def _reason(res: SoilResult, i: int, t: int, got: np.ndarray) -> tuple[str, str]:
    m = res.market
    g = res.grades[i]
    label = m.periods[t]
    accepting = [k for k, s in enumerate(m.sinks) if g in s.accepts]
    if not accepting:
        return "no_sink_grade", f"no sink accepts grade {g}"
    km = great_circle_km([m.sources[i].location], [m.sinks[k].location for k in accepting])[0]
    km = km * m.haul.detour_factor
    near = sorted(
        set(_relayed(res, i, g, accepting))
        | {
            k
            for k, d in zip(accepting, km, strict=True)
            if m.haul.max_km is None or d <= m.haul.max_km
        }
    )
    if not near:
        return "too_far", (
            f"the nearest sink accepting {g} is {float(km.min()):,.1f} km away "
            f"(longest haul allowed {m.haul.max_km:g} km, stockyards included)"
        )
    stored = any(y.accepts is None or g in y.accepts for y in m.stockyards)
    later = range(t, len(m.periods)) if stored else range(t, t + 1)
    open_demand = [(k, u) for k in near for u in later if m.sinks[k].demand[u] > 0]
    if not open_demand:
        return "no_demand", (
            f"the sinks within reach accepting {g} take nothing in {label}"
            + (" or later" if stored else "")
        )
    if all(got[k, u] >= m.sinks[k].demand[u] - 1e-6 for k, u in open_demand):
        return "demand_taken", (
            f"the sinks within reach accepting {g} are full in {label}"
            + (" and later" if stored else "")
            + " (taken by other sources)"
        )
    now = [k for k in near if m.sinks[k].demand[t] > got[k, t] + 1e-6]
    if not now and stored and _yards_full(res, g, t):
        return "stockyard_full", (
            f"the sinks within reach accepting {g} take it only later, "
            f"and the stockyards keeping it are full in {label}"
        )
    dispose = _cheapest(res, i, t, ("dispose",))
    match = _best_match(res, i, t)
    if dispose is not None and match is not None:
        return "cheaper_to_dispose", (
            f"disposal costs {dispose:,.0f} JPY/m³, the cheapest "
            f"route to a sink {match:,.0f} JPY/m³ (haul, stockyard "
            "and storage, less the sink's saving)"
        )
    return "cheaper_to_dispose", "disposal costs less than any route to a sink"


def explain(res: SoilResult) -> list[dict[str, Any]]:
    """One row per source and period with volume disposed or unplaced."""
    m = res.market
    lost: dict[tuple[int, int], list[float]] = {}
    for v in np.flatnonzero(res.x):
        a = res.arcs[v]
        if a.kind in ("dispose", "unplaced"):
            row = lost.setdefault((a.origin, a.period), [0.0, 0.0])
            row[a.kind == "unplaced"] += float(res.x[v])
    got = _received(res)
    out = []
    for (i, t), (disposed, unplaced) in sorted(lost.items()):
        code, message = _reason(res, i, t, got)
        if unplaced:
            message += (
                "; no disposal site within reach or capacity for "
                f"{unplaced:,.1f} m³ (left unplaced)"
            )
        out.append(
            {
                "source": m.sources[i].id,
                "grade": res.grades[i],
                "period": m.periods[t],
                "m3": round(disposed + unplaced, 6),
                "disposed_m3": round(disposed, 6),
                "unplaced_m3": round(unplaced, 6),
                "code": code,
                "message": message,
            }
        )
    return out
