"""Grade a lot against a buyer's specification and price it: met or not, the margin to each
limit, the limiting element; with Monte Carlo samples, the probability of meeting the spec
and the expected price."""

from __future__ import annotations

from typing import Any

import numpy as np

from junkan.alloys.data import ELEMENTS, Buyer


class GradeError(ValueError):
    """Bad lot composition (names the element)."""


def check_composition(comp: dict[str, float], where: str = "composition") -> None:
    bad = [e for e in comp if e not in ELEMENTS and e != "Al"]
    if bad:
        raise GradeError(f"{where}: unknown element(s) {bad}; use {list(ELEMENTS)}")
    neg = [e for e, v in comp.items() if v < 0]
    if neg:
        raise GradeError(f"{where}: negative wt % for {neg}")
    total = sum(v for e, v in comp.items() if e != "Al")
    if total > 100 + 1e-9:
        raise GradeError(f"{where}: elements add up to {total:.2f} wt %, above 100 %")


def grade_composition(comp: dict[str, float], buyer: Buyer) -> dict[str, Any]:
    """One composition (wt %) against a buyer: per-element margin (limit − value, and as a
    share of the limit), met or not, the limiting element (smallest relative margin) and the
    price it fetches."""
    check_composition(comp)
    rows = {}
    for el, limit in buyer.max.items():
        v = float(comp.get(el, 0.0))
        rows[el] = {"value": v, "max": limit, "margin": limit - v,
                    "relative_margin": (limit - v) / limit if limit > 0 else -np.inf,
                    "met": v <= limit}
    for el, low in buyer.min.items():
        v = float(comp.get(el, 0.0))
        row = rows.setdefault(el, {"value": v})
        row.update({"min": low, "margin_low": v - low, "met": row.get("met", True) and v >= low})
    met = all(r["met"] for r in rows.values())
    limiting = min(rows, key=lambda e: rows[e].get("relative_margin", np.inf))
    return {"buyer": buyer.name, "met": met, "limiting_element": limiting, "elements": rows,
            "price_JPY_per_kg": buyer.price_met_JPY_per_kg if met
            else buyer.price_not_met_JPY_per_kg}


def grade_samples(comp: np.ndarray, elements: tuple[str, ...], buyer: Buyer) -> dict[str, Any]:
    """Monte Carlo compositions (n, E) against a buyer: probability of meeting the spec (and
    each limit), expected price, and the element that fails most often."""
    ok = np.ones(comp.shape[0], dtype=bool)
    per: dict[str, float] = {}
    for el, limit in buyer.max.items():
        if el not in elements:
            continue
        hit = comp[:, elements.index(el)] <= limit
        per[el] = float(hit.mean())
        ok &= hit
    for el, low in buyer.min.items():
        hit = comp[:, elements.index(el)] >= low
        per[el] = min(per.get(el, 1.0), float(hit.mean()))
        ok &= hit
    p = float(ok.mean())
    return {"buyer": buyer.name, "probability_met": p, "probability_per_element": per,
            "most_limiting": min(per, key=lambda e: per[e]) if per else None,
            "expected_price_JPY_per_kg": p * buyer.price_met_JPY_per_kg +
            (1 - p) * buyer.price_not_met_JPY_per_kg}


grade = grade_composition
"""Former name of :func:`grade_composition` (kept for callers outside the package)."""
