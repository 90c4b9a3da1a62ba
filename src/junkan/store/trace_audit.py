"""Tamper evidence: signed Merkle checkpoints of each organisation's log, checks of
a witness's kept checkpoint, and verification of the log and the lots against it."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from junkan.store.tables import Organisation
from junkan.store.trace_base import (
    CHAIN_START,
    SigningKey,
    TraceBase,
    TraceError,
    VerifyResult,
    checkpoint_body,
    not_found,
    signature_chain,
)
from junkan.store.trace_rows import collector_paused
from junkan.store.trace_state import SavedState, StateError
from junkan.store.trace_tables import TraceCheckpoint, TraceEvent, TraceKey
from junkan.store.trace_verify import Audit, run_audit
from junkan.trace import merkle
from junkan.trace.keystore import (
    ENV_FILE,
    ENV_SECRET,
    KeyRing,
    KeyStoreError,
    key_file_path,
    load_keyring,
)
from junkan.trace.signing import sign, verify


def keys_not_checked(database_url: str | None, env: dict[str, str] | None,
                     exc: KeyStoreError) -> str:
    """What an audit says when it could not read the master key (so did not check the
    signing keys against it): the key file that is missing, else why the key was refused."""
    path = key_file_path(database_url, env)
    if path is not None and not path.exists():
        return (f"signing keys not checked: master key file {path} missing (set {ENV_SECRET} "
                f"or {ENV_FILE} to check them)")
    return f"signing keys not checked: {exc}"


def master_key_settings() -> dict[str, str]:
    """How this process is configured to read the master keys (the environment variables
    :func:`junkan.trace.keystore.load_keyring` reads), for an audit in another process."""
    return {k: os.environ[k] for k in (ENV_SECRET, ENV_FILE) if os.environ.get(k)}


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
                    added: list[bytes], sigs: list[str], at: datetime) -> tuple[int, str]:
        """Sign a checkpoint of the organisation's log after ``added`` leaf hashes (and
        their events' signatures ``sigs``) were appended to its ``before`` events. The last
        checkpoint's frontier and signature chain are extended when it is of that size and
        its signature verifies; else the leaves are read, and the chain starts at
        ``before`` (an audit verifies the events before it one signature at a time)."""
        last = self._latest_checkpoint(s, org_id)
        frontier, sig_from, chain = None, before, CHAIN_START
        if last is not None and last.frontier is not None and last.tree_size == before:
            kept = [bytes.fromhex(h) for h in last.frontier.split()]
            if merkle.frontier_root(kept).hex() == last.root and verify(
                    key.public_key, checkpoint_body(org_id, last.tree_size, last.root,
                                                    last.sig_from, last.signatures),
                    last.signature):
                frontier = merkle.extend(kept, before, added)
                if last.signatures is not None and last.sig_from is not None:
                    sig_from, chain = last.sig_from, bytes.fromhex(last.signatures)
        if frontier is None:  # no usable checkpoint: the whole log (this batch included)
            leaves = self._leaves(s, org_id)
            frontier = merkle.extend([], 0, leaves)
            size = len(leaves)
            sig_from = size - len(added)
        else:
            size = before + len(added)
        for sig in sigs:
            chain = signature_chain(chain, sig)
        root = merkle.frontier_root(frontier).hex()
        body = checkpoint_body(org_id, size, root, sig_from, chain.hex())
        s.add(TraceCheckpoint(org_id=org_id, tree_size=size, root=root,
                              signature=sign(key.private_key, body), sig_from=sig_from,
                              signatures=chain.hex(),
                              frontier=" ".join(h.hex() for h in frontier), created_at=at))
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
            out = {"org": org_name, "org_id": org.id, "tree_size": cp.tree_size,
                   "root": cp.root, "signature": cp.signature, "public_key": key.public_key}
            if cp.signatures is not None:  # signed with the checkpoint: a witness keeps it
                out["signatures"] = {"from": cp.sig_from, "chain": cp.signatures}
            return out

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
            chained = kept.get("signatures")
            chained = chained if isinstance(chained, dict) else {}
            body = checkpoint_body(org.id, kept.get("tree_size"), kept.get("root"),
                                   chained.get("from"), chained.get("chain"))
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

    def audit(self, *, since: str | Path | SavedState | None = None,
              save: str | Path | None = None, every_signature: bool = False,
              processes: int | None = None, key_env: dict[str, str] | None = None) -> Audit:
        """The whole ledger replayed from the signed logs and compared with the store
        (:mod:`junkan.store.trace_verify`); the signing keys are checked against the
        master key when it is configured (else :attr:`Audit.notices` says they were not).
        ``since``: a state file an earlier clean audit saved (or the state itself): only the
        events after it are replayed, on top of it, once each log is shown to extend it
        (:class:`StateError` if the file is not one).
        ``save``: after a clean audit, write the state a later ``since`` starts from
        (:attr:`Audit.state` tells whether it was written). ``every_signature``: verify
        each event's Ed25519 signature even where a signed checkpoint's chain covers it.
        ``processes``: worker processes for the signature checks (default: as many as cores
        for a large audit; 0 in a process that may not start any, such as a budgeted
        worker, whose CPU budget then covers the whole audit). ``key_env``: the
        environment the master keys are read from when this repository was given none
        (:func:`master_key_settings` of another process; default: this process's)."""
        with collector_paused():  # a million objects, none of them garbage
            state = SavedState.load(Path(since)) if isinstance(since, str | Path) else since
        notice = None
        try:
            keys: KeyRing | None = self.keys if self._keys is not None else load_keyring(
                self.db.url, env=key_env, create=False)
        except KeyStoreError as exc:
            keys, notice = None, keys_not_checked(self.db.url, key_env, exc)
        with collector_paused(), self.db.session() as s:  # millions of objects, no garbage
            conn = s.connection(execution_options={"isolation_level": "REPEATABLE READ"}
                                if self.db.dialect == "postgresql" else None)
            if self.db.dialect == "sqlite":  # one snapshot of every table
                conn.exec_driver_sql("BEGIN")
            if state is not None:
                known = set(s.scalars(select(Organisation.id)))
                if state.orgs and not known & state.orgs.keys():
                    raise StateError("the audit state was saved from another database (none "
                                     "of its organisations is here)")
            audit = run_audit(s, keys, since=state, save=save is not None,
                              every_signature=every_signature, processes=processes)
        if notice is not None:
            audit.notices.append(notice)
        if save is not None and audit.state is not None:
            with collector_paused():
                audit.state.save(Path(save))
        return audit

    AUDIT_REUSE_S = 60.0
    """How long :meth:`shared_audit` answers from the last audit (seconds)."""

    def shared_audit(self, start: Callable[[], Future[Audit]]) -> Future[Audit]:
        """The audit the service's verify route answers with: the last one while it is at
        most :attr:`AUDIT_REUSE_S` old, else the one under way, else the one ``start``
        begins (it runs elsewhere, e.g. in a worker process) — so that requests cannot make
        the service replay the whole ledger over and over, nor several times at once.
        Callers at the same time share one audit and its outcome; a failed audit is not
        kept. The command line always audits afresh."""
        with self._audit_lock:
            kept = self.__dict__.get("_audit_kept")
            if kept is not None and time.monotonic() - kept[0] < self.AUDIT_REUSE_S:
                done: Future[Audit] = Future()
                done.set_result(kept[1])
                return done
            running: Future[Audit] | None = self.__dict__.get("_audit_running")
            if running is not None:
                return running
            running = start()
            self.__dict__["_audit_running"] = running
        running.add_done_callback(self._audit_done)
        return running

    @property
    def _audit_lock(self) -> threading.RLock:
        return cast(threading.RLock, self.__dict__.setdefault("_audit_lock_",
                                                              threading.RLock()))

    def _audit_done(self, running: Future[Audit]) -> None:
        with self._audit_lock:
            if self.__dict__.get("_audit_running") is running:
                del self.__dict__["_audit_running"]
            if not running.cancelled() and running.exception() is None:
                self.__dict__["_audit_kept"] = (time.monotonic(), running.result())

    def recent_audit(self) -> Audit:
        """:meth:`shared_audit` with the audit run in this thread."""
        def here() -> Future[Audit]:
            out: Future[Audit] = Future()
            try:
                out.set_result(self.audit())
            except BaseException as exc:
                out.set_exception(exc)
            return out

        return self.shared_audit(here).result()

    def verify(self, org_name: str, audit: Audit | None = None) -> VerifyResult:
        """The problems of an :meth:`audit` that concern ``org_name`` (its log, the lots it
        made or holds, its mass-balance accounts) or no organisation in particular. ``ok``
        when there are none; the audit's notices (a check it could not make, such as the
        signing keys' without the master key) follow them in ``problems`` and leave ``ok``
        as it is."""
        with self.db.session() as s:
            org = self._org(s, org_name)
        audit = audit if audit is not None else self.audit()
        problems = [p.text for p in audit.problems if not p.orgs or org.id in p.orgs]
        return VerifyResult(org_name, not problems, audit.events.get(org.id, 0),
                            problems + audit.notices, audit.checkpoints.get(org.id))
