"""The LEAP Assess phase's risk rating of each sourcing area: low, medium or high, from
impact materiality (the area's measured pressures: integrated indicator, conversion,
overlap with protected areas and KBAs) and dependency materiality (the state of the
ecosystem services its commodity depends on: drought, vegetation condition, water stress,
surface-water and vegetation loss), by the rule and thresholds of
``junkan/data/nature/risk_rating.yaml`` (an assumption: TNFD gives none)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from junkan.core.base import Strict
from junkan.core.documents import read_document, validate_with
from junkan.nature.geo import NatureInputError
from junkan.nature.results import DEPENDENCIES
from junkan.nature.schema import reference

LEVELS = ("low", "medium", "high")
IMPACT = ("integrated", "conversion_share", "protected_overlap_share", "kba_overlap_share")
DEPENDENCY = ("spi_latest", "vci_latest", "water_stressed_share", "water_loss",
              "vegetation_decline")
SERVICES = sorted({s for names in DEPENDENCIES.values() for s in names})
"""The ecosystem services a dependency measure may stand for (those of the screening list)."""


class Threshold(Strict):
    direction: Literal["higher", "lower"]
    """higher: a value at or above a threshold reaches its level; lower: at or below."""
    inclusive: bool = True
    """false: a value must lie strictly beyond a threshold (above, or below) to reach it."""
    medium: float
    high: float
    source: str = Field(min_length=1, max_length=500)
    """Where the thresholds come from, or ``assumption``."""
    service: str | None = Field(default=None, max_length=100)
    """The ecosystem service a dependency measure stands for (ENCORE-style name)."""

    @model_validator(mode="after")
    def _order(self) -> Threshold:
        if self.service is not None and self.service not in SERVICES:
            raise ValueError(f"service: unknown ecosystem service {self.service!r}; use one "
                             f"of {SERVICES}")
        if (self.high <= self.medium) if self.direction == "higher" else (
                self.high >= self.medium):
            word = "above" if self.direction == "higher" else "below"
            raise ValueError(f"high ({self.high:g}) must lie {word} medium ({self.medium:g}) "
                             f"for direction {self.direction}")
        return self


class Rules(Strict):
    """A risk-rating rule (the shape of ``junkan/data/nature/risk_rating.yaml``)."""

    source: str = Field(min_length=1, max_length=500)
    source_ja: str | None = Field(default=None, max_length=500)
    date: str | None = None
    levels: list[str] = Field(default_factory=lambda: list(LEVELS))
    impact: dict[str, Threshold] = Field(min_length=1)
    dependency: dict[str, Threshold] = Field(default_factory=dict)
    escalate_when_both_at_least: Literal["medium", "high"] | None = "medium"

    @model_validator(mode="after")
    def _names(self) -> Rules:
        if self.levels != list(LEVELS):
            raise ValueError(f"levels: {self.levels}; the rating's levels are {list(LEVELS)}")
        for side, known in (("impact", IMPACT), ("dependency", DEPENDENCY)):
            bad = sorted(set(getattr(self, side)) - set(known))
            if bad:
                raise ValueError(f"{side}: unknown measure(s) {bad}; use {list(known)}")
        return self


def load_rules(path: Path | None = None) -> dict[str, Any]:
    """The rule and thresholds: yours (``path``, checked) or the bundled assumptions."""
    if path is None:
        raw = reference("risk_rating")
        return validate_with(Rules, {**raw, "date": str(raw.get("date"))}, "risk_rating.yaml"
                             ).model_dump()
    if not path.is_file():
        raise NatureInputError(f"{path}: no such file (risk_thresholds)")
    raw = read_document(path)
    if "date" in raw:
        raw["date"] = str(raw["date"])
    return validate_with(Rules, raw, str(path)).model_dump()


def _level(value: float, t: dict[str, Any]) -> str:
    lower, strict = t["direction"] == "lower", t.get("inclusive") is False
    if strict:
        beyond = (lambda v, x: v < x) if lower else (lambda v, x: v > x)
    else:
        beyond = (lambda v, x: v <= x) if lower else (lambda v, x: v >= x)
    return "high" if beyond(value, t["high"]) else "medium" if beyond(value, t["medium"]) \
        else "low"


def _stressed_share(doc: dict[str, Any]) -> float | None:
    c3 = doc.get("C3.0") or {}
    total = c3.get("total_withdrawal_m3")
    return None if not total else float(c3.get("withdrawal_m3") or 0.0) / float(total)


def measures(doc: dict[str, Any], components: dict[str, float | None]) -> dict[str, Any]:
    """The values the rating reads, from an area's results (None: not measured)."""
    return {
        "integrated": doc["integrated"]["value"],
        "conversion_share": (doc.get("land_change") or {}).get("conversion_share"),
        "protected_overlap_share": doc.get("protected_overlap_share"),
        "kba_overlap_share": doc.get("kba_overlap_share"),
        "spi_latest": (doc.get("spi") or {}).get("latest"),
        "vci_latest": (doc.get("drought") or {}).get("VCI_latest"),
        "water_stressed_share": _stressed_share(doc),
        "water_loss": components.get("water_loss"),
        "vegetation_decline": components.get("vegetation_decline"),
    }


