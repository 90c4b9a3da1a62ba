"""PACT v3 host over the lot ledger: ``POST /auth/token`` (client credentials, HTTP Basic),
``GET /3/footprints`` (mandatory filters, ``Link`` pagination), ``GET /3/footprints/{id}``,
``POST /3/events`` (CloudEvents; a RequestCreated event is answered asynchronously at its
``source``'s ``/3/events`` — only when that is a registered partner — through the one
delivery worker, with retries). Serve it over TLS only: ``junkan trace pact-serve`` makes a
certificate."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import threading
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, NamedTuple

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from junkan.api.auth import basic_credentials
from junkan.core.outbound import (
    DeliveryFailed,
    Origin,
    OutboundPolicy,
    OutboundRefused,
    parse_origin,
    url_origin,
)
from junkan.store import trace_outbox
from junkan.store.db import Database, Settings
from junkan.store.repo import Store
from junkan.store.tables import User
from junkan.store.trace_repo import HOLDER_FIELDS, ledger_version, lot_view
from junkan.trace import pact

log = logging.getLogger(__name__)

FILTERS = ("productId", "companyId", "geography", "classification", "validOn", "validAfter",
           "validBefore", "status")
AUTH_FIELDS = ("auth_url", "client_id", "client_secret")


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"code": code, "message": message})


class Partner(NamedTuple):
    """A registered PACT partner: callbacks go to its origin only."""

    origin: Origin
    auth_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    organisation: str | None = None
    """If set, only requests of this organisation (by name) are answered at the partner."""


def load_partners(path: str | None) -> dict[Origin, Partner]:
    """The partners this host calls back: a YAML/JSON file (``JUNKAN_PACT_PARTNERS``) mapping
    each partner's origin (``https://host[:port]``, matched exactly: scheme, host and port,
    never a prefix) to ``auth_url``, ``client_id`` and ``client_secret`` (the credentials this
    host uses at the partner's token endpoint; all three or none) and optionally
    ``organisation`` (answer only that organisation's requests there). Missing file → no
    partners: no callbacks at all."""
    import os
    from pathlib import Path

    import yaml

    path = path or os.environ.get("JUNKAN_PACT_PARTNERS")
    if not path:
        return {}
    doc = yaml.safe_load(Path(path).read_text("utf-8")) or {}
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: map each partner origin to its credentials")
    return partners_from(doc, path)


def partners_from(doc: dict[str, Any], source: str = "partners") -> dict[Origin, Partner]:
    """Partners from a mapping as in :func:`load_partners` (checked, with clear errors)."""
    out: dict[Origin, Partner] = {}
    for key, cred in doc.items():
        cred = dict(cred or {})
        try:
            origin = parse_origin(str(key), f"{source}: partner {key!r}")
        except OutboundRefused as exc:
            raise ValueError(str(exc)) from None
        unknown = set(cred) - {*AUTH_FIELDS, "organisation"}
        if unknown:
            raise ValueError(f"{source}: partner {key!r}: unknown keys {sorted(unknown)}")
        given = [f for f in AUTH_FIELDS if f in cred]
        if given and len(given) != len(AUTH_FIELDS):
            missing = sorted(set(AUTH_FIELDS) - set(given))
            raise ValueError(f"{source}: partner {key!r} lacks {missing}")
        if given:
            try:
                url_origin(str(cred["auth_url"]), f"{source}: partner {key!r}: auth_url")
            except OutboundRefused as exc:
                raise ValueError(str(exc)) from None
        if origin in out:
            raise ValueError(f"{source}: partner {origin} is listed twice")
        out[origin] = Partner(origin, *(str(cred[f]) if f in cred else None
                                        for f in (*AUTH_FIELDS, "organisation")))
    return out


def events_url(source: str) -> str | None:
    """Where the answer to an event goes: the ``/3/events`` endpoint of its ``source``.
    PACT v3 writes the source as ``//host[:port]/3/events`` (HTTPS implied); a base URL
    (``https://host[/prefix]``) gets ``/3/events`` appended; a URL ending in ``/3/events`` is
    kept. None if ``source`` is not such a URL."""
    text = source.strip() if isinstance(source, str) else ""
    if text.startswith("//"):
        text = "https:" + text
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    path = parts.path.rstrip("/")
    if not path.endswith("/3/events"):
        path += "/3/events"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def partner_for(partners: dict[Origin, Partner], url: str) -> Partner | None:
    """The partner whose origin is exactly ``url``'s (scheme, host, port), or None."""
    try:
        return partners.get(url_origin(url))
    except OutboundRefused:
        return None


class TokenCache:
    """Bearer tokens this host got from its partners, until shortly before they expire."""

    def __init__(self) -> None:
        self._tokens: dict[Origin, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def token(self, partner: Partner, policy: OutboundPolicy) -> str | None:
        """A bearer token from ``partner``'s token endpoint (client credentials with HTTP
        Basic), through the outbound policy; None for a partner without credentials."""
        if partner.auth_url is None:
            return None
        now = time.monotonic()
        with self._lock:
            hit = self._tokens.get(partner.origin)
        if hit is not None and now < hit[0]:
            return hit[1]
        basic = base64.b64encode(f"{partner.client_id}:{partner.client_secret}".encode())
        resp = policy.post(partner.auth_url, urllib.parse.urlencode(
            {"grant_type": "client_credentials"}).encode(), {
            "Authorization": f"Basic {basic.decode()}",
            "Content-Type": "application/x-www-form-urlencoded"},
            allowed=[url_origin(partner.auth_url)])
        try:
            doc = json.loads(resp.body)
            tok = str(doc["access_token"])
            ttl = float(doc.get("expires_in", 300))
        except (ValueError, KeyError, TypeError):
            raise DeliveryFailed(f"{partner.origin}: the token answer is not a token") from None
        with self._lock:
            self._tokens[partner.origin] = (now + max(0.0, min(ttl - 30, 3600)), tok)
        return tok


class Snapshot(NamedTuple):
    """One organisation's footprints at one ledger version, with their encoded answers."""

    version: int
    pfs: list[dict[str, Any]]
    items: dict[str, bytes]
    """``{"data": pf}`` encoded, by footprint id."""
    pages: dict[str, tuple[bytes, str | None]]
    """List answers (body, Link header) by request URL."""


def _json(doc: Any) -> bytes:
    """Compact JSON; NaN and infinity are refused, never written."""
    return json.dumps(doc, separators=(",", ":"), allow_nan=False).encode()


def list_page(pfs: list[dict[str, Any]],
              request: Request) -> tuple[bytes, str | None] | JSONResponse:
    """One page of ``GET /3/footprints``: the filtered footprints from ``offset``, at most
    ``limit``, and the ``Link`` to the next page; or the 400 answer for a bad query."""
    q: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        if key in FILTERS:
            q.setdefault(key, []).append(value)
    try:
        limit = int(request.query_params.get("limit", "100"))
        offset = int(request.query_params.get("offset", "0"))
    except ValueError:
        return error(400, "BadRequest", "limit and offset must be integers")
    if limit < 1 or offset < 0:
        return error(400, "BadRequest", "limit must be ≥ 1 and offset ≥ 0")
    try:
        found = [pf for pf in pfs if pact.matches(pf, q)]
    except ValueError as exc:
        return error(400, "BadRequest", f"bad filter value: {exc}")
    link = None
    if offset + limit < len(found):
        base = str(request.url.remove_query_params(["offset", "limit"]))
        sep = "&" if "?" in base else "?"
        link = f'<{base}{sep}offset={offset + limit}&limit={limit}>; rel="next"'
    return _json({"data": found[offset:offset + limit]}), link


def create_pact_app(settings: Settings | None = None, *, callback_retries: int = 8,
                    callback_backoff_s: float = 1.0,
                    partners: dict[str, dict[str, str]] | dict[Origin, Partner] | None = None,
                    outbound: OutboundPolicy | None = None) -> FastAPI:
    """The PACT host. ``partners``: as :func:`load_partners` reads them (default:
    ``JUNKAN_PACT_PARTNERS``); ``outbound``: the outbound-request policy (default: the
    ``JUNKAN_OUTBOUND_*`` settings). Its delivery worker runs while the app runs (lifespan)
    and takes up callbacks left pending by an earlier run."""
    settings = settings or Settings()
    if partners is None:
        known = load_partners(None)
    elif all(isinstance(k, Origin) for k in partners):
        known = dict(partners)  # type: ignore[arg-type]
    else:
        known = partners_from(dict(partners))  # type: ignore[arg-type]
    db = Database(settings.database_url)
    db.migrate()
    store = Store(db)
    tokens_at_partners = TokenCache()

    def send_callback(job: trace_outbox.Job, policy: OutboundPolicy) -> None:
        """Deliver a queued RequestFulfilled/Rejected event to its registered partner."""
        partner = partner_for(known, job.url)
        if partner is None:
            raise OutboundRefused(f"{job.url}: not a registered partner (any more)")
        headers = {"Content-Type": "application/cloudevents+json; charset=UTF-8",
                   "User-Agent": "junkan-pact"}
        tok = tokens_at_partners.token(partner, policy)
        if tok:
            headers["Authorization"] = f"Bearer {tok}"
        policy.post(job.url, job.body.encode("utf-8"), headers, allowed=[partner.origin])

    worker = trace_outbox.Outbox(db, {"pact": send_callback}, policy=outbound,
                                 backoff_s={"pact": callback_backoff_s})

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        worker.start()
        try:
            yield
        finally:
            await run_in_threadpool(worker.stop)

    from importlib import resources

    notice = (resources.files("junkan.data") / "PACT-NOTICE.md").read_text("utf-8")
    app = FastAPI(title="junkan PACT v3 host", version="3.0.0", description=notice,
                  lifespan=lifespan)
    app.state.outbox = worker

    @app.get("/notice")
    def licence_notice() -> Response:
        """The PACT specification's licence notice (WBCSD licence §3.2)."""
        return Response(notice, media_type="text/markdown; charset=utf-8")

    tokens: dict[str, tuple[float, User]] = {}

    def user_of(request: Request) -> User | None:
        """The token's user. A valid token is remembered until it expires, for at most 5 s
        (a store round trip and a hash per request otherwise), so a revoked token stops
        working within 5 s."""
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        tok = header[7:].strip()
        hit = tokens.get(tok)
        now = time.monotonic()
        if hit is not None and now < hit[0]:
            return hit[1]
        grant = store.token_grant(tok, "bearer")
        if grant is None:
            tokens.pop(tok, None)
            return None
        user, expires = grant
        left = (expires - dt.datetime.now(dt.UTC)).total_seconds()
        if len(tokens) > 10_000:
            tokens.clear()
        tokens[tok] = (now + min(5.0, left), user)
        return user

    def invalid_token(request: Request | None = None) -> JSONResponse:
        """400 BadRequest for an unknown token (conformance cases 6, 7, 16); 401 TokenExpired
        for one this host issued that has expired (the specification's error table)."""
        header = request.headers.get("authorization", "") if request is not None else ""
        if header.lower().startswith("bearer ") and store.token_expired(header[7:].strip(),
                                                                         "bearer"):
            return error(401, "TokenExpired", "The access token has expired")
        return error(400, "BadRequest", "Invalid token provided")

    @app.post("/auth/token")
    async def token(request: Request) -> JSONResponse:
        form = dict((await request.form()).items())
        if form.get("grant_type") != "client_credentials":
            return JSONResponse(status_code=400, content={"error": "unsupported_grant_type"})
        creds = basic_credentials(request)
        user = store.client_user(*creds) if creds else None
        if user is None:
            return JSONResponse(status_code=401, content={
                "error": "invalid_client", "error_description": "Client authentication failed"},
                headers={"WWW-Authenticate": "Basic"})
        tok = store.issue_token(user.id, "bearer", settings.token_ttl_seconds)
        return JSONResponse({"access_token": tok, "token_type": "Bearer",
                             "expires_in": settings.token_ttl_seconds},
                            headers={"Cache-Control": "no-store"})

    snapshots: dict[str, Snapshot] = {}

    def version() -> int:
        with db.engine.connect() as conn:
            return ledger_version(conn)

    def build_snapshot(user: User, version: int) -> Snapshot:
        """Footprints of the lots ``user``'s organisation may see, built in one query."""
        from sqlalchemy import or_, select

        from junkan.store.tables import Organisation
        from junkan.store.trace_tables import TraceLot

        with db.session() as s:
            names = {o.id: o.name for o in s.scalars(select(Organisation))}
            lots = s.scalars(select(TraceLot).where(or_(
                TraceLot.creator_org == user.org_id, TraceLot.owner_org == user.org_id,
                TraceLot.shipped_to == user.org_id)).order_by(TraceLot.seq)).all()
            pfs = []
            for lot in lots:
                try:
                    pfs.append(pact.footprint(
                        lot_view(lot, names, HOLDER_FIELDS),  # what a holder sees
                        f"urn:junkan:org:{lot.creator_org}", lot.created_at, lot.updated_at,
                        key=pact.lot_key(lot.creator_org, lot.lot)))
                except pact.NotFinite as exc:  # never publish NaN / infinity: leave it out
                    log.error("PACT: lot seq %s left out of the footprints: %s", lot.seq, exc)
        snap = Snapshot(version, pfs, {pf["id"]: _json({"data": pf}) for pf in pfs}, {})
        snapshots[user.org_id] = snap
        return snap

    def cached(user: User) -> tuple[Snapshot | None, int]:
        """The organisation's snapshot if the ledger has not moved since it was built (else
        None), and the ledger's version."""
        now = version()
        snap = snapshots.get(user.org_id)
        return (snap if snap is not None and snap.version == now else None), now

    async def snapshot(user: User) -> Snapshot:
        """The organisation's footprints, rebuilt off the event loop when stale."""
        snap, now = cached(user)
        return snap if snap is not None else await run_in_threadpool(build_snapshot, user, now)

    @app.get("/3/footprints")
    async def list_footprints(request: Request) -> Response:
        user = user_of(request)
        if user is None:
            return invalid_token(request)
        snap = await snapshot(user)
        key = str(request.url)  # the Link names the host the client used
        page = snap.pages.get(key)
        if page is None:
            built = list_page(snap.pfs, request)
            if isinstance(built, JSONResponse):
                return built
            if len(snap.pages) < 4096:
                snap.pages[key] = built
            page = built
        body, link = page
        return Response(body, media_type="application/json",
                        headers={"Link": link} if link else None)

    @app.get("/3/footprints/{fid}")
    async def get_footprint(fid: str, request: Request) -> Response:
        user = user_of(request)
        if user is None:
            return invalid_token(request)
        body = (await snapshot(user)).items.get(fid)
        if body is None:
            return error(404, "NotFound", f"Footprint with ID '{fid}' does not exist")
        return Response(body, media_type="application/json")

    def answer(user: User, event: dict[str, Any]) -> dict[str, Any]:
        """The RequestFulfilled (or Rejected) event answering a RequestCreated event."""
        data = event.get("data") or {}
        wanted = data.get("productId") or data.get("productIds") or []
        if not isinstance(wanted, list):
            wanted = [wanted]
        snap, now = cached(user)
        pfs = [pf for pf in (snap if snap is not None else build_snapshot(user, now)).pfs
               if not wanted or any(p in pf["productIds"] for p in wanted)]
        if pfs:
            body = {"type": "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3",
                    "data": {"requestEventId": event["id"], "pfs": pfs}}
        else:
            body = {"type": "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3",
                    "data": {"requestEventId": event["id"], "error": {
                        "code": "NotFound", "message": "no footprint matches the request"}}}
        return body | {"specversion": "1.0", "id": str(uuid.uuid4()),
                       "source": "urn:junkan:pact",
                       "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}

    def queue_answer(user: User, event: dict[str, Any]) -> bool:
        """Queue the answer to a RequestCreated event for its source's ``/3/events`` if that
        is a registered partner (else nothing is sent: this host never POSTs to an address
        a client names). False when the organisation's queue is full."""
        from junkan.store.tables import Organisation

        url = events_url(event["source"])
        partner = partner_for(known, url) if url else None
        with db.session() as s:
            org = s.get(Organisation, user.org_id)
            if partner is None or (partner.organisation is not None and (
                    org is None or org.name != partner.organisation)):
                log.warning("PACT: no callback for event %s: its source is not a registered "
                            "partner of this organisation", str(event.get("id"))[:100])
                return True
        body = answer(user, event)
        with db.session() as s:
            queued = trace_outbox.enqueue(s, "pact", user.org_id, str(url), body,
                                          max_attempts=callback_retries)
        worker.wake()
        return queued

    @app.post("/3/events")
    async def events(request: Request) -> Response:
        user = user_of(request)
        if user is None:
            return invalid_token(request)
        try:
            event = json.loads(await request.body())
        except ValueError:
            return error(400, "BadRequest", "body is not JSON")
        if not isinstance(event, dict) or event.get("specversion") != "1.0" or \
                not event.get("id") or not event.get("source"):
            return error(400, "BadRequest", "a CloudEvent needs specversion 1.0, id and source")
        if not isinstance(event["id"], str) or len(event["id"]) > 200 or \
                not isinstance(event["source"], str) or len(event["source"]) > 2000:
            return error(400, "BadRequest", "id (≤ 200 characters) and source (≤ 2000) must "
                                            "be strings")
        kind = event.get("type")
        if kind not in pact.EVENT_TYPES:
            return error(400, "BadRequest", f"unsupported event type {kind!r}")
        data = event.get("data")
        if not isinstance(data, dict):
            return error(400, "BadRequest", "data must be an object")
        if kind.endswith("PublishedEvent.3"):
            ids = data.get("pfIds")
            if not isinstance(ids, list) or not ids:
                return error(400, "BadRequest", "PublishedEvent needs data.pfIds")
            for i in ids:
                try:
                    uuid.UUID(str(i))
                except ValueError:
                    return error(400, "BadRequest", f"pfIds: {i!r} is not a UUID")
        if kind.endswith(("RequestFulfilledEvent.3", "RequestRejectedEvent.3")) and \
                not data.get("requestEventId"):
            return error(400, "BadRequest", "data.requestEventId is required")
        if kind.endswith("RequestCreatedEvent.3") and \
                not await run_in_threadpool(queue_answer, user, event):
            return error(429, "TooManyRequests", "too many answers are waiting to be "
                                                 "delivered; try again later")
        return Response(status_code=200)

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
