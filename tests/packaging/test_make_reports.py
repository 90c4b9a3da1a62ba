"""`make run` (its `reports` step) can run again: no command writes its results folder
inside another's (a results folder is replaced whole, so the second `make run` refused the
comparison's folder while it held the indicators': 2026-12-06)."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from tests.conftest import ROOT


def _outs() -> list[PurePosixPath]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = text.split("\nreports:", 1)[1].split("\n\n", 1)[0]
    return [PurePosixPath(m) for m in re.findall(r"--out (\S+)", recipe)]


def test_no_results_folder_of_make_run_is_inside_another() -> None:
    outs = _outs()
    assert len(outs) >= 4  # both comparisons and both indicator pages
    for a in outs:
        for b in outs:
            assert a == b or b not in a.parents, f"{a} is inside {b}"
