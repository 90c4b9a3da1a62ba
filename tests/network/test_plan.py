"""The multi-echelon hub planner: feasibility, mass conservation, capacities, islands,
carbon price and the Pareto front; bad input names the binding constraint."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from junkan.cli.main import app
from junkan.core.errors import ModelError
from junkan.network.plan import build, solve
from junkan.network.scenario import NetworkScenario
from junkan.network.sweep import pareto
from tests.conftest import EXAMPLES

SMALL = {
    "name": "small",
    "commodities": {
        "hulk": {"collection_rate": 0.9, "supply": {"national_total": "100000 t",
                                                    "source": "test"}},
        "panel": {"supply": {"by_prefecture": {"Aichi": "3000 t", "福岡県": "2000 t",
                                               "13": "4000 t"}, "source": "test"}},
    },
    "hubs": {"extra": [{"name": "Nagoya", "port": "Nagoya"}, {"name": "Osaka", "port": "Osaka"},
                       {"name": "Tokyo", "prefecture": "Tokyo"},
                       {"name": "Sendai", "port": "Sendai-Shiogama"},
                       {"name": "Hakata", "port": "Hakata"},
                       {"name": "Sapporo", "prefecture": "Hokkaido"},
                       {"name": "Naha", "port": "Naha"}],
             "tiers": [{"capacity": "30000 t", "fixed_cost": "5e7 JPY"},
                       {"capacity": "80000 t", "fixed_cost": "9e7 JPY"}],
             "handling": "1000 JPY/t", "loss": 0.05},
    "destinations": [
        {"name": "R Aichi", "prefecture": "Aichi", "port": "Nagoya",
         "capacity": {"hulk": "60000 t", "panel": "10000 t"}},
        {"name": "R Fukuoka", "prefecture": "Fukuoka", "port": "Kitakyushu",
         "capacity": {"hulk": "40000 t", "panel": "10000 t"}},
        {"name": "R Hokkaido", "prefecture": "Hokkaido", "capacity": {"hulk": "10000 t"}}],
    "modes": {"truck": {"cost": "30 JPY/(t*km)", "co2e": "208 gCO2e/(t*km)",
                        "detour_factor": 1.3, "source": "test"},
              "ship": {"cost": "6 JPY/(t*km)", "co2e": "43 gCO2e/(t*km)",
                       "detour_factor": 1.25, "handling": "2500 JPY/t", "source": "test"}},
    "mip_rel_gap": 1e-6,
}


def _net(doc: dict | None = None):  # type: ignore[no-untyped-def]
    return build(NetworkScenario.model_validate(doc or SMALL))


def test_every_collected_tonne_is_delivered_within_capacities() -> None:
    net = _net()
    plan = solve(net)
    collected = net.collected.sum(axis=0)  # t per commodity
    for p, c in enumerate(net.commodities):
        into_hubs = sum(f["t"] for f in plan.flows
                        if f["leg"] == "collection" and f["commodity"] == c)
        delivered = sum(f["t"] for f in plan.flows if f["leg"] == "trunk" and f["commodity"] == c)
        assert into_hubs == pytest.approx(collected[p], rel=1e-6)
        assert delivered == pytest.approx(0.95 * collected[p], rel=1e-6)  # 5 % hub loss
        for j, d in enumerate(net.dests):
            got = sum(f["t"] for f in plan.flows
                      if f["leg"] == "trunk" and f["to"] == d.name and f["commodity"] == c)
            assert got <= net.dest_cap[j, p] * (1 + 1e-6) + 1e-6
    for h in plan.open_hubs:
        assert h["inflow_t"] <= h["capacity_t"] * (1 + 1e-6)


def test_islands_are_left_by_ship_not_truck() -> None:
    plan = solve(_net())
    from_naha = [f for f in plan.flows if f["leg"] == "trunk" and f["from"] == "Naha"]
    assert from_naha and {f["mode"] for f in from_naha} == {"ship"}
    okinawa = [f for f in plan.flows if f["leg"] == "collection" and f["from"] == "Okinawa"]
    assert okinawa and {f["to"] for f in okinawa} == {"Naha"}


@pytest.mark.slow
def test_carbon_price_never_raises_co2_and_pareto_is_monotone() -> None:
    net = _net()
    co2 = [solve(net, carbon_price=price).co2_t for price in (0, 20_000, 200_000)]
    assert co2[0] >= co2[1] - 1e-6 >= co2[2] - 2e-6
    front = pareto(net, 4)
    costs = [p.cost for p in front]
    emissions = [p.co2_t for p in front]
    assert np.all(np.diff(emissions) <= 1e-6) and np.all(np.diff(costs) >= -1e-3)


@pytest.mark.parametrize("mutate,words", [
    (lambda d: d["commodities"]["panel"]["supply"]["by_prefecture"].update(Atlantis="5 t"),
     "commodities.panel.supply.by_prefecture.Atlantis: unknown prefecture 'Atlantis'"),
    (lambda d: d["destinations"][0]["capacity"].update(hulk="1000 t"),
     "destination-capacity constraint binds"),
    (lambda d: d["hubs"].update(tiers=[{"capacity": "1000 t", "fixed_cost": "1 JPY"}]),
     "hub-capacity constraint binds"),
    (lambda d: d["hubs"]["extra"].pop(),  # no port hub on Okinawa
     "no hub reachable by truck from Okinawa"),
])
def test_bad_input_names_the_problem(mutate, words: str) -> None:  # type: ignore[no-untyped-def]
    doc = copy.deepcopy(SMALL)
    mutate(doc)
    with pytest.raises(ModelError) as err:
        _net(doc)
    assert words in str(err.value)


def test_supply_templates() -> None:
    doc = copy.deepcopy(SMALL)
    doc["commodities"]["hulk"]["supply"] = {"template": "solar_panels_mid_2030s"}
    doc["destinations"][0]["capacity"]["hulk"] = "600000 t"
    # Hokkaido's population share (17,555 t) reaches only R Hokkaido (no port hub there)
    doc["destinations"][2]["capacity"]["hulk"] = "20000 t"
    doc["hubs"]["tiers"].append({"capacity": "600000 t", "fixed_cost": "2e8 JPY"})
    net = _net(doc)
    assert net.collected[:, 0].sum() == pytest.approx(0.9 * 500_000)
    doc["commodities"]["hulk"]["supply"] = {"template": "unobtainium"}
    with pytest.raises(Exception, match="unknown supply template 'unobtainium'"):
        _net(doc)


def test_negative_supply_is_rejected() -> None:
    doc = copy.deepcopy(SMALL)
    doc["commodities"]["hulk"]["supply"]["national_total"] = "-5 t"
    with pytest.raises(Exception, match="must not be negative"):
        _net(doc)


@pytest.mark.slow
def test_cli_solve_json_and_report(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(yaml.safe_dump(SMALL), encoding="utf-8")
    res = CliRunner().invoke(app, ["network", "solve", str(path), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["open_hubs"] and doc["co2_t"] > 0 and "ship" in doc["trunk_t_by_mode"]
    out = tmp_path / "rep"
    res = CliRunner().invoke(app, ["network", "report", str(path), "--out", str(out),
                                   "--points", "3"])
    assert res.exit_code == 0, res.output
    for name in ("map.png", "map.svg", "report.html", "plan.json"):
        assert (out / name).stat().st_size > 0
    page = (out / "report.html").read_text()
    assert "Pareto" in page and "cdn" not in page
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**SMALL, "modes": {}}), encoding="utf-8")
    res = CliRunner().invoke(app, ["network", "solve", str(bad)])
    assert res.exit_code == 2 and "truck" in res.output


def test_worked_example_validates() -> None:
    from junkan.lifecycle.loader import read_document

    net = build(NetworkScenario.model_validate(read_document(EXAMPLES /
                                                             "network_elv_japan.yaml")))
    # 2,726k vehicles × 0.7 t, split by population, all collected
    assert net.collected.sum() == pytest.approx(1_908_200, rel=1e-9)
    assert len(net.hubs) == 24 + 47  # 24 ports (incl. Naha) + 47 prefectural offices


@pytest.mark.parametrize("price", ["nan", "inf", "-inf", "-5", "2e6"])
def test_an_impossible_carbon_price_is_refused_before_solving(price: str) -> None:
    """`network solve --carbon-price nan` gave a traceback (inf and negative prices solved);
    the CLI and network.run refuse them with the range, as the API does."""
    out = CliRunner().invoke(app, ["network", "solve", str(EXAMPLES / "network_elv_japan.yaml"),
                                   "--carbon-price", price])
    assert out.exit_code == 2
    said = " ".join(re.sub(r"[│╭╮╰╯─]", " ", out.output).split())  # rich's error box
    assert "give a finite price from 0 to 1,000,000 JPY/tCO2e" in said
    from junkan import network

    with pytest.raises(Exception, match="finite price from 0 to"):
        network.run(network.load(EXAMPLES / "network_elv_japan.yaml"),
                    carbon_price=float(price))


def test_a_cap_no_plan_meets_says_the_least_co2e_any_plan_emits() -> None:
    """'the CO2 cap binds: raise co2_cap_t' said neither by how much nor whether the cap was
    the reason; the refusal now gives the least CO2e a plan emits, and a cap just above it
    is met."""
    network_ = _net()
    least = solve(network_, minimise="co2").co2_t
    with pytest.raises(Exception, match=r"no plan emits at most co2_cap_t = 1 t CO2e/yr; the "
                                        r"least any plan emits is ([\d,.]+) t/yr") as exc:
        solve(network_, co2_cap_t=1.0)
    said = float(re.search(r"emits is ([\d,.]+) t/yr", str(exc.value)).group(1)  # type: ignore[union-attr]
                 .replace(",", ""))
    assert said == pytest.approx(least, rel=1e-3)
    assert solve(network_, co2_cap_t=least * 1.01).co2_t <= least * 1.01
