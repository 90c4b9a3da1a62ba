"""The base-indicator catalogue (#1–#45: METI's Circular Partners set and 14 additions, from the
Hitachi–AIST Circular Economy Lab report; source and reading notes in
``junkan/data/indicator_catalogue.yaml``) and the IN/OUT relations of the five representative
indicators; queries and trade-off warnings."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class CatalogueEntry:
    number: int
    name_ja: str
    name_en: str
    level: str
    representative: bool
    note: str | None


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    text = (resources.files("junkan.data") / "indicator_catalogue.yaml").read_text("utf-8")
    return dict(yaml.safe_load(text))


def catalogue() -> list[CatalogueEntry]:
    return [CatalogueEntry(number=int(e["number"]), name_ja=e["ja"], name_en=e["en"],
                           level=e["level"], representative=int(e["number"]) <= 5,
                           note=e.get("note")) for e in _data()["indicators"]]


def relations() -> dict[int, dict[int, str]]:
    """{representative #: {other #: "IN" | "OUT"}} — IN: the other indicator drives it."""
    out: dict[int, dict[int, str]] = {}
    for rep, cells in _data()["relations"].items():
        out[int(rep)] = {int(k): v for k, v in cells.items() if v in ("IN", "OUT")}
    return out


def _side(number: int, side: str) -> list[CatalogueEntry]:
    rel = relations().get(number)
    if rel is None:
        raise KeyError(f"#{number} is not a representative indicator (#1–#5)")
    by_no = {e.number: e for e in catalogue()}
    return [by_no[k] for k, v in sorted(rel.items()) if v == side]


def drivers(number: int) -> list[CatalogueEntry]:
    """Indicators that drive representative indicator ``number`` (its IN side)."""
    return _side(number, "IN")


def affected(number: int) -> list[CatalogueEntry]:
    """Indicators that representative indicator ``number`` affects (its OUT side)."""
    return _side(number, "OUT")


REPRESENTATIVE_METRICS = {
    2: ("co2e_t", -1),  # GHG reduction along the value chain: lower CO2e is better
    3: ("recycled_share", +1),  # inflow recycled-content rate
    4: ("recycling_rate", +1),  # outflow recycling rate
    5: ("final_disposal_t", -1),  # final disposal amount
}


def tradeoff_warnings(changes: dict[str, float]) -> list[str]:
    """Warn when a scenario improves one representative indicator and worsens another
    (the report's example: eco-design lengthens life → less recycled material → the inflow
    recycled-content rate falls).

    ``changes`` maps the totals keys (``co2e_t``, ``recycled_share``, ``recycling_rate``,
    ``final_disposal_t``) to scenario − baseline."""
    names = {e.number: e.name_en for e in catalogue()}
    better: list[str] = []
    worse: list[str] = []
    for no, (key, sign) in REPRESENTATIVE_METRICS.items():
        d = changes.get(key)
        # not defined in either scenario (NaN: no outflow, no material input): neither better
        # nor worse (review 319: NaN counted as worse, and a scenario that only cut CO2e was
        # warned that it worsens a recycling rate no product's retirement defined)
        if d is None or not math.isfinite(d) or abs(d) < 1e-12:
            continue
        (better if d * sign > 0 else worse).append(f"#{no} {names[no]}")
    if better and worse:
        return [f"trade-off: improves {', '.join(better)} but worsens {', '.join(worse)} — "
                "check the whole value network's resource flows (seed 003)"]
    return []
