"""The store compared with a replayed ledger (:mod:`junkan.trace.replay`), field by field:
lots and their derived values, genealogy links, mass-balance entries, closed periods, the
published PACT footprints against their digests, and the signing keys against the master key.

Rows are read through the database driver, without per-row objects, and compared in bulk:
each stored row as a tuple against the replayed one, JSON columns as the text the store
writes (parsed only when the text differs: then strictly — a repeated key is an edit — and
in canonical form, so ``false`` is not ``0``), times through a cache (a batch shares
one); only a row that differs is compared field by field (:func:`same`; floats exactly, but
those in :data:`ROUNDED` to 1e-9 relative) to name what differs."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from junkan.store.trace_logcheck import compact_json
from junkan.store.trace_pact import content_digest
from junkan.store.trace_tables import TraceKey
from junkan.trace.canonical import canonical
from junkan.trace.keystore import KeyRing
from junkan.trace.replay import Ledger, ReplayLot
from junkan.trace.rules import LOT_FIELDS
from junkan.trace.signing import b64, public_of, unb64

LOT_COLUMNS = ("lot", "creator_org", "owner_org", "shipped_to", "received", "material",
               "mass_kg", "consumed_kg", "site", "custody", "declared", "own", "own_cfp",
               "mb_period", "created_at")
VALUE_COLUMNS = ("cfp_total", "cfp_fossil", "cfp_biogenic", "rec_pre", "rec_post",
                 "updated_at")
ENTRY_COLUMNS = ("org_id", "site", "characteristic", "period", "kind", "mass_kg", "lot",
                 "lot_seq", "basis_kg", "share", "uncovered", "claim_id", "created_at")
FLOATS = frozenset({"mass_kg", "consumed_kg", "own_cfp", "cfp_total", "cfp_fossil",
                    "cfp_biogenic", "rec_pre", "rec_post", "basis_kg", "share"})
ROUNDED = frozenset({"cfp_total", "cfp_fossil", "cfp_biogenic", "rec_pre", "rec_post"})
"""The float columns of a lot compared to 1e-9 relative: its derived values, which the store
computes by a triangular solve over the lot graph and the replay lot by lot
(:func:`junkan.trace.propagate.combine`), summing in different orders. The other floats of
a lot or a genealogy link (``mass_kg``, ``consumed_kg``, ``own_cfp``) are copied from the
events or added up in event order by the same rules (:mod:`junkan.trace.rules`) on both
sides: compared exactly."""
ENTRY_ROUNDED = {"claim": frozenset(), "credit": frozenset({"mass_kg", "share"}),
                 "outflow": frozenset({"mass_kg", "share"})}
"""The float columns of a mass-balance entry compared to 1e-9 relative, by kind. A claim
books the event's shares of the event's input mass (exact); a credit or an outflow books a
lot mass (exact) at the lot's derived share (rounded: see :data:`ROUNDED`); any other kind
(adjustments, carries) is computed from derived shares and sums of entries (all rounded:
:data:`ENTRY_ROUNDED_OTHER`)."""
ENTRY_ROUNDED_OTHER = frozenset({"mass_kg", "basis_kg", "share"})
JSON_COLUMNS = frozenset({"declared", "own"})
assert (*LOT_COLUMNS, *VALUE_COLUMNS) == LOT_FIELDS
_LOTS = ("SELECT l.seq, " + ", ".join([f"CAST(l.{c} AS TEXT)" if c in JSON_COLUMNS
                                        else f"l.{c}" for c in LOT_COLUMNS]
                                       + [f"v.{c}" for c in VALUE_COLUMNS])
         + " FROM trace_lots AS l LEFT JOIN trace_values AS v ON v.seq = l.seq ORDER BY l.seq")
"""The JSON columns as their stored text (PostgreSQL's driver would parse them, and a
repeated key with them)."""
_ENTRIES = f"SELECT id, {', '.join(ENTRY_COLUMNS)} FROM trace_balance_entries ORDER BY id"
_PACT = ("SELECT id, seq, version, digest, content FROM trace_pact_versions "
         "ORDER BY seq, version")
_json_text = compact_json(sort_keys=False, ensure_ascii=True, allow_nan=True)
"""JSON as the store writes it on SQLite (:mod:`junkan.store.trace_rows`)."""
_json_text_pg = json.JSONEncoder(allow_nan=True).encode
"""JSON as SQLAlchemy writes it on PostgreSQL (``json.dumps``: ", " and ": ")."""
_lot_fields = attrgetter(*LOT_FIELDS)
_entry_fields = attrgetter("org", "site", "characteristic", "period", "kind", "mass_kg")


_cursors = itertools.count()


def driver_rows(s: Session, sql: str, size: int = 10_000) -> Iterator[tuple[Any, ...]]:
    """The rows of ``sql`` as the database driver gives them, fetched ``size`` at a time in
    the session's transaction (a server-side cursor on PostgreSQL)."""
    conn = s.connection()
    raw: Any = conn.connection.dbapi_connection
    postgres = conn.dialect.name == "postgresql"
    cur = raw.cursor(name=f"junkan_audit_{next(_cursors)}") if postgres else raw.cursor()
    try:
        cur.execute(sql)
        while rows := cur.fetchmany(size):
            yield from rows
    finally:
        cur.close()


