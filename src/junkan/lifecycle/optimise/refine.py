"""A local search between the levels of the ranges an optimum holds at a level.

A range whose effect is not linear (alone, or with the option of the decisions it interacts
with that the optimum chose) enters the program at its ``steps`` levels only
(:mod:`~junkan.lifecycle.optimise.blocks`), so the optimum is exact over those levels and
not between them. Here each such range of the chosen combination is moved, the others held,
between the levels on either side of its own by a golden-section search of the *simulated*
objective; a value is taken only where every constraint holds in its simulation and the
objective improves — the best of the ranges' moves first, pass after pass. The search is
local (the objective between two levels need not have one minimum), so the result is never
worse than the levels' optimum, and not guaranteed to be the best between them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from junkan.lifecycle.optimise import slide
from junkan.lifecycle.optimise.slide import scorer
from junkan.lifecycle.optimise.spec import Constraint, Objective

if TYPE_CHECKING:
    from junkan.lifecycle.optimise.surrogate import Choice, Expanded, Simulator

STEPS = 10
"""Golden-section steps on each side of a level: the interval shrinks to 0.618¹⁰ ≈ 0.8 % of
the distance between two levels."""
_PHI = (math.sqrt(5.0) - 1.0) / 2.0


@dataclass
class Moved:
    """A range moved off its level: its decision, the level and the value taken."""

    decision: str
    level: float
    value: float
    between: tuple[float, float] | None = None
    """The levels on either side, where the search started inside a bracket that fails a
    constraint at each end (:mod:`~.brackets`): no level of it was the start."""
    others: list[str] = field(default_factory=list)
    """The options ("decision: option") that differ from the levels' optimum, where the
    search started from another combination (:mod:`~.brackets`)."""
    jointly: bool = False
    """Whether it moved (last) with the other ranges, along the constraints (:mod:`.slide`):
    ``level`` is then where it was before, a level or not."""

    def to_json(self) -> dict[str, Any]:
        return {"decision": self.decision,  # set between two levels: it held neither
                "level": None if self.between else self.level, "value": self.value,
                **({"between": list(self.between)} if self.between else {}),
                **({"with": self.others} if self.others else {}),
                **({"jointly": True} if self.jointly else {})}

    def said(self) -> str:
        """What moved, in the method's words."""
        text = (f"{self.decision} moved from {'' if self.jointly else 'its level '}"
                f"{self.level:.6g} to {self.value:.6g}" if self.between is None else
                f"{self.decision} set to {self.value:.6g} between its levels "
                f"{self.between[0]:.6g} and {self.between[1]:.6g} (each fails a constraint "
                "there)")
        return text + (f" (with {', '.join(self.others)}: another combination than the "
                       "levels' best)" if self.others else "")


def most_simulations(ranges: int, every: int | None = None) -> int:
    """The most simulations :func:`refine` runs for ``ranges`` ranges held at a level (of
    ``every`` ranges; default: as many): two searches, each of at most :func:`passes`
    passes over every range and two more (a first pass in order, a last one for the ranges
    never moved), then the joint move of :mod:`.slide`."""
    return (2 * (passes(ranges) + 2) * ranges * 2 * (2 * STEPS + 3)
            + (slide.most_simulations(ranges if every is None else every) if ranges else 0))


def told(moved: list[Moved]) -> str:
    """The method's words for the ranges ``moved``, after what found their start."""
    alone = [m for m in moved if not m.jointly]
    text = ("; then " + ", ".join(m.said() for m in alone) + " by a golden-section search "
            "of the simulated objective between its levels (constraints checked by "
            "simulation; local: never worse than where it started)") if alone else ""
    if together := [m for m in moved if m.jointly]:
        text += ("; then " + ", ".join(m.said() for m in together)
                 + (" together" if len(together) > 1 else "") + ", by COBYLA (Powell 1994) "
                 "following the constraints that bind, simulated (local; taken where it "
                 "improves)")
    return text


def passes(ranges: int) -> int:
    """The most passes of best moves in a search of :func:`refine` over ``ranges`` ranges:
    twice as many as ranges (a range may need to move again once another has; more is rare
    and costs a full search of every range each)."""
    return 2 * ranges


