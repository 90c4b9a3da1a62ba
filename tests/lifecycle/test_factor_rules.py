"""A process's unit factor that cannot be read is refused under its rule, with the figures its
message quotes (the page says it in Japanese; it was English whatever the page's language):
a unit junkan does not know, a quantity it cannot read, another currency, a unit that is not
per piece, kg or t*km."""

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
