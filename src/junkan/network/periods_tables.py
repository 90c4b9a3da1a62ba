"""Per-year tables of supply and demand read from CSV files beside a scenario
(:mod:`junkan.network.periods_data` uses them in planning over time).

A scenario read from a file may give ``periods.supply_by_year`` and ``periods.demand_by_year``
as the names of CSV files (relative to the scenario's folder; ``#`` lines are comments, e.g.
the source)::

    area,year,commodity,t                 destination,year,commodity,t
    Aichi,2030,panel,40000                Recycler Kanto,2030,panel,150000
    Fukuoka,2040,panel,45000              Recycler Kyushu,2040,panel,150000

Supply is per area (prefecture name or code 1–47), demand per destination (its name in the
scenario), both in t/yr. Every (commodity, area or destination) given needs one row for each
year of ``periods.years``. Each problem names the file, the line and the column: a bad
header, a cell that is no whole year or no number of tonnes (negative, NaN, above 10⁹), a year
that is not one of the periods', an unknown prefecture or destination, a row given twice (also
as ``Aichi`` and ``23``), and the years missing for an area or destination (with its lines)."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from junkan.core import csv_text
from junkan.core.errors import ModelError, Problem, short
from junkan.network.geo import prefecture_code, prefectures

MAX_TABLE_CSV_BYTES = 2_000_000
"""Largest table read (47 areas × 30 years × a few commodities is ~50 kB)."""
MAX_PROBLEMS = 20
TABLES = {"supply_by_year": "area", "demand_by_year": "destination"}
"""The ``periods`` fields that may name a CSV file, and the first column of each."""

# a key checker: the canonical key of a cell (for duplicates), or raises KeyError(message)
KeyCheck = Callable[[str], str]


def _area_key(cell: str) -> str:
    return prefectures()[prefecture_code(cell) - 1].name


def _destination_key(names: list[str]) -> KeyCheck:
    def check(cell: str) -> str:
        if cell not in names:
            raise KeyError(f"unknown destination {short(cell)}; the scenario's destinations: "
                           f"{', '.join(names) or '(none)'}")
        return cell
    return check


def read_year_csv(path: str | Path, years: list[int], key: str = "area",
                  check: KeyCheck | None = None) -> dict[str, dict[str, list[float]]]:
    """The table commodity → ``key`` (area or destination, as first written) → t per year of
    ``years`` of a CSV file ``<key>,year,commodity,t``. ``check`` gives a cell's canonical
    key or raises ``KeyError`` (default: a prefecture). Every problem is raised at once as a
    :class:`ModelError` naming the file, with the line and column of each."""
    p = Path(path)
    text = _text(p, key)
    check = check or _area_key
    header = [key, "year", "commodity", "t"]
    problems: list[Problem] = []
    got: dict[str, dict[str, dict[int, float]]] = {}
    lines: dict[tuple[str, str], list[int]] = {}
    spelled: dict[str, str] = {}  # canonical key → as first written
    seen_header = False
    for n, line in enumerate(io.StringIO(text), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        cells = csv_text.line_cells(stripped, n, problems)
        if cells is None:  # a cell over the csv module's 128 KiB
            break
        if not seen_header:
            if [c.lower() for c in cells] != header:
                bad = next((f"column {i + 1} is {short(c)}, not '{h}'" for i, (c, h) in
                            enumerate(zip(cells + [""] * 4, header, strict=False))
                            if c.lower() != h), f"{len(cells)} columns, not 4")
                problems.append(Problem(f"line {n}", f"the header must be "
                                        f"'{','.join(header)}' ({bad})"))
                break
            seen_header = True
            continue
        row = _row(cells, n, years, key, check, spelled, problems)
        if row is not None:
            name, year, commodity, t = row
            by_year = got.setdefault(commodity, {}).setdefault(name, {})
            if year in by_year:
                problems.append(Problem(f"line {n}", f"{name}, {year}, {commodity} is given "
                                        "twice"))
            by_year[year] = t
            lines.setdefault((commodity, name), []).append(n)
        if len(problems) >= MAX_PROBLEMS:
            break
    if not seen_header and not problems:
        problems.append(Problem("", f"no header '{','.join(header)}'"))
    elif seen_header and not got and not problems:
        problems.append(Problem("", "no rows after the header: the table would replace the "
                                f"scenario's figures with nothing; give one row per {key}, "
                                "year and commodity"))
    table: dict[str, dict[str, list[float]]] = {}
    for c, named in got.items():
        for a, by_year in named.items():
            missing = [y for y in years if y not in by_year]
            if missing:
                at = ", ".join(map(str, lines[(c, a)][:5]))
                problems.append(Problem(f"{c}.{a}", f"no row for {', '.join(map(str, missing))}"
                                        f" (one per year of periods.years; its rows: line {at})"))
            table.setdefault(c, {})[a] = [by_year.get(y, 0.0) for y in years]
    if problems:
        raise ModelError(problems[:MAX_PROBLEMS], str(p))
    return table


def read_supply_csv(path: str | Path, years: list[int]) -> dict[str, dict[str, list[float]]]:
    """The ``supply_by_year`` table (commodity → area → t per year) of a CSV file
    ``area,year,commodity,t`` (:func:`read_year_csv`)."""
    return read_year_csv(path, years, "area")


def read_demand_csv(path: str | Path, years: list[int],
                    destinations: list[str]) -> dict[str, dict[str, list[float]]]:
    """The ``demand_by_year`` table (commodity → destination → t per year) of a CSV file
    ``destination,year,commodity,t``; ``destinations``: the scenario's destination names."""
    return read_year_csv(path, years, "destination", _destination_key(destinations))


