"""A file name's suffix is read in any case: ``junkan sensing generate --out REC.CSV`` was
refused ("give a .csv or .parquet file") and ``junkan vision predict MODEL DATA.JSON`` took
the COCO file for a plain image (asking for --mm-per-px: tests/vision/test_preflight.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from junkan.cli.main import app


def test_sensing_generate_writes_an_upper_case_csv(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("duration_s: 2\nseed: 9\n", "utf-8")
    out = tmp_path / "REC.CSV"
    res = CliRunner().invoke(app, ["sensing", "generate", str(scenario), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(out)) == 200  # 2 s of 10 ms frames

