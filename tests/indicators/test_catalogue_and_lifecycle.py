"""The seed-003 catalogue, trade-off warnings, and indicators of simulation results."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from junkan.cli.main import app
from junkan.indicators import compute, from_lifecycle
from junkan.indicators.catalogue import affected, catalogue, drivers, tradeoff_warnings
from junkan.lifecycle import load_model, simulate
from tests.conftest import EXAMPLES


def test_catalogue_has_45_numbered_indicators() -> None:
    cat = catalogue()
    assert [e.number for e in cat] == list(range(1, 46))
    assert [e.name_ja for e in cat[:5]] == ["CE市場規模", "バリューチェーン上のGHG排出削減量",
                                             "入口側の再生材利用率", "出口側の再生率", "最終処分量"]
    assert sum(e.representative for e in cat) == 5


def test_what_drives_the_recycled_content_rate() -> None:
    numbers = [e.number for e in drivers(3)]
    assert 32 in numbers  # eco-design adoption (seed 003, case 1)
    assert 7 in numbers   # resources procured by the other maker (case 1)
    assert 26 in [e.number for e in affected(1)]  # ecological footprint is an outcome
    with pytest.raises(KeyError):
        drivers(12)


def test_tradeoff_warning_for_the_eco_design_case() -> None:
    # longer life: less final disposal, but a lower recycled-content rate
    warn = tradeoff_warnings({"final_disposal_t": -5.0, "recycled_share": -0.02})
    assert warn and "#5" in warn[0] and "#3" in warn[0]
    assert tradeoff_warnings({"final_disposal_t": -5.0, "recycled_share": 0.02}) == []


def test_flow_model_of_a_simulation_keeps_mass() -> None:
    res = simulate(load_model(EXAMPLES / "compressor_magnet.yaml"), "B")
    fm = from_lifecycle(res)
    out_kg = sum(o.mass for o in fm.outflows)
    assert out_kg == pytest.approx(res.outflow_kg().sum(), rel=1e-9)
    in_kg = sum(i.mass for i in fm.inflows)
    expected = res.raw.virgin.sum() + res.raw.recycled.sum() + res.reused_input_kg().sum()
    assert in_kg == pytest.approx(expected, rel=1e-9)
    inds = {i.key: i.value for v in compute(fm).values() for i in v}
    rare = res.raw.compiled.materials.index("rare_earth")
    assert inds["cti.circular_inflow"] == pytest.approx(
        res.raw.recycled.sum() / (res.raw.virgin.sum() + res.raw.recycled.sum()))
    assert res.raw.recycled[:, rare].sum() > 0


def test_magnet_recovery_raises_circular_inflow_and_mci() -> None:
    mf = load_model(EXAMPLES / "compressor_magnet.yaml")
    vals = {}
    for s in ("baseline", "B"):
        fm = from_lifecycle(simulate(mf, s), (2030, 2044))
        vals[s] = {i.key: i.value for v in compute(fm).values() for i in v}
    assert vals["B"]["cti.circular_inflow"] > vals["baseline"]["cti.circular_inflow"] == 0
    assert vals["B"]["mci.product.room_ac"] > vals["baseline"]["mci.product.room_ac"]


def test_indicators_per_actor() -> None:
    from junkan.indicators.compute import actor_indicators

    mf = load_model(EXAMPLES / "compressor_magnet.yaml")
    base = {i.key: i for v in actor_indicators(simulate(mf)).values() for i in v}
    b = {i.key: i for v in actor_indicators(simulate(mf, "B")).values() for i in v}
    # the magnet maker buys recycled rare earths only in B
    assert base["actor.magnet_maker.recycled_share_of_purchases"].value == 0
    assert b["actor.magnet_maker.recycled_share_of_purchases"].value > 0
    # the regenerator has no circulation cost in the baseline: RAP is null with a reason
    assert base["actor.regenerator.rap"].value is None
    assert b["actor.regenerator.circulation_cost"].value > 0


def test_compare_document_carries_indicators(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["compare", str(EXAMPLES / "atm_reuse.yaml"), "--format",
                                   "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    for s in doc["scenarios"]:
        assert {"mci", "cti", "iso59020", "esrs-e5", "rap"} <= set(s["indicators"])
        assert isinstance(s["tradeoff_warnings"], list)
        assert "atm_maker" in s["indicators_by_actor"]
    circ = [next(i["value"] for i in s["indicators"]["cti"] if i["key"] == "cti.circularity")
            for s in doc["scenarios"]]
    assert np.all(np.diff(circ) > 0)  # more reuse, more circularity


def test_indicators_cli_formats(tmp_path: Path) -> None:
    flows = tmp_path / "flows.yaml"
    flows.write_text("name: acme\ninflows:\n  - {name: steel, mass: 10 t, recycled: 0.4}\n"
                     "outflows:\n  - {name: scrap, mass: 8 t, route: recycling, "
                     "actual_recovery: 0.9}\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["indicators", str(flows), "--framework", "cti",
                                   "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    cti = {i["key"]: i["value"] for i in doc["acme"]["indicators"]["cti"]}
    assert cti["cti.circular_inflow"] == pytest.approx(0.4)
    out = tmp_path / "html"
    res = CliRunner().invoke(app, ["indicators", str(EXAMPLES / "compressor_magnet.yaml"),
                                   "--format", "html", "--out", str(out)])
    assert res.exit_code == 0, res.output
    page = (out / "indicators.html").read_text()
    assert "cti.circular_inflow" in page and '"type":"sankey"' in page.replace(" ", "")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ninflows:\n  - {name: s, mass: 1 t, recycled: 2}\n", "utf-8")
    res = CliRunner().invoke(app, ["indicators", str(bad)])
    assert res.exit_code == 2 and "inflows[0].recycled" in res.output


def test_year_windows_are_refused_when_backwards_or_past_the_horizon() -> None:
    """A past bug (docs walk): ``--years 2040-2030`` or a window past the model's years
    gave every indicator "n/a" and a made-up trade-off warning, exit 0. Both spellings of
    a window (2030:2035, as ``olca export`` takes it, and 2030-2035) give the same result."""
    atm = str(EXAMPLES / "atm_reuse.yaml")  # years 2010–2040
    outs = []
    for window in ("2030:2035", "2030-2035"):
        res = CliRunner().invoke(app, ["indicators", atm, "--framework", "cti",
                                       "--format", "json", "--years", window])
        assert res.exit_code == 0, res.output
        outs.append(json.loads(res.stdout))
    assert outs[0] == outs[1]
    for window, says in (("2040-2030", "FIRST must not come after LAST"),
                         ("2050:2060", "not a window inside the model's years 2010–2040"),
                         ("2035-2045", "not a window inside"), ("20x", "give FIRST:LAST")):
        res = CliRunner().invoke(app, ["indicators", atm, "--years", window])
        assert res.exit_code == 2 and says in " ".join(res.output.split()), (window, res.output)
    result = simulate(load_model(EXAMPLES / "atm_reuse.yaml"))
    with pytest.raises(ValueError, match="years: 2041–2041"):
        from_lifecycle(result, (2041, 2041))
