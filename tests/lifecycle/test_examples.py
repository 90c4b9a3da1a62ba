"""The seed-003 case studies show what the seed shows (mission.md §1; issue 2, item 5)."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from junkan.cli.main import app
from junkan.lifecycle import compare, load_model
from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def magnet() -> dict:
    res = CliRunner().invoke(app, ["compare", str(EXAMPLES / "compressor_magnet.yaml"),
                                   "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    return {s["name"]: s["headline"] for s in doc["scenarios"]}


@pytest.fixture(scope="module")
def atm() -> dict:
    doc = compare(load_model(EXAMPLES / "atm_reuse.yaml"))
    return {s["name"]: s["headline"] for s in doc["scenarios"]}


def test_magnet_recycled_rare_earth_share(magnet: dict) -> None:
    share = {k: v["recycled_rare_earth_share"] for k, v in magnet.items()}
    assert share["baseline"] == 0.0
    assert share["A"] == pytest.approx(0.15, abs=0.03)
    assert share["B"] == pytest.approx(0.43, abs=0.04)


def test_magnet_co2_reduction_b_over_a_over_zero(magnet: dict) -> None:
    assert magnet["B"]["co2_reduction_t"] > magnet["A"]["co2_reduction_t"] > 0


def test_magnet_cost_index_b_over_a_over_one(magnet: dict) -> None:
    assert magnet["baseline"]["magnet_cost_index"] == pytest.approx(1.0)
    assert magnet["B"]["magnet_cost_index"] > magnet["A"]["magnet_cost_index"] > 1.0


def test_magnet_collection_is_about_half_of_recycled_magnet_cost_in_b(magnet: dict) -> None:
    assert magnet["B"]["recycled_magnet_cost_collection_share"] == pytest.approx(0.5, abs=0.1)


def test_atm_co2_rises_today_and_falls_with_improvements(atm: dict) -> None:
    co2 = {k: v["co2_change_t_per_year"] for k, v in atm.items()}
    assert co2["current"] > 0
    assert co2["improvement_2"] < co2["improvement_1"] < 0


def test_atm_new_resource_input_falls_more_with_more_reuse(atm: dict) -> None:
    new = {k: v["new_resource_change_t_per_year"] for k, v in atm.items()}
    assert new["improvement_2"] < new["improvement_1"] < new["current"] < 0


def test_atm_economic_effect_grows(atm: dict) -> None:
    eco = {k: v.get("economic_effect_index") for k, v in atm.items()}
    assert eco["current"] == pytest.approx(1.0)
    assert eco["improvement_2"] > eco["improvement_1"] > 1.0


def test_atm_current_reuses_about_one_percent_by_weight(atm: dict) -> None:
    assert atm["current"]["reused_share_of_input"] == pytest.approx(0.01, abs=0.005)
    assert atm["improvement_1"]["reused_share_of_input"] == pytest.approx(0.10, abs=0.05)


def test_a_change_index_with_a_unit_is_not_converted() -> None:
    """Past bug (review): 'compare: change_index' with 'unit: t' divided the index by 1,000
    as if it were a mass (0.0005 for 0.5), while its unit was reported as 'ratio'."""
    doc = yaml.safe_load((EXAMPLES / "atm_reuse.yaml").read_text(encoding="utf-8"))
    plain = {"metric": "co2e", "compare": "change_index", "relative_to": "current",
             "years": [2030, 2040]}
    doc["headline"] = {"plain": plain, "with_unit": {**plain, "unit": "t"}}
    res = compare(load_model(text=yaml.safe_dump(doc), source="atm.yaml"))
    for s in res["scenarios"]:
        h = s["headline"]
        assert h["with_unit"] == pytest.approx(h["plain"]) or (h["plain"] != h["plain"])
