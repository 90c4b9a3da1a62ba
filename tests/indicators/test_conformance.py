"""Issue 26: one regression test per difference from the published definitions, each on a flow
model small enough to check by hand (the arithmetic in the comments)."""

from __future__ import annotations

import pytest

from junkan.core.errors import ModelError
from junkan.indicators import compute, load_flow_model
from junkan.indicators.flows import MassBalance, linear_mass, mass_balance
from junkan.indicators.values import Indicator, IndicatorInputError


def _ind(doc: dict) -> dict[str, Indicator]:
    return {i.key: i for inds in compute(load_flow_model(doc=doc)).values() for i in inds}


def _water(**w: str) -> dict:
    return {"name": "w", "water": w}


# ---- 1. water ------------------------------------------------------------------------------

def test_water_recirculation_is_a_number_of_cycles() -> None:
    # withdrawn 100 m³, recirculated 300 m³ → total use 400 m³ → 400/100 = 4 cycles
    # (the old share recirculated/(withdrawn + recirculated) gave 300/400 = 0.75)
    ind = _ind(_water(withdrawn="100 m**3", recirculated="300 m**3"))
    for key in ("cti.water_onsite_circulation", "iso59020.water_reuse_ratio"):
        assert ind[key].value == pytest.approx(4.0)
        assert ind[key].unit == "cycles"
        assert ind[key].display() == "4.00 cycles"
    # nothing recirculated: every withdrawn m³ is used once → 1 cycle
    assert _ind(_water(withdrawn="50 m**3"))["iso59020.water_reuse_ratio"].value == 1.0
    none = _ind(_water(withdrawn="0 m**3"))["cti.water_onsite_circulation"]
    assert none.value is None and "withdrawn is zero" in (none.reason or "")


def test_iso_discharge_at_quality_is_a_share_of_water_withdrawn() -> None:
    # withdrawn 100, discharged 50 of which 40 at quality: ISO A.10 = 40/100 = 0.4
    # (junkan divided by the discharge: 40/50 = 0.8 — still CTI's circular discharge)
    ind = _ind(_water(withdrawn="100 m**3", discharged="50 m**3",
                      discharged_at_quality="40 m**3"))
    assert ind["iso59020.water_discharged_at_quality"].value == pytest.approx(0.4)
    assert ind["cti.water_circular_discharge"].value == pytest.approx(0.8)
    # 150 m³ at quality from 100 m³ withdrawn cannot be a share of the withdrawal
    over = _ind(_water(withdrawn="100 m**3", discharged="150 m**3",
                       discharged_at_quality="150 m**3"))["iso59020.water_discharged_at_quality"]
    assert over.value is None and "exceeds water withdrawn" in (over.reason or "")


# ---- 2. actual recovery is a share of the recoverable part, everywhere ----------------------

def test_recovered_mass_is_mass_times_potential_times_actual_recovery() -> None:
    # 1 t to recycling, recovery potential 0.8, actual recovery 0.05:
    # recovered = 1 × 0.8 × 0.05 = 0.04 t → 0.04 of the outflow (m × AR alone gave 0.05)
    doc = {"name": "r", "outflows": [{"name": "s", "mass": "1 t", "route": "recycling",
                                      "recovery_potential": 0.8, "actual_recovery": 0.05}]}
    ind = _ind(doc)
    assert ind["iso59020.outflow_recycled"].value == pytest.approx(0.04)
    assert ind["cti.circular_outflow"].value == pytest.approx(0.04)
    # reuse and biological cycle read the same way: 10 t × 0.5 × 0.5 = 2.5 t of 20 t
    doc = {"name": "r", "outflows": [
        {"name": "u", "mass": "10 t", "route": "refurbish", "recovery_potential": 0.5,
         "actual_recovery": 0.5},
        {"name": "c", "mass": "10 t", "route": "composting", "recovery_potential": 0.5,
         "actual_recovery": 0.5}]}
    ind = _ind(doc)
    assert ind["iso59020.outflow_reused"].value == pytest.approx(0.125)
    assert ind["iso59020.outflow_biological_cycle"].value == pytest.approx(0.125)


