"""The foresight verbs on a model small enough to step by hand: a driver ``d`` drifting up
0.02 per year pushes a state ``s``, which pushes a KPI ``k`` (one link each, strength 1,
no lag, gain α = 0.5, anchored at the starting state 0.5). Per year, with u = x − x₀::

    Δ = α·(A u)/(1 + |A u|) + drift,    x ← x + 4·Δ·x·(1 − x)

2024: u = 0, so only the drift moves d: 0.5 + 4·0.02·0.25 = 0.52
2025: d = 0.52 + 4·0.02·0.52·0.48 = 0.539968; s = 0.5 + 4·(0.5·0.02/1.02)·0.25 = 0.509804
2026: k = 0.5 + 4·(0.5·0.009804/1.009804)·0.25 = 0.504854
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from junkan import foresight
from junkan.core.errors import ModelError
from junkan.foresight import Analysis, Compiled, Ensemble
from tests.conftest import EXAMPLES

TINY = """
name: tiny
years: {start: 2024, end: 2026}
gain: 0.5
factors:
  - {id: d, role: driver, x0: 0.5, trend: [0.02, 0.02]}
  - {id: s, role: state, x0: 0.5}
  - {id: k, role: kpi, family: economy, x0: 0.5}
links:
  - {src: d, dst: s, sign: "+", strength: 1}
  - {src: s, dst: k, sign: "+", strength: 1}
"""


def _hand() -> dict[str, list[float]]:
    d1 = 0.5 + 4 * 0.02 * 0.5 * 0.5
    d2 = d1 + 4 * 0.02 * d1 * (1 - d1)
    s2 = 0.5 + 4 * (0.5 * (d1 - 0.5) / (1 + (d1 - 0.5))) * 0.25
    k3 = 0.5 + 4 * (0.5 * (s2 - 0.5) / (1 + (s2 - 0.5))) * 0.25
    return {"d": [d1, d2], "s": [0.5, s2], "k": [0.5, 0.5, k3]}


def test_a_tiny_model_steps_as_computed_by_hand(tmp_path: Path) -> None:
    model = foresight.load(text=TINY, source="tiny.yaml")
    assert isinstance(model, Compiled) and model.ids == ["d", "s", "k"]
    ens = foresight.run(model, 4, seed=1)
    assert isinstance(ens, Ensemble) and ens.states is not None
    hand = _hand()
    assert hand["d"][:2] == pytest.approx([0.52, 0.539968])
    assert hand["s"][1] == pytest.approx(0.509804, abs=1e-6)
    assert hand["k"][2] == pytest.approx(0.504854, abs=1e-6)
    x = ens.states  # (years, factors, scenarios); every scenario is the same
    assert x[:2, 0, :] == pytest.approx(np.array(hand["d"])[:, None] * np.ones(4), abs=1e-6)
    assert x[:2, 1, :] == pytest.approx(np.array(hand["s"])[:, None] * np.ones(4), abs=1e-6)
    assert x[:, 2, 0] == pytest.approx(hand["k"], abs=1e-6)
    frame = ens.to_frame()
    assert list(frame.columns) == ["scenario", "year", "k"] and len(frame) == 3 * 4
    assert frame[frame.year == 2026]["k"].to_numpy() == pytest.approx([hand["k"][2]] * 4,
                                                                      abs=1e-6)
    doc = ens.to_json()
    assert doc["kpis"] == ["k"] and doc["method"] == "lhs" and doc["scenarios"] == 4
    assert [m[0] for m in doc["mean"]] == pytest.approx(hand["k"], abs=1e-6)
    assert doc["std"][-1][0] == pytest.approx(0.0, abs=1e-6)
    out = ens.report(tmp_path / "run")
    assert json.loads((out / "summary.json").read_text())["scenarios"] == 4
    assert list((out / "kpis").glob("*.parquet")) and list((out / "inputs").glob("*.parquet"))


def test_inputs_are_latin_hypercube_strata() -> None:
    doc = TINY.replace("trend: [0.02, 0.02]", "trend: [0.0, 0.04]")
    ens = foresight.run(foresight.load(text=doc), 10, seed=2, chunk=10)
    trend = ens.inputs[:, 0]  # one value per scenario in each tenth of [0, 0.04)
    assert sorted(np.floor(trend / 0.004).astype(int)) == list(range(10))


@pytest.mark.slow
def test_analyse_returns_a_typed_result_with_frame_json_and_report(tmp_path: Path) -> None:
    model = foresight.load(EXAMPLES / "foresight_validation.yaml")
    res = foresight.analyse(foresight.run(model, 1500, seed=7), 2, seed=7)
    assert isinstance(res, Analysis) and res.k == 2
    frame = res.to_frame()
    assert list(frame["group"]) == ["A", "B"] and frame["share"].sum() == pytest.approx(1)
    doc = res.to_json(median_paths=True)
    assert doc["scenario_tree"][-1]["driver"] == "push"
    assert len(doc["group_median_paths"]) == 2
    page = res.report(tmp_path / "rep")
    assert page.name == "report.html" and (tmp_path / "rep" / "analysis.json").exists()


def test_load_reports_every_problem_with_its_source() -> None:
    bad = TINY.replace("src: s, dst: k", "src: ghost, dst: k")
    with pytest.raises(ModelError) as err:
        foresight.load(text=bad, source="tiny.yaml")
    assert "tiny.yaml:links[1].src" in str(err.value)
