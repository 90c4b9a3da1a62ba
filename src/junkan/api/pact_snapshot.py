"""The footprints of ``GET /3/footprints``: one snapshot per organisation, kept while the
ledger does not move, with its encoded answers and list pages."""

from __future__ import annotations

import json
import logging
from typing import Any, NamedTuple

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import or_, select
from starlette.concurrency import run_in_threadpool

from junkan.store.db import Database
from junkan.store.tables import Organisation, User
from junkan.store.trace_repo import HOLDER_FIELDS, ledger_version, lot_view
from junkan.store.trace_tables import TraceLot
from junkan.trace import pact

log = logging.getLogger("junkan.api.pact")

FILTERS = ("productId", "companyId", "geography", "classification", "validOn", "validAfter",
           "validBefore", "status")


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"code": code, "message": message})


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



class Footprints:
    """Each organisation's :class:`Snapshot`, rebuilt when the ledger's version moved."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.snapshots: dict[str, Snapshot] = {}

    def version(self) -> int:
        with self.db.engine.connect() as conn:
            return ledger_version(conn)

    def build(self, user: User, version: int) -> Snapshot:
        """Footprints of the lots ``user``'s organisation may see, built in one query."""
        with self.db.session() as s:
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
        self.snapshots[user.org_id] = snap
        return snap

    def cached(self, user: User) -> tuple[Snapshot | None, int]:
        """The organisation's snapshot if the ledger has not moved since it was built (else
        None), and the ledger's version."""
        now = self.version()
        snap = self.snapshots.get(user.org_id)
        return (snap if snap is not None and snap.version == now else None), now

    def current(self, user: User) -> Snapshot:
        """The organisation's footprints, rebuilt in this thread when stale."""
        snap, now = self.cached(user)
        return snap if snap is not None else self.build(user, now)

    async def snapshot(self, user: User) -> Snapshot:
        """The organisation's footprints, rebuilt off the event loop when stale."""
        snap, now = self.cached(user)
        return snap if snap is not None else await run_in_threadpool(self.build, user, now)
