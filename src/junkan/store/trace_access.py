"""Data sovereignty on the store: the queries behind lots as an organisation may see them
(one lot, its genealogy, every lot it may see), catalogue offers, bilateral agreements and
notifications. Which fields an organisation may see is decided by one rule,
:func:`junkan.trace.access.visible_fields`; this module only reads what it needs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from junkan.core.limits import limits
from junkan.store.tables import Organisation
from junkan.store.trace_base import (
    GRANTABLE,
    TraceBase,
    TraceError,
    TraceNotFound,
    TraceRefusal,
    lot_view,
    not_found,
    split_ref,
)
from junkan.store.trace_rows import chunks
from junkan.store.trace_tables import (
    TraceAgreement,
    TraceDataset,
    TraceInput,
    TraceLot,
    TraceNotification,
)
from junkan.trace.access import Grant, visible_fields


def stored_grants(s: Session, *, grantee: str | None = None,
                  grantor: str | None = None) -> list[Grant]:
    """The agreements granted to ``grantee`` and/or by ``grantor``, revoked and expired ones
    too (the rule tells them apart)."""
    q = select(TraceAgreement).order_by(TraceAgreement.id)
    if grantee is not None:
        q = q.where(TraceAgreement.grantee_org == grantee)
    if grantor is not None:
        q = q.where(TraceAgreement.grantor_org == grantor)
    return [Grant.of(a.grantor_org, a.grantee_org, a.lots, a.fields, a.expires_at,
                     a.revoked_at is not None) for a in s.scalars(q)]


def lot_fields(org_id: str, lot: TraceLot, grants: Iterable[Grant],
               now: datetime) -> frozenset[str] | None:
    """What ``org_id`` may see of a stored lot (None: not the lot at all)."""
    return visible_fields(org_id, creator=lot.creator_org, owner=lot.owner_org,
                          shipped_to=lot.shipped_to, lot=lot.lot, grants=grants, now=now)


def visible_condition(org_id: str, grants: list[Grant], when: datetime) -> Any:
    """SQL condition on :class:`TraceLot` rows: the lots ``org_id`` made, holds or was
    shipped, and those the agreements active at ``when`` grant it (every lot of a grantor,
    or the lot ids named). :func:`lot_fields` has the last word on each row."""
    live = [g for g in grants if g.active(when)]
    conds = [TraceLot.creator_org == org_id, TraceLot.owner_org == org_id,
             TraceLot.shipped_to == org_id]
    everything = sorted({g.grantor for g in live if g.lots is None})
    if everything:
        conds.append(TraceLot.creator_org.in_(everything))
    named: dict[str, set[str]] = {}
    for g in live:
        if g.lots is not None and g.grantor not in everything:
            named.setdefault(g.grantor, set()).update(g.lots)
    for grantor, ids in sorted(named.items()):
        for chunk in chunks(sorted(ids)):
            conds.append(and_(TraceLot.creator_org == grantor, TraceLot.lot.in_(chunk)))
    return or_(*conds)


def visible_lots(s: Session, org_id: str, now: datetime | None = None
                 ) -> list[tuple[TraceLot, frozenset[str]]]:
    """Every lot ``org_id`` may see, in creation order, with the fields it may see. For
    exports such as the PACT feed."""
    when = now or datetime.now(UTC)
    grants = stored_grants(s, grantee=org_id)
    out = []
    for lot in s.scalars(select(TraceLot).where(visible_condition(org_id, grants, when))
                         .order_by(TraceLot.seq)):
        fields = lot_fields(org_id, lot, grants, when)
        if fields is not None:
            out.append((lot, fields))
    return out




def _midnight(day: date) -> datetime:
    """The start of ``day`` in UTC."""
    return datetime.combine(day, time(0), tzinfo=UTC)

class _View:
    """Lots as one organisation sees them: which lot a reference names (its own lot with the
    id first, then the one it holds or was shipped, then the one an agreement grants it; or
    ``organisation/id``), what it may see (:func:`lot_fields`), and how it writes a lot's id
    (the id alone when that names the lot, else ``creator/id``). Reads are batched: the lots
    sharing ids and the agreements granted to the organisation are read once."""

    def __init__(self, s: Session, org: Organisation) -> None:
        self.s = s
        self.org = org
        self.now = datetime.now(UTC)
        self.grants = stored_grants(s, grantee=org.id)
        self.names = {o.id: o.name for o in s.scalars(select(Organisation))}
        self._ids = {name: oid for oid, name in self.names.items()}
        self._cands: dict[str, list[TraceLot]] = {}

    def prefetch(self, lot_ids: Iterable[str]) -> None:
        """Read every lot with one of these ids (those not read yet) in a few queries."""
        todo = sorted({i for i in lot_ids if i not in self._cands})
        for chunk in chunks(todo):
            for i in chunk:
                self._cands[i] = []
            for lot in self.s.scalars(select(TraceLot).where(TraceLot.lot.in_(chunk))
                                      .order_by(TraceLot.seq)):
                self._cands[lot.lot].append(lot)

    def candidates(self, lot_id: str) -> list[TraceLot]:
        self.prefetch([lot_id])
        return self._cands[lot_id]

    def fields(self, lot: TraceLot) -> frozenset[str] | None:
        return lot_fields(self.org.id, lot, self.grants, self.now)

    def tier(self, lot: TraceLot) -> int | None:
        """0 own, 1 held or shipped to it, 2 granted by an agreement; None: not visible."""
        if self.fields(lot) is None:
            return None
        if lot.creator_org == self.org.id:
            return 0
        return 1 if self.org.id in (lot.owner_org, lot.shipped_to) else 2

    def resolve(self, ref: str) -> TraceLot | None:
        org_name, lot_id = split_ref(ref)
        cands = self.candidates(lot_id)
        if org_name:
            creator = self._ids.get(org_name)
            found = next((c for c in cands if c.creator_org == creator), None)
            return found if found is not None and self.tier(found) is not None else None
        tiers: dict[int, list[TraceLot]] = {}
        for c in cands:
            t = self.tier(c)
            if t is not None:
                tiers.setdefault(t, []).append(c)
        for t in (0, 1, 2):
            found_t = tiers.get(t, [])
            if len(found_t) == 1:
                return found_t[0]
            if len(found_t) > 1:
                raise TraceError(f"lot {ref!r} is ambiguous: write " + " or ".join(
                    f"'{self.names[c.creator_org]}/{lot_id}'" for c in found_t))
        return None

    def display(self, lot: TraceLot) -> tuple[str, bool]:
        """(how the organisation writes the lot's id, whether it may see the lot)."""
        if self.tier(lot) is None:
            return lot.lot, False
        try:
            plain = self.resolve(lot.lot)
        except TraceError:
            plain = None
        if plain is not None and plain.seq == lot.seq:
            return lot.lot, True
        return f"{self.names[lot.creator_org]}/{lot.lot}", True

    def link(self, lot: TraceLot, mass_kg: float) -> dict[str, Any]:
        ref, visible = self.display(lot)
        out: dict[str, Any] = {"lot": ref, "mass_kg": mass_kg}
        if not visible:
            out["visible"] = False
        return out

    def doc(self, lot: TraceLot, fields: frozenset[str]) -> dict[str, Any]:
        """The lot's document without its links (see :meth:`AccessMixin._link_docs`)."""
        doc = lot_view(lot, self.names, fields)
        doc["lot"] = self.display(lot)[0]
        own = lot.creator_org == self.org.id
        doc["access"] = "creator" if own else "holder" if self.org.id in (
            lot.owner_org, lot.shipped_to) else "agreement"
        doc["inputs"], doc["outputs"] = [], []
        if own:
            doc["own_process"] = lot.own
        if lot.owner_org == self.org.id:  # how much is used is the holder's business
            doc["consumed_kg"] = lot.consumed_kg
        return doc

    def links(self, lots: list[TraceLot]) -> tuple[dict[int, list[tuple[TraceLot, float]]],
                                                   dict[int, list[tuple[TraceLot, float]]]]:
        """The inputs of those ``lots`` whose inputs the organisation may see, and the
        outputs of those it made (by ``seq``): two queries per 900 lots, whatever the
        number of lots, with the linked lots' ids read in one more."""
        want_in = [x.seq for x in lots if "inputs" in (self.fields(x) or ())]
        want_out = [x.seq for x in lots if x.creator_org == self.org.id]
        ins: dict[int, list[tuple[TraceLot, float]]] = {}
        outs: dict[int, list[tuple[TraceLot, float]]] = {}
        for want, mine, other, into in ((want_in, TraceInput.dst_seq, TraceInput.src_seq, ins),
                                        (want_out, TraceInput.src_seq, TraceInput.dst_seq,
                                         outs)):
            for chunk in chunks(want):
                for lot, m, at in self.s.execute(
                        select(TraceLot, TraceInput.mass_kg, mine).join(
                            TraceInput, TraceLot.seq == other).where(mine.in_(chunk))
                        .order_by(TraceInput.id)).all():
                    into.setdefault(at, []).append((lot, m))
        self.prefetch(lot.lot for got in (ins, outs) for pairs in got.values()
                      for lot, _ in pairs)
        return ins, outs

    def degrees(self, lots: list[TraceLot]) -> dict[int, int]:
        """How many links :meth:`links` would read for each of these lots (by ``seq``), by
        counting on the indexes: two grouped counts per 900 lots, no rows read."""
        want_in = [x.seq for x in lots if "inputs" in (self.fields(x) or ())]
        want_out = [x.seq for x in lots if x.creator_org == self.org.id]
        out = {x.seq: 0 for x in lots}
        for want, col in ((want_in, TraceInput.dst_seq), (want_out, TraceInput.src_seq)):
            for chunk in chunks(want):
                for seq, n in self.s.execute(select(col, func.count()).where(
                        col.in_(chunk)).group_by(col)).all():
                    out[seq] += int(n)
        return out


class AccessMixin(TraceBase):
    """Reads under data sovereignty, the catalogue, agreements and notifications."""

    def show(self, viewer: str, lot_ref: str) -> dict[str, Any]:
        """A lot as ``viewer`` may see it (:func:`junkan.trace.access.visible_fields`): its
        creator sees everything; the organisation holding it (or it was shipped to) sees
        CFP, recycled shares and claims, not the composition or the inputs, plus what an
        agreement grants it; a grantee what its active agreement grants; anyone else gets
        the same 'not found' as for a missing lot. ``lot_ref``: the id as the viewer refers
        to it (its own lot first, then one it holds, then one granted to it), or
        ``organisation/id``. Lot ids in the answer are written the same way; an input the
        viewer may not see has ``"visible": false``; its creator gets the lots made from it that
        it may see (``outputs``), the holder how much of it is used (``consumed_kg``)."""
        with self.db.session() as s:
            view = _View(s, self._org(s, viewer))
            lot, fields = self._resolve(view, lot_ref)
            docs = {lot.seq: view.doc(lot, fields)}
            self._link_docs(view, [lot], docs)
            return docs[lot.seq]

    def shown(self, viewer: str, lot_ref: str) -> dict[str, Any] | None:
        """:meth:`show`, or None where it says 'not found' (a walk over lots upstream)."""
        try:
            return self.show(viewer, lot_ref)
        except TraceNotFound:
            return None

    MAX_PAGE = 200
    """Most lots :meth:`lots` answers at once."""

    def lots(self, viewer: str, *, q: str | None = None, material: str | None = None,
             holder: str | None = None, made_from: date | None = None,
             made_to: date | None = None, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """One page of the lots ``viewer`` may see, newest first, as :meth:`show` writes
        them without ``inputs`` and ``outputs`` (not read for a
        list: ask for the lot): ``q`` a case-insensitive part of the lot id, ``material`` the
        material (any case), ``holder`` the name of the organisation holding it,
        ``made_from`` / ``made_to`` the first and last day (UTC, both included) of the
        lot's creation; ``total`` counts every match."""
        if not 1 <= limit <= self.MAX_PAGE or offset < 0:
            raise TraceError(f"limit: 1 to {self.MAX_PAGE}; offset: 0 or more")
        if made_from is not None and made_to is not None and made_to < made_from:
            raise TraceError(f"made_to: {made_to} is before made_from ({made_from})")
        with self.db.session() as s:
            view = _View(s, self._org(s, viewer))
            where = [visible_condition(view.org.id, view.grants, view.now)]
            if q:
                pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace(
                    "_", "\\_") + "%"
                where.append(func.lower(TraceLot.lot).like(pattern, escape="\\"))
            if material:
                where.append(func.lower(TraceLot.material) == material.lower())
            if holder is not None:
                where.append(TraceLot.owner_org == view._ids.get(holder, ""))
            if made_from is not None:
                where.append(TraceLot.created_at >= _midnight(made_from))
            if made_to is not None:
                where.append(TraceLot.created_at < _midnight(made_to + timedelta(days=1)))
            total = s.scalar(select(func.count()).select_from(TraceLot).where(*where)) or 0
            page = list(s.scalars(select(TraceLot).where(*where).order_by(
                TraceLot.seq.desc()).limit(limit).offset(offset)))
            view.prefetch(x.lot for x in page)
            docs = []
            for lot in page:
                fields = view.fields(lot)
                if fields is not None:  # the condition and the rule agree; the rule decides
                    doc = view.doc(lot, fields)
                    del doc["inputs"], doc["outputs"]  # not read here: not said to be none
                    docs.append(doc)
            return {"lots": docs, "total": int(total), "limit": limit, "offset": offset}

    def genealogy(self, viewer: str, lot: str, depth: int = 6, max_nodes: int | None = None,
                  max_links: int | None = None) -> dict[str, Any]:
        """Breadth-first walk over inputs and outputs up to ``depth`` links away, keeping the
        lots ``viewer`` may see (each as :meth:`show` gives it) and the links between them.
        Each level is read in a few batched queries, not one per lot. The nearest lots first,
        at most ``max_nodes`` of them, listing at most ``max_links`` links in all beyond the
        root's (defaults: the limits ``trace_genealogy_nodes`` and ``trace_genealogy_links``;
        links are counted before they are read): when lots within ``depth`` are left out,
        ``truncated`` is true and ``omitted`` counts those linked to the lots given (more may
        lie beyond them). The work stays linear in the lots and links given."""
        lim = limits()
        cap = lim.trace_genealogy_nodes if max_nodes is None else max_nodes
        budget = lim.trace_genealogy_links if max_links is None else max_links
        with self.db.session() as s:
            view = _View(s, self._org(s, viewer))
            root, fields = self._resolve(view, lot)
            docs = {root.seq: view.doc(root, fields)}
            edges: set[tuple[int, int, float]] = set()
            omitted: set[int] = set()
            frontier = [root]
            for level in range(depth + 1):
                if level:
                    frontier, budget = self._fit(view, frontier, budget, docs, omitted)
                ins, outs = self._link_docs(view, frontier, docs)
                nxt = []
                for x in frontier:
                    # lots the viewer may not see are neither shown nor walked through
                    near = [(o, (o.seq, x.seq, m)) for o, m in ins.get(x.seq, [])]
                    near += [(o, (x.seq, o.seq, m)) for o, m in outs.get(x.seq, [])]
                    for other, edge in near:
                        if other.seq not in docs:
                            if level == depth or other.seq in omitted:
                                continue
                            seen = view.fields(other)
                            if seen is None:
                                continue
                            if len(docs) >= cap or budget <= 0:
                                omitted.add(other.seq)
                                continue
                            docs[other.seq] = view.doc(other, seen)
                            nxt.append(other)
                        edges.add(edge)
                frontier = nxt
            ref = {seq: doc["lot"] for seq, doc in docs.items()}
            return {"root": lot, "nodes": list(docs.values()),
                    "edges": [{"from": a, "to": b, "mass_kg": m} for a, b, m in sorted(
                        (ref[a], ref[b], m) for a, b, m in edges if a in ref and b in ref)],
                    "truncated": bool(omitted), "omitted": len(omitted), "node_limit": cap}

    @staticmethod
    def _fit(view: _View, frontier: list[TraceLot], budget: int, docs: dict[int, Any],
             omitted: set[int]) -> tuple[list[TraceLot], int]:
        """The lots of ``frontier`` (nearest first) whose links fit in ``budget``, and the
        budget left; the others are taken out of ``docs`` and counted as omitted."""
        degree = view.degrees(frontier)
        kept = []
        for x in frontier:
            if degree[x.seq] <= budget:
                budget -= degree[x.seq]
                kept.append(x)
            else:
                budget = 0  # nearest first: no farther lot jumps the queue
                del docs[x.seq]
                omitted.add(x.seq)
        return kept, budget

    @staticmethod
    def _resolve(view: _View, lot_ref: str) -> tuple[TraceLot, frozenset[str]]:
        """The lot ``lot_ref`` names in the view and what the viewer may see of it; the one
        'not found' otherwise."""
        lot = view.resolve(lot_ref)
        fields = None if lot is None else view.fields(lot)
        if lot is None or fields is None:
            raise not_found("lot", lot_ref)
        return lot, fields

    @staticmethod
    def _link_docs(view: _View, lots: list[TraceLot], docs: dict[int, dict[str, Any]]
                   ) -> tuple[dict[int, list[tuple[TraceLot, float]]],
                              dict[int, list[tuple[TraceLot, float]]]]:
        """Fill in the ``inputs`` and ``outputs`` of these lots' documents (batched reads);
        returns the links as read."""
        ins, outs = view.links(lots)
        for x in lots:
            docs[x.seq]["inputs"] = [view.link(o, m) for o, m in ins.get(x.seq, [])]
            # lots made from it that the viewer may not see are not even listed: a maker
            # does not learn what its customers made (inputs it may see are its own
            # knowledge or granted by their maker, so they are listed, as not visible)
            docs[x.seq]["outputs"] = [view.link(o, m) for o, m in outs.get(x.seq, [])
                                      if view.fields(o) is not None]
        return ins, outs

    # ---- catalogue and agreements -----------------------------------------------------------
    def offer(self, org_name: str, name: str, *, lots: list[str], fields: list[str],
              description: str = "", policy: dict[str, Any] | None = None) -> int:
        """Publish a catalogue entry (metadata and policy only; the data stays here)."""
        with self.db.session() as s:
            org = self._org(s, org_name)
            self._check_grant(s, org, lots, fields)
            ds = TraceDataset(org_id=org.id, name=name, description=description, lots=lots,
                              fields=fields, policy=policy or {})
            s.add(ds)
            s.flush()
            return int(ds.id)

    def catalogue(self, viewer: str) -> list[dict[str, Any]]:
        """Other organisations' offers: name, description, fields, policy, lot count."""
        with self.db.session() as s:
            org = self._org(s, viewer)
            names = {o.id: o.name for o in s.scalars(select(Organisation))}
            return [{"id": d.id, "provider": names[d.org_id], "name": d.name,
                     "description": d.description, "fields": d.fields, "policy": d.policy,
                     "lots": "all" if "*" in d.lots else len(d.lots)}
                    for d in s.scalars(select(TraceDataset).where(TraceDataset.org_id != org.id)
                                       .order_by(TraceDataset.id))]

    def grant(self, grantor: str, grantee: str, *, lots: list[str], fields: list[str],
              purpose: str, expires_at: datetime) -> int:
        """A bilateral agreement; only lots the grantor made can be granted."""
        with self.db.session() as s:
            g = self._org(s, grantor)
            e = self._org(s, grantee)
            if g.id == e.id:
                raise TraceRefusal.at("grantee", "grant-same-organisation",
                                      "an agreement needs two different organisations")
            if expires_at.tzinfo is None:
                raise TraceRefusal.at("expires_at", "grant-expiry-zone",
                                      "expires_at needs a time zone")
            if expires_at <= datetime.now(UTC):
                raise TraceRefusal.at("expires_at", "grant-expired", "expires_at is in the past")
            if not purpose.strip():
                raise TraceRefusal.at("purpose", "grant-purpose",
                                      "purpose is required (what the data may be used for)")
            self._check_grant(s, g, lots, fields)
            ag = TraceAgreement(grantor_org=g.id, grantee_org=e.id, lots=lots, fields=fields,
                                purpose=purpose, expires_at=expires_at)
            s.add(ag)
            s.flush()
            return int(ag.id)

    def revoke(self, grantor: str, agreement_id: int) -> None:
        with self.db.session() as s:
            g = self._org(s, grantor)
            ag = s.get(TraceAgreement, agreement_id)
            if ag is None or ag.grantor_org != g.id:
                raise TraceNotFound(f"agreement {agreement_id} not found")
            ag.revoked_at = datetime.now(UTC)

    def agreements(self, org_name: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            org = self._org(s, org_name)
            names = {o.id: o.name for o in s.scalars(select(Organisation))}
            rows = s.scalars(select(TraceAgreement).where(
                (TraceAgreement.grantor_org == org.id) | (TraceAgreement.grantee_org == org.id))
                .order_by(TraceAgreement.id))
            return [{"id": a.id, "grantor": names[a.grantor_org],
                     "grantee": names[a.grantee_org], "lots": a.lots, "fields": a.fields,
                     "purpose": a.purpose, "expires_at": a.expires_at.isoformat(),
                     "revoked": a.revoked_at is not None} for a in rows]

    @staticmethod
    def _check_grant(s: Session, org: Organisation, lots: list[str], fields: list[str]) -> None:
        bad = sorted(set(fields) - set(GRANTABLE))
        if bad or not fields:
            raise TraceRefusal.at("fields", "grant-fields", "fields: {fields}; choose from {known}",
                                  fields=str(bad or "none given"), known=", ".join(GRANTABLE))
        if not lots:
            raise TraceRefusal.at("lots", "grant-lots",
                                  "lots: give lot ids or '*' for every lot you made")
        if "*" not in lots:
            mine = set(s.scalars(select(TraceLot.lot).where(TraceLot.creator_org == org.id,
                                                            TraceLot.lot.in_(lots))))
            missing = sorted(set(lots) - mine)
            if missing:
                raise TraceRefusal.at("lots", "grant-lots-not-made",
                                      "lots not made by {org}: {lots}", org=repr(org.name),
                                      lots=", ".join(missing))

    def notifications(self, org_name: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            org = self._org(s, org_name)
            return [{"id": n.id, "lot": n.lot, "message": n.message, "payload": n.payload,
                     "read": n.read, "webhook": n.webhook_status,
                     "created_at": n.created_at.isoformat()}
                    for n in s.scalars(select(TraceNotification).where(
                        TraceNotification.org_id == org.id).order_by(TraceNotification.id))]
