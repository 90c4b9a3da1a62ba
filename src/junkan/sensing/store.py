"""The raw streams, kept so any alarm can be replayed: Parquet files partitioned by line and
day (``root/line=L1/day=2026-11-30/part-000000042.parquet``, named by the first ``seq`` they
hold, ``part-000000042-1.parquet`` … when that name is taken — a late batch or a restarted
gateway's stream starts a part at a ``seq`` written before; one row per 100 Hz frame with
``seq``, ``late`` (the batch came after its ``seq`` was declared missing, or from before the
line began: kept here, not monitored) and every channel), and replay from them or from a CSV
file. Beside a line's days, ``root/line=L1/_last.json`` names the last batch stored in order
(``{"seq": 1234, "t": 1764547323.4}``, rewritten at every write), so a line restored after a
restart knows where it left off without reading Parquet (:meth:`RawStore.last_stored`); its
``_`` keeps it out of a partitioned-dataset reader (``pandas.read_parquet(root)``)."""

from __future__ import annotations

import json
import logging
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from junkan.core.errors import JunkanError
from junkan.core.report import write_atomic
from junkan.sensing.generator import CHANNELS, DT, LineParams, Recording
from junkan.sensing.samples import LINE_ID, RANGES, Batch

log = logging.getLogger("junkan.sensing.store")
MAX_REPLAY_ROWS = 48 * 3600 * 100
"""At most 48 h of 100 Hz frames are read for one replay."""
LAST = "_last.json"
"""A line's last batch stored in order, beside its days (see the module text)."""


