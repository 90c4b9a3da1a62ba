"""The blocks of the additive model (:mod:`~junkan.lifecycle.optimise.surrogate`): a linear
range that interacts with nothing (one continuous share), decisions that interact (every joint
option simulated), or decisions that interact with one linear range among them, which stays
continuous: for each joint option of the others the range is simulated at its bounds and its
midpoint, and where its effect is linear in every one of them it enters the program as a share
``x ≤ y`` of that option's binary ``y`` (a semi-continuous variable), so the optimum is found
anywhere in the range, not only at its ``steps`` levels. With a joint option where its effect
bends (midpoint off the chord by more than ``tolerance``) the range is enumerated at its
levels, each level one more option of the block, and it stays continuous with the others;
where it bends with every one, the block is enumerated at its levels."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from junkan.core.errors import ModelError, Problem

if TYPE_CHECKING:
    from junkan.lifecycle.optimise.surrogate import Choice, Expanded, Simulator


@dataclass
class Block:
    """Decisions enumerated together (``members``), one linear continuous range (``slope``),
    or decisions enumerated together with one range continuous with each joint option
    (``ranged``: its place in ``members``; each of ``combos`` holds it at its lower bound,
    and ``slopes`` has its effect from the lower to the upper bound with that option)."""

    members: list[int]
    combos: list[tuple[Choice, ...]] = field(default_factory=list)
    deltas: np.ndarray | None = None  # (len(combos), figures)
    slope: np.ndarray | None = None  # continuous: effect of lower → upper bound
    slopes: np.ndarray | None = None  # (len(combos), figures): the range's, per option
    ranged: int | None = None
    stepped: list[bool] = field(default_factory=list)
    """With ``slopes``: the combos that hold the range at one of its levels (its effect bends
    with that joint option of the others), whose slope is zero; the others hold it at its
    lower bound."""

    def held(self, k: int) -> bool:
        """Whether combo ``k`` holds the range at one of its levels (:attr:`stepped`)."""
        return bool(self.stepped) and self.stepped[k]


def deviation(a: np.ndarray, b: np.ndarray, scale: np.ndarray) -> float:
    """The largest difference of ``a`` and ``b`` relative to each figure's ``scale``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(scale > 0, np.abs(a - b) / scale, 0.0)
    return float(rel.max(initial=0.0))


def most_simulations(expanded: list[Expanded], group: list[int], linear: set[int]) -> int:
    """The most simulations :func:`block` runs for ``group``: the range's three points with
    each joint option of the others, then (if it bends) every level of every member."""
    if len(group) == 1 and group[0] in linear:
        return 1
    levels = math.prod(len(expanded[i].levels()) for i in group)
    ranged = [i for i in group if i in linear]
    if len(ranged) != 1:
        return levels
    return levels + 3 * math.prod(len(expanded[i].levels()) for i in group if i != ranged[0])


def block(sim: Simulator, expanded: list[Expanded], ref: list[Choice], members: list[int],
          linear: set[int], f0: np.ndarray, arr: Callable[[dict[str, float]], np.ndarray],
          scale: np.ndarray) -> Block:
    """The block of ``members`` (module docstring); ``linear``: the ranges whose effect
    alone is linear, ``f0`` the reference's figures, ``scale`` each figure's."""
    if len(members) == 1 and members[0] in linear:
        i = members[0]
        hi = sim(ref[:i] + [expanded[i].choices[1]] + ref[i + 1:])
        return Block(members, slope=arr(hi) - f0)
    ranged = [n for n, i in enumerate(members) if i in linear]
    if len(ranged) == 1:
        semi = _semi(sim, expanded, ref, members, ranged[0], f0, arr, scale)
        if semi is not None:
            return semi
    levels = [expanded[i].levels() for i in members]
    _within_enumeration(sim, expanded, members, math.prod(len(lv) for lv in levels))
    combos = _reference_first(list(itertools.product(*levels)), members, ref)
    deltas = [arr(sim(_with(ref, members, combo))) - f0 for combo in sim.paced(combos)]
    return Block(members, combos, np.array(deltas))


