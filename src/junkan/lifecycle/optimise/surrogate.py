"""The additive model of a selection problem, built by simulation and checked numerically.

For fixed lifetimes the simulator is linear in route shares, but products of shares along one
chain (collection rate × reuse share) and the caps of displacement (reused items and secondary
material displace at most the demand) make it multilinear and piecewise linear in the
choices. So the effects of the options are measured, not assumed:

1. the *reference* run takes every decision's first option (a range's lower bound);
2. each option is simulated alone against it (its *effect*); a range also at its midpoint,
   to check that its effect is linear;
3. every pair of decisions is simulated together: where the joint effect differs from the sum
   of the two (relative ``tolerance``, on the figures the objective and constraints use), the
   two *interact* and are merged into one block whose joint options are all simulated;
4. across blocks the effects then add up; the solution and ``verify`` random combinations are
   simulated to check that the additive prediction holds (higher-order interactions).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from junkan import lifecycle
from junkan.core.errors import ModelError, Problem, coded, format_path, short
from junkan.core.quantities import written_unit
from junkan.lifecycle.loader import key_in, path_tokens, scenario_document
from junkan.lifecycle.optimise.blocks import (
    Block,
    at_levels,
    block,
    continuous_in_blocks,
    deviation,
    most_simulations,
)
from junkan.lifecycle.optimise.features import measure
from junkan.lifecycle.optimise.spec import (
    MAX_SIMULATIONS,
    Decision,
    OptimiseSpec,
    scenario_set,
    token_key,
)
from junkan.lifecycle.optimise.values import values_in

MAX_SHARED = 2048
_SHARED: dict[tuple[str, str], dict[str, float]] = {}
"""Figures of recent runs, by model content and overrides (a run is deterministic)."""


@dataclass
class Choice:
    label: str
    overrides: dict[str, Any]
    value: Any = None
    decision: str = ""
    unit: str = ""
    """The unit of a range's ``value`` (the field's unit; ``""`` for a bare number)."""


@dataclass
class Expanded:
    """A decision with its choices; ``bounds`` for a continuous range."""

    decision: Decision
    choices: list[Choice]
    bounds: tuple[float, float] | None = None
    unit: str = ""
    """The field's unit, in which ``bounds`` are and each level is written."""

    def levels(self) -> list[Choice]:
        """Choices where the decision has to be enumerated (a range: ``steps`` levels)."""
        if self.bounds is None:
            return self.choices
        return [self.at(float(x)) for x in np.linspace(*self.bounds, self.decision.steps)]

    def at(self, x: float) -> Choice:
        assert self.decision.parameter is not None
        written = f"{x:.10g} {self.unit}" if self.unit else x
        label = f"{x:.6g} {self.unit}".strip()
        return Choice(label, {self.decision.parameter: written}, x, self.decision.name,
                      self.unit)


_T = TypeVar("_T")