def _time(v: Any) -> Any:
    """A stored or signed time as an aware datetime (naive ones are UTC); a value that is no
    time stays as it is (and compares unequal to any)."""
    if isinstance(v, str):
        try:
            v = datetime.fromisoformat(v)
        except ValueError:
            return v
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=UTC)
    return v


class Times(dict[Any, Any]):
    """Stored or signed times, read once each (a batch's rows share one)."""

    def __missing__(self, key: Any) -> Any:
        value = self[key] = _time(key)
        return value


class RepeatedKey(ValueError):
    """Stored JSON names a key twice in one object (a parser keeps one of them)."""


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise RepeatedKey(f"repeats the key {key!r}")
            seen.add(key)
    return out


def strict_json(text: str) -> Any:
    """Stored JSON text parsed; ValueError if it is not JSON, :class:`RepeatedKey` if an
    object repeats a key."""
    return json.loads(text, object_pairs_hook=_no_repeats)


def same_json(stored: Any, replayed: Any) -> bool:
    """A JSON column's stored value (its text, parsed strictly) has the replayed one's RFC
    8785 canonical form: ``false`` is not ``0``, nor ``true`` ``1`` (Python's ``==`` says they
    are); numbers compare by value, ``0`` and ``0.0`` alike, as the signed records — in that
    form — cannot tell them apart either."""
    try:
        if isinstance(stored, str):
            stored = strict_json(stored)
        return canonical(stored) == canonical(replayed)
    except Exception:  # noqa: BLE001 - not JSON, a repeated key, NaN: not the replayed value
        return False


def _same_float(stored: Any, replayed: Any, rounded: bool) -> bool:
    if stored is None or replayed is None:
        return stored is replayed
    if isinstance(stored, bool) or not isinstance(stored, int | float):
        return False
    a, b = float(stored), float(replayed)
    if not math.isfinite(a):
        return False
    if rounded:
        return abs(a - b) <= 1e-9 * max(1.0, abs(b))
    return a == b


def same(column: str, stored: Any, replayed: Any, rounded: bool | None = None) -> bool:
    """Stored and replayed values agree. Floats exactly, unless ``rounded`` (default: the
    column is in :data:`ROUNDED`): then to 1e-9 relative, for values the store and the
    replay sum in different orders."""
    if column in FLOATS:
        return _same_float(stored, replayed, rounded if rounded is not None else
                           column in ROUNDED)
    if column.endswith("_at"):
        return bool(_time(stored) == _time(replayed))
    if column in JSON_COLUMNS:
        return same_json(stored, replayed) or (column == "own" and _same_uptake(stored,
                                                                              replayed))
    if column in ("received", "uncovered"):
        return stored in (0, 1, True, False) and bool(stored) == bool(replayed)
    return bool(stored == replayed)


