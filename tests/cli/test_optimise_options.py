"""``junkan optimise``'s options against a spec with a ``pareto`` section (review of issue 17):
``--objective`` and ``--points`` were ignored there, silently."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from junkan import lifecycle
from junkan.cli.main import app
from junkan.cli.optimise import _spec

EXAMPLES = Path(str(files("junkan") / "data" / "examples"))
FRONT = [str(EXAMPLES / "compressor_magnet.yaml"), "--spec",
         str(EXAMPLES / "optimise" / "compressor_magnet.yaml")]


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(app, ["optimise", *FRONT, *args, "--quiet", "--format", "json"])


def test_objective_asks_for_one_figure_instead_of_the_specs_front() -> None:
    res = _invoke("--objective", "cost")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["objective"]["figure"] == "cost" and "points" not in doc


def test_objective_and_pareto_together_are_refused_by_name() -> None:
    res = _invoke("--objective", "cost", "--pareto", "co2e,cost")
    assert res.exit_code != 0
    assert "--objective 'cost' and --pareto 'co2e,cost': give one" in res.output


def test_points_sets_the_specs_front_and_needs_one() -> None:
    model = lifecycle.load(FRONT[0])
    spec = Path(FRONT[2])
    assert _spec(model, spec, None, None, None).pareto.points == 7  # the spec's
    assert _spec(model, spec, None, None, 3).pareto.points == 3
    res = CliRunner().invoke(app, ["optimise", FRONT[0], "--points", "3", "--quiet"])
    assert res.exit_code != 0
    assert "--points 3: there is no Pareto front to sample" in res.output


def test_an_empty_objective_or_front_is_refused_not_ignored() -> None:
    """``--objective ''`` fell back to the spec's front silently (an empty string read as
    not given); both empty options are the user's values, refused by name."""
    res = _invoke("--objective", "")
    assert res.exit_code == 2 and "--objective '': must be one of" in res.output, res.output
    res = _invoke("--pareto", "")
    assert res.exit_code == 2 and "--pareto '': give two objectives" in res.output, res.output


def test_the_terminal_says_what_the_front_is() -> None:
    """Review 241: the spec asks for 7 points, the terminal showed 2 and never said the
    front was a sample (only optimise.json did)."""
    res = CliRunner().invoke(app, ["optimise", *FRONT, "--quiet"])
    assert res.exit_code == 0, res.output
    assert "method: sampled" in res.output and "points between them may exist" in res.output


def test_tables_write_large_figures_whole_with_separators() -> None:
    """Review 241 (low): optimise's tables printed 1.27e+06 and uncertainty's 1.235e+04
    where simulate and compare print 1,270,000 and 12,346."""
    from junkan.cli import optimise, uncertainty

    assert optimise._fmt(1_270_000.4) == "1,270,000"
    assert optimise._fmt(-123_456.78) == "-123,457" and optimise._fmt(0.5) == "0.5"
    assert uncertainty._fmt(12_345.6) == "12,346" and uncertainty._fmt(9_999.7) == "10,000"
    assert uncertainty._fmt(0.123456) == "0.1235" and uncertainty._fmt(None) == "—"
