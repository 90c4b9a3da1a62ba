"""docs/indicators.md's conformance table lists every indicator the code emits, with the
status the code reports — so what the docs say a user can disclose is what the output says."""

from __future__ import annotations

import re
from pathlib import Path

from junkan.indicators import compute, load_flow_model
from junkan.indicators.compute import actor_indicators
from junkan.lifecycle import load_model, simulate
from tests.conftest import EXAMPLES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"

RICH = {
    "name": "rich",
    "inflows": [{"name": "a", "mass": "10 t", "critical": True, "biological": True,
                 "renewable": 0.5}],
    "outflows": [{"name": n, "mass": "1 t", "route": n, "actual_recovery": 0.5}
                 for n in ("reuse", "refurbish", "remanufacture", "recycling", "composting",
                           "digestion", "energy_recovery", "landfill")],
    "products": [{"name": "p", "mass": "1 kg", "revenue": 1.0, "lifetime": "5 year",
                  "industry_lifetime": "4 year", "industry_lifetime_source": "x"}],
    "energy": {"total": "1 MWh"}, "water": {"withdrawn": "1 m**3"},
    "finance": {"revenue": 1.0, "value_added": 1.0, "variable_circulation_cost": 1.0,
                "base_period": {"label": "b", "revenue": 1.0, "total_inflow": "1 t"}},
}


def _table() -> dict[str, str]:
    section = DOCS.read_text(encoding="utf-8").split("## Conformance", 1)[1]
    rows = re.findall(r"^\| `([^`]+)` \| [^|]+ \| (text|summary|inferred) \|", section, re.M)
    return dict(rows)


def _pattern(key: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"<[a-z]+>", "[^.]+", re.escape(key).replace(r"\<", "<")
                                   .replace(r"\>", ">")) + "$")


def test_conformance_table_matches_the_output() -> None:
    table = _table()
    assert len(table) > 40
    emitted = [i for inds in compute(load_flow_model(doc=RICH)).values() for i in inds]
    res = simulate(load_model(EXAMPLES / "compressor_magnet.yaml"), "B")
    emitted += [i for inds in actor_indicators(res).values() for i in inds]
    seen = set()
    for i in emitted:
        matches = [k for k in table if _pattern(k).match(i.key)]
        assert len(matches) == 1, (i.key, matches)
        assert table[matches[0]] == i.status, (i.key, table[matches[0]], i.status)
        seen.add(matches[0])
    assert seen == set(table), set(table) - seen  # no documented key the code never emits
