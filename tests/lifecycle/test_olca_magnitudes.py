"""An openLCA zip whose JSON gives a key twice in one object, or whose amounts, costs or
characterisation factors are absurdly large, is refused naming the member, the process, the
flow and the value, never read as the last key or written into the template as inf or 1e300
(review of the olca import: one test per bug)."""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import pytest

from junkan.core.errors import JunkanError
from junkan.lifecycle.olca_read import read_zip
from tests.lifecycle.test_olca_refusals import KG, _flow, _process

o = pytest.importorskip("olca_schema")

from junkan.lifecycle import olca  # noqa: E402

CO2 = {"@type": "Flow", "@id": "co2", "name": "carbon dioxide",
       "flowType": "ELEMENTARY_FLOW", "category": "Elementary flows/Emission to air"}


def _zip(path: Path, members: dict[str, object]) -> Path:
    members = {"flows/f-0.json": _flow("f-0", "product 0"),
               "flows/f-1.json": _flow("f-1", "product 1"), **members}
    with zipfile.ZipFile(path, "w") as zf:
        for name, doc in members.items():
            zf.writestr(name, doc if isinstance(doc, str) else json.dumps(doc))
    return path


def _smelter(amount: float, ref: float = 1.0, cost: float | None = None,
             unit: dict = KG) -> dict:
    proc = _process("p1", "smelter")
    proc["exchanges"][0]["amount"] = ref
    proc["exchanges"][1] = {"@type": "Exchange", "internalId": 2, "isInput": False,
                            "amount": amount, "unit": unit, "flow": CO2}
    if cost is not None:
        proc["exchanges"][1].update(costValue=cost, currency={"@id": "jpy", "name": "JPY"})
    return proc


def _no_inf(template: dict) -> None:
    for proc in template.get("processes", {}).values():
        for key in ("co2e", "energy", "cost", "revenue"):
            if key in proc:
                assert math.isfinite(float(proc[key].split()[0]))


def test_a_key_given_twice_in_an_entity_is_refused_naming_member_and_key(
    tmp_path: Path,
) -> None:
    """Used to keep the last amount silently (``json.loads``)."""
    text = json.dumps(_smelter(2.0)).replace('"amount": 2.0', '"amount": 2.0, "amount": 5.0')
    path = _zip(tmp_path / "twice.zip", {"processes/p1.json": text})
    with pytest.raises(JunkanError) as err:
        read_zip(path)
    said = str(err.value)
    assert "processes/p1.json" in said and "'amount'" in said and "twice" in said
    assert "exchanges[1]" in said  # where in the entity
    with pytest.raises(JunkanError, match="processes/p1.json.*'amount'.*twice"):
        olca.import_template(path)


def test_a_key_given_twice_at_the_top_of_an_entity_is_refused(tmp_path: Path) -> None:
    text = json.dumps(_flow("f-9", "x")).replace('"name": "x"', '"name": "x", "name": "y"')
    path = _zip(tmp_path / "top.zip", {"flows/f-9.json": text})
    with pytest.raises(JunkanError, match=r"flows/f-9\.json: the key 'name' is given twice"):
        read_zip(path)


@pytest.mark.parametrize("amount", [1e300, -1e16])
def test_an_absurd_exchange_amount_is_refused_naming_process_flow_and_value(
    tmp_path: Path, amount: float,
) -> None:
    """1e300 kg CO2 used to be written into the template as a factor of 1e300."""
    path = _zip(tmp_path / "big.zip", {"processes/p1.json": _smelter(amount)})
    with pytest.raises(JunkanError) as err:
        olca.import_template(path)
    said = str(err.value)
    assert "processes/p1.json" in said and "smelter" in said and "carbon dioxide" in said
    assert f"{amount:g}" in said and "JUNKAN_LIMIT_QUANTITY_MAGNITUDE" in said


def test_an_amount_within_the_limit_still_imports(tmp_path: Path) -> None:
    path = _zip(tmp_path / "ok.zip", {"processes/p1.json": _smelter(1e12)})
    template, _ = olca.import_template(path)
    assert template["processes"]["smelter"]["co2e"] == "1e+12 kgCO2e/kg"


def test_the_limit_applies_to_an_amount_in_kg_as_junkan_keeps_it(tmp_path: Path) -> None:
    """As everywhere in junkan, the magnitude limit is of the value once in kg (or MJ):
    1e16 g (1e13 kg) imports, 1e19 g (1e16 kg) is refused saying both."""
    grams = {"@type": "Unit", "@id": "g", "name": "g"}
    ok = _zip(tmp_path / "g.zip", {"processes/p1.json": _smelter(1e16, unit=grams)})
    template, _ = olca.import_template(ok)
    assert template["processes"]["smelter"]["co2e"] == "1e+13 kgCO2e/kg"
    big = _zip(tmp_path / "g_big.zip", {"processes/p1.json": _smelter(1e19, unit=grams)})
    with pytest.raises(JunkanError, match=r"the amount 1e\+19 g, converted, is 1e\+16"):
        olca.import_template(big)