class Simulator:
    """Runs the model with overrides (cached) and measures the figures."""

    def __init__(
        self,
        model: lifecycle.ModelFile,
        spec: OptimiseSpec,
        activity: set[tuple[str, str]],
        rap: bool,
        progress: Callable[[int, int], None] | None = None,
        pace: Callable[[int, int], None] | None = None,
    ) -> None:
        self.model, self.spec = model, spec
        self.progress = progress  # told (simulations so far, the most there may be)
        self.pace = pace  # told (done, of) in a loop of simulations: see :meth:`paced`
        self.most = MAX_SIMULATIONS  # tightened by :meth:`expect` as the stages become known
        self._told = (0, 0)
        self.scenario = spec.scenario or model.baseline.baseline_name
        if self.scenario not in model.scenarios:
            raise ModelError(
                [
                    Problem(
                        "scenario",
                        f"unknown scenario {short(self.scenario)}; "
                        f"known: {', '.join(model.scenarios)}",
                    )
                ],
                spec.origin,
            )
        self.activity, self.rap = activity, rap
        self.cache: dict[str, dict[str, float]] = {}
        doc = json.dumps(
            [model.raw, self.scenario, spec.years, sorted(activity), rap],
            sort_keys=True,
            default=str,
        )
        self._prefix = hashlib.sha256(doc.encode()).hexdigest()

    def __call__(self, choices: Sequence[Choice]) -> dict[str, float]:
        overrides: dict[str, Any] = {}
        for c in choices:
            overrides.update(c.overrides)
        key = json.dumps(overrides, sort_keys=True, default=str)
        if key not in self.cache:
            if len(self.cache) >= MAX_SIMULATIONS:
                raise ModelError(
                    [
                        Problem(
                            "decisions",
                            f"more than {MAX_SIMULATIONS:,} "
                            "simulations needed; fewer decisions or options",
                        )
                    ],
                    self.spec.origin,
                )
            shared = _SHARED.get((self._prefix, key))
            if shared is None:
                try:
                    result = lifecycle.run(self.model, self.scenario, overrides=overrides or None)
                except ModelError as exc:
                    raise _chosen(exc, choices, self.spec) from None
                shared = measure(result, self.spec.years, self.activity, self.rap)
                if len(_SHARED) >= MAX_SHARED:
                    _SHARED.pop(next(iter(_SHARED)))
                _SHARED[self._prefix, key] = shared
            self.cache[key] = shared
            self._tell(len(self.cache), max(len(self.cache), self.most))
        return self.cache[key]

    def paced(self, items: Iterable[_T]) -> Iterator[_T]:
        """``items`` one by one, each told to :attr:`pace` as ``(done, of)`` before it is
        taken: a loop of simulations whose length is known (every combination, every joint
        option), where :attr:`progress` tells only the most there may be — a budgeted
        caller (:func:`junkan.core.budget.pacer`) stops one that cannot end in time at
        once, not at its budget (review 244: 14,641 joint options held a worker 300 s)."""
        every = list(items)
        for done, item in enumerate(every):
            if self.pace is not None:
                self.pace(done, len(every))
            yield item

    def expect(self, more: int) -> None:
        """At most ``more`` simulations are still to come: the total told with each one is
        the most there may be, so it only ever tightens."""
        self.most = min(self.most, len(self.cache) + more)

    def finish(self) -> None:
        """The work is done: tell the simulations run as the total (the bar ends full)."""
        self._tell(len(self.cache), len(self.cache))

    def _tell(self, done: int, most: int) -> None:
        if self.progress is not None and (done, most) != self._told:
            self._told = (done, most)
            self.progress(done, most)


def _chosen(exc: ModelError, choices: Sequence[Choice], spec: OptimiseSpec) -> ModelError:
    """``exc`` with, on each problem at a path an option sets, the decision and option of
    the optimisation spec that set it, and where the spec gives it (review 218: the spec's
    file and the decision's place were not named). A field the model's schema does not know
    is the spec's mistake: said in the spec, at the decision's parameter or option (review
    248: 'collection.rte' blamed the model file and the option's value)."""
    problems, misspelt = [], []
    for q in exc.problems:
        by = [c for c in choices if any(_related(q.path, k) for k in c.overrides)]
        if len({c.decision for c in by}) > 1:  # review 251: one option was blamed
            named = " and ".join(f"option {short(c.label)} of decision {short(c.decision)}"
                                 for c in by)
            problems.append(dataclasses.replace(
                q, message=f"{q.message}; set by {named} together in the optimisation spec "
                f"({spec.origin}): every combination of the decisions' options is tried, so "
                "make them one decision whose options set both fields (options: {name: "
                "{set: {…}}}) and leave out the combinations the model refuses",
                kind="", limits=None))
            continue
        if by:
            c = by[0]
            at = next((i for i, d in enumerate(spec.decisions) if d.name == c.decision), None)
            if at is not None and q.kind in ("unknown-field", "extra_forbidden"):
                d = spec.decisions[at]
                field = "parameter" if d.parameter else f"options.{c.label}.set"
                misspelt.append(Problem(f"decisions[{at}].{field}", f"{short(q.path)}: "
                                        f"{q.message}, in the model {short(exc.source)}"))
                continue
            where = f" ({spec.origin}:decisions[{at}])" if at is not None else ""
            q = dataclasses.replace(
                q,
                message=f"{q.message}; set by option {short(c.label)} of decision "
                f"{short(c.decision)}{where} in the optimisation spec: its options must lie "
                "within the field's limits",
                kind="",
                limits=None,
            )
        problems.append(q)
    return ModelError(misspelt, spec.origin) if misspelt else ModelError(problems, exc.source)


