"""``junkan network``: hub-and-flow planning and capacitated facility location (the verbs of
:mod:`junkan.network`)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from junkan import network
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
    reported,
)
from junkan.core.errors import JunkanError

app = typer.Typer(no_args_is_help=True, help="Resource-circulation network planning.")

WRITE_RESERVE_S = 8.0
"""Seconds ``report`` keeps for the cross-check, maps and pages after the solves (measured
about 5 s at load 6 on the shipped example)."""

ScenarioArg = Annotated[Path, typer.Argument(help="Network scenario (YAML or JSON).")]
FormatOption = Annotated[Format, typer.Option("--format")]
GapOption = Annotated[float | None, typer.Option(
    "--gap", min=1e-6, max=0.2, help="Relative MIP gap at which a solve stops (default: the "
    "scenario's; `report` uses 0.005).")]
TimeLimitOption = Annotated[float | None, typer.Option(
    "--time-limit", min=1, max=3600, help="Seconds per solve (default: the scenario's).")]
WorkersOption = Annotated[int, typer.Option(
    "--workers", min=1, max=16, help="Worker processes for the Pareto front and sensitivities.")]


class PeriodMethod(StrEnum):
    monolithic = "monolithic"
    rolling = "rolling"
    benders = "benders"


class FrontMethod(StrEnum):
    price = "price"
    cap = "cap"


def _fmt_gap(g: float) -> str:
    return f"{100 * g:.2f} %" if g == g and g < 1e6 else "—"


@contextmanager
def solve_progress(title: str) -> Iterator[Callable[[dict[str, Any]], None]]:
    """A listener for solver events: a live table on a terminal (which solve, gap,
    elapsed), else one line per finished solve on stderr saying what it reached."""
    lock = threading.Lock()
    started = time.perf_counter()
    if not interactive():
        def line(ev: dict[str, Any]) -> None:
            if ev.get("state") == "done":
                warm = ", warm start" if ev.get("warm") else ""
                console.print(f"  {ev['task']}: gap {_fmt_gap(ev['gap'])} in "
                              f"{ev['elapsed']:.1f} s{warm} "
                              f"(total {time.perf_counter() - started:.0f} s)", highlight=False)
            elif ev.get("state") == "improved":
                console.print(f"  {ev['task']}: a plan found for another question is better "
                              "here (cross-check)", highlight=False)
            elif ev.get("state") == "incumbent":
                console.print(f"  {ev['task']}: answer at {ev['elapsed']:.1f} s — cost "
                              f"{ev['cost']:,.0f} JPY/yr, {ev['hubs']} hubs, gap "
                              f"{_fmt_gap(ev['gap'])}", highlight=False)

        console.print(title, highlight=False)
        yield line
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"),
                  TextColumn("{task.fields[status]}"), TimeElapsedColumn(), console=console,
                  transient=False) as bar:
        rows: dict[int, Any] = {}
        bar.add_task(title, status="", total=None)

        def update(ev: dict[str, Any]) -> None:
            with lock:
                n = ev.get("index", 0)
                if n not in rows:
                    rows[n] = bar.add_task(str(ev.get("task", "solve")), status="starting",
                                           total=1)
                state = ev.get("state")
                if state == "running":
                    status = (f"gap {_fmt_gap(ev['gap'])}, best {ev['objective']:,.4g}"
                              if ev["objective"] < float("inf") else "searching")
                elif state == "done":
                    status = (f"[green]done[/green]: gap {_fmt_gap(ev['gap'])} in "
                              f"{ev['elapsed']:.1f} s" + (" (warm start)" if ev.get("warm")
                                                           else ""))
                elif state == "improved":
                    status = "[green]improved by cross-check[/green]"
                elif state == "incumbent":
                    status = (f"answer: cost {ev['cost']:,.4g} JPY/yr, {ev['hubs']} hubs, gap "
                              f"{_fmt_gap(ev['gap'])}")
                else:
                    status = "starting"
                bar.update(rows[n], status=status, completed=1 if state in ("done", "improved")
                           else 0)

        yield update


def process_age() -> float:
    """Seconds since this process started (Python's start-up and imports included; Linux's
    /proc), or 0 where that cannot be read."""
    import os

    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            start_ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


def load(file: Path) -> network.Network:
    """The scenario in ``file``, resolved, or exit 2 naming every problem."""
    try:
        return network.load(file)
    except JunkanError as exc:
        fail(exc)


def _finite_capacity(value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise typer.BadParameter(f"{value}: give a finite capacity ≥ 0")
    return value


def _carbon_price(value: float | None) -> float | None:
    try:
        return network.check_carbon_price(value)
    except JunkanError as exc:
        raise typer.BadParameter(str(exc)) from None


PLAN = "network solve or report"
"""The command a results folder of ``solve`` or ``report`` records: both write the same
files, so either replaces the other's."""


