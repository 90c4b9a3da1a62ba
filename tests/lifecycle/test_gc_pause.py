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
    """Objects a process froze (e.g. before forking workers) stay in the permanent
    generation, where the collector never walks them: ``gc.get_objects`` does not list them.
    (Their count is no test: frozen objects freed by reference counting leave it.)"""
    marker = [_Node()]
    gc.freeze()
    try:
        with paused_gc():
            pass
        assert id(marker) not in {id(o) for o in gc.get_objects()}
    finally:
        gc.unfreeze()
    assert id(marker) in {id(o) for o in gc.get_objects()}  # the check can fail
