"""``junkan market``: offers (a seller's lots graded against the conditions granted to it),
buyers' conditions (checked, and published as ODRL policies) and matching with pooling —
the verbs of :mod:`junkan.market`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from junkan.cli.common import Format, fail, out_console, print_json, print_table, reported
from junkan.core.errors import ModelError, brief, listed, nearest

app = typer.Typer(
    no_args_is_help=True,
    help="Market: offers, buyers' conditions (ODRL) and matching with pooling.",
)
FileArg = Annotated[
    Path,
    typer.Argument(help="Market document (YAML/JSON): lots, conditions, pools, transport, solver."),
]
FormatOption = Annotated[Format, typer.Option("--format")]


def _market() -> Any:
    """:mod:`junkan.market`, imported when a command runs (it loads scipy.optimize and
    highspy, which ``junkan --help`` should not pay for)."""
    from junkan import market

    return market


def _solved(file: Path, solve: Any, report: Path | None, title: str, format: Format) -> Any:
    """``solve()`` with input errors reported; the HTML report written when asked; the JSON
    printed (and None returned) for ``--format json``, else the result to print as a table."""
    with reported(file):
        try:
            result = solve()
        except ModelError as exc:  # raised solving, after the document loaded: name the file
            if exc.source is None:
                exc.source = str(file)
                exc.args = (str(exc),)
            raise
    if report is not None:
        result.report(report, title=title)
    if format == Format.json:
        print_json(result.to_json())
        return None
    return result


@app.command("offer")
def offer(
    file: FileArg,
    seller: Annotated[str, typer.Option(help="The selling organisation.")],
    format: FormatOption = Format.table,
) -> None:
    """Grade a seller's lots against the conditions granted to it (and only those)."""
    market = _market()
    with reported(file):
        m = market.load(file)
        known_seller(file, seller, sorted({lot.seller for lot in m.lots}))
        result = market.offer(m, seller)
    from junkan.grading import YES_NO

    if format == Format.json:
        print_json(result.to_json())
        return
    print_table(
        f"Lots of {seller} against the conditions granted to it",
        ("lot", "criteria", "met on its own", "why not"),
        [
            (r["item"], r["criteria"], YES_NO[r["met"]], "; ".join(r["failed"]))
            for r in result.rows()
        ],
    )
    out_console.print(
        "A lot that fails a mass-weighted window on its own may still be "
        "taken in a blend (see `junkan market match`).",
        highlight=False,
    )


def known_seller(file: Path, seller: str, sellers: list[str]) -> None:
    """Refuse a ``--seller`` with no lots in ``file`` (the message named neither the file
    nor the seller meant), naming the nearest seller and the sellers there."""
    _known_name("--seller", "no lots of that seller", file, seller, sellers,
                "sellers", "it has no lots")


def known_partner(file: Path, partner: str, known: list[str]) -> None:
    """Refuse a ``--partner`` that ``file`` does not name (a misspelt one showed an empty
    table with exit code 0), naming the nearest name and the organisations known there."""
    _known_name("--partner", "no organisation of that name", file, partner, known,
                "known", "it names no organisation")


def _known_name(option: str, missing: str, file: Path, name: str, known: list[str],
                listing: str, none: str) -> None:
    """Refuse an ``option`` whose ``name`` is not among the ``known`` names of ``file``:
    ``missing`` says so, with the nearest name (did you mean …?) and the ``listing`` of the
    known ones (``none`` when there are none)."""
    if name in known:
        return
    near = nearest(name, known, 0.6)
    fail(f"{option} {brief(name)}: {missing} in {file}"
         + (f" (did you mean {near!r}?)" if near else "")
         + (f"; {listing}: {listed(known)}" if known else f"; {none}"))