class RawStore:
    """Collects accepted batches and writes them to Parquet every ``every`` batches."""

    def __init__(self, root: str | Path, every: int = 600) -> None:
        self.root = Path(root)
        self.every = every
        self.rows: list[pd.DataFrame] = []
        self._last: dict[str, tuple[int, float]] = {}  # per line, not yet in _last.json

    def add(self, b: Batch, *, late: bool = False) -> None:
        """Keep a batch: one taken in order, or ``late`` (not monitored)."""
        if not late:
            self._last[b.line] = (b.seq, b.t)
        n = b.frames
        df = pd.DataFrame(
            {
                "line": b.line,
                "seq": b.seq,
                "late": late,
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
            path = _free(folder, f"part-{int(part['seq'].min()):09d}")
            part.drop(columns=["line", "day"]).to_parquet(path, index=False)
            out.append(path)
        for line, (seq, t) in self._last.items():  # after the rows it names are written
            _write_last(self.root / f"line={line}", seq, t)
        self._last = {}
        return out

    def last_stored(self, line: str) -> tuple[int, float] | None:
        """The ``seq`` and time of the last batch of ``line`` stored in order: from its
        ``_last.json`` (one small file), or for a store written before that file, from its
        newest part file (three columns of one file). ``None`` when nothing is stored or what
        is there cannot be read (logged)."""
        if not LINE_ID.fullmatch(line):
            return None
        folder = self.root / f"line={line}"
        try:
            doc = json.loads((folder / LAST).read_text(encoding="utf-8"))
            seq, t = doc["seq"], doc["t"]
            if type(seq) is int and seq >= 0 and type(t) in (int, float) and math.isfinite(t):
                return seq, float(t)
            raise ValueError(f"seq {str(seq)[:20]}, t {str(t)[:20]}")
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError, KeyError) as exc:
            log.warning("%s: not read (%s); trying the part files", folder / LAST, exc)
        try:
            return _newest_part(folder)
        except Exception as exc:  # noqa: BLE001 - pyarrow's errors are not one class
            log.warning("%s: the last batch stored cannot be read: %s", folder, str(exc)[:200])
            return None


def _write_last(folder: Path, seq: int, t: float) -> None:
    """``folder/_last.json``, replaced atomically (:func:`~junkan.core.report.write_atomic`)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / LAST, json.dumps({"seq": seq, "t": t}).encode())


def _newest_part(folder: Path) -> tuple[int, float] | None:
    """The last batch in order of the part files last written (a store without ``_last.json``):
    the last rows not late of the newest day folder's newest part that has any (rows are
    kept in the order the batches were taken; the batch's time is its first frame's)."""
    days = [d for d in folder.glob("day=*") if d.is_dir()]
    if not days:
        return None
    day = max(days, key=lambda d: (d.stat().st_mtime_ns, d.name))
    parts = day.glob("part-*.parquet")
    for part in sorted(parts, key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True):
        df = pd.read_parquet(part, columns=["seq", "t", "late"])
        df = df[~df["late"].astype(bool)]
        if len(df):
            seq, t = df["seq"].to_numpy(), df["t"].to_numpy()
            i = len(seq) - 1
            while i > 0 and seq[i - 1] == seq[-1] and t[i - 1] < t[i]:
                i -= 1
            return int(seq[-1]), float(t[i])
    return None


def _free(folder: Path, stem: str) -> Path:
    """``stem.parquet`` in ``folder``, or ``stem-1.parquet`` … if taken (never overwritten)."""
    path, k = folder / f"{stem}.parquet", 0
    while path.exists():
        k += 1
        path = folder / f"{stem}-{k}.parquet"
    return path


def read_raw(root: str | Path, line: str, params: LineParams) -> Recording:
    """Every kept frame of ``line`` under ``root``, in time order, as a recording (no truth).
    A part file that cannot be read, lacks a column or holds a value out of range is named
    (with the row, counted from 1) in the error."""
    if not LINE_ID.fullmatch(line):
        raise JunkanError(f"line {line[:40]!r}: give letters, digits, '_' or '-'")
    files = sorted((Path(root) / f"line={line}").glob("day=*/part-*.parquet"))
    if not files:
        raise JunkanError(f"{root}: no raw data for line {line}")
    parts = []
    for f in files:
        try:
            part = pd.read_parquet(f)
        except Exception as exc:  # noqa: BLE001 - pyarrow's errors are not one class
            raise JunkanError(f"{f}: cannot read the raw data ({str(exc)[:200]})") from None
        _signals(part, str(f), "row", 1)  # checked per file, so an error names it
        parts.append(part)
    df = pd.concat(parts, ignore_index=True)
    df = df.drop_duplicates(["seq", "t"]).sort_values("t", kind="stable", ignore_index=True)
    folder = str(Path(root) / f"line={line}") + " (its frames in time order)"
    return _recording(df, line, params, folder, "frame", 1)


def read_csv(path: str | Path, line: str, params: LineParams) -> Recording:
    """A CSV file with a ``t`` column (seconds) and channel columns, one row per 10 ms."""
    try:
        df = pd.read_csv(path, nrows=MAX_REPLAY_ROWS + 1)
    except (OSError, ValueError) as exc:
        raise JunkanError(f"{path}: cannot read the CSV file: {exc}") from None
    return _recording(df, line, params, str(path), "line", 2)


def _numbers(df: pd.DataFrame, col: str, source: str, row: str, first: int) -> np.ndarray:
    """A column as floats (an empty cell is missing); text that is not a number is an error
    naming the file, the row and the column, never read as missing."""
    x = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(np.isnan(x) & df[col].notna().to_numpy())
    if len(bad):
        raise JunkanError(
            f"{source}: {row} {bad[0] + first}, column {col!r}: "
            f"{str(df[col].iloc[bad[0]])[:40]!r} is not a number"
        )
    return x


def _signals(df: pd.DataFrame, source: str, row: str, first: int) -> dict[str, np.ndarray]:
    """The channels of a table (``row`` ``first`` is its first row's name: ``line 2`` of a
    CSV file, ``row 1`` of a Parquet part), checked: the columns ``t``, ``rpm`` and
    ``current`` present, every value a number within its channel's range."""
    for col in ("t", "rpm", "current"):
        if col not in df:
            raise JunkanError(f"{source}: column {col!r} is missing")
    signals = {}
    for ch in CHANNELS:
        if ch not in df:
            signals[ch] = np.full(len(df), np.nan)
            continue
        x = _numbers(df, ch, source, row, first)
        lo, hi = RANGES[ch]
        bad = np.flatnonzero(~np.isnan(x) & (~np.isfinite(x) | (x < lo) | (x > hi)))
        if len(bad):
            raise JunkanError(
                f"{source}: {row} {bad[0] + first}, column {ch!r}: {x[bad[0]]} is "
                f"outside {lo}..{hi} {CHANNELS[ch]}"
            )
        signals[ch] = x
    return signals


def _recording(
    df: pd.DataFrame, line: str, params: LineParams, source: str, row: str, first: int
) -> Recording:
    if len(df) > MAX_REPLAY_ROWS:
        raise JunkanError(f"{source}: more than {MAX_REPLAY_ROWS} rows (48 h at 100 Hz)")
    signals = _signals(df, source, row, first)
    t = _numbers(df, "t", source, row, first)
    bad = np.flatnonzero(~np.isfinite(t))
    if len(bad):
        raise JunkanError(f"{source}: {row} {bad[0] + first}, column 't': give a time in seconds")
    back = np.flatnonzero(np.diff(t) <= 0)
    if len(back):
        i = back[0] + 1
        raise JunkanError(
            f"{source}: {row} {i + first}, column 't': {t[i]:g} does not come after "
            f"{t[i - 1]:g} (times must increase)"
        )
    return Recording(line, t, signals, np.full(len(t), -1, dtype=np.int8), params=params)
