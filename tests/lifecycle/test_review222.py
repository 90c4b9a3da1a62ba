"""Review 222 (outputs): a scenario that simulates other years than the baseline is not
compared with it as if it covered the same ones — its totals' changes, and figures compared
without their own years, are not given (n/a), with a note; a figure that names its years is
compared as before."""

from __future__ import annotations

import math
from pathlib import Path

from junkan.lifecycle import compare, load
from tests.conftest import EXAMPLES

MODEL = """
junkan: 1
name: widget
years: {start: 2020, end: 2026}
actors: {maker: {role: product_maker}}
materials:
  steel: {virgin: {co2e: 2 kgCO2e/kg, source: test}}
processes:
  landfill: {kind: landfill, actor: maker, stage: disposal, co2e: 0.02 kgCO2e/kg, source: test}
products:
  widget:
    sales: {2020: 100, 2021: 0}
    lifetime: {distribution: fixed, mean: 3 year}
    bom: [{material: steel, mass: 10 kg}]
    eol: {uncollected: {landfill: 1}}
scenarios:
  short: {set: {years.end: 2022}}
  heavier: {set: {"products.widget.bom[0].mass": 12 kg}}
headline:
  co2_saved_t: {metric: co2e, compare: reduction, unit: t}
  co2_2020_saved_t: {metric: co2e, compare: reduction, unit: t, years: [2020, 2021]}
  co2_t: {metric: co2e, unit: t}
"""


def test_a_scenario_of_other_years_is_not_compared_as_if_it_covered_the_same() -> None:
    doc = compare(load(text=MODEL, source="widget.yaml")).to_json()
    by = {s["name"]: s for s in doc["scenarios"]}
    short, heavier = by["short"], by["heavier"]
    assert short["years"] == [2020, 2022] and by["baseline"]["years"] == [2020, 2026]
    # the end-of-life year (2023) the short scenario does not simulate looked like a saving
    assert all(v is None for v in short["change_vs_baseline"].values())
    assert all(v is None for a in short["by_actor_change_vs_baseline"].values()
               for v in a.values())
    assert short["headline"]["co2_saved_t"] is None
    assert "simulates 2020–2022, the baseline 2020–2026" in short["note"]
    # a figure over named years, and the scenario's own value, are given
    assert math.isclose(short["headline"]["co2_2020_saved_t"], 0.0, abs_tol=1e-12)
    assert short["headline"]["co2_t"] == 2.0  # 100 × 10 kg × 2 kgCO2e/kg; no landfill yet
    # a scenario over the same years is compared as before
    assert "note" not in heavier
    assert math.isclose(heavier["change_vs_baseline"]["co2e_t"], 0.4 + 0.004, rel_tol=1e-9)
    assert math.isclose(heavier["headline"]["co2_saved_t"], -0.404, rel_tol=1e-9)


def test_the_text_tables_write_large_numbers_whole(tmp_path: Path) -> None:
    """'-1.704e+04' in compare's Δ rows and '8.8761e+10' in simulate's totals; a short
    scenario's changes read n/a, with the note after the table."""
    from typer.testing import CliRunner

    from junkan.cli.main import app

    model = tmp_path / "widget.yaml"
    model.write_text(MODEL, encoding="utf-8")
    res = CliRunner().invoke(app, ["compare", str(EXAMPLES / "compressor_magnet.yaml")])
    assert res.exit_code == 0, res.output
    assert "e+" not in res.output and "Δ co2e_t vs baseline" in res.output
    res = CliRunner().invoke(app, ["simulate", str(EXAMPLES / "compressor_magnet.yaml"),
                                   "--quiet"])
    assert res.exit_code == 0 and "e+" not in res.output and "3,748,015" in res.output
    res = CliRunner().invoke(app, ["compare", str(model)])
    assert res.exit_code == 0, res.output
    assert "n/a" in res.output and "note: short simulates 2020–2022" in res.output


def test_results_without_the_baseline_are_refused_saying_so() -> None:
    """Review 223: ``compare(model, results)`` without the baseline's run raised a bare
    KeyError."""
    import pytest

    from junkan.core.errors import JunkanError
    from junkan.lifecycle import run

    model = load(text=MODEL, source="widget.yaml")
    results = {"heavier": run(model, "heavier")}
    with pytest.raises(JunkanError, match="no run of the baseline 'baseline'"):
        compare(model, results)
