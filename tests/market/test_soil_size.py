"""The size of a surplus-soil programme: counted before it is built, refused beyond
``MAX_SOIL_VARIABLES`` naming the file and the counts (a 277 KB document of 150 sources and
150 sinks over 100 periods built 2.3 million routes in 46 s and 2.8 GB, without a word)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from junkan import market
from junkan.cli.main import app
from junkan.core.errors import ModelError
from junkan.market import soil

EXAMPLE = Path(market.__file__).parents[1] / "data" / "examples" / "soil" / "soil.yaml"


def _grid(n_src: int, n_sink: int, periods: int, **haul: Any) -> dict[str, Any]:
    return {
        "periods": [f"p{t}" for t in range(periods)],
        "sources": [{"id": f"s{i}", "location": {"lat": 35.0, "lon": 139.0 + i / 100},
                     "grade": "A", "volumes": [100] * periods} for i in range(n_src)],
        "sinks": [{"id": f"k{k}", "location": {"lat": 35.1, "lon": 139.0 + k / 100},
                   "accepts": ["A"], "demand": [50] * periods, "virgin_cost": 900}
                  for k in range(n_sink)],
        "stockyards": [{"id": "y", "location": {"lat": 35.05, "lon": 139.0}, "capacity": 500}],
        "disposal": [{"id": "d", "location": {"lat": 34.9, "lon": 139.0}, "gate_fee": 2000}],
        "haul": {"cost": 60, "source": "assumption: test", **haul},
    }


@pytest.mark.parametrize("doc", [
    market.load_soil(EXAMPLE).model_dump(),
    _grid(4, 5, 3),
    _grid(4, 5, 3, max_km=8),  # some routes beyond the longest haul
])
def test_the_variables_counted_before_building_are_those_built(doc: dict[str, Any]) -> None:
    m = market.SoilMarket.model_validate(doc)
    grades = soil.grades_of(m)
    assert soil.count_variables(m, grades, soil._reaches(m)) == len(soil.build(m, grades).arcs)


def test_a_soil_programme_too_large_is_refused_naming_the_file_and_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(soil, "MAX_SOIL_VARIABLES", 100)
    f = tmp_path / "big.json"
    f.write_text(json.dumps(_grid(6, 6, 4)))
    with pytest.raises(ModelError, match=r"variables \(6 sources, 6 sinks, 1 stockyards"):
        market.run_soil(market.load_soil(f))
    out = CliRunner().invoke(app, ["market", "soil", str(f)])
    assert out.exit_code == 2
    assert "big.json" in out.output and "more than the 100 allowed" in out.output
