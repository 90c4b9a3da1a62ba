"""Importer for the Ministry of the Environment's general-waste survey (一般廃棄物処理実態調査).

One row per municipality, one header row of the survey's column names (the workbook's group
and column headers joined by ``/``, e.g. ``資源化量/紙類``); tonnes per year, the cost in
千円 per year. ``.csv`` (UTF-8, with or without BOM, or Shift_JIS as Excel saves it) or
``.xlsx`` (first sheet, same single header row; needs ``openpyxl``). Every problem names the
file, the line and the column; the survey's own identities are checked (generation =
household + business; the material columns sum to the total recovered), so a mistyped cell
is caught.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from junkan.core import csv_text
from junkan.core.errors import ModelError, Problem, coded, short
from junkan.core.files import regular_file_size
from junkan.core.limits import limits

BASE = ("都道府県名", "地方公共団体コード", "市区町村名", "総人口")
TONNES = (
    "計画収集量",
    "直接搬入量",
    "集団回収量",
    "生活系ごみ",
    "事業系ごみ",
    "直接焼却量",
    "焼却以外の中間処理量",
    "直接最終処分量",
    "直接資源化量",
    "中間処理後再生利用量",
    "焼却残渣量",
    "処理残渣量",
)
COST = "処理及び維持管理費"
STREAM_PREFIX = "資源化量/"
MAX_ROWS = 5000
"""More rows than Japan's ~1,741 municipalities (plus wards and unions) is refused."""
MAX_NAME = 100
"""Longest prefecture or municipality name (the longest real ones have about a dozen
characters); a longer cell is most often a misplaced column or pasted text."""
MAX_POPULATION = 50_000_000
MAX_TONNES = 1e8
TOLERANCE_T = 1.0
"""Identities hold to 1 t (the survey rounds to whole tonnes) plus 0.1 %."""
CODE = re.compile(r"^\d{5}$")
CODE_COLUMN = "地方公共団体コード"
FULLWIDTH = str.maketrans("０１２３４５６７８９，．", "0123456789,.")


@dataclass(frozen=True)
class Municipality:
    """One municipality's row of the survey (tonnes per year; cost in thousand yen)."""

    prefecture: str
    code: str
    name: str
    population: int
    t: dict[str, float]
    """The tonnage columns of :data:`TONNES`."""
    streams: dict[str, float]
    """Recovered tonnes by material stream (the ``資源化量/…`` columns)."""
    cost_kjpy: float | None

    @property
    def generation_t(self) -> float:
        """ごみ総排出量 = 計画収集量 + 直接搬入量 + 集団回収量."""
        return self.t["計画収集量"] + self.t["直接搬入量"] + self.t["集団回収量"]

    @property
    def treated_t(self) -> float:
        """ごみの総処理量 = 中間処理量 (直接焼却 + 焼却以外) + 直接最終処分量 + 直接資源化量."""
        return (
            self.t["直接焼却量"]
            + self.t["焼却以外の中間処理量"]
            + self.t["直接最終処分量"]
            + self.t["直接資源化量"]
        )

    @property
    def recovered_t(self) -> float:
        """総資源化量 = 直接資源化量 + 中間処理後再生利用量 + 集団回収量."""
        return self.t["直接資源化量"] + self.t["中間処理後再生利用量"] + self.t["集団回収量"]

    @property
    def final_disposal_t(self) -> float:
        """最終処分量 = 直接最終処分量 + 焼却残渣量 + 処理残渣量."""
        return self.t["直接最終処分量"] + self.t["焼却残渣量"] + self.t["処理残渣量"]


@dataclass(frozen=True)
class Survey:
    source: str
    streams: tuple[str, ...]
    municipalities: tuple[Municipality, ...]

    def find(self, code: str) -> Municipality:
        for m in self.municipalities:
            if m.code == code:
                return m
        raise ModelError(
            [
                coded(
                    "municipality",
                    "not-in-survey",
                    "code {code} is not in the survey ({count} municipalities)",
                    code=short(code),
                    count=len(self.municipalities),
                )
            ],
            self.source,
        )


