"""The ingest path: a batch of events checked, applied, signed and appended in one
transaction, with mass-balance accounts and the kept lot graph."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from junkan.store.tables import Organisation
from junkan.store.trace_audit import AuditMixin
from junkan.store.trace_base import (
    IngestResult,
    TraceError,
    check_finite,
    not_found,
    quarter,
)
from junkan.store.trace_batch import Batch, event_lot_ids
from junkan.store.trace_graph import LotGraph, batch_rows
from junkan.store.trace_graph import read as read_graph
from junkan.store.trace_recompute import RecomputeMixin
from junkan.store.trace_rows import (
    EVENT_COLUMNS,
    NewLot,
    begin_write,
    collector_paused,
    insert_rows,
    ledger_version,
)
from junkan.store.trace_tables import TraceBalanceEntry, TraceEvent
from junkan.trace import merkle
from junkan.trace.canonical import canonical
from junkan.trace.events import (
    MAX_CFP_PER_KG,
    Combine,
    Create,
    Event,
    Receive,
    Redeclare,
    Ship,
    Split,
)
from junkan.trace.pcf import derived_facts
from junkan.trace.propagate import QUANTITIES
from junkan.trace.signing import sign_many


class IngestMixin(RecomputeMixin, AuditMixin):
    """Apply signed batches of events; keep the lot graph between batches."""

    def ingest(self, org_name: str, events: list[Event], *, at: datetime | None = None,
               source: str = "batch") -> IngestResult:
        """Apply a batch for ``org_name`` in one transaction: every event is checked, signed
        and appended to the organisation's log, or none is. Notifications for webhooks are
        queued in the same transaction and sent by the delivery worker."""
        at = (at or datetime.now(UTC)).astimezone(UTC)
        with collector_paused():
            result = self._ingest(org_name, events, at, source)
        if result.notified and self._worker is not None:
            self._worker.wake()  # only what was committed is in the queue
        return result

    def _ingest(self, org_name: str, events: list[Event], at: datetime,
                source: str) -> IngestResult:
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
                    where = f"{source}: events[{i}] ({ev.type} {ev.lot})"
                    try:
                        created += self._apply(batch, org, ev, at)
                    except TraceError as exc:
                        raise type(exc)(f"{where}: {exc}") from None
                    seq += 1
                    record = {"org": org_name, "seq": seq, "at": at_text,
                              "event": ev.model_dump(mode="json", exclude_none=True)}
                    if batch.refs:  # other organisations' lots, as resolved
                        record["refs"] = batch.refs
                        batch.refs = {}
                    data = canonical(record)
                    datas.append(data)
                    leaves.append(merkle.leaf_hash(data))
                    meta.append((seq, ev.type, ev.lot))
            signatures = sign_many(key.private_key, datas)  # on worker threads meanwhile
            s.flush()  # mass-balance entries
            batch.update_loaded()
            batch.insert_new()  # assigns the new lots' seq (creation order)
            batch.insert_inputs()
            insert_rows(s, "trace_events", EVENT_COLUMNS, [
                (org.id, n, kind, lot, data.decode("utf-8"), leaf.hex(), signature, at)
                for (n, kind, lot), data, leaf, signature in zip(
                    meta, datas, leaves, signatures.result(), strict=True)])
            if graph is not None:
                graph.add(*batch_rows(batch.new, batch.inputs))
            redeclared = sorted({lot.seq for lot in batch.redeclared})
            recomputed, notified = 0, list[str]()
            if redeclared:
                graph = self._current_graph(s, graph)
                lots = batch.redeclared
                graph.set_values(np.searchsorted(graph.seqs, [x.seq for x in lots]),
                                 np.array([[getattr(x, q) for q in QUANTITIES] for x in lots]))
                recomputed, notified = self._recompute(s, graph, redeclared, org_name)
            size, root = self._checkpoint(s, org.id, key, first_seq, leaves)
            if graph is not None:
                graph.version = ledger_version(s.connection())
            result = IngestResult(events=len(events), lots_created=created,
                                  recomputed=recomputed, notified=notified, tree_size=size,
                                  root=root)
        self._graph = graph  # committed: the arrays match the store at graph.version
        return result

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

    def _apply(self, b: Batch, org: Organisation, ev: Event, at: datetime) -> int:
        if isinstance(ev, Create):
            if b.own(ev.lot) is not None:
                raise TraceError(f"lot {ev.lot!r} exists already; your lot ids are unique")
            declared = {"cfp": ev.cfp.model_dump(), "recycled": ev.recycled.model_dump(),
                        "claims": [c.model_dump(mode="json") for c in ev.claims],
                        "composition": ev.composition}
            if ev.pcf is not None:
                declared["pcf"] = ev.pcf.model_dump()
            b.add(NewLot(lot=ev.lot, creator_org=org.id, owner_org=org.id, received=True,
                           material=ev.material, mass_kg=ev.mass_kg, site=ev.site,
                           custody="declared", declared=declared, own={}, own_cfp=0.0,
                           cfp_total=ev.cfp.total, cfp_fossil=float(ev.cfp.fossil or 0),
                           cfp_biogenic=ev.cfp.biogenic, rec_pre=ev.recycled.pre_consumer,
                           rec_post=ev.recycled.post_consumer, consumed_kg=0.0,
                           created_at=at, updated_at=at))
            return 1
        if isinstance(ev, Combine):
            return self._combine(b, org, ev, at)
        if isinstance(ev, Split):
            src = self._owned(b, org, ev.lot)
            total = sum(o.mass_kg for o in ev.outputs)
            if total > src.mass_kg - src.consumed_kg + 1e-9:
                raise TraceError(f"split of {total} kg exceeds the {src.mass_kg - src.consumed_kg}"
                                 f" kg left in lot {ev.lot!r}")
            n = 0
            for out in ev.outputs:
                n += self._combine(b, org, Combine(type="process", lot=out.lot, inputs=[
                    {"lot": ev.lot, "mass_kg": out.mass_kg}], mass_kg=out.mass_kg,
                    material=src.material, site=src.site, custody="identity_preserved"), at)
            return n
        if isinstance(ev, Ship):
            shipped = self._owned(b, org, ev.lot)
            to = b.organisation(ev.to)
            if to is None:
                raise not_found("organisation", ev.to)
            shipped.shipped_to = to.id
            shipped.received = False
            return 0
        if isinstance(ev, Receive):
            got = b.lot(ev.lot)
            if got is None or got.shipped_to != org.id:
                raise TraceError(f"lot {ev.lot!r} was not shipped to {org.name!r}")
            got.owner_org, got.shipped_to, got.received, got.site = org.id, None, True, ev.site
            return 0
        if isinstance(ev, Redeclare):
            lot = b.lot(ev.lot)
            if lot is None or lot.creator_org != org.id or lot.custody != "declared":
                raise TraceError(f"only the organisation that declared lot {ev.lot!r} can "
                                 "re-declare it (derived lots follow their inputs)")
            declared = dict(lot.declared)
            if ev.cfp is not None:
                for what, value in (("cfp.total", ev.cfp.total),
                                    ("cfp.biogenic", ev.cfp.biogenic)):
                    if abs(value) > MAX_CFP_PER_KG * lot.mass_kg:
                        raise TraceError(f"{what}: {value:g} kg CO2e for the {lot.mass_kg:g} "
                                         f"kg of lot {ev.lot!r} is more than "
                                         f"{MAX_CFP_PER_KG:g} kg CO2e per kg")
                declared["cfp"] = ev.cfp.model_dump()
                lot.cfp_total, lot.cfp_fossil = ev.cfp.total, float(ev.cfp.fossil or 0)
                lot.cfp_biogenic = ev.cfp.biogenic
            if ev.recycled is not None:
                declared["recycled"] = ev.recycled.model_dump()
                lot.rec_pre, lot.rec_post = ev.recycled.pre_consumer, ev.recycled.post_consumer
            if ev.claims is not None:
                declared["claims"] = [c.model_dump(mode="json") for c in ev.claims]
            lot.declared = declared
            lot.updated_at = at
            b.redeclared.append(lot)
            return 0
        raise TraceError(f"unsupported event {ev!r}")  # pragma: no cover

    def _owned(self, b: Batch, org: Organisation, lot_id: str) -> Any:
        lot = b.lot(lot_id)
        if lot is None or lot.owner_org != org.id or not lot.received:
            raise TraceError(f"lot {lot_id!r} is not in {org.name!r}'s custody (unknown, "
                             "someone else's, or shipped and not yet received)")
        return lot

    def _combine(self, b: Batch, org: Organisation, ev: Combine, at: datetime) -> int:
        if b.own(ev.lot) is not None:
            raise TraceError(f"lot {ev.lot!r} exists already; your lot ids are unique")
        inputs = [(self._owned(b, org, ref.lot), ref.mass_kg) for ref in ev.inputs]
        for lot, m in inputs:
            if m > lot.mass_kg - lot.consumed_kg + 1e-9:
                raise TraceError(f"input {lot.lot!r}: {m} kg asked, only "
                                 f"{lot.mass_kg - lot.consumed_kg:g} kg left")
        if ev.custody == "identity_preserved" and len(inputs) != 1:
            raise TraceError("ISO 22095 identity preserved: a lot has a single source; "
                             f"{len(inputs)} inputs given")
        if ev.custody == "segregated":
            shares = {(round(x.rec_pre, 9), round(x.rec_post, 9)) for x, _ in inputs}
            if len(shares) > 1:
                raise TraceError("ISO 22095 segregated: inputs with different characteristics "
                                 "(recycled shares) may not be mixed; use controlled blending "
                                 "or mass balance")
        m_in = sum(m for _, m in inputs)
        own_cfp = ev.process.cfp_kgco2e
        total, fossil, biogenic = own_cfp, own_cfp, 0.0  # kg CO2e: inputs' shares + own
        pre = post = 0.0
        for lot, m in inputs:
            share = m / lot.mass_kg
            total += share * lot.cfp_total
            fossil += share * lot.cfp_fossil
            biogenic += share * lot.cfp_biogenic
            pre += m / m_in * lot.rec_pre
            post += m / m_in * lot.rec_post
            lot.consumed_kg += m
        own = ev.process.model_dump() | {"pcf": derived_facts(inputs, ev.country)}
        if ev.custody == "mass_balance":
            assert ev.claim is not None
            b.s.flush()
            self._mass_balance(b.s, org, ev, inputs, at)
            pre, post = ev.claim.pre_consumer, ev.claim.post_consumer
        check_finite(ev.lot, (total, fossil, biogenic, pre, post, total / ev.mass_kg))
        new = NewLot(lot=ev.lot, creator_org=org.id, owner_org=org.id, received=True,
                       material=ev.material or inputs[0][0].material, mass_kg=ev.mass_kg,
                       site=ev.site, custody=ev.custody,
                       declared={"claim": ev.claim.model_dump() if ev.claim else None},
                       own=own, own_cfp=own_cfp, cfp_total=float(total),
                       cfp_fossil=float(fossil), cfp_biogenic=float(biogenic),
                       rec_pre=float(pre), rec_post=float(post), consumed_kg=0.0,
                       created_at=at, updated_at=at)
        b.add(new)
        b.inputs += [(new, lot, m) for lot, m in inputs]
        return 1

    def _mass_balance(self, s: Session, org: Organisation, ev: Combine,
                      inputs: list[tuple[Any, float]], at: datetime) -> None:
        """ISO 22095 mass balance (credit method, ISCC rules): credit the recycled mass of
        received inputs to the (site, characteristic, quarter) account, debit the claim
        converted back by the step's conversion factor (yield); no negative balance; a claim
        is used once."""
        assert ev.claim is not None
        period = quarter(at)
        m_in = sum(m for _, m in inputs)
        factor = ev.mass_kg / m_in  # output conversion factor
        for char, attr, claimed in (("pre_consumer", "rec_pre", ev.claim.pre_consumer),
                                    ("post_consumer", "rec_post", ev.claim.post_consumer)):
            for lot, m in inputs:
                if lot.site != ev.site:
                    raise TraceError(f"mass balance: input {lot.lot!r} is booked at site "
                                     f"{lot.site!r}, not {ev.site!r}; only material received "
                                     "at the site may be booked")
                credit = m * getattr(lot, attr)
                if credit > 0:
                    s.add(TraceBalanceEntry(org_id=org.id, site=ev.site, characteristic=char,
                                            period=period, kind="credit", mass_kg=credit,
                                            lot=lot.lot))
            if claimed <= 0:
                continue
            s.flush()
            debit = claimed * ev.mass_kg / factor
            bal = s.scalar(select(func.coalesce(func.sum(TraceBalanceEntry.mass_kg), 0.0)).where(
                TraceBalanceEntry.org_id == org.id, TraceBalanceEntry.site == ev.site,
                TraceBalanceEntry.characteristic == char, TraceBalanceEntry.period == period,
                TraceBalanceEntry.kind == "credit")) or 0.0
            used = s.scalar(select(func.coalesce(func.sum(TraceBalanceEntry.mass_kg), 0.0)).where(
                TraceBalanceEntry.org_id == org.id, TraceBalanceEntry.site == ev.site,
                TraceBalanceEntry.characteristic == char, TraceBalanceEntry.period == period,
                TraceBalanceEntry.kind == "debit")) or 0.0
            if debit > bal - used + 1e-9:
                raise TraceError(f"mass balance: claiming {debit:g} kg {char} exceeds the "
                                 f"{bal - used:g} kg credit of account ({ev.site}, {char}, "
                                 f"{period}); no negative balance is allowed")
            claim_id = f"{org.id}:{ev.lot}:{char}"
            if s.scalar(select(TraceBalanceEntry).where(TraceBalanceEntry.claim_id == claim_id)):
                raise TraceError(f"mass balance: claim {ev.lot}:{char} is already used")
            s.add(TraceBalanceEntry(org_id=org.id, site=ev.site, characteristic=char,
                                    period=period, kind="debit", mass_kg=debit, lot=ev.lot,
                                    claim_id=claim_id))