def test_an_absurd_reference_amount_is_refused(tmp_path: Path) -> None:
    path = _zip(tmp_path / "ref.zip", {"processes/p1.json": _smelter(1.0, ref=1e300)})
    with pytest.raises(JunkanError, match=r"'smelter': exchange 'reference': the amount "
                                          r"in kg is 1e\+300"):
        olca.import_template(path)


def test_an_absurd_amount_from_a_formula_is_refused(tmp_path: Path) -> None:
    proc = _smelter(1.0)
    del proc["exchanges"][1]["amount"]
    proc["exchanges"][1]["amountFormula"] = "1e200 * 1e200"
    path = _zip(tmp_path / "formula.zip", {"processes/p1.json": proc})
    with pytest.raises(JunkanError, match=r"'carbon dioxide': the amount in kg \(the "
                                          r"formula '1e200 \* 1e200'\) is inf"):
        olca.import_template(path)  # was left out with a note, as if it could not be read
    proc["exchanges"][1]["amountFormula"] = "10 ^ 400"  # OverflowError, refused the same
    path = _zip(tmp_path / "formula_pow.zip", {"processes/p1.json": proc})
    with pytest.raises(JunkanError, match=r"formula '10 \^ 400'\) is inf"):
        olca.import_template(path)
    proc["exchanges"][1]["amountFormula"] = "1e10 * 1e10"
    path = _zip(tmp_path / "formula2.zip", {"processes/p1.json": proc})
    with pytest.raises(JunkanError, match=r"amount in kg \(the formula '1e10 \* 1e10'\) "
                                          r"is 1e\+20"):
        olca.import_template(path)


def test_a_factor_that_overflows_by_a_tiny_reference_is_refused_never_inf(
    tmp_path: Path,
) -> None:
    """Each number within the limit, the factor per unit of reference 1e14 / 1e-300 is
    inf: it used to be refused as 'not an olca-schema process'; now it names the value."""
    path = _zip(tmp_path / "tiny.zip", {"processes/p1.json": _smelter(1e14, ref=1e-300)})
    with pytest.raises(JunkanError, match=r"p1\.json: process 'smelter': co2e per kg of its "
                                          r"reference .* is inf"):
        olca.import_template(path)


def test_an_absurd_cost_value_is_refused(tmp_path: Path) -> None:
    path = _zip(tmp_path / "cost.zip", {"processes/p1.json": _smelter(1.0, cost=1e300),
                                        "currencies/jpy.json": {"@id": "jpy", "code": "JPY"}})
    with pytest.raises(JunkanError, match=r"process 'smelter': cost value of exchange "
                                          r"'carbon dioxide' is 1e\+300"):
        olca.import_template(path)


def test_an_absurd_characterisation_factor_is_refused_naming_category_and_flow(
    tmp_path: Path,
) -> None:
    category = {"@type": "ImpactCategory", "@id": "gwp", "name": "Climate change",
                "refUnit": "kg CO2 eq",
                "impactFactors": [{"@type": "ImpactFactor", "value": 1e300, "unit": KG,
                                   "flow": {"@id": "co2", "name": "carbon dioxide"}}]}
    path = _zip(tmp_path / "cf.zip", {"processes/p1.json": _smelter(1.0),
                                      "lcia_categories/gwp.json": category})
    with pytest.raises(JunkanError) as err:
        olca.import_template(path)
    said = str(err.value)
    assert "'Climate change'" in said and "carbon dioxide" in said and "1e+300" in said
    big = dict(category, refUnit="t CO2 eq",  # within the limit, beyond once in kg
               impactFactors=[dict(category["impactFactors"][0], value=1e13)])
    path = _zip(tmp_path / "cf_t.zip", {"processes/p1.json": _smelter(1.0),
                                        "lcia_categories/gwp.json": big})
    with pytest.raises(JunkanError, match="1e\\+13 t CO2 eq, is 1e\\+16"):
        olca.import_template(path)
    ok = dict(category, impactFactors=[dict(category["impactFactors"][0], value=1.0)])
    template, _ = olca.import_template(_zip(tmp_path / "ok.zip", {
        "processes/p1.json": _smelter(2.0), "lcia_categories/gwp.json": ok}))
    _no_inf(template)
    assert template["processes"]["smelter"]["co2e"] == "2 kgCO2e/kg"
