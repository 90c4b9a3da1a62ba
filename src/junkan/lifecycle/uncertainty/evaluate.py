"""Headline figures, totals and per-actor figures of every scenario for many parameter
draws at once — the function that uncertainty, sensitivity and calibration all evaluate.

Per scenario, each chunk of runs is compiled through the exact multilinear form of
:mod:`~.family` (or run by run when a parameter is not multilinear), simulated by the
engine itself with a run axis (:class:`~junkan.lifecycle.engine.Runs`: every run in one
pass over the years) and summarised by the lifecycle results' own code, every run at once
(:meth:`~junkan.lifecycle.results.Result.of_runs`), so every figure means exactly what
``junkan compare`` prints. The first run of every scenario
is also compiled from its own document and simulated alone; if the two disagree (the
multilinear form missed something) the scenario is simulated run by run (``methods`` says
which path each scenario took)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from junkan.core.errors import JunkanError, ModelError, Problem
from junkan.lifecycle.comparison import headline_values
from junkan.lifecycle.engine import (
    BALANCE_TOLERANCE,
    RawResult,
    mass_balance_error,
    simulate_compiled,
)
from junkan.lifecycle.results import Result
from junkan.lifecycle.uncertainty.batch import CompiledBatch, stack
from junkan.lifecycle.uncertainty.domain import Domain
from junkan.lifecycle.uncertainty.family import (
    Surrogate,
    batch_of,
    compile_run,
    compile_runs,
    surrogate,
)
from junkan.lifecycle.uncertainty.figures import figure_problem
from junkan.lifecycle.uncertainty.sampling import draw
from junkan.lifecycle.uncertainty.study import Study, covers, locate

CHUNK = 250
"""Most runs simulated together (arrays grow with years × items × runs)."""
PER_RUN_CHUNK = 25
"""Runs of the first chunk where a scenario is compiled run by run (each run's compilation,
not the batch, takes the time): the progress is told after 25 runs, not 250."""
CHUNK_SECONDS = 2.0
"""About how long each later chunk of such a study takes (at least :data:`PER_RUN_CHUNK`
runs, at most :func:`chunk_size`): the bar moves every two seconds or so, and the batches
stay large enough for the multilinear scenarios beside (1,000 runs of atm_reuse with three
multilinear scenarios and one compiled per run: 6.1–6.7 s in chunks of 250, 6.5–7.0 s so;
in chunks of 25 all along, 60 % more: review 252)."""
CHUNK_BYTES = 512 * 2**20
"""Memory a chunk's simulation may take (estimated); a large model gets smaller chunks."""
VERIFY_RTOL = 1e-7
YEARLY = ("co2e_t", "virgin_input_t", "recycled_share")
"""The network's figures kept per year and run by :func:`~.montecarlo.propagate` (its fan
charts over the years): three, so that 100,000 runs of 50 years and 3 scenarios take 360 MB
(every figure of :meth:`~junkan.lifecycle.results.Result.indicator_series`: 1.7 GB)."""
_RAW_ARRAYS = [
    f.name
    for f in dataclasses.fields(RawResult)
    if f.name not in ("compiled", "scenario", "balance_error")
]


