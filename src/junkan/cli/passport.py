"""``junkan passport export|import``: graded records as Asset Administration Shell (AAS V3.0)
environments or as Battery Pass documents (traction batteries), and back — the passport
verbs of :mod:`junkan.grading`."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from junkan import grading
from junkan.cli.common import atomic_dir, console, fail, out_console, print_json, reported

HELP = (
    "Passports: graded records as Asset Administration Shell (AAS V3.0) or Battery Pass documents."
)
MAX_FILE = 20_000_000
"""Largest passport file ``import`` reads (bytes)."""

app = typer.Typer(no_args_is_help=True, help=HELP)


class PassportFormat(StrEnum):
    aas = "aas"
    batterypass = "batterypass"
    batterypass_aas = "batterypass-aas"


class ImportFormat(StrEnum):
    auto = "auto"
    aas = "aas"
    batterypass = "batterypass"
    batterypass_aas = "batterypass-aas"


@app.command("export")
def export_command(
    file: Annotated[Path, typer.Argument(help="Grading document (YAML/JSON): items and criteria.")],
    out: Annotated[Path, typer.Option(help="Folder for one file per item.")],
    format: Annotated[
        PassportFormat,
        typer.Option(
            "--format",
            help="aas: <item>.aas.json, the grading record (extra 'passport'); batterypass: "
            "<item>.batterypass.json, the Battery Pass attribute subset for traction batteries; "
            "batterypass-aas: the same subset as AAS submodels (extra 'passport').",
        ),
    ] = PassportFormat.aas,
    as_of: Annotated[
        str | None, typer.Option(help="Date certificates must be valid on (default today).")
    ] = None,
) -> None:
    """Grade the document's items and write each graded record as a passport document."""
    try:
        when = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        fail(f"--as-of: expected an ISO 8601 date such as 2026-12-01, got {as_of!r}")
    with reported(file):
        model = grading.load(file)
        try:
            docs = grading.write_passports(model, format.value, as_of=when)
        except grading.GradingError as exc:  # its items, named in the document given
            exc.source = exc.source or str(file)
            raise
    with atomic_dir(out) as folder:
        for name, doc in docs:
            (folder / name).write_text(
                json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "utf-8"
            )
    kind = {"aas": "AAS", "batterypass": "Battery Pass"}.get(format.value, "Battery Pass AAS")
    out_console.print(f"{len(docs)} {kind} documents in {out}", highlight=False)


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="AAS environment or Battery Pass document (JSON).")],
    format: Annotated[
        ImportFormat,
        typer.Option(
            "--format",
            help="auto: AAS when the document has shells or submodels (Battery Pass AAS when "
            "they are Battery Pass aspects), else a Battery Pass document.",
        ),
    ] = ImportFormat.auto,
    submodel: Annotated[
        str | None, typer.Option(help="AAS: the submodel id, when the document holds several.")
    ] = None,
) -> None:
    """Read the grading record of a passport document; print it as JSON. What the record was
    not read from (a Battery Pass document's attributes outside junkan's subset, an AAS
    file's other elements and submodels) is listed on stderr."""
    with reported(file, OSError, UnicodeDecodeError):
        if file.stat().st_size > MAX_FILE:
            fail(f"{file}: larger than {MAX_FILE:,} bytes")
        read = grading.read_passport(
            file.read_bytes(), format.value, submodel_id=submodel, source=str(file)
        )
    skipped = read.unmapped
    if skipped:
        console.print(
            f"{file}: {len(skipped)} element(s) not read into the record (outside junkan's "
            f"subset) ignored: {', '.join(skipped[:10])}{' …' if len(skipped) > 10 else ''}",
            highlight=False,
        )
    print_json(read.item.model_dump(mode="json", exclude_none=True))
