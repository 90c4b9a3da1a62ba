"""A CSV line the csv module refuses (a cell over its 128 KiB limit) is refused naming the
file and the line (rule csv-unreadable) by every CSV reader built on
:mod:`junkan.core.csv_text`: the foresight factor tables, the network's period tables and
proxy tables raised a raw ``csv.Error`` (a traceback in the CLI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from junkan.core.errors import ModelError
from junkan.foresight.model import read_csv_table
from junkan.network.periods_tables import read_year_csv
from junkan.network.proxy import parse_proxy_csv
from junkan.policy.survey import read_rows

BIG = "x" * 140_000  # over the csv module's 131,072-character field limit


def _said(exc: ModelError) -> list[tuple[str, str]]:
    return [(p.path, p.kind or "") for p in exc.problems]


def test_a_foresight_table(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text(f"name,low\na,1\n{BIG},1\n")
    with pytest.raises(ModelError) as got:
        read_csv_table(tmp_path / "f.csv", {"name", "low"}, "factors")
    assert _said(got.value) == [("line 3", "csv-unreadable")]
    assert got.value.source == str(tmp_path / "f.csv")


def test_a_network_period_table(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text(f"area,year,commodity,t\na,2020,b,1\n{BIG},2020,b,1\n")
    with pytest.raises(ModelError) as got:
        read_year_csv(tmp_path / "p.csv", [2020])
    assert ("line 3", "csv-unreadable") in _said(got.value)  # beside line 2's unknown area


def test_a_network_proxy_table() -> None:
    with pytest.raises(ModelError) as got:
        parse_proxy_csv(f"prefecture,value\n{BIG},1\n", source="proxy.csv")
    assert _said(got.value)[0] == ("line 2", "csv-unreadable")  # then the missing metadata


def test_a_policy_survey(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_text(f"code,name\n{BIG},x\n")
    with pytest.raises(ModelError) as got:
        read_rows(tmp_path / "s.csv")
    assert _said(got.value) == [("line 2", "csv-unreadable")]


def test_a_network_period_table_named_by_an_empty_path_is_no_file(tmp_path: Path) -> None:
    """``supply_by_year: ''`` named the scenario's folder, read as a file: IsADirectoryError
    (a traceback, found by a hostile-input sweep, 2026-12-05)."""
    with pytest.raises(ModelError, match=r"not a file \(periods.supply_by_year"):
        read_year_csv(tmp_path, [2020])
