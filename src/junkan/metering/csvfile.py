"""Metering CSV tables (readings, scan events, factors), from a file or from text sent to
the service, read as cells, every row as wide as the header."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from junkan.metering.config import MeteringError


def read_cells(path: str | Path, what: str = "CSV", **options: Any) -> pd.DataFrame:
    """``path`` read by pandas (text cells, only an empty cell missing unless ``options`` say
    otherwise). A row wider than the header is refused naming its line: when every row was
    one cell too wide, pandas took the first column as the index and shifted the others, so
    the error blamed the wrong cell (``step: '50'`` for a scan row with an extra cell,
    2026-12-05)."""
    return _cells(lambda: open(path, newline="", encoding="utf-8", errors="replace"),
                  path, str(path), what, options)


def cells_of_bytes(data: bytes, name: str, what: str = "CSV") -> pd.DataFrame:
    """:func:`read_cells` of a file's bytes ``data`` (UTF-8), already read by the caller to
    hash them: the table and its hash come from one read, so a file changed in between
    cannot give a hash of other data than was imported."""
    return _cells(lambda: io.TextIOWrapper(io.BytesIO(data), encoding="utf-8",
                                           errors="replace", newline=""),
                  io.BytesIO(data), name, what, {"encoding": "utf-8"})


def cells_of_text(text: str, name: str, what: str = "CSV") -> pd.DataFrame:
    """:func:`read_cells` of CSV ``text`` (the field ``name`` of a request)."""
    return _cells(lambda: io.StringIO(text, newline=""), io.StringIO(text), name, what, {})


def _cells(reopen: Callable[[], TextIO], source: Any, name: str, what: str,
           options: dict[str, Any]) -> pd.DataFrame:
    try:
        df = pd.read_csv(source, **({"dtype": str, "keep_default_na": False} | options))
    except pd.errors.ParserError as exc:
        raise MeteringError(f"{name}: {_too_wide(reopen) or f'not a readable {what}: {exc}'}"
                            ) from None
    except (OSError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise MeteringError(f"{name}: not a readable {what}: {exc}") from exc
    if not isinstance(df.index, pd.RangeIndex):
        raise MeteringError(f"{name}: {_too_wide(reopen) or 'a row is wider than the header'}")
    return df


def _too_wide(reopen: Callable[[], TextIO]) -> str | None:
    """``line N: K cells where the header has H`` for the first row wider than the header."""
    try:
        with reopen() as f:
            reader = csv.reader(f)
            header = next(reader, [])
            for row in reader:
                if len(row) > len(header):
                    return (f"line {reader.line_num}: {len(row)} cells where the header has "
                            f"{len(header)}; remove the extra cell or quote a value that "
                            "holds a comma")
    except (OSError, csv.Error):
        return None
    return None
