"""Audit = replay: the ledger rebuilt from the signed logs (:mod:`junkan.trace.replay`)
compared with every field the store holds — lots and their derived values, genealogy links,
mass-balance entries and closed periods (:mod:`junkan.store.trace_compare`) — while the logs
themselves are checked (record hashes, canonical form, Ed25519 signatures, sequence, every
signed checkpoint's Merkle root and frontier). Each problem names the organisation(s) it
concerns, the lot, the field, the stored and the replayed value.

One pass over the events in the order they were appended: each record is parsed once, and the
parsed record goes to the replay, while worker processes check the same rows' signatures,
JSON, canonical form and indexed columns (:mod:`junkan.store.trace_logcheck`). An incremental
audit (``since``: a :class:`junkan.store.trace_state.SavedState` a clean audit saved) proves
from the records' hashes that each log still extends the saved tree, checks the rows of the
saved events against their fingerprints, and parses, checks the signatures of and replays only
the events after it, on top of the saved replay — then compares every stored field as a full
audit does."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from junkan.store.tables import Organisation
from junkan.store.trace_base import CHAIN_START, checkpoint_body, signature_chain
from junkan.store.trace_compare import check_keys, compare, driver_rows, same
from junkan.store.trace_logcheck import Background, check_events, check_signed, parse
from junkan.store.trace_state import OrgState, SavedState, fingerprint
from junkan.store.trace_tables import TraceKey
from junkan.trace.canonical import canonical
from junkan.trace.keystore import KeyRing
from junkan.trace.replay import Replay
from junkan.trace.signing import b64, cores, unb64

__all__ = ["Audit", "Problem", "run_audit", "same"]

PART = 10_000
"""Signatures sent to a worker at a time."""
PROCESSES_FROM = 20_000
"""From this many events to check, signatures are checked in worker processes (starting
them costs ~0.5 s)."""
_EVENTS = ("SELECT id, org_id, org_seq, type, lot, record, leaf_hash, signature, created_at "
           "FROM trace_events ORDER BY id")
_CHECKPOINTS = ("SELECT id, org_id, tree_size, root, signature, created_at, frontier, "
                "sig_from, signatures FROM trace_checkpoints ORDER BY id")


@dataclass
class Problem:
    orgs: frozenset[str]
    """Ids of the organisations it concerns."""
    text: str


@dataclass
class Audit:
    problems: list[Problem] = field(default_factory=list)
    events: dict[str, int] = field(default_factory=dict)
    """Events per organisation id."""
    checkpoints: dict[str, int] = field(default_factory=dict)
    """Latest signed tree size per organisation id."""
    replayed: int = 0
    """Events replayed (all of them, or those after the saved state)."""
    signatures_verified: int = 0
    """Event signatures verified one at a time (Ed25519)."""
    signatures_chained: int = 0
    """Event signatures checked through the signature chain of a signed checkpoint."""
    footprints: int = 0
    """Published PACT footprint versions checked, each against the digest stored with it
    only: the signed log does not hold published footprints, so an edit of both the
    content and its digest is not found (:func:`junkan.store.trace_compare.compare_pact`)."""
    state: SavedState | None = None
    """What :meth:`junkan.store.trace_state.SavedState.save` writes (asked for, and clean)."""
    notices: list[str] = field(default_factory=list)
    """Checks the audit could not make (e.g. ``signing keys not checked: …`` without the
    master key): said beside the result, not problems found."""

    def add(self, orgs: Any, text: str) -> None:
        self.problems.append(Problem(frozenset(o for o in orgs if o), text))


def _canonical_b64(text: str) -> bool:
    """Is ``text`` base64url as the ledger writes it (no padding, zero padding bits)? Other
    spellings decode to the same bytes, so only this check tells they were edited."""
    try:
        return b64(unb64(text)) == text
    except (ValueError, TypeError):
        return False


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _root(frontier: list[bytes]) -> bytes:
    """RFC 9162 root of the tree whose frontier (perfect subtrees' roots) is given."""
    if not frontier:
        return hashlib.sha256(b"").digest()
    h = frontier[-1]
    for left in reversed(frontier[:-1]):
        h = _node(left, h)
    return h


class _Log:
    """One organisation's log while it is read: sequence, Merkle frontier, the checkpoints
    still to reach, the signatures to check."""

    def __init__(self, org_id: str, name: str, public: str | None, count: int,
                 kept: OrgState | None) -> None:
        self.org_id, self.name, self.public, self.count, self.kept = (
            org_id, name, public, count, kept)
        self.n = 0
        self.frontier: list[bytes] = []
        self.due: list[Any] = []
        """Checkpoints to reach, in order (their sizes increase)."""
        self.last = 0
        self.part: list[tuple[int, str, str, bytes, str]] = []
        """Rows for the background checks (sequence, type, lot, record, signature)."""
        self.prints: list[bytes] = []
        self.old = kept.tree_size if kept is not None else 0
        self.sig_from: int | None = None
        """Events after this one are covered by the signature chain of the log's last
        checkpoint (None: no chain; each signature is verified)."""
        self.verify_upto = count
        """Events up to this one get their signature verified (Ed25519)."""
        self.chain = CHAIN_START
        self.chained = 0
        """The size up to which the chain agreed with a checkpoint (or the chain start)."""
        self.recheck: list[tuple[int, int]] = []
        """Ranges (after, up to) of events whose chain differed from a checkpoint's: their
        signatures are verified one by one after the pass, to name the events."""

    def append(self, leaf: bytes) -> None:
        f = self.frontier
        f.append(leaf)
        self.n += 1
        c = self.n
        while not c & 1:  # two subtrees of equal size merge
            right = f.pop()
            f[-1] = _node(f[-1], right)
            c >>= 1


def _checkpoints(s: Session, audit: Audit, logs: dict[str, _Log], names: dict[str, str],
                 checks: Background, want: SavedState | None, every: bool) -> None:
    """Each organisation's signed checkpoints in order: signature (those after a saved
    state; the saved ones by fingerprint), and which sizes the log must reach; which
    events the last one's signature chain covers (``every``: verify each event's signature
    all the same)."""
    by_org: dict[str, list[Any]] = {}
    for cp in driver_rows(s, _CHECKPOINTS):
        by_org.setdefault(cp[1], []).append(cp)
    for org_id in by_org.keys() - logs.keys():
        audit.add([org_id], f"checkpoints of {names.get(org_id, org_id)!r}, which has no "
                  "log (moved or left behind)")
    for org_id, log in logs.items():
        cps = by_org.get(org_id, [])
        kept = log.kept.checkpoints if log.kept is not None else []
        if len(cps) < len(kept):
            audit.add([org_id], f"{log.name}: {len(kept)} checkpoints when the state was "
                      f"saved, {len(cps)} now (removed)")
        signed = []
        if cps and cps[-1][8] is not None:
            f = cps[-1][7]
            if isinstance(f, int) and not isinstance(f, bool) and 0 <= f <= cps[-1][2]:
                log.sig_from = log.chained = f
                log.verify_upto = log.count if every else f
        for i, cp in enumerate(cps):
            label = f"checkpoint {cp[0]} (size {cp[2]})"
            if i < len(kept):
                if fingerprint(cp) != kept[i]:
                    audit.add([org_id], f"{log.name} {label}: changed since the saved state")
            elif log.public is None:
                audit.add([org_id], f"{log.name} {label}: signature does not verify")
            else:
                signed.append((label, canonical(checkpoint_body(org_id, cp[2], cp[3], cp[7],
                                                                cp[8])), cp[4]))
            if want is not None:
                want.org(org_id).checkpoints.append(fingerprint(cp))
            size = cp[2]
            if isinstance(size, bool) or not isinstance(size, int) or \
                    not log.last < size <= log.count:
                audit.add([org_id], f"{label}: tree size out of order or beyond the log's "
                          f"{log.count} events (entries deleted?)")
                continue
            log.due.append(cp)
            log.last = size
        if log.public is not None and signed:
            checks.submit(org_id, check_signed, log.public, signed)
        log.due.reverse()  # popped from the end
        audit.checkpoints[org_id] = log.last
        if log.count and log.last != log.count:
            audit.add([org_id], f"the log has {log.count} events but the last signed "
                      f"checkpoint covers {log.last}")


def _reach(audit: Audit, log: _Log, at: Any, timed: bool = True) -> bool:
    """The log reached its next checkpoint's size: its root, frontier and time (``at``, the
    signed time of the event there; not ``timed`` for an event of the saved state, whose
    checkpoint is checked by fingerprint) must agree. Returns whether one was reached (a
    batch ends)."""
    if not log.due or log.due[-1][2] != log.n:
        return False
    cp = log.due.pop()
    label = f"checkpoint {cp[0]} (size {cp[2]})"
    if _root(log.frontier).hex() != cp[3]:
        audit.add([log.org_id], f"{label}: Merkle root differs (an entry was changed, "
                  "removed or inserted)")
    if cp[6] is not None and cp[6] != " ".join(h.hex() for h in log.frontier):
        audit.add([log.org_id], f"{label}: kept frontier differs from the log")
    if timed and not same("created_at", cp[5], at):
        audit.add([log.org_id], f"{label}: created_at differs from its batch's signed time")
    if cp[8] is not None and cp[7] == log.sig_from:
        if cp[8] != log.chain.hex():
            log.recheck.append((log.chained, cp[2]))
            with contextlib.suppress(ValueError):  # compare later ones from this one's
                log.chain = bytes.fromhex(cp[8])
        log.chained = cp[2]
    return True


_RANGE = ("SELECT org_seq, type, lot, record, signature FROM trace_events WHERE org_id = :o "
          "AND org_seq > :a AND org_seq <= :b ORDER BY org_seq")


def _recheck(s: Session, audit: Audit, logs: dict[str, _Log]) -> None:
    """The events whose stored signatures differ from a signed chain, found by verifying
    each one's signature; a range where every signature verifies (another valid encoding
    of one, say) is reported as a whole."""
    for log in logs.values():
        for after, upto in log.recheck:
            rows = [(r[0], r[1], r[2], str(r[3]).encode("utf-8"), str(r[4])) for r in
                    s.execute(text(_RANGE), {"o": log.org_id, "a": after, "b": upto})]
            found = [p for p in check_events(log.public or "", log.name, rows)
                     if p.endswith("signature does not verify")]
            known = {p.text for p in audit.problems}  # --every-signature found them too
            for p in found:
                if p not in known:
                    audit.add([log.org_id], p)
            if not found:
                audit.add([log.org_id], f"{log.name}: the stored signatures of events "
                          f"{after + 1}–{upto} differ from those its checkpoint of size "
                          f"{upto} signed")


class _Times:
    """Whether a stored time equals a signed one, remembered (a batch shares one time)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[Any, Any], bool] = {}

    def same(self, stored: Any, signed: Any) -> bool:
        try:
            key = (stored, signed)
            ok = self._seen.get(key)
            if ok is None:
                ok = self._seen[key] = same("created_at", stored, signed)
            return ok
        except (TypeError, ValueError):  # a signed time that is no JSON scalar
            return False


def _events(s: Session, audit: Audit, logs: dict[str, _Log], run: Replay,
            checks: Background, want: SavedState | None) -> None:
    """One pass over every event in append order: the log checks, the replay of the events
    after the saved state (all of them in a full audit), signatures sent to be checked."""
    times = _Times()
    held: tuple[_Log, Any, Any, bool] | None = None  # the event before, its batch end open
    for row in driver_rows(s, _EVENTS):
        _, org_id, seq, typ, lot, text, leaf_hex, sig, created = row
        log = logs[org_id]
        data = text.encode("utf-8") if isinstance(text, str) else repr(text).encode("utf-8")
        leaf = hashlib.sha256(b"\x00" + data).digest()
        log.append(leaf)
        if seq != log.n:
            audit.add([org_id], f"{log.name} event {seq} ({typ} {lot}): log sequence gap "
                      f"(expected {log.n})")
        if leaf.hex() != leaf_hex:
            audit.add([org_id], f"{log.name} event {seq} ({typ} {lot}): record changed (hash "
                      "mismatch)")
        if want is not None:
            log.prints.append(fingerprint(row[2:5] + row[7:]))
        if log.sig_from is not None and seq > log.sig_from:
            log.chain = signature_chain(log.chain, sig)
        if log.n <= log.old:  # saved: the records by the root, the rest of the row by print
            _saved(audit, log, row)
            _reach(audit, log, None, timed=False)
            continue
        try:
            record = parse(text)  # its problems are the background checks' to tell
        except (ValueError, TypeError):
            record = None
        at = record.get("at") if isinstance(record, dict) else None
        if not times.same(created, at):
            audit.add([org_id], f"{log.name} event {seq} ({typ} {lot}): created_at {created} "
                      f"differs from the signed time {at}")
        if log.public is not None:
            log.part.append((seq, typ, lot, data, sig))
            if len(log.part) >= PART:
                checks.submit(org_id, check_events, log.public, log.name, log.part,
                              log.verify_upto)
                log.part = []
        ends = _reach(audit, log, at)
        if held is not None:
            before, rec, before_at, before_ends = held
            boundary = before is not log or before_at != at
            if boundary and not before_ends:
                _unsigned_end(audit, before, log, seq)
            run.apply(before.org_id, before.name, rec, before_ends or boundary)
        held = (log, record, at, ends)
    if held is not None:
        run.apply(held[0].org_id, held[0].name, held[1], True)


def _unsigned_end(audit: Audit, before: _Log, log: _Log, seq: Any) -> None:
    """A batch ended without a signed checkpoint at its end: ingest signs one after every
    batch, and batches do not interleave (the write lock), so where the next event is
    another log's or was signed at another time, ``before``'s log must have reached one. A
    checkpoint other than a log's last can be deleted without breaking the later ones (each
    signs its own size and root, not the checkpoint before): this is how it is found."""
    size = before.n - 1 if before is log else before.n
    why = "was signed at another time" if before is log else \
        f"is {log.name}'s event {seq}"
    audit.add([before.org_id], f"{before.name}: no signed checkpoint at size {size}, where a "
              f"batch ended (the next event {why}): checkpoint deleted?")


def _saved(audit: Audit, log: _Log, row: tuple[Any, ...]) -> None:
    """An event of the saved state: its row as it was, and the log's root at the saved size
    as saved (so every record up to there is the one the saved audit checked)."""
    kept = log.kept
    assert kept is not None
    n = log.n
    if fingerprint(row[2:5] + row[7:]) != kept.prints[8 * (n - 1):8 * n]:
        audit.add([log.org_id], f"{log.name} event {row[2]} ({row[3]} {row[4]}): changed "
                  "since the saved state (indexed columns, signature or time)")
    if n == kept.tree_size and _root(log.frontier).hex() != kept.root:
        audit.add([log.org_id], f"{log.name}: the log no longer extends the saved state (the "
                  f"root of its first {n} entries differs: an entry was changed, removed or "
                  "inserted)")


def _background_problems(audit: Audit, logs: dict[str, _Log], checks: Background) -> None:
    """The rest of each log to the background checks; wait for them all."""
    for log in logs.values():
        if log.part and log.public is not None:
            checks.submit(log.org_id, check_events, log.public, log.name, log.part,
                          log.verify_upto)
            log.part = []
    for org_id, problem in checks.results():
        audit.add([org_id], problem)


def _logs(s: Session, audit: Audit, names: dict[str, str], since: SavedState | None
          ) -> dict[str, _Log]:
    keys = {k.org_id: k.public_key for k in s.scalars(select(TraceKey))}
    counts: dict[str, int] = dict(s.connection().exec_driver_sql(
        "SELECT org_id, COUNT(*) FROM trace_events GROUP BY org_id").all())
    logs = {}
    for org_id, count in counts.items():
        name = names.get(org_id, org_id)
        kept = since.orgs.get(org_id) if since is not None else None
        logs[org_id] = _Log(org_id, name, keys.get(org_id), count, kept)
        audit.events[org_id] = count
        if org_id not in keys:
            audit.add([org_id], f"{name}: {count} events but no signing key")
    for org_id, public in keys.items():
        if not _canonical_b64(public):
            audit.add([org_id], f"{names.get(org_id, org_id)}: public key edited")
    for org_id, kept in (since.orgs.items() if since is not None else ()):
        log = logs.get(org_id)
        name = names.get(org_id, org_id)
        if kept.public_key != keys.get(org_id):
            audit.add([org_id], f"{name}: signing key changed since the saved state")
        if log is None or log.count < kept.tree_size:
            audit.add([org_id], f"{name}: the log has {log.count if log else 0} events, fewer "
                      f"than the {kept.tree_size} of the saved state (entries removed)")
    return logs


def run_audit(s: Session, keys: KeyRing | None, *, since: SavedState | None = None,
              save: bool = False, processes: int | None = None,
              every_signature: bool = False) -> Audit:
    """The whole ledger checked against its signed logs; with ``since``, only the events
    after that saved state are replayed on top of it. ``save``: keep what a later
    incremental audit starts from in :attr:`Audit.state` (when nothing was found).
    ``processes``: worker processes for the signatures (default: as many as cores when
    there are at least :data:`PROCESSES_FROM` events to check, else none).
    ``every_signature``: verify the signature of every event (Ed25519, ~60 µs each) even
    where a signed checkpoint's signature chain covers it."""
    audit = Audit()
    names = {o.id: o.name for o in s.scalars(select(Organisation))}
    logs = _logs(s, audit, names, since)
    new = sum(max(0, log.count - log.old) for log in logs.values())
    if processes is None:
        processes = cores() if new >= PROCESSES_FROM else 0
    want = SavedState.empty(names) if save else None
    ledger = since.ledger if since is not None else None
    before = ledger.events if ledger is not None else 0
    run = Replay({v: k for k, v in names.items()}, ledger)
    with Background(processes) as checks:
        _checkpoints(s, audit, logs, names, checks, want, every_signature)
        _events(s, audit, logs, run, checks, want)
        for org_id, text in run.ledger.problems:
            audit.add([org_id], text)
        compare(s, audit, run.ledger, names)
        check_keys(s, audit, keys)
        _background_problems(audit, logs, checks)
        _recheck(s, audit, logs)
    audit.replayed = run.ledger.events - before
    for log in logs.values():
        if log.public is not None:
            checked = max(0, log.n - log.old)
            verified = max(0, min(log.verify_upto, log.n) - log.old)
            audit.signatures_verified += verified
            audit.signatures_chained += checked - verified
    if want is not None and not audit.problems:
        want.finish(run.ledger, {o: (log.public or "", log.n, _root(log.frontier).hex(),
                                     b"".join(log.prints)) for o, log in logs.items()})
        audit.state = want
    return audit