ROUNDED_FACTS = ("biogenic_uptake_kg", "biogenic_uptake_assumed_kg")
"""The derived facts (``own.pcf``) compared to 1e-9 relative: rule 2 derives them from the
inputs' CFPs (:func:`junkan.trace.pcf.inputs_uptake`), which the store and the replay
recompute in different orders (:data:`ROUNDED`); the rest of ``own`` exactly."""


def _same_uptake(stored: Any, replayed: Any) -> bool:
    """``own`` as replayed but for float noise in :data:`ROUNDED_FACTS`."""
    try:
        if isinstance(stored, str):
            stored = strict_json(stored)
        a, b = stored.get("pcf"), replayed.get("pcf")
        if not (isinstance(a, dict) and isinstance(b, dict)):
            return False
        for key in ROUNDED_FACTS:
            x, y = a.get(key), b.get(key)
            if (key in a) != (key in b) or not _same_float(x, y, rounded=True):
                return False
        rest = {**stored, "pcf": {k: v for k, v in a.items() if k not in ROUNDED_FACTS}}
        mine = {**replayed, "pcf": {k: v for k, v in b.items() if k not in ROUNDED_FACTS}}
        return canonical(rest) == canonical(mine)
    except Exception:  # noqa: BLE001 - not JSON, a repeated key, NaN: not the replayed value
        return False


def _json_problem(text: Any) -> str | None:
    """Why a JSON column's stored text cannot be read as the store wrote it, if it cannot."""
    if not isinstance(text, str):
        return None
    try:
        strict_json(text)
    except RepeatedKey as exc:
        return f"stored JSON {exc}"
    except ValueError:
        return "stored text is not JSON"
    return None


def _lot_problems(audit: Any, row: tuple[Any, ...], lot: ReplayLot, label: str,
                  orgs: tuple[str, ...]) -> None:
    """Field by field: what differs in a lot whose row did not match as a whole."""
    if row[16] is None:
        audit.add(orgs, f"{label}: its derived values are missing")
    for i, col in enumerate(LOT_FIELDS, start=1):
        if row[i] is None and col in VALUE_COLUMNS:
            continue
        mine = getattr(lot, col)
        why = _json_problem(row[i]) if col in JSON_COLUMNS else None
        if why is not None:
            audit.add((*orgs, lot.owner_org), f"{label}: {col} {why}: {row[i]!r}")
        elif not same(col, row[i], mine):
            audit.add((*orgs, lot.owner_org), f"{label}: {col} stored {row[i]!r}, replayed "
                      f"from the signed log {mine!r}")


def compare_lots(s: Session, audit: Any, ledger: Ledger, names: dict[str, str]
                 ) -> tuple[dict[int, ReplayLot], list[int]]:
    """Every stored lot against the replayed one. Returns the replayed lots by stored seq,
    and each replayed lot's stored seq (-1: not stored) by its place in creation order."""
    by_seq: dict[int, ReplayLot] = {}
    seq_of = [-1] * len(ledger.lots)
    by_key = ledger.by_key
    times = Times()
    last = -1
    json_text = _json_text if s.connection().dialect.name == "sqlite" else _json_text_pg
    for row in driver_rows(s, _LOTS):
        lot = by_key.get((row[2], row[1]))
        if lot is not None and seq_of[lot.index] == -1:
            seq_of[lot.index] = row[0]
            by_seq[row[0]] = lot
            mine = _lot_fields(lot)
            if (row[1:11] == mine[:10] and row[13:15] == mine[12:14]
                    and row[16:21] == mine[15:20] and times[row[15]] == mine[14]
                    and times[row[21]] == mine[20] and lot.index > last
                    and row[11] == json_text(mine[10]) and row[12] == json_text(mine[11])):
                last = lot.index
                continue
        label = f"lot {names.get(row[2], row[2])}/{row[1]}"
        orgs = (row[2], row[3])
        if lot is None or by_seq.get(row[0]) is not lot:
            audit.add(orgs, f"{label} (seq {row[0]}): no event in the log created it")
            continue
        if lot.index < last:
            audit.add(orgs, f"{label}: stored out of creation order (seq {row[0]})")
        last = lot.index
        _lot_problems(audit, row, lot, label, orgs)
    for lot in ledger.lots:
        if seq_of[lot.index] == -1:
            audit.add((lot.creator_org, lot.owner_org),
                      f"lot {names.get(lot.creator_org)}/{lot.lot}: in the signed log but "
                      "not in the store (deleted?)")
    for (seq,) in driver_rows(s, "SELECT v.seq FROM trace_values AS v LEFT JOIN trace_lots "
                              "AS l ON l.seq = v.seq WHERE l.seq IS NULL ORDER BY v.seq"):
        audit.add((), f"derived values (seq {seq}) of no lot")
    return by_seq, seq_of


