"""Event batch files: JSON or YAML ``{events: [...]}``, or CSV (one event per row). Every
problem is reported as ``file: line L[, column C]: field: what is wrong`` — never a traceback,
whatever the file holds (binary junk, NUL bytes, 10 MB lines, numbers like ``inf`` or
``1e999``, integers with thousands of digits, nesting deeper than the parser's stack).

CSV columns: ``type, lot, material, mass_kg, cfp_total, cfp_biogenic, pre_consumer,
post_consumer, site, to, inputs, process_cfp_kgco2e, custody``; ``inputs`` lists
``lot:kg`` pairs separated by ``;`` (``A:10;org-B/E:30``). Numbers are plain decimals
(``12``, ``-0.5``, ``1.5e3``); ``inf``, ``nan`` and the like are refused; ``cfp_biogenic``
goes with ``cfp_total``. A JSON object giving a key twice is refused, as the API refuses it."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from junkan.core.documents import loads_with_repeat
from junkan.core.errors import ModelError, Problem
from junkan.trace.events import MAX_SAFE_INT, Batch

MAX_FILE_BYTES = 256 * 1024 * 1024
"""Largest batch file read (256 MiB; about two million events)."""
MAX_PROBLEMS = 20
"""At most this many problems are listed (then a count of the rest)."""
CSV_COLUMNS = ("type", "lot", "material", "mass_kg", "cfp_total", "cfp_biogenic",
               "pre_consumer", "post_consumer", "site", "to", "inputs",
               "process_cfp_kgco2e", "custody")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?")
_INTEGER = re.compile(r"[+-]?\d{1,17}")


M = TypeVar("M", bound=BaseModel)

def _fail(source: str, where: str, message: str) -> ModelError:
    return ModelError([Problem(where, message)], source)


def read_text(path: Path) -> str:
    """The file as text, or a ModelError saying why it is not readable UTF-8 text."""
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _fail(source, "", f"the file has {size:,} bytes; at most "
                                    f"{MAX_FILE_BYTES:,} are read (split the batch)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise _fail(source, "", "file not found; check the path") from None
    except OSError as exc:
        raise _fail(source, "", f"cannot read the file ({exc.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _fail(source, f"line {line}", "not UTF-8 text (is it a spreadsheet or a "
                                            "binary file? export it as CSV UTF-8)") from None
    nul = text.find("\x00")
    if nul >= 0:
        raise _fail(source, f"line {text.count(chr(10), 0, nul) + 1}",
                    "the file contains NUL bytes: not a text file")
    return text


def read_batch(path: Path) -> Batch:
    """Read and validate an event batch file (format by suffix: .csv, else JSON/YAML)."""
    text = read_text(path)
    if path.suffix.lower() == ".csv":
        events, lines = parse_csv(text, str(path))
        return validate(Batch, {"events": events}, str(path), lines)
    return validate(Batch, parse_document(text, str(path), path.suffix.lower() == ".json"),
                    str(path), None)


def parse_document(text: str, source: str, as_json: bool,
                   key: str = "events") -> dict[str, Any]:
    """A JSON or YAML document that must be a mapping with a list ``key``."""
    try:
        if as_json or text.lstrip().startswith(("{", "[")):
            doc, repeat = loads_with_repeat(text)
            if repeat is not None:  # as the API refuses it (json.loads keeps the last)
                raise ModelError([repeat], source)
        else:
            from junkan.core.documents import parse_document as parse_yaml

            doc = parse_yaml(text, source=source)
    except json.JSONDecodeError as exc:
        raise _fail(source, f"line {exc.lineno}, column {exc.colno}",
                    f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise _fail(source, "", "nested too deeply to be an event batch") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise _fail(source, "", f"invalid number: {str(exc)[:120]}") from None
    except ModelError as exc:
        if exc.problems and "must be a mapping" in exc.problems[0].message:
            raise _fail(source, "", f"the document must be a mapping with a list '{key}'") \
                from None
        raise
    if not isinstance(doc, dict) or key not in doc:
        raise _fail(source, "", f"the document must be a mapping with a list '{key}'")
    return doc


def _number(text: str, column: str) -> int | float:
    """A CSV cell as a number (strict decimal syntax, finite, integers below 2^53)."""
    if _INTEGER.fullmatch(text):
        return int(text)
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"column {column}: {_short(text)} is not a number (write e.g. 12, "
                         "0.5 or 1.5e3)")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"column {column}: {_short(text)} is too large (overflows to "
                         "infinity)")
    if value.is_integer() and abs(value) >= MAX_SAFE_INT and "." not in text and \
            "e" not in text.lower():
        raise ValueError(f"column {column}: integer too large (must be below 2^53)")
    return value


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def parse_csv(text: str, source: str) -> tuple[list[dict[str, Any]], list[int]]:
    """The events of a CSV batch and the line each came from."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    events: list[dict[str, Any]] = []
    lines: list[int] = []
    try:
        header = next(reader, None)
        if header is None:
            raise _fail(source, "line 1", "the file is empty; the first line names the "
                                          f"columns ({', '.join(CSV_COLUMNS)})")
        header = [h.strip() for h in header]
        unknown = [h for h in header if h not in CSV_COLUMNS]
        if unknown:
            raise _fail(source, "line 1", f"unknown column {_short(unknown[0])}; the columns "
                                          f"are {', '.join(CSV_COLUMNS)}")
        if len(set(header)) != len(header):
            raise _fail(source, "line 1", "a column is named twice")
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if len(fields) > len(header):
                raise _fail(source, f"line {line}", f"{len(fields)} fields, more than the "
                                                    f"{len(header)} columns of the header")
            row = {k: v.strip() for k, v in zip(header, fields, strict=False) if v.strip()}
            try:
                events.append(_csv_event(row))
            except ValueError as exc:
                raise _fail(source, f"line {line}", str(exc)) from None
            lines.append(line)
    except csv.Error as exc:
        raise _fail(source, f"line {reader.line_num}", f"not valid CSV: {exc}") from None
    return events, lines


