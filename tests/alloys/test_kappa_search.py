"""The κ search of the chance constraint (:func:`junkan.alloys.chance.search_kappa`)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from junkan.alloys import chance


def _search(monkeypatch: pytest.MonkeyPatch, feasible_below: float, met_from: float) -> Any:
    """search_kappa on a stand-in problem: plans exist for κ ≤ ``feasible_below`` and meet
    the window (on every sample) from κ ≥ ``met_from``; the margin falls as κ grows."""
    monkeypatch.setattr(chance, "chance_lp", lambda m, st, kappa, a, b: kappa)

    def solve(kappa: float, warm: object = None) -> SimpleNamespace:
        return SimpleNamespace(status="infeasible" if kappa > feasible_below else "optimal",
                               relaxation=SimpleNamespace(status="optimal"),
                               z=np.array([kappa]), objective=10.0 - kappa)
    monkeypatch.setattr(chance, "solve_whole", solve)
    model = SimpleNamespace(met=lambda z: np.full((100, 3), z[0] >= met_from))
    return chance.search_kappa(model, SimpleNamespace(mu=np.zeros((1, 3))),
                               np.zeros(0), np.zeros(0), 0.9)


def test_a_kappa_between_a_missed_one_and_an_infeasible_one_is_found(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Φ⁻¹(0.9) = 1.28 misses, the Bonferroni κ for three limits (1.83) is infeasible, κ in
    [1.45, 1.6] plans and meets: the search used to stop at the infeasible κ and answer
    'infeasible'."""
    r = _search(monkeypatch, feasible_below=1.6, met_from=1.45)
    assert r.best is not None
    assert 1.45 <= r.best[1] < 1.5  # the least κ met, to within the search's 0.05
    assert r.solves <= 8


def test_met_at_the_first_kappa_is_one_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    r = _search(monkeypatch, feasible_below=9.0, met_from=0.0)
    assert r.best is not None and r.best[1] == pytest.approx(1.2816, abs=1e-4)
    assert r.solves == 1


def test_infeasible_at_the_first_kappa_is_infeasible(monkeypatch: pytest.MonkeyPatch) -> None:
    r = _search(monkeypatch, feasible_below=1.0, met_from=0.0)
    assert r.best is None and r.solves == 1
