"""The collector pause around loading: the collector comes back as it was, what was built
is moved out of the youngest generation, and garbage cycles made meanwhile are still
collected."""

from __future__ import annotations

import gc
import weakref

from junkan.lifecycle.gc_pause import paused_gc


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_the_pause_restores_the_collector_and_promotes_what_was_built() -> None:
    assert gc.isenabled()
    with paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
        kept = [[i] for i in range(5000)]
        a, b = _Node(), _Node()
        a.other, b.other = b, a  # a garbage cycle once the names go
        ref = weakref.ref(a)
        del a, b
    assert gc.isenabled()
    assert gc.get_count()[0] < 1000  # the 5,000 lists are not in the young generation
    assert gc.get_freeze_count() == 0
    assert ref() is not None  # a cycle: only the collector frees it
    gc.collect()
    assert ref() is None
    assert len(kept) == 5000


def test_objects_frozen_by_the_process_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with paused_gc():
            pass
        # none of them unfrozen (another thread of the process, e.g. a worker pool forking
        # under pytest-xdist, may freeze more meanwhile)
        assert gc.get_freeze_count() >= frozen > 0
    finally:
        gc.unfreeze()