@dataclass
class Outputs:
    """Figures per scenario, each an array over runs; ``yearly``: the figures of
    :data:`YEARLY` per scenario, each runs × the scenario's years (when asked for)."""

    headline: dict[str, dict[str, np.ndarray]]
    totals: dict[str, dict[str, np.ndarray]]
    actors: dict[str, dict[str, dict[str, np.ndarray]]]
    methods: dict[str, str] = field(default_factory=dict)
    yearly: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    @property
    def runs(self) -> int:
        first = next(iter(self.totals.values()))
        return len(next(iter(first.values())))

    def figure(self, scenario: str, name: str) -> np.ndarray:
        """``headline_key`` or ``totals.<key>`` or ``actors.<actor>.<key>`` over runs."""
        if name.startswith("totals."):
            return self.totals[scenario][name[7:]]
        if name.startswith("actors."):
            actor, key = name[7:].rsplit(".", 1)
            return self.actors[scenario][actor][key]
        return self.headline[scenario][name]

    @staticmethod
    def concat(parts: list[Outputs]) -> Outputs:
        def cat(dicts: list[dict[str, Any]]) -> dict[str, Any]:
            return {
                k: cat([d[k] for d in dicts])
                if isinstance(dicts[0][k], dict)
                else np.concatenate([d[k] for d in dicts])
                for k in dicts[0]
            }

        methods: dict[str, str] = {}
        for p in parts:
            for s, m in p.methods.items():
                methods[s] = m if methods.get(s, m) == m else "mixed"
        return Outputs(
            cat([p.headline for p in parts]),
            cat([p.totals for p in parts]),
            cat([p.actors for p in parts]),
            methods,
            cat([p.yearly for p in parts]),
        )


def run_bytes(study: Study) -> int:
    """Estimated memory of one run's simulation: its result arrays (years × products,
    parts, replacements, materials, sinks, processes, edges), twice for the engine's own."""
    c = study.model.compiled[study.model.baseline.baseline_name]
    width = (
        6 * len(c.products)
        + 5 * len(c.parts)
        + len(c.repl_inst)
        + 3 * len(c.materials)
        + len(c.sinks)
        + 2 * len(c.processes.names)
        + len(c.edges)
        + 4
    )
    return 2 * 8 * len(c.years) * width


