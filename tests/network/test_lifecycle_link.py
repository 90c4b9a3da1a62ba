"""Supply from a lifecycle run (issue 25, item 3): the outflow picked from the run's public
tables becomes the network's supply, split by a proxy; the footprint goes back through a
hook ``lifecycle.compare`` takes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from junkan import lifecycle, network
from junkan.core.errors import JunkanError
from junkan.network.lifecycle_link import (
    Outflow,
    Proxy,
    TransportFootprints,
    outflow_series,
    supply_from_lifecycle,
    transport_footprint,
)
from junkan.network.model import build
from junkan.network.plan import solve

SCENARIO = """
junkan_network: 1
name: ac_eol
commodities:
  ac: {supply: {national_total: 1 t, source: "placeholder: replaced by the lifecycle run"}}
hubs:
  ports: true
  tiers: [{capacity: 5000 t, fixed_cost: 1e6 JPY}]
destinations:
  - {name: Kanto, prefecture: Chiba, port: Chiba, capacity: {ac: 50000 t}}
  - {name: Kansai, prefecture: Osaka, port: Osaka, capacity: {ac: 50000 t}}
modes:
  truck: {cost: 30 JPY/(t*km), co2e: 208 gCO2e/(t*km), detour_factor: 1.3, source: test}
  ship: {cost: 6 JPY/(t*km), co2e: 43 gCO2e/(t*km), detour_factor: 1.25, handling: 2500 JPY/t,
         source: test}
