"""``junkan foresight``: future-scenario ensembles of a causal model — run, analyse, report,
describe (the verbs of :mod:`junkan.foresight`)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from junkan import foresight
from junkan.cli.common import (
    Format,
    atomic_dir,
    check_out,
    console,
    fail,
    interactive,
    out_console,
    print_json,
    print_table,
    progress,
)
from junkan.core.errors import JunkanError

# not yet public names of junkan.foresight: the Dask backend (it imports dask only when
# called) and the Markdown description of a model
from junkan.foresight import describe_markdown, run_distributed

app = typer.Typer(no_args_is_help=True, help="Future-scenario ensembles.")

ModelArg = Annotated[Path, typer.Argument(help="Causal model (YAML or JSON).")]
FormatOption = Annotated[Format, typer.Option("--format")]


class Backend(StrEnum):
    local = "local"
    dask = "dask"


def load(file: Path) -> foresight.Compiled:
    """The causal model in ``file``, compiled, or exit 2 naming every problem."""
    try:
        return foresight.load(file)
    except JunkanError as exc:
        fail(exc)


def groups(k: str) -> int | str:
    """``--k``: a number of groups from 2 to 20, or ``auto``."""
    if k == "auto":
        return k
    if not k.isdigit() or not 2 <= int(k) <= 20:
        fail(f"--k: give a number of groups from 2 to 20, or 'auto' (got {k!r})")
    return int(k)


def scenarios(model: foresight.Compiled, n: int, least: int,
              store_states: bool | str | None) -> int:
    """``--n``: from ``least`` to ``foresight.MAX_SCENARIOS`` scenarios whose arrays fit the
    memory bound when run here (``store_states`` as the run keeps them; ``None`` on the Dask
    backend), or exit 2 saying which bound and why."""
    try:
        foresight.check_scenarios(model, n, least=least, store_states=store_states)
    except ValueError as exc:
        fail(f"--{exc}")
    return n


def dask_client(scheduler: str | None) -> Any:
    """A client of the Dask scheduler at ``scheduler``; ``None`` (a local cluster) without."""
    if not scheduler:
        return None
    from distributed import Client  # the optional 'distributed' extra

    return Client(scheduler)


@app.command("run")
def foresight_run(
    file: ModelArg,
    n: Annotated[int, typer.Option(help=f"Scenarios ({foresight.MIN_RUN_SCENARIOS} or "
                                        f"more).")] = 20_000,
    seed: Annotated[int, typer.Option(help="Seed (with the chunk size, reproduces every run).")]
    = 0,
    method: Annotated[str, typer.Option(help="Sampling: lhs or sobol.")] = "lhs",
    backend: Annotated[Backend, typer.Option(help="local (this process) or dask "
                                                  "(chunks across workers).")] = Backend.local,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address; default: a "
                                                       "LocalCluster on this machine.")] = None,
    out: Annotated[Path, typer.Option(help="Folder for inputs and KPI paths (Parquet).")]
    = Path("out/foresight"),
    format: FormatOption = Format.table,
) -> None:
    """Run the ensemble; write sampled inputs and KPI paths (one column per KPI) as Parquet."""
    model = load(file)
    scenarios(model, n, foresight.MIN_RUN_SCENARIOS,
              None if backend == Backend.dask else False)
    if method not in ("lhs", "sobol"):
        fail(f"--method: unknown sampling method {method!r}; use lhs or sobol")
    with progress("scenarios", interactive(), unit="scenarios") as cb:
        if backend == Backend.dask:
            summary = run_distributed(model, n, out, client=dask_client(scheduler), seed=seed,
                                      method=method, progress=cb)
        else:
            ensemble = foresight.run(model, n, seed=seed, method=method, store_states=False,
                                     progress=cb)
            ensemble.report(out)  # the same parts and summary as the Dask backend
            summary = ensemble.to_json()
    if format == Format.json:
        print_json(summary, ensure_ascii=True)
        return
    console.print(f"wrote {out}/kpis/, inputs/ (Parquet) and summary.json ({n:,} scenarios, "
                  f"{backend.value} backend)")


@app.command("analyse")
def foresight_analyse(
    file: ModelArg,
    n: Annotated[int, typer.Option(help=f"Scenarios ({foresight.MIN_ANALYSE_SCENARIOS} or "
                                        f"more).")] = 20_000,
    seed: Annotated[int, typer.Option()] = 0,
    k: Annotated[str, typer.Option(help="Groups: a number from 2 to 20, or 'auto' "
                                        "(best silhouette, 2–12).")] = "9",
    format: FormatOption = Format.table,
) -> None:
    """Run and analyse: groups, branching years with drivers, input drivers, ratings."""
    model = load(file)
    kk = groups(k)
    scenarios(model, n, foresight.MIN_ANALYSE_SCENARIOS, "float16")
    # factor paths in half precision: half the memory, ample for the branch analysis
    analysis = foresight.analyse(foresight.run(model, n, seed=seed, store_states="float16"),
                                 kk, seed=seed, transitions_every=3)
    doc = analysis.to_json()
    if format == Format.json:
        print_json(doc)
        return
    families = sorted(model.families)
    names = list(analysis.to_frame()["group"])
    print_table(f"{model.model.title or model.model.name}: {analysis.k} groups from {n:,} "
                f"scenarios", ["group", "share", *families],
                [(names[g], f"{100 * analysis.shares[g]:.1f} %",
                  *[analysis.ratings[g].get(f, "") for f in families])
                 for g in range(analysis.k)])
    for node in reversed(doc["scenario_tree"]):
        sides = " | ".join("".join(names[g] for g in side) for side in _sides(doc, node))
        if node["branch_year"] is None and node["smaller_side"] < node["min_side"]:
            out_console.print(f"no split: {sides} (the smaller side has "
                              f"{node['smaller_side']} scenarios, fewer than the "
                              f"{node['min_side']} a split needs)", highlight=False)
        elif node["branch_year"] is None:
            out_console.print(f"no split: {sides} (slices of one continuum)", highlight=False)
        else:
            out_console.print(f"branch {node['branch_year']}: {sides} (driver "
                              f"{node['driver_kind']} {node['driver']})", highlight=False)


def _sides(doc: dict[str, Any], node: dict[str, Any]) -> list[list[int]]:
    """The groups on each side of a node of the scenario tree."""
    k = doc["k"]
    return [[child] if child < k else doc["scenario_tree"][child - k]["groups"]
            for child in node["children"]]


@app.command("report")
def foresight_report(
    file: ModelArg,
    n: Annotated[int, typer.Option(help=f"Scenarios ({foresight.MIN_ANALYSE_SCENARIOS} or "
                                        f"more).")] = 20_000,
    seed: Annotated[int, typer.Option()] = 0,
    k: Annotated[str, typer.Option(help="Groups: a number from 2 to 20, or 'auto' "
                                        "(best silhouette, 2–12).")] = "9",
    out: Annotated[Path, typer.Option(help="Folder for report.html and analysis.json.")]
    = Path("out/foresight-report"),
) -> None:
    """Run, analyse and write the HTML report: fan chart per group, scenario tree with branch
    years, driver table, ratings (and analysis.json)."""
    check_out(out, command="foresight report")  # refused before the work (reviews 233, 235)
    model = load(file)
    kk = groups(k)
    scenarios(model, n, foresight.MIN_ANALYSE_SCENARIOS, "float16")
    with progress("scenarios", interactive(), unit="scenarios") as cb:
        ensemble = foresight.run(model, n, seed=seed, store_states="float16", progress=cb)
    analysis = foresight.analyse(ensemble, kk, seed=seed, transitions_every=1)
    with atomic_dir(out, record="foresight report") as tmp:
        analysis.report(tmp)
    console.print(f"wrote {out}/report.html and analysis.json")


@app.command("describe")
def foresight_describe(file: ModelArg) -> None:
    """Print the model documented factor by factor (Markdown)."""
    sys.stdout.write(describe_markdown(load(file)))
