"""The matching MILP and grading agree on what is met: every delivered blend of an
assignment is graded again from its mixed record (:func:`junkan.grading.blend`,
:func:`junkan.grading.grade`) — the same check the result's ``deliveries`` show — and a
delivery grading refuses can be taken out of the assignment whole (:func:`without`).

The MILP's blend rows hold each buyer's window at its true limits, so a blend exactly on a
limit (which grading calls met) is allowed; the solver's feasibility tolerance may however
let a blend a hair past a limit, which grading then refuses (:mod:`junkan.market.milp`)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from junkan.grading import blend, grade
from junkan.market.arcs import Arcs
from junkan.market.schema import Market

if TYPE_CHECKING:
    from junkan.market.milp import Solution

TOL = 1e-7
"""Shares at or below this carry nothing (as in :mod:`junkan.market.result`) — unless
they carry more than :data:`KG_TOL`."""
KG_TOL = 1e-3
"""kg (1 g) above which a route carries something whatever its share: a 5 kg delivery from a
100,000 t lot is a share of 5·10⁻⁸, below :data:`TOL`, and was counted in the margin but
left out of the assignments, the delivered blends and the matched mass."""


def carries(share: np.ndarray, kg: np.ndarray | float) -> np.ndarray:
    """Which routes carry something: a ``share`` above :data:`TOL`, or ``kg`` (the lot's
    mass on each route) times it above :data:`KG_TOL`."""
    share = np.asarray(share)
    return np.asarray((share > TOL) | (share * kg > KG_TOL))


def _lot_kg(market: Market, arcs: Arcs) -> np.ndarray:
    return np.array([lot.mass for lot in market.lots])[arcs.lot]


def delivered_kg(market: Market, arcs: Arcs, share: np.ndarray, b: int) -> dict[int, float]:
    """kg of each lot (by index) the assignment ``share`` delivers to condition ``b``."""
    kg: dict[int, float] = {}
    n = len(arcs.cond)
    for k in np.flatnonzero((arcs.cond == b) & carries(share[:n], _lot_kg(market, arcs))):
        i = int(arcs.lot[k])
        kg[i] = kg.get(i, 0.0) + float(market.lots[i].mass * share[k])
    return kg


def graded(market: Market, arcs: Arcs, b: int, kg: dict[int, float]) -> dict[str, object]:
    """Grade row (``met``, ``failed``, …) and evidence of the blend delivered to ``b``."""
    c = market.conditions[b]
    mixed = blend([market.lots[i].item for i in kg], list(kg.values()), id=f"delivery-{c.id}")
    verdict = grade([mixed], [arcs.compiled.sets[b].cs], as_of=market.as_of)
    return {**verdict.rows()[0], "blend": verdict.evidence(0)}


def refused(market: Market, arcs: Arcs, share: np.ndarray) -> list[int]:
    """Indices of the conditions whose delivered blend grading does not call met."""
    out = []
    n = len(arcs.cond)
    for b in np.unique(arcs.cond[carries(share[:n], _lot_kg(market, arcs))]):
        kg = delivered_kg(market, arcs, share, int(b))
        if not graded(market, arcs, int(b), kg)["met"]:
            out.append(int(b))
    return out


def without(sol: Solution, market: Market, arcs: Arcs, bad: list[int]) -> Solution:
    """``sol`` with every delivery to the conditions ``bad`` taken out (their routes and
    pooled shipments closed): still feasible — capacities and "each lot once" only loosen,
    and no other buyer's blend or minimum changes — with its margin reduced to match."""
    drop = np.isin(arcs.cond, bad)
    mass = np.array([lot.mass for lot in market.lots])
    lost = float((mass[arcs.lot[drop]] * arcs.margin[drop] * sol.share[drop]).sum())
    ship = sol.ship.copy()
    for q, (p, b) in enumerate(sol.pairs):
        if b not in bad:
            continue
        on = (arcs.pool == p) & (arcs.cond == b)
        if float((mass[arcs.lot[on]] * sol.share[on]).sum()) > 1e-6:
            lost -= market.pools[p].fixed_cost
        ship[q] = 0.0
    share = np.where(drop, 0.0, sol.share)
    return replace(sol, share=share, ship=ship, objective=sol.objective - lost)
