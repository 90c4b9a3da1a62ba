"""Review 253 (hostile CLI) of ``olca import``'s words: a climate category without a
reference unit was "reference unit None", with advice to choose another where there was none;
two parameters defined by each other were "too long or too deeply dependent"; a reference
amount of 0 was "no quantitative reference with an amount"."""

from __future__ import annotations

from pathlib import Path

import pytest

from junkan.core.errors import JunkanError

o = pytest.importorskip("olca_schema")

from tests.lifecycle.test_olca_review2 import CO2, KG, _ex, _flow, _import  # noqa: E402


def _steel(amount: float = 1.0, **more: object) -> tuple[o.Flow, o.Process]:
    a = _flow("steel")
    p = o.new_process("making")
    _ex(p, a, amount, KG, ref=True, **more)
    _ex(p, CO2, 2.0, KG)
    return a, p


@pytest.mark.parametrize(("unit", "said"), [
    (None, "has no reference unit (refUnit)"),
    ("kg SO2 eq", "has the reference unit 'kg SO2 eq', not kg (or g, t) CO2 eq")])
def test_a_climate_category_without_a_co2_unit_is_named(tmp_path: Path, unit: str | None,
                                                        said: str) -> None:
    cat = o.new_impact_category("Climate change")
    cat.ref_unit = unit
    cat.impact_factors = [o.ImpactFactor(flow=o.as_ref(CO2), value=1.0)]
    with pytest.raises(JunkanError) as exc:
        _import(tmp_path, cat, *_steel())
    text = str(exc.value)
    assert f"impact category 'Climate change' (@id {cat.id!r}) {said}; give it 'kg CO2 eq' in " \
        "openLCA and export again" in text, text
    assert "--impact" not in text  # the zip has no other category to choose


def test_parameters_in_a_cycle_are_said_to_be(tmp_path: Path) -> None:
    params = [o.Parameter(name="a", formula="b + 1", is_input_parameter=False),
              o.Parameter(name="b", formula="a * 2", is_input_parameter=False)]
    a, p = _steel(amount_formula="a")
    p.exchanges[0].amount = None  # the formula alone gives it
    p.parameters = params
    with pytest.raises(JunkanError, match="cannot be evaluated \\(parameters that depend on "
                       "each other in a cycle \\(a → b → a\\)\\)"):
        _import(tmp_path, a, p)  # its only process, so the import stops, saying why


def test_a_reference_amount_of_0_is_said_to_be(tmp_path: Path) -> None:
    a, p = _steel(amount=0.0)
    b = _flow("wire")
    q = o.new_process("drawing")
    _ex(q, b, 1.0, KG, ref=True)
    t, notes = _import(tmp_path, a, p, b, q)
    assert list(t["processes"]) == ["drawing"]
    assert "making: reference amount 0, no basis for factors per unit; skipped" in notes, notes
