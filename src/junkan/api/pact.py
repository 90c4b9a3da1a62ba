"""PACT v3 host over the lot ledger: ``POST /auth/token`` (client credentials, HTTP Basic),
``GET /3/footprints`` (mandatory filters, ``Link`` pagination), ``GET /3/footprints/{id}``,
``POST /3/events`` (CloudEvents; a RequestCreated event is answered asynchronously at its
``source``'s ``/3/events`` — only when that is a registered partner — through the one
delivery worker, with retries). Serve it over TLS only: ``junkan trace pact-serve`` makes a
certificate."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from junkan.api.app import BodyLimit
from junkan.api.pact_events import Callbacks
from junkan.api.pact_partners import (
    AUTH_FIELDS,
    Partner,
    TokenCache,
    events_url,
    load_partners,
    partner_for,
    partners_from,
)
from junkan.api.pact_routes import PactHost, add_routes
from junkan.api.pact_snapshot import FILTERS, Footprints, Snapshot, error, list_page
from junkan.core.outbound import Origin, OutboundPolicy
from junkan.store.db import Database, Settings
from junkan.store.repo import Store

__all__ = ["AUTH_FIELDS", "FILTERS", "Partner", "Snapshot", "TokenCache", "create_pact_app",
           "error", "events_url", "list_page", "load_partners", "partner_for", "partners_from",
           "self_signed_certificate"]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the callback delivery worker (``app.state.outbox``) while the app runs."""
    worker = app.state.outbox
    worker.start()
    try:
        yield
    finally:
        await run_in_threadpool(worker.stop)


class PactBodyLimit:
    """The service's :class:`~junkan.api.app.BodyLimit` (``JUNKAN_MAX_BODY_BYTES``, refused
    before the body is read) answering in PACT's error shape: 413 ``BadRequest``."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reached = refused = False

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            nonlocal reached
            reached = True
            await self.app(scope, receive, send)

        async def answer(message: Message) -> None:
            nonlocal refused
            if reached:
                await send(message)
            else:  # BodyLimit's own refusal, sent before the app ran
                refused = True

        await BodyLimit(app, self.limit)(scope, receive, answer)
        if refused:
            await error(413, "BadRequest", f"the request body is larger than {self.limit} "
                                           "bytes (JUNKAN_MAX_BODY_BYTES)")(scope, receive,
                                                                            send)


def _partners(partners: dict[str, dict[str, str]] | dict[Origin, Partner] | None
              ) -> dict[Origin, Partner]:
    if partners is None:
        return load_partners(None)
    if all(isinstance(k, Origin) for k in partners):
        return dict(partners)  # type: ignore[arg-type]
    return partners_from(dict(partners))  # type: ignore[arg-type]


def create_pact_app(settings: Settings | None = None, *, callback_retries: int = 8,
                    callback_backoff_s: float = 1.0,
                    partners: dict[str, dict[str, str]] | dict[Origin, Partner] | None = None,
                    outbound: OutboundPolicy | None = None,
                    public_url: str | None = None) -> FastAPI:
    """The PACT host. ``partners``: as :func:`load_partners` reads them (default:
    ``JUNKAN_PACT_PARTNERS``); ``outbound``: the outbound-request policy (default: the
    ``JUNKAN_OUTBOUND_*`` settings); ``public_url``: the host's public base URL, named in
    footprints as where the extension schema is (default ``JUNKAN_PACT_PUBLIC_URL``, else
    the URL each request used). Its delivery worker runs while the app runs (lifespan) and
    takes up callbacks left pending by an earlier run."""
    import os

    settings = settings or Settings()
    known = _partners(partners)
    db = Database(settings.database_url)
    db.migrate()
    store = Store(db)
    footprints = Footprints(db, public_url or os.environ.get("JUNKAN_PACT_PUBLIC_URL"))
    callbacks = Callbacks(db, known, footprints, retries=callback_retries,
                          backoff_s=callback_backoff_s, outbound=outbound)

    from importlib import resources

    notice = (resources.files("junkan.data") / "PACT-NOTICE.md").read_text("utf-8")
    app = FastAPI(title="junkan PACT v3 host", version="3.0.0", description=notice,
                  lifespan=lifespan)
    app.state.outbox = callbacks.worker
    app.state.pact = PactHost(settings, store, footprints, callbacks)

    @app.get("/notice")
    def licence_notice() -> Response:
        """The PACT specification's licence notice (WBCSD licence §3.2)."""
        return Response(notice, media_type="text/markdown; charset=utf-8")

    add_routes(app)
    app.add_middleware(PactBodyLimit, limit=settings.max_body_bytes)
    return app


def self_signed_certificate(directory: str, hosts: tuple[str, ...] = ("localhost",
                                                                    "127.0.0.1")) -> tuple[str,
                                                                                           str]:
    """Write (cert.pem, key.pem) for loopback TLS if they do not exist; return their paths."""
    import ipaddress
    from pathlib import Path

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    d = Path(directory)
    cert_p, key_p = d / "cert.pem", d / "key.pem"
    if cert_p.exists() and key_p.exists():
        return str(cert_p), str(key_p)
    d.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "junkan PACT host")])
    alt = [x509.IPAddress(ipaddress.ip_address(h)) if h[0].isdigit() else x509.DNSName(h)
           for h in hosts]
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=825))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    key_p.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
    key_p.chmod(0o600)
    cert_p.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(cert_p), str(key_p)
