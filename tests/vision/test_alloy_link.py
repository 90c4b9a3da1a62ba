"""The confusion matrix measured by ``vision evaluate`` drives the alloy model: a better
matrix gives a plan a higher probability of meeting the buyer's window, a worse one lower."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from junkan import alloys
from junkan.alloys import PredictRequest, Sorter
from junkan.vision import GROUPS

EXAMPLE = Path(__file__).parents[2] / "examples" / "alloys" / "plan.yaml"
CASTING = EXAMPLE.with_name("plan_levers.yaml")
"""A request the measured sorter's cast bin can serve (plan.yaml's ADC12 window cannot be met
by the cast bin even with a perfect sorter: docs/vision.md)."""


def evaluation(accuracy: float, pieces: int = 400) -> dict[str, Any]:
    """An evaluation document of the shape ``vision evaluate`` writes."""
    miss = (1 - accuracy) / 3
    rows = {g: [accuracy if h == g else miss for h in GROUPS] for g in GROUPS}
    return {
        "accuracy": accuracy,
        "sorter": {
            "name": f"vision {accuracy}",
            "source": "test",
            "pieces_tested": pieces,
            "row_pieces": dict.fromkeys(GROUPS, pieces),
            "matrix": rows,
        },
    }


def p_met(plan_sorter: Sorter, check_sorter: Sorter) -> float:
    req = alloys.load(EXAMPLE, kind="plan").model_copy(
        update={
            "sorter": plan_sorter,
            "product": "cast",
            "samples": 300,
            "levers": False,
            "probability": 0.7,
        }
    )
    res = alloys.plan(req)
    feed = res.feed_plan()
    pred = alloys.run(
        PredictRequest(**feed.model_dump(), sorter=check_sorter, buyer="adc12_feed", samples=300)
    )
    assert pred.grade_sorted is not None
    return float(pred.grade_sorted["cast"]["probability_met"])


def test_better_confusion_matrix_raises_probability_met() -> None:
    good = Sorter.from_evaluation(evaluation(0.97))
    bad = Sorter.from_evaluation(evaluation(0.70))
    # the same plan, sorted by a better or a worse sorter
    assert p_met(good, good) > p_met(good, bad)


def test_row_pieces_set_the_uncertainty() -> None:
    few = Sorter.from_evaluation(evaluation(0.9, pieces=12))
    many = Sorter.from_evaluation(evaluation(0.9, pieces=5000))
    assert few.concentration().sum() < many.concentration().sum()
    with pytest.raises(ValueError, match="no confusion matrix"):
        Sorter.from_evaluation({"accuracy": 0.5, "sorter": None})


def test_alloy_plan_takes_the_evaluation_file(tmp_path: Path) -> None:
    from junkan.cli.alloys import app

    ev = tmp_path / "eval.json"
    ev.write_text(json.dumps(evaluation(0.95)))
    req = tmp_path / "plan.yaml"
    req.write_text(CASTING.read_text() + "product: cast\nlevers: false\n")
    res = CliRunner().invoke(app, ["plan", str(req), "--sorter", str(ev), "--format", "json"])
    assert res.exit_code == 0, res.output  # it plans (exit 2, infeasible, was let pass)
    assert json.loads(res.stdout)["probability_met"] >= 0.9
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"sorter": None}))
    res = CliRunner().invoke(app, ["plan", str(req), "--sorter", str(bad)])
    assert res.exit_code == 2 and "no confusion matrix" in res.output
    # a NaN share passed the checks (NaN < 0 and |sum - 1| > 1e-6 are both false) and went
    # into the Dirichlet draws; now it is refused in one line naming the row and the share
    # (the file is read within the document limits, which refuse NaN before any schema)
    doc = evaluation(0.95)
    doc["sorter"]["matrix"]["cast"][0] = float("nan")
    bad.write_text(json.dumps(doc))
    res = CliRunner().invoke(app, ["plan", str(req), "--sorter", str(bad)])
    assert res.exit_code == 2
    assert "sorter.matrix.cast[0]: nan is not a finite number" in res.output, res.output
    assert "pydantic" not in res.output
