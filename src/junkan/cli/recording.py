"""The end of a live recording (``junkan meter listen`` and ``poll``): what it needs,
checked before it starts, and its readings written whole — or, when they cannot be, kept
beside the folder asked for: a recording cannot be made again."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from junkan.cli.common import atomic_dir, check_out, console, fail, say_error
from junkan.core.errors import JunkanError
from junkan.core.report import short_name

if TYPE_CHECKING:
    import pandas as pd

    from junkan import metering


def before_recording(out: Path, circuits: Path, command: str) -> metering.Plant:
    """Everything a recording's end needs, checked before it starts (review 242: a missing
    circuits file was found after ten minutes of readings, which were lost): ``--out`` (a
    new or empty folder: a recording is never replaced, it cannot be made again) and the
    circuits file, read."""
    from junkan import metering

    check_out(out, command=command)
    if out.is_dir() and any(out.iterdir()):
        fail(f"--out {out}: holds an earlier recording or other files; a recording is never "
             "replaced (it cannot be made again): give a new folder")
    try:
        return metering.load_plant(circuits)
    except JunkanError as exc:
        fail(exc)


def keep(raw: pd.DataFrame, out: Path) -> Path:
    """The raw readings, written to a new folder beside ``out`` (or in the temporary folder)
    when the results could not be written: a recording is never thrown away."""
    for base in (out.parent, Path(tempfile.gettempdir())):
        try:
            kept = Path(tempfile.mkdtemp(prefix=f"{short_name(out.name)}-recording-", dir=base))
            raw.to_csv(kept / "readings.csv", index=False)
            return kept / "readings.csv"
        except OSError:
            continue
    raise JunkanError("the recording could not be written anywhere")


def write_live(rec: metering.Recorder, plant: metering.Plant, out: Path, source: str,
                command: str) -> None:
    from junkan import metering

    raw = rec.frame()
    try:
        imported = rec.to_import(plant, source=source)
        with atomic_dir(out, record=command) as tmp:
            raw.to_csv(tmp / "readings.csv", index=False)
            metering.write_import(imported, tmp)
    except (JunkanError, typer.Exit) as exc:
        if len(raw):  # said after the reason, so it is the last line read
            kept = keep(raw, out)
            if isinstance(exc, JunkanError):
                say_error(exc)
            console.print(f"the {len(raw)} reading(s) recorded are kept in {kept}",
                          highlight=False)
            raise typer.Exit(2) from None
        if isinstance(exc, JunkanError):
            fail(exc)
        raise
    doc = imported.summary()
    console.print(
        f"{len(raw)} reading(s), {doc['quarantined']} quarantined → {out} "
        f"(readings.csv is the input of meter segment|factors)"
    )
