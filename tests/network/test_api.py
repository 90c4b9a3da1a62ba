"""The network verbs on a plan computed by hand: scrap in two prefectures (Aichi 1,000 t/yr,
Gifu 500 t/yr), one candidate hub at Aichi's prefectural office with two capacity tiers, and
one recycler at the same point (so the trunk leg is 0 km). The hub must open at its small
tier; the cost is its fixed cost, handling at the hub for every tonne, and Gifu's tonnes
trucked the great-circle distance × the detour factor."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from junkan import network
from junkan.core.errors import ModelError
from junkan.core.transport import Mode

SCENARIO = {
    "name": "two_zones",
    "commodities": {"scrap": {"supply": {"by_prefecture": {"Aichi": "1000 t", "Gifu": "500 t"},
                                         "source": "test"}}},
    "hubs": {"extra": [{"name": "H", "prefecture": "Aichi"}],
             "tiers": [{"capacity": "2000 t", "fixed_cost": "1e6 JPY"},
                       {"capacity": "10000 t", "fixed_cost": "5e6 JPY"}],
             "handling": "100 JPY/t"},
    "destinations": [{"name": "D", "prefecture": "Aichi", "capacity": {"scrap": "5000 t"}}],
    "modes": {"truck": {"cost": "10 JPY/(t*km)", "co2e": "100 gCO2e/(t*km)",
                        "detour_factor": 1.2, "source": "test"}},
    "mip_rel_gap": 1e-9,
}


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine great-circle distance on a sphere of the mean Earth radius (IUGG)."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def test_two_zones_one_hub_cost_as_computed_by_hand(tmp_path: Path) -> None:
    net = network.load(text=yaml.safe_dump(SCENARIO), source="two.yaml")
    assert isinstance(net, network.Network)
    aichi = next(z for z in net.zones if z.name == "Aichi")
    gifu = next(z for z in net.zones if z.name == "Gifu")
    km = _km(gifu.lat, gifu.lon, aichi.lat, aichi.lon) * 1.2
    plan = network.run(net)
    assert isinstance(plan, network.Plan)
    assert plan.cost == pytest.approx(1e6 + 1500 * 100 + 500 * km * 10, rel=1e-9)
    assert plan.co2_t == pytest.approx(500 * km * 0.1 / 1000, rel=1e-9)
    (hub,) = plan.open_hubs
    assert hub["hub"] == "H" and hub["tier"] == 0 and hub["inflow_t"] == pytest.approx(1500)
    flows = plan.to_frame()
    assert list(flows.columns) == ["leg", "from", "to", "mode", "commodity", "t", "km"]
    collection = flows[flows.leg == "collection"].set_index("from")
    assert collection.loc["Gifu", "t"] == pytest.approx(500)
    assert collection.loc["Gifu", "km"] == pytest.approx(km)
    trunk = flows[flows.leg == "trunk"]
    assert trunk["t"].sum() == pytest.approx(1500) and trunk["km"].max() == pytest.approx(0)
    doc = plan.to_json()
    assert doc["cost_JPY"] == pytest.approx(plan.cost) and doc["trunk_t_by_mode"] == {
        "truck": pytest.approx(1500)}
    assert "flows" not in plan.to_json(flows=False)
    assert "Gifu" in plan.to_json(places=True)["places"]
    # a carbon price of 1e6 JPY/tCO2e adds exactly price × CO2 to the objective
    priced = network.run(net, carbon_price=1e6)
    assert priced.objective == pytest.approx(plan.cost + 1e6 * plan.co2_t, rel=1e-9)


@pytest.mark.slow
def test_report_writes_the_page(tmp_path: Path) -> None:
    plan = network.run(network.load(doc=SCENARIO))
    page = plan.report(tmp_path / "rep")
    assert page.name == "report.html" and (tmp_path / "rep" / "plan.json").exists()


def test_modes_are_read_with_their_units_and_named_when_wrong() -> None:
    mode = Mode(cost="30 JPY/(t*km)", co2e="208 gCO2e/(t*km)", source="test")
    assert mode.quantity("co2e", "kgCO2e/(t*km)", "emission factor") == pytest.approx(0.208)
    assert mode.quantity("handling", "JPY/t", "cost per tonne") is None
    doc = {**SCENARIO, "modes": {"truck": {"cost": "10 JPY/t", "co2e": "100 gCO2e/(t*km)",
                                           "source": "test"}}}
    with pytest.raises(ModelError) as err:
        network.load(doc=doc, source="bad.yaml")
    paths = {p.path: p.message for p in err.value.problems}
    assert "cannot be converted" in paths["modes.truck.cost"]
    assert "missing" in paths["modes.truck.detour_factor"]
