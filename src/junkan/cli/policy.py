"""``junkan policy``: the municipal CE diagnosis and recycled-content periodic reports — the
verbs of :mod:`junkan.policy`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from junkan import policy
from junkan.cli.common import (
    Format,
    atomic_dir,
    fail,
    out_console,
    print_json,
    print_table,
    reported,
)

app = typer.Typer(
    no_args_is_help=True,
    help="Policy: municipal CE diagnosis, recycled-content "
    "periodic reports (自治体CE診断・再生材利用の定期報告).",
)
FormatOption = Annotated[Format, typer.Option("--format")]
OutOption = Annotated[Path | None, typer.Option("--out", help="Write a report folder here.")]


@app.command("diagnose")
def diagnose(
    file: Annotated[Path, typer.Argument(help="Diagnosis document (kind: diagnosis).")],
    format: FormatOption = Format.table,
    out: OutOption = None,
) -> None:
    """Diagnose a municipality from the MOE general-waste survey: per-capita figures, ranks
    among peers of similar size, potential by stream, proposals with effects. ``--out`` writes
    diagnosis.json and the council report in Japanese (diagnosis.ja.html) and English."""
    with reported(file):
        d = policy.load(file)
        if not isinstance(d, policy.Diagnosis):
            fail(f"{file}: kind must be 'diagnosis' for this command")
        res = policy.run(d)
    if out is not None:
        import json

        with atomic_dir(out) as tmp:
            (tmp / "diagnosis.json").write_text(
                json.dumps(res.to_json(), ensure_ascii=False, indent=2), encoding="utf-8"
            )
            res.report(tmp / "diagnosis.ja.html", lang="ja")
            res.report(tmp / "diagnosis.en.html", lang="en")
    if format == Format.json:
        print_json(res.to_json())
        return
    doc = res.to_json()
    print_table(
        f"{doc['municipality']['name']} ({doc['municipality']['code']}) — "
        f"ranks among {len(res.peers)} peers",
        ("indicator", "value", "rank"),
        [
            (
                k,
                f"{doc['current'][k]:,.3g}" if doc["current"][k] is not None else "—",
                "—" if v["rank"] is None else f"{v['rank']} / {v['of']}",
            )
            for k, v in doc["ranks"].items()
        ],
    )
    print_table(
        "Potential by stream (best-quartile rate)",
        ("stream", "own kg/person/yr", "best quartile", "potential t/yr"),
        [
            (
                p.stream,
                f"{p.own_kg_per_person_year:.2f}",
                f"{p.best_quartile_kg_per_person_year:.2f}",
                f"{p.potential_t:,.1f}",
            )
            for p in res.potential
        ],
    )
    print_table(
        "Proposals",
        ("measure", "diverted t", "CO2e t", "landfill t", "net cost kJPY"),
        [
            (
                p["en"],
                f"{p['diverted_t']:,.1f}",
                f"{p['co2e_reduction_t']:,.1f}",
                f"{p['landfill_avoided_t']:,.1f}",
                f"{p['net_cost_kJPY']:,.0f}",
            )
            for p in res.proposals
            if p["proposed"]
        ],
    )
    if out is not None:
        out_console.print(f"report written to {out}", highlight=False)


@app.command("report")
def report(
    plan_file: Annotated[Path, typer.Argument(help="Plan document (kind: recycled_content_plan).")],
    period: Annotated[str, typer.Option(help="Reporting period: FY2028, 2028 or 2028Q2.")],
    database: Annotated[str | None, typer.Option(help="Store URL.")] = None,
    format: Annotated[str, typer.Option("--format", help="table, json or csv (filing)")] = "table",
    out: OutOption = None,
) -> None:
    """Compute a recycled-content periodic report from the trace ledger's mass-balance
    accounts (never re-typed); ``--out`` writes report.csv (filing layout), report.json
    (with evidence: the ledger's claim entries and lots) and report.ja.html / .en.html."""
    from junkan.cli.trace import trace_repo  # the store: the 'service' extra

    if format not in ("table", "json", "csv"):
        fail("--format must be table, json or csv")
    with reported(plan_file):
        plan = policy.load(plan_file)
        if not isinstance(plan, policy.Plan):
            fail(f"{plan_file}: kind must be 'recycled_content_plan' for this command")
        statement = trace_repo(database).statement(plan.maker)
        rep = policy.run(plan, statement=statement, period=period)
    if out is not None:
        import json

        with atomic_dir(out) as tmp:
            (tmp / "report.csv").write_text(rep.to_csv(), encoding="utf-8")
            (tmp / "report.json").write_text(
                json.dumps(rep.to_json(), ensure_ascii=False, indent=2), encoding="utf-8"
            )
            rep.report(tmp / "report.ja.html", lang="ja")
            rep.report(tmp / "report.en.html", lang="en")
    if format == "json":
        print_json(rep.to_json())
    elif format == "csv":
        typer.echo(rep.to_csv(), nl=False)
    else:
        print_table(
            f"{rep.org} — {rep.period}",
            ("product", "characteristic", "recycled kg", "basis kg", "share", "gap"),
            [
                (
                    p["product"],
                    p["characteristic"],
                    f"{p['recycled_kg']:,.1f}",
                    f"{p['basis_kg']:,.1f}",
                    "—" if p["share"] is None else f"{100 * p['share']:.1f} %",
                    p["gap"],
                )
                for p in rep.products
            ],
        )


@app.command("procure")
def procure(
    file: Annotated[Path, typer.Argument(help="Check document (kind: procurement_check).")],
    database: Annotated[
        str | None,
        typer.Option(
            help="Store URL: read the product's lots from the trace ledger "
            "(as the maker sees them)."
        ),
    ] = None,
    format: FormatOption = Format.table,
    out: OutOption = None,
) -> None:
    """Check a product against the green-procurement criteria of its designated item
    (グリーン購入法): pass / fail per criterion, citing the declaration or the lots.
    Exit code 1 if a criterion fails or cannot be decided."""
    with reported(file):
        chk = policy.load(file)
        if not isinstance(chk, policy.Check):
            fail(f"{file}: kind must be 'procurement_check' for this command")
        lots = None
        if database is not None and chk.product.lots:
            from junkan.cli.trace import trace_repo  # the store: the 'service' extra

            repo = trace_repo(database)
            lots = [repo.show(chk.product.maker, lot) for lot in chk.product.lots]
        res = policy.run(chk, lots=lots)
    if out is not None:
        import json

        with atomic_dir(out) as tmp:
            (tmp / "procurement.json").write_text(
                json.dumps(res.to_json(), ensure_ascii=False, indent=2), encoding="utf-8"
            )
            res.report(tmp / "procurement.ja.html", lang="ja")
            res.report(tmp / "procurement.en.html", lang="en")
    if format == Format.json:
        print_json(res.to_json())
    else:
        print_table(
            f"{chk.product.name} — {res.item.en}: {'pass' if res.passed else 'FAIL'}",
            ("criterion", "required", "value", "basis", "verdict", "note"),
            [
                (
                    v["criterion"],
                    v["required"],
                    str(v["value"]),
                    v["basis"],
                    v["verdict"],
                    v["note"],
                )
                for v in res.verdicts
            ],
        )
    if not res.passed:
        raise typer.Exit(1)
