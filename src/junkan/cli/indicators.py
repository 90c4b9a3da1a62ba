"""``junkan indicators``: circularity indicators of a flow model, or of every scenario of a
lifecycle model (the verbs of :mod:`junkan.indicators`)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from junkan import indicators, lifecycle
from junkan.cli.common import (
    atomic_dir,
    check_out,
    console,
    fail,
    out_console,
    print_json,
    reported,
    year_window,
)
from junkan.core.documents import read_document

# not yet a public name of junkan.indicators: the page of several results (one per scenario)
from junkan.indicators import STATUS_TEXT, IndicatorInputError, IndicatorResult, indicators_page

app = typer.Typer()


class IndicatorFormat(StrEnum):
    table = "table"
    json = "json"
    html = "html"


def compute(file: Path, frameworks: list[str], years: str | None
            ) -> dict[str, IndicatorResult]:
    """The indicators of the flow model in ``file`` (by its name), or of every scenario of
    the lifecycle model in it (by scenario, with trade-offs against the baseline)."""
    doc = read_document(file)
    if indicators.is_flow_document(doc):  # the decision POST /api/indicators makes
        if years is not None:  # review 319: it was ignored, even --years garbage
            fail(f"--years {years}: picks the window of a lifecycle model's simulation; "
                 f"{file} is a flow model (one period): leave out --years")
        flows = indicators.load(doc=doc, source=str(file))
        return {flows.name: indicators.run(flows, frameworks)}
    model = lifecycle.load(file)
    window = year_window(years)
    runs = {name: lifecycle.run(model, name) for name in model.scenarios}
    base = runs[model.baseline.baseline_name]
    return {name: indicators.run(run, frameworks, years=window, baseline=base)
            for name, run in runs.items()}


@app.command("indicators")
def indicators_cmd(
    file: Annotated[Path, typer.Argument(help="A flow model (inflows/outflows) or a lifecycle "
                                              "model (YAML or JSON).")],
    framework: Annotated[list[str], typer.Option(help="mci, cti, iso59020, esrs-e5, rap or "
                                                      "all (repeatable).")] = ["all"],  # noqa: B006
    format: Annotated[IndicatorFormat, typer.Option("--format")] = IndicatorFormat.table,
    out: Annotated[Path | None, typer.Option(help="Folder for indicators.html (html).")] = None,
    years: Annotated[str | None, typer.Option(help="Lifecycle models: year window "
                                                   "FIRST:LAST, e.g. 2030:2044.")] = None,
) -> None:
    """Circularity indicators (MCI, CTI, ISO 59020, ESRS E5, RAP) of a flow model, or of every
    scenario of a lifecycle model."""
    if out is not None and format != IndicatorFormat.html:  # it was ignored (review 242)
        fail(f"--out {out}: is where --format html writes indicators.html; add --format html "
             "(the table and JSON go to the terminal)")
    target = out or Path("out") / "indicators"
    if format == IndicatorFormat.html:
        check_out(target, command="indicators")  # refused before the work
    with reported(file, IndicatorInputError, KeyError):
        results = compute(file, framework, years)
    if format == IndicatorFormat.json:
        print_json({name: {"indicators": r.to_json(), "tradeoff_warnings": r.warnings}
                    for name, r in results.items()})
    elif format == IndicatorFormat.html:
        sections = [(name, r.model, r.indicators, r.warnings) for name, r in results.items()]
        with atomic_dir(target, record="indicators") as tmp:
            indicators_page(sections, f"Circularity indicators — {file.name}",
                            source=file).write(tmp / "indicators.html")
        console.print(f"wrote {target}/indicators.html")
    else:
        for name, r in results.items():
            table = Table(title=f"{name}")
            table.add_column("indicator")
            table.add_column("value", justify="right")
            table.add_column("formula")
            table.add_column("checked against")
            for found in r.indicators.values():
                for i in found:
                    table.add_row(i.key, i.display(), i.formula, STATUS_TEXT[i.status],
                                  style="yellow" if i.status == "inferred" else None)
            out_console.print(table)
            out_console.print("value units: % = share; cycles = uses of each withdrawn m³; "
                              "the notes on what could not be read: --format json or html")
            for w in r.warnings:
                out_console.print(f"[yellow]⚠ {w}[/yellow]")
