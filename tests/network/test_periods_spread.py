"""Supply and demand per year in planning over time (issue 25, item 2): a supply spread that
changes over the years (``periods.supply_by_year``, inline or a CSV file) and destination
capacity per year (``periods.demand_factor``) flow through the monolithic model, the rolling
horizon and Benders, the CLI and the API, and come back in the plan per year; bad input is
named."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from junkan import network
from junkan.api.work import network_periods_job
from junkan.cli.network import app
from junkan.core.errors import JunkanError, ModelError
from junkan.network.lifecycle_link import Outflow, Proxy, supply_from_lifecycle
from junkan.network.model import build
from junkan.network.multiperiod import period_model, solve_periods
from tests.network.test_benders import _check
from tests.network.test_periods import TINY, _brute_force, _net

SPREAD = {"Aichi": [40000, 20000, 5000], "Osaka": [15000, 15000, 15000],
          "Fukuoka": [0, 20000, 45000]}
"""Supply (t/yr) moving west: Aichi shrinks, Fukuoka grows from nothing (test data)."""


def _spread(demand: bool = False) -> dict[str, Any]:
    """TINY (hubs in Aichi, Osaka, Fukuoka; a recycler in Okayama) with the supply spread
    of :data:`SPREAD`; with ``demand`` a second recycler in Kitakyushu that opens in 2040
    while Okayama halves its intake then."""
    doc: dict[str, Any] = copy.deepcopy(TINY)
    doc["periods"].pop("supply_factor")
    doc["periods"]["supply_by_year"] = {"panel": copy.deepcopy(SPREAD)}
    if demand:
        doc["destinations"].append({"name": "R Kitakyushu", "prefecture": "Fukuoka",
                                    "lat": 33.88, "lon": 130.88,
                                    "capacity": {"panel": "40000 t"}})
        doc["periods"]["demand_factor"] = {"R Kitakyushu": [0, 0, 1], "R Okayama": [1, 1, 0.5]}
    return doc


def _capacity(plan: Any, hub: str) -> list[float]:
    rows = {s["hub"]: s["capacity_t_by_year"] for s in plan.schedule}
    return [rows.get(hub, {}).get(str(y), 0.0) for y in plan.years]


@pytest.mark.parametrize("method", ["monolithic", "rolling", "benders"])
def test_a_hub_opens_later_in_the_growing_region_by_every_method(method: str) -> None:
    net = _net(_spread(demand=True))
    mono = solve_periods(net)
    plan = solve_periods(net, method=method, window=1 if method == "rolling" else None)
    fukuoka, osaka = _capacity(plan, "H Fukuoka"), _capacity(plan, "H Osaka")
    assert fukuoka[0] == 0 < fukuoka[1] < fukuoka[2]  # opens as supply arrives, then grows
    assert osaka[2] < osaka[1]  # shrinks as its region's supply moves west
    if method == "benders":
        assert plan.stopped == "gap reached"
        assert plan.npv_cost == pytest.approx(mono.npv_cost, rel=1e-6)
    assert plan.npv_cost >= mono.npv_cost * (1 - 1e-9)
    # the supply and demand used, per year, in the result
    doc = plan.to_json()
    for t, row in enumerate(doc["periods"]):
        assert row["supply_t_by_area"] == {a: v[t] for a, v in SPREAD.items() if v[t] > 0}
        assert row["supply_t"] == pytest.approx(sum(v[t] for v in SPREAD.values()))
        assert row["collected_t"] == pytest.approx(row["supply_t"], rel=1e-6)
    dests = [row["destinations"] for row in doc["periods"]]
    assert [d["R Kitakyushu"]["demand_t_by_commodity"]["panel"] for d in dests] == [0, 0, 40000]
    assert [d["R Okayama"]["demand_t_by_commodity"]["panel"] for d in dests] == \
        [100000, 100000, 50000]
    assert dests[0]["R Kitakyushu"]["delivered_t"] == dests[1]["R Kitakyushu"]["delivered_t"] == 0
    assert dests[2]["R Kitakyushu"]["delivered_t"] == pytest.approx(40000)  # the near one, full
    assert dests[2]["R Okayama"]["delivered_t"] <= 50000 * (1 + 1e-9)


def test_the_same_totals_spread_alike_open_the_western_hub_from_the_start() -> None:
    """Why the per-area table matters: the same yearly totals as one ``supply_factor``
    (every area alike) give Fukuoka supply from 2030, so its hub runs from 2030."""
    doc: dict[str, Any] = copy.deepcopy(TINY)
    totals = [sum(v[t] for v in SPREAD.values()) for t in range(3)]
    doc["periods"]["supply_factor"]["panel"] = [x / 65000 for x in totals]
    assert _capacity(solve_periods(_net(doc)), "H Fukuoka")[0] > 0
    assert _capacity(solve_periods(_net(_spread())), "H Fukuoka")[0] == 0


def test_benders_equals_the_monolithic_optimum_when_the_spread_moves() -> None:
    _, res = _check(_spread(demand=True))  # same cost, feasible, LB ≤ optimum ≤ UB throughout
    assert res.status.startswith("Benders (gap reached")


@pytest.mark.slow
def test_spread_and_demand_per_year_optimum_equals_brute_force() -> None:
    net = _net(_spread(demand=True))
    best, levels = _brute_force(period_model(net))
    plan = solve_periods(net)
    assert plan.npv_cost == pytest.approx(best, rel=1e-7)
    np.testing.assert_array_equal(plan.levels, levels)


def test_supply_by_year_from_a_csv_file_beside_the_scenario(tmp_path: Path) -> None:
    rows = [f"{a},{y},panel,{v[t]}" for a, v in SPREAD.items()
            for t, y in enumerate(TINY["periods"]["years"])]
    (tmp_path / "supply.csv").write_text("# source: test data\narea,year,commodity,t\n"
                                         + "\n".join(rows) + "\n", encoding="utf-8")
    doc = _spread()
    doc["periods"]["supply_by_year"] = "supply.csv"
    path = tmp_path / "spread.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    m = period_model(network.load(path))
    np.testing.assert_array_equal(m.supply, period_model(_net(_spread())).supply)
    res = CliRunner().invoke(app, ["periods", str(path), "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout[res.stdout.index("{"):])
    assert out["periods"][2]["supply_t_by_area"] == {"Aichi": 5000, "Osaka": 15000,
                                                     "Fukuoka": 45000}
    # a bad row is named with the file and its line; a missing year is named too
    (tmp_path / "supply.csv").write_text("area,year,commodity,t\nAichi,2030,panel,-5\n"
                                         "Aichi,2031,panel,5\nOsaka,2030,panel,nan\n",
                                         encoding="utf-8")
    with pytest.raises(ModelError) as err:
        network.load(path)
    text = str(err.value)
    assert "supply.csv:line 2, t: '-5' must be a number of tonnes" in text
    assert "line 3, year: 2031 is not one of periods.years" in text
    assert "line 4, t: 'nan'" in text
    (tmp_path / "supply.csv").write_text("area,year,commodity,t\nAichi,2030,panel,5\n",
                                         encoding="utf-8")
    with pytest.raises(ModelError, match="panel.Aichi: no row for 2035, 2040"):
        network.load(path)
    # over the API the scenario is text: a file name is refused, naming the field
    with pytest.raises(ModelError, match="periods.supply_by_year: 'supply.csv': a CSV file"):
        network.load(text=yaml.safe_dump(doc))


@pytest.mark.parametrize("change,field,message", [
    (lambda p: p["supply_by_year"]["panel"].update(Aichi=[1, 2]),
     "periods", "supply_by_year.panel.Aichi: give 3 values, one per year, not 2"),
    (lambda p: p.update(demand_factor={"R Okayama": [1, 1]}),
     "periods", "demand_factor.R Okayama: give 3 values, one per year, not 2"),
    (lambda p: p["supply_by_year"]["panel"].update(Aichi=[1, -2, 3]),
     "periods.supply_by_year.panel.Aichi[1]", "greater than or equal to 0"),
    (lambda p: p["supply_by_year"]["panel"].update(Aichi=[1, float("nan"), 3]),
     "periods.supply_by_year.panel.Aichi[1]", "finite"),
    (lambda p: p.update(demand_factor={"R Okayama": [1, float("nan"), 1]}),
     "periods.demand_factor.R Okayama[1]", "finite"),
    (lambda p: p.update(demand_factor={"R Okayama": [1, -1, 1]}),
     "periods.demand_factor.R Okayama[1]", "greater than or equal to 0"),
    (lambda p: p.update(supply_factor={"panel": [1, 1, 1]}),
     "periods", "supply_by_year.panel: give supply_factor or supply_by_year"),
    (lambda p: p.pop("source"), "periods", "source: supply_by_year replaces the scenario's "
     "supply; say where its figures come from"),
])
def test_bad_tables_are_named_by_the_schema(change: Any, field: str, message: str) -> None:
    doc = _spread()
    change(doc["periods"])
    with pytest.raises(ModelError) as err:
        network.load(doc=doc)
    assert f"{field}: " in str(err.value) and message in str(err.value)


@pytest.mark.parametrize("change,message", [
    (lambda p: p["supply_by_year"]["panel"].update(Atlantis=[1, 1, 1]),
     "periods.supply_by_year.panel.Atlantis: unknown prefecture 'Atlantis'"),
    (lambda p: p["supply_by_year"]["panel"].update({23: [1, 1, 1]}),
     "periods.supply_by_year.panel.23: the same prefecture as 'Aichi'"),
    (lambda p: p["supply_by_year"].update(glass={"Aichi": [1, 1, 1]}),
     "periods.supply_by_year.glass: unknown commodity 'glass'"),
    (lambda p: p.update(demand_factor={"R Nowhere": [1, 1, 1]}),
     "periods.demand_factor.R Nowhere: unknown destination or commodity 'R Nowhere'"),
    (lambda p: p.update(demand_factor={"R Okayama": [1, 0.5, 1]}),
     "periods.demand_factor: infeasible in 2035: 55,000 t of panel reach the destinations "
     "but they accept only 50,000 t that year"),
    (lambda p: p["supply_by_year"]["panel"].update(Okinawa=[0, 0, 10]),
     "periods.supply_by_year.panel: infeasible: Okinawa has supply but no hub"),
    (lambda p: p.update(lead_time=1),
     "periods.lead_time: infeasible: supply arrives in 2030"),
    (lambda p: p["supply_by_year"]["panel"].update(Aichi=[1e-7, 20000, 5000]),
     "periods.supply_by_year.panel.Aichi: 2030: below 0.001 t"),
])
def test_bad_periods_are_named_before_solving(change: Any, message: str) -> None:
    doc = _spread()
    change(doc["periods"])
    with pytest.raises(ModelError, match=message.replace(".", r"\.").replace("(", r"\(")):
        period_model(_net(doc))


def test_a_year_whose_only_reachable_destination_is_closed_is_named_before_solving() -> None:
    """Hokkaido's supply reaches (by truck) only the Sapporo hub, whose only destination
    takes nothing in 2035: named with the area and year, not a bare 'Infeasible' after the
    solve (or Benders running to its time limit)."""
    doc = _spread()
    doc["hubs"]["extra"].append({"name": "H Sapporo", "prefecture": "Hokkaido"})
    doc["destinations"].append({"name": "R Hokkaido", "prefecture": "Hokkaido",
                                "capacity": {"panel": "50000 t"}})
    doc["periods"]["supply_by_year"]["panel"]["Hokkaido"] = [10000, 10000, 10000]
    doc["periods"]["demand_factor"] = {"R Hokkaido": [1, 0, 1]}
    with pytest.raises(ModelError, match="periods.demand_factor: infeasible in 2035: "
                       "Hokkaido has 10,000 t of panel but no destination its hubs reach"):
        period_model(_net(doc))
    doc["periods"]["demand_factor"] = {"R Hokkaido": [1, 1, 1]}
    assert period_model(_net(doc)).supply.sum() > 0


def test_a_supply_csv_with_only_its_header_is_refused(tmp_path: Path) -> None:
    """An empty table would replace the scenario's supply with nothing (it used to fall
    back to the scenario's template supply silently)."""
    (tmp_path / "supply.csv").write_text("area,year,commodity,t\n", encoding="utf-8")
    doc = _spread()
    doc["periods"]["supply_by_year"] = "supply.csv"
    path = tmp_path / "spread.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(ModelError, match="supply.csv: no rows after the header"):
        network.load(path)


