"""Industry figures of municipalities for the diagnosis: persons employed (従業者数) in total
and, optionally, by sector, as the Economic Census for Business Activity (経済センサス‐活動調査,
published on e-Stat) counts them per municipality. Nothing is shipped (no sourced table is
in the references): the user supplies the table, with the survey's code column.

Columns (header row; one row per municipality, UTF-8 CSV or ``.xlsx``):

* ``地方公共団体コード`` — the 5-digit code, as in the survey;
* ``従業者数`` — persons employed, all industries;
* ``第1次産業``, ``第2次産業``, ``第3次産業`` — optional, persons employed by sector (all
  three or none; their sum may not exceed ``従業者数``).

The diagnosis uses them for business waste per person employed (事業系ごみ ÷ 従業者数,
g per person employed per day), ranked among the peers that have a row, and shows the
tertiary share, which drives business waste (shops, offices, hotels) more than population.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from junkan.core.errors import ModelError, Problem, coded
from junkan.policy.survey import (
    CODE_COLUMN,
    MAX_ROWS,
    _number,
    read_code,
    read_rows,
    repeated_columns,
    stray_cells,
)

TOTAL = "従業者数"
SECTORS = ("第1次産業", "第2次産業", "第3次産業")
MAX_EMPLOYED = 20_000_000
"""A sanity bound (Tokyo's special wards employ under 10 million), not a sourced figure."""


@dataclass(frozen=True)
class Industry:
    """One municipality's persons employed, in total and by sector (primary, secondary,
    tertiary) when the table gives them."""

    employed: int
    by_sector: tuple[int, int, int] | None

    @property
    def tertiary_share(self) -> float | None:
        return None if self.by_sector is None else self.by_sector[2] / self.employed


def read_industry(path: str | Path, name: str | None = None) -> dict[str, Industry]:
    """The industry table at ``path`` by municipality code; every problem is named by line
    and column, in the file ``name`` (default: the path)."""
    rows, source = read_rows(path, name)
    if not rows:
        raise ModelError([coded("", "table-empty", "the table is empty; expected a header row")],
                         source)
    header = [str(c or "").strip() for c in rows[0]]
    problems = repeated_columns(header)
    problems += [coded(f"header.{n}", "column-missing", "column is missing")
                 for n in (CODE_COLUMN, TOTAL) if n not in header]
    given = [s for s in SECTORS if s in header]
    if given and len(given) < len(SECTORS):
        problems.append(coded("header", "sectors-partial", "give all of {sectors} or none "
                              "(found {found})", sectors=", ".join(SECTORS),
                              found=", ".join(given)))
    problems += [coded(f"header.{h}", "unknown-column", "unknown column; check the spelling")
                 for h in header if h and h not in (CODE_COLUMN, TOTAL, *SECTORS)]
    if problems:
        raise ModelError(problems, source)
    if sum(1 for r in rows[1:] if any(str(c or "").strip() for c in r)) > MAX_ROWS:
        raise ModelError([coded("", "too-many-rows", "more than {limit} rows",
                                limit=f"{MAX_ROWS:,}")], source)
    out: dict[str, Industry] = {}
    lines: dict[str, int] = {}
    for i, r in enumerate(rows[1:], start=2):
        if not any(str(c or "").strip() for c in r):
            continue
        stray_cells(r, header, f"line {i}", problems)
        cells = {h: (r[j] if j < len(r) else None) for j, h in enumerate(header) if h}
        row = _row(cells, bool(given), f"line {i}", problems)
        if row is None:
            continue
        code, ind = row
        if code in lines:
            problems.append(coded(f"line {i}.{CODE_COLUMN}", "code-repeated",
                                  "code {code} repeats line {line}", code=code,
                                  line=lines[code]))
        lines[code] = i
        out[code] = ind
    if problems:
        raise ModelError(problems, source)
    if not out:
        raise ModelError([coded("", "no-rows", "no municipality rows")], source)
    return out


def _whole(value: Any, where: str, problems: list[Problem], least: int) -> int | None:
    x = _number(value, where, problems, MAX_EMPLOYED)
    if x is None:
        return None
    if x != int(x) or x < least:
        problems.append(coded(where, "whole-number-needed", "must be a whole number ≥ {least}, "
                              "got {value}", least=least, value=f"{x:g}"))
        return None
    return int(x)


def _row(cells: dict[str, Any], sectors: bool, at: str,
         problems: list[Problem]) -> tuple[str, Industry] | None:
    before = len(problems)
    code = read_code(cells[CODE_COLUMN], at, problems)
    total = _whole(cells[TOTAL], f"{at}.{TOTAL}", problems, 1)
    parts = [_whole(cells[s], f"{at}.{s}", problems, 0) for s in SECTORS] if sectors else []
    if len(problems) > before or total is None:
        return None
    by = None
    if sectors:
        p1, p2, p3 = (int(x or 0) for x in parts)
        if p1 + p2 + p3 > total:
            problems.append(coded(f"{at}.{TOTAL}", "sectors-above-total", "the sectors add up "
                                  "to {sum}, more than {total}", sum=f"{p1 + p2 + p3:,}",
                                  total=f"{total:,}"))
            return None
        by = (p1, p2, p3)
    return code, Industry(total, by)