@app.command("cflp")
def network_cflp(
    file: Annotated[Path, typer.Argument(help="OR-Library capacitated location file.")],
    capacity: Annotated[float | None, typer.Option(
        help="Set every site's capacity (the OR-Library variants).",
        callback=_finite_capacity)] = None,
    time_limit: Annotated[float, typer.Option(
        "--time-limit", min=1, max=3600,
        help="Seconds the solve may take; it then gives its best plan with its gap.")
    ] = network.CFLP_TIME_LIMIT_S,
    format: FormatOption = Format.table,
) -> None:
    """Solve a capacitated facility location instance to optimality (split demand, strong
    linking constraints) with HiGHS."""
    with reported():
        sol = network.solve_cflp(network.read_orlib(file), capacity=capacity,
                                 time_limit=time_limit)
    if format == Format.json:
        print_json(sol.to_json(), ensure_ascii=True)
    else:
        out_console.print(f"{file.stem}: objective {sol.objective:,.3f}; open sites "
                          f"{', '.join(map(str, sol.open_sites))}; {sol.seconds:.3f} s "
                          f"({sol.status})", highlight=False)


def _stopped(plan: network.Plan) -> str:
    return (f"gap {_fmt_gap(plan.mip_gap)} (requested {_fmt_gap(plan.requested_gap)}; "
            f"{plan.stopped}), {plan.seconds:.1f} s")


@app.command("solve")
def network_solve(
    file: ScenarioArg,
    format: FormatOption = Format.table,
    carbon_price: Annotated[float | None, typer.Option(
        help="JPY per tCO2e, 0 to 1,000,000 (overrides the file).",
        callback=_carbon_price)] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for plan.json, maps and report.")]
    = None,
    gap: GapOption = None,
    time_limit: TimeLimitOption = None,
) -> None:
    """Choose hubs and flows at least cost (+ carbon price); stops at the gap (or time limit)
    and says which it reached."""
    check_out(out, command=PLAN)  # refused before the work (reviews 233, 235)
    net = load(file)
    title = net.scenario.title or net.scenario.name
    with reported(), solve_progress(f"solving {file.name}") as listen:
        def tick(ev: dict[str, Any]) -> None:
            listen({"index": 0, "task": "plan", "state": "running", **ev})

        def answer(p: network.Plan) -> None:  # the streamed answer, improved as found
            listen({"index": 0, "task": "plan", "state": "incumbent", "elapsed": p.seconds,
                    "gap": p.mip_gap, "cost": p.cost, "hubs": len(p.open_hubs)})

        plan = network.run(net, carbon_price=carbon_price, mip_rel_gap=gap,
                           time_limit=time_limit, progress=tick, on_plan=answer)
        listen({"index": 0, "task": "plan", "state": "done", "elapsed": plan.seconds,
                "gap": plan.mip_gap})
        if out is not None:
            with atomic_dir(out, record=PLAN) as tmp:
                plan.report(tmp, title)
    if format == Format.json:
        print_json(plan.to_json(flows=False))
        return
    print_table(f"{title}: cost {plan.cost:,.0f} JPY/yr, CO2e {plan.co2_t:,.0f} t/yr, "
                f"{_stopped(plan)}",
                ["hub", "capacity t/yr", "inflow t/yr", "utilisation"],
                [(h["hub"], f"{h['capacity_t']:,.0f}", f"{h['inflow_t']:,.0f}",
                  f"{100 * h['utilisation']:.0f} %") for h in plan.open_hubs],
                right=["capacity t/yr", "inflow t/yr", "utilisation"])