# ---- 3. CTI counts only its recovery types as circular --------------------------------------

def test_energy_recovery_landfill_and_export_are_not_circular_outflow() -> None:
    # 50 t recycled + 50 t incinerated with energy recovery, both "actually recovered":
    # circular outflow = 50/100 = 0.5 (every route with AR > 0 counted gave 100/100 = 1.0)
    doc = {"name": "c", "outflows": [
        {"name": "r", "mass": "50 t", "route": "recycling", "actual_recovery": 1},
        {"name": "e", "mass": "50 t", "route": "energy_recovery", "actual_recovery": 1}]}
    ind = _ind(doc)
    assert ind["cti.circular_outflow"].value == pytest.approx(0.5)
    assert ind["cti.recovery_type.recycling"].value == pytest.approx(1.0)
    assert "cti.recovery_type.energy_recovery" not in ind
    assert any("energy_recovery 50 t" in n for n in ind["cti.circular_outflow"].notes)
    # landfill, export and other recovery with AR = 1 add nothing: 10 t digested of 40 t
    doc["outflows"] = [{"name": n, "mass": "10 t", "route": n, "actual_recovery": 1}
                       for n in ("landfill", "export", "other_recovery", "digestion")]
    doc["outflows"][1]["kind"] = "by-product"
    assert _ind(doc)["cti.circular_outflow"].value == pytest.approx(0.25)


# ---- 4. % critical material is a share of the linear inflow ---------------------------------

def test_critical_material_is_a_share_of_the_linear_inflow() -> None:
    # A: 100 t virgin, critical → linear 100 t; B: 100 t half recycled → linear 50 t
    # critical in linear inflow = 100 / 150 = 2/3 (÷ total inflow gave 100/200 = 0.5)
    doc = {"name": "k", "inflows": [
        {"name": "A", "mass": "100 t", "critical": True},
        {"name": "B", "mass": "100 t", "recycled": 0.5}]}
    crit = _ind(doc)["cti.critical_material"]
    assert crit.value == pytest.approx(2 / 3)
    assert crit.status == "summary"
    assert any("v4.0 text was not read" in n for n in crit.notes)
    # a critical inflow that is fully recycled is not linear: 0 of 50 t
    doc["inflows"][0]["recycled"] = 1.0
    assert _ind(doc)["cti.critical_material"].value == 0.0


# ---- 5. floating point: a rounding residue is not a linear inflow ---------------------------

def test_rounding_residue_is_not_linear_inflow() -> None:
    # 0.6 + 0.3 + 0.1 = 0.9999999999999999 in binary floating point; 1 − 0.6 − 0.3 − 0.1 =
    # 2.8e-17, × 1,000 t = 2.8e-14 t of "linear" inflow → 8.8e8 JPY / 2.8e-14 t ≈ 3e22 JPY/t
    inflow = {"name": "m", "mass": "1000 t", "reused": 0.6, "recycled": 0.3, "renewable": 0.1}
    assert 1000 * (1.0 - 0.6 - 0.3 - 0.1) > 0  # the residue exists
    fm = load_flow_model(doc={"name": "f", "inflows": [inflow],
                              "finance": {"revenue": 8.8e8}})
    assert linear_mass(fm.inflows[0]) == 0.0
    ind = {i.key: i for inds in compute(fm).values() for i in inds}
    for key in ("cti.circular_material_productivity", "iso59020.material_productivity"):
        assert ind[key].value is None and "linear inflow is zero" in (ind[key].reason or "")
    assert ind["cti.critical_material"].value is None
    assert ind["iso59020.inflow_linear"].value == 0.0
    # a genuine linear part of one part per million is kept: 1000 t × 1e-6 = 1 kg = 0.001 t
    inflow["renewable"] = 0.1 - 1e-6
    val = _ind({"name": "f", "inflows": [inflow], "finance": {"revenue": 8.8e8}})
    assert val["cti.circular_material_productivity"].value == pytest.approx(8.8e11, rel=1e-6)