def _label(value: Any) -> str:
    """An option's label for a value: a text as written (``0.5 kJPY/piece``, not
    ``'0.5 kJPY/piece'`` with Python's quotes: review 251), anything else as ``short``
    writes it; at most about 40 characters."""
    return value if isinstance(value, str) and len(value) <= 40 else short(value, 40)


def _related(problem: str, override: str) -> bool:
    """Whether a problem's path is an override's document path, inside it or above it. The
    problem's path is compared as text: it need not be a document path (a sink named
    ``landfill.`` in an option's mix gives ``….uncollected.landfill.``)."""
    if not problem:
        return False
    path = format_path(path_tokens(override))  # as the loader writes paths ([07] → [7])
    return any(a == b or a.startswith((b + ".", b + "[")) for a, b in
               ((problem, path), (path, problem)))


def field_unit(model: lifecycle.ModelFile, spec: OptimiseSpec, k: int) -> str:
    """The unit the model writes decision ``k``'s parameter in (``""`` for a bare number
    or a field the model leaves out); ModelError naming the spec's ``decisions[k].parameter``
    when its path leads to nothing in the model (an unknown product, process, material or
    list item)."""
    path = spec.decisions[k].parameter
    assert path is not None
    scenario = spec.scenario or model.baseline.baseline_name
    node: Any = scenario_document(model.raw, scenario, model.source) if (
        scenario in model.scenarios) else model.raw
    for depth, key in enumerate(path_tokens(path)):
        if isinstance(key, int):
            found = isinstance(node, list) and key < len(node)
        else:
            found = isinstance(node, dict) and key_in(node, key) in node
            key = key_in(node, key) if found else key
        if not found:
            if depth >= 2 and not isinstance(key, int):
                return ""  # an optional field the model leaves out: set as written
            raise ModelError([coded(f"decisions[{k}].parameter", "parameter-not-in-named-model",
                                    "{parameter} does not exist in the model ({model}); check "
                                    "it against the model file", parameter=short(path),
                                    model=short(model.source))], spec.origin)
        node = node[key]
    return (written_unit(node) or "") if isinstance(node, str) else ""


def reference(expanded: list[Expanded]) -> list[Choice]:
    """The reference combination: each decision's first option (a range's first level)."""
    return [e.choices[0] for e in expanded]


def expand(model: lifecycle.ModelFile, spec: OptimiseSpec) -> list[Expanded]:
    """Each decision's choices as overrides; paths of different decisions must not overlap."""
    out = []
    for k, d in enumerate(spec.decisions):
        if d.options is not None:
            choices = []
            for name, opt in d.options.items():
                if opt.scenario is not None and opt.scenario not in model.scenarios:
                    raise ModelError(
                        [
                            Problem(
                                f"decisions[{k}].options.{name}.scenario",
                                f"unknown scenario {short(opt.scenario)}; the model has: "
                                f"{', '.join(model.scenarios)}",
                            )
                        ],
                        spec.origin,
                    )
                ov = scenario_set(model.raw, opt.scenario, model.source) if opt.scenario else {}
                ov.update(opt.set)
                choices.append(Choice(name, ov, decision=d.name))
            out.append(Expanded(d, choices))
        elif d.range is not None:
            unit = field_unit(model, spec, k)
            try:
                bounds = d.range_in(unit)
            except ValueError as exc:
                raise ModelError([Problem(f"decisions[{k}].range", str(exc))],
                                 spec.origin) from None
            e = Expanded(d, [], bounds, unit)
            e.choices = [e.at(bounds[0]), e.at(bounds[1])]
            out.append(e)
        else:
            assert d.parameter is not None and d.values is not None
            unit = field_unit(model, spec, k)  # the path exists
            nums = values_in(d.values, unit, k, spec.origin)
            out.append(Expanded(d, [
                Choice(_label(v), {d.parameter: v}, v, d.name) if x is None else Choice(
                    _label(x[0]), {d.parameter: x[1]}, x[2], d.name, unit)
                for v, x in zip(d.values, nums, strict=True)]))
    clash = _overlapping({(e.decision.name, p) for e in out for c in e.choices
                          for p in c.overrides}, model.raw)
    if clash is not None:  # named in the spec's order
        order = [d.name for d in spec.decisions]
        (a, p), (b, q) = sorted(clash, key=lambda dp: order.index(dp[0]))
        raise ModelError([Problem("decisions", f"decisions {a!r} and {b!r} both set "
                                  f"{short(p)} / {short(q)}; merge them into one decision")],
                         spec.origin)
    return out


