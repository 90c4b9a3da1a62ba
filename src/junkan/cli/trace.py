"""``junkan trace``: lot traceability on a store — register organisations, import signed
event batches, show lots, verify the logs, serve the PACT v3 API (needs the ``service``
extra: the store is a database)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.markup import escape

from junkan.cli.common import (
    Format,
    console,
    fail,
    out_console,
    print_json,
    reported,
    visible,
)
from junkan.cli.listen import bound, serve_bound
from junkan.cli.stores import open_ledger
from junkan.core.errors import brief

# not yet a public name of junkan.trace: reading an event batch (JSON, YAML or CSV)
from junkan.trace import read_batch

if TYPE_CHECKING:  # the store is imported when a command runs, not for ``junkan --help``
    from junkan.store.trace_repo import TraceRepo

app = typer.Typer(no_args_is_help=True, help="Lot traceability: import events, show lots, "
                  "verify logs.")

DatabaseOption = Annotated[str | None, typer.Option(help="Store URL.")]
FormatOption = Annotated[Format, typer.Option("--format")]


def trace_repo(database: str | None, *, existing: bool = True) -> TraceRepo:
    """The trace ledger at ``database`` (:func:`junkan.cli.stores.open_ledger`): one that
    must exist already unless ``existing`` is false (``import`` and ``org`` make it)."""
    return open_ledger(database, existing=existing)


def register(repo: TraceRepo, names: list[str]) -> None:
    """Create the organisations in ``names`` that the store does not have yet."""
    from junkan.store.repo import Store  # the optional 'service' extra

    store = Store(repo.db)
    for name in names:
        if store.organisation_by_name(name) is None:
            store.create_organisation(name)


def organisations(repo: TraceRepo) -> list[str]:
    """Every organisation's name, in order."""
    from junkan.store.repo import Store  # the optional 'service' extra

    return [o.name for o in Store(repo.db).list_organisations()]


@app.command("import")
def trace_import(
    file: Annotated[Path, typer.Argument(help="Event batch: JSON/YAML {events: [...]} or CSV.")],
    org: Annotated[str, typer.Option(help="Organisation the events belong to.")],
    database: Annotated[str | None, typer.Option(help="Store URL (default: "
                                                     "JUNKAN_DATABASE_URL or var/junkan.db).")]
    = None,
    create_org: Annotated[bool, typer.Option(help="Create the organisation if missing.")]
    = False,
    period: Annotated[str | None, typer.Option(
        help="Mass-balance period (e.g. 2026Q1) of events that name none; default: the "
             "current quarter.")] = None,
    format: FormatOption = Format.table,
) -> None:
    """Sign and append a batch of events to the organisation's log (all or nothing);
    re-declarations recompute every downstream lot and notify its owners."""
    with reported():
        batch = read_batch(file)
        repo = trace_repo(database, existing=not create_org)
        if create_org:
            register(repo, [org])
        res = repo.ingest(org, batch.events, source=str(file), period=period)
    if format == Format.json:
        print_json(res.__dict__, ensure_ascii=True)
        return
    console.print(f"{res.events} events signed into {org}'s log (size {res.tree_size}, root "
                  f"{res.root[:16]}…); {res.lots_created} lots created"
                  + (f"; {res.recomputed} lots recomputed, notified {', '.join(res.notified)}"
                     if res.recomputed else ""))


@app.command("org")
def trace_org(
    names: Annotated[list[str], typer.Argument(help="Organisation name(s) to register.")],
    database: DatabaseOption = None,
) -> None:
    """Register organisations in the store (existing ones are left as they are)."""
    register(trace_repo(database, existing=False), names)
    console.print(f"registered {', '.join(names)}")


