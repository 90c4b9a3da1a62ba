"""The footprints of ``GET /3/footprints``: one snapshot per organisation (and host URL), kept
while the ledger and the organisation's agreements do not move, with its encoded answers and
list pages. What an organisation sees is the one access rule (:mod:`junkan.trace.access`),
the same as ``trace show``: a lot's footprint needs its ``cfp``; the extension carries its
recycled shares and claims only where those fields are visible too."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any, NamedTuple

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import or_, select, text
from starlette.concurrency import run_in_threadpool

from junkan.core.limits import limits
from junkan.store import trace_pact
from junkan.store.db import Database
from junkan.store.tables import Organisation, User
from junkan.store.trace_repo import HOLDER_FIELDS, lot_view
from junkan.store.trace_tables import TraceAgreement, TraceLot
from junkan.trace import Grant, pact, visible_fields

log = logging.getLogger("junkan.api.pact")

FILTERS = ("productId", "companyId", "geography", "classification", "validOn", "validAfter",
           "validBefore", "status")
MAX_SNAPSHOTS = 256
"""Snapshots kept at once (organisation × host URL); beyond, the least recently used goes."""
HOSTS_PER_ORG = 4
"""Host URLs an organisation's snapshots are kept for at once (an assumption: a host is
reached by a few names — DNS name, address, ``localhost``); a fifth evicts the organisation's
least recently used. ``JUNKAN_PACT_PUBLIC_URL`` makes it one snapshot per organisation."""
MAX_PAGES = 4096
"""List answers cached per snapshot at most (also bounded by :attr:`Pages.budget`)."""
PAGE_CACHE_FACTOR = 2
"""Cached list answers of a snapshot hold at most this many times the bytes of its encoded
footprints (an assumption: every page of the whole list in two page sizes)."""


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"code": code, "message": message})


PageKey = tuple[tuple[tuple[str, tuple[str, ...]], ...], int, int]
"""(filters with their values, limit, offset): what a list answer depends on."""


class Pages(dict[PageKey, tuple[bytes, bool]]):
    """A snapshot's list answers (body, whether a next page exists) by :data:`PageKey`, at most
    :data:`MAX_PAGES` of them and ``budget`` bytes of bodies (past either, pages are built
    for each request and not kept)."""

    def __init__(self, budget: int = 0) -> None:
        super().__init__()
        self.budget = budget
        self.size = 0

    def keep(self, key: PageKey, page: tuple[bytes, bool]) -> None:
        if len(self) < MAX_PAGES and self.size + len(page[0]) <= self.budget \
                and key not in self:
            self[key] = page
            self.size += len(page[0])


class Snapshot(NamedTuple):
    """One organisation's footprints at one state of the ledger and its agreements."""

    version: tuple[int, ...]
    pfs: list[dict[str, Any]]
    """Every published version of every visible lot, newest first per lot."""
    items: dict[str, bytes]
    """``{"data": pf}`` encoded, by footprint id."""
    pages: Pages
    """List answers by the parsed query (the Link is made per request: it names the host
    the client used)."""
    withheld: dict[str, str] = {}
    """productId → why the lot is not published (e.g. unknown fossil carbon content)."""
    valid_until: datetime | None = None
    """When an agreement the snapshot relies on expires (rebuild then)."""


def _json(doc: Any) -> bytes:
    """Compact JSON; NaN and infinity are refused, never written."""
    return json.dumps(doc, separators=(",", ":"), allow_nan=False).encode()


def list_page(pfs: list[dict[str, Any]], request: Request, pages: Pages | None = None
              ) -> tuple[bytes, str | None] | JSONResponse:
    """One page of ``GET /3/footprints``: the filtered footprints from ``offset``, at most
    ``limit`` (at most the ``pact_page_size`` limit: a larger ``limit`` is served in pages of
    that size), and the ``Link`` to the next page; or the 400 answer for a bad query.
    ``pages``: answers kept between requests, keyed by the parsed query alone (query
    parameters the host does not know are ignored, as before, and do not make a new page)."""
    q: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        if name in FILTERS:
            q.setdefault(name, []).append(value)
    try:
        limit = int(request.query_params.get("limit", "100"))
        offset = int(request.query_params.get("offset", "0"))
    except ValueError:
        return error(400, "BadRequest", "limit and offset must be integers")
    if limit < 1 or offset < 0:
        return error(400, "BadRequest", "limit must be ≥ 1 and offset ≥ 0")
    limit = min(limit, limits().pact_page_size)
    key: PageKey = (tuple(sorted((k, tuple(v)) for k, v in q.items())), limit, offset)
    page = pages.get(key) if pages is not None else None
    if page is None:
        try:
            found = [pf for pf in pfs if pact.matches(pf, q)]
        except ValueError as exc:
            return error(400, "BadRequest", f"bad filter value: {exc}")
        page = (_json({"data": found[offset:offset + limit]}), offset + limit < len(found))
        if pages is not None:
            pages.keep(key, page)
    body, more = page
    link = None
    if more:  # the Link names the host this client used, the page itself is shared
        base = str(request.url.remove_query_params(["offset", "limit"]))
        sep = "&" if "?" in base else "?"
        link = f'<{base}{sep}offset={offset + limit}&limit={limit}>; rel="next"'
    return body, link