@app.command("pareto")
def network_pareto(
    file: ScenarioArg,
    points: Annotated[int, typer.Option(min=2, max=30, help="Points on the front.")] = 6,
    format: FormatOption = Format.table,
    gap: GapOption = None,
    workers: WorkersOption = 2,
) -> None:
    """Cost–CO2 Pareto front by the ε-constraint method (warm-started, parallel), with the
    marginal abatement cost at each capped point (LP dual of the cap, hubs fixed)."""
    net = load(file)
    with reported(), solve_progress("Pareto front") as listen:
        front = network.pareto(net, points, gap=gap, workers=workers, listener=listen)
    rows = [{"co2_t": p.co2_t, "cost_JPY": p.cost, "hubs": len(p.open_hubs),
             "mip_gap": p.mip_gap, "marginal_abatement_JPY_per_t": p.marginal_abatement}
            for p in front]
    if format == Format.json:
        print_json(rows, ensure_ascii=True)
        return
    columns = ["CO2e t/yr", "cost JPY/yr", "hubs", "JPY per t avoided (dual)"]
    if len(front) < points:
        console.print("only one plan: every plan emits the same CO2e" if len(front) == 1
                      else f"{len(front)} distinct points: the other caps gave a plan "
                      "already on the front", highlight=False)
    print_table("Cost–CO2 Pareto front", columns,
                [(f"{r['co2_t']:,.0f}", f"{r['cost_JPY']:,.0f}", r["hubs"],
                  "—" if r["marginal_abatement_JPY_per_t"] is None else
                  f"{r['marginal_abatement_JPY_per_t']:,.0f}") for r in rows],
                right=columns)


@app.command("report")
def network_report(
    file: ScenarioArg,
    out: Annotated[Path, typer.Option(help="Folder for the report.")] = Path("out/network"),
    points: Annotated[int, typer.Option(min=2, max=30)] = 5,
    gap: Annotated[float, typer.Option("--gap", min=1e-6, max=0.2, help="Relative MIP gap "
                                       "at which each solve stops.")] = 0.005,
    time_limit: TimeLimitOption = None,
    workers: WorkersOption = 2,
    budget: Annotated[float | None, typer.Option(
        "--budget", min=15, max=36_000, help="Seconds for the whole report: the solves share "
        "what is left after loading, less a reserve for the maps and pages; each stops at the "
        "gap or its share and says which.")] = 45,
    front: Annotated[FrontMethod, typer.Option(
        "--front", help="Pareto front from carbon prices ('price', fast) or CO2 caps "
        "('cap', the ε-constraint method; finds unsupported points too).")] = FrontMethod.price,
) -> None:
    """Plan, maps (PNG, SVG, interactive HTML), Pareto front and sensitivity to carbon price
    and collection rate: solved in parallel worker processes, warm-started and cross-checked,
    with live progress."""
    check_out(out, command=PLAN)  # refused before the work (reviews 233, 235)
    # the budget counts from the process's start: Python's start-up and imports included
    started = time.perf_counter() - process_age()
    net = load(file)
    solves = None if budget is None else \
        max(5.0, budget - (time.perf_counter() - started) - WRITE_RESERVE_S)
    with reported():
        with solve_progress(f"{file.name}: plan, {points}-point Pareto front, "
                            "sensitivities") as listen:
            st = network.study(net, points=points, carbon_prices=[0, 10_000, 50_000, 100_000],
                               collection_rates=[0.8, 0.9, 1.0], gap=gap,
                               time_limit=time_limit, workers=workers, listener=listen,
                               budget=solves, front=front.value)
        with atomic_dir(out, record=PLAN) as tmp:
            st.plan.report(tmp, net.scenario.title or net.scenario.name,
                           pareto_front=st.front, sensitivity_rows=st.rows)
    console.print(f"plan: {_stopped(st.plan)}; wrote {out}/report.html, map.png, map.svg, "
                  f"plan.json in {time.perf_counter() - started:.0f} s", highlight=False)