def chunk_size(study: Study) -> int:
    """Runs per chunk: :data:`CHUNK`, fewer when that many runs of the model would take
    more than :data:`CHUNK_BYTES` (:func:`run_bytes`)."""
    return int(max(1, min(CHUNK, CHUNK_BYTES // max(run_bytes(study), 1))))


class Evaluator:
    """Evaluates draws of a study; keeps each scenario's multilinear form between calls."""

    def __init__(self, study: Study, *, verify: bool = True,
                 progress: Callable[[int, int], None] | None = None,
                 yearly: tuple[str, ...] = ()) -> None:
        self.study = study
        self.yearly = yearly
        """The figures kept per year and run (:data:`YEARLY`; none: totals only)."""
        self.verify = verify
        self.progress = progress
        """Told ``(runs done, runs)`` of an :meth:`evaluate` call after each chunk."""
        self.domain = Domain(study)
        """Checks every draw against its field's limits before it is evaluated."""
        self.surrogates: dict[str, Surrogate | None] = {}
        self.engine_only: set[str] = set()
        self.verified: set[str] = set()

    def _points(self, scenario: str) -> tuple[np.ndarray, ...]:
        st = self.study
        base = st.bindings[scenario]
        theta0 = np.array(
            [1.0 if p.relative else b.nominal for p, b in zip(st.parameters, base, strict=True)]
        )
        probe, second = theta0.copy(), theta0.copy()
        for i, (p, m) in enumerate(zip(st.parameters, st.marginals, strict=True)):
            if m.fixed:
                lo, hi = p.range if p.range is not None else (theta0[i] * 0.5, theta0[i] * 1.5)
                cand = [hi, lo, 0.5 * (lo + hi)]
            else:
                cand = [float(x) for x in m.ppf(np.array([0.9, 0.1, 0.3, 0.7]))]
            cand = [c for c in cand if c != theta0[i]] or [theta0[i] + 1.0]
            probe[i] = cand[0]
            second[i] = cand[1] if len(cand) > 1 else 0.5 * (theta0[i] + cand[0])
        return theta0, probe, second

    def _batch(self, scenario: str, theta: np.ndarray) -> CompiledBatch | None:
        if scenario not in self.surrogates:
            theta0, probe, second = self._points(scenario)
            # the first rows asked for; where they are the nominal point (a sensitivity or a
            # calibration asks for it first), where the form is exact by construction and
            # that check proves nothing, two draws of the distributions (review 250)
            checks = theta[: min(2, len(theta))]
            if all(np.allclose(row, theta0) for row in checks):
                checks = np.vstack([checks, draw(self.study, 2, seed=0)])
            self.surrogates[scenario] = (
                surrogate(
                    self.study,
                    scenario,
                    self.study.model.compiled[scenario],
                    theta0,
                    probe,
                    second,
                    checks,
                )
                if self.study.active(scenario)
                else None
            )
        sur = self.surrogates[scenario]
        if sur is not None:
            return sur.batch(theta)
        if not self.study.active(scenario):  # no parameter acts here: one compiled form
            b = stack([self.study.model.compiled[scenario]])
            b.runs = len(theta)
            return b
        return batch_of(compile_runs(self.study, scenario, theta))

    def prepare(self, theta: np.ndarray) -> Evaluator:
        """Build every scenario's compiled form now (before shipping to other workers)."""
        theta = np.atleast_2d(np.asarray(theta, dtype=float))
        for s in self.study.scenarios:
            if s not in self.surrogates:
                self._batch(s, theta[:2])
        return self

    def simulated(self, scenario: str, theta: np.ndarray) -> Simulated:
        """Every run of ``scenario`` (``theta``: runs × parameters): simulated together,
        or each alone where that is not possible (:attr:`engine_only`)."""
        st = self.study
        if scenario not in self.engine_only:
            b = self._batch(scenario, theta)
            if b is not None:
                raw = simulate_compiled(b.base, scenario, runs=b.engine_runs(), check_balance=False)
                if (
                    not self.verify
                    or scenario in self.verified
                    or self._agrees(scenario, theta[0], raw.run(0, b.per_run(0)))
                ):
                    _check_balance(raw)  # every run at once
                    return Simulated(raw, b)
            self.engine_only.add(scenario)
        return Simulated(None, None, [simulate_compiled(compile_run(st, scenario, th), scenario)
                                      for th in theta])

    def _agrees(self, scenario: str, theta: np.ndarray, run: RawResult) -> bool:
        ref = simulate_compiled(compile_run(self.study, scenario, theta), scenario)
        self.verified.add(scenario)  # once per evaluator and scenario
        return all(
            np.allclose(
                getattr(run, n),
                getattr(ref, n),
                rtol=VERIFY_RTOL,
                atol=VERIFY_RTOL * max(1.0, float(np.abs(getattr(ref, n)).max(initial=0.0))),
            )
            for n in _RAW_ARRAYS
        )

    def check(self, theta: np.ndarray) -> None:
        """ModelError naming the field and the parameter if a row of ``theta`` holds a value
        its field refuses (:class:`~.domain.Domain`); :meth:`evaluate` checks its own."""
        try:
            self.domain.check(np.atleast_2d(np.asarray(theta, dtype=float)))
        except ModelError as exc:
            raise _drawn(exc, self.study) from None

    def evaluate(self, theta: np.ndarray) -> Outputs:
        """Figures of every scenario for each row of ``theta``, in chunks of runs."""
        theta = np.atleast_2d(np.asarray(theta, dtype=float))
        if not np.isfinite(theta).all():
            raise JunkanError("parameter draws must be finite numbers")
        try:
            self.domain.check(theta)  # the multilinear form itself validates nothing
            most = chunk_size(self.study)
            # a scenario compiled run by run: a first chunk of a few runs (the bar moves,
            # review 248), then chunks of about CHUNK_SECONDS (review 252: chunks of 25 all
            # along slowed a study's multilinear scenarios by 60 %)
            paced = self._per_run(theta)
            size, i, parts = (min(most, PER_RUN_CHUNK) if paced else most), 0, []
            while i < len(theta):
                t0 = time.perf_counter()
                parts.append(self._chunk(theta[i : i + size]))
                i += size
                if self.progress is not None:
                    self.progress(min(i, len(theta)), len(theta))
                if paced:
                    spent = max(time.perf_counter() - t0, 1e-6)
                    size = int(min(most, max(PER_RUN_CHUNK, size * CHUNK_SECONDS / spent)))
        except ModelError as exc:
            raise _drawn(exc, self.study) from None
        return Outputs.concat(parts)

    def _per_run(self, theta: np.ndarray) -> bool:
        """Whether a scenario is compiled run by run (its multilinear form, built here
        from the first draws if not yet, missing) or simulated so — checked here on the
        first draw, so that a scenario found to disagree is paced from the first chunk on
        (review 252: it was found in the first chunk, then simulated 250 runs alone)."""
        self.prepare(theta[:2])
        if self.verify:
            for s in self.study.scenarios:
                if s not in self.verified and s not in self.engine_only:
                    self.simulated(s, theta[:1])
        return bool(self.engine_only) or any(
            self.surrogates.get(s) is None and self.study.active(s) for s in self.study.scenarios)

    def _chunk(self, theta: np.ndarray) -> Outputs:
        st = self.study
        sims = {s: self.simulated(s, theta) for s in st.scenarios}
        if all(sim.raw is not None for sim in sims.values()):  # every figure of every run
            head, tots, acts, per_year = _figures(
                st, {s: sim.result() for s, sim in sims.items()}, self.yearly)
        else:  # some scenario simulated run by run: its runs may differ in structure
            each = []
            for r in range(len(theta)):
                for sim in sims.values():
                    if sim.raw is None and sim.alone[r].balance_error == 0.0:
                        _check_balance(sim.alone[r])
                each.append(_figures(st, {s: Result(sim.run(r)) for s, sim in sims.items()},
                                     self.yearly))
            head, tots, acts, per_year = (_stacked([e[i] for e in each]) for i in range(4))
        methods = {
            s: (
                "fixed (no drawn parameter acts here)"
                if not st.active(s)
                else "engine"
                if s in self.engine_only
                else "multilinear"
                if self.surrogates.get(s) is not None
                else "compiled per run"
            )
            for s in st.scenarios
        }
        return Outputs(head, tots, acts, methods, per_year)


@dataclass
class Simulated:
    """The runs of one scenario: simulated together (``raw``, with ``batch``, their compiled
    form) or each alone (``alone``)."""

    raw: RawResult | None
    batch: CompiledBatch | None
    alone: list[RawResult] = field(default_factory=list)

    def result(self) -> Result:
        """Every run's result at once (runs simulated together only)."""
        assert self.raw is not None and self.batch is not None
        return Result.of_runs(self.raw, self.batch.per_run())

    def run(self, r: int) -> RawResult:
        """Run ``r``'s own result."""
        if self.raw is None or self.batch is None:
            return self.alone[r]
        return self.raw.run(r, self.batch.per_run(r))


Figures = tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]


def _figures(st: Study, results: dict[str, Result], yearly: tuple[str, ...]) -> Figures:
    """Headline figures, totals, actor figures and the ``yearly`` series of every scenario
    (``results``: each scenario's runs together, or one run), by the lifecycle results'
    own code: each an array over the runs (or of one value)."""
    model = st.model.baseline
    base = model.baseline_name
    head: dict[str, dict[str, np.ndarray]] = {s: {} for s in st.scenarios}
    tots: dict[str, dict[str, np.ndarray]] = {}
    acts: dict[str, dict[str, dict[str, np.ndarray]]] = {}
    per_year: dict[str, dict[str, np.ndarray]] = {}
    for s, res in results.items():
        for key, h in model.headline.items():
            if h.scenarios is None or s in h.scenarios:
                head[s][key] = headline_values(h, results, s, base)
        tots[s] = res.totals_runs()
        if yearly:
            series = res.indicator_series()
            per_year[s] = {key: series[key] for key in yearly}
        acts[s] = res.by_actor_runs()
    return head, tots, acts, per_year


def _stacked(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Nested dicts of one run's figures each, as one of arrays over the runs."""
    first = parts[0]
    return {k: _stacked([p[k] for p in parts]) if isinstance(first[k], dict)
            else np.stack([np.asarray(p[k], dtype=float) for p in parts]) for k in first}


def check_draws(st: Study) -> None:
    """ModelError, as an analysis gives it, if a distribution can draw a value its field
    refuses: each parameter at the most extreme values the sampler draws (its quantiles
    1e-12 and 1 − 1e-12, :meth:`~.distributions.Marginal.ppf`), its fields validated and
    its scenarios compiled there (:class:`~.domain.Domain`). What ``junkan validate`` checks
    of a model's own section without simulating: a uniform from -0.5 on a rate passed it,
    then every analysis refused it."""
    ends = np.array([st.nominal()] * 2)
    for i, m in enumerate(st.marginals):
        if not m.fixed:
            ends[:, i] = m.ppf(np.array([0.0, 1.0]))  # clipped to the quantiles drawn
    try:
        Domain(st).check(ends)
    except ModelError as exc:
        raise _drawn(exc, st) from None


def _drawn(exc: ModelError, st: Study) -> ModelError:
    """``exc`` with a hint on each problem at an uncertain parameter's path: the value is a
    draw of its distribution, which has to stay within the field's limits."""
    source, prefix = locate(st.model, st.section)
    problems = []
    for q in exc.problems:
        # the parameter at the problem's path (a field's limit), else those under it (a rule
        # across fields: a mix's shares no longer summing to 1)
        own = [i for i, p in enumerate(st.parameters) if p.parameter == q.path]
        at = own or [i for i, p in enumerate(st.parameters) if covers(q.path, p.parameter)]
        if at:
            which = " and ".join(f"{source}:{prefix}parameters[{i}]" for i in at)
            ranged = [r for i in own if (r := st.parameters[i].range) is not None]
            ends = [(p.min, p.max) for i in own if not (p := st.parameters[i]).relative
                    and p.min is not None and p.max is not None]
            fix = (f"its 'range' {list(ranged[0])} goes beyond the field's limits: give one "
                   "inside them" if ranged  # review 218: it had a range already
                   else f"its 'min' … 'max' {list(ends[0])} goes beyond the field's limits: "
                   "give them inside" if ends  # a bounded distribution (review 241, low)
                   else "bound its distribution with 'range' (low, high) inside the field's "
                   "limits" if own
                   else "every draw must keep this rule: draw the fields it relates so "
                   "that they do")  # a range cannot (review 221)
            if any(st.parameter_unit(i) == "%" for i in own):  # review 224
                fix += (" (the model writes this share in %, so its draws are in %: the "
                        "limits 0 … 1 are 0 … 100 %)")
            q = dataclasses.replace(
                q,
                message=f"{q.message}; the value is a draw of {which}: {fix}",
                kind="",
                limits=None,
            )
        problems.append(q)
    return ModelError(problems, exc.source)


def figure_problems(ev: Evaluator, wanted: list[tuple[str, str, str]]) -> list[Problem | None]:
    """For each ``(scenario, figure, path)`` (a headline key, ``totals.<key>`` or
    ``actors.<actor>.<key>``): ``None`` if the model computes it, else the problem at
    ``path`` (:func:`~.figures.figure_problem`). Evaluates the nominal draw once (its
    compiled forms are kept)."""
    st = ev.study
    out = ev.evaluate(st.nominal()[None, :])
    return [figure_problem(out, st.scenarios, s, f, path) for s, f, path in wanted]


def _check_balance(raw: RawResult) -> None:
    raw.balance_error = err = mass_balance_error(raw)
    if not err <= BALANCE_TOLERANCE:
        raise JunkanError(
            f"internal error: mass balance off by {err:.3g} (relative) in "
            f"scenario '{raw.scenario}' of a parameter draw; the draw may "
            "leave the plausible range of a parameter"
        )