@app.command("condition")
def condition(
    file: FileArg,
    partner: Annotated[
        str | None, typer.Option(help="Show only what this partner is granted.")
    ] = None,
    odrl: Annotated[
        bool, typer.Option("--odrl", help="Print the conditions as ODRL policies (JSON-LD).")
    ] = False,
    format: FormatOption = Format.table,
) -> None:
    """Check buyers' conditions (criteria, price formula, minimum lot, windows) and show
    them — as a partner sees them with ``--partner``, as ODRL with ``--odrl``."""
    market = _market()
    with reported(file):
        m = market.load(file)
        if partner is not None:
            known_partner(file, partner, market.organisations(m))
        conds = (
            m.conditions if partner is None else market.visible_conditions(m.conditions, partner)
        )
        if odrl:
            print_json([market.to_odrl(c) for c in conds])
            return
    if format == Format.json:
        print_json([c.model_dump(mode="json", exclude_none=True) for c in conds])
        return
    print_table(
        "Conditions" + (f" granted to {partner}" if partner else ""),
        ("id", "buyer", "criteria", "base JPY/kg", "min lot t", "capacity t", "granted to"),
        [
            (
                c.id,
                c.buyer,
                c.criteria if isinstance(c.criteria, str) else c.criteria.id,
                f"{c.price.base:g}",
                f"{c.min_lot / 1000:g}",
                f"{c.capacity / 1000:g}",
                len(c.granted_to),
            )
            for c in conds
        ],
    )
    if partner is not None and not conds:
        out_console.print(f"no condition is granted to {partner}", highlight=False,
                          markup=False)


@app.command("match")
def match(
    file: FileArg,
    format: FormatOption = Format.table,
    report: Annotated[
        Path | None, typer.Option(help="Write an HTML report (routes, blends, unmatched, map).")
    ] = None,
) -> None:
    """Match lots to the buyers' conditions granted to their sellers, pooling small lots at
    consolidation points; maximise the total margin (MILP, HiGHS)."""
    market = _market()
    result = _solved(file, lambda: market.run(market.load(file)), report,
                     f"Market matching — {file.name}", format)
    if result is None:
        return
    s = result.summary()
    gap = (
        f"{s['gap']:.2%}" if s["gap"] is not None
        else "— (no certified bound)" if s["bound_JPY"] is None
        else "— (no assignment)"
    )
    print_table(
        f"Matching: {s['status']}, margin {s['margin_JPY']:,.0f} JPY (gap "
        f"{gap}), {s['matched_kg'] / 1000:,.1f} of "
        f"{s['offered_kg'] / 1000:,.1f} t matched",
        ("lot", "seller", "condition", "via", "t", "margin JPY"),
        [
            (
                a["lot"],
                a["seller"],
                a["condition"],
                a["via"] or "direct",
                f"{a['kg'] / 1000:,.2f}",
                f"{a['margin_JPY']:,.0f}",
            )
            for a in result.assignments()
        ],
    )
    for u in result.unmatched_rows():
        out_console.print(
            f"unmatched {u['lot']} ({u['kg'] / 1000:,.1f} t): {u['code']} — {u['message']}",
            highlight=False, markup=False,
        )
    for c in result.unserved:
        out_console.print(
            f"condition {c['condition']} ({c['field']}): {c['code']} — {c['message']}",
            highlight=False, markup=False,
        )


@app.command("soil")
def soil(
    file: Annotated[Path, typer.Argument(help="Surplus-soil document (YAML/JSON): periods, "
                                              "sources, sinks, stockyards, disposal, haul.")],
    format: FormatOption = Format.table,
    report: Annotated[
        Path | None, typer.Option(help="Write an HTML report (volumes per period, routes, "
                                       "volume not matched).")
    ] = None,
) -> None:
    """Match surplus soil (or by-products) with fill sites over time, through stockyards,
    at least cost (haul, handling, storage, gate fees, less purchased soil saved; LP, HiGHS)."""
    market = _market()
    result = _solved(file, lambda: market.run_soil(market.load_soil(file)), report,
                     f"Surplus-soil matching — {file.name}", format)
    if result is None:
        return
    s = result.summary()
    print_table(
        f"Surplus soil: {s['matched_m3']:,.0f} of {s['supplied_m3']:,.0f} m³ matched "
        f"({s['matched_share']:.0%}), {s['disposed_m3']:,.0f} m³ disposed, net cost "
        f"{s['net_cost_JPY']:,.0f} JPY",
        ("period", "from", "to", "route", "grade", "m³", "km"),
        [(f["period"], f["from"], f["to"], f["kind"], f["grade"], f"{f['m3']:,.0f}",
          f"{f['km']:,.1f}") for f in result.flows()],
    )
    for note in result.class_notes():  # a better class not known (review 307)
        out_console.print(note, highlight=False, markup=False)
    for u in result.unmatched():
        out_console.print(f"not matched {u['source']} {u['period']} ({u['m3']:,.0f} m³): "
                          f"{u['code']} — {u['message']}", highlight=False,
                          markup=False)
