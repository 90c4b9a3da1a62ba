"""The terminal tables of ``junkan uncertainty`` and ``junkan calibrate`` give each figure's and
parameter's unit, and a parameter path too long for an 80-column terminal is folded, not cut
(a review found ``products.ro…`` and no units; the JSON had them)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from junkan.cli.main import app
from tests.conftest import ROOT

EXAMPLES = ROOT / "src" / "junkan" / "data" / "examples"
pytestmark = pytest.mark.slow


def _cells(text: str) -> str:
    """The text of the first table's first column, its folded lines joined."""
    table = text.split("└")[0]
    return "".join(line.split("│")[1].strip() for line in table.splitlines()
                   if line.startswith("│"))


def _column(text: str, n: int) -> str:
    """Every cell of column ``n`` of the first table, one after the other."""
    table = text.split("└")[0]
    return " ".join(line.split("│")[n].strip() for line in table.splitlines()
                    if line.startswith("│"))


def _run(*args: str) -> str:
    res = CliRunner().invoke(app, [*args, str(EXAMPLES / "compressor_magnet.yaml"), "--spec",
                                   str(EXAMPLES / "uncertainty" / "compressor_magnet.yaml")],
                             terminal_width=80)
    assert res.exit_code == 0, res.output
    return res.stdout


def test_calibrate_folds_parameter_paths_and_gives_units() -> None:
    # the calibrated example (its own uncertainty section): the fit starts at its optimum,
    # 5.6 s against 22.7 s from the model's values
    res = CliRunner().invoke(app, ["calibrate", str(EXAMPLES / "calibrated" /
                                                    "compressor_magnet.yaml")],
                             terminal_width=80)
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "products.room_ac.eol.collection.rate" in _cells(out)
    assert "kgCO2e/kg" in _column(out, 6)


def test_uncertainty_gives_each_headline_figures_unit() -> None:
    out = _run("uncertainty", "--runs", "20")
    assert "tCO2e/year" in _column(out, 6)


@pytest.mark.parametrize(("runs", "said"), [("1", "compressor_magnet: 1 run (seed 0)"),
                                             ("2", "compressor_magnet: 2 runs (seed 0)")])
def test_the_title_counts_the_runs_in_words(runs: str, said: str) -> None:
    """Review 280: one run was titled '1 runs'."""
    assert said in _run("uncertainty", "--runs", runs)
