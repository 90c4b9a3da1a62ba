"""Event metrics against hand-made alarms."""

from __future__ import annotations

import math

import numpy as np

from junkan.sensing.metrics import Window, match, nab_score, vus_pr


def test_match_counts_hits_false_positives_and_fault_alarms() -> None:
    wins = [Window("jam", 10, 14, 10), Window("gas", 50, 80, 56)]
    detected, fps, in_fault = match(
        [(10.3, 12), (30, 31), (57, 60), (90, 91)], wins, faults=[(88, 95)]
    )
    assert detected == {0: 10.3, 1: 57}
    assert fps == [(30, 31)] and in_fault == 1


def test_nab_null_is_zero_perfect_near_hundred_and_fp_costs() -> None:
    onsets = [100.0, 500.0]
    assert nab_score([], onsets, 1000) == 0
    w = 0.1 * 1000 / 2
    perfect = nab_score([(o - w / 2, o) for o in onsets], onsets, 1000)
    assert math.isclose(perfect, 100, abs_tol=0.01)
    late = nab_score([(o + w / 2 - 1, o + w / 2) for o in onsets], onsets, 1000)
    assert 0 < late < perfect
    with_fp = nab_score([(o - w / 2, o) for o in onsets] + [(800, 801)], onsets, 1000)
    assert with_fp < perfect
    # one hit, one miss, one false positive: a miss weighs twice in reward-low-FN, so the
    # false positive costs relatively less there, and more in reward-low-FP
    one = [(onsets[0] - w / 2, onsets[0]), (800, 801)]
    std = nab_score(one, onsets, 1000)
    assert nab_score(one, onsets, 1000, "reward_low_fn") > std
    assert nab_score(one, onsets, 1000, "reward_low_fp") < std


def test_vus_pr_is_high_for_a_perfect_score_and_low_for_noise() -> None:
    label = np.zeros(1000)
    label[300:320] = 1
    assert vus_pr(label.copy(), label, max_buffer=0, n_buffers=1) > 0.99
    # the buffer's soft labels count as positives a binary score cannot reach: < 1
    assert vus_pr(label.copy(), label) > 0.7
    noise = np.random.default_rng(0).random(1000)
    assert vus_pr(noise, label) < 0.3