# ---- 6. ESRS E5-5 under the Waste Framework Directive definitions ---------------------------

def test_esrs_waste_follows_the_waste_framework_directive() -> None:
    # recycling 50 + composting 100 + digestion 50 = recycled 200 t (Art. 3(17): organic
    # reprocessing is recycling); energy recovery 100 t = other recovery (Art. 4(1)(d));
    # disposed = incineration 100 + landfill 100 = 200 t; total 500 t
    # non-recycled = 500 − 200 = 300 t → 0.6 (composting as non-recycled gave 450 t, 0.9)
    doc = {"name": "w", "outflows": [
        {"name": n, "mass": f"{m} t", "route": n} for n, m in (
            ("recycling", 50), ("composting", 100), ("digestion", 50),
            ("energy_recovery", 100), ("incineration", 100), ("landfill", 100))]}
    ind = _ind(doc)
    table = ind["esrs_e5.5.waste_total"].inputs["table"]
    assert table["diverted"]["non_hazardous"]["recycling"] == pytest.approx(200)
    assert table["diverted"]["non_hazardous"]["other_recovery"] == pytest.approx(100)
    assert table["disposed"]["non_hazardous"]["incineration"] == pytest.approx(100)
    assert ind["esrs_e5.5.waste_diverted"].value == pytest.approx(300)
    assert ind["esrs_e5.5.waste_disposed"].value == pytest.approx(200)
    assert ind["esrs_e5.5.waste_non_recycled"].value == pytest.approx(300)
    assert ind["esrs_e5.5.waste_non_recycled_share"].value == pytest.approx(0.6)


def test_exported_waste_does_not_stop_the_other_frameworks() -> None:
    # 20 t exported with unknown treatment (default kind: waste) + 80 t recycled (AR 0.5):
    # CTI circular outflow = 80·0.5/100 = 0.4; the ESRS waste table cannot classify the export
    doc = {"name": "x", "outflows": [
        {"name": "e", "mass": "20 t", "route": "export"},
        {"name": "r", "mass": "80 t", "route": "recycling", "actual_recovery": 0.5}]}
    ind = _ind(doc)
    assert ind["cti.circular_outflow"].value == pytest.approx(0.4)
    total = ind["esrs_e5.5.waste_total"]
    assert total.value is None and "outflows[0].route" in (total.reason or "")
    assert ind["esrs_e5.5.waste_non_recycled_share"].value is None
    # declared as a by-product it stays out of the waste table: 80 t of waste, all recycled
    doc["outflows"][0]["kind"] = "by-product"
    assert _ind(doc)["esrs_e5.5.waste_non_recycled"].value == pytest.approx(0.0)


# ---- 7. ISO 59020: exported energy, resource intensity index, mass balance ------------------

ENERGY = {"total": "400 MWh", "renewable": "100 MWh", "exported": "50 MWh",
          "exported_renewable": "50 MWh"}


def test_iso_renewable_energy_nets_out_exported_energy() -> None:
    # (A.8): (EIRENE − EORENE)/(EITE − EOTE) = (100 − 50)/(400 − 50) = 50/350 = 1/7
    # (assuming nothing leaves the site gave 100/400 = 0.25)
    ind = _ind({"name": "e", "energy": ENERGY})
    assert ind["iso59020.renewable_energy"].value == pytest.approx(1 / 7)
    assert ind["cti.renewable_energy"].value == pytest.approx(1 / 7)
    # all energy exported: nothing consumed → null, not a division by zero
    net0 = _ind({"name": "e", "energy": {"total": "10 MWh", "exported": "10 MWh"}})
    assert net0["iso59020.renewable_energy"].value is None


