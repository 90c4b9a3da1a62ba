"""Demand per destination and year (``periods.demand_by_year``, inline or a CSV file beside
the scenario) in planning over time; the per-year tables' errors name the file, line and
column; the optimum with a demand table equals brute force on 3 sites × 3 periods."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from junkan import network
from junkan.api.work import network_periods_job
from junkan.cli.network import app
from junkan.core.errors import ModelError
from junkan.network.model import build
from junkan.network.multiperiod import period_model, solve_periods
from tests.network.test_periods import TINY, _brute_force, _net
from tests.network.test_periods_spread import SPREAD, _spread

EXAMPLES = Path(__file__).parents[2] / "examples"
YEARS = [2030, 2035, 2040]  # TINY's periods.years
DEMAND = {"R Okayama": [100000, 100000, 30000], "R Kitakyushu": [0, 0, 40000]}
"""t/yr each recycler accepts (test data): Kitakyushu opens in 2040 and Okayama takes less
then, so 2040's 65,000 t must go partly to Kitakyushu."""


def _demand(table: Mapping[str, Sequence[float]] | None = None) -> dict[str, Any]:
    """:func:`_spread` with a second recycler (Kitakyushu) and ``periods.demand_by_year``."""
    doc = _spread()
    doc["destinations"].append({"name": "R Kitakyushu", "prefecture": "Fukuoka",
                                "lat": 33.88, "lon": 130.88, "capacity": {"panel": "40000 t"}})
    doc["periods"]["demand_by_year"] = {"panel": copy.deepcopy(table or DEMAND)}
    return doc


def _write(tmp: Path, doc: dict[str, Any], supply: str, demand: str) -> Path:
    (tmp / "supply.csv").write_text(supply, encoding="utf-8")
    (tmp / "demand.csv").write_text(demand, encoding="utf-8")
    doc = copy.deepcopy(doc)
    doc["periods"]["supply_by_year"] = "supply.csv"
    doc["periods"]["demand_by_year"] = "demand.csv"
    path = tmp / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def _csv(key: str, table: Mapping[str, Sequence[float]]) -> str:
    return f"# source: test data\n{key},year,commodity,t\n" + "".join(
        f"{a},{y},panel,{v[t]}\n" for a, v in table.items() for t, y in enumerate(YEARS))


@pytest.mark.slow
def test_demand_per_year_optimum_equals_brute_force() -> None:
    net = _net(_demand())
    m = period_model(net)
    assert m.dest_cap[:, 0, :].tolist() == [DEMAND["R Okayama"], DEMAND["R Kitakyushu"]]
    best, levels = _brute_force(m)
    plan = solve_periods(net)
    assert plan.npv_cost == pytest.approx(best, rel=1e-7)
    np.testing.assert_array_equal(plan.levels, levels)
    last = plan.periods[2]["destinations"]
    assert last["R Okayama"]["delivered_t"] <= 30000 + 1e-6
    assert last["R Kitakyushu"]["delivered_t"] > 0
    assert plan.periods[0]["destinations"]["R Kitakyushu"]["delivered_t"] == 0
    assert plan.periods[2]["demand_t"] == 70000


def test_a_demand_table_equals_the_same_capacity_times_demand_factor() -> None:
    """Okayama 100 kt × [1, 1, 0.5] and Kitakyushu 40 kt × [0, 0, 1] (demand_factor) are the
    table [100, 100, 50] kt and [0, 0, 40] kt: the same model and the same optimum."""
    table = _net(_demand({"R Okayama": [100000, 100000, 50000],
                          "R Kitakyushu": [0, 0, 40000]}))
    factor = _net(_spread(demand=True))
    np.testing.assert_array_equal(period_model(table).dest_cap, period_model(factor).dest_cap)
    assert solve_periods(table).npv_cost == pytest.approx(solve_periods(factor).npv_cost,
                                                          rel=1e-9)