def sample_path() -> Path:
    """The shipped synthetic sample (see ``data/policy/README.md``)."""
    return Path(str(resources.files("junkan.data") / "policy" / "survey_sample.csv"))


def read_survey(path: str | Path, name: str | None = None) -> Survey:
    """Read a survey table from ``path`` (``.csv`` or ``.xlsx``); ``name`` is what errors
    call it (default: the path), e.g. the upload's field when the file is a temporary copy."""
    rows, source = read_rows(path, name)
    return parse_rows(rows, source)


def read_rows(path: str | Path, name: str | None = None) -> tuple[list[list[Any]], str]:
    """The rows of a table at ``path`` (``.csv`` in UTF-8 or Shift_JIS, :data:`ENCODINGS`;
    or ``.xlsx``) and its name (``name``, default the path), the file's size checked
    against the document limit first."""
    p = Path(path)
    source = name or str(p)
    try:
        size = regular_file_size(p)  # a pipe would block the read forever
    except FileNotFoundError:
        raise ModelError([Problem("", "file not found; check the path")], source) from None
    except OSError as exc:
        raise ModelError([Problem("", f"cannot read the file: {exc.strerror or exc}")],
                         source) from None
    if size > limits().document_bytes:
        raise ModelError(
            [
                coded(
                    "",
                    "file-too-large",
                    "the file has {size} bytes, more than the {limit} allowed",
                    size=f"{size:,}",
                    limit=f"{limits().document_bytes:,}",
                )
            ],
            source,
        )
    if p.suffix.lower() == ".xlsx":
        rows = _xlsx_rows(p, source)
    else:
        rows = _csv_rows(_csv_text(p.read_bytes(), source), source)
    return rows, source


def _csv_rows(text: str, source: str) -> list[list[str]]:
    """The rows of CSV ``text``, its lines ended by CR LF, LF or CR alone (Excel's
    "CSV (Macintosh)"); a line the csv module refuses (a cell over its 128 KiB, a stray
    quote) is refused naming it: both were 500s of the service."""
    return list(csv_text.rows(csv.reader(io.StringIO(text, newline="")), source))


ENCODINGS = ("utf-8-sig", "cp932")
"""How a CSV table is read, in order: UTF-8 (with or without a byte-order mark), then
Shift_JIS as Excel writes it on Japanese Windows (``cp932``, the "CSV" choice of its save
dialog). Japanese text in Shift_JIS is not valid UTF-8, so the first that reads the whole
file is the file's encoding."""


def _csv_text(raw: bytes, source: str) -> str:
    """The text of a CSV file in one of :data:`ENCODINGS`; the refusal names the first byte
    that is not UTF-8."""
    try:
        return raw.decode(ENCODINGS[0])
    except UnicodeDecodeError as exc:
        first = exc.start
    for encoding in ENCODINGS[1:]:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ModelError(
        [coded("", "csv-encoding", "the file is neither UTF-8 nor Shift_JIS text (byte {byte}); "
               "save the CSV as UTF-8", byte=first)], source)


def _xlsx_rows(p: Path, source: str) -> list[list[Any]]:
    try:
        import openpyxl
    except ModuleNotFoundError:
        raise ModelError(
            [
                Problem(
                    "",
                    "reading .xlsx needs openpyxl (pip install openpyxl); "
                    "or export the sheet as UTF-8 CSV",
                )
            ],
            source,
        ) from None
    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ModelError([Problem("", f"cannot read the workbook: {exc}")], source) from None
    rows: list[list[Any]] = []
    filled = 0
    for r in wb.worksheets[0].iter_rows(values_only=True):
        rows.append(list(r))
        filled += any(str(c if c is not None else "").strip() for c in r)
        if filled > MAX_ROWS + 1:  # the header and more rows than allowed: refused later
            break
    wb.close()
    return rows