def refine(sim: Simulator, expanded: list[Expanded], choices: list[Choice],
           held: list[int], objective: Objective,
           feasible: Callable[[dict[str, float]], bool], both: bool = True,
           constraints: Sequence[Constraint] = (),
           extra: Callable[[dict[str, float]], float] | None = None
           ) -> tuple[list[Choice], list[Moved]]:
    """``choices`` with the ranges ``held`` at a level moved to the best values found between
    the neighbouring levels; and what moved (each range once: its level and where it ended).
    ``feasible``: whether a simulation's figures meet the constraints (and the objective
    means something there).

    Two searches, the better kept: one moves each range in turn, as they come, the other
    takes the best range's move first; each then goes on pass after pass, every range
    searched alone from where the others are and the best move taken, until none improves or
    :func:`passes` have run, and last searches each range not moved yet. Review 251: moving
    the ranges once each, in order, moved a collection rate to a constraint's boundary
    first, from where a reuse share could not improve (moving the share first: a margin 9 %
    higher); on review 233's washer the order of the ranges reached a little further than
    the best move first (1,531,923,446 against 1,531,834,225 JPY). ``both=False``: one
    pass in order only, each range moved once, as before review 251 (where up to 16 starts
    are searched, :mod:`~.brackets`; no joint move then). Then every range of the
    combination (two or more) moves together along ``constraints`` (:mod:`.slide`;
    ``extra``: a bound the caller adds, as a slack relative to its size) where that
    improves (review 259: one range at a time could not trade one collection rate for
    another under a CO2e cap)."""
    if not held:
        return choices, []
    score = scorer(sim, objective, feasible)
    start_v = score(choices)
    tries = [_search(score, expanded, choices, held, start_v, in_order, both)
             for in_order in ((True, False) if both else (True,))]
    best, _, moved = min(tries, key=lambda t: t[1])
    if both:  # not from each of up to 16 starts of brackets: from the one they keep
        best = jointly(sim, expanded, best, moved, objective, feasible, constraints, extra)
    return best, list(moved.values())


def jointly(sim: Simulator, expanded: list[Expanded], best: list[Choice],
            moved: dict[str, Moved], objective: Objective,
            feasible: Callable[[dict[str, float]], bool], constraints: Sequence[Constraint] = (),
            extra: Callable[[dict[str, float]], float] | None = None) -> list[Choice]:
    """``best`` with its ranges moved together along ``constraints`` (:mod:`.slide`) where
    that improves, each range it moved recorded in ``moved`` (by decision) as moved
    ``jointly`` from where it was (a level, or where an earlier move left it)."""
    joint = slide.slide(sim, expanded, best, objective, feasible, constraints, extra)
    if joint is None:
        return best
    for i, (a, b) in enumerate(zip(best, joint[0], strict=True)):
        if expanded[i].bounds is not None and a.value != b.value:
            name = expanded[i].decision.name
            m = moved.setdefault(name, Moved(name, float(f"{float(a.value):.12g}"), 0.0))
            m.value, m.jointly = float(b.value), True
    return joint[0]


def _search(score: Callable[[list[Choice]], float], expanded: list[Expanded],
            choices: list[Choice], held: list[int], best_v: float, in_order: bool,
            again: bool = True) -> tuple[list[Choice], float, dict[str, Moved]]:
    """One search of :func:`refine` from ``choices`` (of score ``best_v``): the choices it
    ends at, their score and what moved, by decision (``again=False``: the first pass in
    order only)."""
    best, moved = list(choices), dict[str, Moved]()

    def take(i: int, x: float, v: float, here: float) -> bool:
        nonlocal best_v
        if not _improves(v, best_v):
            return False
        best[i], best_v = expanded[i].at(x), v
        name = expanded[i].decision.name  # one entry a range: from its level to where it ends
        moved.setdefault(name, Moved(name, float(f"{here:.12g}"), x)).value = x
        return True

    searched = [i for i in held if expanded[i].bounds is not None]
    for i in searched if in_order else []:  # a first pass, each range in turn
        if math.isfinite(best_v):
            take(i, *_along(score, expanded[i], best, i, best_v))
    last = None
    for _ in range(passes(len(held)) if again else 0):  # then the best move, pass after pass
        found = [(*_along(score, expanded[i], best, i, best_v), i) for i in searched
                 if i != last and math.isfinite(best_v)]  # the last moved is at its best
        x, v, here, i = min(found, key=lambda t: t[1], default=(0.0, math.inf, 0.0, -1))
        if i < 0 or not take(i, x, v, here):
            break
        last = i
    for i in searched if again else []:  # a range never moved while two others took
        if expanded[i].decision.name not in moved and math.isfinite(best_v):  # every pass
            take(i, *_along(score, expanded[i], best, i, best_v))
    return best, best_v, moved


def _improves(v: float, than: float) -> bool:
    """Whether score ``v`` is lower than ``than`` by more than rounding (never, from a
    ``than`` that is not finite)."""
    return v < than - 1e-12 * max(abs(than), 1.0)


