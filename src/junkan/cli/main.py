"""``junkan`` command line: validate, simulate and compare lifecycle models, write reports.

Errors in input (:class:`JunkanError`) print one line per problem to stderr and exit with
code 2; nothing is written then. Outputs are written to a temporary folder and moved into place
only when complete.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from junkan.cli.admin import admin_app
from junkan.core.encoding import jsonable
from junkan.core.errors import JunkanError
from junkan.data import library_names
from junkan.indicators.compute import scenario_indicators
from junkan.lifecycle import compare as compare_scenarios
from junkan.lifecycle import load_model, simulate
from junkan.lifecycle.api import ModelFile
from junkan.lifecycle.report import write_report
from junkan.lifecycle.results import Result
from junkan.lifecycle.schema import LifecycleModel

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="junkan (循環): circular-economy lifecycle simulation.")
console = Console(stderr=True)
out_console = Console()


class Format(StrEnum):
    table = "table"
    json = "json"


def _fail(exc: JunkanError) -> None:
    for line in str(exc).splitlines():
        console.print(f"[red]error[/red] {line}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(2)


def _load(path: Path) -> ModelFile:
    try:
        return load_model(path)
    except JunkanError as exc:
        _fail(exc)
        raise  # unreachable


@contextmanager
def _progress(total_label: str, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    if not enabled:
        yield None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/"
                  "{task.total} years"), TimeElapsedColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task(total_label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@contextmanager
def _atomic_dir(target: Path) -> Iterator[Path]:
    """Write into a temporary sibling folder; replace ``target`` only on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if target.exists():
        backup = target.with_name(f".{target.name}.old")
        shutil.rmtree(backup, ignore_errors=True)
        target.rename(backup)
        tmp.rename(target)
        shutil.rmtree(backup, ignore_errors=True)
    else:
        tmp.rename(target)