def _name(lot: ReplayLot | None, names: dict[str, str]) -> str:
    return "?" if lot is None else f"{names.get(lot.creator_org)}/{lot.lot}"


def compare_links(s: Session, audit: Any, ledger: Ledger, by_seq: dict[int, ReplayLot],
                  seq_of: list[int], names: dict[str, str]) -> None:
    """The genealogy links, in the order they were made."""
    rows = list(driver_rows(s, "SELECT id, dst_seq, src_seq, mass_kg FROM trace_inputs "
                               "ORDER BY id"))
    want = ledger.links
    got = [r[1:] for r in rows[:len(want)]]
    if got == [(seq_of[d.index], seq_of[r.index], m) for d, r, m in want]:
        rows = rows[len(want):]  # all agree: only the extra rows are left to report
        want_from = len(want)
    else:
        want_from = 0
    for i, (row_id, dst, src, mass) in enumerate(rows, start=want_from):
        d, r = by_seq.get(dst), by_seq.get(src)
        if i >= len(want):
            audit.add([x.creator_org for x in (d, r) if x is not None],
                      f"genealogy link {row_id}: not made by any event (added?)")
            continue
        wd, ws, wm = want[i]
        if d is not wd or r is not ws or not same("mass_kg", mass, wm):
            audit.add((wd.creator_org, ws.creator_org, wd.owner_org),
                      f"genealogy link {row_id}: stored {_name(r, names)} → {_name(d, names)} "
                      f"{mass!r} kg, replayed {_name(ws, names)} → {_name(wd, names)} "
                      f"{wm!r} kg")
    for wd, ws, wm in want[len(rows) + want_from:]:
        audit.add((wd.creator_org, ws.creator_org), f"genealogy link {_name(ws, names)} → "
                  f"{_name(wd, names)} {wm:g} kg: in the signed log but not in the store")


def compare_book(s: Session, audit: Any, ledger: Ledger, by_seq: dict[int, ReplayLot],
                 seq_of: list[int]) -> None:
    """The mass-balance entries in the order they were booked, and the closed periods."""
    want = ledger.book.added
    times = Times()
    n = 0
    for n, row in enumerate(driver_rows(s, _ENTRIES), start=1):
        if n > len(want):
            audit.add([row[1]], f"mass-balance entry {row[0]}: not booked by any event "
                      "(added?)")
            continue
        e = want[n - 1]
        lot = e.lot
        mine = (*_entry_fields(e), "" if lot is None else lot.lot,
                None if lot is None else seq_of[lot.index], e.basis_kg, e.share, e.uncovered,
                None)
        if row[1:13] == mine and times[row[13]] == e.at and (
                lot is None or seq_of[lot.index] != -1):
            continue
        _entry_problems(audit, row, e, by_seq)
    for e in want[n:]:
        audit.add([e.org], f"mass-balance {e.kind} of {e.mass_kg:g} kg {e.characteristic} "
                  f"({e.site}, {e.period}): in the signed log but not in the store")
    stored = {(o, site, p, _time(at)) for o, site, p, at in driver_rows(
        s, "SELECT org_id, site, period, closed_at FROM trace_periods")}
    replayed = {(o, site, p, _time(at)) for o, site, p, at in ledger.book.closed_now}
    for org, site, period, at in sorted(stored ^ replayed, key=str):
        where = "stored but not closed by any event" if (org, site, period, at) in stored \
            else "closed in the signed log but not in the store"
        audit.add([org], f"period {period} of site {site!r} (closed {at}): {where}")