def _materiality(name: str, answer: dict[str, Any]) -> tuple[str | None, list[str]]:
    """The ENCORE materiality a measure stands for in an activity's ratings: the highest
    rating of its columns; else ``N/A`` when every one is not applicable; else None (no data,
    or no such column). Also the columns read."""
    ref = reference("encore")
    scale, na = list(ref["ratings"]), str(ref["not_applicable"])
    ratings = answer.get("ratings") or {}
    cols = [c for c in ref["risk"]["measures"].get(name, []) if c in ratings]
    rated = [ratings[c] for c in cols if ratings[c] in scale]
    if rated:
        return max(rated, key=scale.index), cols
    if cols and all(ratings[c] == na for c in cols):
        return na, cols
    return None, cols


def _side(values: dict[str, Any], table: dict[str, Any], services: list[str] | None,
          answer: dict[str, Any] | None = None) -> dict[str, Any]:
    """Each measure's level; with an ENCORE ``answer`` rated for the activity, the level is
    the matrix's for (materiality, measured level), and N/A measures are not counted."""
    rated: dict[str, Any] = {}
    encore = answer is not None and answer.get("status") == "rated"
    matrix = reference("encore")["risk"]["matrix"]
    for name, t in table.items():
        if not encore and services is not None and t.get("service") and (
                t["service"] not in services):
            continue
        v = values.get(name)
        if v is not None and not math.isfinite(float(v)):
            v = None  # NaN or infinite: not measured, not "low"
        state = None if v is None else _level(float(v), t)
        rated[name] = {"value": v, "level": state}
        if encore:
            mat, cols = _materiality(name, answer or {})
            level = state if mat is None or state is None else (
                None if mat not in matrix else matrix[mat][state])
            rated[name] |= {"state": state, "materiality": mat, "columns": cols,
                            "level": level}
    levels = [r["level"] for r in rated.values() if r["level"]]
    out = {"level": max(levels, key=LEVELS.index) if levels else None, "measures": rated}
    if answer is not None:
        out["encore"] = {k: answer[k] for k in ("status", "reason", "activity") if k in answer}
    return out


def rate(doc: dict[str, Any], components: dict[str, float | None],
         rules: dict[str, Any] | None = None,
         encore: dict[str, Any] | None = None) -> dict[str, Any]:
    """An area's risk: the levels of impact and dependency materiality and the rating (see
    the module's data file for the rule); ``None`` rating if nothing could be measured.
    ``encore``: the ENCORE answer for the area's commodity
    (:func:`junkan.nature.encore.evaluate`): pressures weigh the impact measures,
    dependencies the dependency measures (rule in ``junkan/data/nature/encore.yaml``)."""
    r = rules or load_rules()
    values = measures(doc, components)
    services = DEPENDENCIES.get(str(doc.get("commodity")))
    impact = _side(values, r["impact"], None, None if encore is None else encore["pressures"])
    dependency = _side(values, r["dependency"], services,
                       None if encore is None else encore["dependencies"])
    levels = [x for x in (impact["level"], dependency["level"]) if x]
    rating = max(levels, key=LEVELS.index) if levels else None
    floor = r["escalate_when_both_at_least"]
    both = floor is not None and len(levels) == 2 and min(
        LEVELS.index(x) for x in levels) >= LEVELS.index(floor)
    if rating is not None and both:
        rating = LEVELS[min(len(LEVELS) - 1, LEVELS.index(rating) + 1)]
    return {
        "rating": rating,
        "impact": impact,
        "dependency": dependency,
        "escalated": both,
        "services": services,
        "source": r["source"],
        "method": ("each measure's level = ENCORE matrix (materiality of its columns for the "
                   "commodity's ISIC class × measured level; N/A: not counted; no rating: the "
                   "measured level); " if encore is not None else "")
        + "impact materiality = highest level of the impact measures; dependency "
        "materiality = highest level of the measures of the services the commodity depends "
        "on; risk = the higher" + ("" if floor is None else
                                   f", one level up when both are at least {floor}"),
    }


def drivers(risk: dict[str, Any]) -> list[tuple[str, float, str]]:
    """The measures rated medium or high: (name, value, level), highest first."""
    out = [(k, float(m["value"]), m["level"]) for side in ("impact", "dependency")
           for k, m in risk[side]["measures"].items() if m["level"] in ("medium", "high")]
    return sorted(out, key=lambda x: -LEVELS.index(x[2]))