def base_url(request: Request) -> str:
    """The host's URL as this request reached it (scheme, host, port, root path)."""
    return str(request.base_url).rstrip("/")


_LEDGER = text("SELECT coalesce(max(id), 0) FROM trace_events")
_AGREEMENTS = text(
    "SELECT coalesce(max(id), 0), count(revoked_at) FROM trace_agreements "
    "WHERE grantee_org = :org")
"""What a snapshot depends on besides the clock: the ledger's version (asked on every
request) and the grantee's agreements (a new one, or one revoked)."""


class Footprints:
    """Each organisation's :class:`Snapshot`, rebuilt when the ledger or the organisation's
    agreements moved (or an agreement it relies on expired). ``public_url``: the host's URL
    for the extension's schema (default: the URL each request used)."""

    def __init__(self, db: Database, public_url: str | None = None, *,
                 agreements_ttl_s: float = 1.0) -> None:
        self.db = db
        self.public_url = public_url.rstrip("/") if public_url else None
        self.snapshots: dict[tuple[str, str], Snapshot] = {}
        self.agreements_ttl_s = agreements_ttl_s
        self._agreements: dict[str, tuple[float, tuple[int, int]]] = {}
        self._lock = threading.Lock()  # builds run in worker threads

    def state(self, org_id: str) -> tuple[int, ...]:
        """The ledger's newest event id (every call: one indexed lookup) and the
        organisation's agreements as a grantee (newest id, number revoked), read again at
        most every ``agreements_ttl_s`` (1 s): a grant or revocation shows within that."""
        now = time.monotonic()
        hit = self._agreements.get(org_id)
        with self.db.engine.connect() as conn:
            ledger = int(conn.execute(_LEDGER).scalar() or 0)
            if hit is None or now - hit[0] >= self.agreements_ttl_s:
                row = conn.execute(_AGREEMENTS, {"org": org_id}).one()
                hit = (now, (int(row[0] or 0), int(row[1] or 0)))
                if len(self._agreements) > 10_000:
                    self._agreements.clear()
                self._agreements[org_id] = hit
        return (ledger, *hit[1])

    def version(self) -> int:
        """The ledger's version (newest event id)."""
        return self.state("")[0]

    def _base(self, base: str) -> str:
        return self.public_url or base

    def build(self, user: User, version: tuple[int, ...], base: str = "") -> Snapshot:
        """Footprints of the lots ``user``'s organisation may see: their new versions
        recorded, all versions encoded."""
        base = self._base(base)
        now = datetime.now(UTC)
        org = user.org_id
        with self.db.session() as s:
            names = {o.id: o.name for o in s.scalars(select(Organisation))}
            grants = [Grant.of(a.grantor_org, a.grantee_org, a.lots, a.fields, a.expires_at,
                               a.revoked_at is not None)
                      for a in s.scalars(select(TraceAgreement).where(
                          TraceAgreement.grantee_org == org,
                          TraceAgreement.revoked_at.is_(None)))]
            grants = [g for g in grants if g.active(now)]
            grantors = sorted({g.grantor for g in grants})
            lots = s.scalars(select(TraceLot).where(or_(
                TraceLot.creator_org == org, TraceLot.owner_org == org,
                TraceLot.shipped_to == org, TraceLot.creator_org.in_(grantors)))
                .order_by(TraceLot.seq)).all()
            seen, contents, withheld = _contents(org, lots, names, grants, now)
        versions = trace_pact.record(self.db, contents) if contents else {}
        pfs = _published(seen, versions, base + pact.EXTENSION_PATH,
                         _digests(self.db, list(versions)), withheld)
        expiries = [g.expires_at if g.expires_at.tzinfo else g.expires_at.replace(tzinfo=UTC)
                    for g in grants]
        items = {pf["id"]: _json({"data": pf}) for pf in pfs}
        pages = Pages(PAGE_CACHE_FACTOR * sum(len(b) for b in items.values()))
        snap = Snapshot(version, pfs, items, pages, withheld,
                        min(expiries) if expiries else None)
        self._keep((org, base), snap)
        return snap

    def _keep(self, key: tuple[str, str], snap: Snapshot) -> None:
        """Keep ``snap`` as the newest used; evict the organisation's least recently used
        beyond :data:`HOSTS_PER_ORG` host URLs, and anyone's beyond :data:`MAX_SNAPSHOTS`."""
        snapshots = self.snapshots
        with self._lock:
            snapshots.pop(key, None)
            mine = [k for k in snapshots if k[0] == key[0]]
            for old in mine[:max(0, len(mine) - HOSTS_PER_ORG + 1)]:
                del snapshots[old]
            while len(snapshots) >= MAX_SNAPSHOTS:
                del snapshots[next(iter(snapshots))]
            snapshots[key] = snap

    def cached(self, user: User, base: str = "") -> tuple[Snapshot | None, tuple[int, ...]]:
        """The organisation's snapshot if nothing it depends on moved since it was built
        (else None), and the current state."""
        now = self.state(user.org_id)
        key = (user.org_id, self._base(base))
        snap = self.snapshots.get(key)
        if snap is None or snap.version != now:
            return None, now
        if snap.valid_until is not None and datetime.now(UTC) >= snap.valid_until:
            return None, now
        with self._lock:  # now the most recently used
            if self.snapshots.pop(key, None) is not None:
                self.snapshots[key] = snap
        return snap, now

    def current(self, user: User, base: str = "") -> Snapshot:
        """The organisation's footprints, rebuilt in this thread when stale."""
        snap, now = self.cached(user, base)
        return snap if snap is not None else self.build(user, now, base)

    async def snapshot(self, user: User, base: str = "") -> Snapshot:
        """The organisation's footprints, rebuilt off the event loop when stale."""
        snap, now = self.cached(user, base)
        return snap if snap is not None else await run_in_threadpool(self.build, user, now,
                                                                     base)


