"""openLCA import review: the zip's own units and flow property factors, allocation of
co-products, the sides of cost values, openLCA 1.x category references, texts that are
numbers, entries and entities not read, and Python-only formula syntax. Each test failed
before its fix (the past result in its docstring)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from junkan.core.errors import JunkanError

pytest.importorskip("olca_schema")

from junkan.lifecycle import olca  # noqa: E402
from junkan.lifecycle.olca_formula import formula  # noqa: E402

KG, MASS_UG, MASS_FP = olca.REF["kg"][0], olca.REF["kg"][2], olca.REF["kg"][4]
AIR = "Elementary flows/Emission to air/unspecified"


def _ref(kind: str, rid: str, name: str | None = None) -> dict[str, Any]:
    return {"@type": kind, "@id": rid, **({"name": name} if name else {})}


def _mass(*extra: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """openLCA's mass group (kg, g and ``extra`` units) and its flow property."""
    units = [{"@type": "Unit", "@id": KG, "name": "kg", "conversionFactor": 1.0,
              "isRefUnit": True},
             {"@type": "Unit", "@id": "u-g", "name": "g", "conversionFactor": 0.001}, *extra]
    group = {"@type": "UnitGroup", "@id": MASS_UG, "name": "Units of mass", "units": units}
    prop = {"@type": "FlowProperty", "@id": MASS_FP, "name": "Mass",
            "unitGroup": _ref("UnitGroup", MASS_UG)}
    return [("unit_groups", group), ("flow_properties", prop)]


def _flow(fid: str, name: str, kind: str = "PRODUCT_FLOW", cat: Any = None,
          props: list[dict[str, Any]] | None = None) -> tuple[str, dict[str, Any]]:
    doc = {"@type": "Flow", "@id": fid, "name": name, "flowType": kind,
           "flowProperties": props or [{"@type": "FlowPropertyFactor", "conversionFactor": 1.0,
                                        "flowProperty": _ref("FlowProperty", MASS_FP),
                                        "isRefFlowProperty": True}]}
    if cat is not None:
        doc["category"] = cat
    return "flows", doc


CO2 = _flow("f-co2", "Carbon dioxide, fossil", "ELEMENTARY_FLOW", AIR)


def _ex(fid: str, amount: float, *, unit: tuple[str, str] = (KG, "kg"), inp: bool = False,
        ref: bool = False, iid: int = 1, **more: Any) -> dict[str, Any]:
    return {"@type": "Exchange", "flow": _ref("Flow", fid), "amount": amount,
            "unit": _ref("Unit", *unit), "isInput": inp, "isQuantitativeReference": ref,
            "internalId": iid, **more}


def _process(name: str, exchanges: list[dict[str, Any]], **more: Any
             ) -> tuple[str, dict[str, Any]]:
    return "processes", {"@type": "Process", "@id": f"p-{name}", "name": name,
                         "exchanges": exchanges, **more}


