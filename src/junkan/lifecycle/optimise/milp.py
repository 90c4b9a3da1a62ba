"""The selection as a mixed-integer linear program, solved exactly by HiGHS
(``scipy.optimize.milp``).

Variables: one binary per joint option of each enumerated block (exactly one chosen per
block) and one continuous share ``x ∈ [0, 1]`` per linear range (value = lower + x ·
(upper − lower)); a range continuous inside a block (:mod:`~.blocks`) has one share per
joint option, ``x_k ≤ y_k`` (zero unless that option is chosen). The figures are
``f(z) = f0 + D z``. A linear objective is minimised directly; a ratio (recycled share,
RAP) by Dinkelbach's method — a sequence of MILPs ``max N(z) − λ D(z)`` with ``λ`` the
ratio of the last solution — which ends at the exact optimum of the linear-fractional
program in finitely many steps. Ratio constraints ``N / D ≥ r`` are linear:
``N − r D ≥ 0`` (the denominator is positive)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from junkan.core.errors import JunkanError
from junkan.lifecycle.optimise.blocks import Block
from junkan.lifecycle.optimise.surrogate import Choice, Expanded, Surrogate

MAX_DINKELBACH = 50
TIGHTEN = 4
"""The most times the program is solved again with a row the solver held only to its
tolerance moved inward (:meth:`Program._milp`)."""
EXACT = 1e-10
"""A row is held when the program's figures break it by at most this share of its size: well
inside the 1e-9 with which a simulated constraint is checked (:mod:`.unmet`)."""

DEFINED = 1e-5
"""A ratio is optimised where its denominator is above this share of its largest magnitude
(at the reference or as an option's effect; review 216: at 1e-4, an option with a
denominator of 2,494 JPY, RAP 10,000, was left out as undefined)."""


@dataclass
class Goal:
    """A figure to optimise or bound: ``num`` (or ``num / den``) over the figure vector."""

    num: np.ndarray
    den: np.ndarray | None = None
    maximise: bool = False
    label: str = ""
    """What the figure is, for messages (``RAP of maker``)."""

    def of(self, f: np.ndarray) -> float:
        n = float(self.num @ f)
        if self.den is None:
            return n
        d = float(self.den @ f)
        return n / d if d else float("nan")


@dataclass
class Row:
    """``lo ≤ goal ≤ hi`` (a ratio goal is linearised)."""

    goal: Goal
    lo: float = -np.inf
    hi: float = np.inf


@dataclass
class Program:
    """The figures as a linear function of the variables."""

    sur: Surrogate
    D: np.ndarray  # (figures, variables)
    integrality: np.ndarray
    blocks: list[tuple[int, int]]  # (first variable, count) of each enumerated block
    links: list[tuple[int, int]] = field(default_factory=list)
    """(share, binary) of each range continuous inside a block: share ≤ binary; binary -1:
    share ≤ 0 (the combo holds the range at one of its levels)."""

    @classmethod
    def of(cls, sur: Surrogate) -> Program:
        cols, integ, blocks, links = [], [], [], []
        for b in sur.blocks:
            if b.slope is not None:
                cols.append(b.slope[:, None])
                integ.append(np.zeros(1))
            else:
                assert b.deltas is not None
                start, k = sum(c.shape[1] for c in cols), len(b.combos)
                blocks.append((start, k))
                cols.append(b.deltas.T)
                integ.append(np.ones(k))
                if b.slopes is not None:  # a combo at one of the range's levels: share 0
                    cols.append(b.slopes.T)
                    integ.append(np.zeros(k))
                    links += [(start + k + j, -1 if b.held(j) else start + j)
                              for j in range(k)]
        D = np.hstack(cols) if cols else np.zeros((len(sur.f0), 0))
        return cls(sur, D, np.concatenate(integ) if integ else np.zeros(0), blocks, links)

    def figures(self, z: np.ndarray) -> np.ndarray:
        return self.sur.f0 + self.D @ z

    def _linear(self, rows: list[Row], shifts: dict[int, float] | None = None
                ) -> list[LinearConstraint]:
        """The program's constraints: one option per block, the links, and ``rows``, each
        part of a row (:meth:`_parts`) moved inward by ``shifts[k]`` (its own units)."""
        n = self.D.shape[1]
        out = []
        if self.blocks:
            A = np.zeros((len(self.blocks), n))
            for r, (start, count) in enumerate(self.blocks):
                A[r, start : start + count] = 1
            out.append(LinearConstraint(A, 1, 1))
        if self.links:
            L = np.zeros((len(self.links), n))
            for r, (x, y) in enumerate(self.links):
                L[r, x] = 1.0
                if y >= 0:
                    L[r, y] = -1.0
            out.append(LinearConstraint(L, -np.inf, 0.0))
        f0 = self.sur.f0
        for k, (vec, lo, hi, terms) in enumerate(self._parts(rows)):
            a = vec @ self.D
            base, d = float(vec @ f0), (shifts or {}).get(k, 0.0)
            out.append(LinearConstraint(*_scaled(a, lo - base + d, hi - base - d, [
                (t @ self.D, float(t @ f0)) for t in terms])))
        return out

    def _parts(self, rows: list[Row]
               ) -> list[tuple[np.ndarray, float, float, tuple[np.ndarray, ...]]]:
        """Each row as linear parts ``lo ≤ vec·figures ≤ hi``, with the terms whose
        magnitude scales it (a ratio's N and r·D)."""
        parts: list[tuple[np.ndarray, float, float, tuple[np.ndarray, ...]]] = []
        for row in rows:
            g = row.goal
            if g.den is None:
                parts.append((g.num, row.lo, row.hi, (g.num,)))
            else:  # N / D ≥ lo  ⇔  (N − lo·D) ≥ 0 ;  N / D ≤ hi  ⇔  (N − hi·D) ≤ 0
                # only where the ratio is defined: D > 0 (0/0 meets no bound, as simulated;
                # N − r·D ≥ 0 alone took 0 ≥ 0 as met)
                parts += [(d.goal.num, d.lo, np.inf, (d.goal.num,)) for d in self.defined(g)]
                if np.isfinite(row.lo):
                    parts.append((g.num - row.lo * g.den, 0.0, np.inf, (g.num, row.lo * g.den)))
                if np.isfinite(row.hi):
                    parts.append((g.num - row.hi * g.den, -np.inf, 0.0, (g.num, row.hi * g.den)))
        return parts

    def _over(self, z: np.ndarray, rows: list[Row]) -> dict[int, float]:
        """The parts of ``rows`` that ``z`` breaks by more than :data:`EXACT` of their
        magnitude, with by how much: HiGHS holds a row to 1e-6 of its scaled size (a
        budget of 3e8 JPY to 300 JPY; review 225), a simulation to its figures."""
        f, over = self.figures(z), {}
        for k, (vec, lo, hi, terms) in enumerate(self._parts(rows)):
            v = float(vec @ f)
            size = max([abs(v)] + [float(np.abs(t @ self.D).max(initial=0.0)) + abs(
                float(t @ self.sur.f0)) for t in terms])
            by = max(lo - v, v - hi, 0.0)
            if by > EXACT * size:
                over[k] = by
        return over

    def _milp(self, c: np.ndarray, rows: list[Row]) -> np.ndarray | None:
        """The program's optimum for costs ``c`` (``None``: infeasible), every row held
        exactly: a row the solver holds only to its tolerance is moved inward by twice what
        it breaks, then tenfold, until the solver's answer holds it (a continuous range
        moves to the bound; a combination the solver took as on it is left; at most
        :data:`TIGHTEN` times: then the simulation's check says what is not met)."""
        z, shifts = self._milp_once(c, rows, {}), dict[int, float]()
        for _ in range(TIGHTEN):
            over = {} if z is None else self._over(z, rows)
            if not over:
                break
            for k, by in over.items():  # twice the break, then tenfold until past the
                shifts[k] = max(10.0 * shifts.get(k, 0.0), 2.0 * by)  # solver's tolerance
            tighter = self._milp_once(c, rows, shifts)
            if tighter is None:
                break
            z = tighter
        return z

    def _milp_once(self, c: np.ndarray, rows: list[Row], shifts: dict[int, float]
                   ) -> np.ndarray | None:
        n = self.D.shape[1]
        if n == 0:
            return np.zeros(0)
        scale = max(float(np.abs(c).max(initial=0.0)), 1e-300)
        res = milp(
            c / scale,
            constraints=self._linear(rows, shifts),
            integrality=self.integrality,
            bounds=Bounds(np.zeros(n), np.ones(n)),
            options={"mip_rel_gap": 1e-9, "presolve": True},
        )
        if res.status == 2:  # infeasible
            return None
        if res.x is None:
            raise JunkanError(f"the solver stopped: {res.message}")
        z = np.asarray(res.x, dtype=float)
        ints = self.integrality == 1
        z[ints] = np.round(z[ints])
        if self.links and np.any(ints):
            # polish: with the binaries fixed at their rounded values, the shares are an LP
            # solved exactly (a binary at 1 - 1e-8 within HiGHS's integrality tolerance
            # otherwise caps its share x <= y below the range's bound)
            lo, hi = np.zeros(n), np.ones(n)
            lo[ints] = hi[ints] = z[ints]
            lp = milp(c / scale, constraints=self._linear(rows, shifts), integrality=np.zeros(n),
                      bounds=Bounds(lo, hi), options={"presolve": True})
            if lp.x is not None:
                z = np.asarray(lp.x, dtype=float)
                z[ints] = lo[ints]
        return np.clip(z, 0, 1)

    def defined(self, goal: Goal) -> list[Row]:
        """For a ratio goal, the row that keeps to choices where it is defined (denominator
        above :data:`DEFINED` of its magnitude: the row is scaled to that magnitude
        (:func:`_scaled`), so ten times HiGHS's mip_feasibility_tolerance, 1e-6, keeps the
        denominator above 0 in a solution); none for a plain sum. A choice below it is
        taken as undefined: the method says so."""
        if goal.den is None:
            return []
        size = max(abs(float(goal.den @ self.sur.f0)),
                   float(np.abs(goal.den @ self.D).max(initial=0.0)))
        return [Row(Goal(goal.den), DEFINED * size)]

    def solve(self, goal: Goal, rows: list[Row]) -> np.ndarray | None:
        """The optimal variables (``None`` if the constraints cannot all hold)."""
        sign = -1.0 if goal.maximise else 1.0
        if goal.den is None:
            return self._milp(sign * (goal.num @ self.D), rows)
        # a feasible start where the ratio is defined: the largest denominator; then only
        # choices with a positive denominator (0/0 is no value: enumeration skips it too)
        z = self._milp(-(goal.den @ self.D), rows)
        if z is None:
            return None
        d_max = float(goal.den @ self.figures(z))
        if d_max <= 0:
            raise JunkanError(
                f"{goal.label or 'the ratio'}: its denominator is {d_max:g} at every feasible "
                "choice, so the ratio is defined at none; optimise its numerator instead"
            )
        rows = [*rows, *self.defined(goal)]
        for _ in range(MAX_DINKELBACH):
            f = self.figures(z)
            d = float(goal.den @ f)
            if d <= 0:
                raise JunkanError(
                    f"{goal.label or 'the ratio'}: its denominator is {d:g} at a feasible "
                    "choice, so the ratio is not defined there; optimise its numerator "
                    "instead, or bound it as a constraint"
                )
            lam = float(goal.num @ f) / d
            c = sign * ((goal.num - lam * goal.den) @ self.D)
            z_new = self._milp(c, rows)
            if z_new is None:  # z is feasible: the solver's tolerance at a bound, keep it
                return z
            f_new = self.figures(z_new)
            gain = -sign * float((goal.num - lam * goal.den) @ f_new)
            if gain <= 1e-12 * max(abs(float(goal.num @ f_new)), 1.0):
                return z
            z = z_new
        raise JunkanError(f"Dinkelbach's method did not converge in {MAX_DINKELBACH} steps")

    def _picks(self, z: np.ndarray) -> Iterator[tuple[Block, int, int | None]]:
        """Each block with the place of its first variable in ``z`` and the combination
        chosen there (``None`` for a range alone: one share)."""
        pos = 0
        for b in self.sur.blocks:
            if b.slope is not None:
                yield b, pos, None
                pos += 1
                continue
            yield b, pos, int(np.argmax(z[pos : pos + len(b.combos)]))
            pos += len(b.combos) * (1 if b.slopes is None else 2)

    def decode(self, z: np.ndarray) -> list[Choice]:
        """The choice of every decision at ``z``."""
        out: list[Choice | None] = [None] * len(self.sur.expanded)
        for b, pos, k in self._picks(z):
            if k is None:
                e, lo, hi = self._range(b.members[0])
                out[b.members[0]] = e.at(_between(lo, hi, float(z[pos])))
                continue
            for n, i in enumerate(b.members):
                out[i] = b.combos[k][n]
            if b.slopes is not None and not b.held(k):  # the range continuous with the option
                assert b.ranged is not None
                e, lo, hi = self._range(b.members[b.ranged])
                share = float(z[pos + len(b.combos) + k])
                out[b.members[b.ranged]] = e.at(_between(lo, hi, share))
        assert all(c is not None for c in out)
        return [c for c in out if c is not None]

    def at_levels(self, z: np.ndarray) -> list[int]:
        """The ranges the solution ``z`` holds at one of their levels: enumerated with their
        block (in a block with a range continuous in it, every other range: review 259, a
        collection rate at a level beside another continuous one was never refined), or
        the continuous one with the option chosen where it bends with it."""
        return sorted(i for b, _, k in self._picks(z) if k is not None
                      for n, i in enumerate(b.members) if self.sur.expanded[i].bounds is not None
                      and (b.slopes is None or n != b.ranged or b.held(k)))

    def encode(self, choices: list[Choice]) -> np.ndarray:
        """The variables of a combination of choices (ranges at enumerated levels)."""
        z: list[float] = []
        for b in self.sur.blocks:
            if b.slope is not None:
                _, lo, hi = self._range(b.members[0])
                z.append((float(choices[b.members[0]].value) - lo) / (hi - lo))
                continue
            # a range continuous in the block is matched by its share, not its level (where
            # it is held at its levels with an option, by its level)
            want = [json_key(choices[i]) for i in b.members]
            y = [1.0 if all(w == json_key(c) for n, (w, c) in enumerate(zip(
                     want, combo, strict=True)) if n != b.ranged or b.held(k)) else 0.0
                 for k, combo in enumerate(b.combos)]
            z.extend(y)
            if b.slopes is not None:
                assert b.ranged is not None
                _, lo, hi = self._range(b.members[b.ranged])
                x = (float(choices[b.members[b.ranged]].value) - lo) / (hi - lo)
                z.extend(0.0 if b.held(k) else x * v for k, v in enumerate(y))
        return np.array(z)

    def _range(self, i: int) -> tuple[Expanded, float, float]:
        """Decision ``i``, a range, and its bounds."""
        e = self.sur.expanded[i]
        assert e.bounds is not None
        return e, e.bounds[0], e.bounds[1]


def _scaled(a: np.ndarray, lo: float, hi: float, terms: list[tuple[np.ndarray, float]]
            ) -> tuple[np.ndarray, float, float]:
    """The row ``lo ≤ a·z ≤ hi`` divided by the magnitude of its terms before they cancel
    (for a ratio ``N − r·D``: of N and r·D each, at the reference and in each variable's
    effect), so that what cancels to rounding noise stays noise: a RAP that the options leave
    constant, capped at exactly its value, gave a row of noise scaled up to ±1, and the
    program an arbitrary choice (review of 2026-12-05)."""
    s = max([float(np.abs(a).max(initial=0.0))]
            + [max(float(np.abs(d).max(initial=0.0)), abs(b)) for d, b in terms] + [1e-300])
    return a[None, :] / s, lo / s, hi / s


def _between(lo: float, hi: float, x: float) -> float:
    """``lo + x (hi − lo)``, exactly ``hi`` at ``x = 1`` (not 0.8999999999999999 for 0.9)."""
    return lo * (1.0 - x) + hi * x


def json_key(choice: Choice) -> str:
    import json

    return json.dumps(choice.overrides, sort_keys=True, default=str)


def choices_key(choices: list[Choice]) -> str:
    """A combination of choices as one string (equal for the same overrides)."""
    return "|".join(json_key(c) for c in choices)