def _contents(org: str, lots: Any, names: dict[str, str], grants: list[Grant], now: datetime
              ) -> tuple[list[tuple[Any, frozenset[str]]],
                         list[tuple[int, str, dict[str, Any]]], dict[str, str]]:
    """The lots ``org`` may see the footprint of (with the fields it sees), their footprint
    contents, and the lots that cannot be published (productId → why)."""
    seen: list[tuple[Any, frozenset[str]]] = []
    contents: list[tuple[int, str, dict[str, Any]]] = []
    withheld: dict[str, str] = {}
    for lot in lots:
        fields = visible_fields(org, creator=lot.creator_org, owner=lot.owner_org,
                                shipped_to=lot.shipped_to, lot=lot.lot, grants=grants, now=now)
        if fields is None or "cfp" not in fields:
            continue
        key = pact.lot_key(lot.creator_org, lot.lot)
        try:
            body = pact.content(lot_view(lot, names, HOLDER_FIELDS),
                                f"urn:junkan:org:{lot.creator_org}", key=key,
                                recorded=lot.created_at)
        except pact.Unpublishable as exc:  # never publish what v3 does not allow
            log.warning("PACT: lot seq %s is not published: %s", lot.seq, exc)
            withheld[pact.product_id(key)] = str(exc)
            continue
        seen.append((lot, fields))
        contents.append((lot.seq, key, body))
    return seen, contents, withheld


def _digests(db: Database, seqs: list[int]) -> dict[str, str]:
    """The digest stored with each published version of these lots, by footprint id."""
    t = trace_pact.versions_table.c
    out: dict[str, str] = {}
    with db.engine.connect() as conn:
        for i in range(0, len(seqs), 500):
            out.update((str(r[0]), str(r[1])) for r in conn.execute(
                select(t.id, t.digest).where(t.seq.in_(seqs[i:i + 500]))))
    return out


def _intact(v: trace_pact.Version, digest: str | None) -> bool:
    """Whether a stored version is what was published: its text is exactly what
    :func:`junkan.store.trace_pact.encode` (which made the stored digest) makes of it, with
    that digest."""
    try:
        text, again = trace_pact.encode(json.loads(v.content))
    except (ValueError, TypeError, RecursionError):  # not JSON, or NaN/infinity in it
        return False
    return text == v.content and again == digest


def _published(seen: list[tuple[Any, frozenset[str]]],
               versions: dict[int, list[trace_pact.Version]], schema_url: str,
               digests: dict[str, str], withheld: dict[str, str]) -> list[dict[str, Any]]:
    """Every version of each lot as served: the newest Active, the earlier Deprecated (with
    the values they had), each listing the ids before it, newest first. A version whose
    stored content does not match its digest is never served (logged; if it is the newest,
    the lot is ``withheld``)."""
    out: list[dict[str, Any]] = []
    for lot, fields in seen:
        rows = versions.get(lot.seq, [])
        for i in range(len(rows) - 1, -1, -1):
            v = rows[i]
            if not _intact(v, digests.get(v.id)):
                log.error("PACT: footprint %s (lot seq %s, version %s) does not match the "
                          "digest stored with it: not served (run junkan trace verify)",
                          v.id, lot.seq, v.version)
                if i == len(rows) - 1:
                    withheld[pact.product_id(pact.lot_key(lot.creator_org, lot.lot))] = (
                        "its stored footprint failed the integrity check")
                continue
            out.append(pact.finish(json.loads(v.content), pf_id=v.id, created=v.created_at,
                                   status="Active" if i == len(rows) - 1 else "Deprecated",
                                   preceding=[r.id for r in reversed(rows[:i])],
                                   schema_url=schema_url, fields=fields))
    return out
