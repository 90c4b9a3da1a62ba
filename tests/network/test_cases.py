"""The twelve case studies (issue 25, item 4): candidate sites lie in their prefectures, every
supply figure has a source (with a date) or is marked an assumption, commodity handling
changes the plan as it should, and the comparison runs and reports."""

from __future__ import annotations

import re

import numpy as np
import pytest

from junkan import network
from junkan.core.errors import ModelError
from junkan.network.geo import distance_to_polygon_km, inside, prefecture_polygons, sites
from junkan.network.model import build
from junkan.network.plan import solve

TINY = """
junkan_network: 1
name: tiny
commodities:
  lib:
    supply: {by_prefecture: {Aichi: 1000 t, Osaka: 500 t}, source: test}
hubs:
  extra: [{name: Nagoya yard, port: Nagoya}]
  tiers: [{capacity: 5000 t, fixed_cost: 1e6 JPY}]
destinations:
  - {name: Niihama, site: niihama, capacity: {lib: 5000 t}}
modes:
  truck: {cost: 30 JPY/(t*km), co2e: 208 gCO2e/(t*km), detour_factor: 1.3, source: test}
  ship: {cost: 6 JPY/(t*km), co2e: 43 gCO2e/(t*km), detour_factor: 1.25, handling: 2500 JPY/t,
         source: test}
"""


def test_every_site_lies_in_its_prefecture() -> None:
    polys = prefecture_polygons()
    assert len(sites()) >= 18
    for s in sites().values():
        poly = polys[s.prefecture]
        elsewhere = [c for c, p in polys.items() if c != s.prefecture and inside(p, s.lon, s.lat)]
        assert elsewhere == [], f"{s.key} lies in prefecture {elsewhere}, not {s.prefecture}"
        # the outlines hold each prefecture's main area, coasts simplified at 1 km: a quay
        # may sit just outside; an island within 25 km
        limit = 25 if s.island else 3
        assert distance_to_polygon_km(poly, s.lon, s.lat) <= limit, s.key


def test_twelve_cases_cover_the_seed_and_every_supply_is_sourced() -> None:
    files = network.case_files()
    assert len(files) == 12
    cases_of_sites = {c for s in sites().values() for c in s.cases}
    assert cases_of_sites == set(range(1, 13)) - {1, 2}  # ① ② are national: ports, offices
    for f in files:
        sc = network.load(f).scenario
        for name, c in sc.commodities.items():
            src = c.supply.source or ""
            dated = re.search(r"(19|20)\d\d", src) is not None
            assert dated or "ASSUMPTION" in src, f"{f.name}: {name}: {src}"
            if c.handling is not None:
                assert c.handling.source


def _tiny(**handling: object) -> network.Network:
    """The tiny scenario, its commodity with ``handling`` (flow-style YAML)."""
    text = TINY
    if handling:
        text = TINY.replace("    supply:", "    handling: " + str(
            {**handling, "source": "test"}).replace("'", "") + "\n    supply:")
    return network.load(text=text)


def test_handling_adds_its_cost_exactly_and_bars_modes() -> None:
    base = solve(_tiny(), mip_rel_gap=1e-6)
    assert any(f["mode"] == "ship" for f in base.flows)  # Nagoya → Niihama's quay by sea
    dg = solve(_tiny(at_hub="10000 JPY/t", on_site="2000 JPY/t"), mip_rel_gap=1e-6)
    assert dg.cost - base.cost == pytest.approx(1500 * 12000, rel=1e-9)
    truck_only = solve(_tiny(modes=["truck"]), mip_rel_gap=1e-6)
    assert {f["mode"] for f in truck_only.flows} == {"truck"}
    assert truck_only.cost > base.cost
    half = solve(_tiny(load_factor=0.5, modes=["truck"]), mip_rel_gap=1e-6)
    assert half.co2_t == pytest.approx(2 * truck_only.co2_t, rel=1e-9)


def test_regional_supply_uses_the_regions_population_share() -> None:
    text = TINY.replace("supply: {by_prefecture: {Aichi: 1000 t, Osaka: 500 t}, source: test}",
                        "supply: {national_total: 30000 t, within: [Aichi, Osaka], "
                        "regional_share: true, source: test}")
    net = build(network.load(text=text).scenario)
    pop = np.array([z.population for z in net.zones])
    share = (pop[22] + pop[26]) / pop.sum()
    assert net.collected.sum() == pytest.approx(30000 * share)
    assert net.collected[22, 0] / net.collected[26, 0] == pytest.approx(pop[22] / pop[26])
    with pytest.raises(ModelError, match="unknown site"):
        network.load(text=TINY.replace("site: niihama", "site: atlantis"))


def test_comparison_of_two_cases_and_its_report(tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = [f for f in network.case_files() if f.stem in ("case04_ship_recycling",
                                                           "case09_wind")]
    events: list[dict] = []
    cmp = network.cases(files, gap=0.01, workers=1, listener=events.append)
    assert [r["case"] for r in cmp.rows] == ["case04_ship_recycling", "case09_wind"]
    assert len(events) == 2 and all(e["state"] == "done" for e in events)
    for r in cmp.rows:
        assert r["cost_per_t"] == pytest.approx(r["cost_JPY"] / r["supply_t"])
        assert sum(r["modal_split"].values()) == pytest.approx(1.0)
        assert r["hubs_opened"]
    wind = cmp.rows[1]
    assert "blades" in wind["handling"]
    page = cmp.report(tmp_path)
    html = page.read_text("utf-8")
    assert "Wind-turbine" in html and "ASSUMPTION" in html
    assert (tmp_path / "cases.json").exists()
    assert list(cmp.to_frame()["hubs_opened"]) == [len(r["hubs_opened"]) for r in cmp.rows]


def test_the_cases_are_listed_without_solving_them() -> None:
    import json

    from typer.testing import CliRunner

    from junkan.cli.main import app

    out = CliRunner().invoke(app, ["network", "cases", "--list", "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [r["file"] for r in rows] == [str(f) for f in network.case_files()]
    assert len(rows) == 12 and rows[0]["title"].startswith("①")



def test_listing_a_missing_case_file_names_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from junkan.cli.main import app

    out = CliRunner().invoke(app, ["network", "cases", str(tmp_path / "nope.yaml"), "--list"])
    assert out.exit_code == 2 and "nope.yaml" in out.output


def test_coordinates_off_the_globe_are_refused() -> None:
    """A past gap (Japanese walkthrough): a destination at latitude 142 was accepted."""
    text = TINY.replace("site: niihama,", "site: niihama, lat: 142, lon: 133,")
    with pytest.raises(ModelError) as err:
        network.load(text=text)
    assert any(p.path.endswith(".lat") and p.kind == "less_than_equal"
               for p in err.value.problems), err.value.problems
