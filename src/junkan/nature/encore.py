"""Your ENCORE export: the dependency and pressure materiality ratings of the ENCORE knowledge
base ('06. Dependency mat ratings.csv', '07. Pressure mat ratings.csv') read in their published
layout (``junkan/data/nature/encore.yaml`` describes it, with sources), and each commodity's
ISIC Rev.4 class looked up in them for the LEAP report's Evaluate phase.

Ratings are the file's own: VH, H, M, L, VL; ND ("no data") and N/A ("not applicable": no
link) are kept as such, never turned into a number. An activity that is not in the file, or a
commodity without an ISIC class, has "no rating". Nothing of ENCORE is bundled."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from junkan.nature.geo import NatureInputError
from junkan.nature.schema import reference

if TYPE_CHECKING:
    from junkan.nature.schema import Assessment

KEY = "ISIC Unique code"
META = {"isic unique code", "isic section", "isic division", "isic group", "isic class",
        "isic level used for analysis", "#"}
"""Columns that describe the activity (compared lower-case, stripped); all others are rated."""
MAX_BYTES = 20 * 2**20
MAX_ROWS = 10_000
HEADER_WITHIN = 5
"""The header row is looked for in the first lines (some releases put title rows above it)."""
CODE = re.compile(r"^([A-U])_(\d{1,2})_(\d{1,3})(?:_(\d{1,4}))?$")
KINDS = {"dependencies": "06. Dependency mat ratings.csv",
         "pressures": "07. Pressure mat ratings.csv"}


def codes() -> tuple[list[str], str, str]:
    """The rating scale (lowest first), the no-data code and the not-applicable code."""
    ref = reference("encore")
    return list(ref["ratings"]), str(ref["no_data"]), str(ref["not_applicable"])


@dataclass(frozen=True)
class Activity:
    """One row of an ENCORE ratings file."""

    code: str
    division: int
    group: int
    klass: int | None
    """ISIC class without leading zeros (None: a group-level row)."""
    name: str
    """The row's 'ISIC Class' name (its 'ISIC Group' name for a group-level row)."""
    level: str
    line: int
    ratings: dict[str, str]
    """Column → VH, H, M, L, VL, ND or N/A, as in the file."""

    def describe(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "level": self.level, "line": self.line}


@dataclass
class Ratings:
    """An ENCORE ratings file, checked."""

    path: str
    kind: str
    columns: list[str]
    activities: list[Activity]
    sha256: str
    encoding: str = "utf-8"
    notes: list[str] = field(default_factory=list)

    def lookup(self, isic: str, activity: str | None = None) -> Activity | None:
        """The row for ISIC Rev.4 class ``isic`` (four digits): its class-level row, else the
        row of its group (ENCORE rates some activities per group); None when the file has
        neither. ``activity`` (an 'ISIC Class' name) picks one of several rows of one code."""
        d, g, k = int(isic[:2]), int(isic[:3]), int(isic)
        rows = [a for a in self.activities if (a.division, a.group, a.klass) == (d, g, k)] or [
            a for a in self.activities if (a.division, a.group, a.klass) == (d, g, None)]
        if activity is not None:
            rows = [a for a in rows if a.name.casefold() == activity.strip().casefold()]
            if not rows:
                raise NatureInputError(f"{self.path}: no row of ISIC {isic} is named "
                                       f"{activity!r} (encore: activity:)")
        if len(rows) > 1:
            names = ", ".join(f"{a.name!r} (line {a.line})" for a in rows)
            raise NatureInputError(
                f"{self.path}: ISIC {isic} has {len(rows)} rows ({names}); name the one you "
                "mean under 'encore: activity:' (commodity: its 'ISIC Class' name)")
        return rows[0] if rows else None


def _decode(path: Path, raw: bytes) -> tuple[str, str]:
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise NatureInputError(f"{path}: not a text file (byte {exc.start}); give ENCORE's "
                               "CSV as downloaded") from None


def _header(path: Path, rows: list[list[str]]) -> int:
    for i, row in enumerate(rows[:HEADER_WITHIN]):
        if KEY.casefold() in (c.strip().casefold() for c in row):
            return i
    raise NatureInputError(
        f"{path}: no column {KEY!r} in the first {HEADER_WITHIN} lines; give ENCORE's "
        f"'{KINDS['dependencies']}' or '{KINDS['pressures']}' as downloaded (CSV)")


