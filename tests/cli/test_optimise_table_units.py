"""``junkan optimise``'s terminal tables name the unit of every figure, taken from the
result's own unit fields (the JSON of ``--format json``): the objective in the title, the
two objectives of a Pareto front and each actor's change. In a terminal narrower than a
table, the cells and headings fold onto more lines and nothing is cut.

Runs on the shipped example compressor_magnet (its scenarios as the decisions for the
optimum, examples/optimise/compressor_magnet.yaml for the co2e–cost front)."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from junkan.cli import common
from junkan.cli.main import app

EXAMPLES = Path(str(files("junkan") / "data" / "examples"))
MODEL = str(EXAMPLES / "compressor_magnet.yaml")
SPEC = str(EXAMPLES / "optimise" / "compressor_magnet.yaml")
OPTIMUM = [MODEL]
FRONT = [MODEL, "--spec", SPEC]


def _run(args: list[str], monkeypatch: pytest.MonkeyPatch, width: int = 200) -> str:
    monkeypatch.setattr(common, "out_console", Console(width=width))
    res = CliRunner().invoke(app, ["optimise", *args])
    assert res.exit_code == 0, res.output
    return res.stdout


def _json(args: list[str]) -> dict[str, Any]:
    res = CliRunner().invoke(app, ["optimise", *args, "--format", "json"])
    assert res.exit_code == 0, res.output
    doc: dict[str, Any] = json.loads(res.stdout)
    return doc


def _tables(text: str) -> list[dict[str, Any]]:
    """Each table printed: its title (words above the box), and per column the text of its
    heading and of its body, each the column's pieces joined without spaces (a folded cell
    is split over lines, word-wrapped at its spaces)."""
    tables: list[dict[str, Any]] = []
    title: list[str] = []
    for line in text.splitlines():
        if line.startswith("┏"):
            tables.append({"title": " ".join(title), "head": [], "body": [], "lines": 0})
            title = []
        elif line.startswith(("┃", "│")):
            part = "head" if line.startswith("┃") else "body"
            cells = line[1:-1].split(line[0])
            table = tables[-1]
            if not table[part]:
                table[part] = [""] * len(cells)
            table[part] = [a + c.replace(" ", "") for a, c in zip(table[part], cells,
                                                                 strict=True)]
            table["lines"] += part == "body"
        elif not line.startswith(("┡", "└")):
            title.append(line.strip())
    return tables


def test_the_optimum_names_the_unit_of_the_objective_and_of_each_actors_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = _json(OPTIMUM)
    o, units = doc["objective"], doc["units"]["actors"]
    assert (o["unit"], units["co2e_change_t"], units["margin_change"]) == ("t CO2e", "t", "JPY")
    choices, actors = _tables(_run(OPTIMUM, monkeypatch))
    assert f"min co2e [{o['unit']}] —" in choices["title"]
    assert actors["head"] == ["actor", "CO2echange[t]", "marginchange[JPY]"]
    assert len(actors["body"][0]) > 0 and actors["lines"] == len(doc["actors"])


def test_the_pareto_front_names_the_unit_of_both_objectives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = _json(FRONT)
    assert [(o["figure"], o["unit"]) for o in doc["objectives"]] == [
        ("co2e", "t CO2e"), ("cost", "JPY")]
    (front,) = _tables(_run(FRONT, monkeypatch))
    assert front["head"] == ["point", "co2e[tCO2e]", "cost[JPY]", "choices"]
    assert front["lines"] == len(doc["points"])


@pytest.mark.parametrize("args", [OPTIMUM, FRONT], ids=["optimum", "front"])
def test_a_narrow_terminal_folds_the_tables_and_cuts_nothing(
    args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    wide = _tables(_run(args, monkeypatch))
    text = _run(args, monkeypatch, width=40)
    narrow = _tables(text)
    assert "…" not in text and max(len(line) for line in text.splitlines()
                                   if not line.startswith("method:")) <= 40
    assert [(t["head"], t["body"]) for t in narrow] == [(t["head"], t["body"]) for t in wide]
    assert any("[" in h for t in narrow for h in t["head"])  # the units are there, folded
    assert all(n["lines"] > w["lines"] for n, w in zip(narrow, wide, strict=True))
