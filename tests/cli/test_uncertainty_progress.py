"""``junkan uncertainty`` in a terminal: its bar shows the runs asked for from the start
(review 248: "0/?" for 6 of 7 seconds of a study compiled per run, until its first chunk of
250 runs ended)."""

from __future__ import annotations

import re

import pytest
from rich.console import Console
from typer.testing import CliRunner

from junkan.cli import common
from junkan.cli import uncertainty as cli_uncertainty
from junkan.cli.main import app
from tests.conftest import EXAMPLES

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_the_bar_counts_the_runs_asked_for_from_the_start(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setattr(cli_uncertainty, "interactive", lambda: True)
    monkeypatch.setattr(common, "console", Console(stderr=True, force_terminal=True, width=120))
    spec = EXAMPLES / "uncertainty" / "compressor_magnet.yaml"
    res = CliRunner().invoke(app, ["uncertainty", str(EXAMPLES / "compressor_magnet.yaml"),
                                   "--spec", str(spec), "--runs", "30", "--format", "json"])
    assert res.exit_code == 0, res.output
    err = ANSI.sub("", res.stderr)
    counts = re.findall(r"(\d+)/(\S+) runs", err)
    assert counts, err
    assert all(total == "30" for _, total in counts), counts  # never "?"
