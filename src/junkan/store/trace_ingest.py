"""The ingest path: a batch of events checked, applied, signed and appended in one
transaction, with mass-balance accounts and the kept lot graph."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from junkan.store.trace_audit import AuditMixin
from junkan.store.trace_balance import BalanceMixin
from junkan.store.trace_base import IngestResult, TraceError, TraceNotFound
from junkan.store.trace_batch import Batch, event_lot_ids
from junkan.store.trace_book import StoreBook
from junkan.store.trace_graph import LotGraph, batch_rows
from junkan.store.trace_graph import read as read_graph
from junkan.store.trace_recompute import RecomputeMixin
from junkan.store.trace_rows import (
    EVENT_COLUMNS,
    begin_write,
    collector_paused,
    insert_rows,
    ledger_version,
)
from junkan.store.trace_tables import TraceBalanceEntry, TraceEvent, TraceLot, TraceNotification
from junkan.store.trace_uptake import uptake_starts
from junkan.trace import balance, merkle, rules
from junkan.trace.balance import Entry
from junkan.trace.canonical import canonical
from junkan.trace.events import Event
from junkan.trace.propagate import QUANTITIES
from junkan.trace.signing import sign_many


class IngestMixin(RecomputeMixin, AuditMixin, BalanceMixin):
    """Apply signed batches of events; keep the lot graph between batches."""

    def ingest(self, org_name: str, events: list[Event], *, at: datetime | None = None,
               source: str = "batch", period: str | None = None) -> IngestResult:
        """Apply a batch for ``org_name`` in one transaction: every event is checked, signed
        and appended to the organisation's log, or none is. Notifications for webhooks are
        queued in the same transaction and sent by the delivery worker. ``period``: the
        mass-balance period (``2026Q1``) of events that do not name one (default: the
        quarter of ``at``); it is written into their signed records."""
        at = (at or datetime.now(UTC)).astimezone(UTC)
        if period is not None and not balance.PERIOD.match(period):
            raise TraceError(f"period {period!r}: write a calendar quarter like 2026Q1")
        with collector_paused():
            result, queued = self._ingest(org_name, events, at, source, period)
        if queued and self._worker is not None:
            self._worker.wake()  # only what was committed is in the queue
        return result

    def _ingest(self, org_name: str, events: list[Event], at: datetime,
                source: str, period: str | None) -> tuple[IngestResult, bool]:
        """The batch applied and committed, and whether notifications were queued."""
        with self.db.session() as s:
            version = begin_write(s)
            graph = self._take_graph(version)
            org = self._org(s, org_name)
            key = self._key(s, org.id)
            seq = s.scalar(select(func.coalesce(func.max(TraceEvent.org_seq), 0))
                           .where(TraceEvent.org_id == org.id)) or 0
            first_seq = seq  # the log's length before this batch
            created = 0
            batch = Batch(s, org, set().union(*(event_lot_ids(ev) for ev in events)))
            datas: list[bytes] = []  # canonical records
            leaves: list[bytes] = []
            meta: list[tuple[int, str, str]] = []  # (org_seq, type, lot)
            at_text = at.isoformat()
            with s.no_autoflush:
                for i, ev in enumerate(events):
                    if period is not None and getattr(ev, "period", "") is None:
                        ev = ev.model_copy(update={"period": period})
                    where = f"{source}: events[{i}] ({ev.type} {ev.lot})"
                    try:
                        created += rules.apply(batch, ev, at)
                    except rules.NotFound as exc:
                        raise TraceNotFound(f"{where}: {exc}") from None
                    except (TraceError, rules.RuleError) as exc:
                        raise TraceError(f"{where}: {exc}") from None
                    seq += 1
                    record = {"org": org_name, "seq": seq, "at": at_text,
                              "event": ev.model_dump(mode="json", exclude_none=True),
                              **rules.signed_version(ev)}
                    if batch.refs:  # other organisations' lots, as resolved
                        record["refs"] = batch.refs
                        batch.refs = {}
                    data = canonical(record)
                    datas.append(data)
                    leaves.append(merkle.leaf_hash(data))
                    meta.append((seq, ev.type, ev.lot))
            signatures = sign_many(key.private_key, datas)  # on worker threads meanwhile
            batch.update_loaded()
            batch.insert_new()  # assigns the new lots' seq (creation order)
            batch.insert_inputs()
            batch.book.write()
            sigs = signatures.result()
            insert_rows(s, "trace_events", EVENT_COLUMNS, [
                (org.id, n, kind, lot, data.decode("utf-8"), leaf.hex(), signature, at)
                for (n, kind, lot), data, leaf, signature in zip(
                    meta, datas, leaves, sigs, strict=True)])
            if graph is not None:
                graph.add(*batch_rows(batch.new, batch.inputs))
            redeclared = sorted({lot.seq for lot in batch.redeclared_lots})
            recomputed, notified, queued = 0, list[str](), False
            if redeclared:
                graph = self._current_graph(s, graph)
                lots = batch.redeclared_lots
                graph.set_values(np.searchsorted(graph.seqs, [x.seq for x in lots]),
                                 np.array([[getattr(x, q) for q in QUANTITIES] for x in lots]))
                done = self._recompute(s, graph, redeclared, org_name, at,
                                       uptake_starts(batch))  # and rule 3's uptake
                recomputed, notified = done.count, done.notified
                queued = self._adjust_balances(s, graph, done.moved, redeclared,
                                               at) or done.notes > 0
            size, root = self._checkpoint(s, org.id, key, first_seq, leaves, sigs, at)
            if graph is not None:
                graph.version = ledger_version(s.connection())
            result = IngestResult(events=len(events), lots_created=created,
                                  recomputed=recomputed, notified=notified, tree_size=size,
                                  root=root)
        self._graph = graph  # committed: the arrays match the store at graph.version
        return result, queued

    def keep_graph(self) -> int:
        """Read the lot graph now and keep it, so the first re-declaration does not pay for
        the read (~5 s a million lots); the service calls this at start in the background.
        Returns the number of lots."""
        with self.db.session() as s:
            conn = s.connection(execution_options={"isolation_level": "REPEATABLE READ"}
                                if self.db.dialect == "postgresql" else None)
            if self.db.dialect == "sqlite":  # one snapshot for the version and the graph
                conn.exec_driver_sql("BEGIN")
            version = ledger_version(conn)
            graph = read_graph(s)
        graph.version = version
        with self._graph_lock:
            if self._graph is None:
                self._graph = graph
        return int(graph.seqs.size)

    @staticmethod
    def _current_graph(s: Session, kept: LotGraph | None) -> LotGraph:
        """The lot graph with this batch: the kept one brought up to date, or read from the
        store when none is kept or it cannot take the batch (lots out of order)."""
        if kept is not None:
            try:
                return kept.materialise()
            except ValueError:
                pass
        return read_graph(s)

    def _take_graph(self, version: int) -> LotGraph | None:
        """The kept lot graph if it matches the store at ``version`` (the newest event id
        when this batch's write lock was taken); this batch owns it until it commits."""
        with self._graph_lock:
            graph, self._graph = self._graph, None
        if graph is None or graph.version != version or graph.pending_lots > 1_000_000:
            return None
        return graph

    def _adjust_balances(self, s: Session, graph: LotGraph, moved: np.ndarray,
                         redeclared: list[int], at: datetime) -> bool:
        """Re-value the mass-balance entries booked from lots a re-declaration changed
        (:func:`junkan.trace.balance.adjust`: entries already at the lot's shares stay);
        notify the organisations whose claims changed cover (returns whether it did)."""
        credited = credited_seqs(s)  # few, sorted; ``moved`` may be a million, sorted
        at_ = np.searchsorted(moved, credited)
        hit = (at_ < moved.size) & (moved[np.minimum(at_, max(moved.size - 1, 0))] == credited) \
            if moved.size else np.zeros(credited.size, dtype=bool)
        credited = credited[hit | np.isin(credited, redeclared)]
        if not credited.size:
            return False
        after = graph.values[np.searchsorted(graph.seqs, credited)]
        book = StoreBook(s)
        seqs = credited.tolist()
        ids: dict[int, str] = dict(s.execute(select(TraceLot.seq, TraceLot.lot).where(
            TraceLot.seq.in_(seqs))).all()) if seqs else {}
        accounts: set[tuple[str, str, str, str]] = set()
        for seq, (pre, post) in zip(seqs, after[:, 3:].tolist(), strict=True):
            lot = SimpleNamespace(seq=seq, lot=ids[seq], rec_pre=pre, rec_post=post)
            accounts |= balance.revalue(book, lot, at)
        changed: list[Entry] = balance.recheck_all(book, accounts)
        book.write()
        by_org: dict[str, list[Entry]] = {}
        for e in changed:
            by_org.setdefault(e.org, []).append(e)
        for org_id, claims in by_org.items():
            short = [e for e in claims if e.uncovered]
            text = (f"{len(short)} of your mass-balance claims are no longer covered after a "
                    "supplier re-declared material you received" if short else
                    f"{len(claims)} of your mass-balance claims are covered again after a "
                    "supplier re-declared material you received")
            note = TraceNotification(org_id=org_id, lot=claims[0].lot.lot, message=text,
                                     payload={"claims": [
                                         {"lot": e.lot.lot, "site": e.site,
                                          "characteristic": e.characteristic,
                                          "period": e.period, "mass_kg": e.mass_kg,
                                          "uncovered": e.uncovered} for e in claims[:1000]]})
            s.add(note)
            s.flush()
            self._queue_webhook(s, note)
        return bool(by_org)


def credited_seqs(s: Session) -> np.ndarray:
    """Lots mass-balance entries were booked from (sorted)."""
    return np.array(sorted(x for x in s.scalars(select(TraceBalanceEntry.lot_seq).where(
        TraceBalanceEntry.lot_seq.is_not(None)).distinct()) if x is not None), dtype=np.int64)
