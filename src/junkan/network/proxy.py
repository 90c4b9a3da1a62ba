"""Proxy tables: how a national tonnage is split over the 47 prefectures.

End-of-life supply is rarely counted by prefecture; a *proxy* that is — population, vehicles
registered, solar capacity installed — spreads a national figure in proportion to it. The
only proxy junkan ships is population (``data/japan_prefectures.yaml``, sourced). Vehicle
registrations (AIRIA 都道府県別・車種別保有台数表) and installed solar capacity (資源エネルギー庁,
固定価格買取制度 情報公表用ウェブサイト, 都道府県別 導入容量) are published by prefecture but
no verified copy of either is in the project's references, so none is shipped: the caller
gives the table, with its source and date, as a file (:func:`read_proxy_table`, CSV or
YAML/JSON) or inline in a scenario (``supply.distribute_by``). A table must name every
prefecture exactly once (0 is allowed): a prefecture left out would silently get no supply.

CSV layout (``#`` lines are metadata; ``source`` and ``as_of`` are required)::

    # kind: vehicle_registrations
    # quantity: motor vehicles registered (all types)
    # unit: vehicles
    # source: AIRIA, 都道府県別・車種別保有台数表
    # as_of: 2024-03-31
    prefecture,value
    Hokkaido,3829523
    …
"""

from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from junkan.core import csv_text
from junkan.core.base import Strict
from junkan.core.documents import parse_document, validate_with
from junkan.core.errors import ModelError, Problem, short

ProxyKind = Literal["population", "vehicle_registrations", "installed_solar_capacity", "other"]
"""What a proxy counts; ``other`` for anything else (say what in ``quantity``)."""

MAX_PROXY_BYTES = 50_000
"""Largest proxy table file read (47 rows need a few kB)."""
MAX_PROBLEMS = 20
"""Problems reported before reading stops."""
MAX_WEIGHT = 1e13
"""Largest weight accepted for one prefecture (far above any count of vehicles or kW)."""
Weight = Annotated[float, Field(ge=0, le=MAX_WEIGHT, allow_inf_nan=False)]


class ProxyTable(Strict):
    """Weights per prefecture with what they count, where they come from and when."""

    kind: ProxyKind
    quantity: str = Field(min_length=3, max_length=200)
    """What is counted, e.g. "passenger cars registered" or "solar PV capacity, kW"."""
    unit: str | None = Field(default=None, max_length=40)
    source: str = Field(min_length=3, max_length=500)
    as_of: dt.date
    """The date the figures refer to (YYYY-MM-DD)."""
    by_prefecture: dict[str, Weight] = Field(min_length=1, max_length=47)

    @model_validator(mode="after")
    def _all_47(self) -> ProxyTable:
        from junkan.network.geo import prefecture_code, prefectures

        seen: dict[int, str] = {}
        for key in self.by_prefecture:
            try:
                code = prefecture_code(key)
            except KeyError as exc:
                raise ValueError(f"by_prefecture.{short(key)}: {exc.args[0]}") from None
            if code in seen:
                raise ValueError(
                    f"by_prefecture: {short(key)} and {short(seen[code])} are the "
                    "same prefecture; give each once"
                )
            seen[code] = key
        missing = [p.name for p in prefectures() if p.prefecture not in seen]
        if missing:
            raise ValueError(
                f"by_prefecture: {len(missing)} prefecture(s) missing "
                f"({', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}); "
                "give all 47 (0 where there is none)"
            )
        if sum(self.by_prefecture.values()) <= 0:
            raise ValueError("by_prefecture: the weights sum to 0")
        return self

    def weights(self) -> list[float]:
        """(47,) weights by prefecture code order (not normalised)."""
        from junkan.network.geo import prefecture_code

        out = [0.0] * 47
        for key, value in self.by_prefecture.items():
            out[prefecture_code(key) - 1] = float(value)
        return out

    def describe(self) -> str:
        """One line naming the proxy, its source and date (for a supply's ``source``)."""
        unit = f" ({self.unit})" if self.unit else ""
        return (
            f"{self.kind.replace('_', ' ')}: {self.quantity}{unit}; {self.source}; "
            f"as of {self.as_of.isoformat()}"
        )