"""
EOL = Outflow("flows", {"source": "Use", "target": "End-of-life collection"})


@pytest.fixture(scope="module")
def model() -> lifecycle.ModelFile:
    return lifecycle.load("examples/compressor_magnet.yaml")


def test_supply_is_the_lifecycle_outflow_split_by_population(model) -> None:  # type: ignore[no-untyped-def]
    result = lifecycle.run(model, "B")
    flows = result.to_frame("flows")
    row = flows[(flows.year == 2030) & (flows.source == "Use")
                & (flows.target == "End-of-life collection")]
    expected_t = float(row.mass_kg.sum()) / 1000
    base = network.load(text=SCENARIO).scenario
    sc = supply_from_lifecycle(base, result, {"ac": EOL}, year=2030)
    net = build(sc)
    assert net.collected.sum() == pytest.approx(expected_t, rel=1e-5)
    pop = np.array([z.population for z in net.zones])
    assert net.collected[12, 0] / net.collected[0, 0] == pytest.approx(pop[12] / pop[0],
                                                                      rel=1e-4)
    assert "lifecycle run 'B', 2030" in (sc.commodities["ac"].supply.source or "")
    # a stated proxy of one's own: everything to two prefectures
    sc2 = supply_from_lifecycle(base, result, {"ac": EOL}, year=2030,
                                proxy=Proxy({"Aichi": 3, "Osaka": 1}, source="test proxy"))
    col = build(sc2).collected[:, 0]
    assert col[22] == pytest.approx(0.75 * expected_t, rel=1e-5) and col.sum() == \
        pytest.approx(expected_t, rel=1e-5)


def test_periods_follow_the_series_and_errors_are_clear(model) -> None:  # type: ignore[no-untyped-def]
    result = lifecycle.run(model, "baseline")
    years, t = outflow_series(result, EOL)
    base = network.load(text=SCENARIO).scenario
    sc = supply_from_lifecycle(base, result, {"ac": EOL}, years=[2020, 2030, 2040])
    assert sc.periods is not None
    want = [t[years == y][0] / t[years == 2020][0] for y in (2020, 2030, 2040)]
    assert sc.periods.supply_factor["ac"] == pytest.approx(want)
    with pytest.raises(JunkanError, match="no rows of 'flows' match"):
        outflow_series(result, Outflow("flows", {"source": "Nowhere"}))
    with pytest.raises(JunkanError, match="has no column"):
        outflow_series(result, Outflow("materials", {"colour": "red"}))
    with pytest.raises(JunkanError, match="not \\[2100\\]"):
        supply_from_lifecycle(base, result, {"ac": EOL}, year=2100)


def test_footprint_goes_back_through_the_comparison_hook(model) -> None:  # type: ignore[no-untyped-def]
    base = network.load(text=SCENARIO).scenario
    fps = TransportFootprints()
    result = lifecycle.run(model, "B")
    net = build(supply_from_lifecycle(base, result, {"ac": EOL}, year=2030))
    plan = solve(net, mip_rel_gap=1e-4)
    fp = transport_footprint(plan, "B", 2030)
    assert fp.co2e_kg_per_t == pytest.approx(1000 * plan.co2_t / net.collected.sum())
    fps.add(fp)
    doc = lifecycle.compare(model, indicator_hook=fps.indicator_hook()).to_json()
    text = str(doc)
    assert "network_transport" in text and f"{plan.co2_t}" in text


def test_transport_over_a_run_by_hand() -> None:
    """100 t carried for 1,000 JPY and 2 tCO2e a year: 10 JPY/t and 20 kg/t."""
    from junkan.network.lifecycle_link import TransportFootprint, with_transport

    fp = TransportFootprint("B", 2030, tonnes=100.0, cost_JPY=1000.0, co2e_t=2.0)
    assert fp.over([2030, 2031]) == pytest.approx((4.0, 2000.0))  # this year's tonnes each year
    fp2 = TransportFootprint("B", 2030, 100.0, 1000.0, 2.0, tonnes_by_year={2030: 50, 2031: 100})
    assert fp2.over([2030, 2031, 2032]) == pytest.approx((3.0, 1500.0))  # 150 t in all
    tot = {"co2e_t": 10.0, "cost_JPY": 5.0, "margin_JPY": 7.0, "outflow_t": 1.0}
    jpy = with_transport(tot, fp, [2030, 2031], "JPY")
    assert jpy["co2e_t"] == 14.0 and jpy["cost_JPY"] == 2005.0 and jpy["margin_JPY"] == -1993.0
    assert jpy["outflow_t"] == 1.0 and jpy["network_transport_co2e_t"] == 4.0
    eur = with_transport({"co2e_t": 10.0, "cost_EUR": 5.0}, fp, [2030, 2031], "EUR")
    assert eur["co2e_t"] == 14.0 and eur["cost_EUR"] == 5.0 and "cost_JPY" not in eur
    with pytest.raises(JunkanError, match="finite"):
        transport_footprint(_FakePlan(), "B", tonnes_by_year={2030: float("nan")})


class _FakePlan:
    network = None
    cost, co2_t = 1.0, 1.0
    cost_breakdown: dict[str, float] = {}  # noqa: RUF012 - a stand-in


def test_lifecycle_totals_include_the_transport(model) -> None:  # type: ignore[no-untyped-def]
    """Through the public ``lifecycle.compare`` hook: each scenario's totals with transport
    are its totals plus the footprint over the run's years (per tonne × the outflow of each
    year), and the change against the baseline includes both footprints."""
    baseline = lifecycle.compare(model)["baseline"]
    base_sc = network.load(text=SCENARIO).scenario
    fps = TransportFootprints(baseline=baseline)
    for name in (baseline, "B"):
        result = lifecycle.run(model, name)
        years, tonnes = outflow_series(result, EOL)
        net = build(supply_from_lifecycle(base_sc, result, {"ac": EOL}, year=2030))
        fps.add(transport_footprint(solve(net, mip_rel_gap=1e-4), name, 2030,
                                    tonnes_by_year=dict(zip(years.tolist(), tonnes.tolist(),
                                                            strict=True))))
    doc = lifecycle.compare(model, indicator_hook=fps.indicator_hook())
    scen: dict[str, Any] = {s["name"]: dict(s) for s in doc.scenarios}
    extra = {}
    for name in (baseline, "B"):
        s, fp, result = scen[name], fps.by_scenario[name], doc.results[name]
        co2, cost = fp.over(result.years)
        _, tonnes = outflow_series(result, EOL)
        assert co2 == pytest.approx(fp.co2e_t / fp.tonnes * tonnes.sum())
        tot = s["totals_with_network_transport"]
        assert tot["co2e_t"] == pytest.approx(s["totals"]["co2e_t"] + co2)
        assert s["network_transport"]["horizon_co2e_t"] == pytest.approx(co2)
        if result.currency == "JPY":
            assert tot["cost_JPY"] == pytest.approx(s["totals"]["cost_JPY"] + cost)
        extra[name] = co2
    change = scen["B"]["change_vs_baseline_with_network_transport"]["co2e_t"]
    assert change == pytest.approx(scen["B"]["change_vs_baseline"]["co2e_t"]
                                   + extra["B"] - extra[baseline])
    assert all("totals_with_network_transport" not in s for n, s in scen.items()
               if n not in (baseline, "B"))
