"""Passport defects found by the review of 2026-12-03: units the AAS import did not read,
Battery Pass values that contradict each other, and errors that did not say which document,
which item or what the file is."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from junkan import grading
from junkan.cli.passport import app
from tests.grading.test_batterypass import PACK
from tests.grading.test_passport_cli import SECOND_LIFE

TECH = "PerformanceAndDurability.batteryTechicalProperties"
COND = "PerformanceAndDurability.batteryCondition"
COBALT = "Circularity.recycledContent[recycledMaterial=Cobalt]"
RECORD = {
    "id": "rpp-17",
    "kind": "recycled_material",
    "material": {"name": "PP"},
    "quantity": {"mass": 12.0, "stock": 40.0},
    "environment": {"cfp_kgco2e_per_kg": 0.6, "source": "declared"},
}


# ---- A3: units of the AAS grading record ---------------------------------------------------


def _aas(change: dict[str, Any]) -> dict[str, Any]:
    """The record as AAS with the Quantity / Environment elements set as ``change`` says
    (``{"Quantity.MassUnit": "t"}``)."""
    passport = pytest.importorskip("junkan.grading.passport")
    doc: dict[str, Any] = passport.to_aas(grading.Item.model_validate(RECORD))
    els = {e["idShort"]: e for e in doc["submodels"][0]["submodelElements"]}
    for where, value in change.items():
        block, short = where.split(".")
        [el] = [e for e in els[block]["value"] if e["idShort"] == short]
        el["value"] = value
    return doc


def test_a_mass_in_tonnes_is_read_in_kg() -> None:
    item = grading.from_aas(_aas({"Quantity.MassUnit": "t"}))
    assert (item.quantity.mass, item.quantity.stock) == (12_000.0, 40_000.0)
    item = grading.from_aas(_aas({"Quantity.MassUnit": "g"}))
    assert item.quantity.mass == pytest.approx(0.012)
    assert grading.from_aas(_aas({})).quantity.mass == 12.0  # junkan's own kg unchanged


def test_a_mass_unit_that_is_no_mass_is_refused_by_element_path() -> None:
    with pytest.raises(grading.GradingError) as exc:
        grading.from_aas(_aas({"Quantity.MassUnit": "piece"}))
    [p] = exc.value.problems
    assert p.path == "JunkanGrading.Quantity.MassUnit" and "no unit of mass" in p.message


def test_the_footprint_reference_is_converted_to_per_kg() -> None:
    env = grading.from_aas(_aas({"Environment.QuantityOfMeasureForCalculation": "1000"}))
    assert env.environment is not None
    assert env.environment.cfp_kgco2e_per_kg == pytest.approx(0.0006)
    per_t = grading.from_aas(_aas({"Environment.ReferenceImpactUnitForCalculation": "t"}))
    assert per_t.environment is not None
    assert per_t.environment.cfp_kgco2e_per_kg == pytest.approx(0.0006)
    same = grading.from_aas(_aas({}))
    assert same.environment is not None and same.environment.cfp_kgco2e_per_kg == 0.6


@pytest.mark.parametrize(
    ("change", "element", "words"),
    [
        ({"ReferenceImpactUnitForCalculation": "piece"}, "ReferenceImpactUnitForCalculation",
         "no unit of mass"),
        ({"ReferenceImpactUnitForCalculation": "kWh"}, "ReferenceImpactUnitForCalculation",
         "no unit of mass"),
        ({"QuantityOfMeasureForCalculation": "0"}, "QuantityOfMeasureForCalculation",
         "above 0"),
    ],
)
def test_a_footprint_not_per_mass_is_refused_by_element_path(
    change: dict[str, str], element: str, words: str
) -> None:
    with pytest.raises(grading.GradingError) as exc:
        grading.from_aas(_aas({f"Environment.{k}": v for k, v in change.items()}))
    [p] = exc.value.problems
    assert p.path == f"JunkanGrading.Environment.{element}" and words in p.message


# ---- A9: Battery Pass values that contradict each other -----------------------------------


def _doc() -> dict[str, Any]:
    return grading.to_batterypass(grading.Item.model_validate(PACK))


def _refused(doc: dict[str, Any]) -> list[Any]:
    with pytest.raises(grading.BatteryPassError) as exc:
        grading.from_batterypass(json.dumps(doc))
    return exc.value.problems


def test_voltages_out_of_order_are_refused_naming_both() -> None:
    doc = _doc()
    doc["PerformanceAndDurability"]["batteryTechicalProperties"].update(
        minimumVoltage=500, maximumVoltage=300
    )
    [p] = _refused(doc)  # the nominal voltage is not compared to swapped bounds
    assert (p.path, p.kind) == (f"{TECH}.minimumVoltage", "pass-above-other")
    assert f"{TECH}.maximumVoltage (300 V)" in p.message
    for nominal, code, other in ((1000, "pass-above-other", "maximumVoltage"),
                                 (100, "pass-below-other", "minimumVoltage")):
        doc = _doc()
        doc["PerformanceAndDurability"]["batteryTechicalProperties"]["nominalVoltage"] = nominal
        [p] = _refused(doc)
        assert (p.path, p.kind) == (f"{TECH}.nominalVoltage", code)
        assert f"{TECH}.{other}" in p.message


def test_shares_of_one_metal_above_100_percent_are_refused() -> None:
    doc = _doc()
    doc["Circularity"]["recycledContent"][0].update(preConsumerShare=80, postConsumerShare=80)
    [p] = _refused(doc)
    assert (p.path, p.kind) == (f"{COBALT}.postConsumerShare", "pass-shares-sum")
    assert f"{COBALT}.preConsumerShare (80 %)" in p.message and "160 %" in p.message
    doc["Circularity"]["recycledContent"][0].update(preConsumerShare=40, postConsumerShare=60)
    grading.from_batterypass(json.dumps(doc))  # exactly 100 % is one material


def test_remaining_energy_far_above_rated_energy_is_refused() -> None:
    doc = _doc()
    doc["PerformanceAndDurability"]["batteryCondition"]["remainingEnergy"][
        "remainingEnergyalue"
    ] = 500
    [p] = _refused(doc)
    assert p.path == f"{COND}.remainingEnergy.remainingEnergyalue"
    assert p.kind == "pass-remaining-above-rated" and f"{TECH}.ratedEnergy (75 kWh)" in p.message
    doc["PerformanceAndDurability"]["batteryCondition"]["remainingEnergy"][
        "remainingEnergyalue"
    ] = 90  # 120 % of 75 kWh: the data file's SOCE bound
    grading.from_batterypass(json.dumps(doc))


def test_capacity_fade_is_not_compared_with_the_soce() -> None:
    """Charge lost against the rated capacity and energy against the certified usable
    energy: no published relation, so a large fade with a high SOCE is read as given."""
    doc = _doc()
    doc["PerformanceAndDurability"]["batteryCondition"]["capacityFade"]["capacityFadeValue"] = 90
    item = grading.from_batterypass(json.dumps(doc))
    assert grading.stored_values(item, "x")["capacity_fade"] == 90


def test_export_refuses_contradicting_values_naming_both_fields() -> None:
    pack = copy.deepcopy(PACK)
    pack["properties"]["minimum_voltage"] = {"value": "0.5 kV"}
    with pytest.raises(grading.BatteryPassError) as exc:
        grading.to_batterypass(grading.Item.model_validate(pack))
    [p] = exc.value.problems
    assert p.path == "item.properties.minimum_voltage.value"
    assert "item.properties.maximum_voltage.value (450 V)" in p.message


def test_a_list_entry_given_twice_is_one_problem() -> None:
    doc = _doc()
    doc["Circularity"]["recycledContent"].append({"recycledMaterial": "Cobalt"})
    problems = _refused(doc)
    assert [p.kind for p in problems] == ["entries-repeated"]


# ---- C: what the file is, which item, which limit -----------------------------------------


def test_a_json_that_is_no_passport_says_so() -> None:
    with pytest.raises(grading.GradingError) as exc:
        grading.read_passport('{"hello": 1}')
    [p] = exc.value.problems
    assert p.kind == "passport-unknown-kind"
    assert "neither an AAS V3.0 environment" in p.message
    assert "GeneralProductInformation" in p.message
    with pytest.raises(grading.GradingError) as exc:
        grading.read_passport("{}", "batterypass")
    assert [p.kind for p in exc.value.problems] == ["pass-no-aspect"]


def test_a_huge_decimal_is_refused_as_a_number_not_an_integer() -> None:
    doc = _doc()
    doc["PerformanceAndDurability"]["batteryTechicalProperties"]["ratedCapacity"] = 1e300
    with pytest.raises(grading.GradingError) as exc:
        grading.read_passport(json.dumps(doc))
    [p] = exc.value.problems
    assert (p.path, p.kind) == (f"{TECH}.ratedCapacity", "number-too-large")
    assert p.message.startswith("1e+300: number beyond ±9,007,199,254,740,992 (")
    assert "which bounds decimal numbers too" in p.message
    doc["PerformanceAndDurability"]["batteryTechicalProperties"]["ratedCapacity"] = 10**20
    with pytest.raises(grading.GradingError) as exc:
        grading.read_passport(json.dumps(doc))
    assert [p.kind for p in exc.value.problems] == ["number-too-large"]  # an integer too


def _packs(n: int) -> dict[str, Any]:
    items = [copy.deepcopy(PACK) | {"id": f"pack-{i}"} for i in range(n)]
    return {"items": items, "criteria": [SECOND_LIFE]}


def test_export_errors_name_the_item_by_index_and_id() -> None:
    doc = _packs(3)
    doc["items"][2]["quantity"]["mass"] = "20 t"
    with pytest.raises(grading.GradingError) as exc:
        grading.write_passports(grading.load(text=yaml.safe_dump(doc)), "batterypass")
    [p] = exc.value.problems
    assert p.path == "items[2] (pack-2).quantity.mass" and "batteryMass" in p.message
    doc = _packs(3)
    doc["items"][1]["id"], doc["items"][2]["id"] = "a/b", "a b"
    with pytest.raises(grading.GradingError) as exc:
        grading.write_passports(grading.load(text=yaml.safe_dump(doc)), "aas")
    [p] = exc.value.problems
    assert (p.path, p.kind) == ("items", "passport-name-clash")
    assert "items[1] 'a/b' and items[2] 'a b' (a_b.aas.json)" in p.message


def test_cli_export_errors_name_the_file_and_the_item(tmp_path: Path) -> None:
    doc = _packs(3)
    doc["items"][1]["quantity"]["mass"] = "20 t"
    src = tmp_path / "packs.yaml"
    src.write_text(yaml.safe_dump(doc))
    res = CliRunner().invoke(
        app, ["export", str(src), "--out", str(tmp_path / "o"), "--format", "batterypass"]
    )
    assert res.exit_code == 2
    assert f"{src}:items[1] (pack-1).quantity.mass" in res.output
