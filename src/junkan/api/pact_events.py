"""``POST /3/events``: CloudEvents checked; a RequestCreated event is answered (fulfilled or
rejected) asynchronously at its source's ``/3/events`` — only when that is a registered
partner — through the delivery worker, with retries."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from fastapi.responses import JSONResponse

from junkan.api.pact_partners import Partner, TokenCache, events_url, partner_for
from junkan.api.pact_snapshot import FILTERS, Footprints, error
from junkan.core.outbound import Origin, OutboundPolicy, OutboundRefused
from junkan.store import trace_outbox
from junkan.store.db import Database
from junkan.store.tables import Organisation, User
from junkan.trace import pact

log = logging.getLogger("junkan.api.pact")


def check_event(event: Any) -> JSONResponse | None:
    """The 400 answer to a body that is not a CloudEvent this host takes, else None."""
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
    return None


def _criteria(data: dict[str, Any]) -> dict[str, list[str]]:
    """The ListFootprints filters a RequestCreated event names (v3: the same criteria); only
    Active footprints unless it asks for a status."""
    q: dict[str, list[str]] = {}
    for name in FILTERS:
        value = data.get(name)
        if name == "productId" and value is None:
            value = data.get("productIds")  # tolerated spelling
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        q[name] = [str(v) for v in values if isinstance(v, str | int | float)]
    q.setdefault("status", ["Active"])
    return q


def answer(footprints: Footprints, user: User, event: dict[str, Any],
           base: str = "") -> dict[str, Any]:
    """The RequestFulfilled (or Rejected) event answering a RequestCreated event: the
    footprints matching its criteria, or a rejection saying why there are none."""
    data = event.get("data") or {}
    snap = footprints.current(user, base)
    q = _criteria(data)
    try:
        pfs = [pf for pf in snap.pfs if pact.matches(pf, q)]
    except ValueError as exc:
        pfs, why = [], ("BadRequest", f"bad criteria: {exc}")
    else:
        held = [r for p, r in snap.withheld.items()
                if p.casefold() in {w.casefold() for w in q.get("productId", [])}]
        why = ("NotFound", "no footprint matches the request" + (
            f"; the product's footprint cannot be published: {held[0]}" if held else ""))
    if pfs:
        body = {"type": "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3",
                "data": {"requestEventId": event["id"], "pfs": pfs}}
    else:
        body = {"type": "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3",
                "data": {"requestEventId": event["id"], "error": {
                    "code": why[0], "message": why[1]}}}
    return body | {"specversion": "1.0", "id": str(uuid.uuid4()),
                   "source": f"{base}/3/events" if base else "urn:junkan:pact",
                   "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


class Callbacks:
    """Answers to RequestCreated events, queued for registered partners and delivered by
    :attr:`worker` (``retries`` attempts, ``backoff_s`` between them, growing)."""

    def __init__(self, db: Database, partners: dict[Origin, Partner], footprints: Footprints,
                 *, retries: int, backoff_s: float, outbound: OutboundPolicy | None) -> None:
        self.db = db
        self.partners = partners
        self.footprints = footprints
        self.retries = retries
        self.tokens = TokenCache()
        self.worker = trace_outbox.Outbox(db, {"pact": self.send}, policy=outbound,
                                          backoff_s={"pact": backoff_s})

    def send(self, job: trace_outbox.Job, policy: OutboundPolicy) -> None:
        """Deliver a queued RequestFulfilled/Rejected event to its registered partner."""
        partner = partner_for(self.partners, job.url)
        if partner is None:
            raise OutboundRefused(f"{job.url}: not a registered partner (any more)")
        headers = {"Content-Type": "application/cloudevents+json; charset=UTF-8",
                   "User-Agent": "junkan-pact"}
        tok = self.tokens.token(partner, policy)
        if tok:
            headers["Authorization"] = f"Bearer {tok}"
        policy.post(job.url, job.body.encode("utf-8"), headers, allowed=[partner.origin])

    def queue_answer(self, user: User, event: dict[str, Any], base: str = "") -> bool:
        """Queue the answer to a RequestCreated event for its source's ``/3/events`` if that
        is a registered partner (else nothing is sent: this host never POSTs to an address
        a client names). False when the organisation's queue is full."""
        url = events_url(event["source"])
        partner = partner_for(self.partners, url) if url else None
        with self.db.session() as s:
            org = s.get(Organisation, user.org_id)
            if partner is None or (partner.organisation is not None and (
                    org is None or org.name != partner.organisation)):
                log.warning("PACT: no callback for event %s: its source is not a registered "
                            "partner of this organisation", str(event.get("id"))[:100])
                return True
        body = answer(self.footprints, user, event, base)
        with self.db.session() as s:
            queued = trace_outbox.enqueue(s, "pact", user.org_id, str(url), body,
                                          max_attempts=self.retries)
        self.worker.wake()
        return queued
