"""``junkan meter``: reverse-chain metering — import current-clamp CSV into power and energy,
segment operating cycles and attribute them to steps and units, compute unit factors per model
× step and export them as a lifecycle library template (the verbs of :mod:`junkan.metering`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from junkan.cli.common import (
    Format,
    atomic_dir,
    check_file_out,
    check_out,
    console,
    fail,
    print_json,
    print_table,
    refuse_reading_path,
    write_file_out,
)
from junkan.cli.recording import before_recording, write_live
from junkan.core.documents import dump_yaml
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
MAX_PENALTY = 1000.0  # metering.MAX_PENALTY, without importing pandas at start-up


def _penalty(value: float) -> float:
    """Refuse a penalty the change-point search cannot use (≤ 0, NaN, ∞, above the bound)
    before any file is read (it ended in ruptures' AssertionError, a traceback)."""
    if not (math.isfinite(value) and 0 < value <= MAX_PENALTY):
        raise typer.BadParameter(f"expected a number above 0 and at most {MAX_PENALTY:g} "
                                 f"(a factor of σ²·ln n; default 4), got {value:g}")
    return value


PenaltyOpt = Annotated[
    float,
    typer.Option("--penalty", callback=_penalty,
                 help="Change-point penalty × σ²·ln n (above 0, at most 1000)."),
]
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


CYCLES = "meter segment or factors"
"""The record of their folders: both write the same files (review 242)."""


def _write(result: metering.Result, out: Path, command: str) -> None:
    from junkan import metering

    with atomic_dir(out, record=command) as tmp:
        metering.write(result, tmp)


@app.command("import")
def import_(
    readings: ReadingsArg, circuits: CircuitsOpt, out: OutOpt, fmt: FormatOpt = Format.table
) -> None:
    """Validate readings, correct clocks, compute power and energy; quarantine bad rows."""
    from junkan import metering

    check_out(out, command="meter import")  # refused before the work
    try:
        plant = metering.load_plant(circuits)
        imported = metering.read_csv(readings, plant)
    except JunkanError as exc:
        fail(exc)
    with atomic_dir(out, record="meter import") as tmp:
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
    check_out(out, command=CYCLES)  # refused before the work
    result = _run(readings, circuits, scans, grid, penalty, tolerance)
    _write(result, out, CYCLES)
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
    check_out(out, command=CYCLES)  # refused before the work
    result = _run(readings, circuits, scans, grid, penalty, tolerance)
    if result.factors.empty:
        fail(f"{scans}: no scan event was attributed to a cycle of the readings; no unit "
             "factors")
    _write(result, out, CYCLES)
    if fmt is Format.json:
        print_json(result.factors.to_dict("records"))
        return
    _factor_table(result.factors)


def _sd_cell(sd: float, units: int) -> str:
    """The sd, or why there is none (one unit: n/a, not 0)."""
    return f"{sd:.2g}" if math.isfinite(sd) else f"n/a ({units} unit{'s' * (units != 1)})"


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
                _sd_cell(r["kwh_sd"], r["units"]),
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

    from junkan import metering

    check_file_out("--out", out)
    refuse_reading_path("--out", out, **{"factors file": factors_csv})
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
    write_file_out("--out", out, dump_yaml(doc).encode("utf-8"))
    console.print(f"{len(doc['processes'])} process(es) → {out}")


@app.command()
def generate(
    out: OutOpt,
    units: Annotated[int, typer.Option(min=2, max=500)] = 24,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Write a generated compressor-dismantling day (seed 003's 1.0/6.5/2.8/8.8 kWh/day):
    readings.csv, scans.csv, circuits.yaml and truth.csv."""

    from junkan import metering

    check_out(out, command="meter generate")  # refused before the work
    day = metering.compressor_day(units, seed)
    with atomic_dir(out, record="meter generate") as tmp:
        day.readings.to_csv(tmp / "readings.csv", index=False)
        day.scans.to_csv(tmp / "scans.csv", index=False)
        day.truth.to_csv(tmp / "truth.csv", index=False)
        (tmp / "circuits.yaml").write_text(dump_yaml(day.circuits), "utf-8")
    print_table(
        "Ground truth",
        ["step", "kWh/day"],
        [[k, f"{v:.4g}"] for k, v in day.truth_kwh_per_step().items()],
        right={"kWh/day"},
    )


CONNECT_WAIT_S = 5.0
"""Seconds ``meter listen`` waits for the broker before it says it is not connected yet."""
SecondsOpt = Annotated[float, typer.Option(min=0.1, max=7 * 86400, help="How long to record.")]


@app.command()
def listen(
    circuits: CircuitsOpt,
    out: OutOpt,
    broker: Annotated[str, typer.Option(help="mqtt://host:port")] = "mqtt://127.0.0.1:1883",
    station: Annotated[str, typer.Option(help="Station id, or + for every station.")] = "+",
    seconds: SecondsOpt = 60.0,
) -> None:
    """Record clamp readings from MQTT (junkan/metering/<station>/readings) for a while,
    then import them: readings.csv (raw), samples.parquet, quarantine.csv, summary.json."""
    import time

    from junkan import metering

    plant = before_recording(out, circuits, "meter listen")
    rec = metering.Recorder()
    try:
        sub = metering.Subscriber(broker, rec, station)
    except JunkanError as exc:
        fail(exc)
    try:
        end = time.monotonic() + seconds
        if not sub.connected.wait(min(seconds, CONNECT_WAIT_S)):  # said at once, not at the end
            why = f"{broker} refuses the connection ({sub.refused})" if sub.refused else \
                f"not connected to {broker} yet"
            console.print(f"[yellow]{escape(why)}; still trying for the {seconds:g} s of the "
                          "recording[/]", highlight=False)
        time.sleep(max(0.0, end - time.monotonic()))
    finally:
        sub.close()
    if not sub.ever_connected:
        fail(f"--broker {broker}: it refused the connection ({sub.refused}) throughout the "
             f"{seconds:g} s of the recording" if sub.refused else
             f"--broker {broker}: no connection in the {seconds:g} s of the recording; is the "
             "broker running and reachable?")
    write_live(rec, plant, out, f"mqtt {broker} station {station}", "meter listen")


@app.command()
def poll(
    meters: Annotated[Path, typer.Argument(help="Meters file (YAML: circuit, host, registers).")],
    circuits: CircuitsOpt,
    out: OutOpt,
    hz: Annotated[float, typer.Option(min=0.01, max=10.0, help="Polls per second.")] = 1.0,
    seconds: SecondsOpt = 60.0,
) -> None:
    """Poll Modbus TCP power meters for a while, then import the readings like CSV."""
    from junkan import metering

    plant = before_recording(out, circuits, "meter poll")
    rec = metering.Recorder()
    try:
        poller = metering.Poller(metering.load_meters(meters), rec)
        try:
            poller.run(hz, seconds)
        finally:
            poller.close()
    except JunkanError as exc:
        fail(exc)
    write_live(rec, plant, out, f"modbus {meters}", "meter poll")


CatalogueOpt = Annotated[Path, typer.Option("--catalogue", help="Model catalogue (YAML).")]


@app.command()
def identify(
    photos: Annotated[list[Path], typer.Argument(help="Photo(s) of the product (PNG, JPEG).")],
    catalogue: CatalogueOpt,
    no_text: Annotated[bool, typer.Option("--no-text", help="Skip nameplate OCR.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Identify the product model in each photo: QR / barcode, nameplate text, or outline."""
    from junkan import metering

    try:
        cat = metering.load_catalogue(catalogue)
    except (JunkanError, OSError) as exc:
        fail(exc if isinstance(exc, JunkanError) else f"{exc}")
    res, refused = [], []  # an unreadable photo is refused with its reason, not skipped
    for p in photos:
        try:
            res.append(
                (p, metering.identify(p.read_bytes(), cat, use_text=not no_text, source=str(p)))
            )
        except (JunkanError, OSError) as exc:
            refused.append((p, str(exc)))
    if fmt is Format.json:
        print_json(
            [{"photo": str(p), **r.to_json()} for p, r in res]
            + [{"photo": str(p), "refused": why} for p, why in refused]
        )
    else:
        print_table(
            "Identification",
            ["photo", "model", "confidence", "by", "ms"],
            [
                [p.name, r.model or "—", f"{r.confidence:.3f}", r.method, f"{r.seconds * 1000:.0f}"]
                for p, r in res
            ],
            right={"confidence", "ms"},
        )
    for p, why in refused:
        typer.echo(f"error: {p}: refused: {why}", err=True)
    if refused:
        raise typer.Exit(2)


@app.command()
def enrol(
    photos: Annotated[list[Path], typer.Argument(help="Photos of one known model.")],
    catalogue: CatalogueOpt,
    model: Annotated[str, typer.Option(help="Model id.")],
    maker: Annotated[str, typer.Option()] = "",
    product_type: Annotated[str, typer.Option("--type", help="Product type.")] = "",
    bom: Annotated[str, typer.Option(help="Lifecycle model / BOM it maps to.")] = "",
    code: Annotated[list[str] | None, typer.Option(help="Barcode / QR payload(s).")] = None,
) -> None:
    """Add photos of a known model to a catalogue (created if missing) and recalibrate."""

    from junkan import metering

    try:
        cat = metering.load_catalogue(catalogue) if catalogue.exists() else None
        entry = metering.Entry(model, maker, product_type, bom, list(code or []))
        cat = metering.enrol(cat, [(entry, p.read_bytes()) for p in photos])
    except (JunkanError, OSError) as exc:
        fail(exc if isinstance(exc, JunkanError) else f"{exc}")
    catalogue.write_text(dump_yaml(cat.to_doc()), "utf-8")
    console.print(
        f"{model}: {len(photos)} photo(s) enrolled; {len(cat.models)} model(s), "
        f"temperature {cat.temperature:.4g} → {catalogue}"
    )


@app.command()
def photos(
    out: OutOpt,
    per_model: Annotated[int, typer.Option(min=1, max=50)] = 3,
    seed: Annotated[int, typer.Option()] = 0,
    models: Annotated[int, typer.Option(min=1, max=20, help="The first N models.")] = 20,
) -> None:
    """Write generated photos of the 20 demo models (QR + text, text only, no label) and
    their truth (truth.csv)."""
    from junkan import metering

    check_out(out, command="meter photos")  # refused before the work
    rows = []
    with atomic_dir(out, record="meter photos") as tmp:
        for i, (model, label, png) in enumerate(metering.photo_set(per_model, seed, models=models)):
            name = f"{i:04d}_{model}_{label}.png"
            (tmp / name).write_bytes(png)
            rows.append(f"{name},{model},{label}")
        (tmp / "truth.csv").write_text("photo,model,label\n" + "\n".join(rows) + "\n", "utf-8")
    console.print(f"{len(rows)} photo(s) → {out}")


@app.command()
def link(
    model: Annotated[
        Path, typer.Argument(help="Lifecycle model (YAML) with measured: {model, step}.")
    ],
    factors_csv: Annotated[Path, typer.Option("--factors", help="factors.csv of meter factors.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The linked lifecycle model (YAML).")],
    spread: Annotated[
        str, typer.Option(help="mean: std = sd/√n (flows of many units); unit: per-unit sd.")
    ] = "mean",
) -> None:
    """Fill a lifecycle model's processes that name ``measured: {model, step}`` (or
    ``steps: [...]``) from measured unit factors, with their uncertainty for
    ``junkan uncertainty`` / ``sensitivity``."""
    import hashlib

    import yaml

    from junkan import metering

    check_file_out("--out", out)
    # the linked model keeps no 'measured:' to link again with new factors (review 240)
    refuse_reading_path("--out", out, model=model, **{"factors file": factors_csv})
    try:
        doc = metering.read_yaml(model)  # a key given twice is refused, not overwritten
        f = metering.read_factors(factors_csv)
        set_id = hashlib.sha256(factors_csv.read_bytes()).hexdigest()[:16]
        linked = metering.link(doc, f, spread=spread, set_id=set_id, source=str(model))
    except (JunkanError, OSError, yaml.YAMLError) as exc:
        fail(exc if isinstance(exc, JunkanError) else f"{model}: {exc}")
    write_file_out("--out", out, dump_yaml(linked).encode("utf-8"))
    n = len((linked.get("uncertainty") or {}).get("parameters") or [])
    console.print(f"linked → {out} ({n} uncertain parameter(s) in its uncertainty section)")
