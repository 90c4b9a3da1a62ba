"""Data sovereignty: lots as an organisation may see them, catalogue offers,
bilateral agreements, notifications."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from junkan.store.tables import Organisation
from junkan.store.trace_base import (
    GRANTABLE,
    HOLDER_FIELDS,
    TraceBase,
    TraceError,
    TraceNotFound,
    lot_view,
    not_found,
    split_ref,
)
from junkan.store.trace_tables import (
    TraceAgreement,
    TraceDataset,
    TraceInput,
    TraceLot,
    TraceNotification,
)


class _View:
    """Lots as one organisation sees them: which lot a reference names (its own lot with the
    id first, then the one it holds or was shipped, then the one an agreement grants it; or
    ``organisation/id``), what it may see, and how it writes a lot's id (the id alone when
    that names the lot, else ``creator/id``)."""

    def __init__(self, s: Session, org: Organisation) -> None:
        self.s = s
        self.org = org
        self.names = {o.id: o.name for o in s.scalars(select(Organisation))}
        self._ids = {name: oid for oid, name in self.names.items()}
        self._cands: dict[str, list[TraceLot]] = {}
        self._granted: dict[int, set[str]] = {}

    def candidates(self, lot_id: str) -> list[TraceLot]:
        if lot_id not in self._cands:
            self._cands[lot_id] = list(self.s.scalars(select(TraceLot).where(
                TraceLot.lot == lot_id).order_by(TraceLot.seq)))
        return self._cands[lot_id]

    def granted(self, lot: TraceLot) -> set[str]:
        if lot.seq not in self._granted:
            self._granted[lot.seq] = AccessMixin._granted(self.s, self.org.id, lot)
        return self._granted[lot.seq]

    def tier(self, lot: TraceLot) -> int | None:
        """0 own, 1 held or shipped to it, 2 granted by an agreement; None: not visible."""
        if lot.creator_org == self.org.id:
            return 0
        if self.org.id in (lot.owner_org, lot.shipped_to):
            return 1
        return 2 if self.granted(lot) else None

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


class AccessMixin(TraceBase):
    """Reads under data sovereignty, the catalogue, agreements and notifications."""

    def genealogy(self, viewer: str, lot: str, depth: int = 6) -> dict[str, Any]:
        """Breadth-first walk over inputs and outputs, keeping the lots ``viewer`` may see."""
        root = self.show(viewer, lot)
        nodes = {root["lot"]: root}
        edges: set[tuple[str, str, float]] = set()
        frontier = [root]
        for _ in range(depth):
            nxt = []
            for doc in frontier:
                # lots the viewer may not see (``visible: false``) are neither shown nor looked
                # up: their id alone could name one of the viewer's own lots
                links = [(i["lot"], (i["lot"], doc["lot"], i["mass_kg"]))
                         for i in doc.get("inputs", []) if i.get("visible", True)]
                links += [(o["lot"], (doc["lot"], o["lot"], o["mass_kg"]))
                          for o in doc.get("outputs", []) if o.get("visible", True)]
                for other, edge in links:  # upstream and downstream alike
                    edges.add(edge)
                    if other not in nodes:
                        try:
                            nodes[other] = self.show(viewer, other)
                            nxt.append(nodes[other])
                        except TraceError:
                            pass
            frontier = nxt
        visible = [e for e in edges if e[0] in nodes and e[1] in nodes]
        return {"root": lot, "nodes": list(nodes.values()),
                "edges": [{"from": a, "to": b, "mass_kg": m} for a, b, m in sorted(visible)]}

    def show(self, viewer: str, lot_ref: str) -> dict[str, Any]:
        """A lot as ``viewer`` may see it: its creator sees everything; the organisation
        holding it (or it was shipped to) sees CFP, recycled shares and claims, not the
        composition or the inputs; an active agreement grants its fields; anyone else gets
        the same 'not found' as for a missing lot. ``lot_ref``: the id as the viewer refers
        to it (its own lot first, then one it holds, then one granted to it), or
        ``organisation/id``. Lot ids in the answer are written the same way; an input the
        viewer may not see has ``"visible": false``."""
        with self.db.session() as s:
            org = self._org(s, viewer)
            view = _View(s, org)
            lot = view.resolve(lot_ref)
            if lot is None:
                raise not_found("lot", lot_ref)
            full = org.id == lot.creator_org  # custodians downstream see no composition
            holder = org.id in (lot.owner_org, lot.shipped_to)
            granted = set() if full else view.granted(lot)
            fields = set(GRANTABLE) if full else set(granted) | (
                HOLDER_FIELDS if holder else set())
            doc = lot_view(lot, view.names, fields)
            doc["lot"] = view.display(lot)[0]
            doc["access"] = "creator" if full else "holder" if holder else "agreement"
            doc["inputs"], doc["outputs"] = [], []
            if "inputs" in fields:
                doc["inputs"] = [view.link(other, m) for other, m in s.execute(
                    select(TraceLot, TraceInput.mass_kg).join(
                        TraceInput, TraceLot.seq == TraceInput.src_seq).where(
                        TraceInput.dst_seq == lot.seq)).all()]
            if full:
                doc["outputs"] = [view.link(other, m) for other, m in s.execute(
                    select(TraceLot, TraceInput.mass_kg).join(
                        TraceInput, TraceLot.seq == TraceInput.dst_seq).where(
                        TraceInput.src_seq == lot.seq)).all()]
                doc["own_process"] = lot.own
                doc["consumed_kg"] = lot.consumed_kg
            return doc

    @staticmethod
    def _granted(s: Session, org_id: str, lot: TraceLot) -> set[str]:
        """Fields an active (not revoked, not expired) agreement grants ``org_id``."""
        now = datetime.now(UTC)
        out: set[str] = set()
        for ag in s.scalars(select(TraceAgreement).where(
                TraceAgreement.grantee_org == org_id,
                TraceAgreement.grantor_org == lot.creator_org,
                TraceAgreement.revoked_at.is_(None))):
            expires = ag.expires_at if ag.expires_at.tzinfo else ag.expires_at.replace(
                tzinfo=UTC)
            if expires > now and ("*" in ag.lots or lot.lot in ag.lots):
                out |= set(ag.fields)
        return out

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
                raise TraceError("an agreement needs two different organisations")
            if expires_at.tzinfo is None:
                raise TraceError("expires_at needs a time zone")
            if expires_at <= datetime.now(UTC):
                raise TraceError("expires_at is in the past")
            if not purpose.strip():
                raise TraceError("purpose is required (what the data may be used for)")
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
            raise TraceError(f"fields: {bad or 'none given'}; choose from {list(GRANTABLE)}")
        if not lots:
            raise TraceError("lots: give lot ids or '*' for every lot you made")
        if "*" not in lots:
            mine = set(s.scalars(select(TraceLot.lot).where(TraceLot.creator_org == org.id,
                                                            TraceLot.lot.in_(lots))))
            missing = sorted(set(lots) - mine)
            if missing:
                raise TraceError(f"lots not made by {org.name!r}: {missing}")

    def notifications(self, org_name: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            org = self._org(s, org_name)
            return [{"id": n.id, "lot": n.lot, "message": n.message, "payload": n.payload,
                     "read": n.read, "webhook": n.webhook_status,
                     "created_at": n.created_at.isoformat()}
                    for n in s.scalars(select(TraceNotification).where(
                        TraceNotification.org_id == org.id).order_by(TraceNotification.id))]