def _write_tables(result: Result, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in result.tables().items():
        df.to_csv(folder / f"{name}.csv", index=False)
        df.to_parquet(folder / f"{name}.parquet", index=False)


def _headline_table(doc: dict[str, Any]) -> Table:
    """Figures as rows, scenarios as columns (fits a narrow terminal)."""
    table = Table(title=f"{doc.get('title') or doc['model']}")
    table.add_column("figure")
    for s in doc["scenarios"]:
        table.add_column(s["name"], justify="right")
    keys: list[str] = []
    for s in doc["scenarios"]:
        keys += [k for k in s["headline"] if k not in keys]
    for k in keys:
        table.add_row(k, *[f"{s['headline'][k]:.4g}" if k in s["headline"] else "–"
                           for s in doc["scenarios"]])
    for k in ("co2e_t", "virgin_input_t", "recycled_share", "reuse_rate", "final_disposal_t"):
        table.add_row(f"Δ {k} vs baseline", *[f"{s['change_vs_baseline'][k]:+.4g}"
                                             for s in doc["scenarios"]])
    return table


ModelArg = Annotated[Path, typer.Argument(help="Model file (YAML or JSON).")]


@app.command()
def validate(model: ModelArg) -> None:
    """Check a model and every scenario; print a summary or the problems (exit 2)."""
    mf = _load(model)
    c = mf.compiled[mf.baseline.baseline_name]
    out_console.print(
        f"[green]ok[/green] {model}: model '{mf.name}', {len(mf.scenarios)} scenario(s) "
        f"({', '.join(mf.scenarios)}), {len(c.products)} product(s), {len(c.parts)} part "
        f"type(s), {len(c.inst_type)} part instance(s), {len(c.materials)} material(s), "
        f"{len(c.processes)} process(es), years {c.years[0]}–{c.years[-1]}", highlight=False)


@app.command("simulate")
def simulate_cmd(
    model: ModelArg,
    scenario: Annotated[str | None, typer.Option(help="Scenario (default: baseline).")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for CSV, Parquet and summary.json.")]
    = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Simulate one scenario; print its totals, write tables with --out."""
    mf = _load(model)
    name = scenario or mf.baseline.baseline_name
    if name not in mf.compiled:
        _fail(JunkanError(f"{model}: unknown scenario '{name}'; known: "
                          f"{', '.join(mf.scenarios)}"))
    try:
        with _progress(f"simulating {name}", not quiet and sys.stderr.isatty()) as cb:
            result = simulate(mf, name, cb)
        summary = {"model": mf.name, "scenario": name, "totals": result.totals(),
                   "by_actor": result.by_actor(), "co2e_t_by_stage": result.by_stage(),
                   "mass_balance_max_relative_error": result.raw.balance_error}
        if out is not None:
            with _atomic_dir(out) as tmp:
                _write_tables(result, tmp)
                (tmp / "summary.json").write_text(json.dumps(jsonable(summary), indent=2,
                                                             ensure_ascii=False))
    except JunkanError as exc:
        _fail(exc)
    table = Table(title=f"{mf.name} / {name}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for k, v in result.totals().items():
        table.add_row(k, f"{v:,.6g}")
    out_console.print(table)
    if out is not None:
        console.print(f"wrote {out}/ (CSV, Parquet, summary.json)")


@app.command("compare")
def compare_cmd(
    model: ModelArg,
    format: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
    out: Annotated[Path | None, typer.Option(help="Folder for compare.json, report.html and "
                                                  "per-scenario tables.")] = None,
) -> None:
    """Simulate every scenario and show them side by side."""
    mf = _load(model)
    try:
        results: dict[str, Result] = {}
        with _progress("simulating", sys.stderr.isatty() and format == Format.table) as cb:
            for name in mf.scenarios:
                results[name] = simulate(mf, name, cb)
        doc = jsonable(compare_scenarios(mf, results, indicator_hook=scenario_indicators))
        if out is not None:
            with _atomic_dir(out) as tmp:
                (tmp / "compare.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False))
                base = results[mf.baseline.baseline_name].tables()["indicators"]
                for name, res in results.items():
                    _write_tables(res, tmp / name)
                    delta = res.tables()["indicators"].set_index("year") - base.set_index("year")
                    delta.reset_index().to_csv(tmp / name / "indicators_vs_baseline.csv",
                                               index=False)
                write_report(tmp / "report.html", doc, results)
    except JunkanError as exc:
        _fail(exc)
    if format == Format.json:
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    else:
        out_console.print(_headline_table(doc))
    if out is not None:
        console.print(f"wrote {out}/report.html, compare.json and tables per scenario")


@app.command()
def report(
    model: ModelArg,
    out: Annotated[Path, typer.Option(help="Folder for report.html.")] = Path("out/report"),
) -> None:
    """Write the HTML report (Sankey per scenario, indicator charts) of a model."""
    mf = _load(model)
    try:
        results = {name: simulate(mf, name) for name in mf.scenarios}
        doc = jsonable(compare_scenarios(mf, results))
        with _atomic_dir(out) as tmp:
            write_report(tmp / "report.html", doc, results)
    except JunkanError as exc:
        _fail(exc)
    console.print(f"wrote {out}/report.html")


network_app = typer.Typer(no_args_is_help=True, help="Resource-circulation network planning.")
app.add_typer(network_app, name="network")


@network_app.command("cflp")
def network_cflp(
    file: Annotated[Path, typer.Argument(help="OR-Library capacitated location file.")],
    capacity: Annotated[float | None, typer.Option(help="Set every site's capacity (the "
                                                        "OR-Library variants).")] = None,
    format: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Solve a capacitated facility location instance to optimality (split demand, strong
    linking constraints) with HiGHS."""
    from junkan.network import read_orlib, solve_cflp

    try:
        sol = solve_cflp(read_orlib(file), capacity=capacity)
    except JunkanError as exc:
        _fail(exc)
        return
    doc = {"instance": file.stem, "objective": sol.objective, "open_sites": sol.open_sites,
           "mip_gap": sol.mip_gap, "seconds": sol.seconds, "status": sol.status}
    if format == Format.json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        out_console.print(f"{file.stem}: objective {sol.objective:,.3f}; open sites "
                          f"{', '.join(map(str, sol.open_sites))}; {sol.seconds:.3f} s "
                          f"({sol.status})", highlight=False)


def _network(file: Path) -> Any:
    from junkan.core.documents import read_document, validate_with
    from junkan.network.plan import build
    from junkan.network.scenario import NetworkScenario

    try:
        return build(validate_with(NetworkScenario, read_document(file), str(file)), str(file))
    except JunkanError as exc:
        _fail(exc)


@network_app.command("solve")
def network_solve(
    file: Annotated[Path, typer.Argument(help="Network scenario (YAML or JSON).")],
    format: Annotated[Format, typer.Option("--format")] = Format.table,
    carbon_price: Annotated[float | None, typer.Option(help="JPY per tCO2e (overrides the "
                                                            "file).")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for plan.json, maps and report.")]
    = None,
) -> None:
    """Choose hubs and flows at least cost (+ carbon price), to optimality within the gap."""
    from junkan.network.plan import solve
    from junkan.network.report import plan_document, write_report

    net = _network(file)
    try:
        plan = solve(net, carbon_price=carbon_price)
        if out is not None:
            with _atomic_dir(out) as tmp:
                write_report(plan, tmp, net.scenario.title or net.scenario.name)
    except JunkanError as exc:
        _fail(exc)
        return
    doc = plan_document(plan)
    if format == Format.json:
        sys.stdout.write(json.dumps(jsonable({k: v for k, v in doc.items() if k != "flows"}),
                                    indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title=f"{net.scenario.title or net.scenario.name}: cost "
                        f"{plan.cost:,.0f} JPY/yr, CO2e {plan.co2_t:,.0f} t/yr, gap "
                        f"{100 * plan.mip_gap:.3f} %, {plan.seconds:.1f} s")
    for col in ("hub", "capacity t/yr", "inflow t/yr", "utilisation"):
        table.add_column(col, justify="left" if col == "hub" else "right")
    for h in plan.open_hubs:
        table.add_row(h["hub"], f"{h['capacity_t']:,.0f}", f"{h['inflow_t']:,.0f}",
                      f"{100 * h['utilisation']:.0f} %")
    out_console.print(table)


@network_app.command("pareto")
def network_pareto(
    file: Annotated[Path, typer.Argument(help="Network scenario (YAML or JSON).")],
    points: Annotated[int, typer.Option(min=2, max=30, help="Points on the front.")] = 6,
    format: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Cost–CO2 Pareto front by the ε-constraint method."""
    from junkan.network.plan import pareto

    net = _network(file)
    try:
        front = pareto(net, points)
    except JunkanError as exc:
        _fail(exc)
        return
    rows = [{"co2_t": p.co2_t, "cost_JPY": p.cost, "hubs": len(p.open_hubs),
             "mip_gap": p.mip_gap} for p in front]
    if format == Format.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title="Cost–CO2 Pareto front")
    for col in ("CO2e t/yr", "cost JPY/yr", "hubs"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(f"{r['co2_t']:,.0f}", f"{r['cost_JPY']:,.0f}", str(r["hubs"]))
    out_console.print(table)


@network_app.command("report")
def network_report(
    file: Annotated[Path, typer.Argument(help="Network scenario (YAML or JSON).")],
    out: Annotated[Path, typer.Option(help="Folder for the report.")] = Path("out/network"),
    points: Annotated[int, typer.Option(min=2, max=30)] = 5,
) -> None:
    """Plan, maps (PNG, SVG, interactive HTML), Pareto front and sensitivity to carbon price
    and collection rate."""
    from junkan.network.plan import pareto, sensitivity, solve
    from junkan.network.report import write_report

    net = _network(file)
    try:
        plan = solve(net)
        front = pareto(net, points)
        sens = sensitivity(net, carbon_prices=[0, 10_000, 50_000, 100_000],
                           collection_rates=[0.8, 0.9, 1.0])
        with _atomic_dir(out) as tmp:
            write_report(plan, tmp, net.scenario.title or net.scenario.name, front, sens)
    except JunkanError as exc:
        _fail(exc)
        return
    console.print(f"wrote {out}/report.html, map.png, map.svg, plan.json")


foresight_app = typer.Typer(no_args_is_help=True, help="Future-scenario ensembles.")
app.add_typer(foresight_app, name="foresight")


def _causal(file: Path) -> Any:
    from junkan.foresight import load_causal_model

    try:
        return load_causal_model(file)
    except JunkanError as exc:
        _fail(exc)


class Backend(StrEnum):
    local = "local"
    dask = "dask"


@foresight_app.command("run")
def foresight_run(
    file: Annotated[Path, typer.Argument(help="Causal model (YAML or JSON).")],
    n: Annotated[int, typer.Option(min=10, help="Scenarios.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Seed (with the chunk size, reproduces every run).")]
    = 0,
    method: Annotated[str, typer.Option(help="Sampling: lhs or sobol.")] = "lhs",
    backend: Annotated[Backend, typer.Option(help="local (this process) or dask "
                                                  "(chunks across workers).")] = Backend.local,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address; default: a "
                                                       "LocalCluster on this machine.")] = None,
    out: Annotated[Path, typer.Option(help="Folder for inputs and KPI paths (Parquet).")]
    = Path("out/foresight"),
    format: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Run the ensemble; write sampled inputs and KPI paths (one column per KPI) as Parquet."""
    from junkan.foresight import run_ensemble
    from junkan.foresight.distributed import run_distributed, summary_document, write_part

    c = _causal(file)
    if method not in ("lhs", "sobol"):
        _fail(JunkanError(f"--method: unknown sampling method {method!r}; use lhs or sobol"))
    with _progress("scenarios", sys.stderr.isatty()) as cb:
        prog = (lambda d, t: cb(d, t)) if cb else None
        if backend == Backend.dask:
            client = None
            if scheduler:
                from distributed import Client

                client = Client(scheduler)
            summary = run_distributed(c, n, out, client=client, seed=seed, method=method,
                                      progress=prog)
        else:
            ens = run_ensemble(c, n, seed=seed, method=method, store_states=False,
                               progress=prog)
            with _atomic_dir(out) as tmp:  # the same parts and summary as the Dask backend
                (tmp / "kpis").mkdir()
                (tmp / "inputs").mkdir()
                sums = write_part(c, ens.kpis, ens.inputs, 0, tmp, "part-00000.parquet")
                summary = summary_document(c, n, seed, ens.chunk, method, sums["sum"],
                                           sums["sumsq"])
                (tmp / "summary.json").write_text(json.dumps(summary, indent=2))
    if format == Format.json:
        sys.stdout.write(json.dumps(jsonable(summary), indent=2) + "\n")
        return
    console.print(f"wrote {out}/kpis/, inputs/ (Parquet) and summary.json ({n:,} scenarios, "
                  f"{backend.value} backend)")


def _k_option(k: str) -> int | str:
    if k == "auto":
        return k
    if not k.isdigit() or not 2 <= int(k) <= 20:
        _fail(JunkanError(f"--k: give a number of groups from 2 to 20, or 'auto' (got {k!r})"))
    return int(k)


@foresight_app.command("analyse")
def foresight_analyse(
    file: Annotated[Path, typer.Argument(help="Causal model (YAML or JSON).")],
    n: Annotated[int, typer.Option(min=10)] = 20_000,
    seed: Annotated[int, typer.Option()] = 0,
    k: Annotated[str, typer.Option(help="Groups: a number, or 'auto' (silhouette, 6–12).")]
    = "9",
    format: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Run and analyse: groups, branching years with drivers, input drivers, ratings."""
    from junkan.foresight import run_ensemble
    from junkan.foresight.analysis import analyse, document
    from junkan.foresight.report import group_name

    c = _causal(file)
    kk = _k_option(k)
    ens = run_ensemble(c, n, seed=seed)
    res = analyse(ens, kk, seed=seed, transitions_every=3)
    doc = document(ens, res)
    if format == Format.json:
        sys.stdout.write(json.dumps(jsonable(doc), indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title=f"{c.model.title or c.model.name}: {res.k} groups from {n:,} scenarios")
    for col in ("group", "share", *sorted(c.families)):
        table.add_column(col)
    for g in range(res.k):
        table.add_row(group_name(g), f"{100 * res.shares[g]:.1f} %",
                      *[res.ratings[g].get(f, "") for f in sorted(c.families)])
    out_console.print(table)
    for node in reversed(doc["scenario_tree"]):
        names = "".join(group_name(g) for g in node["groups"])
        out_console.print(f"branch {node['branch_year']}: {names} (driver {node['driver']})",
                          highlight=False)


@foresight_app.command("report")
def foresight_report(
    file: Annotated[Path, typer.Argument(help="Causal model (YAML or JSON).")],
    n: Annotated[int, typer.Option(min=10)] = 20_000,
    seed: Annotated[int, typer.Option()] = 0,
    k: Annotated[str, typer.Option(help="Groups: a number, or 'auto'.")] = "9",
    out: Annotated[Path, typer.Option(help="Folder for report.html and analysis.json.")]
    = Path("out/foresight-report"),
) -> None:
    """Run, analyse and write the HTML report: fan chart per group, scenario tree with branch
    years, driver table, ratings (and analysis.json)."""
    from junkan.foresight import run_ensemble
    from junkan.foresight.analysis import analyse, document
    from junkan.foresight.report import write_report

    c = _causal(file)
    kk = _k_option(k)
    with _progress("scenarios", sys.stderr.isatty()) as cb:
        ens = run_ensemble(c, n, seed=seed, progress=(lambda d, t: cb(d, t)) if cb else None)
    res = analyse(ens, kk, seed=seed, transitions_every=1)
    with _atomic_dir(out) as tmp:
        write_report(ens, res, tmp)
        (tmp / "analysis.json").write_text(json.dumps(jsonable(document(ens, res)),
                                                      indent=2, ensure_ascii=False))
    console.print(f"wrote {out}/report.html and analysis.json")


@foresight_app.command("describe")
def foresight_describe(
    file: Annotated[Path, typer.Argument(help="Causal model (YAML or JSON).")],
) -> None:
    """Print the model documented factor by factor (Markdown)."""
    from junkan.foresight.describe import describe_markdown

    sys.stdout.write(describe_markdown(_causal(file)))


alloy_app = typer.Typer(no_args_is_help=True, help="ELV aluminium: predict, plan, grade, "
                        "update.")
app.add_typer(alloy_app, name="alloy")


def _alloy_request(cls: Any, file: Path) -> Any:
    from junkan.core.documents import read_document, validate_with

    try:
        return validate_with(cls, read_document(file), str(file))
    except JunkanError as exc:
        _fail(exc)


def _alloy_run(fn: Any, req: Any, file: Path) -> dict[str, Any]:
    from junkan.alloys.plan import PlanError

    try:
        return dict(fn(req))
    except PlanError as exc:
        _fail(JunkanError(f"{file}: {exc}"))
    except ValueError as exc:
        _fail(JunkanError(f"{file}: {exc}"))
    raise AssertionError  # unreachable


def _alloy_doc(cls: Any, fn: Any, file: Path, format: Format) -> dict[str, Any] | None:
    """Read and validate the request file, run it; print JSON and return None for
    ``--format json``, else return the document for a table."""
    doc = _alloy_run(fn, _alloy_request(cls, file), file)
    if format == Format.json:
        sys.stdout.write(json.dumps(jsonable(doc), indent=2, ensure_ascii=False) + "\n")
        return None
    return doc


def _alloy_table(title: str, rows: Sequence[Sequence[Any]], cols: tuple[str, ...]) -> None:
    table = Table(title=title)
    for c in cols:
        table.add_column(c)
    for r in rows:
        table.add_row(*[str(x) for x in r])
    out_console.print(table)


@alloy_app.command("predict")
def alloy_predict(
    file: Annotated[Path, typer.Argument(help="Feed plan (YAML/JSON): vehicles, remove, "
                                              "grain_mm; optional sorter, buyer, samples.")],
    format: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Predict the recovered fractions with mass and composition (Monte Carlo)."""
    from junkan.alloys.service import PredictRequest, predict_document

    doc = _alloy_doc(PredictRequest, predict_document, file, format)
    if doc is None:
        return
    els = ("Si", "Fe", "Cu", "Mn", "Mg", "Zn", "Li")
    rows = []
    for fr, d in doc["fractions"].items():
        comp = d["composition_wt_pct"]
        rows.append((fr, f"{d['mass_kg']['mean']:,.0f} ± {d['mass_kg']['sd']:,.0f}",
                     *[f"{comp[e]['mean']:.3g} ({comp[e]['p5']:.3g}–{comp[e]['p95']:.3g})"
                       for e in els]))
    _alloy_table(f"{doc['vehicles']:g} vehicles at {doc['grain_mm']:g} mm "
                 f"({doc['throughput_t_per_h']:.1f} t/h); wt %: mean (5–95 %)", rows,
                 ("fraction", "kg", *els))
    af = doc["al_fraction"]
    out_console.print(f"Al fraction: Al share {af['al_share']['mean']:.3f}, wrought share "
                      f"{af['wrought_share']['mean']:.3f}, Al recovery "
                      f"{af['al_recovery']['mean']:.3f}", highlight=False)
    if "grade_al_fraction" in doc:
        g = doc["grade_al_fraction"]
        out_console.print(f"{g['buyer']}: P(met) {g['probability_met']:.2f}, expected "
                          f"{g['expected_price_JPY_per_kg']:.0f} JPY/kg, most limiting "
                          f"{g['most_limiting']}", highlight=False)


@alloy_app.command("plan")
def alloy_plan(
    file: Annotated[Path, typer.Argument(help="Plan request (YAML/JSON): stock, buyer, "
                                              "probability, grain_mm, capacity_vehicles …")],
    format: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Choose the feed mix and parts to remove: best margin with the buyer's window met at
    the chosen probability (HiGHS)."""
    from junkan.alloys.service import PlanRequest, plan_document

    doc = _alloy_doc(PlanRequest, plan_document, file, format)
    if doc is None:
        return
    rows = [(v, f"{c:.1f}", ", ".join(f"{p} ×{n:.1f}" for p, n in
                                       doc["removals"].get(v, {}).items()))
            for v, c in doc["vehicles"].items() if c > 1e-6]
    _alloy_table(f"Plan for {doc['buyer']}: margin {doc['margin_JPY']:,.0f} JPY, product "
                 f"{doc['product_kg']:,.0f} kg, P(met) {doc['probability_met']:.3f}", rows,
                 ("vehicle", "shred", "remove first"))


@alloy_app.command("grade")
def alloy_grade(
    file: Annotated[Path, typer.Argument(help="Lot (YAML/JSON): composition (wt %), buyer.")],
    format: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Grade a lot against buyer specifications: met or not, margins, limiting element, price."""
    from junkan.alloys.service import GradeRequest, grade_document

    doc = _alloy_doc(GradeRequest, grade_document, file, format)
    if doc is None:
        return
    rows = [(g["buyer"], "yes" if g["met"] else "no", g["limiting_element"],
             f"{g['elements'][g['limiting_element']].get('margin', 0):+.3f}",
             f"{g['price_JPY_per_kg']:.0f}") for g in doc["grades"].values()]
    _alloy_table("Grade", rows, ("buyer", "met", "limiting", "margin (wt %)", "JPY/kg"))


@alloy_app.command("update")
def alloy_update(
    file: Annotated[Path, typer.Argument(help="Update request (YAML/JSON): feed, lots "
                                              "(lot, method, composition), buyer.")],
    estimates: Annotated[Path | None, typer.Option(help="Estimates JSON to start from and "
                                                        "to write back.")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for control-chart.html.")] = None,
    format: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Fold measured lots into the per-part composition estimates (Bayesian) and chart them.
    Re-plan with them: put the estimates file's content under ``estimates:`` in a plan
    request (``alloy plan``)."""
    from junkan.alloys.service import UpdateRequest, update_document
    from junkan.core.documents import read_document, validate_with

    try:
        raw = read_document(file)
        if estimates is not None and estimates.exists():
            raw["estimates"] = json.loads(estimates.read_text())
        req = validate_with(UpdateRequest, raw, str(file))
    except JunkanError as exc:
        _fail(exc)
    doc = _alloy_run(update_document, req, file)
    if out is not None and doc["control_charts"]:
        from importlib import resources as _res

        from junkan.alloys.feedback import chart_figure

        with _atomic_dir(out) as tmp:
            js = _res.files("plotly") / "package_data" / "plotly.min.js"
            (tmp / "plotly.min.js").write_bytes(js.read_bytes())
            html = chart_figure(doc["control_charts"]).to_html(include_plotlyjs=False)
            (tmp / "control-chart.html").write_text(html.replace(
                "<head>", "<head><script src='plotly.min.js'></script>", 1), encoding="utf-8")
    if estimates is not None:
        tmp = estimates.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc["estimates"]))
        tmp.replace(estimates)
    if format == Format.json:
        sys.stdout.write(json.dumps(jsonable(doc), indent=2, ensure_ascii=False) + "\n")
        return
    rows = [(c["key"], c["element"], f"{c['prior']:.3f}", f"{c['posterior']:.3f}",
             f"{c['posterior_sd']:.3f}") for c in doc["changed"][:30]]
    _alloy_table(f"Estimates after {doc['lots']} lots", rows,
                 ("part", "element", "prior", "posterior", "sd"))
    for e, ch in doc["control_charts"].items():
        flagged = [i + 1 for i, f in enumerate(ch["flags"]) if f]
        out_console.print(f"{e}: centre {ch['centre']:.3f}, UCL {ch['ucl']:.3f}, flagged lots "
                          f"{flagged or 'none'}", highlight=False)


@alloy_app.command("experiments")
def alloy_experiments(
    out: Annotated[Path, typer.Option(help="Folder for hypotheses.html and .json.")]
    = Path("out/alloy-hypotheses"),
) -> None:
    """Run seed 002's hypotheses I–V on the model and chart them."""
    from junkan.alloys.experiments import run_all

    with _atomic_dir(out) as tmp:
        res = run_all(tmp)
    for v in res.values():
        verdict = "supported" if v["supported"] else "NOT supported"
        out_console.print(f"{v['hypothesis']}: {verdict}", highlight=False)
    console.print(f"wrote {out}/hypotheses.html and hypotheses.json")


@alloy_app.command("library")
def alloy_library(format: Annotated[Format, typer.Option("--format")] = Format.table) -> None:
    """Vehicles, alloys, buyers and sorters shipped with junkan."""
    from junkan.alloys.data import load_library
    from junkan.alloys.sorter import shipped_sorters

    lib = load_library()
    if format == Format.json:
        doc = {"vehicles": {k: v.model_dump() for k, v in lib.vehicles.items()},
               "alloys": {k: v.model_dump() for k, v in lib.alloys.items()},
               "buyers": {k: v.model_dump() for k, v in lib.buyers.items()},
               "dismantling": {k: v.model_dump() for k, v in lib.dismantling.items()},
               "sorters": {k: v.model_dump() for k, v in shipped_sorters().items()}}
        sys.stdout.write(json.dumps(jsonable(doc), indent=2, ensure_ascii=False) + "\n")
        return
    _alloy_table("Vehicles", [(v.id, v.make, str(v.year), v.powertrain, f"{v.al_kg:.0f}")
                              for v in lib.vehicles.values()],
                 ("id", "make", "year", "powertrain", "Al kg"))
    _alloy_table("Buyers", [(k, b.name, ", ".join(f"{e} ≤ {x:g}" for e, x in b.max.items()))
                            for k, b in lib.buyers.items()], ("id", "name", "max wt %"))


trace_app = typer.Typer(no_args_is_help=True, help="Lot traceability: import events, show "
                        "lots, verify logs.")
app.add_typer(trace_app, name="trace")
app.add_typer(admin_app, name="admin")


def _trace_repo(database: str | None) -> Any:
    from junkan.store.db import Database, Settings
    from junkan.store.trace_repo import TraceRepo

    url = database or Settings().database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    db = Database(url)
    db.migrate()
    return TraceRepo(db)


@trace_app.command("import")
def trace_import(
    file: Annotated[Path, typer.Argument(help="Event batch: JSON/YAML {events: [...]} or CSV.")],
    org: Annotated[str, typer.Option(help="Organisation the events belong to.")],
    database: Annotated[str | None, typer.Option(help="Store URL (default: "
                                                     "JUNKAN_DATABASE_URL or var/junkan.db).")]
    = None,
    create_org: Annotated[bool, typer.Option(help="Create the organisation if missing.")]
    = False,
    format: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Sign and append a batch of events to the organisation's log (all or nothing);
    re-declarations recompute every downstream lot and notify its owners."""
    from junkan.store.repo import Store
    from junkan.trace.formats import read_batch

    try:
        batch = read_batch(file)
        repo = _trace_repo(database)
        if create_org and Store(repo.db).organisation_by_name(org) is None:
            Store(repo.db).create_organisation(org)
        res = repo.ingest(org, batch.events, source=str(file))
    except JunkanError as exc:
        _fail(exc)
    if format == Format.json:
        sys.stdout.write(json.dumps(jsonable(res.__dict__), indent=2) + "\n")
        return
    console.print(f"{res.events} events signed into {org}'s log (size {res.tree_size}, root "
                  f"{res.root[:16]}…); {res.lots_created} lots created"
                  + (f"; {res.recomputed} lots recomputed, notified {', '.join(res.notified)}"
                     if res.recomputed else ""))


@trace_app.command("org")
def trace_org(
    names: Annotated[list[str], typer.Argument(help="Organisation name(s) to register.")],
    database: Annotated[str | None, typer.Option(help="Store URL.")] = None,
) -> None:
    """Register organisations in the store (existing ones are left as they are)."""
    from junkan.store.repo import Store

    store = Store(_trace_repo(database).db)
    for name in names:
        if store.organisation_by_name(name) is None:
            store.create_organisation(name)
    console.print(f"registered {', '.join(names)}")


@trace_app.command("pact-serve")
def trace_pact_serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8443,
    cert_dir: Annotated[Path, typer.Option(help="Where the self-signed certificate is kept "
                                                "(made on first start).")]
    = Path("var/pact"),
) -> None:
    """Serve the PACT v3 API over HTTPS only (plain HTTP to the port fails). Clients get
    credentials from the platform (POST /api/clients) and use them at /auth/token."""
    import uvicorn

    from junkan.api.pact import create_pact_app, self_signed_certificate

    cert, key = self_signed_certificate(str(cert_dir), (host, "localhost"))
    console.print(f"PACT v3 host on https://{host}:{port} (certificate {cert})")
    uvicorn.run(create_pact_app(), host=host, port=port, ssl_certfile=cert, ssl_keyfile=key,
                log_level="warning")


@trace_app.command("show")
def trace_show(
    lot: Annotated[str, typer.Argument(help="Lot id.")],
    org: Annotated[str, typer.Option(help="Organisation asking (what it may see).")],
    database: Annotated[str | None, typer.Option(help="Store URL.")] = None,
    format: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """A lot with its derived CFP and recycled share, as ``--org`` may see it."""
    try:
        doc = _trace_repo(database).show(org, lot)
    except JunkanError as exc:
        _fail(exc)
    if format == Format.json:
        sys.stdout.write(json.dumps(jsonable(doc), indent=2, ensure_ascii=False) + "\n")
        return
    c, r = doc["cfp_kgco2e"], doc["recycled"]
    out_console.print(f"lot {doc['lot']} ({doc['material']}, {doc['mass_kg']:g} kg) held by "
                      f"{doc['owner']}, made by {doc['creator']} [{doc['custody']}]",
                      highlight=False)
    out_console.print(f"CFP {c['total']:g} kg CO2e ({c['per_kg']:.4g} per kg; fossil "
                      f"{c['fossil']:g}, biogenic {c['biogenic']:g}); recycled "
                      f"{100 * r['total']:.2f} % (pre {100 * r['pre_consumer']:.2f} %, post "
                      f"{100 * r['post_consumer']:.2f} %)", highlight=False)
    if doc["inputs"]:
        out_console.print("inputs: " + ", ".join(f"{i['lot']} {i['mass_kg']:g} kg"
                                                 for i in doc["inputs"]), highlight=False)


@trace_app.command("verify")
def trace_verify(
    org: Annotated[list[str] | None, typer.Option(help="Organisation(s); default: all.")]
    = None,
    database: Annotated[str | None, typer.Option(help="Store URL.")] = None,
    format: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Check every log: record hashes, Ed25519 signatures, Merkle root against the signed
    checkpoint, lots against their events. Exit 1 if anything was changed."""
    from sqlalchemy import select

    from junkan.store.tables import Organisation

    repo = _trace_repo(database)
    with repo.db.session() as s:
        names = org or list(s.scalars(select(Organisation.name).order_by(Organisation.name)))
    try:
        results = [repo.verify(n) for n in names]
    except JunkanError as exc:
        _fail(exc)
    if format == Format.json:
        sys.stdout.write(json.dumps([r.__dict__ for r in results], indent=2) + "\n")
    else:
        for r in results:
            mark = "[green]ok[/green]" if r.ok else "[red]FAILED[/red]"
            console.print(f"{mark} {r.org}: {r.events} events")
            for p in r.problems:
                console.print(f"   {p}", highlight=False)
    if not all(r.ok for r in results):
        raise typer.Exit(1)


class IndicatorFormat(StrEnum):
    table = "table"
    json = "json"
    html = "html"


@app.command()
def indicators(
    file: Annotated[Path, typer.Argument(help="A flow model (inflows/outflows) or a lifecycle "
                                              "model (YAML or JSON).")],
    framework: Annotated[list[str], typer.Option(help="mci, cti, iso59020, esrs-e5, rap or "
                                                      "all (repeatable).")] = ["all"],  # noqa: B006
    format: Annotated[IndicatorFormat, typer.Option("--format")] = IndicatorFormat.table,
    out: Annotated[Path | None, typer.Option(help="Folder for indicators.html (html).")] = None,
    years: Annotated[str | None, typer.Option(help="Lifecycle models: year window, "
                                                   "e.g. 2030-2044.")] = None,
) -> None:
    """Circularity indicators (MCI, CTI, ISO 59020, ESRS E5, RAP) of a flow model, or of every
    scenario of a lifecycle model."""
    from junkan.core.documents import read_document
    from junkan.indicators import compute, from_lifecycle, load_flow_model
    from junkan.indicators.catalogue import tradeoff_warnings
    from junkan.indicators.report import as_json, indicators_html
    from junkan.indicators.values import IndicatorInputError

    try:
        doc = read_document(file)
        sections: list[tuple[str, Any, dict[str, Any], list[str]]] = []
        if "inflows" in doc or "outflows" in doc:
            fm = load_flow_model(doc=doc, source=str(file))
            sections.append((fm.name, fm, compute(fm, framework), []))
        else:
            mf = _load(file)
            window = None
            if years:
                lo, _, hi = years.partition("-")
                window = (int(lo), int(hi or lo))
            runs = {n: simulate(mf, n) for n in mf.scenarios}
            base = runs[mf.baseline.baseline_name].totals()
            for name, run in runs.items():
                fm = from_lifecycle(run, window)
                tot = run.totals()
                warn = tradeoff_warnings({k: tot[k] - base[k] for k in tot})
                sections.append((name, fm, compute(fm, framework), warn))
    except (IndicatorInputError, KeyError) as exc:
        _fail(JunkanError(f"{file}: {exc.args[0] if exc.args else exc}"))
        return
    except JunkanError as exc:
        _fail(exc)
        return
    if format == IndicatorFormat.json:
        sys.stdout.write(json.dumps(jsonable({name: {"indicators": as_json(res),
                                                     "tradeoff_warnings": warn}
                                              for name, _, res, warn in sections}),
                                    indent=2, ensure_ascii=False) + "\n")
    elif format == IndicatorFormat.html:
        target = out or Path("out") / "indicators"
        with _atomic_dir(target) as tmp:
            from importlib import resources

            js = resources.files("plotly") / "package_data" / "plotly.min.js"
            (tmp / "plotly.min.js").write_bytes(js.read_bytes())
            (tmp / "indicators.html").write_text(
                indicators_html(sections, f"Circularity indicators — {file.name}"), "utf-8")
        console.print(f"wrote {target}/indicators.html")
    else:
        for name, _, found, warn in sections:
            table = Table(title=f"{name}")
            table.add_column("indicator")
            table.add_column("value", justify="right")
            table.add_column("formula")
            for inds in found.values():
                for i in inds:
                    table.add_row(i.key, i.display(), i.formula)
            out_console.print(table)
            for w in warn:
                out_console.print(f"[yellow]⚠ {w}[/yellow]")


@app.command()
def schema(out: Annotated[Path | None, typer.Option(help="Write to this file.")] = None) -> None:
    """Print (or write) the JSON Schema of the model format."""
    text = json.dumps(LifecycleModel.model_json_schema(), indent=2, ensure_ascii=False)
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")


@app.command()
def library() -> None:
    """List the library templates a model can import with ``uses:``."""
    for name in library_names():
        out_console.print(name)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8000,
    seed: Annotated[bool, typer.Option(help="Create the demo organisations, users and "
                                            "example models if missing.")] = False,
    database_url: Annotated[str | None, typer.Option(
        help="SQLAlchemy URL (default: $JUNKAN_DATABASE_URL or sqlite:///var/junkan.db).")]
    = None,
    production: Annotated[bool, typer.Option(
        "--production", help="Refuse to start without TLS (--tls-cert/--tls-key) or a "
        "--trusted-proxy; Secure cookies, HSTS; never demo users.")] = False,
    tls_cert: Annotated[str | None, typer.Option(help="PEM certificate for HTTPS.")] = None,
    tls_key: Annotated[str | None, typer.Option(help="PEM private key for HTTPS.")] = None,
    trusted_proxy: Annotated[str | None, typer.Option(
        help="Address of the TLS-terminating proxy whose X-Forwarded-* headers are "
             "trusted.")] = None,
) -> None:
    """Start the API and web UI (OpenAPI at /docs)."""
    import uvicorn

    from junkan.api import create_app
    from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
    from junkan.api.startup import production_problems
    from junkan.store.db import Settings

    overrides: dict[str, Any] = {k: v for k, v in {
        "database_url": database_url, "tls_certfile": tls_cert, "tls_keyfile": tls_key,
        "trusted_proxy": trusted_proxy}.items() if v is not None}
    if production:
        overrides["production"] = True
    settings = Settings(**overrides)
    if settings.production:
        problems = production_problems(settings, seed=seed)
        if problems:
            for p in problems:
                console.print(f"[red]refused:[/red] {p}", highlight=False)
            raise typer.Exit(2)
    application = create_app(settings, seed=seed)
    scheme = "https" if settings.tls_certfile else "http"
    console.print(f"junkan on [bold]{scheme}://{host}:{port}/[/bold]  (API docs: /docs, "
                  f"store: {_redacted(settings.database_url)})", highlight=False)
    if seed:
        console.print(f"sign in as [bold]{DEMO_EMAIL}[/bold] / [bold]{DEMO_PASSWORD}[/bold]",
                      highlight=False)
    uvicorn.run(application, host=host, port=port, log_level="info",
                ssl_certfile=settings.tls_certfile, ssl_keyfile=settings.tls_keyfile,
                proxy_headers=settings.trusted_proxy is not None,
                forwarded_allow_ips=settings.trusted_proxy, server_header=False)


def _redacted(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
