"""The state an audit saves for the next one to start from (``junkan trace verify
--save-state FILE``, then ``--since FILE``): the replayed ledger, and per organisation the
signed tree it covered (size, root, public key) with a fingerprint of each event and
checkpoint row of it.

The file is gzip-compressed JSON lines — no pickle: loading it runs no code — with a first
line naming the format and version and counting what follows, and a last line marking its
end; a wrong, damaged or truncated file is refused with one sentence (:class:`StateError`).

The state is trusted: an incremental audit takes the saved replay as right and checks only
that the stored logs still extend it. Whoever could change both the database and the state
file could hide an edit, so the auditor keeps the file where the database's users and
administrators cannot write (another machine or account, write-once storage)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from junkan.core.errors import JunkanError
from junkan.trace.balance import Entry
from junkan.trace.replay import Ledger, ReplayLot
from junkan.trace.rules import LOT_FIELDS

FORMAT = "junkan-trace-audit-state"
VERSION = 2
CHUNK = 10_000
_TIMES = (LOT_FIELDS.index("created_at"), LOT_FIELDS.index("updated_at"))


class StateError(JunkanError):
    """A state file that cannot be used: not one, another version, damaged or cut short."""


def fingerprint(row: tuple[Any, ...]) -> bytes:
    """8 bytes that change with any value of a stored row (as the driver reads it)."""
    return hashlib.blake2b(repr(tuple(row)).encode("utf-8"), digest_size=8).digest()


@dataclass
class OrgState:
    """One organisation's log as the saved audit left it."""

    public_key: str = ""
    tree_size: int = 0
    root: str = ""
    prints: bytes = b""
    """Fingerprints of its event rows (8 bytes each, in log order)."""
    checkpoints: list[bytes] = field(default_factory=list)
    """Fingerprints of its checkpoint rows, in order."""