@app.command("pact-serve")
def trace_pact_serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8443,
    cert_dir: Annotated[Path, typer.Option(help="Where the self-signed certificate is kept "
                                                "(made on first start).")]
    = Path("var/pact"),
    public_url: Annotated[str | None, typer.Option(
        help="The host's public base URL (https://…), named in footprints as where the "
             "extension schema is; default JUNKAN_PACT_PUBLIC_URL, else the URL each request "
             "used.")] = None,
) -> None:
    """Serve the PACT v3 API over HTTPS only (plain HTTP to the port fails). Clients get
    credentials from the platform (POST /api/clients) and use them at /auth/token."""
    from junkan.api.pact import create_pact_app, self_signed_certificate

    if public_url is not None and not public_url.startswith("https://"):
        fail(f"--public-url {public_url!r}: give the https:// base URL partners use")
    socks = bound(host, port)  # a taken port ends here, before the app starts
    cert, key = self_signed_certificate(str(cert_dir), (host, "localhost"))
    console.print(f"PACT v3 host on https://{host}:{port} (certificate {cert})")
    serve_bound(create_pact_app(public_url=public_url), socks, host, port,
                ssl_certfile=cert, ssl_keyfile=key, log_level="warning")


@app.command("show")
def trace_show(
    lot: Annotated[str, typer.Argument(help="Lot id.")],
    org: Annotated[str, typer.Option(help="Organisation asking (what it may see).")],
    database: DatabaseOption = None,
    format: FormatOption = Format.table,
) -> None:
    """A lot with every field ``--org`` may see: derived CFP and recycled share, claims, and
    what its maker or an agreement lets it see (composition, site, inputs)."""
    with reported():
        doc = trace_repo(database).show(org, lot)
    if format == Format.json:
        print_json(doc)
        return
    for line in lot_lines(doc):
        out_console.print(_shown(line), highlight=False, markup=False, soft_wrap=True)


def _shown(line: str) -> str:
    """A line as the terminal prints it: with its control characters escaped (a lot signed
    before they were refused, 2026-12-03, may hold another organisation's escape
    sequences), else as written."""
    return brief(line, sys.maxsize)


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def _fact(v: Any) -> str:
    if isinstance(v, list):
        return ", ".join(map(str, v))
    return json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else str(v)


def lot_lines(doc: dict[str, Any]) -> list[str]:
    """A lot document (:meth:`TraceRepo.show`) as lines of text, one per field present —
    exactly the fields the viewer may see."""
    lines = [f"lot {doc['lot']} ({doc['material']}, {doc['mass_kg']:g} kg) held by "
             f"{doc['owner']}, made by {doc['creator']} [{doc['custody']}]; you see it as "
             f"{doc['access']}; updated {doc['updated_at']}"]
    if "cfp_kgco2e" in doc:
        c = doc["cfp_kgco2e"]
        lines.append(f"CFP {c['total']:g} kg CO2e ({c['per_kg']:.4g} per kg; fossil "
                     f"{c['fossil']:g}, biogenic {c['biogenic']:g})")
        if doc.get("pcf_facts"):
            lines.append("footprint facts: " + "; ".join(
                f"{k} {_fact(v)}" for k, v in doc["pcf_facts"].items() if v is not None))
    if "recycled" in doc:
        r = doc["recycled"]
        lines.append(f"recycled {_pct(r['total'])} (pre {_pct(r['pre_consumer'])}, post "
                     f"{_pct(r['post_consumer'])})")
    if "claims" in doc:
        lines.append("claims: " + ("; ".join(", ".join(
            f"{k} {v}" for k, v in c.items() if v is not None) for c in doc["claims"])
            or "none"))
    if "composition" in doc:
        lines.append("composition (wt %): " + (", ".join(
            f"{el} {v:g}" for el, v in doc["composition"].items()) or "none declared"))
    if "site" in doc:
        lines.append(f"site: {doc['site'] or '(none)'}")
    for key in ("inputs", "outputs"):
        if doc.get(key):
            lines.append(f"{key}: " + ", ".join(
                f"{i['lot']} {i['mass_kg']:g} kg" + ("" if i.get("visible", True) else
                                                      " (not visible to you)")
                for i in doc[key]))
    if "own_process" in doc:
        lines.append(f"own process: {doc['own_process'].get('cfp_kgco2e', 0):g} kg CO2e, "
                     f"{doc['own_process'].get('energy_kwh', 0):g} kWh")
    if "consumed_kg" in doc:
        lines.append(f"used: {doc['consumed_kg']:g} of {doc['mass_kg']:g} kg")
    return lines


