"""Second review of the openLCA import, against olca-core: avoided flows are allocated
and keep their cost side (CalcExchange since openLCA 2.4.1), a second exchange of the
reference flow adds to the reference (InventoryBuilder), an amount in its own flow property
is read in it when the reference property is no basis or no energy, a unit group's factors
are relative to its reference unit's, and a reference that is not a product output or waste
input is skipped (TechFlow.of). Each test failed before its fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("olca_schema")

import olca_schema as o  # noqa: E402
from olca_schema import zipio  # noqa: E402

from junkan.lifecycle import olca  # noqa: E402

AIR = "Elementary flows/Emission to air/unspecified"


def _unit(name: str, factor: float, ref: bool = False) -> o.Unit:
    return o.Unit(id=f"u-{name}", name=name, conversion_factor=factor, is_ref_unit=ref)


def _group(name: str, *units: o.Unit) -> tuple[o.UnitGroup, o.FlowProperty]:
    g = o.UnitGroup(id=f"g-{name}", name=name, units=list(units))
    return g, o.FlowProperty(id=f"fp-{name}", name=name, unit_group=o.as_ref(g))


KG, G, T, MJ, M3, L = (_unit("kg", 1.0, True), _unit("g", 0.001), _unit("t", 1000.0),
                       _unit("MJ", 1.0, True), _unit("m3", 1.0, True), _unit("L", 0.001))
MASS, ENERGY, VOLUME = _group("mass", KG, G, T), _group("energy", MJ), _group("volume", M3, L)
JPY = o.Currency(id="jpy", name="JPY", code="JPY", conversion_factor=1.0)


def _flow(name: str, kind: o.FlowType = o.FlowType.PRODUCT_FLOW,
          props: list[tuple[o.FlowProperty, float]] | None = None, cat: str | None = None
          ) -> o.Flow:
    props = props or [(MASS[1], 1.0)]
    return o.Flow(id=f"f-{name}", name=name, flow_type=kind, category=cat, flow_properties=[
        o.FlowPropertyFactor(flow_property=o.as_ref(p), conversion_factor=c,
                             is_ref_flow_property=i == 0) for i, (p, c) in enumerate(props)])


CO2 = _flow("Carbon dioxide, fossil", o.FlowType.ELEMENTARY_FLOW, cat=AIR)


def _ex(p: o.Process, f: o.Flow, amount: float, unit: o.Unit, *, inp: bool = False,
        ref: bool = False, **more: Any) -> o.Exchange:
    e = o.new_input(p, f, amount, unit) if inp else o.new_output(p, f, amount, unit)
    e.is_quantitative_reference = ref or None
    for k, v in more.items():
        setattr(e, k, v)
    return e


def _import(tmp_path: Path, *entities: Any) -> tuple[dict[str, Any], list[str]]:
    path = tmp_path / "r.zip"
    with zipio.ZipWriter(str(path)) as w:
        for x in (*MASS, *ENERGY, *VOLUME, JPY, CO2, *entities):
            w.write(x)
    return olca.import_template(path)


def _num(t: dict[str, Any], key: str) -> float:
    return float(t["processes"]["p"][key].split()[0])


def test_avoided_flows_are_allocated_and_keep_their_cost_side(tmp_path: Path) -> None:
    """The avoided 200 MJ of heat was -200 MJ/kg (not allocated), its 100 JPY -100."""
    a, b = _flow("A"), _flow("B")
    heat = _flow("heat", props=[(ENERGY[1], 1.0)])
    p = o.new_process("p")
    _ex(p, a, 1.0, KG, ref=True)
    _ex(p, b, 1.0, KG)
    _ex(p, heat, 200.0, MJ, inp=True, is_avoided_product=True, cost_value=100.0,
        currency=o.as_ref(JPY))
    _ex(p, CO2, 10.0, KG)
    p.default_allocation_method = o.AllocationType.PHYSICAL_ALLOCATION
    o.new_physical_allocation_factor(p, a, 0.25)
    o.new_physical_allocation_factor(p, b, 0.75)
    t, _ = _import(tmp_path, a, b, heat, p)
    assert (_num(t, "co2e"), _num(t, "energy"), _num(t, "cost")) == \
        pytest.approx((2.5, -50.0, 25.0))


def test_a_second_exchange_of_the_reference_flow_adds_to_the_reference(tmp_path: Path
                                                                        ) -> None:
    """1 + 0.5 kg of A with 10 kg CO2 was 10 kg/kg and A a co-product of itself."""
    a = _flow("A")
    p = o.new_process("p")
    _ex(p, a, 1.0, KG, ref=True)
    _ex(p, a, 500.0, G)
    _ex(p, CO2, 10.0, KG)
    t, notes = _import(tmp_path, a, p)
    assert _num(t, "co2e") == pytest.approx(10 / 1.5)
    assert not any("co-products" in n for n in notes)


def test_amounts_in_their_own_flow_property(tmp_path: Path) -> None:
    """360 MJ of a gas measured in m3 was no energy; a reference of 400 kg of an oil
    measured in m3 was skipped as 'not a mass' (both imported before d0f1484)."""
    gas = _flow("gas", props=[(VOLUME[1], 1.0), (ENERGY[1], 36.0)])
    oil = _flow("oil", props=[(VOLUME[1], 1.0), (MASS[1], 800.0)])
    p = o.new_process("p")
    _ex(p, oil, 400.0, KG, ref=True, flow_property=o.as_ref(MASS[1]))
    _ex(p, gas, 360.0, MJ, inp=True, flow_property=o.as_ref(ENERGY[1]))
    _ex(p, CO2, 8.0, KG)
    t, _ = _import(tmp_path, gas, oil, p)
    assert (_num(t, "co2e"), _num(t, "energy")) == pytest.approx((0.02, 0.9))


def test_units_are_relative_to_the_groups_reference_unit(tmp_path: Path) -> None:
    """A group whose reference unit t has factor 1000 made kg (factor 1) a tonne: 5, not
    0.005 kg CO2 per kg (d0f1484^ gave 0.005)."""
    kg, t = _unit("kg", 1.0), _unit("t", 1000.0, True)
    kg.id, t.id = "u-kg2", "u-t2"
    grp, prop = _group("odd", kg, t)
    x = _flow("X", props=[(prop, 1.0)])
    c = _flow("Carbon dioxide, odd", o.FlowType.ELEMENTARY_FLOW, [(prop, 1.0)], AIR)
    p = o.new_process("p")
    _ex(p, x, 2.0, t, ref=True)
    _ex(p, c, 10.0, kg)
    tmpl, _ = _import(tmp_path, grp, prop, x, c, p)
    assert _num(tmpl, "co2e") == pytest.approx(0.005)


def test_a_reference_that_is_no_provider_flow_is_skipped(tmp_path: Path) -> None:
    a, w = _flow("A"), _flow("slag", o.FlowType.WASTE_FLOW)
    procs = []
    for name, flow, inp in (("p", a, False), ("use", a, True), ("dump", w, False)):
        p = o.new_process(name)
        _ex(p, flow, 1.0, KG, inp=inp, ref=True)
        _ex(p, CO2, 2.0, KG)
        procs.append(p)
    t, notes = _import(tmp_path, a, w, *procs)
    assert list(t["processes"]) == ["p"]
    assert sum("not a product output or waste input" in n for n in notes) == 2


def test_a_cost_formula_is_evaluated_as_openlca_does(tmp_path: Path) -> None:
    """A cost formula was ignored without a note; openLCA evaluates it (it replaces the
    cost value). One that cannot be evaluated is noted."""
    a, steel = _flow("A"), _flow("steel")
    p = o.new_process("p")
    p.parameters = [o.Parameter(name="price", value=120.0, is_input_parameter=True)]
    _ex(p, a, 1.0, KG, ref=True)
    _ex(p, steel, 2.0, KG, inp=True, cost_value=1.0, cost_formula="2 * price",
        currency=o.as_ref(JPY))
    t, _ = _import(tmp_path, a, steel, p)
    assert _num(t, "cost") == pytest.approx(240.0)
    p.exchanges[1].cost_formula = "2 * nope"
    (tmp_path / "again").mkdir()
    t, notes = _import(tmp_path / "again", a, steel, p)
    assert _num(t, "cost") == pytest.approx(1.0)
    assert any("cost formula '2 * nope'" in n and "cost value is used" in n for n in notes)


def test_a_reference_formula_that_cannot_be_evaluated_says_why(tmp_path: Path) -> None:
    """A reference amount given only by a formula that cannot be evaluated skipped the
    process as having "no quantitative reference with an amount", without the formula or
    the reason (review 212)."""
    a = _flow("A")
    p = o.new_process("p")
    _ex(p, a, 1.0, KG, ref=True, amount_formula="2 * nope").amount = None
    q = o.new_process("q")
    _ex(q, a, 1.0, KG, ref=True)
    t, notes = _import(tmp_path, a, p, q)
    assert list(t["processes"]) == ["q"]
    said = [n for n in notes if n.startswith("p: ")]
    assert any("'2 * nope'" in n and "cannot be evaluated" in n and "nope" in n.split(
        "evaluated", 1)[1] for n in said), said
    assert said[-1] == "p: no quantitative reference with an amount; skipped", said


def test_the_last_of_two_factors_for_the_reference_counts(tmp_path: Path) -> None:
    """openLCA keeps the last factor given twice for one product and method (a map put);
    the first was taken."""
    a, b = _flow("A"), _flow("B")
    p = o.new_process("p")
    _ex(p, a, 1.0, KG, ref=True)
    _ex(p, b, 1.0, KG)
    _ex(p, CO2, 10.0, KG)
    p.default_allocation_method = o.AllocationType.PHYSICAL_ALLOCATION
    o.new_physical_allocation_factor(p, a, 0.5)
    o.new_physical_allocation_factor(p, a, 0.2)
    o.new_physical_allocation_factor(p, b, 0.8)
    t, _ = _import(tmp_path, a, b, p)
    assert _num(t, "co2e") == pytest.approx(2.0)