@dataclass
class SavedState:
    names: dict[str, str]
    """Organisation id → name."""
    orgs: dict[str, OrgState] = field(default_factory=dict)
    ledger: Ledger = field(default_factory=lambda: Ledger(names={}))

    @classmethod
    def empty(cls, names: dict[str, str]) -> SavedState:
        return cls(dict(names))

    def org(self, org_id: str) -> OrgState:
        return self.orgs.setdefault(org_id, OrgState())

    def finish(self, ledger: Ledger, logs: dict[str, tuple[str, int, str, bytes]]) -> None:
        """Add the replayed ledger and each log's (public key, size, root, event prints)."""
        self.ledger = ledger
        for org_id, (public, size, root, prints) in logs.items():
            org = self.org(org_id)
            org.public_key, org.tree_size, org.root, org.prints = public, size, root, prints

    def save(self, path: Path) -> None:
        """Write the state to ``path`` (through a temporary file beside it)."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=1) as f:
                for line in self._lines():
                    f.write(json.dumps(line, separators=(",", ":")))
                    f.write("\n")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def _lines(self) -> Iterator[Any]:
        lg = self.ledger
        yield {"format": FORMAT, "version": VERSION, "names": self.names,
               "events": lg.events, "counts": {
                   "lots": len(lg.lots), "links": len(lg.links),
                   "entries": len(lg.book.added), "closed": len(lg.book.closed_now)},
               "orgs": {o: {"public_key": s.public_key, "tree_size": s.tree_size,
                            "root": s.root, "checkpoints": [c.hex() for c in s.checkpoints]}
                        for o, s in self.orgs.items()}}
        for o, s in self.orgs.items():
            for i in range(0, len(s.prints), 8 * CHUNK * 10):
                yield {"prints": [o, s.prints[i:i + 8 * CHUNK * 10].hex()]}
        a, b = _TIMES
        for i in range(0, len(lg.lots), CHUNK):
            rows = []
            for lot in lg.lots[i:i + CHUNK]:
                row = [getattr(lot, f) for f in LOT_FIELDS]
                row[a], row[b] = row[a].isoformat(), row[b].isoformat()
                rows.append(row)
            yield {"lots": rows}
        for i in range(0, len(lg.links), CHUNK):
            yield {"links": [[d.index, s.index, m] for d, s, m in lg.links[i:i + CHUNK]]}
        for i in range(0, len(lg.book.added), CHUNK):
            yield {"entries": [[e.org, e.site, e.characteristic, e.period, e.kind, e.mass_kg,
                                e.at.isoformat(), None if e.lot is None else e.lot.index,
                                e.basis_kg, e.share, e.uncovered]
                               for e in lg.book.added[i:i + CHUNK]]}
        yield {"closed": [[o, site, p, at.isoformat()]
                          for o, site, p, at in lg.book.closed_now]}
        yield {"end": FORMAT}

    @classmethod
    def load(cls, path: Path) -> SavedState:
        """Read a state :meth:`save` wrote; :class:`StateError` if it is not one or damaged."""
        try:
            with gzip.open(path, "rt", encoding="utf-8") as f:
                return _read(f, path)
        except StateError:
            raise
        except FileNotFoundError:
            raise StateError(f"{path}: no such state file") from None
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
            raise StateError(f"{path}: not a readable audit state file (gzip-compressed "
                             f"JSON lines): {exc}") from None
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            raise StateError(f"{path}: damaged audit state file ({type(exc).__name__}: "
                             f"{exc})") from None


def _read(f: Any, path: Path) -> SavedState:
    head = json.loads(f.readline())
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise StateError(f"{path}: not an audit state file of junkan trace verify "
                         "--save-state")
    if head.get("version") != VERSION:
        raise StateError(f"{path}: audit state version {head.get('version')!r}; this "
                         f"junkan reads version {VERSION}: save a new state with a full "
                         "audit (--save-state)")
    state = SavedState(dict(head["names"]))
    for org_id, o in head["orgs"].items():
        state.orgs[org_id] = OrgState(str(o["public_key"]), int(o["tree_size"]),
                                      str(o["root"]), b"",
                                      [bytes.fromhex(c) for c in o["checkpoints"]])
    ledger = state.ledger = Ledger(names={})
    ledger.events = int(head["events"])
    prints: dict[str, list[bytes]] = {}
    times: dict[str, datetime] = {}
    end = False
    for text in f:
        if end:
            raise StateError(f"{path}: damaged audit state file (lines after its end)")
        line = json.loads(text)
        if "prints" in line:
            org_id, hexed = line["prints"]
            prints.setdefault(org_id, []).append(bytes.fromhex(hexed))
        elif "lots" in line:
            _lots(ledger, line["lots"], times)
        elif "links" in line:
            _links(ledger, line["links"])
        elif "entries" in line:
            _entries(ledger, line["entries"], times)
        elif "closed" in line:
            for o, site, p, at in line["closed"]:
                ledger.book.close(o, site, p, datetime.fromisoformat(at))
        elif line.get("end") == FORMAT:
            end = True
        else:
            raise StateError(f"{path}: damaged audit state file (unknown line)")
    counts = {"lots": len(ledger.lots), "links": len(ledger.links),
              "entries": len(ledger.book.added), "closed": len(ledger.book.closed_now)}
    if not end or counts != head["counts"]:
        raise StateError(f"{path}: audit state file cut short or damaged (it counts "
                         f"{head['counts']}, holds {counts})")
    for org_id, parts in prints.items():
        state.orgs[org_id].prints = b"".join(parts)
    for org_id, o in state.orgs.items():
        if len(o.prints) != 8 * o.tree_size:
            raise StateError(f"{path}: damaged audit state file (event fingerprints of "
                             f"{org_id})")
    return state


def _time(text: str, times: dict[str, datetime]) -> datetime:
    at = times.get(text)
    if at is None:
        at = times[text] = datetime.fromisoformat(text)
    return at


def _lots(ledger: Ledger, rows: list[list[Any]], times: dict[str, datetime]) -> None:
    a, b = _TIMES
    for row in rows:
        if len(row) != len(LOT_FIELDS):
            raise ValueError("a lot of the wrong length")
        row[a], row[b] = _time(row[a], times), _time(row[b], times)
        lot = ReplayLot.restore(len(ledger.lots), row)
        ledger.lots.append(lot)
        ledger.by_key[lot.key] = lot


def _links(ledger: Ledger, rows: list[list[Any]]) -> None:
    lots = ledger.lots
    for d, s, m in rows:
        dst, src = lots[d], lots[s]
        dst.inputs.append((src, m))
        src.children.append(dst)
        ledger.links.append((dst, src, m))


def _entries(ledger: Ledger, rows: list[list[Any]], times: dict[str, datetime]) -> None:
    lots, add = ledger.lots, ledger.book.add
    for org, site, char, period, kind, mass, at, lot, basis, share, uncovered in rows:
        add(Entry(org, site, char, period, kind, mass, _time(at, times),
                  None if lot is None else lots[lot], basis, share, bool(uncovered)))
