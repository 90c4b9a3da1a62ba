"""Recompute the lots downstream of a re-declaration in bulk and notify the organisations
concerned (and their webhooks) — each only about lots it may see.

Who is told what (the rule of :mod:`junkan.trace.access`, applied to the lots that changed —
the re-declared lots, the recomputed ones whose values moved and those whose derived uptake
changed, rule 3):

- every organisation that made, holds or was shipped one of those lots gets one
  notification listing those lots (the re-declarer is not told about its own re-declared
  lots); it names the re-declaring organisation, and the re-declared lots, only to an
  organisation that may see one of the re-declared lots, else it says "a lot upstream";
- the re-declarer's answer counts the changed lots it may see and names the notified
  organisations it could see anyway (makers and holders of those lots, and whom it shipped
  them to) — never who is further downstream.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import DateTime, bindparam, select, text
from sqlalchemy.orm import Session

from junkan.store import trace_outbox
from junkan.store.tables import Organisation
from junkan.store.trace_access import stored_grants
from junkan.store.trace_base import TraceBase, TraceError
from junkan.store.trace_graph import LotGraph
from junkan.store.trace_rows import chunks
from junkan.store.trace_tables import TraceLot, TraceNotification, TraceWebhook
from junkan.store.trace_uptake import rederive_uptake
from junkan.trace.access import Grant, visible_fields
from junkan.trace.propagate import downstream, recompute

MOVED_RTOL = 1e-9
"""A value moved when ``abs(new - old) > MOVED_RTOL * max(1, abs(old))``: float noise on a
large CFP is not a change."""

_JOIN = "FROM trace_lots AS l JOIN trace_changed AS r ON l.seq = r.seq"
_Group = tuple[str, str, str | None, int, int]
"""(creator, owner, shipped_to, 1 if re-declared else 0, number of lots)."""


@dataclass(frozen=True)
class Recomputed:
    """What a re-declaration's recompute did."""

    count: int
    """Changed lots (re-declared, or recomputed and moved) the re-declarer may see: what
    its answer may say."""
    notified: list[str]
    """Names of the notified organisations the re-declarer could see anyway (sorted)."""
    moved: np.ndarray
    """``seq`` of every recomputed lot whose values moved (int64, ascending; re-declared
    lots only if their recomputed values moved) — for every organisation, never shown."""
    cone: int = 0
    """Lots in the downstream cone, the re-declared ones included (never shown)."""
    notes: int = 0
    """Notifications stored (and queued for webhooks) — wake the delivery worker if > 0."""