def parse_rows(rows: list[list[Any]], source: str) -> Survey:
    """Build a :class:`Survey` from a header row and data rows (every problem listed)."""
    if not rows:
        raise ModelError(
            [coded("", "table-empty", "the table is empty; expected a header row")], source
        )
    header = [str(c or "").strip() for c in rows[0]]
    problems = repeated_columns(header)
    for name in (*BASE, *TONNES):
        if name not in header:
            problems.append(coded(f"header.{name}", "column-missing", "column is missing"))
    streams = tuple(h[len(STREAM_PREFIX) :] for h in header if h.startswith(STREAM_PREFIX))
    if not streams:
        problems.append(
            coded(
                f"header.{STREAM_PREFIX}…",
                "no-stream-columns",
                "no recovered-tonnage columns (資源化量/<material>) found",
            )
        )
    known = {*BASE, *TONNES, COST} | {STREAM_PREFIX + s for s in streams}
    for h in header:
        if h and h not in known:
            problems.append(
                coded(f"header.{h}", "unknown-column", "unknown column; check the spelling")
            )
    if problems:
        raise ModelError(problems, source)
    data = [r for r in rows[1:] if any(str(c or "").strip() for c in r)]
    if len(data) > MAX_ROWS:
        raise ModelError(
            [coded("", "too-many-rows", "more than {limit} rows", limit=f"{MAX_ROWS:,}")], source
        )
    out: list[Municipality] = []
    seen: dict[str, int] = {}
    for i, r in enumerate(data, start=2):
        stray_cells(r, header, f"line {i}", problems)
        cells = {h: (r[j] if j < len(r) else None) for j, h in enumerate(header) if h}
        m = _row(cells, streams, f"line {i}", problems)
        if m is None:
            continue
        if m.code in seen:
            problems.append(
                coded(
                    f"line {i}.地方公共団体コード",
                    "code-repeated",
                    "code {code} repeats line {line}",
                    code=m.code,
                    line=seen[m.code],
                )
            )
        seen[m.code] = i
        out.append(m)
    if problems:
        raise ModelError(problems, source)
    if not out:
        raise ModelError([coded("", "no-rows", "no municipality rows")], source)
    return Survey(source, streams, tuple(out))


def repeated_columns(header: list[str]) -> list[Problem]:
    """A column name given twice: only one of the two columns could be read, so the other's
    figures would be lost without a word."""
    first: dict[str, int] = {}
    problems: list[Problem] = []
    for j, h in enumerate(header, start=1):
        if h and h in first:
            problems.append(coded(f"header.{h}", "column-repeated", "column {name} is given "
                                  "twice (cells {first} and {second}); keep one",
                                  name=repr(h[:60]), first=first[h], second=j))
        first.setdefault(h, j)
    return problems


def stray_cells(row: list[Any], header: list[str], where: str, problems: list[Problem]) -> None:
    """A filled cell under no column name (beyond the header, or under an empty heading) is a
    problem: the row's cells are shifted, most often by a number written ``1,234`` without
    quotes, and every cell after it would be read under the wrong column."""
    stray = [j for j, c in enumerate(row)
             if str(c if c is not None else "").strip() and (j >= len(header) or not header[j])]
    if stray:
        problems.append(coded(
            where, "cells-beyond-header",
            "cell {cell} ({value}) is under no column of the header ({n} columns); a number "
            "written with a comma (1,234) must be quoted or written without it",
            cell=stray[0] + 1, value=repr(str(row[stray[0]])[:40]), n=len(header)))


def _number(value: Any, where: str, problems: list[Problem], upper: float) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        problems.append(coded(where, "empty-cell", "empty cell; write 0 if there is none"))
        return None
    if isinstance(value, bool):
        got = "expected a number, got {value}"
        problems.append(coded(where, "cell-not-number", got, value=repr(value)))
        return None
    try:
        x = float(str(value).translate(FULLWIDTH).replace(",", "").strip())
    except ValueError:
        got = "expected a number, got {value}"
        problems.append(coded(where, "cell-not-number", got, value=repr(str(value)[:40])))
        return None
    if not math.isfinite(x) or x < 0 or x > upper:
        problems.append(
            coded(
                where,
                "cell-out-of-range",
                "must be a finite number from 0 to {max}, got {value}",
                max=f"{upper:,.0f}",
                value=str(value)[:40],
            )
        )
        return None
    return x


