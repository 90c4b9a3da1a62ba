"""Pause Python's cyclic garbage collector while a model is read, validated and compiled.

Loading builds hundreds of thousands of small objects (the parsed document, the validated
schema objects, index maps) and frees few of them; each allocation burst triggers a
collection that walks every object alive — on the 1,000-product benchmark model these
walks were ~45 % of the loading time (2.4 s → 1.4 s of CPU without them). Reference
counting still frees everything that is not in a cycle; cycles made meanwhile are collected
when the collector runs again after the pause. At the end of the pause the objects are moved
to the oldest generation (:func:`_promote`), so the next young collection does not walk them.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Collector off inside the block (nested and concurrent blocks share one pause; the
    collector is switched back on only if it was on before the first one)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _promote()
                if _was_enabled:
                    gc.enable()


def _promote() -> None:
    """Move every object the collector tracks to its oldest generation (``gc.freeze`` then
    ``gc.unfreeze``: two list splices). What a load builds is long-lived (the model, its
    compiled arrays), and left in the youngest generation the first collection after the
    pause would walk all of it (~0.1 s on the 1,000-product benchmark) only to promote it;
    cycles among the objects are still collected, by the next full collection. Skipped when
    the process froze objects itself (e.g. before forking workers): those stay frozen."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