def _along(score: Callable[[list[Choice]], float], e: Expanded, best: list[Choice], i: int,
           best_v: float) -> tuple[float, float, float]:
    """(value, score, start) of range ``i`` moved alone from ``best`` (of score ``best_v``)
    between the levels on either side of where it is: the start itself if nothing there is
    better."""
    levels = [float(c.value) for c in e.levels()]
    here = float(best[i].value)
    j = min(range(len(levels)), key=lambda k: abs(levels[k] - here))
    found_x, found_v = here, best_v
    at = partial(_moved, score, best, i, e)
    for a, b in ((levels[max(j - 1, 0)], here), (here, levels[min(j + 1, len(levels) - 1)])):
        if b <= a:
            continue
        far = a if b == here else b  # the neighbouring level
        if not math.isfinite(at(far)):
            # a constraint holds at this level and not at the next: the best value on this
            # side is usually at the constraint's boundary, where a golden-section search of
            # a score that is infinite beyond it rarely looks; find it first
            inside, outside = here, far
            for _ in range(STEPS):
                mid = (inside + outside) / 2
                inside, outside = (mid, outside) if math.isfinite(at(mid)) else (inside, mid)
            v = at(inside)
            if _improves(v, found_v):
                found_x, found_v = inside, v
            a, b = sorted((inside, here))
            if b <= a:
                continue
        x, v = _golden(at, a, b)
        if _improves(v, found_v):
            found_x, found_v = x, v
    return found_x, found_v, here


def pairs_of(sizes: list[int]) -> int:
    """How many ways there are to change two of decisions with ``sizes`` options each."""
    return sum(a * b for i, a in enumerate(sizes) for b in sizes[i + 1:])


def most_recombined(expanded: list[Expanded]) -> int:
    """The most simulations :func:`recombine` runs (a pass per decision at most)."""
    sizes = [len(e.levels()) for e in expanded]
    pairs = pairs_of(sizes)
    return len(expanded) * (sum(sizes) + (pairs if pairs <= PAIRS else 0))


PAIRS = 256
"""The most joint changes of two decisions :func:`recombine` tries in a pass."""


def recombine(sim: Simulator, expanded: list[Expanded], choices: list[Choice],
              objective: Objective, feasible: Callable[[dict[str, float]], bool]
              ) -> tuple[list[Choice], list[str]]:
    """``choices`` with the decisions set, by simulation, to the options with the best
    objective (a range to one of its levels, or where it is): each decision alone, then two
    together (at most :data:`PAIRS` pairs of options), pass after pass until none improves;
    and what changed, as "decision: option". After a range moved, an option that made no
    difference at its level (nothing collected at a collection rate of 0, so no cleaner
    process matters) may (review 216); two options may matter only together (a cleaner
    refurbishing with reuse on, review 217)."""
    score = scorer(sim, objective, feasible)
    options = [e.levels() for e in expanded]  # a range: its levels (it may also stay)
    moves = [[(i, c)] for i, lv in enumerate(options) for c in lv]
    pairs = [[(i, c), (j, d)] for i in range(len(options)) for j in range(i + 1, len(options))
             for c in options[i] for d in options[j]]
    moves += pairs if len(pairs) <= PAIRS else []
    best, best_v = list(choices), score(choices)
    for _ in range(len(expanded)):  # passes until none changes anything (an option may
        again = False               # matter only once another's changed)
        for move in sim.paced(moves):
            trial = list(best)
            for i, c in move:
                trial[i] = c
            v = score(trial)
            if _improves(v, best_v):
                best, best_v, again = trial, v, True
        if not again:
            break
    return best, [f"{e.decision.name}: {b.label}" for e, a, b in zip(
        expanded, choices, best, strict=True) if a.label != b.label]


def no_better_than_reference(sim: Simulator, ref: list[Choice], choices: list[Choice],
                             objective: Objective,
                             feasible: Callable[[dict[str, float]], bool]) -> bool:
    """Whether ``choices`` differ from the reference ``ref`` (each decision's first option)
    without scoring better than it, the reference meeting the constraints: then nothing is
    gained by changing the model (review 253: a flat objective changed three decisions)."""
    score = scorer(sim, objective, feasible)
    if [(c.label, c.value) for c in choices] == [(c.label, c.value) for c in ref]:
        return False
    mine, theirs = score(choices), score(ref)
    return math.isfinite(theirs) and not _improves(mine, theirs)


def _moved(score: Callable[[list[Choice]], float], choices: list[Choice], i: int,
           e: Expanded, x: float) -> float:
    """The score of ``choices`` with range ``i`` at ``x``."""
    return score(choices[:i] + [e.at(x)] + choices[i + 1:])


def _golden(f: Callable[[float], float], a: float, b: float) -> tuple[float, float]:
    """The best point evaluated by a golden-section search of ``f`` on ``[a, b]`` (inside
    the interval: its ends are the levels, already known)."""
    c, d = b - _PHI * (b - a), a + _PHI * (b - a)
    fc, fd = f(c), f(d)
    best = min((fc, c), (fd, d))
    for _ in range(STEPS):
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - _PHI * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + _PHI * (b - a)
            fd = f(d)
        best = min(best, (fc, c), (fd, d))
    return best[1], best[0]
