"""Recompute the lots downstream of a re-declaration in bulk and notify their
holders and makers (and their webhooks)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from sqlalchemy import DateTime, bindparam, select, text
from sqlalchemy.orm import Session

from junkan.store import trace_outbox
from junkan.store.tables import Organisation
from junkan.store.trace_base import TraceBase, TraceError
from junkan.store.trace_graph import LotGraph
from junkan.store.trace_rows import chunks
from junkan.store.trace_tables import TraceLot, TraceNotification, TraceWebhook
from junkan.trace.propagate import downstream, recompute


def _display_many(s: Session, org_id: str, lots: list[tuple[str, str]]) -> list[str]:
    """How ``org_id`` refers to these lots (id, creator) it made or holds: the id alone when
    that names the lot in its view (its own, or the only one with that id it holds), else
    ``creator/id``."""
    ids = sorted({lot for lot, creator in lots if creator != org_id})
    if not ids:
        return [lot for lot, _ in lots]
    seen: dict[str, list[str]] = {}
    for chunk in chunks(ids, 900):  # by id (its index), then the view: see trace_rows._LOT_SELECT
        for lot, creator, owner, shipped in s.execute(select(
                TraceLot.lot, TraceLot.creator_org, TraceLot.owner_org, TraceLot.shipped_to)
                .where(TraceLot.lot.in_(chunk))):
            if org_id in (creator, owner, shipped):
                seen.setdefault(lot, []).append(creator)
    names: dict[str, str] = {}
    out = []
    for lot, creator in lots:
        others = seen.get(lot, [])
        if creator == org_id or (org_id not in others and len(others) <= 1):
            out.append(lot)
            continue
        if creator not in names:
            names[creator] = str(s.scalar(select(Organisation.name).where(
                Organisation.id == creator)))
        out.append(f"{names[creator]}/{lot}")
    return out


class RecomputeMixin(TraceBase):
    """Recompute downstream lots after a re-declaration and notify their holders."""

    def _recompute(self, s: Session, graph: LotGraph, changed: list[int],
                   by: str) -> tuple[int, list[str]]:
        """Recompute the downstream cone of ``changed`` lots (one triangular solve) and write
        the lots whose values moved in bulk; notify their holders and makers. ``graph`` is
        the current lot graph; its values are updated."""
        seqs, values = graph.seqs, graph.values
        cone = downstream(graph.g, np.searchsorted(seqs, changed))
        new = recompute(graph.g, values, cone)
        if not np.isfinite(new).all():
            bad = int(seqs[cone[~np.isfinite(new).all(axis=1)][0]])
            raise TraceError(f"the recomputed CFP of a downstream lot (seq {bad}) would not be "
                             "a finite number; check the masses and footprints upstream")
        moved_mask = np.any(np.abs(new - values[cone]) > 1e-12, axis=1)
        moved = cone[moved_mask]
        graph.set_values(cone, new)
        now = datetime.now(UTC)
        owners: dict[str, list[str]] = {}
        counts: dict[str, int] = {}
        if moved.size:
            conn = s.connection()
            mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            # the new values go through a temporary table (driver-level executemany), then
            # one UPDATE … FROM: per-row statements cost ~10 µs each through SQLAlchemy
            conn.exec_driver_sql(
                "CREATE TEMP TABLE IF NOT EXISTS trace_recompute (seq INTEGER PRIMARY KEY, "
                "t DOUBLE PRECISION, f DOUBLE PRECISION, b DOUBLE PRECISION, "
                "p DOUBLE PRECISION, q DOUBLE PRECISION)")
            conn.exec_driver_sql("DELETE FROM trace_recompute")
            vals = new[moved_mask]
            rows = list(zip(seqs[moved].tolist(), *vals.T.tolist(), strict=True))
            conn.exec_driver_sql(f"INSERT INTO trace_recompute VALUES ({', '.join([mark] * 6)})",
                                 rows)
            conn.execute(text(
                "UPDATE trace_values SET cfp_total = r.t, cfp_fossil = r.f, cfp_biogenic = r.b, "
                "rec_pre = r.p, rec_post = r.q, updated_at = :now FROM trace_recompute AS r "
                "WHERE trace_values.seq = r.seq").bindparams(
                bindparam("now", value=now, type_=DateTime(timezone=True))))
            # holders and makers of the moved lots: a few aggregate queries, not a million rows
            orgs = {o for (o,) in conn.execute(text(
                "SELECT DISTINCT l.owner_org FROM trace_lots AS l JOIN trace_recompute AS r "
                "ON l.seq = r.seq UNION SELECT DISTINCT l.creator_org FROM trace_lots AS l "
                "JOIN trace_recompute AS r ON l.seq = r.seq"))}
            for org_id in sorted(orgs):
                where = ("FROM trace_lots AS l JOIN trace_recompute AS r ON l.seq = r.seq "
                         "WHERE l.owner_org = :o OR l.creator_org = :o")
                count = conn.execute(text(f"SELECT COUNT(*) {where}"), {"o": org_id}).scalar()
                first = [(lot, creator) for lot, creator in conn.execute(text(
                    f"SELECT l.lot, l.creator_org {where} ORDER BY l.seq LIMIT 1000"),
                    {"o": org_id})]
                owners[org_id] = _display_many(s, org_id, first)
                counts[org_id] = int(count or 0)
            conn.exec_driver_sql("DELETE FROM trace_recompute")
        for org_id, ids in owners.items():
            n = counts[org_id]
            note = TraceNotification(org_id=org_id, lot=ids[0], message=(
                f"{n} of your lots were recomputed after {by} re-declared an upstream "
                f"lot: {', '.join(ids[:10])}{' …' if n > 10 else ''}"),
                payload={"lots": ids[:1000], "count": n, "by": by})
            s.add(note)
            s.flush()
            self._queue_webhook(s, note)
        names = {o.id: o.name for o in s.scalars(select(Organisation).where(
            Organisation.id.in_(list(owners))))}
        return int(cone.size), sorted(names[o] for o in owners)

    def _queue_webhook(self, s: Session, note: TraceNotification) -> None:
        """Queue ``note`` for the organisation's webhook, if it has one (same transaction)."""
        hook = s.get(TraceWebhook, note.org_id)
        if hook is None:
            return
        body = {"type": "junkan.trace.notification", "id": note.id, "lot": note.lot,
                "message": note.message, "payload": note.payload}
        queued = trace_outbox.enqueue(s, "webhook", note.org_id, hook.url, body,
                                      max_attempts=self.webhook_retries,
                                      notification_id=note.id)
        note.webhook_status = "pending" if queued else "not sent: too many pending deliveries"