def _csv_event(r: dict[str, str]) -> dict[str, Any]:
    ev: dict[str, Any] = {"type": r.get("type"), "lot": r.get("lot")}
    if "material" in r:
        ev["material"] = r["material"]
    if "mass_kg" in r:
        ev["mass_kg"] = _number(r["mass_kg"], "mass_kg")
    if "cfp_biogenic" in r and "cfp_total" not in r:
        raise ValueError("column cfp_biogenic: given without cfp_total; a footprint is "
                         "stated by its total (fossil + biogenic = total), so give cfp_total "
                         "too, in a redeclare as well")
    if "cfp_total" in r:
        ev["cfp"] = {"total": _number(r["cfp_total"], "cfp_total"),
                     "biogenic": _number(r.get("cfp_biogenic", "0"), "cfp_biogenic")}
    if "pre_consumer" in r or "post_consumer" in r:
        ev["recycled"] = {"pre_consumer": _number(r.get("pre_consumer", "0"), "pre_consumer"),
                          "post_consumer": _number(r.get("post_consumer", "0"),
                                                   "post_consumer")}
    for k in ("site", "to", "custody"):
        if k in r:
            ev[k] = r[k]
    if "inputs" in r:
        ev["inputs"] = []
        for part in r["inputs"].split(";"):
            lot, sep, kg = part.strip().rpartition(":")
            if not sep or not lot:
                raise ValueError(f"column inputs: {_short(part)} is not lot:kg")
            ev["inputs"].append({"lot": lot, "mass_kg": _number(kg.strip(), "inputs")})
    if "process_cfp_kgco2e" in r:
        ev["process"] = {"cfp_kgco2e": _number(r["process_cfp_kgco2e"], "process_cfp_kgco2e")}
    return ev


def validate(cls: type[M], doc: dict[str, Any], source: str,
             lines: list[int] | None) -> M:
    """``doc`` validated; problems name the CSV line of their event when known."""
    from junkan.core.documents import validate_with

    try:
        return validate_with(cls, doc, source)
    except ModelError as exc:
        problems = []
        for p in exc.problems:
            m = re.match(r"events\[(\d+)\]", p.path)
            if lines is not None and m and int(m.group(1)) < len(lines):
                problems.append(Problem(f"line {lines[int(m.group(1))]}: {p.path}", p.message))
            else:
                problems.append(p)
        if len(problems) > MAX_PROBLEMS:
            more = len(problems) - MAX_PROBLEMS
            problems = [*problems[:MAX_PROBLEMS], Problem("", f"… and {more} more problems")]
        raise ModelError(problems, source) from None
