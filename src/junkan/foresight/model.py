"""Causal-model format (YAML or JSON): factors, signed links with strength, lag and
uncertainty, driver trends and shocks, policy levers with timing, KPI families.

States are normalised to [0, 1] inside the engine; ``range`` maps them back to the factor's
unit for display."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator
from scipy import sparse

from junkan.core import csv_text
from junkan.core.base import Strict
from junkan.core.documents import parse_document, read_document, validate_with
from junkan.core.errors import ModelError, Problem, coded, short
from junkan.core.fields import Years


class Factor(Strict):
    """A factor of the causal model."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    name: str | None = None
    description: str | None = None
    role: Literal["driver", "state", "kpi"]
    unit: str = "index"
    range: tuple[float, float] = (0.0, 1.0)
    """Physical values at normalised 0 and 1."""
    x0: float | tuple[float, float] = 0.5
    """Normalised initial value, or a (low, high) range sampled per scenario."""
    family: str | None = None
    """KPI family (e.g. resource_circulation, environment, economy, society)."""
    better: Literal["higher", "lower"] = "higher"
    """KPIs: which direction is good (waste generation: lower)."""
    trend: tuple[float, float] | None = None
    """Drivers: normalised drift per year, sampled uniformly in (low, high), each in [−1, 1]."""
    trend_start: int | None = None
    """Drivers: first year the drift applies (default: the first year)."""
    shock: float = Field(default=0.0, ge=0, le=1)
    """Drivers: standard deviation of the yearly random shock (normalised, 0–1)."""

    @field_validator("range")
    @classmethod
    def _range(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not v[0] < v[1]:
            raise ValueError(f"range is (value at 0, value at 1) with the first below the "
                             f"second; got ({v[0]:g}, {v[1]:g})")
        return v

    @field_validator("trend")
    @classmethod
    def _trend(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and not all(-1 <= x <= 1 for x in v):
            raise ValueError(f"trend is a normalised drift per year: give (low, high) within "
                             f"[-1, 1]; got ({v[0]:g}, {v[1]:g})")
        return v

    @field_validator("x0")
    @classmethod
    def _x0(cls, v: Any) -> Any:
        vals = v if isinstance(v, tuple | list) else (v,)
        if any(not 0 <= float(x) <= 1 for x in vals):
            raise ValueError("x0 is normalised: give values in [0, 1]")
        if isinstance(v, tuple | list) and v[0] > v[1]:
            raise ValueError("x0 range must be (low, high)")
        return v

    @model_validator(mode="after")
    def _driver(self) -> Factor:
        if self.role != "driver" and (self.trend is not None or self.shock):
            raise ValueError("only drivers take trend and shock")
        if self.trend is not None and self.trend[0] > self.trend[1]:
            raise ValueError("trend must be (low, high)")
        if self.role == "kpi" and not self.family:
            raise ValueError("a KPI needs a family (e.g. economy) for ratings")
        return self


MIN_LAG, MAX_LAG = 1, 20
"""Link lags in whole years."""


class Link(Strict):
    src: str
    dst: str
    sign: Literal["+", "-"]
    strength: int = Field(ge=1, le=3)
    lag: int = 1
    """Years before the source's change reaches the target: a change of the source in year t
    moves the target in year t + lag (1–20; 1, the next year, by default)."""
    uncertainty: float = Field(default=0.0, ge=0, le=1)
    """Relative ± range of the link's weight, sampled per scenario."""

    @field_validator("lag")
    @classmethod
    def _lag(cls, v: int) -> int:
        if not MIN_LAG <= v <= MAX_LAG:
            why = (" (0 is not possible: the model steps one year at a time, so a link acts "
                   "on its target the next year at the earliest)" if v == 0 else "")
            raise ValueError(f"lag is the number of years before a change of the source "
                             f"reaches the target: a whole number from {MIN_LAG} (the next "
                             f"year, the default) to {MAX_LAG}; got {v}{why}")
        return v


class Lever(Strict):
    """A policy lever: when on, adds ``effect`` per year to ``factor`` from ``start``."""

    id: str
    name: str | None = None
    factor: str
    effect: float = Field(ge=-1, le=1)
    start: int
    mode: Literal["sampled", "on", "off"] = "sampled"
    """Sampled on/off across scenarios (to see what it changes), or fixed."""


class CausalModel(Strict):
    junkan_foresight: Literal[1] = 1
    name: str
    title: str | None = None
    description: str | None = None
    years: Years
    gain: float = Field(default=0.5, gt=0, le=2)
    """α: how strongly the saturated link input moves a factor per year."""
    anchor: Literal["initial", "midpoint"] = "initial"
    """What a factor's influence is measured from: its own starting value in that scenario
    (today's world is at rest until drivers and levers move it; loops amplify deviations), or
    the midpoint 0.5 (a factor above 0.5 pushes its targets up from the first year)."""
    factors: list[Factor] = Field(min_length=2)
    links: list[Link] = Field(min_length=1)
    levers: list[Lever] = Field(default_factory=list)
    sources: dict[str, str] = Field(default_factory=dict)
    themes: dict[str, str] = Field(default_factory=dict)
    """Titles of factor-id prefixes (``reg`` → "Regulation and rules") for documentation."""


@dataclass
class Compiled:
    """Arrays of a causal model (K factors, T years, p sampled inputs)."""

    model: CausalModel
    ids: list[str]
    years: np.ndarray
    role: np.ndarray  # (K,) str
    lag_matrices: dict[int, sparse.csr_matrix]  # lag → (K, K) A[dst, src]
    src_unc: np.ndarray  # (K,) mean uncertainty of outgoing links
    dst_unc: np.ndarray  # (K,) mean uncertainty of incoming links
    parents: list[list[int]]  # incoming-link sources per factor
    kpis: np.ndarray  # indices of KPI factors
    families: dict[str, list[int]]
    input_names: list[str]
    input_low: np.ndarray
    input_high: np.ndarray
    input_kind: list[str]  # x0 | trend | msrc | mdst | lever
    index: dict[str, int] = field(default_factory=dict)
    x0: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    """(K,) fixed initial values (0.5 where sampled; the sample overwrites it)."""
    shock: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    trend_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    trend_start: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    input_kind_codes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    """0 x0, 1 trend, 2 msrc, 3 mdst, 4 lever."""
    input_factor: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def _nonfinite(m: CausalModel) -> list[Problem]:
    """Every number that is NaN or infinite (the schema refuses them when a document is
    validated; a model built in Python with ``model_construct`` is checked here)."""
    problems = []
    if not math.isfinite(m.gain):
        problems.append(coded("gain", "not-finite", "must be a finite number (not NaN or "
                              "infinity)"))
    for section, items, fields in (
            ("factors", m.factors, ("range", "x0", "trend", "shock")),
            ("links", m.links, ("uncertainty",)),
            ("levers", m.levers, ("effect",))):
        for i, item in enumerate(items):
            for name in fields:
                value = getattr(item, name)
                values = value if isinstance(value, tuple | list) else (value,)
                if any(v is not None and not math.isfinite(float(v)) for v in values):
                    problems.append(coded(f"{section}[{i}].{name}", "not-finite", "must be "
                                          "a finite number (not NaN or infinity)"))
    return problems


def _reference_problems(m: CausalModel, index: dict[str, int]) -> list[Problem]:
    """Links to unknown factors or to themselves, duplicate links, levers on unknown factors,
    lever and trend years outside the model's years."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str, int], int] = {}
    for n, ln in enumerate(m.links):
        for end in ("src", "dst"):
            if getattr(ln, end) not in index:
                problems.append(coded(f"links[{n}].{end}", "unknown-factor", "unknown factor "
                                      "{name}; define it under factors",
                                      name=short(getattr(ln, end))))
        if ln.src == ln.dst:
            problems.append(coded(f"links[{n}]", "link-to-itself", "link {src} → {dst} points "
                                  "at its own source: every factor already keeps its value "
                                  "from year to year, so a factor cannot drive itself; remove "
                                  "the link", src=short(ln.src, 40), dst=short(ln.dst, 40)))
        key = (ln.src, ln.dst, ln.lag)
        if key in seen:
            problems.append(coded(f"links[{n}]", "duplicate-link", "duplicate link {src} → "
                                  "{dst} (lag {lag}); it repeats links[{first}] — merge them",
                                  src=short(ln.src, 40), dst=short(ln.dst, 40), lag=ln.lag,
                                  first=seen[key]))
        seen[key] = n
    for n, lv in enumerate(m.levers):
        if lv.factor not in index:
            problems.append(coded(f"levers[{n}].factor", "unknown-factor", "unknown factor "
                                  "{name}; define it under factors", name=short(lv.factor)))
        if not m.years.start <= lv.start <= m.years.end:
            problems.append(coded(f"levers[{n}].start", "year-outside", "{year} is outside "
                                  "the model years {start}–{end}", year=lv.start,
                                  start=m.years.start, end=m.years.end))
    for i, f in enumerate(m.factors):
        if f.trend_start is not None and not m.years.start <= f.trend_start <= m.years.end:
            problems.append(coded(f"factors[{i}].trend_start", "year-outside", "{year} is "
                                  "outside the model years {start}–{end}", year=f.trend_start,
                                  start=m.years.start, end=m.years.end))
    return problems


def check_model(m: CausalModel, source: str = "<model>") -> tuple[dict[str, int],
                                                                  list[list[int]]]:
    """Check numbers, ids, references, self-links, duplicate links, lever and trend years,
    then that every KPI is driven by another factor; every problem is reported at once
    (:class:`ModelError`). Returns the factor index and each factor's incoming-link
    sources."""
    problems = _nonfinite(m)
    if m.years.end == m.years.start:
        problems.append(coded("years", "years-order", "end must be after start"))
    index: dict[str, int] = {}
    for i, f in enumerate(m.factors):
        if f.id in index:
            problems.append(coded(f"factors[{i}].id", "duplicate-id", "duplicate factor id "
                                  "{name}", name=short(f.id)))
        index[f.id] = i
    problems += _reference_problems(m, index)
    if not any(f.role == "kpi" for f in m.factors):
        problems.append(coded("factors", "no-kpi", "no factor has role: kpi; give at least "
                              "one KPI (role: kpi, with a family): the scenarios are grouped, "
                              "rated and drawn by their KPI paths"))
    if problems:
        raise ModelError(problems, source)
    incoming: list[list[int]] = [[] for _ in m.factors]
    for ln in m.links:
        incoming[index[ln.dst]].append(index[ln.src])
    for i, f in enumerate(m.factors):
        if f.role == "kpi" and not incoming[i]:
            problems.append(coded(f"factors[{i}]", "kpi-undriven", "KPI {name} has no "
                                  "incoming link: nothing drives it; add a link or make it a "
                                  "driver", name=short(f.id)))
    if problems:
        raise ModelError(problems, source)
    return index, incoming


def _link_matrices(m: CausalModel, index: dict[str, int], incoming: list[list[int]]
                   ) -> tuple[dict[int, sparse.csr_matrix], np.ndarray, np.ndarray]:
    """Per lag, A[dst, src] = sign·strength/√indegree(dst); the mean uncertainty of each
    factor's outgoing and incoming links."""
    k = len(m.factors)
    indeg = np.array([max(len(p), 1) for p in incoming], dtype=float)
    mats: dict[int, tuple[list[int], list[int], list[float]]] = {}
    out_unc: list[list[float]] = [[] for _ in range(k)]
    in_unc: list[list[float]] = [[] for _ in range(k)]
    for ln in m.links:
        s, d = index[ln.src], index[ln.dst]
        r, c, v = mats.setdefault(ln.lag, ([], [], []))
        r.append(d)
        c.append(s)
        v.append((1.0 if ln.sign == "+" else -1.0) * ln.strength / np.sqrt(indeg[d]))
        out_unc[s].append(ln.uncertainty)
        in_unc[d].append(ln.uncertainty)
    lag_mats = {lag: sparse.csr_matrix((v, (r, c)), shape=(k, k), dtype=np.float32)
                for lag, (r, c, v) in mats.items()}
    src_unc = np.array([np.mean(u) if u else 0.0 for u in out_unc])
    dst_unc = np.array([np.mean(u) if u else 0.0 for u in in_unc])
    return lag_mats, src_unc, dst_unc


def _input_space(m: CausalModel, src_unc: np.ndarray, dst_unc: np.ndarray
                 ) -> tuple[list[str], list[float], list[float], list[str]]:
    """The sampled inputs in order: names, lows, highs and kinds (x0 ranges and driver
    trends per factor, then link-weight multipliers, then sampled levers)."""
    names: list[str] = []
    lo: list[float] = []
    hi: list[float] = []
    kind: list[str] = []

    def add(name: str, low: float, high: float, what: str) -> None:
        names.append(name)
        lo.append(low)
        hi.append(high)
        kind.append(what)

    for f in m.factors:
        if isinstance(f.x0, tuple | list):
            add(f"x0:{f.id}", f.x0[0], f.x0[1], "x0")
        if f.trend is not None:
            add(f"trend:{f.id}", f.trend[0], f.trend[1], "trend")
    for i, f in enumerate(m.factors):
        if src_unc[i] > 0:
            add(f"out_weight:{f.id}", 1 - src_unc[i], 1 + src_unc[i], "msrc")
        if dst_unc[i] > 0:
            add(f"in_weight:{f.id}", 1 - dst_unc[i], 1 + dst_unc[i], "mdst")
    for lv in m.levers:
        if lv.mode == "sampled":
            add(f"lever:{lv.id}", 0.0, 1.0, "lever")
    return names, lo, hi, kind


INPUT_CODES = {"x0": 0, "trend": 1, "msrc": 2, "mdst": 3, "lever": 4}
"""Numeric codes of the input kinds (``Compiled.input_kind_codes``)."""


def compile_causal_model(m: CausalModel, source: str = "<model>") -> Compiled:
    """Check the model (:func:`check_model`), then build its sparse link matrices and
    sampled-input space."""
    index, incoming = check_model(m, source)
    ids = [f.id for f in m.factors]
    lag_mats, src_unc, dst_unc = _link_matrices(m, index, incoming)
    names, lo, hi, kind = _input_space(m, src_unc, dst_unc)
    kpis = np.array([i for i, f in enumerate(m.factors) if f.role == "kpi"], dtype=np.int64)
    families: dict[str, list[int]] = {}
    for i in kpis:
        families.setdefault(str(m.factors[i].family), []).append(int(i))
    lever_factor = {lv.id: index[lv.factor] for lv in m.levers}
    input_factor = [lever_factor[nm.split(":", 1)[1]] if kd == "lever"
                    else index[nm.split(":", 1)[1]] for nm, kd in zip(names, kind, strict=True)]
    return Compiled(model=m, ids=ids, years=np.arange(m.years.start, m.years.end + 1),
                    role=np.array([f.role for f in m.factors]), lag_matrices=lag_mats,
                    src_unc=src_unc, dst_unc=dst_unc, parents=incoming, kpis=kpis,
                    families=families, input_names=names, input_low=np.array(lo),
                    input_high=np.array(hi), input_kind=kind, index=index,
                    x0=np.array([0.5 if isinstance(f.x0, tuple | list) else f.x0
                                 for f in m.factors], dtype=np.float32),
                    shock=np.array([f.shock for f in m.factors], dtype=np.float32),
                    trend_rows=np.array([i for i, f in enumerate(m.factors)
                                         if f.trend is not None], dtype=np.int64),
                    trend_start=np.array([f.trend_start or m.years.start for f in m.factors],
                                         dtype=np.int64),
                    input_kind_codes=np.array([INPUT_CODES[kd] for kd in kind], dtype=np.int64),
                    input_factor=np.array(input_factor, dtype=np.int64))


compile_model = compile_causal_model
"""Former name of :func:`compile_causal_model` (kept for callers outside the package)."""


FACTOR_COLUMNS = {"id", "name", "description", "role", "unit", "range", "x0", "family",
                  "better", "trend", "trend_start", "shock"}
LINK_COLUMNS = {"src", "dst", "sign", "strength", "lag", "uncertainty"}
_PAIRS = {"range", "x0", "trend"}
_NUMBERS = {"shock", "uncertainty"}
_INTS = {"trend_start", "strength", "lag"}


def _cell(column: str, text: str) -> Any:
    """A CSV cell as the model expects it: ``low..high`` for ranges, numbers as numbers
    (a value that does not parse is passed on as text, so validation names it)."""
    try:
        if column in _PAIRS and ".." in text:
            low, high = text.split("..", 1)
            return [float(low), float(high)]
        if column in _PAIRS | _NUMBERS:
            return float(text)
        if column in _INTS:
            return int(text)
    except ValueError:
        return text
    return text


def _csv_text(path: Path, section: str) -> str:
    """The CSV file's text (UTF-8, with or without a byte-order mark), or a
    :class:`ModelError` naming the file, the first byte that is not UTF-8 and its line."""
    if not path.is_file():
        raise ModelError([Problem(section, f"CSV file '{path}' not found; give a path "
                                  "relative to the model file")], str(path))
    data = path.read_bytes()
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        at = bom + exc.start
        line = data.count(b"\n", 0, at) + 1
        raise ModelError([coded(f"line {line}", "csv-not-utf8",
                                "the file is not UTF-8 text: the byte {value} at offset "
                                "{byte} cannot be read; save it as UTF-8", byte=at,
                                value=f"0x{data[at]:02x}")], str(path)) from None


def read_csv_table(path: Path, columns: set[str], section: str) -> list[dict[str, Any]]:
    """Rows of a factors or links CSV (header row; empty cells use the defaults). A file that
    is not UTF-8, an unknown column or a row with more cells than the header is refused
    naming the file and the line."""
    import csv
    import io

    reader = csv.reader(io.StringIO(_csv_text(path, section), newline=""))
    lines = csv_text.rows(reader, str(path))  # a line the csv module refuses is named
    header = [h.strip() for h in next(lines, [])]
    unknown = set(header) - columns
    if unknown:
        raise ModelError([Problem("line 1", f"unknown column(s) {sorted(unknown)}; "
                                  f"allowed: {sorted(columns)}")], str(path))
    rows, problems = [], []
    for cells in lines:
        line = reader.line_num
        stray = [j for j in range(len(header), len(cells)) if cells[j].strip()]
        if stray:
            problems.append(coded(
                f"line {line}", "cells-beyond-header",
                "cell {cell} ({value}) is under no column of the header ({n} columns); a "
                "number written with a comma (1,234) must be quoted or written without it",
                cell=stray[0] + 1, value=repr(cells[stray[0]][:40]), n=len(header)))
        if any(c.strip() for c in cells):
            rows.append({k: _cell(k, v.strip()) for k, v in zip(header, cells, strict=False)
                         if k and v.strip()})
    if problems:
        raise ModelError(problems, str(path))
    return rows


def _expand_csv(doc: dict[str, Any], base: Path) -> dict[str, str]:
    """Replace ``factors: file.csv`` / ``links: file.csv`` by their rows; returns the CSV
    path per section so errors can name file and line."""
    files = {}
    for section, cols in (("factors", FACTOR_COLUMNS), ("links", LINK_COLUMNS)):
        ref = doc.get(section)
        if isinstance(ref, str) and ref.endswith(".csv"):
            path = (base / ref) if not Path(ref).is_absolute() else Path(ref)
            doc[section] = read_csv_table(path, cols, section)
            files[section] = str(path)
    return files


def _csv_locations(err: ModelError, files: dict[str, str]) -> ModelError:
    """``factors[3].trend`` → ``factors.csv line 5: trend`` (header is line 1)."""
    import re

    out = []
    for pr in err.problems:
        m = re.match(r"^(factors|links)\[(\d+)\]\.?(.*)$", pr.path)
        if m and m.group(1) in files:
            line = int(m.group(2)) + 2
            col = f" column {m.group(3)}" if m.group(3) else ""
            out.append(Problem(f"{Path(files[m.group(1)]).name} line {line}{col}", pr.message))
        else:
            out.append(pr)
    return ModelError(out, err.source)


def load_causal_model(path: str | Path | None = None, *, text: str | None = None,
                      doc: dict[str, Any] | None = None, source: str = "<model>") -> Compiled:
    """Read, validate and compile a causal model (YAML or JSON; ``factors`` and ``links``
    may each name a CSV file beside the model, for large models)."""
    base = Path.cwd()
    if path is not None:
        source = str(path)
        base = Path(path).parent
        doc = read_document(path)
    elif doc is None:
        if text is None:
            raise ValueError("give a path, text or doc")
        doc = parse_document(text, source=source)
    doc = dict(doc)
    files = _expand_csv(doc, base)
    try:
        return compile_causal_model(validate_with(CausalModel, doc, source), source)
    except ModelError as err:
        raise _csv_locations(err, files) from None
