"""openLCA exchange: ``junkan olca import ZIP`` (processes as unit factors in a library
template) and ``junkan olca export MODEL`` (a scenario's inventory per process as an
olca-schema JSON-LD zip). Needs the ``olca`` extra (:mod:`junkan.lifecycle.olca`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, get_args

import typer

from junkan import lifecycle
from junkan.cli.common import (
    check_file_out,
    fail,
    refuse_foreign_file,
    refuse_reading_path,
    reported,
    write_file_out,
    year_window,
)
from junkan.cli.out_record import starts_with
from junkan.core.documents import dump_yaml
from junkan.core.extras import require

app = typer.Typer(no_args_is_help=True, help="Exchange with openLCA (olca-schema JSON-LD).")

STAGES: tuple[str, ...] = get_args(lifecycle.Stage)
"""The lifecycle stages a process may belong to (the model schema's)."""
TEMPLATE_HEAD = "# Library template imported from "
"""How a template ``olca import`` writes begins (the one kind of file its --out replaces)."""


def _exported(path: Path) -> bool:
    """Whether the zip at ``path`` is one ``olca export`` wrote (its comment says so)."""
    import zipfile

    from junkan.lifecycle import olca

    try:
        with zipfile.ZipFile(path) as z:
            return z.comment == olca.EXPORT_MARK
    except (OSError, zipfile.BadZipFile):
        return False


@app.command("import")
def import_cmd(
    zip_path: Annotated[Path, typer.Argument(help="openLCA JSON-LD zip.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Template YAML to write (default: print).")
    ] = None,
    actor: Annotated[
        str, typer.Option(help="Actor who runs the imported processes.")
    ] = "olca_supplier",
    stage: Annotated[
        str, typer.Option(help=f"Stage of the processes: {', '.join(STAGES)}.")
    ] = "manufacturing",
    impact: Annotated[
        str | None,
        typer.Option(help="Climate-change impact category of the zip (name or id) for CO2e."),
    ] = None,
    materials: Annotated[
        bool, typer.Option(help="Processes with a product in kg as reference become materials.")
    ] = False,
) -> None:
    """An openLCA zip's processes as unit factors in a library template.

    Its actors, processes, materials and sources, from the zip's flows and exchanges."""
    require("olca")
    from junkan.lifecycle import olca

    if out is not None:
        refuse_reading_path("--out", out, zip=zip_path)
        check_file_out("--out", out)  # a folder is said to be one before its suffix
        if out.suffix.lower() not in (".yaml", ".yml"):
            fail(f"--out {out}: the template is written as YAML; give a .yaml or .yml path "
                 "(an existing file of another kind is never replaced)")
        refuse_foreign_file("--out", out, "olca import", starts_with(TEMPLATE_HEAD.encode()))
    if not zip_path.exists():
        fail(f"{zip_path}: file not found; check the path")
    if zip_path.is_dir():
        fail(f"{zip_path}: is a folder; give the zip openLCA exported (JSON-LD)")
    if stage not in STAGES:
        fail(f"--stage {stage!r}: use one of {', '.join(STAGES)}")
    if not actor.strip():
        fail("--actor: give the name of the actor who runs the processes, e.g. supplier")
    with reported(zip_path, OSError):
        template, notes = olca.import_template(
            zip_path, actor=actor, stage=stage, impact=impact, materials=materials
        )
    head = (
        f"{TEMPLATE_HEAD}{zip_path.name} by `junkan olca import`.\n"
        "# Every factor names its openLCA process and the CO2e method in `source`.\n"
    )
    text = head + dump_yaml(template, width=100)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if out is None:
        print(text, end="")
    else:
        write_file_out("--out", out, text.encode("utf-8"))
        print(
            f"wrote {out}: {len(template.get('processes', {}))} processes, "
            f"{len(template.get('materials', {}))} materials"
        )


@app.command("export")
def export_cmd(
    model: Annotated[Path, typer.Argument(help="Model file (YAML or JSON).")],
    out: Annotated[Path, typer.Option("--out", help="JSON-LD zip to write.")],
    scenario: Annotated[str | None, typer.Option(help="Scenario (default: baseline).")] = None,
    years: Annotated[str | None, typer.Option(help="Period FIRST:LAST (default: all).")] = None,
) -> None:
    """A scenario's inventory per process as an olca-schema JSON-LD zip openLCA imports."""
    require("olca")
    from junkan.lifecycle import olca

    refuse_reading_path("--out", out, model=model)
    check_file_out("--out", out)  # a folder is said to be one before its suffix
    if out.suffix.lower() != ".zip":
        fail(f"--out {out}: the inventory is written as a JSON-LD zip; give a .zip path (an "
             "existing file of another kind is never replaced)")
    refuse_foreign_file("--out", out, "olca export", _exported)
    window = year_window(years)
    with reported(model, OSError):
        mf = lifecycle.load(model)
        result = lifecycle.run(mf, scenario)
    first, last = int(result.years[0]), int(result.years[-1])
    if window is not None and not first <= window[0] <= window[1] <= last:
        fail(f"--years {years!r}: not within the horizon of {model}, {first}–{last}; give a "
             "window inside it")
    with reported(out, OSError):  # a failure to write names --out and leaves no temporary
        try:
            path = olca.export_inventory(result, out, name=f"{mf.name}-{result.scenario}",
                                         years=window)
        except olca.NothingToExport as exc:  # the model and scenario said
            fail(f"{model} (scenario '{result.scenario}'): {exc}")
    print(f"wrote {path}")
