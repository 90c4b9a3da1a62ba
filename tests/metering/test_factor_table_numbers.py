"""A factors table read back (``meter export``, ``meter link``) refuses what is not a number
of at least 0, naming the file, line and column: NaN, infinity, 1e400 or a word went into
the library template as ``nan kWh/piece`` or stopped with a traceback, and a file that is
not UTF-8 raised UnicodeDecodeError (a hostile-input sweep, 2026-12-05)."""

from __future__ import annotations

from pathlib import Path

import pytest

from junkan.metering.config import MeteringError
from junkan.metering.pipeline import read_factors

HEAD = ("model,step,units,kwh_mean,kwh_sd,kwh_p05,kwh_p50,kwh_p95,operating_s_mean,"
        "operating_s_sd,kg_co2e,jpy,sd_note\n")


def _table(tmp_path: Path, units: str = "3", kwh: str = "0.5", sd: str = "0.1") -> Path:
    path = tmp_path / "factors.csv"
    path.write_text(HEAD + f"CMP-A,cut,{units},{kwh},{sd},0.4,0.5,0.6,30,{sd},0.2,10,\n")
    return path


def test_a_table_as_written_is_read_with_an_empty_spread(tmp_path: Path) -> None:
    assert read_factors(_table(tmp_path, units="1", sd="")).loc[0, "kwh_mean"] == 0.5


@pytest.mark.parametrize(("field", "value"), [
    ("kwh", "nan"), ("kwh", "inf"), ("kwh", "1e400"), ("kwh", "abc"), ("kwh", "-1"),
    ("kwh", ""), ("units", "1.5"), ("units", "0"), ("sd", "inf")])
def test_a_number_that_is_none_is_refused_naming_line_and_column(
        tmp_path: Path, field: str, value: str) -> None:
    column = {"kwh": "kwh_mean", "units": "units", "sd": "kwh_sd"}[field]
    with pytest.raises(MeteringError, match=rf"factors.csv: line 2: {column} is "):
        read_factors(_table(tmp_path, **{field: value}))


def test_a_table_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "factors.csv"
    path.write_bytes(HEAD.encode() + "CMP-Ａ,切断,3\n".encode("cp932"))
    with pytest.raises(MeteringError, match="not a readable factors table"):
        read_factors(path)
