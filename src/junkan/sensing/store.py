"""The raw streams, kept so any alarm can be replayed: Parquet files partitioned by line and
day (``root/line=L1/day=2026-11-30/part-000000042.parquet``, one row per 100 Hz frame with
``seq`` and every channel), and replay from them or from a CSV file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from junkan.core.errors import JunkanError
from junkan.sensing.generator import CHANNELS, DT, LineParams, Recording
from junkan.sensing.samples import LINE_ID, RANGES, Batch

MAX_REPLAY_ROWS = 48 * 3600 * 100
"""At most 48 h of 100 Hz frames are read for one replay."""


class RawStore:
    """Collects accepted batches and writes them to Parquet every ``every`` batches."""

    def __init__(self, root: str | Path, every: int = 600) -> None:
        self.root = Path(root)
        self.every = every
        self.rows: list[pd.DataFrame] = []

    def add(self, b: Batch) -> None:
        n = b.frames
        df = pd.DataFrame(
            {
                "line": b.line,
                "seq": b.seq,
                "t": b.t + np.arange(n) * DT,
                **{k: v for k, v in b.values.items()},
            }
        )
        self.rows.append(df)
        if len(self.rows) >= self.every:
            self.flush()

    def flush(self) -> list[Path]:
        if not self.rows:
            return []
        df = pd.concat(self.rows, ignore_index=True)
        self.rows = []
        df["day"] = [datetime.fromtimestamp(x, UTC).date().isoformat() for x in df["t"]]
        out = []
        for (line, day), part in df.groupby(["line", "day"], sort=True):
            folder = self.root / f"line={line}" / f"day={day}"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"part-{int(part['seq'].min()):09d}.parquet"
            part.drop(columns=["line", "day"]).to_parquet(path, index=False)
            out.append(path)
        return out


def read_raw(root: str | Path, line: str, params: LineParams) -> Recording:
    """Every kept frame of ``line`` under ``root``, in time order, as a recording (no truth)."""
    if not LINE_ID.match(line):
        raise JunkanError(f"line {line[:40]!r}: give letters, digits, '_' or '-'")
    files = sorted((Path(root) / f"line={line}").glob("day=*/part-*.parquet"))
    if not files:
        raise JunkanError(f"{root}: no raw data for line {line}")
    df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    df = df.drop_duplicates(["seq", "t"]).sort_values("t", kind="stable")
    return _recording(df, line, params, str(root))


def read_csv(path: str | Path, line: str, params: LineParams) -> Recording:
    """A CSV file with a ``t`` column (seconds) and channel columns, one row per 10 ms."""
    try:
        df = pd.read_csv(path, nrows=MAX_REPLAY_ROWS + 1)
    except (OSError, ValueError) as exc:
        raise JunkanError(f"{path}: cannot read the CSV file: {exc}") from None
    return _recording(df, line, params, str(path))


def _recording(df: pd.DataFrame, line: str, params: LineParams, source: str) -> Recording:
    if len(df) > MAX_REPLAY_ROWS:
        raise JunkanError(f"{source}: more than {MAX_REPLAY_ROWS} rows (48 h at 100 Hz)")
    for col in ("t", "rpm", "current"):
        if col not in df:
            raise JunkanError(f"{source}: column {col!r} is missing")
    signals = {}
    for ch in CHANNELS:
        if ch not in df:
            signals[ch] = np.full(len(df), np.nan)
            continue
        x = pd.to_numeric(df[ch], errors="coerce").to_numpy(dtype=float)
        lo, hi = RANGES[ch]
        bad = np.flatnonzero(~np.isnan(x) & (~np.isfinite(x) | (x < lo) | (x > hi)))
        if len(bad):
            raise JunkanError(
                f"{source}: line {bad[0] + 2}, column {ch!r}: {x[bad[0]]} is "
                f"outside {lo}..{hi} {CHANNELS[ch]}"
            )
        signals[ch] = x
    t = pd.to_numeric(df["t"], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(t).all() or (np.diff(t) <= 0).any():
        raise JunkanError(f"{source}: column 't' must be finite and increasing")
    return Recording(line, t, signals, np.full(len(t), -1, dtype=np.int8), params=params)
