"""The public verbs of junkan.indicators on flows small enough to check by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from junkan import indicators, lifecycle
from tests.lifecycle.test_api import TINY

FLOWS = """
name: tiny
inflows:
  - {name: steel, mass: 80 kg, recycled: 0.25}
  - {name: parts, mass: 20 kg, reused: 1}
outflows:
  - {name: scrap, mass: 60 kg, route: recycling, actual_recovery: 0.5}
  - {name: rest, mass: 40 kg, route: landfill}
"""
# circular inflow = 80 × 0.25 + 20 = 40 of 100 kg; circular outflow = 60 × 0.5 = 30 of 100 kg


def test_run_on_a_flow_model_by_hand() -> None:
    result = indicators.run(indicators.load(text=FLOWS), ["cti"])
    assert list(result.indicators) == ["cti"]
    assert result["cti.circular_inflow"].value == pytest.approx(0.4)
    assert result["cti.circular_outflow"].value == pytest.approx(0.3)
    assert result["cti.circularity"].value == pytest.approx(0.35)
    frame = result.to_frame().set_index("key")
    assert frame.loc["cti.circular_inflow", "value"] == pytest.approx(0.4)
    assert frame.loc["cti.circular_inflow", "framework"] == "cti"
    doc = result.to_json()
    json.dumps(doc, allow_nan=False)
    assert doc["cti"][0]["key"] == "cti.circular_inflow"
    # every indicator says how far its definition was checked, in every output
    assert doc["cti"][0]["status"] == "text" and doc["cti"][0]["notes"] == []
    critical = next(i for i in doc["cti"] if i["key"] == "cti.critical_material")
    assert critical["status"] == "summary" and critical["notes"]
    assert frame.loc["cti.critical_material", "status"] == "summary"
    assert "not read" in frame.loc["cti.critical_material", "notes"]
    with pytest.raises(KeyError):
        result["nope"]


def test_load_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "flows.yaml"
    path.write_text(FLOWS, encoding="utf-8")
    assert indicators.load(path).name == "tiny"


def test_run_on_a_lifecycle_result_by_hand() -> None:
    model = lifecycle.load(text=TINY)
    base = lifecycle.run(model)
    # 2022 only: inflow 240 kg virgin + 160 kg recycled; outflow 200 kg to recycling (160 kg
    # recovered) and 200 kg to landfill
    result = indicators.run(base, ["cti"], years=(2022, 2022))
    assert result["cti.circular_inflow"].value == pytest.approx(0.4)
    assert result["cti.circular_outflow"].value == pytest.approx(0.4)
    more = indicators.run(lifecycle.run(model, "more_collection"), baseline=base)
    assert set(more.indicators) == set(indicators.FRAMEWORKS)
    assert isinstance(more.warnings, list)


def test_report_is_written(tmp_path: Path) -> None:
    result = indicators.run(indicators.load(text=FLOWS))
    page = result.report(tmp_path)
    assert page == tmp_path / "indicators.html"
    assert (tmp_path / "plotly.min.js").exists()
    html = page.read_text(encoding="utf-8")
    assert "cti.circular_inflow" in html
    assert "verified against the text" in html and "checked against a summary only" in html


def test_report_shows_water_in_cycles(tmp_path: Path) -> None:
    # withdrawn 100 m³ + recirculated 300 m³ = 400 m³ used → 4 cycles, shown with its unit
    flows = FLOWS + "water: {withdrawn: 100 m**3, recirculated: 300 m**3}\n"
    html = indicators.run(indicators.load(text=flows)).report(tmp_path).read_text("utf-8")
    assert "4.00 cycles" in html
