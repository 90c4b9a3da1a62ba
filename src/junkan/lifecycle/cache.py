"""Loaded and compiled models kept in memory, keyed by the hash of their content.

Loading a large model (reading, validating, compiling every scenario) costs far more than
simulating it, and the same document is often loaded again — by a CLI command after
``validate``, an API worker serving one model to many requests, a form that re-runs a
scenario with the same edited parameters. The key is a SHA-256 over everything the result
depends on: this cache's format and junkan's version, the limits in force, the library
templates a document may ``use``, the name the messages use (``source``), how the text is
parsed, the document's bytes and, for compiled scenarios, the scenario and its overrides (in
their order). Only successful loads are kept, so a document
with problems is checked — and its problems reported — every time.

Entries are shared: treat a cached :class:`~junkan.lifecycle.api.ModelFile`'s ``raw``,
``baseline`` and compiled arrays as read-only (the engine and the reports only read them).
The cache is bounded by entry count and by the document bytes it holds
(:data:`MAX_ENTRIES`, :data:`MAX_BYTES`); :func:`clear` empties it. Nothing is written to
disk: a pickled model loads barely faster than it validates (1.5 s against 3.3 s of CPU on
the 1,000-product benchmark) and unpickling a file is not safe when others can write it.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any

import junkan
from junkan.core.limits import limits
from junkan.data import library_fingerprint

FORMAT = 1
MAX_ENTRIES = 8
"""Entries kept (least recently used dropped first)."""
MAX_BYTES = 16 * 2**20
"""Document bytes held in all; a document larger than this is never kept. (The compiled
form takes roughly 10–20 times the document's size in memory: 16 MiB of documents hold the
1,000-product benchmark model, ~180 MiB compiled, and many small ones.)"""

_lock = threading.Lock()
_entries: OrderedDict[str, tuple[int, Any]] = OrderedDict()
_stats = {"hits": 0, "misses": 0}


def digest(data: bytes, *, source: str, mode: str) -> str:
    """Content key of a document (``mode`` says how it is parsed: ``yaml``, ``json``, …)."""
    h = hashlib.sha256()
    for part in (
        f"junkan lifecycle cache {FORMAT} {junkan.__version__}",
        limits().model_dump_json(),
        library_fingerprint(),  # the templates a document `uses` are part of it
        source,
        mode,
    ):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    h.update(data)
    return h.hexdigest()


def derived(key: str, *parts: Any) -> str | None:
    """Key of something computed from the document ``key`` and ``parts`` (JSON values), or
    ``None`` if a part is not plain JSON (then nothing is cached). A mapping part keeps the
    order of its entries (overrides are applied in order: ``products.x.eol`` then
    ``products.x.eol.collection.rate`` is not the other way round), and so do mappings inside
    it (the order of ``actors`` decides who buys what no one is named to buy: review 229). The
    limits in force now are part of it too: an override that
    a tighter limit refuses must be refused, not found computed under the limits the document
    was loaded with (review 220)."""
    try:
        extra = json.dumps(parts, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    now = limits().model_dump_json()
    return hashlib.sha256(f"{key}\0{now}\0{extra}".encode()).hexdigest()


def get(key: str | None) -> Any:
    """The entry under ``key``, or ``None``."""
    if key is None:
        return None
    with _lock:
        hit = _entries.get(key)
        if hit is None:
            _stats["misses"] += 1
            return None
        _entries.move_to_end(key)
        _stats["hits"] += 1
        return hit[1]


def put(key: str | None, value: Any, size: int) -> None:
    """Keep ``value`` (computed from a document of ``size`` bytes) under ``key``."""
    if key is None or size > MAX_BYTES:
        return
    with _lock:
        _entries[key] = (size, value)
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES or sum(s for s, _ in _entries.values()) > MAX_BYTES:
            _entries.popitem(last=False)


def size_of(key: str | None) -> int | None:
    """Document bytes of the entry under ``key``, if kept; it counts as used (what is
    computed from a document is kept while the document is: runs with overrides keep it,
    review 229 — it was dropped after 8 of them, and the 9th compiled the model whole)."""
    with _lock:
        hit = _entries.get(key) if key is not None else None
        if hit is not None:
            _entries.move_to_end(key)  # type: ignore[arg-type]
        return None if hit is None else hit[0]


def clear() -> None:
    """Forget every entry."""
    with _lock:
        _entries.clear()
        _stats.update(hits=0, misses=0)


@atexit.register
def _release() -> None:
    """Drop the entries when the interpreter exits, before it tears its modules down: freed
    here by reference counting, a large model costs ~0.1 s; left to the shutdown, whose
    collector passes walk every object still alive, it cost ~1.5 s of CPU after
    ``junkan simulate`` on the 1,000-product benchmark model."""
    clear()


def stats() -> dict[str, int]:
    """Hits, misses and entries since the last :func:`clear`."""
    with _lock:
        return {**_stats, "entries": len(_entries)}
