"""``junkan trace``: lot traceability on a store — register organisations, import signed
event batches, show lots, verify the logs, serve the PACT v3 API (needs the ``service``
extra: the store is a database)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from junkan.cli.common import Format, console, out_console, print_json, reported

# not yet a public name of junkan.trace: reading an event batch (JSON, YAML or CSV)
from junkan.trace import read_batch

if TYPE_CHECKING:  # the store is imported when a command runs, not for ``junkan --help``
    from junkan.store.trace_repo import TraceRepo

app = typer.Typer(no_args_is_help=True, help="Lot traceability: import events, show lots, "
                  "verify logs.")

DatabaseOption = Annotated[str | None, typer.Option(help="Store URL.")]
FormatOption = Annotated[Format, typer.Option("--format")]


def trace_repo(database: str | None) -> TraceRepo:
    """The trace repository of the store at ``database`` (default: the configured one),
    migrated; a SQLite file's folder is made if missing."""
    from junkan.store.db import Database, Settings  # the optional 'service' extra
    from junkan.store.trace_repo import TraceRepo

    url = database or Settings().database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    db = Database(url)
    db.migrate()
    return TraceRepo(db)


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
    format: FormatOption = Format.table,
) -> None:
    """Sign and append a batch of events to the organisation's log (all or nothing);
    re-declarations recompute every downstream lot and notify its owners."""
    with reported():
        batch = read_batch(file)
        repo = trace_repo(database)
        if create_org:
            register(repo, [org])
        res = repo.ingest(org, batch.events, source=str(file))
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
    register(trace_repo(database), names)
    console.print(f"registered {', '.join(names)}")


@app.command("pact-serve")
def trace_pact_serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8443,
    cert_dir: Annotated[Path, typer.Option(help="Where the self-signed certificate is kept "
                                                "(made on first start).")]
    = Path("var/pact"),
) -> None:
    """Serve the PACT v3 API over HTTPS only (plain HTTP to the port fails). Clients get
    credentials from the platform (POST /api/clients) and use them at /auth/token."""
    import uvicorn  # the optional 'service' extra, as is the API

    from junkan.api.pact import create_pact_app, self_signed_certificate

    cert, key = self_signed_certificate(str(cert_dir), (host, "localhost"))
    console.print(f"PACT v3 host on https://{host}:{port} (certificate {cert})")
    uvicorn.run(create_pact_app(), host=host, port=port, ssl_certfile=cert, ssl_keyfile=key,
                log_level="warning")


@app.command("show")
def trace_show(
    lot: Annotated[str, typer.Argument(help="Lot id.")],
    org: Annotated[str, typer.Option(help="Organisation asking (what it may see).")],
    database: DatabaseOption = None,
    format: FormatOption = Format.table,
) -> None:
    """A lot with its derived CFP and recycled share, as ``--org`` may see it."""
    with reported():
        doc = trace_repo(database).show(org, lot)
    if format == Format.json:
        print_json(doc)
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


@app.command("verify")
def trace_verify(
    org: Annotated[list[str] | None, typer.Option(help="Organisation(s); default: all.")]
    = None,
    database: DatabaseOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Check every log: record hashes, Ed25519 signatures, Merkle root against the signed
    checkpoint, lots against their events. Exit 1 if anything was changed."""
    repo = trace_repo(database)
    names = org or organisations(repo)
    with reported():
        results = [repo.verify(n) for n in names]
    if format == Format.json:
        print_json([r.__dict__ for r in results], ensure_ascii=True)
    else:
        for r in results:
            mark = "[green]ok[/green]" if r.ok else "[red]FAILED[/red]"
            console.print(f"{mark} {r.org}: {r.events} events")
            for p in r.problems:
                console.print(f"   {p}", highlight=False)
    if not all(r.ok for r in results):
        raise typer.Exit(1)
