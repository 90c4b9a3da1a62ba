"""``junkan network``: hub-and-flow planning and capacitated facility location (the verbs of
:mod:`junkan.network`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from junkan import network
from junkan.cli.common import (
    Format,
    atomic_dir,
    console,
    fail,
    out_console,
    print_json,
    print_table,
    reported,
)
from junkan.core.errors import JunkanError

app = typer.Typer(no_args_is_help=True, help="Resource-circulation network planning.")

ScenarioArg = Annotated[Path, typer.Argument(help="Network scenario (YAML or JSON).")]
FormatOption = Annotated[Format, typer.Option("--format")]


def load(file: Path) -> network.Network:
    """The scenario in ``file``, resolved, or exit 2 naming every problem."""
    try:
        return network.load(file)
    except JunkanError as exc:
        fail(exc)


@app.command("cflp")
def network_cflp(
    file: Annotated[Path, typer.Argument(help="OR-Library capacitated location file.")],
    capacity: Annotated[float | None, typer.Option(help="Set every site's capacity (the "
                                                        "OR-Library variants).")] = None,
    format: FormatOption = Format.table,
) -> None:
    """Solve a capacitated facility location instance to optimality (split demand, strong
    linking constraints) with HiGHS."""
    with reported():
        sol = network.solve_cflp(network.read_orlib(file), capacity=capacity)
    if format == Format.json:
        print_json(sol.to_json(), ensure_ascii=True)
    else:
        out_console.print(f"{file.stem}: objective {sol.objective:,.3f}; open sites "
                          f"{', '.join(map(str, sol.open_sites))}; {sol.seconds:.3f} s "
                          f"({sol.status})", highlight=False)


@app.command("solve")
def network_solve(
    file: ScenarioArg,
    format: FormatOption = Format.table,
    carbon_price: Annotated[float | None, typer.Option(help="JPY per tCO2e (overrides the "
                                                            "file).")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for plan.json, maps and report.")]
    = None,
) -> None:
    """Choose hubs and flows at least cost (+ carbon price), to optimality within the gap."""
    net = load(file)
    title = net.scenario.title or net.scenario.name
    with reported():
        plan = network.run(net, carbon_price=carbon_price)
        if out is not None:
            with atomic_dir(out) as tmp:
                plan.report(tmp, title)
    if format == Format.json:
        print_json(plan.to_json(flows=False))
        return
    print_table(f"{title}: cost {plan.cost:,.0f} JPY/yr, CO2e {plan.co2_t:,.0f} t/yr, gap "
                f"{100 * plan.mip_gap:.3f} %, {plan.seconds:.1f} s",
                ["hub", "capacity t/yr", "inflow t/yr", "utilisation"],
                [(h["hub"], f"{h['capacity_t']:,.0f}", f"{h['inflow_t']:,.0f}",
                  f"{100 * h['utilisation']:.0f} %") for h in plan.open_hubs],
                right=["capacity t/yr", "inflow t/yr", "utilisation"])


@app.command("pareto")
def network_pareto(
    file: ScenarioArg,
    points: Annotated[int, typer.Option(min=2, max=30, help="Points on the front.")] = 6,
    format: FormatOption = Format.table,
) -> None:
    """Cost–CO2 Pareto front by the ε-constraint method."""
    net = load(file)
    with reported():
        front = network.pareto(net, points)
    rows = [{"co2_t": p.co2_t, "cost_JPY": p.cost, "hubs": len(p.open_hubs),
             "mip_gap": p.mip_gap} for p in front]
    if format == Format.json:
        print_json(rows, ensure_ascii=True)
        return
    columns = ["CO2e t/yr", "cost JPY/yr", "hubs"]
    print_table("Cost–CO2 Pareto front", columns,
                [(f"{r['co2_t']:,.0f}", f"{r['cost_JPY']:,.0f}", r["hubs"]) for r in rows],
                right=columns)


@app.command("report")
def network_report(
    file: ScenarioArg,
    out: Annotated[Path, typer.Option(help="Folder for the report.")] = Path("out/network"),
    points: Annotated[int, typer.Option(min=2, max=30)] = 5,
) -> None:
    """Plan, maps (PNG, SVG, interactive HTML), Pareto front and sensitivity to carbon price
    and collection rate."""
    net = load(file)
    with reported():
        plan = network.run(net)
        front = network.pareto(net, points)
        rows = network.sensitivity(net, carbon_prices=[0, 10_000, 50_000, 100_000],
                                   collection_rates=[0.8, 0.9, 1.0])
        with atomic_dir(out) as tmp:
            plan.report(tmp, net.scenario.title or net.scenario.name, pareto_front=front,
                        sensitivity_rows=rows)
    console.print(f"wrote {out}/report.html, map.png, map.svg, plan.json")
