"""Indicator values: a fraction (or quantity) with its unit, formula, source, inputs and how far
its definition was checked — or null with the reason, never a silent 0."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["text", "summary", "inferred"]
"""How far an indicator's definition was checked against its framework:

* ``text`` — against the published text (or a verbatim public transcript of it);
* ``summary`` — against a summary or secondary source only (the text itself was not read);
* ``inferred`` — junkan's reading; no definition could be read (``notes`` say what is
  missing)."""

STATUS_TEXT: dict[str, str] = {
    "text": "verified against the text",
    "summary": "checked against a summary only",
    "inferred": "inferred (definition not read)",
}

UNITS: dict[str, str] = {
    "fraction": "share in [0, 1], shown as %",
    "cycles": "number of uses of each withdrawn m³ (≥ 1)",
    "ratio": "dimensionless ratio",
}
"""Units with a meaning beyond their name; every other unit is a physical or money unit
(``t``, ``JPY/t``, ``JPY``)."""

REL_TOL = 1e-9
"""A difference smaller than this share of the quantities it was computed from is a rounding
residue (e.g. 1 − (0.6 + 0.3 + 0.1) ≈ 1.1e-16), treated as zero — so a "linear" inflow of
1e-13 t never becomes a denominator."""


def fsum(values: Iterable[float]) -> float:
    """``math.fsum`` of non-negative ``values``, or infinity when the sum is beyond a float's
    range (``math.fsum`` raises ``OverflowError`` on an intermediate overflow: two capex items
    of 1e308 ended ``junkan.indicators.run`` in a traceback; review 319)."""
    try:
        return math.fsum(values)
    except OverflowError:
        return math.inf


def snap(value: float, scale: float) -> float:
    """``value`` or 0.0 when it is a rounding residue of quantities of size ``scale``."""
    return 0.0 if abs(value) <= REL_TOL * abs(scale) else value


@dataclass(frozen=True)
class Indicator:
    """One computed indicator.

    Attributes
    ----------
    key: machine name, e.g. ``cti.circular_inflow``.
    value: the value (fractions in [0, 1], quantities in ``unit``), or ``None``.
    unit: ``"fraction"``, ``"cycles"``, ``"ratio"`` or a unit such as ``"t"``, ``"JPY/t"``.
    formula: the formula as text.
    source: where the formula comes from (document, version, clause).
    inputs: the numbers that went in.
    reason: why ``value`` is ``None`` (e.g. a zero denominator).
    reason_code: that reason as a code (``indreason.<code>`` in the web page's catalogues),
        with the figures or names it quotes in ``reason_params``; ``None`` where the reason
        has no code (then a page shows ``reason`` as written).
    status: how far the definition was checked (:data:`Status`).
    notes: what could not be read or what junkan assumed — shown with the value.
    """

    key: str
    value: float | None
    unit: str
    formula: str
    source: str
    inputs: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    status: Status = "summary"
    notes: tuple[str, ...] = ()
    reason_code: str | None = None
    reason_params: dict[str, str] = field(default_factory=dict)

    def display(self) -> str:
        if self.value is None:
            return f"n/a ({self.reason})"
        if self.unit == "fraction":
            return f"{100 * self.value:.1f} %"
        if self.unit == "cycles":
            return f"{self.value:.2f} cycles"
        number = f"{self.value:,.0f}" if abs(self.value) >= 1e4 else f"{self.value:,.4g}"
        return number if self.unit == "ratio" else f"{number} {self.unit}"


ZERO_CODES = {
    "total inflow mass": "inflow-mass-zero", "total outflow mass": "outflow-mass-zero",
    "linear inflow": "linear-inflow-zero", "circular outflow": "circular-outflow-zero",
    "energy consumed": "energy-zero", "net energy consumed (taken in − exported)":
    "net-energy-zero", "total inflow": "inflow-zero", "total waste": "waste-zero",
    "water discharged": "water-discharged-zero", "water withdrawn": "water-withdrawn-zero",
    "biological inflow": "biological-zero", "denominator": "denominator-zero"}
"""The code of each ``what`` of :func:`ratio` whose zero leaves a ratio undefined."""


def ratio(key: str, num: float, den: float, *, formula: str, source: str,
          inputs: dict[str, Any], what: str = "denominator", unit: str = "fraction",
          status: Status = "summary", notes: tuple[str, ...] = (),
          scale: float | None = None) -> Indicator:
    """num / den, or null when the denominator is zero — or, with ``scale`` (the size of the
    quantities ``den`` was computed from), a rounding residue of them (:data:`REL_TOL`)."""
    zero = den == 0 if scale is None else snap(den, scale) == 0
    if zero:
        return Indicator(key, None, unit, formula, source, inputs,
                         reason=f"{what} is zero", status=status, notes=notes,
                         reason_code=ZERO_CODES.get(what))
    value = num / den
    if not math.isfinite(value):  # a tiny denominator: the ratio is beyond a float's range
        return Indicator(key, None, unit, formula, source, inputs,
                         reason=f"{num:.6g} / {den:.6g} is beyond the largest number",
                         status=status, notes=notes, reason_code="ratio-overflow",
                         reason_params={"num": f"{num:.6g}", "den": f"{den:.6g}"})
    return Indicator(key, value, unit, formula, source, inputs, status=status, notes=notes)


def negative_revenue(ind: Indicator, revenue: float) -> Indicator:
    """``ind``, or null with the reason ``revenue-negative`` when the revenue it is computed
    from is below 0 (a simulation's: its revenue factors may be negative, and a productivity
    or a circular revenue of a negative revenue means nothing; review 319)."""
    if revenue >= 0:
        return ind
    shown = f"{revenue:.6g}"
    return Indicator(ind.key, None, ind.unit, ind.formula, ind.source, ind.inputs,
                     reason=f"revenue is negative ({shown}); the indicator needs a revenue "
                            "of 0 or more",
                     status=ind.status, notes=ind.notes, reason_code="revenue-negative",
                     reason_params={"revenue": shown})


class IndicatorInputError(ValueError):
    """Inputs out of range; the message names the field."""