def test_api_periods_take_and_return_supply_and_demand_per_year() -> None:
    doc = network_periods_job(yaml.safe_dump(_spread(demand=True)), None, "rolling", 1)
    assert doc["method"] == "rolling horizon, window 1"
    assert doc["periods"][0]["supply_t_by_area"] == {"Aichi": 40000, "Osaka": 15000}
    assert doc["periods"][2]["destinations"]["R Kitakyushu"]["delivered_t"] == \
        pytest.approx(40000)
    hubs = {s["hub"]: s["capacity_t_by_year"] for s in doc["schedule"]}
    assert hubs["H Fukuoka"]["2030"] == 0 < hubs["H Fukuoka"]["2035"]


def test_lifecycle_supply_per_year_with_a_proxy_that_moves() -> None:
    """The lifecycle run's outflow per year, split by the proxy in force each year (e.g.
    installed capacity published for two years), becomes ``supply_by_year``; a series that
    starts at 0 is kept as it is instead of refused."""
    series = {2020: 1000.0, 2025: 1500.0, 2030: 4000.0, 2040: 9000.0}  # t
    result = _Run({y: 1000 * t for y, t in series.items()})
    eol = Outflow("flows", {"source": "Use", "target": "End-of-life collection"})
    base = _net(_spread()).scenario
    east = Proxy({"Aichi": 3, "Osaka": 1}, source="test proxy A")
    west = Proxy({"Aichi": 1, "Fukuoka": 1}, source="test proxy B")
    years = [2020, 2030, 2040]
    sc = supply_from_lifecycle(base, result, {"panel": eol}, years=years,
                               proxy_by_year={2015: east, 2030: west})
    assert sc.periods is not None and not sc.periods.supply_factor
    table = sc.periods.supply_by_year["panel"]
    assert table["Aichi"] == pytest.approx([0.75 * series[2020], 0.5 * series[2030],
                                            0.5 * series[2040]], rel=1e-5)
    assert table["Osaka"] == pytest.approx([0.25 * series[2020], 0, 0], rel=1e-5)
    assert table["Fukuoka"] == pytest.approx([0, 0.5 * series[2030], 0.5 * series[2040]],
                                             rel=1e-5)
    assert "from 2020: test proxy A" in (sc.periods.source or "")
    m = period_model(build(sc))
    assert m.supply[:, 0, :].sum(axis=0) == pytest.approx([series[y] for y in years], rel=1e-5)
    with pytest.raises(JunkanError, match="proxy_by_year starts in 2025"):
        supply_from_lifecycle(base, result, {"panel": eol}, years=years,
                              proxy_by_year={2025: east})
    # one proxy and a series that starts at 0 (solar panels before the first wave):
    # per-year values per area, not refused as a supply factor of 0 / 0 would be
    sc0 = supply_from_lifecycle(base, _Run({2030: 0.0, 2035: 2000.0, 2040: 8000.0}),  # kg
                                {"panel": eol}, years=[2030, 2035, 2040], proxy=east)
    assert sc0.periods is not None
    assert sc0.periods.supply_by_year["panel"]["Aichi"] == pytest.approx([0, 1.5, 6])  # t
    assert "2035" in (sc0.commodities["panel"].supply.source or "")
    with pytest.raises(JunkanError, match="in 2030 is 0; start at a year with outflow"):
        supply_from_lifecycle(base, _Run({2030: 0.0}), {"panel": eol}, year=2030)