def test_tables_from_csv_files_beside_the_scenario(tmp_path: Path) -> None:
    assert TINY["periods"]["years"] == YEARS  # type: ignore[index]
    path = _write(tmp_path, _demand(), _csv("area", SPREAD), _csv("destination", DEMAND))
    m = period_model(network.load(path))
    inline = period_model(_net(_demand()))
    np.testing.assert_array_equal(m.supply, inline.supply)
    np.testing.assert_array_equal(m.dest_cap, inline.dest_cap)
    res = CliRunner().invoke(app, ["periods", str(path), "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout[res.stdout.index("{"):])
    assert out["periods"][2]["destinations"]["R Kitakyushu"]["demand_t_by_commodity"] == \
        {"panel": 40000}


@pytest.mark.parametrize("supply,demand,expected", [
    ("area,year,commodity,t\nAtlantis,2030,panel,5\n", None,
     ["supply.csv:line 2, area: unknown prefecture 'Atlantis'"]),
    ("area,year,commodity,t\nAichi,2030,panel,5\n23,2035,panel,5\n", None,
     ["supply.csv:line 3, area: '23' is the same area as 'Aichi' of an earlier row"]),
    ("region,year,commodity,t\n", None,
     ["supply.csv:line 1: the header must be 'area,year,commodity,t' (column 1 is 'region'"]),
    (None, "destination,year,commodity,t\nR Nowhere,2030,panel,5\n",
     ["demand.csv:line 2, destination: unknown destination 'R Nowhere'; the scenario's "
      "destinations: R Okayama, R Kitakyushu"]),
    (None, "destination,year,commodity,t\nR Okayama,2030,panel,-1\nR Okayama,2035,panel,nan"
     "\nR Okayama,2040,panel,\n",
     ["demand.csv:line 2, t: '-1' must be a number of tonnes", "demand.csv:line 3, t: 'nan'",
      "demand.csv:line 4, t: '' must be"]),
    (None, "destination,year,commodity,t\nR Okayama,2030,panel,5\nR Okayama,2040,panel,5\n",
     ["demand.csv:panel.R Okayama: no row for 2035 (one per year of periods.years; its rows: "
      "line 2, 3)"]),
    (None, "destination,year,commodity,t\nR Okayama,twenty,panel,5\n",
     ["demand.csv:line 2, year: 'twenty' is not a whole year"]),
    ("area,year,commodity,t\nAichi,2029,panel,5\n",
     "destination,year,commodity,t\nR Okayama,2030,panel,5,6\n",
     ["supply.csv:line 2, year: 2029 is not one of periods.years",
      "demand.csv:line 2: give 4 cells (destination,year,commodity,t), not 5"]),
])
def test_bad_rows_name_the_file_line_and_column(tmp_path: Path, supply: str | None,
                                                demand: str | None,
                                                expected: list[str]) -> None:
    path = _write(tmp_path, _demand(), supply or _csv("area", SPREAD),
                  demand or _csv("destination", DEMAND))
    with pytest.raises(ModelError) as err:
        network.load(path)
    for text in expected:
        assert text in str(err.value)


@pytest.mark.parametrize("change,message", [
    (lambda p: p["demand_by_year"]["panel"].update({"R Okayama": [1, 2]}),
     "periods: demand_by_year.panel.R Okayama: give 3 values, one per year, not 2"),
    (lambda p: p["demand_by_year"]["panel"].update({"R Okayama": [1, -2, 3]}),
     "periods.demand_by_year.panel.R Okayama[1]: "),
    (lambda p: p["demand_by_year"]["panel"].update({"R Okayama": [1, float("nan"), 3]}),
     "periods.demand_by_year.panel.R Okayama[1]: "),
    (lambda p: p.update(demand_factor={"R Okayama": [1, 1, 1]}),
     "demand_by_year.panel.R Okayama: give demand_factor or demand_by_year"),
    (lambda p: p.update(demand_factor={"panel": [1, 1, 1]}),
     "demand_by_year.panel: give demand_factor or demand_by_year for 'panel'"),
    (lambda p: p.update(supply_factor={"panel": [1, 1, 1]}),
     "supply_by_year.panel: give supply_factor or supply_by_year for 'panel', not both"),
    (lambda p: p["supply_by_year"].update(glass={}),
     "supply_by_year.glass: give at least one area"),
    (lambda p: p["demand_by_year"].update(glass={}),
     "demand_by_year.glass: give at least one destination"),
    (lambda p: p.pop("source"),
     "source: supply_by_year replaces the scenario's supply; say where its figures come from"),
    (lambda p: (p.pop("source"), p.pop("supply_by_year"), p.update(supply_factor={})),
     "source: demand_by_year replaces the destinations' capacity; say where its figures"),
])
def test_bad_inline_demand_is_named_by_the_schema(change: Any, message: str) -> None:
    doc = _demand()
    change(doc["periods"])
    with pytest.raises(ModelError) as err:
        network.load(doc=doc)
    assert message in str(err.value)


@pytest.mark.parametrize("change,message", [
    (lambda p: p["demand_by_year"]["panel"].update({"R Nowhere": [1, 1, 1]}),
     "periods.demand_by_year.panel.R Nowhere: unknown destination 'R Nowhere'"),
    (lambda p: p["demand_by_year"].update(glass={"R Okayama": [1, 1, 1]}),
     "periods.demand_by_year.glass: unknown commodity 'glass'"),
    (lambda p: p["demand_by_year"]["panel"].update({"R Okayama": [100000, 20000, 30000]}),
     "periods.demand_by_year.panel: infeasible in 2035: 55,000 t of panel reach the "
     "destinations but they accept only 20,000 t that year"),
])
def test_bad_demand_is_named_before_solving(change: Any, message: str) -> None:
    doc = _demand()
    change(doc["periods"])
    with pytest.raises(ModelError) as err:
        period_model(_net(doc))
    assert message in str(err.value)


def test_api_takes_the_demand_table_inline_and_refuses_a_file_name() -> None:
    doc = network_periods_job(yaml.safe_dump(_demand()), None, "benders")
    assert doc["periods"][2]["destinations"]["R Kitakyushu"]["delivered_t"] > 0
    assert doc["periods"][2]["demand_t"] == 70000
    bad = _demand()
    bad["periods"]["demand_by_year"] = "demand.csv"
    with pytest.raises(ModelError, match="periods.demand_by_year: 'demand.csv': a CSV file"):
        network_periods_job(yaml.safe_dump(bad))


def test_shipped_tables_example_is_the_inline_shift_example() -> None:
    """``examples/network_periods_tables.yaml`` (both tables as CSV files, the docs' example)
    is ``network_periods_shift.yaml`` (inline supply, demand_factor), every figure of both
    marked as an assumption."""
    tables = period_model(network.load(EXAMPLES / "network_periods_tables.yaml"))
    shift = period_model(network.load(EXAMPLES / "network_periods_shift.yaml"))
    np.testing.assert_array_equal(tables.supply, shift.supply)
    np.testing.assert_array_equal(tables.dest_cap, shift.dest_cap)
    text = (EXAMPLES / "network_periods_demand.csv").read_text(encoding="utf-8")
    assert "source: ASSUMPTION" in text


def test_lifecycle_supply_per_area_and_year_as_a_csv_the_cli_reads(tmp_path: Path) -> None:
    """A lifecycle run's end-of-life outflow per year, split by a proxy, written as the
    per-year supply table (``by_area``, :func:`network.year_table_csv`), read back beside a
    scenario: the same supply per prefecture and year, and ``network periods`` plans it."""
    from tests.network.test_periods_spread import _Run

    kg = {2030: 30e6, 2035: 55e6, 2040: 60e6}
    eol = network.Outflow("flows", {"source": "Use", "target": "End-of-life collection"})
    west = network.Proxy({"Aichi": 2, "Osaka": 1, "Fukuoka": 1}, source="test proxy")
    sc = network.supply_from_lifecycle(_net(_spread()).scenario, _Run(kg), {"panel": eol},
                                       years=YEARS, proxy=west, by_area=True)
    assert sc.periods is not None and not sc.periods.supply_factor
    table = sc.periods.supply_by_year
    assert table["panel"]["Aichi"] == pytest.approx([15000, 27500, 30000])
    text = network.year_table_csv(table, YEARS, source=sc.periods.source or "")
    assert text.startswith("# lifecycle run 'stub'")
    demand = {"R Okayama": [100000, 100000, 100000]}
    path = _write(tmp_path, _demand(demand), text, _csv("destination", demand))
    m = period_model(network.load(path))
    np.testing.assert_allclose(m.supply, period_model(build(sc)).supply, rtol=1e-9)
    res = CliRunner().invoke(app, ["periods", str(path), "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout[res.stdout.index("{"):])
    assert [p["supply_t"] for p in out["periods"]] == pytest.approx([30000, 55000, 60000])
    with pytest.raises(ValueError, match="key 'site'"):
        network.year_table_csv(table, YEARS, key="site")