def _overlapping(paths: set[tuple[str, str]], doc: dict[str, Any]
                 ) -> tuple[tuple[str, str], tuple[str, str]] | None:
    """Two (decision, path) of different decisions where one path is the other or inside
    it in ``doc`` however written (``sales.02020`` is ``sales.2020`` of ``sales: {2020: …}``,
    review 258), or ``None``. Sorted by their tokens, a path's extensions follow it
    directly: each is compared with those alone (every pair of 4,000 paths took 25 s,
    review 212)."""
    keyed = sorted(((token_key(p, doc), d, p) for d, p in paths), key=lambda x: x[0])
    for i, (tokens, d, p) in enumerate(keyed):
        for later, d2, p2 in keyed[i + 1:]:
            if later[:len(tokens)] != tokens:
                break
            if d2 != d:
                return (d, p), (d2, p2)
    return None


@dataclass
class Surrogate:
    """The additive model: reference figures, blocks and what the checks found."""

    names: list[str]
    f0: np.ndarray
    expanded: list[Expanded]
    blocks: list[Block]
    checks: dict[str, Any]
    relevant: np.ndarray  # mask of the figures objectives and constraints use

    def scale(self, sim: Simulator) -> np.ndarray:
        runs = np.array([[f.get(n, 0.0) for n in self.names] for f in sim.cache.values()])
        return np.abs(runs).max(axis=0) * self.relevant


def tests(expanded: list[Expanded]) -> int:
    """The simulations :func:`build` runs to test the options' effects: the reference, each
    option alone, each range's midpoint and each pair of options of two decisions."""
    return _tests([len(e.choices) - 1 for e in expanded],
                  sum(e.bounds is not None for e in expanded))


def spec_tests(spec: OptimiseSpec) -> int:
    """:func:`tests` from the spec alone, before its decisions are expanded (which reads
    every option's paths: 70 s for a spec refused after it, review 212)."""
    sizes = [len(d.options) - 1 if d.options is not None else 1 if d.range is not None
             else len(d.values or ()) - 1 for d in spec.decisions]
    return _tests(sizes, sum(d.range is not None for d in spec.decisions))


def _tests(sizes: list[int], ranges: int) -> int:
    """The reference, each option alone (``sizes``: options besides the first, per
    decision), each range's midpoint, and each pair of options of two decisions."""
    pairs = (sum(sizes) ** 2 - sum(a * a for a in sizes)) // 2  # Σ over pairs of a·b
    return 1 + sum(sizes) + ranges + pairs


def planned(expanded: list[Expanded]) -> int:
    """The most simulations :func:`build` may run: :func:`tests`, and the joint options of
    the blocks (at most all decisions in one block, or each alone)."""
    levels = [len(e.levels()) for e in expanded]
    return tests(expanded) + math.prod(levels) + sum(levels)


def check_tests(spec: OptimiseSpec) -> None:
    """ModelError, before anything runs (the decisions are not even expanded), if testing
    the options' effects would take more than ``max_tests`` simulations (at most
    :data:`MAX_SIMULATIONS`: a spec with 24,321 tests and ``max_tests: 30000`` used to run
    for five minutes, then stop at that cap, 2026-12-05)."""
    n, limit, origin = spec_tests(spec), spec.max_tests, spec.origin
    if n > limit:
        raise_it = "" if limit >= MAX_SIMULATIONS else ", or raise max_tests"
        raise ModelError([Problem("decisions", f"testing the options' effects would take {n:,} "
                                  f"simulations (each option alone and each pair of options of "
                                  f"two decisions), more than max_tests ({limit:,}): give "
                                  f"fewer decisions or values (or fewer steps of a range)"
                                  f"{raise_it}")], origin)