class _Run:
    """A lifecycle result as the link reads it (its public ``flows`` table): the end-of-life
    outflow ``kg`` per year."""

    scenario = "stub"

    def __init__(self, kg: dict[int, float]) -> None:
        self.kg = kg

    def to_frame(self, table: str) -> Any:
        import pandas as pd

        return pd.DataFrame({"year": list(self.kg), "source": "Use",
                             "target": "End-of-life collection", "mass_kg": list(self.kg.values())})


SHIFT = Path("examples/network_periods_shift.yaml")


def test_shipped_csv_is_the_shipped_inline_table(tmp_path: Path) -> None:
    """``examples/network_periods_shift.csv`` holds the example's inline table (the docs run
    the example with it), every figure of both marked as an assumption."""
    doc = yaml.safe_load(SHIFT.read_text(encoding="utf-8"))
    doc["periods"]["supply_by_year"] = "network_periods_shift.csv"
    (tmp_path / "network_periods_shift.csv").write_bytes(SHIFT.with_suffix(".csv").read_bytes())
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    inline = period_model(network.load(SHIFT))
    np.testing.assert_array_equal(period_model(network.load(tmp_path / "scenario.yaml")).supply,
                                  inline.supply)
    assert "ASSUMPTION" in doc["periods"]["source"]
    assert "source: ASSUMPTION" in SHIFT.with_suffix(".csv").read_text(encoding="utf-8")
    # Kyushu's recycler doubles its intake, Tohoku's opens in 2035 (demand_factor)
    names = [d["name"] for d in doc["destinations"]]
    assert inline.dest_cap[names.index("Recycler Kyushu"), 0].tolist() == \
        [50000, 100000, 150000, 200000]
    assert inline.dest_cap[names.index("Recycler Tohoku"), 0, 0] == 0


@pytest.mark.slow
def test_shipped_shift_example_opens_hubs_where_supply_grows() -> None:
    plan = solve_periods(network.load(SHIFT), mip_rel_gap=1e-4)
    assert plan.stopped == "gap reached"
    assert _capacity(plan, "Kosaka (Akita)")[0] == 0 < _capacity(plan, "Kosaka (Akita)")[1]
    yokohama = _capacity(plan, "Yokohama")
    assert yokohama[3] < yokohama[2]  # Kanto's supply falls after 2040
