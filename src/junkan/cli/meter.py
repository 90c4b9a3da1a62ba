"""``junkan meter``: reverse-chain metering — import current-clamp CSV into power and energy,
segment operating cycles and attribute them to steps and units, compute unit factors per model
× step and export them as a lifecycle library template (the verbs of :mod:`junkan.metering`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from junkan.cli.common import Format, atomic_dir, console, fail, print_json, print_table
from junkan.core.errors import JunkanError

if TYPE_CHECKING:  # pandas/ruptures are imported by the commands, not at start-up
    import pandas as pd

    from junkan import metering

app = typer.Typer(
    no_args_is_help=True,
    help="Reverse-chain metering (current clamps → unit factors per model × step).",
)

ReadingsArg = Annotated[
    Path,
    typer.Argument(
        help="Clamp readings (CSV: time, circuit, current_a[, voltage_v, power_factor])."
    ),
]
CircuitsOpt = Annotated[Path, typer.Option("--circuits", "-c", help="Circuits file (YAML).")]
ScansOpt = Annotated[
    Path | None,
    typer.Option("--scans", help="Station scan events (CSV: unit_id, model, step, start, end)."),
]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder (replaced).")]
FormatOpt = Annotated[Format, typer.Option("--format")]
GridOpt = Annotated[float, typer.Option("--grid", help="Segmentation grid in seconds.")]
PenaltyOpt = Annotated[float, typer.Option("--penalty", help="Change-point penalty × σ²·ln n.")]
TolOpt = Annotated[float, typer.Option("--tolerance", help="Scan-window tolerance in seconds.")]


def _run(
    readings: Path,
    circuits: Path,
    scans: Path | None,
    grid: float,
    penalty: float,
    tolerance: float,
) -> metering.Result:
    from junkan import metering

    try:
        plant = metering.load_plant(circuits)
        imported = metering.read_csv(readings, plant)
        sc = metering.read_scans(scans, plant) if scans else None
        return metering.run(
            imported, plant, sc, grid_s=grid, penalty=penalty, tolerance_s=tolerance
        )
    except JunkanError as exc:
        fail(exc)


def _write(result: metering.Result, out: Path) -> None:
    from junkan import metering

    with atomic_dir(out) as tmp:
        metering.write(result, tmp)


@app.command("import")
def import_(
    readings: ReadingsArg, circuits: CircuitsOpt, out: OutOpt, fmt: FormatOpt = Format.table
) -> None:
    """Validate readings, correct clocks, compute power and energy; quarantine bad rows."""
    from junkan import metering

    try:
        plant = metering.load_plant(circuits)
        imported = metering.read_csv(readings, plant)
    except JunkanError as exc:
        fail(exc)
    with atomic_dir(out) as tmp:
        metering.write_import(imported, tmp)
    doc = imported.summary()
    if fmt is Format.json:
        print_json(doc)
        return
    print_table(
        "Circuits",
        ["circuit", "samples", "kWh", "gaps", "assumed"],
        [
            [c, d["samples"], f"{d['kwh']:.4g}", len(d["gaps"]), ", ".join(d["assumptions"]) or "—"]
            for c, d in doc["circuits"].items()
        ],
        right={"samples", "kWh", "gaps"},
    )
    if doc["quarantined"]:
        console.print(f"{doc['quarantined']} row(s) quarantined → {out / 'quarantine.csv'}")


@app.command()
def segment(
    readings: ReadingsArg,
    circuits: CircuitsOpt,
    out: OutOpt,
    scans: ScansOpt = None,
    grid: GridOpt = 1.0,
    penalty: PenaltyOpt = 4.0,
    tolerance: TolOpt = 15.0,
    fmt: FormatOpt = Format.table,
) -> None:
    """Detect operating cycles and attribute them to steps and units (scan events)."""
    result = _run(readings, circuits, scans, grid, penalty, tolerance)
    _write(result, out)
    if fmt is Format.json:
        print_json(result.summary())
        return
    print_table(
        "Energy per step",
        ["step", "scanned kWh", "inferred kWh", "kWh"],
        [
            [r["step"], f"{r['scanned_kwh']:.4g}", f"{r['inferred_kwh']:.4g}", f"{r['kwh']:.4g}"]
            for r in result.totals.to_dict("records")
        ],
        right={"scanned kWh", "inferred kWh", "kWh"},
    )


@app.command()
def factors(
    readings: ReadingsArg,
    circuits: CircuitsOpt,
    scans: Annotated[Path, typer.Option("--scans", help="Station scan events (CSV).")],
    out: OutOpt,
    grid: GridOpt = 1.0,
    penalty: PenaltyOpt = 4.0,
    tolerance: TolOpt = 15.0,
    fmt: FormatOpt = Format.table,
) -> None:
    """Unit factors per model × step (kWh, CO2e, JPY per unit) and library.yaml."""
    result = _run(readings, circuits, scans, grid, penalty, tolerance)
    if result.factors.empty:
        fail("no scan event was attributed; no unit factors")
    _write(result, out)
    if fmt is Format.json:
        print_json(result.factors.to_dict("records"))
        return
    _factor_table(result.factors)


def _factor_table(f: pd.DataFrame) -> None:
    print_table(
        "Unit factors",
        ["model", "step", "units", "kWh/unit", "sd", "kgCO2e", "JPY"],
        [
            [
                r["model"],
                r["step"],
                r["units"],
                f"{r['kwh_mean']:.4g}",
                f"{r['kwh_sd']:.2g}",
                f"{r['kg_co2e']:.3g}",
                f"{r['jpy']:.3g}",
            ]
            for r in f.to_dict("records")
        ],
        right={"units", "kWh/unit", "sd", "kgCO2e", "JPY"},
    )


@app.command()
def export(
    factors_csv: Annotated[Path, typer.Argument(help="factors.csv of meter factors.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Library template (YAML).")],
    actor: Annotated[str, typer.Option(help="Actor id of the processes.")] = "dismantler",
) -> None:
    """Export unit factors as a lifecycle library template (processes per model × step)."""
    import hashlib

    import yaml

    from junkan import metering

    try:
        f = metering.read_factors(factors_csv)
        doc = metering.library_template(
            f,
            {
                "source": str(factors_csv),
                "sha256": hashlib.sha256(factors_csv.read_bytes()).hexdigest(),
            },
            actor=actor,
        )
    except JunkanError as exc:
        fail(exc)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "utf-8")
    console.print(f"{len(doc['processes'])} process(es) → {out}")


@app.command()
def generate(
    out: OutOpt,
    units: Annotated[int, typer.Option(min=2, max=500)] = 24,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Write a generated compressor-dismantling day (seed 003's 1.0/6.5/2.8/8.8 kWh/day):
    readings.csv, scans.csv, circuits.yaml and truth.csv."""
    import yaml

    from junkan import metering

    day = metering.compressor_day(units, seed)
    with atomic_dir(out) as tmp:
        day.readings.to_csv(tmp / "readings.csv", index=False)
        day.scans.to_csv(tmp / "scans.csv", index=False)
        day.truth.to_csv(tmp / "truth.csv", index=False)
        (tmp / "circuits.yaml").write_text(yaml.safe_dump(day.circuits, sort_keys=False), "utf-8")
    print_table(
        "Ground truth",
        ["step", "kWh/day"],
        [[k, f"{v:.4g}"] for k, v in day.truth_kwh_per_step().items()],
        right={"kWh/day"},
    )