def moved_rows(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Rows of ``new`` where any value moved from ``old`` by more than :data:`MOVED_RTOL`
    relative (absolute below 1)."""
    return np.any(np.abs(new - old) > MOVED_RTOL * np.maximum(1.0, np.abs(old)), axis=1)


def _display_many(s: Session, org_id: str, lots: list[tuple[str, str]]) -> list[str]:
    """How ``org_id`` refers to these lots (id, creator) it made or holds: the id alone when
    that names the lot in its view (its own, or the only one with that id it holds), else
    ``creator/id``."""
    ids = sorted({lot for lot, creator in lots if creator != org_id})
    if not ids:
        return [lot for lot, _ in lots]
    seen: dict[str, list[str]] = {}
    for chunk in chunks(ids):  # by id (its index), then the view: see trace_rows._LOT_SELECT
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


def _parties(g: _Group, redeclarer: str) -> set[str]:
    """Who is told about a group's lots: maker, holder, the one it was shipped to (not the
    re-declarer about its own re-declared lots)."""
    creator, owner, shipped, seed, _ = g
    out = {creator, owner} | ({shipped} if shipped else set())
    return out - {redeclarer} if seed else out


def _known(g: _Group, viewer: str) -> set[str]:
    """Organisations a viewer that may see a group's lots knows from them: the maker and the
    holder (shown with the lot), and whom it shipped them to itself."""
    creator, owner, shipped, _, _ = g
    return {creator, owner} | ({shipped} if shipped and owner == viewer else set())


class RecomputeMixin(TraceBase):
    """Recompute downstream lots after a re-declaration and notify who may know."""

    def _recompute(self, s: Session, graph: LotGraph, changed: list[int], by: str,
                   at: datetime, uptake_from: list[int] | None = None) -> Recomputed:
        """Recompute the downstream cone of the ``changed`` (re-declared) lots — one
        triangular solve — and write the lots whose values moved in bulk, with
        ``updated_at`` = ``at`` (the batch's event time, so a replay of the signed log
        reproduces it); derive the rule-3 uptake downstream of ``uptake_from`` again
        (:func:`~junkan.store.trace_uptake.rederive_uptake`); notify the organisations
        concerned by either change. ``by``: the re-declaring organisation's name. ``graph``
        is the current lot graph; its values are updated."""
        seqs, values = graph.seqs, graph.values
        seeds = np.searchsorted(seqs, changed)
        cone = downstream(graph.g, seeds)
        new = recompute(graph.g, values, cone)
        if not np.isfinite(new).all():
            bad = int(seqs[cone[~np.isfinite(new).all(axis=1)][0]])
            raise TraceError(f"the recomputed CFP of a downstream lot (seq {bad}) would not be "
                             "a finite number; check the masses and footprints upstream")
        moved_mask = moved_rows(values[cone], new)
        moved = seqs[cone[moved_mask]].astype(np.int64)
        graph.set_values(cone, new)
        seed_mask = np.isin(cone, seeds)
        write = moved_mask | seed_mask
        self._write_changed(s, seqs[cone[write]], new[write], seed_mask[write], at)
        _also_changed(s, rederive_uptake(s, graph, uptake_from or []))
        org = self._org(s, by)
        groups: list[_Group] = [(c, o, sh, int(k), int(n)) for c, o, sh, k, n in s.execute(text(
            f"SELECT l.creator_org, l.owner_org, l.shipped_to, r.k, COUNT(*) {_JOIN} "
            "GROUP BY l.creator_org, l.owner_org, l.shipped_to, r.k"))]
        grants = stored_grants(s, grantor=org.id) + stored_grants(s, grantee=org.id)
        told = self._notify(s, org, groups, changed, grants, at)
        count, known = self._reply(s, org.id, groups, grants, at)
        s.connection().exec_driver_sql("DELETE FROM trace_changed")
        names = {o.id: o.name for o in s.scalars(select(Organisation).where(
            Organisation.id.in_(sorted(told & known))))}
        return Recomputed(count=count, notified=sorted(names.values()), moved=moved,
                          cone=int(cone.size), notes=len(told))

    @staticmethod
    def _write_changed(s: Session, seqs: np.ndarray, vals: np.ndarray, seed: np.ndarray,
                       at: datetime) -> None:
        """Keep the changed lots in the temporary table ``trace_changed`` (re-declared ones
        flagged ``k = 1``) and write their values with ``updated_at = at``."""
        conn = s.connection()
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        # the new values go through a temporary table (driver-level executemany), then
        # one UPDATE … FROM: per-row statements cost ~10 µs each through SQLAlchemy
        conn.exec_driver_sql(
            "CREATE TEMP TABLE IF NOT EXISTS trace_changed (seq INTEGER PRIMARY KEY, "
            "t DOUBLE PRECISION, f DOUBLE PRECISION, b DOUBLE PRECISION, "
            "p DOUBLE PRECISION, q DOUBLE PRECISION, k INTEGER)")
        conn.exec_driver_sql("DELETE FROM trace_changed")
        if not seqs.size:
            return
        rows = list(zip(seqs.tolist(), *vals.T.tolist(), seed.astype(int).tolist(),
                        strict=True))
        conn.exec_driver_sql(f"INSERT INTO trace_changed VALUES ({', '.join([mark] * 7)})",
                             rows)
        conn.execute(text(
            "UPDATE trace_values SET cfp_total = r.t, cfp_fossil = r.f, cfp_biogenic = r.b, "
            "rec_pre = r.p, rec_post = r.q, updated_at = :at FROM trace_changed AS r "
            "WHERE trace_values.seq = r.seq").bindparams(
            bindparam("at", value=at, type_=DateTime(timezone=True))))

    def _notify(self, s: Session, by: Organisation, groups: list[_Group], changed: list[int],
                grants: list[Grant], at: datetime) -> set[str]:
        """One notification per organisation concerned, about the changed lots it made,
        holds or was shipped; returns the notified organisations' ids."""
        counts: dict[str, int] = {}
        for g in groups:
            for org_id in _parties(g, by.id):
                counts[org_id] = counts.get(org_id, 0) + g[4]
        seeds = s.execute(select(TraceLot.lot, TraceLot.creator_org, TraceLot.owner_org,
                                 TraceLot.shipped_to).where(TraceLot.seq.in_(changed))).all()
        conn = s.connection()
        for org_id in sorted(counts):
            n = counts[org_id]
            only_changed = "" if org_id != by.id else " AND r.k = 0"
            first = [(lot, creator) for lot, creator in conn.execute(text(
                f"SELECT l.lot, l.creator_org {_JOIN} WHERE (l.owner_org = :o OR "
                f"l.creator_org = :o OR l.shipped_to = :o){only_changed} ORDER BY l.seq "
                "LIMIT 1000"), {"o": org_id})]
            ids = _display_many(s, org_id, first)
            seen = [(lot, c) for lot, c, o, sh in seeds if visible_fields(
                org_id, creator=c, owner=o, shipped_to=sh, lot=lot, grants=grants, now=at)
                is not None]
            listed = f"{', '.join(ids[:10])}{' …' if n > 10 else ''}"
            payload: dict[str, object] = {"lots": ids[:1000], "count": n}
            if seen:
                refs = _display_many(s, org_id, seen)
                payload |= {"by": by.name, "redeclared": refs}
                what = f"{by.name} re-declared lot{'s' if len(refs) > 1 else ''} " \
                       f"{', '.join(refs)}"
            else:
                what = "a lot upstream was re-declared"
            note = TraceNotification(org_id=org_id, lot=ids[0], payload=payload,
                                     message=f"{n} of your lots changed after {what}: {listed}")
            s.add(note)
            s.flush()
            self._queue_webhook(s, note)
        return set(counts)

    def _reply(self, s: Session, viewer: str, groups: list[_Group], grants: Iterable[Grant],
               at: datetime) -> tuple[int, set[str]]:
        """How many changed lots ``viewer`` (the re-declarer) may see, and the organisations
        it knows from them. A group is visible whole when the rule says so whatever the lot
        id; agreements naming lot ids are checked lot by lot."""
        mine = [g for g in grants if g.grantee == viewer]
        every = [g for g in mine if g.lots is None]
        count, known = 0, set[str]()
        for g in groups:
            creator, owner, shipped, seed, n = g
            if visible_fields(viewer, creator=creator, owner=owner, shipped_to=shipped, lot="",
                              grants=every, now=at) is not None:
                count, known = count + n, known | _known(g, viewer)
                continue
            named = sorted({lot for x in mine if x.grantor == creator and x.lots
                            for lot in x.lots})
            to = "l.shipped_to IS NULL" if shipped is None else "l.shipped_to = :sh"
            for chunk in chunks(named):
                lots = s.execute(text(
                    f"SELECT l.lot {_JOIN} WHERE l.creator_org = :c AND l.owner_org = :o AND "
                    f"r.k = :k AND {to} AND l.lot IN :ids").bindparams(
                    bindparam("ids", expanding=True)),
                    {"c": creator, "o": owner, "k": seed, "sh": shipped, "ids": chunk}).all()
                hits = sum(visible_fields(viewer, creator=creator, owner=owner,
                                          shipped_to=shipped, lot=lot, grants=mine, now=at)
                           is not None for (lot,) in lots)
                count += hits
                known |= _known(g, viewer) if hits else set()
        return count, known

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


def _also_changed(s: Session, seqs: list[int]) -> None:
    """Add lots whose derived facts changed, not their values (rule 3's uptake after a
    re-declaration of facts upstream), to ``trace_changed``: their holders are notified and
    the re-declarer counts them, as for moved values (review 320: a ``pcf`` re-declaration
    moved a shipped blend's published footprint and told nobody). Their ``updated_at``
    (the values') stays, as the replay keeps it."""
    if not seqs:
        return
    conn = s.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(f"INSERT INTO trace_changed (seq, k) VALUES ({mark}, 0) "
                         "ON CONFLICT (seq) DO NOTHING", [(q,) for q in seqs])
