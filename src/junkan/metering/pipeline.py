"""The whole chain on files: import → segment → attribute → unit factors → library template,
each stage writing its outputs into a folder so that the next can start from it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from junkan.core.documents import dump_yaml
from junkan.metering.attribute import Attribution, attribute, check_within, scans_from_frame
from junkan.metering.config import Electrical, MeteringError, Plant, electrical
from junkan.metering.csvfile import read_cells
from junkan.metering.factors import (
    DISTRIBUTION,
    LABOUR,
    library_template,
    step_totals,
    unit_factors,
)
from junkan.metering.ingest import Import, from_frame
from junkan.metering.segment import Segmentation, segment


@dataclass
class Result:
    """Everything one run produced."""

    imported: Import
    segmentations: dict[str, Segmentation]
    attribution: Attribution
    factors: pd.DataFrame
    totals: pd.DataFrame

    def summary(self) -> dict[str, Any]:
        return {
            "import": self.imported.summary(),
            "circuits": {
                c: {
                    "idle_w": round(s.idle_w, 3),
                    "noise_w": round(s.noise_w, 3),
                    "idle_kwh": round(s.idle_wh / 1000, 6),
                    "on_segments": sum(x.on for x in s.segments),
                    "cycles": max((x.cycle for x in s.segments), default=-1) + 1,
                }
                for c, s in self.segmentations.items()
            },
            "signatures_w": self.attribution.signatures_w,
            "residual_kwh": {c: v / 1000 for c, v in self.attribution.residual_wh.items()},
            "steps": self.totals.to_dict("records"),
        }


def run(
    imported: Import,
    plant: Plant,
    scans: pd.DataFrame | None,
    *,
    grid_s: float = 1.0,
    penalty: float = 4.0,
    tolerance_s: float = 15.0,
    ref: Electrical | None = None,
) -> Result:
    """Segment every circuit of ``imported``, attribute with ``scans`` (validated, or None)
    and compute the unit factors (empty when there are no scans)."""
    ref = ref or electrical()
    if scans is not None:
        check_within(scans, {c: (float(s.t[0]), float(s.t[-1])) for c, s in
                             imported.series.items() if len(s.t)}, tolerance_s)
    segs = {
        cid: segment(s, grid_s=grid_s, penalty=penalty, idle_w=plant.circuits[cid].idle_w)
        for cid, s in imported.series.items()
    }
    att = attribute(segs, scans, plant, tolerance_s)
    factors = unit_factors(att, ref) if scans is not None and len(scans) else pd.DataFrame()
    return Result(imported, segs, att, factors, step_totals(att))


def run_frames(
    readings: pd.DataFrame, scans: pd.DataFrame | None, plant: Plant, **kw: Any
) -> Result:
    """:func:`run` on in-memory tables (the generator's, for instance)."""
    imp = from_frame(readings.astype(str), plant, source="<readings>")
    sc = scans_from_frame(scans.astype(str), plant) if scans is not None else None
    return run(imp, plant, sc, **kw)


def write_import(imp: Import, out: Path) -> dict[str, Path]:
    """Write an import into ``out``: ``samples.parquet`` (the raw columns kept, plus corrected
    time ``t`` and ``power_w``), ``quarantine.csv`` (rows refused, with line and reason) and
    ``summary.json``."""
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "samples": out / "samples.parquet",
        "quarantine": out / "quarantine.csv",
        "summary": out / "summary.json",
    }
    samples = pd.concat([s.raw.assign(circuit=c) for c, s in imp.series.items()], ignore_index=True)
    raw_cols = [c for c in samples.columns if c not in ("t", "power_w")]
    samples.astype(dict.fromkeys(raw_cols, str)).to_parquet(files["samples"])
    imp.quarantine.to_csv(files["quarantine"], index=False)
    files["summary"].write_text(json.dumps(imp.summary(), indent=1, default=str), "utf-8")
    return files


def write(result: Result, out: Path, ref: Electrical | None = None) -> dict[str, Path]:
    """Write the run into ``out``: ``samples.parquet`` (raw columns kept, plus corrected time
    and power), ``quarantine.csv``, ``segments.csv``, ``events.csv``, ``factors.csv``,
    ``summary.json`` and, with factors, ``library.yaml``."""
    imp = result.imported
    files = write_import(imp, out)
    files |= {"segments": out / "segments.csv", "events": out / "events.csv"}
    pd.concat([s.frame() for s in result.segmentations.values()], ignore_index=True).to_csv(
        files["segments"], index=False
    )
    result.attribution.events.to_csv(files["events"], index=False)
    files["summary"].write_text(json.dumps(result.summary(), indent=1, default=str), "utf-8")
    if not result.factors.empty:
        files["factors"] = out / "factors.csv"
        result.factors.to_csv(files["factors"], index=False)
        files["library"] = out / "library.yaml"
        doc = library_template(
            result.factors, {"source": imp.source, "sha256": imp.sha256}, ref or electrical()
        )
        files["library"].write_text(
            dump_yaml(doc), "utf-8"
        )
    return files


def read_factors(path: Path) -> pd.DataFrame:
    """Read a ``factors.csv`` written by :func:`write`."""
    # only an empty cell is missing: a written "nan" is refused below, naming it
    df = read_cells(path, "factors table", dtype=None, na_values=[""])
    need = {*DISTRIBUTION, "kg_co2e", "jpy"}
    if missing := need - set(df.columns):
        raise MeteringError(f"{path}: missing column(s): {', '.join(sorted(missing))}")
    _check_numbers(df, path)
    return df


_NUMBERS = (*DISTRIBUTION[2:], *LABOUR, "kg_co2e", "jpy")
"""The numeric columns of a factors table."""
_MAY_BE_EMPTY = frozenset(c for c in _NUMBERS if c.endswith("_sd") or c in LABOUR)
"""Columns :func:`write` leaves empty: the spread of one unit, labour in older tables."""


def _check_numbers(df: pd.DataFrame, path: Path) -> None:
    """Every number of a factors table finite and at least 0 (``units`` a whole number of
    at least 1; the spreads and labour times may be empty): a NaN, an infinity or a word
    went into the library template as ``nan kWh/piece``, or stopped with a traceback."""
    for col in (c for c in _NUMBERS if c in df.columns):
        value = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        empty = df[col].isna().to_numpy()
        bad = (np.isnan(value) & ~empty) | ~np.isfinite(np.where(empty, 0.0, value)) | \
            (np.where(empty, 0.0, value) < 0)
        if col not in _MAY_BE_EMPTY:
            bad |= empty
        if col == "units":
            whole = np.where(empty | ~np.isfinite(value), 1.0, value)
            bad |= (whole % 1 != 0) | (whole < 1)
        if bad.any():
            at = int(np.flatnonzero(bad)[0])
            said = "empty" if empty[at] else f"{str(df[col].iloc[at])[:40]!r}"
            raise MeteringError(f"{path}: line {at + 2}: {col} is {said}: give a finite number "
                                "of at least 0" + (" (a whole number of units, at least 1)"
                                                   if col == "units" else ""))


def factors_frame(rows: list[dict[str, Any]], source: str = "factors") -> pd.DataFrame:
    """Unit-factor rows (as in ``factors.csv`` or a run's JSON) as a checked table."""
    df = pd.DataFrame(rows)
    need = {*DISTRIBUTION, "kg_co2e", "jpy"}
    if missing := need - set(df.columns):
        raise MeteringError(f"{source}: missing field(s) {', '.join(sorted(missing))}")
    return df