def read_proxy_table(path: str | Path) -> ProxyTable:
    """A :class:`ProxyTable` from a CSV (layout in the module docstring) or YAML/JSON file;
    every problem names the file and the line (CSV) or field (YAML/JSON)."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_PROXY_BYTES:
            raise ModelError(
                [
                    Problem(
                        "",
                        f"the proxy table has {size:,} bytes, more than "
                        f"{MAX_PROXY_BYTES:,}; 47 rows are enough",
                    )
                ],
                str(p),
            )
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ModelError([Problem("", "file not found; check the path")], str(p)) from None
    except UnicodeDecodeError as exc:
        raise ModelError(
            [Problem("", f"the file is not UTF-8 text (byte {exc.start})")], str(p)
        ) from None
    if p.suffix.lower() == ".csv":
        return parse_proxy_csv(text, source=str(p))
    return validate_with(ProxyTable, parse_document(text, source=str(p)), str(p))


_META = ("kind", "quantity", "unit", "source", "as_of")


def parse_proxy_csv(text: str, *, source: str = "<proxy.csv>") -> ProxyTable:
    """A :class:`ProxyTable` from CSV text: ``# key: value`` metadata lines, then a
    ``prefecture,value`` header and one row per prefecture."""
    meta: dict[str, str] = {}
    rows: dict[str, float] = {}
    problems: list[Problem] = []
    header_seen = False
    line_of: dict[int, int] = {}
    for n, line in enumerate(io.StringIO(text), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            key, sep, value = stripped.lstrip("#").partition(":")
            key = key.strip().lower()
            if sep and key in _META:
                meta[key] = value.strip()
            continue
        cells = csv_text.line_cells(stripped, n, problems)
        if cells is None:  # a cell over the csv module's 128 KiB
            break
        if not header_seen:
            if [c.lower() for c in cells[:2]] != ["prefecture", "value"] or len(cells) != 2:
                problems.append(Problem(f"line {n}", "the header must be 'prefecture,value'"))
                break
            header_seen = True
            continue
        _row(cells, n, rows, line_of, problems)
        if len(problems) >= MAX_PROBLEMS:
            problems.append(
                Problem(
                    "",
                    f"stopped reading at line {n} after {MAX_PROBLEMS} problems; fix these first",
                )
            )
            break
    if not header_seen and not problems:
        problems.append(
            Problem("", "no 'prefecture,value' header; see the layout in junkan.network.proxy")
        )
    problems += [
        Problem(f"# {k}", f"missing metadata line '# {k}: …'")
        for k in ("kind", "quantity", "source", "as_of")
        if k not in meta
    ]
    if problems:
        raise ModelError(problems, source)
    doc: dict[str, Any] = {**meta, "by_prefecture": rows}
    return validate_with(ProxyTable, doc, source)


def _row(
    cells: list[str],
    n: int,
    rows: dict[str, float],
    line_of: dict[int, int],
    problems: list[Problem],
) -> None:
    if len(cells) != 2 or not cells[0]:
        problems.append(Problem(f"line {n}", "give 'prefecture,value'"))
        return
    name, raw = cells
    try:
        value = float(raw.replace("_", ""))
    except ValueError:
        problems.append(Problem(f"line {n}, value", f"{short(raw)} is not a number"))
        return
    if not math.isfinite(value) or value < 0 or value > MAX_WEIGHT:
        problems.append(
            Problem(f"line {n}, value", f"{short(raw)} must be finite, 0 to {MAX_WEIGHT:.0e}")
        )
        return
    from junkan.network.geo import prefecture_code

    try:
        code = prefecture_code(name)
    except KeyError as exc:
        problems.append(Problem(f"line {n}, prefecture", str(exc.args[0])))
        return
    if code in line_of:
        problems.append(
            Problem(
                f"line {n}, prefecture",
                f"{short(name)} is the prefecture already given on line {line_of[code]}",
            )
        )
        return
    rows[name] = value
    line_of[code] = n