def _zip(path: Path, entities: list[tuple[str, dict[str, Any]]],
         raw: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for folder, doc in entities:
            zf.writestr(f"{folder}/{doc['@id']}.json", json.dumps(doc))
        for name, data in (raw or {}).items():
            zf.writestr(name, data)
    return path


def _num(template: dict[str, Any], proc: str, key: str = "co2e") -> float:
    return float(template["processes"][proc][key].split()[0])


# 1. units -----------------------------------------------------------------------------

def test_a_unit_of_the_zips_own_group_converts_by_its_factor(tmp_path: Path) -> None:
    """1 bag (25 kg in the zip) of CO2 per t used to be 0.0426 kg/kg (the unit registry's
    94 lb cement bag), and a reference of 2 bag was skipped as not a mass."""
    bag = {"@type": "Unit", "@id": "u-bag", "name": "bag", "conversionFactor": 25.0}
    ton = {"@type": "Unit", "@id": "u-t", "name": "t", "conversionFactor": 1000.0}
    ents = [*_mass(bag, ton), _flow("f-a", "cement"), CO2,
            _process("bagged", [_ex("f-a", 2.0, unit=("u-bag", "bag"), ref=True),
                                _ex("f-co2", 10.0, iid=2)]),
            _process("per ton", [_ex("f-a", 1.0, unit=("u-t", "t"), ref=True),
                                 _ex("f-co2", 1.0, unit=("u-bag", "bag"), iid=2)])]
    template, notes = olca.import_template(_zip(tmp_path / "u.zip", ents))
    assert _num(template, "bagged") == pytest.approx(10 / 50), notes
    assert _num(template, "per_ton") == pytest.approx(25 / 1000)


def test_an_amount_in_another_flow_property_converts_by_the_flows_factor(
    tmp_path: Path,
) -> None:
    """A CO2 emission given in m3 (the flow: 1 kg = 0.5 m3) was left out as not a mass."""
    m3 = {"@type": "Unit", "@id": "u-m3", "name": "m3", "conversionFactor": 1.0,
          "isRefUnit": True}
    vol_g = {"@type": "UnitGroup", "@id": "g-vol", "name": "Units of volume", "units": [m3]}
    vol = {"@type": "FlowProperty", "@id": "fp-vol", "name": "Volume",
           "unitGroup": _ref("UnitGroup", "g-vol")}
    props = [{"@type": "FlowPropertyFactor", "conversionFactor": 1.0, "isRefFlowProperty": True,
              "flowProperty": _ref("FlowProperty", MASS_FP)},
             {"@type": "FlowPropertyFactor", "conversionFactor": 0.5,
              "flowProperty": _ref("FlowProperty", "fp-vol")}]
    co2 = _flow("f-co2", "Carbon dioxide, fossil", "ELEMENTARY_FLOW", AIR, props)
    emission = _ex("f-co2", 2.0, unit=("u-m3", "m3"), iid=2,
                   flowProperty=_ref("FlowProperty", "fp-vol"))
    ents = [*_mass(), ("unit_groups", vol_g), ("flow_properties", vol), _flow("f-a", "gas"),
            co2, _process("venting", [_ex("f-a", 1.0, ref=True), emission])]
    template, notes = olca.import_template(_zip(tmp_path / "v.zip", ents))
    assert _num(template, "venting") == pytest.approx(4.0), notes  # 2 m3 = 4 kg


# 2. allocation ------------------------------------------------------------------------

def _joint(**more: Any) -> list[tuple[str, dict[str, Any]]]:
    return [*_mass(), _flow("f-a", "product A"), _flow("f-b", "product B"), CO2,
            _process("joint", [_ex("f-a", 1.0, ref=True), _ex("f-b", 1.0, iid=2),
                               _ex("f-co2", 10.0, iid=3)], **more)]


def test_a_co_product_process_is_allocated_by_its_default_method(tmp_path: Path) -> None:
    """A with 0.2 of the physical allocation used to bear all 10 kg CO2 (10 for 2)."""
    factors = [{"@type": "AllocationFactor", "allocationType": kind, "value": value,
                "product": _ref("Flow", fid)}
               for kind, fid, value in (("PHYSICAL_ALLOCATION", "f-a", 0.2),
                                        ("PHYSICAL_ALLOCATION", "f-b", 0.8),
                                        ("ECONOMIC_ALLOCATION", "f-a", 0.9))]
    ents = _joint(defaultAllocationMethod="PHYSICAL_ALLOCATION", allocationFactors=factors)
    template, notes = olca.import_template(_zip(tmp_path / "a.zip", ents))
    assert _num(template, "joint") == pytest.approx(2.0)
    assert any("allocated by PHYSICAL_ALLOCATION" in n and "'product B'" in n for n in notes)


def test_causal_allocation_is_per_exchange(tmp_path: Path) -> None:
    factors = [{"@type": "AllocationFactor", "allocationType": "CAUSAL_ALLOCATION",
                "value": 0.3, "product": _ref("Flow", "f-a"), "exchange": {"internalId": 3}}]
    ents = _joint(defaultAllocationMethod="CAUSAL_ALLOCATION", allocationFactors=factors)
    template, _ = olca.import_template(_zip(tmp_path / "c.zip", ents))
    assert _num(template, "joint") == pytest.approx(3.0)


def test_co_products_without_a_factor_are_named_in_a_note(tmp_path: Path) -> None:
    """All burdens went to the reference without a word."""
    template, notes = olca.import_template(_zip(tmp_path / "n.zip", _joint()))
    assert _num(template, "joint") == pytest.approx(10.0)
    assert any("joint: co-products 'product B'" in n and "not allocated" in n for n in notes)


# 3. costs -----------------------------------------------------------------------------

def test_waste_and_emission_outputs_cost_and_a_treatments_waste_input_earns(
    tmp_path: Path,
) -> None:
    """A waste output's 200 and an emission's 50 JPY used to be revenue (1250 for 1000,
    cost 300 for 550); a treatment's gate fee on its reference waste input was a cost."""
    jpy = {"@type": "Currency", "@id": "jpy", "name": "JPY", "code": "JPY",
           "conversionFactor": 1.0}
    c = {"currency": _ref("Currency", "jpy")}
    ents = [*_mass(), ("currencies", jpy), _flow("f-a", "widget"), _flow("f-m", "steel"),
            _flow("f-w", "sludge", "WASTE_FLOW"), CO2,
            _process("maker", [_ex("f-a", 1.0, ref=True, costValue=1000.0, **c),
                               _ex("f-m", 2.0, inp=True, iid=2, costValue=300.0, **c),
                               _ex("f-w", 0.5, iid=3, costValue=200.0, **c),
                               _ex("f-co2", 3.0, iid=4, costValue=50.0, **c)]),
            _process("sludge treatment", [_ex("f-w", 1.0, inp=True, ref=True,
                                              costValue=80.0, **c),
                                          _ex("f-m", 0.1, inp=True, iid=2, costValue=5.0,
                                              **c)])]
    template, _ = olca.import_template(_zip(tmp_path / "cost.zip", ents))
    maker = template["processes"]["maker"]
    assert maker["cost"] == "550 JPY/kg" and maker["revenue"] == "1000 JPY/kg"
    treat = template["processes"]["sludge_treatment"]
    assert treat["revenue"] == "80 JPY/kg" and treat["cost"] == "5 JPY/kg"


# 4. openLCA 1.x categories ------------------------------------------------------------

@pytest.mark.parametrize("by_path", [True, False], ids=["categoryPath", "categories-folder"])
def test_a_category_reference_is_read_by_its_path(tmp_path: Path, by_path: bool) -> None:
    """A flow whose category is a reference (openLCA 1.x) lost its CO2 to air silently."""
    cat = {"@type": "Category", "@id": "c-uns", "name": "unspecified"}
    if by_path:
        cat["categoryPath"] = ["Elementary flows", "Emission to air"]
    folders = [("categories", {"@type": "Category", "@id": "c-ef", "name": "Elementary flows"}),
               ("categories", {"@type": "Category", "@id": "c-air", "name": "Emission to air",
                               "category": _ref("Category", "c-ef")}),
               ("categories", {"@type": "Category", "@id": "c-uns", "name": "unspecified",
                               "category": _ref("Category", "c-air")})]
    ents = [*_mass(), _flow("f-a", "widget"),
            _flow("f-co2", "Carbon dioxide, fossil", "ELEMENTARY_FLOW", cat),
            *([] if by_path else folders),
            _process("v1", [_ex("f-a", 1.0, ref=True), _ex("f-co2", 3.0, iid=2)])]
    template, notes = olca.import_template(_zip(tmp_path / "v1.zip", ents))
    assert _num(template, "v1") == pytest.approx(3.0)
    assert not notes


def test_a_category_reference_that_cannot_be_read_is_noted(tmp_path: Path) -> None:
    cat = {"@type": "Category", "@id": "c-gone"}
    ents = [*_mass(), _flow("f-a", "widget"),
            _flow("f-co2", "Carbon dioxide, fossil", "ELEMENTARY_FLOW", cat),
            _process("v1", [_ex("f-a", 1.0, ref=True), _ex("f-co2", 3.0, iid=2)])]
    _, notes = olca.import_template(_zip(tmp_path / "v1.zip", ents))
    assert any("flow 'Carbon dioxide, fossil' (f-co2): its category is a reference" in n
               for n in notes)


# 5. texts that are numbers ------------------------------------------------------------

@pytest.mark.parametrize("field", ["name", "@id", "category"])
def test_a_number_for_a_processs_text_is_refused_naming_it(tmp_path: Path, field: str
                                                           ) -> None:
    """A name 123 stopped the import with AttributeError: 'int' object has no attribute
    'strip'."""
    _, proc = _process("bad", [_ex("f-a", 1.0, ref=True)])
    proc[field] = 123
    path = _zip(tmp_path / "t.zip", [*_mass(), _flow("f-a", "widget")],
                {"processes/p-bad.json": json.dumps(proc).encode()})
    with pytest.raises(JunkanError, match=rf"t\.zip:processes/p-bad\.json: {field} is 123, "
                                          "not a"):
        olca.import_template(path)


# 6. what is not read is said ----------------------------------------------------------

def test_entries_and_entities_not_read_are_noted(tmp_path: Path) -> None:
    """A .JSON entry, a zip inside the zip and a process in flows/ were dropped unsaid."""
    good = _process("good", [_ex("f-a", 1.0, ref=True), _ex("f-co2", 3.0, iid=2)])
    stray = {**good[1], "@id": "p-stray", "name": "stray"}
    ents = [*_mass(), _flow("f-a", "widget"), CO2, good, ("flows", stray)]
    raw = {"processes/UPPER.JSON": json.dumps({**good[1], "@id": "p-up"}).encode(),
           "inner.zip": b"PK\x05\x06" + b"\0" * 18}
    template, notes = olca.import_template(_zip(tmp_path / "n.zip", ents, raw))
    assert list(template["processes"]) == ["good"]
    assert any("processes/UPPER.JSON" in n and "'.json'" in n for n in notes)
    assert any("'inner.zip'" in n and "zip inside the zip" in n for n in notes)
    assert any("flows/p-stray.json: @type 'Process' in flows/" in n for n in notes)


@pytest.mark.parametrize(("name", "gwp"), [("CO2", 1.0), ("CH4, fossil", 29.8),
                                           ("CO2, biogenic", 0.0), ("N2O", 273.0),
                                           ("Methane, dichlorodifluoro-, CFC-12", 0.0)])
def test_a_greenhouse_gas_named_by_its_formula_counts(tmp_path: Path, name: str, gwp: float
                                                      ) -> None:
    """An emission of a flow named 'CO2' counted 0 without a word; a CFC-12 counted as
    methane (29.8)."""
    ents = [*_mass(), _flow("f-a", "widget"), _flow("f-x", name, "ELEMENTARY_FLOW", AIR),
            _process("p", [_ex("f-a", 1.0, ref=True), _ex("f-x", 2.0, iid=2)])]
    template, _ = olca.import_template(_zip(tmp_path / "g.zip", ents))
    got = template["processes"]["p"].get("co2e")
    assert (float(got.split()[0]) if got else 0.0) == pytest.approx(2 * gwp)


# 7. formulas --------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["1_000 * 2**2", "2**2", "1_000", "0x10", "x ** 2"])
def test_python_only_formula_syntax_is_refused(text: str) -> None:
    """'1_000 * 2**2' used to be 4000."""
    with pytest.raises(ValueError, match=r"'\*\*' is Python's power|a Python number"):
        formula(text, {"x": 3.0})


def test_openlca_formula_syntax_still_evaluates() -> None:
    assert formula("x^2 + 1e3 - .5 + p_1", {"x": 3.0, "p_1": 1.0}) == pytest.approx(1009.5)


def test_a_python_only_formula_is_left_out_with_a_note(tmp_path: Path) -> None:
    emission = _ex("f-co2", 0.0, iid=2)
    emission.update(amount=None, amountFormula="1_000 * 2**2")
    ents = [*_mass(), _flow("f-a", "widget"), CO2,
            _process("p", [_ex("f-a", 1.0, ref=True), emission, _ex("f-co2", 1.0, iid=3)])]
    template, notes = olca.import_template(_zip(tmp_path / "f.zip", ents))
    assert _num(template, "p") == pytest.approx(1.0)
    assert any("'1_000 * 2**2'" in n and "'**' is Python's power" in n for n in notes)