def _semi(sim: Simulator, expanded: list[Expanded], ref: list[Choice], members: list[int],
          n_r: int, f0: np.ndarray, arr: Callable[[dict[str, float]], np.ndarray],
          scale: np.ndarray) -> Block | None:
    """The block with the range ``members[n_r]`` continuous with each joint option of the
    others where its effect is linear, and at its levels with those where it bends; ``None``
    when it bends with every one."""
    r = members[n_r]
    e = expanded[r]
    assert e.bounds is not None
    lo, hi = e.bounds
    levels = [[e.at(lo)] if n == n_r else expanded[i].levels() for n, i in enumerate(members)]
    _within_enumeration(sim, expanded, members, math.prod(len(lv) for lv in levels))
    rows: list[tuple[tuple[Choice, ...], np.ndarray, np.ndarray | None]] = []
    for combo in sim.paced(itertools.product(*levels)):
        base = _with(ref, members, combo)
        f_lo = arr(sim(base))
        f_hi = arr(sim(base[:r] + [e.at(hi)] + base[r + 1:]))
        f_mid = arr(sim(base[:r] + [e.at((lo + hi) / 2)] + base[r + 1:]))
        bends = deviation(f_mid, (f_lo + f_hi) / 2, scale) > sim.spec.tolerance
        rows.append((combo, f_lo - f0, None if bends else f_hi - f_lo))
    bent = sum(slope is None for _, _, slope in rows)
    if bent == len(rows):
        return None
    steps = e.levels()
    _within_enumeration(sim, expanded, members, len(rows) + bent * (len(steps) - 1))
    out: list[tuple[tuple[Choice, ...], np.ndarray, np.ndarray, bool]] = []
    zero = np.zeros_like(f0)
    for combo, delta, slope in rows:
        if slope is not None:
            out.append((combo, delta, slope, False))
            continue
        for level in steps:  # bends with this option: each level one more option
            held = combo[:n_r] + (level,) + combo[n_r + 1:]
            out.append((held, arr(sim(_with(ref, members, held))) - f0, zero, True))
    out.sort(key=lambda row: not _is_reference(row[0], members, ref))  # stable
    return Block(members, [c for c, *_ in out], np.array([d for _, d, _, _ in out]),
                 slopes=np.array([sl for _, _, sl, _ in out]), ranged=n_r,
                 stepped=[st for *_, st in out])


def _with(ref: list[Choice], members: list[int], combo: tuple[Choice, ...]) -> list[Choice]:
    choice = list(ref)
    for n, i in enumerate(members):
        choice[i] = combo[n]
    return choice


def _reference_first(combos: list[tuple[Choice, ...]], members: list[int],
                     ref: list[Choice]) -> list[tuple[Choice, ...]]:
    """``combos`` with the reference combination first, so that its effect is zero."""
    return sorted(combos, key=lambda c: not _is_reference(c, members, ref))


def _is_reference(combo: tuple[Choice, ...], members: list[int], ref: list[Choice]) -> bool:
    return all(combo[n].overrides == ref[i].overrides for n, i in enumerate(members))


def _within_enumeration(sim: Simulator, expanded: list[Expanded], members: list[int],
                        size: int) -> None:
    if size > sim.spec.max_enumerate:
        names = ", ".join(expanded[i].decision.name for i in members)
        raise ModelError([Problem("decisions", f"decisions {names} interact; their {size:,} "
                                  f"joint options exceed max_enumerate "
                                  f"({sim.spec.max_enumerate:,}): fewer options or steps")],
                         sim.spec.origin)


def at_levels(blocks: list[Block], expanded: list[Expanded], linear: set[int]
              ) -> list[dict[str, Any]]:
    """The linear ranges enumerated at their levels with the decisions they interact with:
    their effect bent with those decisions' options (``with``: how many of the joint options
    it bent with, of ``of``; continuous with the others), or the block holds another range
    (their joint effect is bilinear)."""
    out: list[dict[str, Any]] = []
    for b in blocks:
        if len(b.members) > 1 and b.slopes is None:
            out += [{"decision": expanded[i].decision.name, "levels": expanded[i].decision.steps}
                    for i in b.members if i in linear]
        elif b.ranged is not None and any(b.stepped):
            e = expanded[b.members[b.ranged]]
            n = len(e.levels())
            bent = sum(b.stepped) // n
            out.append({"decision": e.decision.name, "levels": e.decision.steps,
                        "with": bent, "of": bent + b.stepped.count(False)})
    return out


def continuous_in_blocks(blocks: list[Block], expanded: list[Expanded]) -> list[str]:
    """The ranges kept continuous inside a block (semi-continuous with each joint option
    where their effect is linear)."""
    return [expanded[b.members[b.ranged]].decision.name for b in blocks
            if b.slopes is not None and b.ranged is not None]