def _entry_problems(audit: Any, row: tuple[Any, ...], e: Any,
                    by_seq: dict[int, ReplayLot]) -> None:
    got = dict(zip(("id", *ENTRY_COLUMNS), row, strict=True))
    label = f"mass-balance entry {got['id']}"
    mine = {"org_id": e.org, "site": e.site, "characteristic": e.characteristic,
            "period": e.period, "kind": e.kind, "mass_kg": e.mass_kg,
            "lot": e.lot.lot if e.lot is not None else "", "basis_kg": e.basis_kg,
            "share": e.share, "uncovered": e.uncovered, "claim_id": None,
            "created_at": e.at}
    rounded = ENTRY_ROUNDED.get(e.kind, ENTRY_ROUNDED_OTHER)
    for col, value in mine.items():
        if not same(col, got[col], value, col in rounded):
            audit.add([got["org_id"], e.org], f"{label}: {col} stored {got[col]!r}, "
                      f"replayed from the signed log {value!r}")
    if by_seq.get(got["lot_seq"]) is not e.lot and not (got["lot_seq"] is None
                                                        and e.lot is None):
        audit.add([got["org_id"], e.org], f"{label}: lot_seq {got['lot_seq']!r} is not "
                  "the lot the signed log booked it from")


def compare_pact(s: Session, audit: Any, by_seq: dict[int, ReplayLot],
                 names: dict[str, str]) -> None:
    """Each published PACT footprint version: its content still hashes to the digest stored
    when it was published (:func:`junkan.store.trace_pact.content_digest`, as the host
    computes it), and it is a footprint of a lot the signed log made. The content is not in
    the signed log: an edit of the content that also rewrites the digest is not found, so
    ``audit.footprints`` counts the versions checked this way (``junkan trace verify`` says
    so)."""
    for fid, seq, version, digest, content in driver_rows(s, _PACT):
        audit.footprints += 1
        lot = by_seq.get(seq)
        orgs = () if lot is None else (lot.creator_org, lot.owner_org)
        label = f"PACT footprint {fid} (lot {_name(lot, names)}, version {version})"
        if lot is None:
            audit.add(orgs, f"{label}: published for lot seq {seq}, which no event created")
        if not isinstance(content, str) or content_digest(content) != digest:
            audit.add(orgs, f"{label}: content does not match the digest stored when it was "
                      "published (edited after publication)")


def compare(s: Session, audit: Any, ledger: Ledger, names: dict[str, str]) -> None:
    """Every stored field of the ledger against ``ledger``."""
    by_seq, seq_of = compare_lots(s, audit, ledger, names)
    compare_links(s, audit, ledger, by_seq, seq_of, names)
    compare_book(s, audit, ledger, by_seq, seq_of)
    compare_pact(s, audit, by_seq, names)


def check_keys(s: Session, audit: Any, keys: KeyRing | None) -> None:
    """Each stored private key decrypts (under the master key) to the public key's pair."""
    if keys is None:
        return
    for k in s.scalars(select(TraceKey)):
        try:
            ok = public_of(keys.decrypt(k.org_id, k.private_key)) == k.public_key and \
                _canonical_b64(k.private_key.rpartition(":")[2])
        except Exception:  # noqa: BLE001 - any failure to decrypt is the finding
            ok = False
        if not ok:
            audit.add([k.org_id], "signing key: the stored private key does not decrypt to "
                      "the public key's pair")


def _canonical_b64(text: str) -> bool:
    try:
        return b64(unb64(text)) == text
    except (ValueError, TypeError):
        return False
