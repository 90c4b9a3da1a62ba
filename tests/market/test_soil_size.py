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


@pytest.mark.parametrize("doc", [
    market.load_soil(EXAMPLE).model_dump(),
    _grid(4, 5, 3),
    _grid(4, 5, 3, max_km=8),
    {**_grid(7, 6, 3), "stockyards": [
        {"id": "y1", "location": {"lat": 35.05, "lon": 139.0}, "capacity": 500,
         "accepts": ["A"]},
        {"id": "y2", "location": {"lat": 35.0, "lon": 139.05}, "capacity": 500,
         "accepts": ["B"]}]},
])
def test_the_count_from_the_sizes_is_the_count_built(doc: dict[str, Any]) -> None:
    """Counted without the reach matrices (per grade, or a block of sites at a time with
    haul.max_km): the variables built."""
    for k, s in enumerate(doc["sources"]):
        s["grade"] = s.get("grade") and ("A", "B", "C")[k % 3]
    m = market.SoilMarket.model_validate(doc)
    grades = soil.grades_of(m)
    assert soil.count_variables(m, grades) == len(soil.build(m, grades).arcs)


@pytest.mark.parametrize("haul", [{}, {"max_km": 4_000}])
def test_a_programme_too_large_is_refused_before_any_sources_by_sinks_matrix(
    monkeypatch: pytest.MonkeyPatch, haul: dict[str, Any]
) -> None:
    """Review 303: a document at the schema maxima (5,000 sources and sinks) built its
    (sources × sinks) distance and acceptance matrices — 7.5 s and 0.9 GB — before it was
    refused. Now the count comes first, from the sizes (or a block of sources at a time)."""
    monkeypatch.setattr(soil, "MAX_SOIL_VARIABLES", 100)
    monkeypatch.setattr(soil, "_BLOCK", 4)
    real = soil.great_circle_km

    def small(a: list[Any], b: list[Any]) -> Any:
        assert min(len(a), len(b)) <= 4, (len(a), len(b))  # never a whole matrix
        return real(a, b)

    monkeypatch.setattr(soil, "great_circle_km", small)
    monkeypatch.setattr(soil, "_reaches", lambda m: pytest.fail("reach built before refusing"))
    m = market.SoilMarket.model_validate(_grid(12, 12, 2, **haul))
    with pytest.raises(ModelError, match=r"would have 3[0-9]{2} variables \(12 sources, 12 sinks"):
        soil.build(m, soil.grades_of(m))