def _text(p: Path, key: str) -> str:
    field = "supply_by_year" if key == "area" else "demand_by_year"
    try:
        if p.exists() and not p.is_file():
            raise ModelError([Problem("", f"not a file (periods.{field} names a folder, or "
                                      "is empty); give the CSV file's path, relative to "
                                      "the scenario file")], str(p))
        if p.stat().st_size > MAX_TABLE_CSV_BYTES:
            raise ModelError([Problem("", f"more than {MAX_TABLE_CSV_BYTES:,} bytes")], str(p))
        return p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ModelError([Problem("", f"file not found (periods.{field}, relative to the "
                                  "scenario file); check the path")], str(p)) from None
    except UnicodeDecodeError as exc:
        raise ModelError([Problem("", f"not UTF-8 text (byte {exc.start})")], str(p)) from None


def _row(cells: list[str], n: int, years: list[int], key: str, check: KeyCheck,
         spelled: dict[str, str], problems: list[Problem],
         ) -> tuple[str, int, str, float] | None:
    """(key as first written, year, commodity, t) of one data row, or None with its problem
    named by line and column."""
    if len(cells) != 4:
        problems.append(Problem(f"line {n}", f"give 4 cells ({key},year,commodity,t), not "
                                f"{len(cells)}"))
        return None
    name, year_s, commodity, t_s = cells
    try:
        canon = check(name)
    except KeyError as exc:
        problems.append(Problem(f"line {n}, {key}", str(exc.args[0])))
        return None
    first = spelled.setdefault(canon, name)
    if first != name:
        problems.append(Problem(f"line {n}, {key}", f"{short(name)} is the same {key} as "
                                f"'{first}' of an earlier row; write it one way"))
        return None
    try:
        year = int(year_s)
    except ValueError:
        problems.append(Problem(f"line {n}, year", f"{short(year_s)} is not a whole year"))
        return None
    if year not in years:
        problems.append(Problem(f"line {n}, year", f"{year} is not one of periods.years "
                                f"({', '.join(map(str, years))})"))
        return None
    if not commodity:
        problems.append(Problem(f"line {n}, commodity", "empty: name the commodity"))
        return None
    try:
        t = float(t_s)
    except ValueError:
        t = math.nan
    if not (math.isfinite(t) and 0 <= t <= 1e9):
        problems.append(Problem(f"line {n}, t", f"{short(t_s)} must be a number of tonnes, "
                                "0 to 1e9"))
        return None
    return name, year, commodity, t


def resolve_table_files(doc: Any, base: Path) -> Any:
    """``doc`` with ``periods.supply_by_year`` and ``periods.demand_by_year`` read from their
    CSV files (relative to ``base``, the scenario's folder) when they name one; otherwise
    ``doc`` as it is. Problems of both files are raised together."""
    per = doc.get("periods") if isinstance(doc, dict) else None
    if not isinstance(per, dict) or not any(isinstance(per.get(f), str) for f in TABLES):
        return doc
    years = per.get("years")
    if not (isinstance(years, list) and years and all(isinstance(y, int) for y in years)):
        return doc  # the schema names the years' problem (and no file is read)
    dests = doc.get("destinations")
    names = [str(d.get("name")) for d in dests if isinstance(d, dict)] \
        if isinstance(dests, list) else []
    out = dict(per)
    errors: list[ModelError] = []
    for field in TABLES:
        if isinstance(per.get(field), str):
            try:
                out[field] = (read_supply_csv(base / per[field], years) if field ==
                              "supply_by_year" else
                              read_demand_csv(base / per[field], years, names))
            except ModelError as exc:
                errors.append(exc)
    if len(errors) == 1:
        raise errors[0]
    if errors:  # one error naming each file on its lines
        raise ModelError([Problem(f"{e.source}:{p.path}" if p.path else str(e.source),
                                  p.message) for e in errors for p in e.problems])
    return {**doc, "periods": out}


def year_table_csv(table: dict[str, dict[str, list[float]]], years: list[int],
                   key: str = "area", source: str = "") -> str:
    """The CSV text (``<key>,year,commodity,t``, ``source`` as a comment line first) of a
    per-year table commodity → area or destination → t per year of ``years``, as
    :func:`read_year_csv` reads it back (e.g. ``periods.supply_by_year`` of
    :func:`junkan.network.supply_from_lifecycle`)."""
    if key not in TABLES.values():
        raise ValueError(f"key {short(key)}: use one of {', '.join(TABLES.values())}")
    buf = io.StringIO()
    for line in source.splitlines():
        buf.write(f"# {line}\n")
    out = csv.writer(buf, lineterminator="\n")
    out.writerow([key, "year", "commodity", "t"])
    for c, named in table.items():
        for name, values in named.items():
            if len(values) != len(years):
                raise ValueError(f"{c}.{name}: {len(values)} values for {len(years)} years")
            out.writerows([name, y, c, f"{v:.10g}"] for y, v in zip(years, values, strict=True))
    return buf.getvalue()
