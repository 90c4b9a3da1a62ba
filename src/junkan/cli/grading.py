"""``junkan grade``: grade items (used products, parts, recycled materials) against versioned
criteria sets — the verbs of :mod:`junkan.grading`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from junkan import grading
from junkan.cli.common import (
    Format,
    fail,
    out_console,
    print_json,
    print_table,
    reported,
)

app = typer.Typer(no_args_is_help=True)


@app.command("grade")
def grade_command(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="Grading document (YAML/JSON): items and "
            "criteria (ids of shipped sets or "
            "inline sets)."
        ),
    ] = None,
    format: Annotated[Format, typer.Option("--format")] = Format.table,
    as_of: Annotated[
        str | None,
        typer.Option(help="Day of the evaluation (ISO 8601; default today): certificates "
                     "valid and limits in force on it (EU POPs waste) count."),
    ] = None,
    records: Annotated[
        Path | None, typer.Option(help="Write the graded records (JSON) here.")
    ] = None,
    report: Annotated[Path | None, typer.Option(help="Write an HTML report here.")] = None,
    criteria: Annotated[
        bool, typer.Option("--criteria", help="List the shipped criteria sets and exit.")
    ] = False,
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the JSON Schema of a grading record and exit.")
    ] = False,
) -> None:
    """Grade items against criteria sets: met or the failed rules, with the evidence read;
    ranked families (surplus soil) give each item's class."""
    if schema:
        print_json(grading.json_schema())
        return
    if criteria:
        sets = grading.shipped_sets()
        if format == Format.json:
            print_json({k: v.model_dump(mode="json", exclude_none=True) for k, v in sets.items()})
            return
        print_table(
            "Shipped criteria sets",
            ("id", "version", "status", "title"),
            [(k, v.version, v.status, v.title) for k, v in sets.items()],
        )
        return
    if file is None:
        fail("give a grading document (or --criteria / --schema)")
    try:
        when = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        fail(f"--as-of: expected an ISO 8601 date such as 2026-12-01, got {as_of!r}")
    with reported(file):
        result = grading.run(grading.load(file), as_of=when)
    if records is not None:
        records.write_text(
            json.dumps(result.graded_items(), indent=2, ensure_ascii=False) + "\n", "utf-8"
        )
    if report is not None:
        result.report(report, title=f"Grades — {file.name}")
    if format == Format.json:
        print_json(result.to_json())
        return
    print_table(
        f"Grades ({result.as_of.isoformat()})",
        ("item", "criteria", "met", "why not"),
        [
            (
                r["item"],
                f"{r['criteria']} ({r['version']})",
                grading.YES_NO[r["met"]],
                "; ".join(r["failed"]),
            )
            for r in result.rows()
        ],
    )
    for line in result.limits_said():
        out_console.print(line, highlight=False)
    _print_classes(result)


def _print_classes(result: grading.GradeResult) -> None:
    """Each item's class per ranked family, with a better class whose verdict is unknown
    and what to measure (review 307)."""
    for fam, classes in result.classes.items():
        better = result.better_unknown.get(fam) or [[]] * len(classes)
        out_console.print(
            f"{fam}: " + ", ".join(
                f"{it.id} → – ({grading.unclassed_said(fam, result.compiled, it)})"
                if c is None else
                f"{it.id} → {c}" + (f" ({grading.better_said(fam, c, b)})" if b else "")
                for it, c, b in zip(result.items, classes, better, strict=True)),
            highlight=False, markup=False,
        )