def _columns(path: Path, header: list[str], kind: str) -> tuple[list[str], int]:
    names = [c.strip() for c in header]
    seen: set[str] = set()
    for n in names:
        if n and n.casefold() in seen:
            raise NatureInputError(f"{path}: column {n!r} appears twice in the header")
        seen.add(n.casefold())
    rated = [n for n in names if n and n.casefold() not in META]
    if not rated:
        raise NatureInputError(f"{path}: no rating columns besides the ISIC ones")
    ref = reference("encore")
    other = "pressures" if kind == "dependencies" else "dependencies"
    theirs = {c.casefold() for c in ref["pressure_columns" if other == "pressures"
                                         else "dependency_columns"]}
    clash = [n for n in rated if n.casefold() in theirs]
    if clash:
        raise NatureInputError(
            f"{path}: columns {clash[:3]} are ENCORE {other[:-1]} columns; this looks like "
            f"'{KINDS[other]}', given as encore: {kind}:")
    return names, [n.casefold() for n in names].index(KEY.casefold())


def _cell(path: Path, line: int, column: str, value: str, allowed: set[str]) -> str:
    v = value.strip()
    if v.upper() in allowed:
        return v.upper()
    shown = "empty" if not v else repr(v[:40])
    raise NatureInputError(
        f"{path}: line {line}, column {column!r}: {shown} is not an ENCORE rating; use "
        "VH, H, M, L, VL, ND (no data) or N/A (not applicable)")


def _activity(path: Path, line: int, names: list[str], key: int, row: list[str],
              allowed: set[str]) -> Activity:
    code = row[key].strip()
    m = CODE.match(code)
    if m is None:
        raise NatureInputError(f"{path}: line {line}, column {KEY!r}: {code[:40]!r} is not an "
                               "ENCORE ISIC unique code (e.g. A_1_12_127 or D_35_351)")
    cells = {n.casefold(): v.strip() for n, v in zip(names, row, strict=False) if n}
    ratings = {n: _cell(path, line, n, v, allowed)
               for n, v in zip(names, row, strict=False) if n and n.casefold() not in META}
    for n in names[len(row):]:
        if n and n.casefold() not in META:
            _cell(path, line, n, "", allowed)  # a short row: its missing cells are empty
    klass = None if m.group(4) is None else int(m.group(4))
    return Activity(code, int(m.group(2)), int(m.group(3)), klass,
                    cells.get("isic class") or cells.get("isic group") or code,
                    cells.get("isic level used for analysis", ""), line, ratings)


ENCORE_PAGE = "https://encorenature.org/en/data-and-methodology/methodology"
"""Where ENCORE's knowledge base is downloaded (docs/nature.md, "Your ENCORE export")."""
FILES = {"dependencies": "06. Dependency mat ratings.csv",
         "pressures": "07. Pressure mat ratings.csv"}
"""ENCORE's file names for each kind of ratings."""


