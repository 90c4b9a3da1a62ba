"""``junkan serve``: the API and the web UI (needs the ``service`` extra)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from junkan.cli.common import console
from junkan.cli.listen import bound, serve_bound

app = typer.Typer()


def redacted(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url  # the optional 'service' extra

    return make_url(url).render_as_string(hide_password=True)


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
    # the optional 'service' extra (uvicorn, FastAPI, SQLAlchemy): imported only here, so
    # the file-based commands run without it
    from junkan.api import create_app
    from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
    from junkan.api.startup import production_problems
    from junkan.store.db import Database, Settings
    from junkan.store.server_lock import MigrationLockTimeout

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
    socks = bound(host, port)  # a taken port ends here, before the store is opened
    try:  # before the service starts (its own migration then finds the schema at head): a
        # migration lock held too long is said here, not as the service's failed startup
        Database(settings.database_url).migrate()
    except MigrationLockTimeout as exc:  # another process migrating, or stuck doing it
        console.print(f"[red]not started:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    application = create_app(settings, seed=seed)
    scheme = "https" if settings.tls_certfile else "http"
    console.print(f"junkan on [bold]{scheme}://{host}:{port}/[/bold]  (API docs: /docs, "
                  f"store: {redacted(settings.database_url)})", highlight=False)
    if seed:
        console.print(f"sign in as [bold]{DEMO_EMAIL}[/bold] / [bold]{DEMO_PASSWORD}[/bold]",
                      highlight=False)
    serve_bound(application, socks, host, port, log_level="info",
                ssl_certfile=settings.tls_certfile, ssl_keyfile=settings.tls_keyfile,
                proxy_headers=settings.trusted_proxy is not None,
                forwarded_allow_ips=settings.trusted_proxy, server_header=False)
