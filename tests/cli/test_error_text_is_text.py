"""An error line is printed as text: rich turned ``:car:`` in a path and ``:a:`` in
``file:a: …`` into emoji, so the field at fault disappeared (a hostile-input sweep,
2026-12-05)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_a_path_and_a_field_that_look_like_emoji_codes_are_printed_as_written(
        tmp_path: Path) -> None:
    folder = tmp_path / ":car:"
    folder.mkdir()
    (folder / "d.yaml").write_text("a: 1\na: 2\n")
    run = subprocess.run([sys.executable, "-m", "junkan", "validate", str(folder / "d.yaml")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert f"{folder / 'd.yaml'}:a:" in run.stderr.replace("\n", "")
    assert "\U0001f697" not in run.stderr and "\U0001f170" not in run.stderr