@pytest.mark.parametrize("energy,message", [
    ({"total": "10 MWh", "exported": "11 MWh"}, "exported energy exceeds total"),
    ({"total": "10 MWh", "renewable": "2 MWh", "exported": "5 MWh",
      "exported_renewable": "3 MWh"}, "exported_renewable exceeds"),
    # all 10 MWh taken in are renewable, yet 5 MWh of non-renewable energy would leave
    ({"total": "10 MWh", "renewable": "10 MWh", "exported": "5 MWh"},
     "exported non-renewable energy"),
])
def test_bad_exported_energy_names_the_field(energy: dict, message: str) -> None:
    with pytest.raises(ModelError) as err:
        load_flow_model(doc={"name": "e", "energy": energy})
    assert any(p.path.startswith("energy") and message in p.message
               for p in err.value.problems), err.value


def test_resource_intensity_index_says_it_is_inferred() -> None:
    # revenue 1.2e9 vs base 1.0e9 (×1.2); total inflow 1,000 t vs base 1,250 t (×0.8)
    # → (1.2e9/1.0e9) / (1000/1250) = 1.2/0.8 = 1.5
    doc = {"name": "i", "inflows": [{"name": "a", "mass": "1000 t"}],
           "finance": {"revenue": 1.2e9,
                       "base_period": {"label": "FY2020", "revenue": 1.0e9,
                                       "total_inflow": "1250 t"}}}
    rii = _ind(doc)["iso59020.resource_intensity_index"]
    assert rii.value == pytest.approx(1.5)
    assert rii.status == "inferred" and any("E and F" in n for n in rii.notes)
    del doc["finance"]["base_period"]
    rii = _ind(doc)["iso59020.resource_intensity_index"]
    assert rii.value is None and "base_period" in (rii.reason or "")


def test_iso_mass_balance_of_a_small_model() -> None:
    # inflow 100 t: reused 10, recycled 20, renewable 30 → linear 40 t
    # outflow 100 t: reuse 20·1·0.5 = 10, recycling 50·0.8·0.5 = 20, composting 10·1·1 = 10,
    # landfill 20 → linear = 100 − 10 − 20 − 10 = 60 t
    fm = load_flow_model(doc={"name": "b", "inflows": [
        {"name": "a", "mass": "100 t", "reused": 0.1, "recycled": 0.2, "renewable": 0.3}],
        "outflows": [
        {"name": "u", "mass": "20 t", "route": "reuse", "actual_recovery": 0.5},
        {"name": "r", "mass": "50 t", "route": "recycling", "recovery_potential": 0.8,
         "actual_recovery": 0.5},
        {"name": "c", "mass": "10 t", "route": "composting", "actual_recovery": 1},
        {"name": "l", "mass": "20 t", "route": "landfill"}]})
    t = mass_balance(fm).as_t()
    assert (t["inflow_linear"], t["outflow_linear"]) == pytest.approx((40, 60))
    ind = {i.key: i.value for inds in compute(fm, ["iso59020"]).values() for i in inds}
    assert ind["iso59020.inflow_linear"] == pytest.approx(0.4)
    assert ind["iso59020.outflow_linear"] == pytest.approx(0.6)
    assert ind["iso59020.outflow_reused"] == pytest.approx(0.1)
    # a balance whose parts do not add up is refused, naming the side
    bad = MassBalance(100, 10, 20, 30, 41, 0, 0, 0, 0, 0)
    with pytest.raises(IndicatorInputError, match="inflows"):
        bad.check()


def test_every_indicator_not_verified_against_the_text_says_why() -> None:
    doc = {"name": "all", "inflows": [{"name": "a", "mass": "10 t", "critical": True}],
           "outflows": [{"name": "r", "mass": "5 t", "route": "recycling",
                         "actual_recovery": 0.5, "hazardous": True}],
           "products": [{"name": "p", "mass": "1 kg", "revenue": 1.0, "lifetime": "5 year",
                         "industry_lifetime": "4 year", "industry_lifetime_source": "x"}],
           "energy": {"total": "1 MWh"}, "water": {"withdrawn": "1 m**3"},
           "finance": {"revenue": 1.0, "value_added": 1.0, "variable_circulation_cost": 1.0}}
    ind = _ind(doc)
    assert {i.status for i in ind.values()} == {"text", "summary", "inferred"}
    for i in ind.values():
        assert i.status == "text" or i.notes, i.key
