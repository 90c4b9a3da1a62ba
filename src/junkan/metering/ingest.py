"""Clamp series from CSV: validation with quarantine, clock correction, power and energy.

CSV columns (one row per reading, circuits interleaved): ``time`` (ISO 8601 or seconds),
``circuit``, then either ``current_a`` (RMS line current; balanced load assumed on three-phase)
or ``current_l1_a``, ``current_l2_a``, ``current_l3_a`` (three-phase, summed per phase), and
optionally ``voltage_v`` (line-to-line on three-phase) and ``power_factor``. Real power:

- three-phase: ``P = √3·V_LL·I·PF`` (or ``V_LL/√3·ΣI_k·PF`` with per-phase currents);
- single-phase: ``P = V·I·PF``.

Where voltage or power factor is not measured, the circuit's setting or the sourced default
(:func:`junkan.metering.config.electrical`) is used and the assumption is recorded. Bad rows
(unknown circuit, unreadable time, negative / NaN / absurd current, voltage or PF, a clock
jump backwards, a duplicate time, an implausible jump forward — over 1000 sampling intervals
ahead of the latest accepted reading and later than one of the 10 readings after it, or a
first reading over 1000 intervals later than one of the 10 after it —) are quarantined with
their line and reason, never dropped. The time rules are the stream's
(:mod:`junkan.metering.stamps`), so a file and the same readings streamed are quarantined
alike.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from junkan.core.errors import brief
from junkan.metering.config import (
    MAX_VOLTAGE_V,
    Electrical,
    MeteringError,
    Plant,
    electrical,
    refused,
)
from junkan.metering.csvfile import cells_of_bytes
from junkan.metering.stamps import (
    BACKWARDS,
    DUPLICATE_TIME,
    JUMP_FORWARD,
    SPIKE_INTERVALS,
    Clock,
    judge,
)

MAX_CURRENT_A = 100_000.0
MAX_ROWS = 50_000_000
PHASE_COLS = ("current_l1_a", "current_l2_a", "current_l3_a")
TIME_UNREADABLE = "time: not ISO 8601 or seconds"
CIRCUIT_UNKNOWN = "circuit: unknown (not in the circuits file)"
CURRENT_MISSING = "current: missing or not a number"
CURRENT_NEGATIVE = "current: negative"
CURRENT_HIGH = f"current: above {MAX_CURRENT_A:g} A"
VOLTAGE_OUTSIDE = f"voltage_v: outside (0, {MAX_VOLTAGE_V:g}] V"
POWER_FACTOR_OUTSIDE = "power_factor: outside [0, 1]"
REASON_CODES = {
    TIME_UNREADABLE: "reading-time-unreadable", CIRCUIT_UNKNOWN: "reading-circuit-unknown",
    CURRENT_MISSING: "reading-current-missing", CURRENT_NEGATIVE: "reading-current-negative",
    CURRENT_HIGH: "reading-current-high", VOLTAGE_OUTSIDE: "reading-voltage-outside",
    POWER_FACTOR_OUTSIDE: "reading-power-factor-outside",
    JUMP_FORWARD: "reading-time-jump-forward", BACKWARDS: "reading-time-backwards",
    DUPLICATE_TIME: "reading-time-duplicate"}
"""Why a reading is quarantined (as ``quarantine.csv`` says it), coded: an error that quotes
a reason carries its code (``reason_code``), so the web page says it in its language."""
REASON_FIGURES = {"max_current": f"{MAX_CURRENT_A:g}", "max_voltage": f"{MAX_VOLTAGE_V:g}",
                  "intervals": f"{SPIKE_INTERVALS:g}"}
"""The limits the reasons quote, for the page's wording of them."""


@dataclass
class Series:
    """One circuit's accepted readings: corrected time (s), power (W), the raw columns kept."""

    circuit: str
    t: np.ndarray
    power_w: np.ndarray
    raw: pd.DataFrame
    assumptions: dict[str, str]
    gaps: list[tuple[float, float]] = field(default_factory=list)
    energy_wh: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lines: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    """The CSV line of each reading (empty: not from a file)."""
    source: str = ""
    """The file (or field) the readings came from."""

    @property
    def total_kwh(self) -> float:
        return float(self.energy_wh[-1]) / 1000 if len(self.energy_wh) else 0.0

    def energy_between(self, a: float, b: float) -> float:
        """Wh between times ``a`` and ``b`` (nothing is counted inside gaps)."""
        e = np.interp([a, b], self.t, self.energy_wh)
        return float(e[1] - e[0])


