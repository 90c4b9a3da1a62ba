"""``junkan uncertainty`` in a terminal: its bar shows the runs asked for from the start
(review 248: "0/?" for 6 of 7 seconds of a study compiled per run, until its first chunk of
250 runs ended)."""

from __future__ import annotations

import re

import numpy as np
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


def test_a_study_compiled_per_run_is_told_every_few_runs_not_every_chunk() -> None:
    """Review 248: a study whose scenario is compiled run by run (here a lifetime, not
    multilinear) moved its bar only when its first chunk of 250 runs ended. Its chunks are
    now of :data:`~.evaluate.PER_RUN_CHUNK` runs, with the same figures."""
    from junkan import lifecycle
    from junkan.lifecycle import uncertainty as U
    from junkan.lifecycle.uncertainty.evaluate import PER_RUN_CHUNK, Evaluator
    from junkan.lifecycle.uncertainty.sampling import draw

    atm = lifecycle.load(EXAMPLES / "atm_reuse.yaml")
    section = U.UncertaintySection.model_validate({"parameters": [{
        "parameter": "products.atm.lifetime.mean", "distribution": "normal", "mean": 10,
        "std": 1.5, "range": [6, 14], "source": "test"}]})
    st = U.resolve(atm, section)
    runs = PER_RUN_CHUNK + 3
    theta = draw(st, runs, seed=2)
    told: list[tuple[int, int]] = []
    got = Evaluator(st, progress=lambda d, n: told.append((d, n))).evaluate(theta)
    assert set(got.methods.values()) == {"compiled per run"}
    assert told == [(PER_RUN_CHUNK, runs), (runs, runs)]
    whole = Evaluator(st).evaluate(theta[:3])  # chunking changes no figure
    for s, figures in whole.totals.items():
        for key, v in figures.items():
            assert np.allclose(got.totals[s][key][:3], v, rtol=1e-12, equal_nan=True)


def test_a_scenario_that_disagrees_with_its_own_run_is_paced_from_the_first_chunk(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Review 252 (low): a scenario whose multilinear form disagreed with its first run
    alone was found so inside the first chunk, and the rest of that chunk (up to 250 runs)
    was simulated one by one with no word to the bar. The check is now made before the
    first chunk: the bar moves after :data:`~.evaluate.PER_RUN_CHUNK` runs."""
    import yaml

    from junkan import lifecycle
    from junkan.lifecycle import uncertainty as U
    from junkan.lifecycle.uncertainty import evaluate as E
    from junkan.lifecycle.uncertainty.sampling import draw

    model = lifecycle.load(EXAMPLES / "compressor_magnet.yaml")
    spec = (EXAMPLES / "uncertainty" / "compressor_magnet.yaml").read_text("utf-8")
    st = U.resolve(model, U.UncertaintySection.model_validate(yaml.safe_load(spec)))
    runs = E.PER_RUN_CHUNK + 3
    theta = draw(st, runs, seed=3)

    def disagrees(self: E.Evaluator, scenario: str, th: np.ndarray, run: object) -> bool:
        self.verified.add(scenario)
        return False  # as if the multilinear form had missed something

    monkeypatch.setattr(E.Evaluator, "_agrees", disagrees)
    told: list[tuple[int, int]] = []
    got = E.Evaluator(st, progress=lambda d, n: told.append((d, n))).evaluate(theta)
    assert set(got.methods.values()) - {"fixed (no drawn parameter acts here)"} == {"engine"}
    assert told == [(E.PER_RUN_CHUNK, runs), (runs, runs)]
