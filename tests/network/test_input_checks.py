"""A network scenario or OR-Library file that cannot mean what it says is refused before the
solver runs, naming the field (or line) and the binding constraint: a prefecture given twice,
two hubs or destinations with one name, coordinates far from their prefecture, a group of
zones whose reachable destinations or hubs are too small, an oversized scenario, empty tiers,
non-finite or negative CFLP data."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from junkan import network
from junkan.cli.main import app
from junkan.core.errors import JunkanError, ModelError
from junkan.core.limits import limits, override_limits
from junkan.network import CFLPInstance, read_orlib, solve_cflp
from tests.conftest import EXAMPLES

TRUCK = {"cost": "30 JPY/(t*km)", "co2e": "208 gCO2e/(t*km)", "detour_factor": 1.3,
         "source": "test"}
BASE: dict[str, Any] = {
    "junkan_network": 1, "name": "t",
    "commodities": {"scrap": {"supply": {"by_prefecture": {"Aichi": "30000 t"},
                                         "source": "test"}}},
    "hubs": {"extra": [{"name": "HA", "prefecture": "Aichi"},
                       {"name": "HG", "prefecture": "Gifu"}],
             "tiers": [{"capacity": "50000 t", "fixed_cost": "1e6 JPY"}]},
    "destinations": [{"name": "D", "prefecture": "Osaka", "capacity": {"scrap": "100000 t"}}],
    "modes": {"truck": TRUCK},
}


def _doc(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    for path, value in changes.items():
        *head, last = path.split("__")
        node = doc
        for key in head:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value
    return doc


CATALOGUES = Path(network.__file__).parents[1] / "web" / "static" / "i18n"


def _refused(doc: dict[str, Any]) -> tuple[str, str, str]:
    """(path, rule, message) of the one problem ``doc`` is refused for; a domain rule's
    message is its English catalogue entry filled in (and Japanese has the same key)."""
    with pytest.raises(ModelError) as exc:
        network.load(doc=doc)
    assert len(exc.value.problems) == 1, exc.value.problems
    p = exc.value.problems[0]
    if "-" in p.kind:
        en, ja = (json.loads((CATALOGUES / f"{lang}.json").read_text("utf-8"))
                  for lang in ("en", "ja"))
        quoted = p.limits or {}
        filled = re.sub(r"\{(\w+)\}", lambda m: str(quoted[m.group(1)]), en[f"val.{p.kind}"])
        assert filled == p.message and f"val.{p.kind}" in ja
    return p.path, p.kind, p.message


def test_base_scenario_loads() -> None:
    net = network.load(doc=_doc())
    assert [h.name for h in net.hubs] == ["HA", "HG"]
    assert net.collected.sum() == pytest.approx(30_000)


@pytest.mark.parametrize("other", ["愛知県", "23", "愛知"])
def test_one_prefecture_twice_in_supply_is_refused(other: str) -> None:
    # before: the later key silently replaced the earlier (100 t instead of 30,000 t)
    doc = _doc(commodities__scrap__supply__by_prefecture={"Aichi": "30000 t", other: "100 t"})
    path, rule, msg = _refused(doc)
    assert path == f"commodities.scrap.supply.by_prefecture.{other}"
    assert rule.endswith("prefecture-twice") and "same prefecture as 'Aichi'" in msg


def test_two_extra_hubs_with_one_name_are_refused() -> None:
    doc = _doc()
    doc["hubs"]["extra"][1]["name"] = "HA"
    path, rule, msg = _refused(doc)
    assert path == "hubs.extra[1].name" and rule.endswith("name-twice")
    assert "hubs.extra[0].name" in msg


def test_an_extra_hub_named_like_a_shipped_port_is_refused() -> None:
    doc = _doc()
    doc["hubs"]["ports"] = True
    doc["hubs"]["extra"][0]["name"] = "nagoya PORT"  # case is ignored
    path, _, msg = _refused(doc)
    assert path == "hubs.extra[0].name" and "hubs.ports (Nagoya port)" in msg


def test_two_destinations_with_one_name_are_refused() -> None:
    doc = _doc()
    doc["destinations"].append({"name": "D", "prefecture": "Hyogo",
                                "capacity": {"scrap": "1000 t"}})
    path, rule, _ = _refused(doc)
    assert path == "destinations[1].name" and rule.endswith("name-twice")


def test_rail_runs_from_the_hub_that_declares_it_only() -> None:
    doc = _doc()
    doc["modes"]["rail"] = {"cost": "5 JPY/(t*km)", "co2e": "25 gCO2e/(t*km)",
                            "detour_factor": 1.2, "source": "test"}
    doc["hubs"]["extra"][0]["rail"] = True
    doc["destinations"][0]["rail"] = True
    net = network.load(doc=doc)
    rail = net.modes.index("rail")
    assert np.isfinite(net.cost_hub_dest[:, 0, rail]).tolist() == [True, False]


def test_empty_tiers_are_refused() -> None:
    doc = _doc()
    doc["hubs"]["extra"][0]["tiers"] = []
    path, _, _ = _refused(doc)
    assert path == "hubs.extra[0].tiers"


SYDNEY = {"lat": -33.87, "lon": 151.21}
NAGOYA = {"lat": 35.18, "lon": 136.91}  # in Aichi


def test_coordinates_far_from_their_prefecture_are_refused() -> None:
    doc = _doc()
    doc["hubs"]["extra"][0].update(SYDNEY)
    path, rule, msg = _refused(doc)
    assert path == "hubs.extra[0].lat" and rule.endswith("site-far-from-prefecture")
    assert "from Aichi" in msg and "at most 50 km" in msg
    doc = _doc()
    doc["destinations"][0].update({"lat": 35.68, "lon": 139.76})  # Tokyo, said to be Osaka
    path, _, _ = _refused(doc)
    assert path == "destinations[0].lat"
    doc = _doc()
    doc["hubs"]["extra"][0].update(NAGOYA)
    assert network.load(doc=doc).hubs[0].lat == 35.18


def test_latitude_without_longitude_is_refused() -> None:
    doc = _doc()
    doc["hubs"]["extra"][0]["lat"] = 35.18
    path, rule, _ = _refused(doc)
    assert path == "hubs.extra[0].lon" and rule.endswith("lat-lon-pair")


def test_destinations_reachable_by_a_road_group_too_small_are_named() -> None:
    # Honshu: 30,000 t collected, 10,000 t accepted; Hokkaido's 100,000 t cannot be reached
    # by truck. Nationally 110,000 t ≥ 30,000 t, so before it was left to the solver.
    doc = _doc()
    doc["destinations"] = [
        {"name": "D", "prefecture": "Osaka", "capacity": {"scrap": "10000 t"}},
        {"name": "DH", "prefecture": "Hokkaido", "capacity": {"scrap": "100000 t"}}]
    path, rule, msg = _refused(doc)
    assert path == "destinations[0].capacity.scrap"
    assert rule.endswith("reachable-destinations-too-small")
    assert "30,000 t/yr of 'scrap' from Aichi can reach only D, which accept 10,000" in msg


def test_hubs_reachable_by_a_road_group_too_small_are_named() -> None:
    # Hokkaido: 5,000 t collected, its only hub handles 1,000 t; Aichi's hub (100,000 t) is
    # across the sea. All hubs together (101,000 t) would hold it.
    doc = _doc(commodities__scrap__supply__by_prefecture={"Hokkaido": "5000 t"})
    doc["hubs"]["extra"] = [
        {"name": "HH", "prefecture": "Hokkaido",
         "tiers": [{"capacity": "1000 t", "fixed_cost": "1e6 JPY"}]},
        {"name": "HA", "prefecture": "Aichi",
         "tiers": [{"capacity": "100000 t", "fixed_cost": "1e6 JPY"}]}]
    doc["destinations"].append({"name": "DH", "prefecture": "Hokkaido",
                                "capacity": {"scrap": "100000 t"}})
    path, rule, msg = _refused(doc)
    assert path == "hubs.tiers" and rule.endswith("reachable-hubs-too-small")
    assert "5,000 t/yr collected in Hokkaido" in msg and "handle 1,000 t/yr" in msg


def test_a_commodity_whose_modes_reach_no_destination_is_named() -> None:
    doc = _doc()
    doc["commodities"]["scrap"]["handling"] = {"modes": ["ship"], "source": "test"}
    path, rule, msg = _refused(doc)
    assert path == "commodities.scrap.handling.modes" and rule.endswith("commodity-stuck")
    assert "Aichi" in msg


def test_scenario_size_is_limited_naming_hubs_extra() -> None:
    doc = _doc()
    doc["hubs"]["extra"].append({"name": "HS", "prefecture": "Shizuoka"})
    with override_limits(network_flows=47 * 2):  # 47 zones × 2 hubs × 1 commodity
        path, rule, msg = _refused(doc)
        assert path == "hubs.extra" and rule.endswith("network-too-large")
        assert "141 zone → hub flows" in msg and "JUNKAN_LIMIT_NETWORK_FLOWS" in msg
        assert len(network.load(doc=_doc()).hubs) == 2


def test_shipped_examples_and_benchmark_fit_the_size_limit() -> None:
    from benchmarks.network_bench import large_scenario

    biggest = large_scenario()
    flows = 47 * (24 + len(biggest["hubs"]["extra"])) * len(biggest["commodities"])
    assert flows == 47 * 60 * 12 <= limits().network_flows
    for f in [*EXAMPLES.glob("network*.yaml"), *network.case_files()]:
        net = network.load(f)
        assert len(net.zones) * len(net.hubs) * len(net.commodities) <= limits().network_flows


CFLP = "2 3\n100 50\n100 60\n40\n10 30\n40\n20 20\n40\n40 5\n"
"""2 sites (capacity, fixed cost), 3 customers (demand, then the cost from each site)."""


@pytest.mark.parametrize(("line", "value", "words"), [
    (2, "nan", "line 2: site 1 fixed cost is not a finite number (nan)"),
    (3, "-100", "line 3: site 2 capacity is negative (-100)"),
    (4, "-40", "line 4: customer 1 demand is negative (-40)"),
    (7, "inf", "line 7: customer 2 cost from site 2 is not a finite number (inf)"),
])
def test_cflp_non_finite_or_negative_values_are_refused(tmp_path: Path, line: int, value: str,
                                                        words: str) -> None:
    rows = CFLP.splitlines()
    cells = rows[line - 1].split()
    cells[1 if line in (2, 7) else 0] = value
    rows[line - 1] = " ".join(cells)
    f = tmp_path / "c.txt"
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(JunkanError) as exc:
        read_orlib(f)
    assert words in str(exc.value)
    res = CliRunner().invoke(app, ["network", "cflp", str(f)])
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_cflp_capacity_option_must_be_finite(tmp_path: Path) -> None:
    f = tmp_path / "c.txt"
    f.write_text(CFLP, encoding="utf-8")
    assert solve_cflp(read_orlib(f)).objective == pytest.approx(145)  # 50+60 + 10+20+5
    for bad in ("nan", "inf", "-1"):
        res = CliRunner().invoke(app, ["network", "cflp", str(f), f"--capacity={bad}"])
        assert res.exit_code == 2 and "Invalid value for '--capacity'" in res.output, bad
    with pytest.raises(JunkanError, match="finite capacity"):
        solve_cflp(read_orlib(f), capacity=float("nan"))


def test_a_cflp_instance_too_large_is_refused_from_its_first_line(tmp_path: Path) -> None:
    """Before: a 2,000 × 2,000 instance was read and solved for over 90 s (2026-12-05)."""
    f = tmp_path / "huge.txt"
    f.write_text("2000 2000\n1 1\n", encoding="utf-8")  # the rest is never read
    res = CliRunner().invoke(app, ["network", "cflp", str(f)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    msg = " ".join(res.output.split())
    assert "line 1: 2,000 sites × 2,000 customers = 4,000,000 pairs" in msg
    assert "JUNKAN_LIMIT_CFLP_PAIRS" in msg


@pytest.mark.parametrize("first", ["0 0", "0 3", "2 -1"])
def test_a_cflp_instance_without_sites_or_customers_says_so(tmp_path: Path, first: str) -> None:
    """Before: "0 0" was refused as "expected 2 numbers ..., found 2"."""
    f = tmp_path / "empty.txt"
    f.write_text(first + "\n", encoding="utf-8")
    m, n = first.split()
    with pytest.raises(JunkanError, match=f"line 1: {m} sites and {n} customers; an instance "
                                          "has at least one of each"):
        read_orlib(f)


def test_a_cflp_solve_stops_at_its_time_limit() -> None:
    """A solve the time limit stops gives its best plan and says so, or says it found none
    within the limit; `network cflp` always has one (300 s unless told)."""
    rng = np.random.default_rng(0)
    m, n = 40, 300
    inst = CFLPInstance("random", capacity=rng.uniform(500, 1500, m),
                        fixed_cost=rng.uniform(5e3, 2e4, m), demand=rng.uniform(5, 50, n),
                        cost=rng.uniform(10, 1000, (m, n)))
    try:
        sol = solve_cflp(inst, time_limit=1e-3)
    except JunkanError as exc:
        assert "no solution within the time limit of 0.001 s" in str(exc)
    else:
        assert "time limit" in sol.status.lower()
    res = CliRunner().invoke(app, ["network", "cflp", "x.txt", "--time-limit", "0.5"])
    assert res.exit_code == 2 and "--time-limit" in res.output
