"""A process's unit factor that cannot be read is refused under its rule, with the figures its
message quotes (the page says it in Japanese; it was English whatever the page's language):
a unit junkan does not know, a quantity it cannot read, another currency, a unit that is not
per piece, kg or t*km, and one that is but of an amount of another kind."""

from __future__ import annotations

import copy
import json

import pytest

from junkan.core.errors import ModelError
from junkan.lifecycle import load_model
from tests.conftest import SMALL
from tests.core.test_rule_codes import _says_its_rule

CASES = [
    ("co2e", "5 blorb/piece", "unknown-unit", {"name": "'blorb'", "value": "'5 blorb/piece'"}),
    ("co2e", "abc", "quantity-unreadable", {"value": "'abc'"}),
    ("revenue", "90 USD/piece", "factor-currency",
     {"value": "'90 USD/piece'", "other": "USD", "currency": "JPY"}),
    ("co2e", "5 kg", "factor-basis", {"value": "'5 kg'", "unit": "kg"}),
    # per kg indeed, but an amount of another kind: the message named the basis (review 315)
    ("co2e", "3 kWh/kg", "factor-numerator",
     {"kind": "an energy (MJ, kWh)", "basis": "kg", "wanted": "a CO2e mass (kgCO2e, tCO2e)"}),
    ("energy", "3 kgCO2e/(t*km)", "factor-numerator",
     {"kind": "a CO2e mass (kgCO2e, tCO2e)", "basis": "t*km", "wanted": "an energy (MJ, kWh)"}),
    ("cost", "100 kg/piece", "factor-numerator",
     {"kind": "a mass (kg, t)", "basis": "piece", "wanted": "an amount in JPY"}),
    ("co2e", "100 JPY/kg", "factor-numerator", {"kind": "an amount in JPY", "basis": "kg"}),
]


@pytest.mark.parametrize(("factor", "value", "code", "params"), CASES,
                         ids=[c[2] for c in CASES])
def test_a_process_factor_is_refused_under_its_rule(factor: str, value: str, code: str,
                                                    params: dict[str, str]) -> None:
    doc = copy.deepcopy(SMALL)
    doc["processes"]["assembly"][factor] = value
    with pytest.raises(ModelError) as err:
        load_model(text=json.dumps(doc), source="bad.json")
    (p,) = err.value.problems
    assert (p.path, p.kind) == (f"processes.assembly.{factor}", code)
    assert p.limits is not None and {k: p.limits[k] for k in params} == params
    _says_its_rule(p)


def test_sales_beyond_the_magnitude_limit_say_the_limit() -> None:
    """Past bug: sales of 5e15 (a valid number) were refused as "cannot read 5e+15 as units
    per year"; the refusal now names the limit and its variable, under its rule."""
    doc = copy.deepcopy(SMALL)
    doc["products"]["widget"]["sales"] = 5e15  # within the document limit (2**53)
    with pytest.raises(ModelError) as err:
        load_model(text=json.dumps(doc), source="bad.json")
    (p,) = err.value.problems
    assert (p.path, p.kind) == ("products.widget.sales", "quantity-too-large")
    assert "JUNKAN_LIMIT_QUANTITY_MAGNITUDE" in p.message
    _says_its_rule(p)
