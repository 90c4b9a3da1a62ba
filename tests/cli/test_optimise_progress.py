"""``junkan optimise`` can run long (many simulations, a Pareto front of many points) and
used to print nothing until the end. In a terminal it now shows the shared progress bar
(:func:`junkan.cli.common.progress`) on stderr, counting simulations of the most there may
be and ending full; ``--quiet`` hides it, and ``--format json`` keeps stdout pure JSON. The
library tells the counts rising, the most there may be only tightening, ending at the total.

Runs on the shipped example compressor_magnet (its scenarios as the decisions for the
optimum, examples/optimise/compressor_magnet.yaml for the co2e–cost front)."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from junkan import lifecycle
from junkan.cli import common
from junkan.cli import optimise as cli_optimise
from junkan.cli.main import app
from junkan.lifecycle import optimise as opt

EXAMPLES = Path(str(files("junkan") / "data" / "examples"))
MODEL = EXAMPLES / "compressor_magnet.yaml"
SPEC = EXAMPLES / "optimise" / "compressor_magnet.yaml"
BAR = re.compile(r"(\d+)/(\d+) simulations")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
"""The terminal's colour and cursor codes, taken out before the bar is read."""


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """stderr as a terminal (CliRunner's is not, and the bar is shown only in one)."""
    monkeypatch.setattr(cli_optimise, "interactive", lambda: True)
    monkeypatch.setattr(common, "console", Console(stderr=True, force_terminal=True,
                                                   width=120))


def _run(*args: str) -> tuple[str, str]:
    res = CliRunner().invoke(app, ["optimise", str(MODEL), *args])
    assert res.exit_code == 0, res.output
    return res.stdout, res.stderr


@pytest.mark.parametrize("args", [(), ("--spec", str(SPEC))], ids=["optimum", "pareto"])
def test_a_terminal_sees_the_simulations_counted_on_stderr(terminal: None,
                                                           args: tuple[str, ...]) -> None:
    out, err = _run(*args, "--format", "json")
    seen = [(int(d), int(o)) for d, o in BAR.findall(ANSI.sub("", err))]
    assert seen, err
    assert seen[-1][0] == seen[-1][1] > 0  # the bar ends full, at the simulations run
    assert ("Pareto front co2e vs cost" if args else "optimising co2e") in err
    assert "None" not in err  # before the first count the total reads "?", not "0/None"
    doc = json.loads(out)  # nothing of the bar on stdout
    assert not BAR.search(out)
    assert doc["method"]["simulations"] == seen[-1][1]


def test_quiet_hides_the_bar(terminal: None) -> None:
    out, err = _run("--spec", str(SPEC), "--quiet", "--format", "json")
    assert not BAR.search(err), err
    json.loads(out)


def test_no_bar_when_stderr_is_not_a_terminal() -> None:
    """Logs and pipes get no bar (as with the other commands)."""
    out, err = _run("--format", "json")
    assert not BAR.search(err), err
    json.loads(out)


@pytest.mark.parametrize("front", [False, True], ids=["optimum", "pareto"])
def test_the_library_tells_rising_counts_ending_at_the_total(front: bool) -> None:
    model = lifecycle.load(MODEL)
    spec = opt.load_spec(SPEC) if front else opt.auto_spec(model.raw, model.source)
    told: list[tuple[int, int]] = []
    result = (opt.pareto if front else opt.optimise)(
        model, spec, progress=lambda done, of: told.append((done, of)))
    dones, most = [d for d, _ in told], [o for _, o in told]
    assert dones[0] == 1 and dones == sorted(dones)
    assert all(d <= o for d, o in told)
    assert most == sorted(most, reverse=True)  # the most there may be only tightens
    assert told[-1] == (result.method["simulations"],) * 2
