"""Grade a lot against a buyer's specification and price it: met or not, the margin to each
limit, the limiting element; with Monte Carlo samples, the probability of meeting the spec
and the expected price.

An element the buyer limits that the lot's analysis does not give is *not measured*: it is
never read as 0 wt %. Under a maximum the lot's verdict is then unknown (``met`` is
``None``, no price) until it is analysed; under a minimum the lot fails."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from junkan.alloys.data import ELEMENTS, Buyer
from junkan.alloys.predict import Refused
from junkan.core.errors import Problem, coded, listed, refusal, short

TOTAL_TOLERANCE_WT_PCT = 0.1
"""How far above 100 wt % the elements of a composition (Al included when given) may add up
before it is refused: the rounding of an analysis report. ASSUMPTION: a report of 12 values
at 0.01 wt % resolution is out by at most 0.06 wt %; 0.1 wt % leaves room for that."""

GRADE_ELEMENTS = (*ELEMENTS, "Al")
"""Elements a lot to grade may give (Al, the balance, may be given too)."""

Rule = tuple[str, str, dict[str, int | float | str]]
"""A composition rule broken: code, message template, parameters."""


class GradeError(Refused):
    """Bad lot composition (names the element, and the lot when it has an ID)."""


def rule(code: str, lot_code: str, template: str, lot: str | None,
         **params: int | float | str) -> Rule:
    """A composition rule broken: ``code`` for a lone composition, ``lot_code`` (whose
    message starts with the lot's ID) for a lot's."""
    if lot is None:
        return code, template, params
    return lot_code, "lot {lot}: " + template, {"lot": short(lot), **params}


def composition_rules(comp: dict[str, float], allowed: Iterable[str] = GRADE_ELEMENTS,
                      lot: str | None = None) -> list[Rule]:
    """The rules a composition (wt % per element) breaks: empty, unknown elements, a share
    that is not finite, negative or above 100 wt %, elements adding up to more than 100 wt %
    (either beyond :data:`TOTAL_TOLERANCE_WT_PCT`). With ``lot`` (its ID) the ``lot-…``
    rules, which name it."""
    if not comp:
        return [rule("composition-empty", "lot-composition-empty", "the composition is empty: "
                     "give the wt % of at least one element", lot)]
    known = tuple(allowed)
    out: list[Rule] = []
    bad = [e for e in comp if e not in known]
    if bad:
        out.append(rule("composition-unknown-elements", "lot-unknown-elements",
                        "unknown element(s) {names}; use {known}", lot, names=listed(bad),
                        known=listed(known)))
    for el, v in comp.items():
        if not math.isfinite(v):
            out.append(rule("composition-not-finite", "lot-not-finite", "{element} is {value} "
                            "wt %: give a finite number", lot, element=short(el), value=str(v)))
        elif v < 0:
            out.append(rule("composition-negative", "lot-negative", "{element} is {value} wt %: "
                            "a share cannot be negative", lot, element=short(el),
                            value=f"{v:g}"))
        elif v > 100 + TOTAL_TOLERANCE_WT_PCT:
            out.append(rule("composition-share-above-100", "lot-share-above-100", "{element} is "
                            "{value} wt %: a share cannot exceed 100 wt %", lot,
                            element=short(el), value=f"{v:g}"))
    # the shares within 0..100 wt % only: their sum cannot overflow (1e308 + 1e308 did, in
    # math.fsum, as a 500 of the API), and a share above 100 is refused on its own
    total = math.fsum(v for v in comp.values()
                      if math.isfinite(v) and v <= 100 + TOTAL_TOLERANCE_WT_PCT)
    if total > 100 + TOTAL_TOLERANCE_WT_PCT:
        out.append(rule("composition-total-too-high", "lot-total-too-high", "the elements add "
                        "up to {total} wt %, above 100 wt % (more than the {tolerance} wt % "
                        "allowed for rounding)", lot, total=f"{total:.4g}",
                        tolerance=f"{TOTAL_TOLERANCE_WT_PCT:g}"))
    return out


def refuse_composition(comp: dict[str, float], allowed: Iterable[str] = GRADE_ELEMENTS,
                       lot: str | None = None) -> None:
    """For a pydantic validator: the first rule ``comp`` breaks as a coded refusal."""
    rules = composition_rules(comp, allowed, lot)
    if rules:
        code, template, params = rules[0]
        raise refusal(code, template, **params)


def check_composition(comp: dict[str, float], where: str = "composition",
                      allowed: Iterable[str] = GRADE_ELEMENTS, lot: str | None = None) -> None:
    """:class:`GradeError` listing every rule ``comp`` breaks, at document path ``where``."""
    problems: list[Problem] = [coded(where, code, template, **params)
                               for code, template, params in composition_rules(comp, allowed,
                                                                               lot)]
    if problems:
        raise GradeError.of(*problems)


def _row(v: float | None, high: float | None, low: float | None) -> dict[str, Any]:
    """One limited element: its value against the maximum ``high`` and the minimum ``low``.
    Not measured (``v`` None): unknown under a maximum, failed under a minimum."""
    row: dict[str, Any] = {"value": v, "measured": v is not None}
    if high is not None:
        row["max"] = high
    if low is not None:
        row["min"] = low
    if v is None:
        row.update({"met": False if low is not None else None, "margin": None,
                    "relative_margin": None})
        return row
    rel = np.inf
    met = True
    if high is not None:
        row["margin"] = high - v
        rel = (high - v) / high if high > 0 else -np.inf
        met = v <= high
    if low is not None:
        row["margin_low"] = v - low
        rel = min(rel, (v - low) / low if low > 0 else np.inf)
        met = met and v >= low
    row.update({"relative_margin": float(rel), "met": met})
    return row


def grade_composition(comp: dict[str, float], buyer: Buyer) -> dict[str, Any]:
    """One composition (wt %) against a buyer: per-element margin (limit − value, and as a
    share of the limit), met or not, the limiting element (smallest relative margin among
    the measured ones) and the price it fetches. ``met`` is ``True``, ``False`` or ``None``
    (unknown: an element under a maximum is not measured; no price then); ``unmeasured``
    lists the limited elements the composition does not give, ``warnings`` says so."""
    check_composition(comp)
    rows = {el: _row(float(comp[el]) if el in comp else None, buyer.max.get(el),
                     buyer.min.get(el)) for el in dict.fromkeys([*buyer.max, *buyer.min])}
    unmeasured = [el for el, r in rows.items() if not r["measured"]]
    met = (False if any(r["met"] is False for r in rows.values())
           else None if unmeasured else True)
    measured = [el for el, r in rows.items() if r["measured"]]
    limiting = min(measured, key=lambda e: rows[e]["relative_margin"]) if measured else None
    warnings = []
    if unmeasured:
        low = [el for el in unmeasured if el in buyer.min]
        warnings.append(f"{buyer.name}: {', '.join(unmeasured)} not measured — " + (
            "the lot is not declared compliant until they are analysed" if met is None else
            "the lot fails the spec whatever they are") + (
            f" (a minimum on {', '.join(low)} fails without a measurement)" if low else ""))
    price = (buyer.price_met_JPY_per_kg if met else buyer.price_not_met_JPY_per_kg
             if met is False else None)
    return {"buyer": buyer.name, "met": met,
            "status": {True: "met", False: "not met", None: "not measured"}[met],
            "unmeasured": unmeasured, "limiting_element": limiting, "elements": rows,
            "price_JPY_per_kg": price, "warnings": warnings}


def grade_samples(comp: np.ndarray, elements: tuple[str, ...], buyer: Buyer) -> dict[str, Any]:
    """Monte Carlo compositions (n, E) against a buyer: probability of meeting the spec (and
    each limit), expected price, and the element that fails most often. Every limited
    element must be among ``elements`` (:class:`GradeError` naming the missing ones: never
    read as 0)."""
    missing = [el for el in dict.fromkeys([*buyer.max, *buyer.min]) if el not in elements]
    if missing:
        raise GradeError.of(coded("", "samples-missing-elements", "{buyer} limits {names}, "
                                  "which the samples do not carry ({known})",
                                  buyer=short(buyer.name), names=listed(missing),
                                  known=listed(elements)))
    ok = np.ones(comp.shape[0], dtype=bool)
    within: dict[str, np.ndarray] = {}  # per element, the samples inside its window
    for el, limit in buyer.max.items():
        within[el] = comp[:, elements.index(el)] <= limit
    for el, low in buyer.min.items():
        hit = comp[:, elements.index(el)] >= low
        within[el] = within[el] & hit if el in within else hit
    per: dict[str, float] = {}
    for el, hit in within.items():  # min ≤ content ≤ max in the same sample (review 283:
        per[el] = float(hit.mean())  # the lesser of the two shares, 0.5 for 9, 9, 13, 13
        ok &= hit                    # against 9.6–12, where no sample is inside)
    p = float(ok.mean())
    return {"buyer": buyer.name, "probability_met": p, "probability_per_element": per,
            "most_limiting": min(per, key=lambda e: per[e]) if per else None,
            "expected_price_JPY_per_kg": p * buyer.price_met_JPY_per_kg +
            (1 - p) * buyer.price_not_met_JPY_per_kg}


grade = grade_composition
"""Former name of :func:`grade_composition` (kept for callers outside the package)."""