@app.command("genealogy")
def trace_genealogy(
    lot: Annotated[str, typer.Argument(help="Lot id (or organisation/id).")],
    org: Annotated[str, typer.Option(help="Organisation asking (what it may see).")],
    depth: Annotated[int, typer.Option(min=1, max=20, help="Links to follow.")] = 6,
    database: DatabaseOption = None,
    format: FormatOption = Format.table,
) -> None:
    """The lots up- and downstream of a lot that ``--org`` may see, with the links."""
    with reported():
        doc = trace_repo(database).genealogy(org, lot, depth)
    if format == Format.json:
        print_json(doc)
        return
    for node in doc["nodes"]:
        out_console.print(_shown(f"lot {node['lot']} ({node['mass_kg']:g} kg, made by "
                                 f"{node['creator']}, held by {node['owner']}; you: "
                                 f"{node['access']})"), highlight=False, markup=False)
    for e in doc["edges"]:
        out_console.print(_shown(f"{e['from']} -> {e['to']}: {e['mass_kg']:g} kg"),
                          highlight=False, markup=False)
    if doc.get("truncated"):  # the answer is capped (JUNKAN_LIMIT_TRACE_GENEALOGY_*)
        console.print(f"showing the nearest {len(doc['nodes']):,} lots; at least "
                      f"{doc.get('omitted', 0):,} more linked lots left out (limit "
                      f"{doc.get('node_limit', len(doc['nodes'])):,} lots, "
                      "JUNKAN_LIMIT_TRACE_GENEALOGY_NODES; a smaller --depth shows fewer)",
                      highlight=False, markup=False)


@app.command("notifications")
def trace_notifications(
    org: Annotated[str, typer.Option(help="Organisation whose notifications to list.")],
    database: DatabaseOption = None,
    format: FormatOption = Format.table,
) -> None:
    """The organisation's notifications (re-declarations upstream of its lots)."""
    with reported():
        notes = trace_repo(database).notifications(org)
    if format == Format.json:
        print_json(notes)
        return
    for n in notes:
        out_console.print(_shown(f"#{n['id']} {n['created_at']} {n['message']}"),
                          highlight=False, markup=False, soft_wrap=True)


