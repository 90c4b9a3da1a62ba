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


def test_an_export_says_its_years_and_a_window_has_its_own_ids(tmp_path: Path) -> None:
    """A --years export had the ids and names of the whole horizon's and neither said its
    years: imported into one openLCA database, one replaced the other."""
    from olca_schema import zipio

    from junkan import lifecycle
    from tests.lifecycle.test_optimise import MODEL

    result = lifecycle.run(lifecycle.load(text=MODEL, source="kettle.yaml"))
    first, last = int(result.years[0]), int(result.years[-1])

    def pickup(path: Path) -> Any:
        with zipio.ZipReader(path) as r:
            procs = [r.read_process(i) for i in r.ids_of(o.Process)]
        return next(p for p in procs if p and p.name.startswith("pickup ("))

    whole = pickup(olca.export_inventory(result, tmp_path / "all.zip", name="k"))
    again = pickup(olca.export_inventory(result, tmp_path / "same.zip", name="k",
                                         years=(first, last)))
    one = pickup(olca.export_inventory(result, tmp_path / "one.zip", name="k",
                                       years=(first + 1, first + 1)))
    assert again.id == whole.id  # the whole horizon named as a window: the same totals
    assert one.id != whole.id and one.name == f"pickup (k-{first + 1}-{first + 1})"
    assert f"activity over {first}–{last}," in whole.description
    assert f"activity over {first + 1}–{first + 1}," in one.description
    doc = one.process_documentation
    assert (doc.valid_from, doc.valid_until) == (f"{first + 1}-01-01", f"{first + 1}-12-31")