@app.command("periods")
def network_periods(
    file: ScenarioArg,
    format: FormatOption = Format.table,
    gap: GapOption = None,
    time_limit: TimeLimitOption = None,
    window: Annotated[int | None, typer.Option(
        "--window", min=1, max=100, help="Rolling horizon: periods whose hub decisions are "
        "binary at each step (later ones relaxed, earlier ones fixed); default: the whole "
        "horizon at once.")] = None,
    method: Annotated[PeriodMethod | None, typer.Option(
        "--method", help="'monolithic' (the whole MILP), 'rolling' (rolling horizon, "
        "--window periods, default 2) or 'benders' (Benders decomposition: hub decisions in a "
        "master MILP, each period's transport an LP; exact to the gap). Default: 'rolling' "
        "with --window, else 'monolithic'.")] = None,
) -> None:
    """Planning over time: which hubs open, expand or close, where and when (the scenario's
    ``periods`` section), at least net present cost; ``--method`` rolling or benders for big
    instances."""
    if window is not None and method not in (None, PeriodMethod.rolling):
        fail(f"--window applies to --method rolling, not {method}")
    net = load(file)
    with reported(), solve_progress(f"multi-period plan of {file.name}") as listen:
        def tick(ev: dict[str, Any]) -> None:
            listen({"index": 0, "task": "periods", "state": "running", **ev})

        plan = network.solve_periods(net, mip_rel_gap=gap, time_limit=time_limit, progress=tick,
                                     source=str(file), window=window,
                                     method=method.value if method else None)
        listen({"index": 0, "task": "periods", "state": "done", "elapsed": plan.seconds,
                "gap": plan.mip_gap})
    if format == Format.json:
        print_json(plan.to_json())
        return
    years = [str(y) for y in plan.years]
    print_table(f"Net present cost {plan.npv_cost:,.0f} JPY, gap {_fmt_gap(plan.mip_gap)} "
                f"({plan.stopped}; {plan.method}), {plan.seconds:.1f} s — capacity t/yr by year",
                ["hub", *years, "capital decided"],
                [(s["hub"], *(f"{s['capacity_t_by_year'][y]:,.0f}" for y in years),
                  ", ".join(s["decided"])) for s in plan.schedule], right=years)
    per_year = plan.to_json()["periods"]
    figures = ("supply_t", "demand_t", "delivered_t")
    print_table("Supply, destinations' demand and deliveries, t/yr by year", ["", *years],
                [(name.removesuffix("_t"), *(f"{p[name]:,.0f}" for p in per_year))
                 for name in figures], right=years)


