"""The guide's commands for the recycled-content report (docs/policy.md) work copy-pasted
from a fresh clone: the shell lines that build the sample ledger from
``examples/policy/ledger_*.yaml`` and run ``junkan policy report`` on it are read from the
guide and run in an empty folder holding only ``examples`` (as the repository root does).
The guide used to show the report on ``var/junkan.db`` with no ledger a new user could make."""

from __future__ import annotations

import csv
import io
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from junkan.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "policy.md"
EXAMPLES = ROOT / "src" / "junkan" / "data" / "examples"


def guide_commands() -> list[list[str]]:
    """The guide's ``.venv/bin/junkan`` lines (continuations joined) that build the sample
    ledger or run the report on it, in their order."""
    text = GUIDE.read_text(encoding="utf-8").replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith(".venv/bin/junkan ") and "policy-sample.db" in line:
            out.append(shlex.split(line)[1:])
    return out


def test_the_guides_report_commands_run_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = guide_commands()
    verbs = [c[:2] for c in commands]
    assert verbs == [["trace", "org"], ["trace", "import"], ["trace", "import"],
                     ["policy", "report"]], verbs
    (tmp_path / "examples").symlink_to(EXAMPLES, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JUNKAN_DATABASE_URL", raising=False)
    for args in commands:
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 0, (args, res.output)
    # the report is the one the guide describes: 4,200 of 12,000 kg and 4,000 of 8,000 kg
    rows = {(r[3], r[4]): r for r in csv.reader(io.StringIO(res.stdout))}
    assert rows[("bottle-PET", "total")][5:7] == ["4200", "12000"]
    post = rows[("aircon-housing", "post_consumer")]
    assert post[5:7] == ["4000", "8000"] and "below the planned 5,000 kg" in post[-1]
    assert (tmp_path / "out" / "report" / "report.csv").is_file()
    said = " ".join(GUIDE.read_text(encoding="utf-8").split())
    assert re.search(r"bottle-PET 4,200 of 12,000 kg .* aircon-housing 4,000 of 8,000 kg", said)
