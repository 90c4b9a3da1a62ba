"""Scores that are 0/0 are reported as not defined, never as perfect (a new-user review of
docs/sensing.md: `sensing evaluate` gave precision 1 to detectors that never raised an
alarm)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from junkan import sensing
from junkan.cli.main import app
from junkan.sensing.evaluate import _add, _empty, _finish
from junkan.sensing.metrics import Window

JAM = [Window("jam", 10.0, 14.0, 10.0)]


def _score(alarms: list[tuple[float, float]], wins: list[Window], normal_h: float = 1.0) -> dict:
    a = _empty()
    label = np.zeros(100)
    label[10:14] = 1
    _add(a, alarms, wins, [], normal_h, 100.0, np.zeros(100), label if wins else 0 * label)
    return _finish(a)


def test_no_alarms_leaves_precision_undefined_and_f1_zero() -> None:
    s = _score([], JAM)
    assert s["alarms"] == 0
    assert s["precision"] is None  # 0/0, was 1.0
    assert s["recall"] == 0.0 and s["f1"] == 0.0
    assert s["by_event"]["jam"]["f1"] == 0.0


def test_no_events_leaves_recall_and_f1_undefined() -> None:
    quiet = _score([], [])
    assert quiet["precision"] is None and quiet["recall"] is None and quiet["f1"] is None
    noisy = _score([(30.0, 31.0)], [])
    assert noisy["precision"] == 0.0 and noisy["recall"] is None and noisy["f1"] is None


def test_no_normal_running_leaves_false_alarm_rate_undefined() -> None:
    assert _score([(30.0, 31.0)], JAM, normal_h=0.0)["false_alarms_per_8h"] is None
    assert _score([(30.0, 31.0)], JAM, normal_h=1.0)["false_alarms_per_8h"] == 8.0


def test_defined_scores_are_unchanged() -> None:
    s = _score([(10.5, 12.0), (30.0, 31.0)], JAM)
    assert s["precision"] == 0.5 and s["recall"] == 1.0
    assert s["f1"] == pytest.approx(2 / 3)


def _evaluation() -> sensing.Evaluation:
    return sensing.Evaluation(
        ["s.yaml"],
        [0],
        [101],
        {"rules": _score([(10.5, 12.0)], JAM), "battm": _score([], JAM)},
    )


def test_cli_table_json_and_report_say_not_defined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sensing, "evaluate", lambda scs: _evaluation())
    example = Path(__file__).parents[2] / "examples" / "sensing" / "jam_and_gas.yaml"
    r = CliRunner().invoke(
        app, ["sensing", "evaluate", "--scenario", str(example), "--out", str(tmp_path / "o")]
    )
    assert r.exit_code == 0, r.output
    battm = next(line for line in r.output.splitlines() if "battm" in line)
    assert battm.split("│")[3].strip() == "n/a"  # the precision column
    assert "not defined" in r.output and "precision without alarms" in r.output
    doc = json.loads((tmp_path / "o" / "result.json").read_text(encoding="utf-8"))
    assert doc["systems"]["battm"]["precision"] is None
    assert doc["systems"]["rules"]["precision"] == 1.0
    html = (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    assert "n/a — no alarms" in html
