"""Lifecycle models: ``junkan validate | simulate | compare | report | schema | library`` (the
verbs of :mod:`junkan.lifecycle`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from junkan import lifecycle
from junkan.cli.common import (
    Format,
    LangOption,
    atomic_dir,
    check_file_out,
    check_out,
    console,
    fail,
    interactive,
    number,
    out_console,
    print_json,
    print_table,
    progress,
    reported,
    visible,
    write_file_out,
)
from junkan.core.errors import JunkanError
from junkan.core.report import PLOTLY_JS, short_name
from junkan.data import library_names
from junkan.lifecycle import LifecycleModel, ModelFile, Result, uncertainty

app = typer.Typer()

ModelArg = Annotated[Path, typer.Argument(help="Model file (YAML or JSON).")]

SUMMARY = ("scenario", "totals", "by_actor", "co2e_t_by_stage",
           "mass_balance_max_relative_error", "units")
"""What ``simulate --out`` writes to summary.json, after the model's name."""


def load(path: Path) -> ModelFile:
    """The model at ``path`` with every scenario checked, or exit 2 naming the problems."""
    try:
        return lifecycle.load(path)
    except JunkanError as exc:
        fail(exc)


def write_tables(result: Result, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in result.tables().items():
        df.to_csv(folder / f"{name}.csv", index=False)
        df.to_parquet(folder / f"{name}.parquet", index=False)


def headline_table(doc: Mapping[str, Any]) -> None:
    """Figures as rows, scenarios as columns (fits a narrow terminal)."""
    scenarios = doc["scenarios"]
    keys: list[str] = []
    for s in scenarios:
        keys += [k for k in s["headline"] if k not in keys]
    units = doc.get("headline_units") or {}
    total_units = (doc.get("units") or {}).get("totals") or {}

    def num(v: Any, spec: str) -> str:
        # None: a ratio 0/0, or a change against another horizon: not defined
        return "n/a" if v is None else number(v, spec, 1e4)

    def label(name: str, unit: str | None) -> str:
        return f"{name} ({unit})" if unit else name

    rows = [(label(k, units.get(k)),
             *[num(s["headline"][k], ".4g") if k in s["headline"] else "–" for s in scenarios])
            for k in keys]
    rows += [(label(f"Δ {k} vs {doc['baseline']}", total_units.get(k)),
              *[num(s["change_vs_baseline"][k], "+.4g") for s in scenarios])
             for k in ("co2e_t", "virgin_input_t", "recycled_share", "reuse_rate",
                       "final_disposal_t")]
    names = [s["name"] for s in scenarios]
    print_table(f"{doc.get('title') or doc['model']}", ["figure (unit)", *names], rows,
                right=names)
    for s in scenarios:
        if s.get("note"):
            console.print(f"note: {escape(visible(s['name']))} {escape(s['note'])}",
                          highlight=False)


@app.command()
def validate(model: ModelArg) -> None:
    """Check a model, every scenario and its uncertainty section; print a summary or the
    problems (exit 2)."""
    mf = load(model)
    with reported():
        study = uncertainty.check(mf)
    c = mf.compiled[mf.baseline.baseline_name]
    out_console.print(
        f"[green]ok[/green] {escape(visible(str(model)))}: model '{escape(visible(mf.name))}', "
        f"{len(mf.scenarios)} scenario(s) ({escape(visible(', '.join(mf.scenarios)))}), "
        f"{len(c.products)} product(s), {len(c.parts)} part "
        f"type(s), {len(c.inst_type)} part instance(s), {len(c.materials)} material(s), "
        f"{len(c.processes)} process(es), years {c.years[0]}–{c.years[-1]}"
        + ("" if study is None else f", {len(study.parameters)} uncertain parameter(s), "
           f"{len(study.section.observations)} observation(s)"), highlight=False)


@app.command("simulate")
def simulate_cmd(
    model: ModelArg,
    scenario: Annotated[str | None, typer.Option(help="Scenario (default: baseline).")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for CSV, Parquet and summary.json.")]
    = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Simulate one scenario; print its totals, write tables with --out."""
    check_out(out, command="simulate")  # refused before the work (reviews 233, 235)
    mf = load(model)
    name = scenario or mf.baseline.baseline_name
    if name not in mf.compiled:
        fail(f"{model}: unknown scenario '{name}'; known: {', '.join(mf.scenarios)}")
    with reported():
        with progress(f"simulating {name}", not quiet and interactive()) as cb:
            result = lifecycle.run(mf, name, progress=cb)
        if out is not None:
            run: dict[str, Any] = dict(result.to_json())
            summary = {"model": mf.name, **{k: run[k] for k in SUMMARY}}
            # the units of the sections written, not of compare's too (review 222)
            summary["units"] = {k: v for k, v in run["units"].items() if k in summary}
            with atomic_dir(out, record="simulate") as tmp:
                write_tables(result, tmp)
                (tmp / "summary.json").write_text(json.dumps(summary, indent=2,
                                                             ensure_ascii=False))
    # a ratio of 0 to 0 (no products, no input) is not defined: "n/a", as compare prints it
    print_table(f"{mf.name} / {name}", ["figure", "value"],
                [(k, "n/a" if v != v else number(v, ",.6g", 1e6))
                 for k, v in result.totals().items()],
                right=["value"])
    if out is not None:
        console.print(f"wrote {out}/ (CSV, Parquet, summary.json)")


@app.command("compare")
def compare_cmd(
    model: ModelArg,
    format: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
    out: Annotated[Path | None, typer.Option(help="Folder for compare.json, report.html and "
                                                  "per-scenario tables.")] = None,
    lang: LangOption = "en",
) -> None:
    """Simulate every scenario and show them side by side."""
    check_out(out, command="compare")  # refused before the work (reviews 233, 235)
    # imported here: the indicators bring pandas, ~0.4 s of CPU that simulate and validate
    # need not pay at start (2026-12-02)
    from junkan.indicators import scenario_indicators

    mf = load(model)
    with reported():
        results: dict[str, Result] = {}
        with progress("simulating", interactive() and format == Format.table) as cb:
            for name in mf.scenarios:
                results[name] = lifecycle.run(mf, name, progress=cb)
        comparison = lifecycle.compare(mf, results, indicator_hook=scenario_indicators)
        doc = comparison.to_json()
        if out is not None:
            with atomic_dir(out, record="compare") as tmp:
                (tmp / "compare.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False))
                write_scenario_tables(results, mf.baseline.baseline_name, tmp)
                comparison.report(tmp, lang)
    if format == Format.json:
        print_json(doc)
    else:
        headline_table(doc)
    if out is not None:
        console.print(f"wrote {out}/report.html, compare.json and tables per scenario")


COMPARE_FILES = ("report.html", "compare.json", PLOTLY_JS)
"""The files ``compare --out`` writes beside the scenarios' folders."""
MAX_FOLDER_BYTES = 200
"""A longer scenario folder name is cut and ends in a hash of the whole name."""


def scenario_folder(name: str) -> str:
    """The folder of scenario ``name``'s tables: its name (Japanese too), percent-encoded
    where it could not name a folder inside the results ('/', '\\', NUL, '%' itself and '~',
    which marks a cut name's hash; a leading '.', so '..' is '%2E.'; '' is '%'; the dots of
    a name that is one of :data:`COMPARE_FILES`), cut to :data:`MAX_FOLDER_BYTES` with a
    hash of the name: a
    scenario named '..' overwrote the user's files beside the results folder (review 236),
    one named report.html or of 300 letters failed after the work (review 237). Distinct
    names keep distinct folders."""
    folder = "".join(f"%{ord(c):02X}" if c in "%/\\\0~" else c for c in name)
    folder = "%" if not folder else "%2E" + folder[1:] if folder.startswith(".") else folder
    if folder in COMPARE_FILES:  # a scenario named report.html: not the report's file
        folder = folder.replace(".", "%2E")
    if len(folder.encode("utf-8")) > MAX_FOLDER_BYTES:  # file systems allow 255 bytes
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        folder = f"{short_name(folder, MAX_FOLDER_BYTES - 17)}~{digest}"
    return folder


def write_scenario_tables(results: dict[str, Result], baseline: str, folder: Path) -> None:
    """Per scenario a folder of tables (:func:`scenario_folder`), with its indicators minus
    the baseline's."""
    base = results[baseline].tables()["indicators"].set_index("year")
    for name, res in results.items():
        into = folder / scenario_folder(name)
        write_tables(res, into)
        delta = res.tables()["indicators"].set_index("year") - base
        delta = delta.reset_index()
        delta.to_csv(into / "indicators_vs_baseline.csv", index=False)
        delta.to_parquet(into / "indicators_vs_baseline.parquet", index=False)


@app.command()
def report(
    model: ModelArg,
    out: Annotated[Path, typer.Option(help="Folder for report.html.")] = Path("out/report"),
    lang: LangOption = "en",
) -> None:
    """Write the HTML report (Sankey per scenario, indicator charts) of a model."""
    check_out(out, command="report")  # refused before the work (reviews 233, 235)
    mf = load(model)
    with reported():
        comparison = lifecycle.compare(mf)
        with atomic_dir(out, record="report") as tmp:
            comparison.report(tmp, lang)
    console.print(f"wrote {out}/report.html")


@app.command()
def schema(out: Annotated[Path | None, typer.Option(help="Write to this file.")] = None) -> None:
    """Print (or write) the JSON Schema of the model format."""
    text = json.dumps(LifecycleModel.model_json_schema(), indent=2, ensure_ascii=False)
    if out is None:
        print(text)
    else:
        check_file_out("--out", out)
        write_file_out("--out", out, (text + "\n").encode("utf-8"))


@app.command()
def library() -> None:
    """List the library templates a model can import with ``uses:``."""
    for name in library_names():
        out_console.print(name)
