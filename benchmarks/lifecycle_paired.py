"""junkan end to end and flodym's stock computation timed in turns (pairs), for
:mod:`lifecycle_bench`.

Timing each tool's repeats in a block (all of junkan's, then all of flodym's) lets the host's
speed drift between the blocks: on this shared machine the same code measured 0.41 s at one
hour and 0.52 s at another (2026-12-05). Here each pair is a cold junkan run (empty model
cache; load, validate, compile, simulate) followed at once by one flodym run on the same
inflows, so both see the same minute. Reported: each pair's ratio and their median, and
each tool's fastest run with the ratio of the two (each tool at its best on this host).
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

from junkan.lifecycle import cache, load_model, simulate


def paired(text: str, flodym_run: Callable[[], Any], pairs: int) -> dict[str, Any]:
    """``pairs`` turns of junkan end to end on the document ``text`` and ``flodym_run()``;
    wall seconds of each run, the ratio flodym / junkan of each pair, their median, and the
    ratio of flodym's fastest run to junkan's fastest."""
    junkan_s: list[float] = []
    flodym_s: list[float] = []
    for _ in range(pairs):
        cache.clear()
        gc.collect()  # the previous pair's garbage is not timed in this one
        t0 = time.perf_counter()
        out = simulate(load_model(text=text, source="benchmark.json"))
        junkan_s.append(time.perf_counter() - t0)
        del out  # freeing is not timed, for either tool (a fresh process does not pay it)
        gc.collect()
        t0 = time.perf_counter()
        out = flodym_run()
        flodym_s.append(time.perf_counter() - t0)
        del out
    ratios = [f / j for j, f in zip(junkan_s, flodym_s, strict=True)]
    return {"pairs": pairs, "junkan_end_to_end_s": junkan_s, "flodym_compute_s": flodym_s,
            "ratio_each": ratios, "ratio_median": statistics.median(ratios),
            "junkan_fastest_s": min(junkan_s), "flodym_fastest_s": min(flodym_s),
            "ratio_fastest": min(flodym_s) / min(junkan_s)}