def read_ratings(path: str | Path, kind: str) -> Ratings:
    """Read ENCORE's '06. Dependency mat ratings.csv' (``kind`` dependencies) or
    '07. Pressure mat ratings.csv' (pressures); every bad cell is refused naming the file,
    the line and the column."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise NatureInputError(f"{p}: larger than {MAX_BYTES // 2**20} MiB; not an ENCORE "
                                   "ratings file")
        raw = p.read_bytes()
    except FileNotFoundError:
        name = FILES.get(kind, "the ratings file")
        raise NatureInputError(
            f"{p}: no such file (encore: {kind}); download ENCORE's knowledge base yourself "
            f"(\"Methodology & Downloads\" on {ENCORE_PAGE}, CC BY-SA 4.0) and give the path "
            f"of its {name!r} as it comes"
        ) from None
    except OSError as exc:
        raise NatureInputError(f"{p}: cannot read ({exc.strerror})") from None
    text, encoding = _decode(p, raw)
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        rows, lines = [], []
        for row in reader:
            rows.append(row)
            lines.append(reader.line_num)
            if len(rows) > MAX_ROWS:
                raise NatureInputError(f"{p}: more than {MAX_ROWS:,} rows")
    except csv.Error as exc:
        raise NatureInputError(f"{p}: not a CSV file ({exc})") from None
    h = _header(p, rows)
    names, key = _columns(p, rows[h], kind)
    scale, nd, na = codes()
    allowed = {*scale, nd, na}
    acts: list[Activity] = []
    seen: dict[tuple[str, str], int] = {}
    for row, line in zip(rows[h + 1:], lines[h + 1:], strict=True):
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(names) and any(c.strip() for c in row[len(names):]):
            raise NatureInputError(f"{p}: line {line}: {len(row)} cells, the header has "
                                   f"{len(names)}")
        a = _activity(p, line, names, key, row, allowed)
        first = seen.setdefault((a.code, a.name.casefold()), line)
        if first != line:
            raise NatureInputError(f"{p}: line {line}: {a.code} {a.name!r} repeats line {first}")
        acts.append(a)
    if not acts:
        raise NatureInputError(f"{p}: no activity rows below the header")
    notes = [] if encoding == "utf-8" else ["not UTF-8: read as Windows-1252"]
    return Ratings(str(p), kind, [n for n in names if n and n.casefold() not in META], acts,
                   hashlib.sha256(raw).hexdigest(), encoding, notes)


def commodity_isic(own: dict[str, str] | None = None) -> dict[str, dict[str, str]]:
    """Commodity → {class, name, source}: the bundled ones (coffee, rubber) and yours."""
    out = {k: {kk: str(vv) for kk, vv in v.items()}
           for k, v in reference("encore")["isic"].items()}
    for commodity, isic in (own or {}).items():
        out[commodity] = {"class": isic, "name": "", "source": "your assessment (encore: isic:)"}
    return out


def _side(ratings: Ratings | None, isic: str | None, activity: str | None) -> dict[str, Any]:
    """One file's answer for one ISIC class: its ratings, or "no rating" and why."""
    if ratings is None:
        return {"status": "not given"}
    if isic is None:
        return {"status": "no rating", "reason": "no ISIC class"}
    row = ratings.lookup(isic, activity)
    if row is None:
        return {"status": "no rating",
                "reason": f"ISIC {isic} is not in {Path(ratings.path).name}"}
    return {"status": "rated", "activity": row.describe(), "ratings": dict(row.ratings)}


def evaluate(commodities: list[str], deps: Ratings | None, pres: Ratings | None,
             own_isic: dict[str, str] | None = None,
             activity: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Per commodity: its ISIC class and the ratings of both files (``not given`` for a file
    you left out; ``no rating`` with the reason when the class or the activity is missing)."""
    table = commodity_isic(own_isic)
    out = {}
    for c in sorted(set(commodities)):
        isic = table.get(c, {}).get("class")
        chosen = (activity or {}).get(c)
        out[c] = {"isic": isic, "isic_source": table.get(c, {}).get("source"),
                  "dependencies": _side(deps, isic, chosen),
                  "pressures": _side(pres, isic, chosen)}
    return out


def ordered(ratings: dict[str, str]) -> list[tuple[str, str]]:
    """The rated columns, highest rating first (ND and N/A left out)."""
    scale, _, _ = codes()
    rated = [(k, v) for k, v in ratings.items() if v in scale]
    return sorted(rated, key=lambda kv: -scale.index(kv[1]))


def assess_encore(a: Assessment, commodities: list[str]) -> dict[str, Any] | None:
    """The assessment's ENCORE part (None without ``encore``): the files read (path, SHA-256,
    rows, columns) and each commodity's ratings (:func:`evaluate`)."""
    spec = a.spec.encore
    if spec is None:
        return None
    files = {kind: read_ratings(a.path(rel, f"encore.{kind}"), kind)
             for kind, rel in (("dependencies", spec.dependencies),
                               ("pressures", spec.pressures)) if rel is not None}
    given = {c: n for c, n in spec.activity.items() if c not in commodities}
    if given:
        raise NatureInputError(f"{a.source}: encore.activity: no sourcing area has commodity "
                               f"{sorted(given)[0]!r}")
    source = spec.source or "ENCORE export: " + ", ".join(
        Path(f.path).name for f in files.values())
    return {
        "source": source,
        "files": {k: {"path": f.path, "sha256": f.sha256, "encoding": f.encoding,
                      "activities": len(f.activities), "columns": f.columns}
                  for k, f in files.items()},
        "commodities": evaluate(commodities, files.get("dependencies"),
                                files.get("pressures"), spec.isic, spec.activity),
    }


def for_area(enc: dict[str, Any] | None, doc: dict[str, Any]) -> dict[str, Any] | None:
    """The ENCORE answer for an area's commodity (None without an ENCORE export)."""
    return None if enc is None else enc["commodities"].get(str(doc.get("commodity")))
