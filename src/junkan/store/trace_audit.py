"""Tamper evidence: signed Merkle checkpoints of each organisation's log, checks of
a witness's kept checkpoint, and verification of the log and the lots against it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from junkan.store.trace_base import (
    SigningKey,
    TraceBase,
    TraceError,
    VerifyResult,
    checkpoint_body,
    not_found,
)
from junkan.store.trace_tables import TraceCheckpoint, TraceEvent, TraceKey, TraceLot
from junkan.trace import merkle
from junkan.trace.canonical import canonical
from junkan.trace.signing import sign, verify, verify_many


class AuditMixin(TraceBase):
    """Signed checkpoints, witnesses' consistency proofs and full verification."""

    @staticmethod
    def _leaves(s: Session, org_id: str) -> list[bytes]:
        """The organisation's log as leaf hashes, in order."""
        return [bytes.fromhex(h) for h in s.scalars(
            select(TraceEvent.leaf_hash).where(TraceEvent.org_id == org_id)
            .order_by(TraceEvent.org_seq))]

    @staticmethod
    def _latest_checkpoint(s: Session, org_id: str) -> TraceCheckpoint | None:
        return s.scalar(select(TraceCheckpoint).where(TraceCheckpoint.org_id == org_id)
                        .order_by(TraceCheckpoint.id.desc()).limit(1))

    def _checkpoint(self, s: Session, org_id: str, key: SigningKey, before: int,
                    added: list[bytes]) -> tuple[int, str]:
        """Sign a checkpoint of the organisation's log after ``added`` leaf hashes were
        appended to its ``before`` events. The last checkpoint's frontier is extended when
        it is of that size and matches its signed root; else the leaves are read."""
        last = self._latest_checkpoint(s, org_id)
        frontier = None
        if last is not None and last.frontier is not None and last.tree_size == before:
            kept = [bytes.fromhex(h) for h in last.frontier.split()]
            if merkle.frontier_root(kept).hex() == last.root and verify(
                    key.public_key, checkpoint_body(org_id, last.tree_size, last.root),
                    last.signature):
                frontier = merkle.extend(kept, before, added)
        if frontier is None:  # no usable checkpoint: the whole log (this batch included)
            leaves = self._leaves(s, org_id)
            frontier = merkle.extend([], 0, leaves)
            size = len(leaves)
        else:
            size = before + len(added)
        root = merkle.frontier_root(frontier).hex()
        s.add(TraceCheckpoint(org_id=org_id, tree_size=size, root=root,
                              signature=sign(key.private_key,
                                             checkpoint_body(org_id, size, root)),
                              frontier=" ".join(h.hex() for h in frontier)))
        return size, root

    def checkpoint(self, org_name: str) -> dict[str, Any]:
        """The latest signed checkpoint and the public key: what a partner keeps as a
        witness of ``org_name``'s log."""
        with self.db.session() as s:
            org = self._org(s, org_name)
            key = s.get(TraceKey, org.id)
            cp = self._latest_checkpoint(s, org.id)
            if key is None or cp is None:  # reads like an unknown organisation
                raise not_found("organisation", org_name)
            return {"org": org_name, "org_id": org.id, "tree_size": cp.tree_size,
                    "root": cp.root, "signature": cp.signature, "public_key": key.public_key}

    def check_witness(self, kept: dict[str, Any]) -> dict[str, Any]:
        """Is today's log an append-only extension of a checkpoint a partner kept? Checks the
        kept checkpoint's signature, then an RFC 9162 consistency proof from its size to the
        current log."""
        with self.db.session() as s:
            org = self._org(s, str(kept.get("org", "")))
            key = s.get(TraceKey, org.id)
            if key is None:  # reads like an unknown organisation
                raise not_found("organisation", str(kept.get("org", "")))
            size, root = kept.get("tree_size"), kept.get("root")
            if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size < 2**53:
                raise TraceError("tree_size: give the kept checkpoint's tree size (an integer)")
            if not isinstance(root, str) or len(root) != 64 or \
                    any(c not in "0123456789abcdef" for c in root):
                raise TraceError("root: give the kept checkpoint's root (64 hex digits)")
            body = checkpoint_body(org.id, kept.get("tree_size"), kept.get("root"))
            if kept.get("public_key") not in (None, key.public_key):
                return {"ok": False, "reason": "the organisation's key changed"}
            if not verify(key.public_key, body, str(kept.get("signature", ""))):
                return {"ok": False, "reason": "the kept checkpoint's signature does not verify"}
            leaves = self._leaves(s, org.id)
        m = int(kept["tree_size"])
        if m > len(leaves):
            return {"ok": False, "reason": f"the log has {len(leaves)} entries, fewer than the "
                    f"{m} the witness saw (entries removed)"}
        new_root = merkle.root(leaves)
        proof = merkle.consistency_proof(m, leaves) if m else []
        ok = m == 0 or merkle.verify_consistency(m, len(leaves), bytes.fromhex(kept["root"]),
                                                 new_root, proof)
        return {"ok": ok, "kept_size": m, "current_size": len(leaves),
                "current_root": new_root.hex(), "proof": [p.hex() for p in proof],
                "reason": "" if ok else "the log is not an extension of the kept checkpoint "
                                        "(an earlier entry was changed)"}

    def verify(self, org_name: str) -> VerifyResult:
        """Recompute every record's hash and signature, the Merkle root against the latest
        signed checkpoint, and the lots' declared data against the log."""
        with self.db.session() as s:
            org = self._org(s, org_name)
            key = s.get(TraceKey, org.id)
            events = s.execute(select(TraceEvent.org_seq, TraceEvent.type, TraceEvent.lot,
                                      TraceEvent.record, TraceEvent.leaf_hash,
                                      TraceEvent.signature)
                               .where(TraceEvent.org_id == org.id)
                               .order_by(TraceEvent.org_seq)).all()
            problems: list[str] = []
            if key is None:
                return VerifyResult(org_name, not events, len(events),
                                    ["no signing key"] if events else [])
            leaves = []
            records: list[tuple[int, dict[str, Any]]] = []
            expect = 1
            signed = verify_many(key.public_key, [e.record.encode("utf-8") for e in events],
                                 [e.signature for e in events])  # on worker threads
            for e, signature_ok in zip(events, signed, strict=True):
                label = f"event {e.org_seq} ({e.type} {e.lot})"
                if e.org_seq != expect:
                    problems.append(f"{label}: log sequence gap (expected {expect})")
                expect = e.org_seq + 1
                try:
                    record = json.loads(e.record)
                except ValueError:
                    problems.append(f"{label}: record is not JSON any more")
                    continue
                data = e.record.encode("utf-8")
                if merkle.leaf_hash(data).hex() != e.leaf_hash:
                    problems.append(f"{label}: record changed (hash mismatch)")
                if canonical(record) != data:
                    problems.append(f"{label}: record is not in canonical form")
                if not signature_ok:
                    problems.append(f"{label}: signature does not verify")
                if record.get("seq") != e.org_seq or record.get("event", {}).get(
                        "lot") != e.lot:
                    problems.append(f"{label}: indexed columns differ from the signed record")
                leaves.append(bytes.fromhex(e.leaf_hash))
                records.append((e.org_seq, record.get("event", {})))
            cp = self._latest_checkpoint(s, org.id)
            if cp is not None:
                body = checkpoint_body(org.id, cp.tree_size, cp.root)
                if not verify(key.public_key, body, cp.signature):
                    problems.append(f"checkpoint {cp.tree_size}: signature does not verify")
                if (cp.tree_size or 0) > len(leaves):
                    problems.append(f"checkpoint {cp.tree_size}: log has only {len(leaves)} "
                                    "events (entries deleted)")
                elif merkle.root(leaves[:cp.tree_size]).hex() != cp.root:
                    problems.append(f"checkpoint {cp.tree_size}: Merkle root differs (an "
                                    "entry was changed, removed or inserted)")
            problems += self._check_state(s, org.id, records)
            return VerifyResult(org_name, not problems, len(events), problems,
                                cp.tree_size if cp else None)

    @staticmethod
    def _check_state(s: Session, org_id: str,
                     records: list[tuple[int, dict[str, Any]]]) -> list[str]:
        """Lots created by this organisation must match their signed events (``records``:
        the log's (sequence number, event) pairs, already parsed)."""
        problems = []
        declared: dict[str, dict[str, Any]] = {}
        for seq, ev in records:
            if ev.get("type") == "create":
                declared[ev["lot"]] = {"mass_kg": ev["mass_kg"], "cfp": ev["cfp"]["total"],
                                       "seq": seq}
            elif ev.get("type") == "redeclare" and ev.get("cfp") and ev["lot"] in declared:
                declared[ev["lot"]]["cfp"] = ev["cfp"]["total"]
            elif ev.get("type") in ("merge", "blend", "process"):
                declared[ev["lot"]] = {"mass_kg": ev["mass_kg"], "seq": seq}
            elif ev.get("type") == "split":  # each output is a lot of its own
                for out in ev.get("outputs", []):
                    declared[out["lot"]] = {"mass_kg": out["mass_kg"], "seq": seq}
        for lot in s.scalars(select(TraceLot).where(TraceLot.creator_org == org_id)):
            d = declared.get(lot.lot)
            if d is None:
                problems.append(f"lot {lot.lot}: no event in the log created it")
                continue
            if abs(d["mass_kg"] - lot.mass_kg) > 1e-9:
                problems.append(f"lot {lot.lot}: mass {lot.mass_kg} differs from event "
                                f"{d['seq']} ({d['mass_kg']})")
            if "cfp" in d and lot.custody == "declared" and abs(d["cfp"] - lot.cfp_total) > 1e-9:
                problems.append(f"lot {lot.lot}: CFP {lot.cfp_total} differs from its signed "
                                f"declaration ({d['cfp']})")
        return problems