@app.command("verify")
def trace_verify(
    org: Annotated[list[str] | None, typer.Option(help="Organisation(s); default: all.")]
    = None,
    database: DatabaseOption = None,
    format: FormatOption = Format.table,
    save_state: Annotated[Path | None, typer.Option(
        "--save-state", help="After a clean audit, write the replayed state here for a later "
        "--since (keep it where the database's users cannot write).")] = None,
    since: Annotated[Path | None, typer.Option(
        "--since", help="Start from a state --save-state wrote: prove each log still extends "
        "it, replay only the events after it, compare every stored field.")] = None,
    every_signature: Annotated[bool, typer.Option(
        "--every-signature", help="Verify each event's Ed25519 signature (~60 µs each) even "
        "where a signed checkpoint's signature chain covers it.")] = False,
) -> None:
    """Audit the ledger: check every log (record hashes, every signed checkpoint's Merkle
    root and signature chain, the Ed25519 signatures of events no chain covers), replay it,
    and compare every stored field (lots, derived values, links, mass-balance accounts) with
    the replay. Exit 1 if anything differs; 2 if the --since state file cannot be used."""
    repo = trace_repo(database)
    names = org or organisations(repo)
    with reported():
        audit = repo.audit(since=since, save=save_state, every_signature=every_signature)
        results = [repo.verify(n, audit) for n in names]
        unowned = [p.text for p in audit.problems if not p.orgs]
    if format == Format.json:
        print_json([r.__dict__ for r in results], ensure_ascii=True)
    else:
        for r in results:
            mark = "[green]ok[/green]" if r.ok else "[red]FAILED[/red]"
            console.print(f"{mark} {escape(visible(r.org))}: {r.events} events", highlight=False)
            for p in r.problems:
                if p not in unowned:
                    # never folded: a path in it must stay whole to be copied
                    console.print(f"   {p}", highlight=False, markup=False, soft_wrap=True)
        for p in unowned:
            console.print(f"[red]FAILED[/red] {escape(p)}", highlight=False, soft_wrap=True)
        if since is not None:
            console.print(f"{audit.replayed} events after the saved state replayed",
                          highlight=False)
        console.print(f"signatures: {audit.signatures_chained} checked through signed "
                      f"checkpoint chains, {audit.signatures_verified} verified one by one",
                      highlight=False)
        if audit.footprints:
            console.print(f"PACT footprints: {audit.footprints} published version(s) checked "
                          "against the digest stored with each only (published content is "
                          "not in the signed log: an edit of both content and digest is not "
                          "found)", highlight=False, soft_wrap=True)
    if save_state is not None:
        console.print(f"state saved to {save_state}" if audit.state is not None else
                      "[red]state not saved[/red]: the audit found problems", highlight=False,
                      soft_wrap=True)
    if not all(r.ok for r in results):
        raise typer.Exit(1)


class StatementFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@app.command("statement")
def trace_statement(
    org: Annotated[str, typer.Option(help="Organisation whose accounts to show.")],
    site: Annotated[str | None, typer.Option(help="One site only.")] = None,
    period: Annotated[str | None, typer.Option(help="One period only (e.g. 2026Q1).")] = None,
    database: DatabaseOption = None,
    format: Annotated[StatementFormat, typer.Option("--format")] = StatementFormat.table,
) -> None:
    """Mass-balance statement (ISO 22095): per site, characteristic and period, what was
    credited on receipt, claimed, passed on, adjusted and carried; the balance; the claims
    no longer covered."""
    with reported():
        st = trace_repo(database).statement(org, site=site, period=period)
    if format == StatementFormat.json:
        print_json(st.to_json(), ensure_ascii=True)
        return
    if format == StatementFormat.csv:
        out_console.file.write(st.to_csv())
        return
    if not st.accounts:
        console.print(f"{org} has no mass-balance entries")
    for a in st.accounts:
        totals = ", ".join(f"{k} {v:,.6g} kg" for k, v in a.totals.items())
        mark = " [closed]" if a.closed else ""
        short = f"; [red]{a.uncovered_claims} claims not covered[/red]" \
            if a.uncovered_claims else ""
        where = escape(visible(f"{a.site} · {a.characteristic} · {a.period}{mark}"))
        out_console.print(f"{where}: balance "
                          f"{a.balance_kg:,.6g} kg ({totals}){short}", highlight=False)


@app.command("close-period")
def trace_close_period(
    org: Annotated[str, typer.Option(help="Organisation closing its period.")],
    site: Annotated[str, typer.Option(help="Site.")],
    period: Annotated[str, typer.Option(help="Period to close (e.g. 2026Q1).")],
    database: DatabaseOption = None,
) -> None:
    """Close a mass-balance period at a site (a signed ``close_period`` event): no more
    bookings into it; its positive balance is carried to the next period."""
    from junkan.trace import ClosePeriod

    try:
        event = ClosePeriod(type="close_period", site=site, period=period)
    except ValidationError as exc:
        fail(f"--site/--period: {exc.errors()[0]['msg']} (a period is a calendar quarter "
             "like 2026Q1)")
    with reported():
        trace_repo(database).ingest(org, [event], source="close-period")
    console.print(f"closed {period} at {site} for {org}")