def build(sim: Simulator, expanded: list[Expanded], relevant: set[str],
          after: int = 0) -> Surrogate:
    """Measure reference, single and pairwise effects; merge interacting decisions.
    ``after``: the most simulations the caller may run once the model is built (for the
    total that progress is told)."""
    tol = sim.spec.tolerance
    ref = reference(expanded)
    fig0 = sim(ref)
    singles: dict[tuple[int, int], dict[str, float]] = {}
    for i, e in enumerate(expanded):
        for j in range(1, len(e.choices)):
            singles[i, j] = sim(ref[:i] + [e.choices[j]] + ref[i + 1 :])
    mids = {}
    for i, e in enumerate(expanded):
        if e.bounds is not None:
            mids[i] = sim(ref[:i] + [e.at(sum(e.bounds) / 2)] + ref[i + 1 :])
    pairs = {}
    tests = [(i, j, k, m) for i, k in itertools.combinations(range(len(expanded)), 2)
             for j in range(1, len(expanded[i].choices))
             for m in range(1, len(expanded[k].choices))]
    for i, j, k, m in sim.paced(tests):  # most of the tests: paced (review 244)
        both = list(ref)
        both[i], both[k] = expanded[i].choices[j], expanded[k].choices[m]
        pairs[i, j, k, m] = sim(both)
    names = sorted(set().union(*sim.cache.values()))
    vec = {key: np.array([f.get(n, 0.0) for n in names]) for key, f in sim.cache.items()}
    mask = np.array([n in relevant for n in names], dtype=float)

    def arr(f: dict[str, float]) -> np.ndarray:
        return np.array([f.get(n, 0.0) for n in names])

    scale = np.abs(np.array(list(vec.values()))).max(axis=0) * mask
    f0 = arr(fig0)
    nonlinear, interacting = [], []
    for i, f in mids.items():
        hi = arr(singles[i, 1])
        dev = deviation(arr(f), (f0 + hi) / 2, scale)
        if dev > tol:
            nonlinear.append({"decision": expanded[i].decision.name, "deviation": dev})
    parent = list(range(len(expanded)))

    def root(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for (i, j, k, m), f in pairs.items():
        dev = deviation(arr(f), arr(singles[i, j]) + arr(singles[k, m]) - f0, scale)
        if dev > tol:
            interacting.append(
                {
                    "decisions": [expanded[i].decision.name, expanded[k].decision.name],
                    "deviation": dev,
                }
            )
            parent[root(i)] = root(k)
    groups: dict[int, list[int]] = {}
    for i in range(len(expanded)):
        groups.setdefault(root(i), []).append(i)
    linear_ranges = {i for i, e in enumerate(expanded) if e.bounds is not None} - {
        i for i, e in enumerate(expanded) for n in nonlinear if n["decision"] == e.decision.name
    }
    sim.expect(after + sum(most_simulations(expanded, g, linear_ranges)
                           for g in groups.values()))
    blocks = [block(sim, expanded, ref, g, linear_ranges, f0, arr, scale)
              for g in groups.values()]
    checks = {
        "nonlinear_ranges": nonlinear,
        "ranges_at_levels": at_levels(blocks, expanded, linear_ranges),
        "ranges_continuous_in_blocks": continuous_in_blocks(blocks, expanded),
        "interactions": _strongest(interacting),
        "pairs_tested": len(pairs),
        "ranges_tested": len(mids),
    }
    return Surrogate(names, f0, expanded, blocks, checks, mask)


def _strongest(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    best: dict[tuple[str, ...], dict[str, Any]] = {}
    for it in items:
        key = tuple(it["decisions"])
        if key not in best or it["deviation"] > best[key]["deviation"]:
            best[key] = it
    return list(best.values())