@app.command("cases")
def network_cases(
    files: Annotated[list[Path] | None, typer.Argument(
        help="Case scenarios (default: the twelve shipped in examples/network_cases).")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Folder for report.html and cases.json.")] = None,
    format: FormatOption = Format.table,
    gap: Annotated[float, typer.Option("--gap", min=1e-6, max=0.2, help="Relative MIP gap "
                                       "at which each case stops.")] = 0.01,
    time_limit: Annotated[float, typer.Option("--time-limit", min=1, max=3600,
                                              help="Seconds per case.")] = 120,
    workers: Annotated[int, typer.Option(
        "--workers", min=1, max=16, help="Worker processes: cases solved at once.")] = 2,
    list_only: Annotated[bool, typer.Option(
        "--list", help="List the shipped cases (file, title) without solving them.")] = False,
) -> None:
    """The twelve case studies of seed 004 side by side: cost and CO2e per tonne, modal
    split and hubs opened (each case solved to the gap, in parallel worker processes).
    ``--list`` names them; open one with ``junkan network solve <its file>``."""
    if not list_only:  # --list writes nothing
        check_out(out, command="network cases")  # refused before the work (reviews 233, 235)
    if list_only:
        from junkan.core.documents import read_document

        with reported():
            rows = [(str(f), str(read_document(f).get("title", "")))
                    for f in (files or network.case_files())]
        if format == Format.json:
            print_json([{"file": f, "title": t} for f, t in rows])
        else:
            print_table(f"{len(rows)} case studies", ["title", "file"],
                        [(t, f) for f, t in rows])
        return
    with reported():
        n = len(files) if files else len(network.case_files())
        with solve_progress(f"{n} case studies to a {100 * gap:.1f} % gap") as listen:
            cmp = network.cases(files, gap=gap, time_limit=time_limit, workers=workers,
                                listener=listen)
        if out is not None:
            with atomic_dir(out, record="network cases") as tmp:
                cmp.report(tmp)
    if format == Format.json:
        print_json(cmp.to_json())
    else:
        print_table(f"{len(cmp.rows)} cases in {cmp.seconds:.0f} s (gap {100 * gap:.1f} %)",
                    ["case", "supply t/yr", "JPY/t", "kgCO2e/t", "truck", "ship", "hubs"],
                    [(r["title"], f"{r['supply_t']:,.0f}", f"{r['cost_per_t']:,.0f}",
                      f"{r['co2_kg_per_t']:.1f}",
                      f"{100 * r['modal_split'].get('truck', 0):.0f} %",
                      f"{100 * r['modal_split'].get('ship', 0):.0f} %",
                      str(len(r["hubs_opened"]))) for r in cmp.rows],
                    right=["supply t/yr", "JPY/t", "kgCO2e/t", "truck", "ship", "hubs"])
    if out is not None:
        console.print(f"wrote {out}/report.html and cases.json", highlight=False)


proxy_app = typer.Typer(no_args_is_help=True, help="Proxy tables that split a national "
                        "tonnage over the 47 prefectures (CSV or YAML/JSON).")
app.add_typer(proxy_app, name="proxy")
ProxyArg = Annotated[Path, typer.Argument(help="Proxy table: CSV with '# kind/quantity/unit/"
                                          "source/as_of' lines, or YAML/JSON.")]


def read_proxy(file: Path) -> network.ProxyTable:
    """The proxy table in ``file``, or exit 2 naming the file and each bad line or field."""
    with reported():
        return network.read_proxy_table(file)


@proxy_app.command("check")
def proxy_check(file: ProxyArg) -> None:
    """Check a proxy table: every prefecture once, weights finite and ≥ 0, source and date
    given. Exit 0 with a one-line summary, or 2 naming the file and every bad line."""
    table = read_proxy(file)
    w = table.weights()
    top = max(range(47), key=w.__getitem__)
    names = network.prefectures()
    out_console.print(f"{file}: valid — {table.describe()}; 47 prefectures, total "
                      f"{sum(w):,.6g}, largest share {names[top].name} "
                      f"{100 * w[top] / sum(w):.1f} %", highlight=False, soft_wrap=True)


@proxy_app.command("show")
def proxy_show(
    file: ProxyArg,
    format: FormatOption = Format.table,
    top: Annotated[int, typer.Option("--top", min=1, max=47, help="Largest shares shown "
                                     "(table only).")] = 47,
) -> None:
    """The table's weights and the share of a national total each prefecture receives."""
    table = read_proxy(file)
    w = table.weights()
    total = sum(w)
    rows: list[dict[str, Any]] = [
        {"code": p.prefecture, "prefecture": p.name, "ja": p.ja, "weight": w[n],
         "share": w[n] / total} for n, p in enumerate(network.prefectures())]
    if format == Format.json:
        print_json({"file": str(file), "kind": table.kind, "quantity": table.quantity,
                    "unit": table.unit, "source": table.source,
                    "as_of": table.as_of.isoformat(), "total": total, "prefectures": rows})
        return
    shown = sorted(rows, key=lambda r: -r["share"])[:top]
    print_table(table.describe(), ["prefecture", "weight", "share"],
                [(f"{r['prefecture']} ({r['ja']})", f"{r['weight']:,.6g}",
                  f"{100 * r['share']:.2f} %") for r in shown], right=["weight", "share"])
