"""An olca-schema import counts or names every exchange it reads: none is left out of the
template without a note naming the process, the flow and why (review of the olca
import; one test per bug)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

o = pytest.importorskip("olca_schema")

from junkan.lifecycle import olca  # noqa: E402
from tests.lifecycle.test_olca_semantics import BASE, _factor, _zip  # noqa: E402


def _unit(name: str, factor: float) -> Any:
    return o.Unit(id=f"u-{name}", name=name, conversion_factor=factor)


def test_an_energy_input_in_kcal_counts_as_energy(tmp_path: Path) -> None:
    """500 000 kcal of heat (2 093 MJ) per t used to count 0 MJ: only MJ, kJ, GJ, Wh, kWh
    and MWh were read."""
    def heat(proc: Any, u: dict[str, Any]) -> None:
        power = next(e.flow for e in proc.exchanges if e.flow.id == "f-power")
        o.new_input(proc, o.Ref(ref_type=o.RefType.Flow, id=power.id, name="electricity"),
                    500_000.0, _unit("kcal", 0.004184))

    template, notes = olca.import_template(_zip(tmp_path, change=heat))
    assert _factor(template, "energy") == pytest.approx((1800 + 500_000 * 0.004184) / 1000)
    assert not notes


def test_an_energy_input_in_a_unit_junkan_cannot_read_is_named(tmp_path: Path) -> None:
    def odd(proc: Any, u: dict[str, Any]) -> None:
        power = next(e.flow for e in proc.exchanges if e.flow.id == "f-power")
        o.new_input(proc, power, 100.0, _unit("kWh (net)", 3.6))

    template, notes = olca.import_template(_zip(tmp_path, change=odd))
    assert _factor(template, "energy") == pytest.approx(1.8)  # the 500 kWh only
    assert any(n.startswith("steel making: energy input 'electricity' in 'kWh (net)', not "
                            "an energy unit junkan converts") and "left out" in n for n in notes)


def test_an_emission_in_ounces_counts_as_a_mass(tmp_path: Path) -> None:
    """An emission in a mass unit beyond kg, g, mg, t, Mg, kt and lb was left out as 'not a
    mass'."""
    def ounces(proc: Any, u: dict[str, Any]) -> None:
        co2 = next(e.flow for e in proc.exchanges if e.flow.id == "f-co2")
        o.new_output(proc, co2, 1000.0, _unit("oz", 0.028349523125))

    template, notes = olca.import_template(_zip(tmp_path, change=ounces))
    assert _factor(template) == pytest.approx(BASE + 28.349523125 / 1000)
    assert not notes


def test_an_exchange_without_a_flow_is_named(tmp_path: Path) -> None:
    def bare(proc: Any, u: dict[str, Any]) -> None:
        ex = o.new_output(proc, o.Ref(ref_type=o.RefType.Flow, id="f-co2"), 1.0, u["t"])
        ex.flow, ex.internal_id = None, 42

    template, notes = olca.import_template(_zip(tmp_path, change=bare))
    assert _factor(template) == pytest.approx(BASE)
    assert any("steel making: exchange #42 names no flow" in n for n in notes)


def test_a_greenhouse_gas_the_impact_category_leaves_out_is_named(tmp_path: Path) -> None:
    """With a climate category that characterises CO2 only, the 2 kg of methane counted 0
    without a word (as openLCA counts it: the category has no factor)."""
    cat = o.new_impact_category("Climate change (test)")
    cat.ref_unit = "kg CO2 eq"
    cat.impact_factors = [o.ImpactFactor(flow=o.Ref(ref_type=o.RefType.Flow, id="f-co2"),
                                         value=1.0)]
    template, notes = olca.import_template(_zip(tmp_path, extra=[cat]))
    assert _factor(template) == pytest.approx(1.5)
    assert any(n.startswith("steel making: flow 'Methane, fossil' (f-ch4): the impact "
                            "category has no factor for it") for n in notes)