@dataclass
class Import:
    """The result of :func:`read_csv`: series per circuit, the quarantine and provenance."""

    series: dict[str, Series]
    quarantine: pd.DataFrame
    source: str
    sha256: str
    rows: int

    def summary(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "sha256": self.sha256,
            "rows": self.rows,
            "quarantined": len(self.quarantine),
            "quarantine_reasons": self.quarantine["reason"].value_counts().to_dict()
            if len(self.quarantine)
            else {},
            "circuits": {
                c: {
                    "samples": len(s.t),
                    "kwh": round(s.total_kwh, 6),
                    "start": float(s.t[0]),
                    "end": float(s.t[-1]),
                    "gaps": [[round(a, 3), round(b, 3)] for a, b in s.gaps],
                    "assumptions": s.assumptions,
                }
                for c, s in self.series.items()
            },
        }


def parse_times(col: pd.Series) -> np.ndarray:
    num = pd.to_numeric(col, errors="coerce")
    if num.notna().mean() > 0.5:
        return num.to_numpy(float)
    ts = pd.to_datetime(col, errors="coerce", utc=True, format="ISO8601")
    out = (ts - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds()
    return out.to_numpy(float)


def read_csv(path: str | Path, plant: Plant, ref: Electrical | None = None) -> Import:
    """Read a clamp CSV (see the module docstring); errors name the file and field."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MeteringError(f"{path}: cannot read: {exc}") from exc
    df = cells_of_bytes(data, str(path))
    return from_frame(df, plant, ref, source=str(path), sha256=hashlib.sha256(data).hexdigest())


def from_frame(
    df: pd.DataFrame,
    plant: Plant,
    ref: Electrical | None = None,
    *,
    source: str = "<frame>",
    sha256: str = "",
) -> Import:
    """Validate and convert an already read table of readings (string or numeric columns)."""
    ref = ref or electrical()
    missing = [c for c in ("time", "circuit") if c not in df.columns]
    has_phases = all(c in df.columns for c in PHASE_COLS)
    if "current_a" not in df.columns and not has_phases:
        # no word of one language in a message a page says in its own (review 317: "or")
        missing.append("current_a / (current_l1_a, current_l2_a, current_l3_a)")
    if missing:
        raise refused(source, "columns-missing", "missing column(s): {columns}",
                      columns=", ".join(missing))
    if len(df) > MAX_ROWS:
        raise refused(source, "readings-too-many", "{count} rows; at most {most} per file",
                      count=len(df), most=MAX_ROWS)
    if len(df) == 0:
        raise refused(source, "no-readings", "no readings")
    df = df.reset_index(drop=True)
    line = np.arange(len(df)) + 2  # header is line 1
    reason = np.full(len(df), "", dtype=object)

    def flag(mask: np.ndarray, why: str) -> None:
        sel = mask & (reason == "")
        reason[sel] = why

    t_raw = parse_times(df["time"].astype(str))
    flag(~np.isfinite(t_raw), TIME_UNREADABLE)
    circ = df["circuit"].astype(str).to_numpy()
    flag(~np.isin(circ, list(plant.circuits)), CIRCUIT_UNKNOWN)
    cur = _current(df, has_phases)
    flag(~np.isfinite(cur), CURRENT_MISSING)
    flag(cur < 0, CURRENT_NEGATIVE)
    flag(cur > MAX_CURRENT_A, CURRENT_HIGH)
    volt = _opt_col(df, "voltage_v")
    flag((volt <= 0) | (volt > MAX_VOLTAGE_V), VOLTAGE_OUTSIDE)
    pf = _opt_col(df, "power_factor")
    flag((pf < 0) | (pf > 1), POWER_FACTOR_OUTSIDE)
    for cid in plant.circuits:
        _flag_clock(np.flatnonzero((circ == cid) & (reason == "")), t_raw, reason)
    ok = reason == ""
    quarantine = df.loc[~ok].assign(line=line[~ok], reason=reason[~ok])
    if not ok.any():
        first = str(reason[0])
        raise refused(source, "every-row-quarantined", "every row was quarantined; first: "
                      "line {line}: {reason}", line=int(line[0]), reason=first,
                      reason_code=REASON_CODES[first], **REASON_FIGURES)
    series = {}
    for cid, c in plant.circuits.items():
        idx = np.flatnonzero(ok & (circ == cid))
        if len(idx) < 2:
            continue
        series[cid] = _series(c, ref, t_raw[idx], cur[idx], volt[idx], pf[idx], df.iloc[idx])
        series[cid].lines, series[cid].source = line[idx], source
    if not series:
        raise refused(source, "readings-too-few", "no circuit has two or more valid readings: "
                      "{circuits}", circuits=_too_few(circ, line, reason))
    return Import(series, quarantine, source, sha256, len(df))


TOO_FEW_LISTED = 3
"""Circuits a "readings-too-few" refusal describes (in the file's order; the others are
counted): enough for the usual causes (a misspelt circuit, a file of one reading per
circuit), short for a file of many circuits."""


def _too_few(circ: np.ndarray, line: np.ndarray, reason: np.ndarray) -> str:
    """Each circuit of the file (the first :data:`TOO_FEW_LISTED`, in the order they come):
    its rows' lines, how many are valid, and why the others were quarantined (the first
    one's line and reason, short of its bracket)."""
    names, first = np.unique(circ, return_index=True)
    out = []
    for name in names[np.argsort(first)][:TOO_FEW_LISTED]:
        rows = np.flatnonzero(circ == name)
        bad = rows[reason[rows] != ""]
        where = (f"line {line[rows[0]]}" if len(rows) == 1
                 else f"{len(rows):,} rows from line {line[rows[0]]}")
        said = f"{brief(name)}: {where}, {len(rows) - len(bad):,} valid"
        if len(bad):
            why = str(reason[bad[0]]).split(" (")[0]
            said += f", {len(bad):,} quarantined (first line {line[bad[0]]}: {why})"
        out.append(said)
    more = len(names) - TOO_FEW_LISTED
    return "; ".join(out) + (f"; and {more:,} more circuits" if more > 0 else "")


def _current(df: pd.DataFrame, has_phases: bool) -> np.ndarray:
    """``current_a``; where it is empty, the mean of the three phase currents (the balanced
    equivalent line current, so that ``√3·V·I`` sums the phases)."""
    cur = (
        pd.to_numeric(df["current_a"], errors="coerce").to_numpy(float)
        if "current_a" in df.columns
        else np.full(len(df), np.nan)
    )
    if has_phases:
        ph = np.stack([pd.to_numeric(df[c], errors="coerce").to_numpy(float) for c in PHASE_COLS])
        mean = np.where((ph < 0).any(axis=0), -1.0, ph.mean(axis=0))
        cur = np.where(np.isnan(cur), mean, cur)
    return cur


def _opt_col(df: pd.DataFrame, col: str) -> np.ndarray:
    """The column as floats; absent or empty cells are NaN (= not measured)."""
    if col not in df.columns:
        return np.full(len(df), np.nan)
    s = df[col].astype(str).str.strip()
    out = np.array(pd.to_numeric(s.where(s != "", "nan"), errors="coerce"), dtype=float)
    bad = ~np.isfinite(out) & (s.str.lower() != "nan") & (s != "")
    out[bad] = -1.0  # present but unreadable → refused by the range check
    return out


def _flag_clock(idx: np.ndarray, t: np.ndarray, reason: np.ndarray) -> None:
    """Rows whose time jumps implausibly forward, goes backwards (a clock jump) or repeats, in
    file order: the stream's rule, :func:`junkan.metering.stamps.judge`, on the whole file."""
    reason[idx] = judge(t[idx], Clock(), final=True)[0]


def _series(
    c: Any,
    ref: Electrical,
    t_raw: np.ndarray,
    cur: np.ndarray,
    volt: np.ndarray,
    pf: np.ndarray,
    raw: pd.DataFrame,
) -> Series:
    power, assumptions = power_w(c, ref, cur, volt, pf)
    t = t_raw - c.clock_offset_s - c.clock_drift_ppm * 1e-6 * (t_raw - t_raw[0])
    dt = np.diff(t)
    ok = dt <= c.max_gap_s
    gaps = [(float(t[i]), float(t[i + 1])) for i in np.flatnonzero(~ok)]
    inc = np.where(ok, 0.5 * (power[1:] + power[:-1]) * dt / 3600.0, 0.0)
    energy = np.concatenate([[0.0], np.cumsum(inc)])
    kept = raw.reset_index(drop=True).assign(t=t, power_w=power)
    return Series(c.id, t, power, kept, assumptions, gaps, energy)


def power_w(
    c: Any, ref: Electrical, cur: np.ndarray, volt: np.ndarray, pf: np.ndarray
) -> tuple[np.ndarray, dict[str, str]]:
    """Real power (W) of circuit ``c`` from validated readings (NaN voltage or PF = not
    measured: the circuit's setting or the sourced default), and the assumptions applied."""
    three = c.phases == 3
    v_default = c.voltage_v or (ref.v_ll_three_phase if three else ref.v_single_phase).value
    pf_default = c.power_factor or ref.power_factor.value
    assumptions = {}
    if np.isnan(volt).any():
        src = (
            "circuit setting"
            if c.voltage_v
            else (ref.v_ll_three_phase if three else ref.v_single_phase).source
        )
        assumptions["voltage_v"] = f"{v_default:g} V where not measured ({src})"
    if np.isnan(pf).any():
        src = "circuit setting" if c.power_factor else ref.power_factor.source
        assumptions["power_factor"] = f"{pf_default:g} where not measured ({src})"
    if three:
        assumptions["balance"] = "three-phase load taken as balanced (line current × √3)"
    v = np.where(np.isnan(volt), v_default, volt)
    p = np.where(np.isnan(pf), pf_default, pf)
    return (math.sqrt(3) if three else 1.0) * v * cur * p, assumptions
