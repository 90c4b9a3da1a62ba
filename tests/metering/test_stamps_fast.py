"""The time-stamp rule judged in vectorised blocks (:func:`junkan.metering.stamps.judge`)
decides exactly as it did as a loop once per suspect (``_stamps_before.judge``, the code before
the change): the same reason for every reading, the same readings held, the same clock after,
over random series with frequent corrupt stamps, runs of them, jumps near the limit, changing
sampling rates, gaps, clocks going back, duplicates, whole or cut into messages, and blocks of
any size. Before, 1,000,000 one-second readings with every 20th stamp 1e6 s ahead took 1.6 s to
judge (0.04 s clean), one median over up to 1000 steps per suspect."""

from __future__ import annotations

import numpy as np
import pytest

from junkan.metering import stamps
from tests.metering import _stamps_before as before


def _series(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` reading times: stretches at sampling intervals of 1 ms to 1 h, with or without
    jitter, some rounded (duplicates), with corrupt stamps (single or in runs, some near the
    limit of 1000 intervals, some within a millionth of it), gaps and the clock set back."""
    dts, rest = [], n
    while rest > 0:
        k = min(rest, int(rng.integers(1, 3000)))
        dt = float(rng.choice([0.001, 0.1, 1.0, 1.0, 5.0, 60.0, 3600.0]))
        jitter = float(rng.choice([0.0, 0.01, 0.5, 2.0, -2.0]))  # -2: heavy-tailed
        dts.append(dt * (rng.lognormal(0, 2, k) if jitter < 0
                         else np.abs(1 + jitter * rng.standard_normal(k))))
        rest -= k
    step = np.concatenate(dts)[:n]
    t = float(rng.normal(0, 1e4)) + np.cumsum(step)
    p = float(rng.choice([0.0, 0.001, 0.05, 0.2, 0.5]))
    for k in np.flatnonzero(rng.random(n) < p):  # corrupt stamps, some near the limit
        factor = float(rng.choice([999.0, 1000.0, 1001.0, 1e4, 1e6, -1e3]))
        t[k] += step[k] * factor * float(rng.choice([1.0, 1.0 + 1e-9, rng.uniform(0.5, 2)]))
    for _ in range(int(rng.integers(0, 4))):  # runs of corrupt stamps
        k, r = int(rng.integers(0, n)), int(rng.integers(1, 16))
        t[k : k + r] += float(rng.choice([1e3, 1e5, 1e7])) * float(step[k])
    for _ in range(int(rng.integers(0, 4))):  # gaps and clocks set back, for good
        t[int(rng.integers(0, n)) :] += float(rng.choice([-1, 1])) * float(rng.uniform(0, 1e6))
    for k in rng.integers(1, max(n, 2), int(rng.integers(0, 5))):  # duplicates
        t[min(int(k), n - 1)] = t[int(k) - 1]
    if rng.random() < 0.2:
        t = np.round(t)
    for k in rng.integers(1001, max(n, 1002), int(rng.integers(0, 30))):  # at the very limit
        if k < n:
            d = np.diff(t[: k + 1])
            steps = np.append(d[:-1][d[:-1] > 0][-999:], np.inf)  # with its own jump
            off = float(rng.choice([-1e-6, -1e-12, 1e-12, 1e-6]))
            ahead = 1e3 * float(np.median(steps)) * (1 + off)
            t[k] = float(t[:k].max()) + ahead
    return t


def _run(judge, t: np.ndarray, cuts: list[int]) -> tuple[list[str], tuple]:
    """``judge`` on ``t`` cut into messages of ``cuts`` readings (the readings held back sent
    again with the next), then closed; the reasons and the clock after."""
    clock, held, out, at = stamps.Clock(), t[:0], [], 0
    for size in cuts:
        held = np.concatenate([held, t[at : at + size]])
        at += size
        why, n = judge(held, clock, False)
        out += list(why)
        held = held[n:]
    why, n = judge(np.concatenate([held, t[at:]]), clock, True)
    out += list(why)
    return out, (clock.last, clock.prev, clock.seen, clock.steps.tolist())


def _check(seed: int, n: int, knobs: tuple[int, int, int], mp: pytest.MonkeyPatch) -> None:
    """Series ``seed`` of ``n`` readings, judged in blocks of up to ``knobs`` = (readings,
    readings bounded together, undecided readings before they are)."""
    for name, value in zip(("BLOCK", "FINE", "FINE_AFTER"), knobs, strict=True):
        mp.setattr(stamps, name, value)
    rng = np.random.default_rng(seed)
    t = _series(rng, n)
    cuts = ([] if seed % 3 == 0 else list(rng.integers(1, 400, n // 100 + 1)) if seed % 3 == 1
            else list(rng.integers(1, 13, n // 3 + 1)))  # a suspect held until its 10th after
    got, want = _run(stamps.judge, t, cuts), _run(before.judge, t, cuts)
    assert got[0] == want[0], f"seed {seed}: reasons differ"
    assert repr(got[1]) == repr(want[1]), f"seed {seed}: clocks differ"


KNOBS = [(stamps.BLOCK, stamps.FINE, stamps.FINE_AFTER), (64, 512, 16), (7, 512, 16),
         (512, 8, 0)]


@pytest.mark.parametrize("knobs", KNOBS)
@pytest.mark.parametrize("seed", range(40))
def test_same_verdicts_as_before(
    seed: int, knobs: tuple[int, int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1500, 5000) if knobs[2] == 0 else  # limits bounded finely
            rng.integers(1, 600 if seed % 3 == 2 else 2500))
    _check(seed, n, knobs, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1000, 1006))
def test_same_verdicts_as_before_long(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    _check(seed, 30_000, KNOBS[0], monkeypatch)


def test_frequent_corrupt_stamps_are_each_quarantined() -> None:
    """Every 20th of 200,000 one-second stamps 1e6 s ahead: the 10,000 quarantined as before
    (how long it takes is measured by ``benchmarks/metering_bench.py --stamps``, not here)."""
    bad = np.arange(200_000, dtype=float)
    bad[::20] += 1e6
    why, n = stamps.judge(bad, stamps.Clock(), True)
    assert n == len(bad) and int((why == stamps.JUMP_FORWARD).sum()) == 10_000
