"""CTI, ISO 59020, ESRS E5 and RAP: hand-worked examples, null rules, consistency rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from junkan.core.errors import ModelError
from junkan.indicators import compute, load_flow_model
from junkan.indicators.esrs_e5 import check_waste_table, waste_table
from junkan.indicators.rap import worked_example
from junkan.indicators.values import IndicatorInputError

DOC = {
    "name": "acme",
    "inflows": [
        {"name": "A", "mass": "600 t", "recycled": 0.5},
        {"name": "B", "mass": "400 t", "renewable": 0.25, "critical": True,
         "biological": True},
    ],
    "outflows": [
        {"name": "scrap", "mass": "500 t", "route": "recycling", "recovery_potential": 0.8,
         "actual_recovery": 0.5},
        {"name": "residue", "mass": "300 t", "route": "landfill", "actual_recovery": 0},
    ],
    "energy": {"total": "400 MWh", "renewable": "100 MWh"},
    "water": {"withdrawn": "100 m**3", "withdrawn_circular": "20 m**3",
              "recirculated": "25 m**3", "discharged": "80 m**3",
              "discharged_at_quality": "60 m**3"},
    "finance": {"revenue": 1.2e9, "value_added": 3e8, "variable_circulation_cost": 1e8,
                "capex": [{"name": "line", "amount": 4e8, "legal_service_life": "8 year"}]},
}


def _values(doc: dict) -> dict[str, float | None]:
    res = compute(load_flow_model(doc=doc))
    return {i.key: i.value for inds in res.values() for i in inds}


def test_cti_worked_example() -> None:
    v = _values(DOC)
    # circular inflow: A 600·0.5 = 300 t, B 400·0.25 = 100 t → 400/1000 = 0.4
    assert v["cti.circular_inflow"] == pytest.approx(0.4)
    # circular outflow: 500·0.8·0.5 = 200 t of 800 t → 0.25
    assert v["cti.circular_outflow"] == pytest.approx(0.25)
    # circularity: (400 + 200)/(1000 + 800) = 1/3
    assert v["cti.circularity"] == pytest.approx(1 / 3)
    # critical share of the LINEAR inflow: B is critical, its linear part 400·0.75 = 300 t;
    # linear inflow = A 600·0.5 + B 300 = 600 t → 300/600 = 0.5
    assert v["cti.critical_material"] == pytest.approx(0.5)
    # productivity: 1.2e9 JPY / linear (1000 − 400 = 600 t) = 2e6 JPY/t
    assert v["cti.circular_material_productivity"] == pytest.approx(2e6)
    assert v["cti.renewable_energy"] == pytest.approx(0.25)
    # onsite circulation in cycles: total use (100 + 25) / withdrawn 100 = 1.25
    assert v["cti.water_onsite_circulation"] == pytest.approx(1.25)
    assert v["cti.water_circular_withdrawal"] == pytest.approx(0.2)
    assert v["cti.water_circular_discharge"] == pytest.approx(0.75)
    assert v["cti.recovery_type.recycling"] == pytest.approx(1.0)


def test_energy_by_source() -> None:
    import copy

    doc = copy.deepcopy(DOC)
    doc["energy"] = {"by_source": [{"source": "grid", "amount": "300 MWh"},
                                   {"source": "solar", "amount": "100000 kWh",
                                    "renewable": True}]}
    assert _values(doc)["cti.renewable_energy"] == pytest.approx(0.25)
    doc["energy"]["total"] = "500 MWh"
    with pytest.raises(ModelError, match="differs from the sum of by_source"):
        load_flow_model(doc=doc)


def test_iso59020_and_esrs_inflows() -> None:
    v = _values(DOC)
    assert v["iso59020.inflow_recycled"] == pytest.approx(0.3)  # 300/1000
    assert v["iso59020.inflow_renewable"] == pytest.approx(0.1)  # 100/1000
    # recycled outflow = m · RP · AR = 500·0.8·0.5 = 200 t of 800 t
    assert v["iso59020.outflow_recycled"] == pytest.approx(0.25)
    assert v["esrs_e5.4.secondary_share"] == pytest.approx(0.3)
    assert v["esrs_e5.4.biological_sustainably_sourced"] == pytest.approx(0.25)


def test_rap_value() -> None:
    # RAP = 3e8 / (1e8 + 4e8/8/1) = 3e8/1.5e8 = 2
    assert _values(DOC)["rap"] == pytest.approx(2.0)


def test_rap_and_material_productivity_rank_strategies_differently() -> None:
    ex = worked_example()
    # recycle: RAP 300/(100 + 400/8) = 2.0, CMP 1000/200 = 5.0
    # reuse:   RAP 240/(90 + 40/8/1.5) = 2.571…, CMP 600/700 = 0.857…
    assert ex["recycle"]["rap"] == pytest.approx(2.0)
    assert ex["reuse"]["rap"] == pytest.approx(240 / (90 + 40 / 8 / 1.5))
    assert ex["reuse"]["rap"] > ex["recycle"]["rap"]
    assert ex["recycle"]["circular_material_productivity"] > \
        ex["reuse"]["circular_material_productivity"]


def test_zero_denominators_give_null_with_reason() -> None:
    res = compute(load_flow_model(doc={"name": "empty"}))
    ind = {i.key: i for inds in res.values() for i in inds}
    assert ind["cti.circular_inflow"].value is None
    assert "zero" in (ind["cti.circular_inflow"].reason or "")
    assert ind["cti.circularity"].value is None


def test_esrs_waste_table_example() -> None:
    # 1,000 t = diverted 550 (reuse 50, recycling 400, other 100)
    #         + disposed 450 (incineration 150, landfill 250, other 50); non-recycled 600 t
    doc = {"name": "w", "outflows": [
        {"name": "r", "mass": "50 t", "route": "reuse"},
        {"name": "c", "mass": "400 t", "route": "recycling"},
        {"name": "o", "mass": "100 t", "route": "other_recovery"},
        {"name": "i", "mass": "150 t", "route": "incineration", "hazardous": True},
        {"name": "l", "mass": "250 t", "route": "landfill"},
        {"name": "x", "mass": "50 t", "route": "other_disposal"}]}
    t = waste_table(load_flow_model(doc=doc))
    assert t["total_t"] == pytest.approx(1000)
    assert t["diverted"]["total"] == pytest.approx(550)
    assert t["disposed"]["total"] == pytest.approx(450)
    assert t["non_recycled_t"] == pytest.approx(600)
    assert t["hazardous_t"] == pytest.approx(150)
    v = _values(doc)
    assert v["esrs_e5.5.waste_non_recycled_share"] == pytest.approx(0.6)


def test_esrs_rules_are_enforced() -> None:
    doc = {"name": "w", "outflows": [{"name": "e", "mass": "5 t", "route": "export"}]}
    with pytest.raises(IndicatorInputError, match=r"outflows\[0\].route"):
        waste_table(load_flow_model(doc=doc))
    t = waste_table(load_flow_model(doc={"name": "w", "outflows": [
        {"name": "c", "mass": "10 t", "route": "recycling"}]}))
    t["diverted"]["non_hazardous"]["total"] = 11.0  # tampered
    with pytest.raises(IndicatorInputError, match="diverted.non_hazardous.total"):
        check_waste_table(t)


@pytest.mark.parametrize("mutate,path", [
    (lambda d: d["inflows"][0].update(recycled=1.2), "inflows[0].recycled"),
    (lambda d: d["inflows"][1].update(recycled=0.9), "inflows[1]"),
    (lambda d: d["inflows"][0].update(mass="-3 t"), "inflows[0].mass"),
    (lambda d: d["outflows"][0].update(route="burn"), "outflows[0].route"),
])
def test_bad_flow_model_names_the_field(mutate, path: str) -> None:  # type: ignore[no-untyped-def]
    import copy

    doc = copy.deepcopy(DOC)
    mutate(doc)
    with pytest.raises(ModelError) as err:
        load_flow_model(doc=doc)
    assert any(p.path.startswith(path) for p in err.value.problems), err.value


@given(st.lists(st.tuples(st.floats(0.001, 1e6), st.floats(0, 1), st.floats(0, 1),
                          st.floats(0, 1)), min_size=1, max_size=6))
def test_cti_inflow_never_exceeds_one(rows: list[tuple[float, float, float, float]]) -> None:
    inflows = []
    for mass, a, b, c in rows:
        total = a + b + c
        scale = 1 / total if total > 1 else 1
        inflows.append({"name": "m", "mass": f"{mass} kg", "reused": a * scale,
                        "recycled": b * scale, "renewable": c * scale * 0.999999})
    v = _values({"name": "p", "inflows": inflows})
    assert 0.0 <= v["cti.circular_inflow"] <= 1.0 + 1e-12  # type: ignore[operator]
