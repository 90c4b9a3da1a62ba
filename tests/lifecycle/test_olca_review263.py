"""Energy inputs measured in another quantity (review 263): natural gas in m3 whose flow gives
its energy content counts that energy, as openLCA converts between a flow's properties; an
amount in a flow property its flow does not have is left out with a note."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

o = pytest.importorskip("olca_schema")

from junkan.lifecycle import olca  # noqa: E402
from tests.lifecycle.test_olca_semantics import _factor, _units, _zip  # noqa: E402

STEEL_MJ = 1800 / 1000  # the sample's 500 kWh per t of steel, in MJ per kg


def _gas(u: dict[str, Any], energy_per_m3: float | None) -> tuple[list[Any], Any, Any]:
    """A volume group (m3, l) and natural gas measured in m3, with an Energy flow property
    of ``energy_per_m3`` MJ per m3 (none: no energy property)."""
    m3 = o.Unit(id="u-m3", name="m3", conversion_factor=1.0, is_ref_unit=True)
    litre = o.Unit(id="u-l", name="l", conversion_factor=1e-3)
    vol_g = o.UnitGroup(id="ug-vol", name="Units of volume", units=[m3, litre])
    volume = o.FlowProperty(id="fp-vol", name="Volume", unit_group=o.as_ref(vol_g))
    gas = o.new_product("natural gas", volume)
    gas.id = "f-gas"
    if energy_per_m3 is not None:
        gas.flow_properties.append(o.FlowPropertyFactor(
            flow_property=o.as_ref(u["energy"]), conversion_factor=energy_per_m3))
    return [vol_g, volume, gas], gas, litre


@pytest.mark.parametrize(("amount", "unit", "mj"), [(2.0, "m3", 72.0), (500.0, "l", 18.0)])
def test_gas_in_volume_counts_its_energy_content(tmp_path: Path, amount: float, unit: str,
                                                 mj: float) -> None:
    """2 m3 of a gas of 36 MJ per m3 counted 0 MJ, with no note."""
    u = _units()
    extra, gas, litre = _gas(u, 36.0)
    units = {"m3": None, "l": litre}

    def burn(proc: Any, _: dict[str, Any]) -> None:
        o.new_input(proc, gas, amount, units[unit])

    template, notes = olca.import_template(_zip(tmp_path, extra=extra, change=burn))
    assert _factor(template, "energy") == pytest.approx(STEEL_MJ + mj / 1000)
    assert any("'natural gas'" in n and "counted as energy through its flow's energy "
               "property" in n for n in notes), notes


def test_gas_without_an_energy_content_counts_nothing(tmp_path: Path) -> None:
    u = _units()
    extra, gas, _ = _gas(u, None)
    template, notes = olca.import_template(_zip(
        tmp_path, extra=extra, change=lambda proc, _: o.new_input(proc, gas, 2.0)))
    assert _factor(template, "energy") == pytest.approx(STEEL_MJ)
    assert not any("natural gas" in n for n in notes)


def test_an_amount_in_a_property_its_flow_lacks_is_left_out(tmp_path: Path) -> None:
    """5 MJ of iron scrap (a flow measured only in mass) added 5 MJ of energy."""
    u = _units()
    scrap = o.new_product("iron scrap", u["mass"])
    scrap.id = "f-scrap"

    def in_mj(proc: Any, _: dict[str, Any]) -> None:
        e = o.new_input(proc, scrap, 5.0, u["mj"])
        e.flow_property = o.as_ref(u["energy"])

    template, notes = olca.import_template(_zip(tmp_path, extra=[scrap], change=in_mj))
    assert _factor(template, "energy") == pytest.approx(STEEL_MJ)
    assert any("'iron scrap' is given in flow property 'Energy', which its flow does not "
               "have" in n and n.endswith("left out") for n in notes), notes
