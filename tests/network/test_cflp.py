"""OR-Library capacitated facility location: the published optima (Beasley 1988)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from junkan.cli.main import app
from junkan.core.errors import JunkanError
from junkan.network import read_orlib, solve_cflp
from tests.conftest import ROOT

ORLIB = ROOT.parent / "shared" / "data" / "orlib"
OPTIMA = {"cap41": 1040444.375, "cap131": 793439.562}

pytestmark = pytest.mark.skipif(not ORLIB.exists(), reason="../shared/data/orlib not present")


@pytest.mark.parametrize("name", sorted(OPTIMA))
def test_published_optimum(name: str) -> None:
    sol = solve_cflp(read_orlib(ORLIB / f"{name}.txt"))
    assert sol.objective == pytest.approx(OPTIMA[name], rel=1e-6)
    inst = read_orlib(ORLIB / f"{name}.txt")
    # every customer fully served, capacities respected, only open sites serve
    assert sol.assignment.sum(axis=0) == pytest.approx(1.0)
    load = sol.assignment @ inst.demand
    assert (load <= inst.capacity + 1e-6).all()
    closed = [i for i in range(len(inst.capacity)) if i + 1 not in sol.open_sites]
    assert sol.assignment[closed].sum() == pytest.approx(0.0, abs=1e-9)


def test_cli_json() -> None:
    res = CliRunner().invoke(app, ["network", "cflp", str(ORLIB / "cap41.txt"),
                                   "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["objective"] == pytest.approx(OPTIMA["cap41"], rel=1e-6)
    assert doc["open_sites"] == sorted(doc["open_sites"]) and len(doc["open_sites"]) > 0


def test_capacity_too_small_names_the_binding_constraint(tmp_path: Path) -> None:
    with pytest.raises(JunkanError, match="total capacity .* below total demand"):
        solve_cflp(read_orlib(ORLIB / "cap41.txt"), capacity=100)
    bad = tmp_path / "bad.txt"
    bad.write_text("2 3\n10 5\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["network", "cflp", str(bad)])
    assert res.exit_code == 2 and "expected" in res.output


@pytest.mark.parametrize("content, said", [
    (b"2 3\n10 5\n10 7\nabc\n", "line 4: 'abc' is not a number"),
    (b"2 3\n\xff\xfe 10 5\n", "line 2: byte 0xff is not a digit, sign, point or space"),
])
def test_a_file_that_is_not_numbers_is_refused_naming_the_line(
        tmp_path: Path, content: bytes, said: str) -> None:
    """A word gave Python's 'could not convert string to float' without its line, and a byte
    that is not UTF-8 a UnicodeDecodeError traceback."""
    p = tmp_path / "cap.txt"
    p.write_bytes(content)
    with pytest.raises(JunkanError, match=said):
        read_orlib(p)