def read_code(cell: Any, at: str, problems: list[Problem]) -> str:
    """A municipality's 5-digit code (全国地方公共団体コード without its check digit);
    full-width digits are read as ASCII. A bad code is added to ``problems`` at ``at``."""
    if isinstance(cell, int | float) and not isinstance(cell, bool) and cell == int(cell):
        cell = f"{int(cell):05d}"  # a workbook's number cell: 01101 was stored as 1101
    code = str(cell or "").translate(FULLWIDTH).strip()
    if CODE.match(f"0{code}"):  # 1101: a spreadsheet read 01101 as a number
        problems.append(
            coded(
                f"{at}.{CODE_COLUMN}",
                "code-leading-zero",
                "expected a 5-digit code, got {value}: a spreadsheet that reads a code as a "
                "number drops its leading zero; write it as {fixed}, as text",
                value=repr(code[:20]),
                fixed=repr(f"0{code}"),
            )
        )
    elif not CODE.match(code):
        problems.append(
            coded(
                f"{at}.{CODE_COLUMN}",
                "code-format",
                "expected a 5-digit code, got {value}",
                value=repr(code[:20]),
            )
        )
    return code


def _row(
    cells: dict[str, Any], streams: tuple[str, ...], at: str, problems: list[Problem]
) -> Municipality | None:
    before = len(problems)
    code = read_code(cells[CODE_COLUMN], at, problems)
    pop = _number(cells["総人口"], f"{at}.総人口", problems, MAX_POPULATION)
    if pop is not None and (pop < 1 or pop != int(pop)):
        problems.append(
            coded(f"{at}.総人口", "population-whole", "population must be a whole number ≥ 1")
        )
    t = {k: _number(cells[k], f"{at}.{k}", problems, MAX_TONNES) for k in TONNES}
    s = {
        k: _number(cells[STREAM_PREFIX + k], f"{at}.{STREAM_PREFIX}{k}", problems, MAX_TONNES)
        for k in streams
    }
    for k in ("都道府県名", "市区町村名"):
        if len(text := str(cells[k] or "").strip()) > MAX_NAME:
            problems.append(coded(f"{at}.{k}", "name-too-long", "a name of {n} characters, "
                                  "more than the {limit} allowed", n=len(text), limit=MAX_NAME))
    cost = None
    if COST in cells and str(cells[COST] or "").strip():
        cost = _number(cells[COST], f"{at}.{COST}", problems, 1e12)
    if len(problems) > before:
        return None
    tt = {k: float(v or 0.0) for k, v in t.items()}
    ss = {k: float(v or 0.0) for k, v in s.items()}
    m = Municipality(
        str(cells["都道府県名"] or "").strip(),
        code,
        str(cells["市区町村名"] or "").strip(),
        int(pop or 0),
        tt,
        ss,
        cost,
    )
    _identities(m, at, problems)
    return m


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE_T + 1e-3 * max(a, b)


def _identities(m: Municipality, at: str, problems: list[Problem]) -> None:
    hh = m.t["生活系ごみ"] + m.t["事業系ごみ"]
    if not _close(hh, m.generation_t):
        problems.append(
            coded(
                f"{at}.生活系ごみ",
                "generation-mismatch",
                "生活系ごみ + 事業系ごみ = {sum} t but 計画収集量 + 直接搬入量 + 集団回収量 = "
                "{generation} t",
                sum=f"{hh:,.0f}",
                generation=f"{m.generation_t:,.0f}",
            )
        )
    rec = sum(m.streams.values())
    if not _close(rec, m.recovered_t):
        problems.append(
            coded(
                f"{at}.{STREAM_PREFIX}…",
                "recovered-mismatch",
                "the 資源化量 columns sum to {sum} t but 直接資源化量 + 中間処理後再生利用量 + "
                "集団回収量 = {recovered} t",
                sum=f"{rec:,.0f}",
                recovered=f"{m.recovered_t:,.0f}",
            )
        )
    if m.t["中間処理後再生利用量"] > m.t["焼却以外の中間処理量"] + m.t["直接焼却量"] + TOLERANCE_T:
        problems.append(
            coded(
                f"{at}.中間処理後再生利用量",
                "recycled-above-treated",
                "more than the intermediate treatment it comes from",
            )
        )
