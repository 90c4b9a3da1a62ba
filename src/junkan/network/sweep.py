"""Many planning questions on one network — the cost–CO2 Pareto front, carbon-price and
collection-rate sensitivities — answered fast and consistently:

1. the base plan and the CO2-minimal plan first (two worker processes);
2. every other question in parallel, each warm-started from the best of the known hub
   configurations (its flows solved exactly for that question's prices, cap and supply);
3. a cross-check: every hub configuration found is evaluated exactly (an LP) under every
   question, and a question keeps the best. Each answer is therefore at least as good as
   every other plan found, so curves are monotone where theory says they must be, and a
   difference between two answers that share hubs is exact, not solver noise.

Progress events (``task``, ``state``, ``elapsed``, ``gap``, ``objective``, ``bound``) are
sent to the caller from the workers."""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from junkan.network.formulation import formulate
from junkan.network.model import Network
from junkan.network.plan import Plan, evaluate, plan_from, quiet_stdout, solve

Event = dict[str, Any]
Listener = Callable[[Event], None]


@dataclass(frozen=True)
class Question:
    """One planning question: prices, cap, objective and collection multiplier."""

    label: str
    kind: str  # plan | greenest | pareto | carbon_price | collection_rate
    value: float | None = None
    carbon_price: float | None = None
    co2_cap_t: float | None = None
    minimise: str = "cost"
    rate: float = 1.0

    def key(self, net: Network) -> tuple[Any, ...]:
        sc = net.scenario
        price = sc.carbon_price if self.carbon_price is None else self.carbon_price
        cap = sc.co2_cap_t if self.co2_cap_t is None else self.co2_cap_t
        return (0.0 if self.minimise == "co2" else price, cap, self.minimise, self.rate)


def _scaled(net: Network, rate: float) -> Network:
    return net if rate == 1.0 else replace(net, collected=net.collected * rate)


_NET: Network | None = None
_EVENTS: Any = None


def _init(net: Network, events: Any) -> None:
    global _NET, _EVENTS
    _NET, _EVENTS = net, events


def _emit(event: Event) -> None:
    if _EVENTS is not None:
        _EVENTS.put(event)


def _strip(plan: Plan) -> Plan:
    plan.network = None  # the parent re-attaches its own copy (saves pickling it back)
    return plan


def _answer(index: int, q: Question, starts: Sequence[tuple[int, ...]], gap: float,
            time_limit: float) -> Plan:
    """Worker: warm start from the best of ``starts``, solve, polish."""
    assert _NET is not None
    net = _scaled(_NET, q.rate)
    _emit({"index": index, "task": q.label, "state": "start"})
    start = None
    if starts:
        form = formulate(net, carbon_price=0.0 if q.minimise == "co2" else q.key(net)[0],
                         co2_cap_t=q.key(net)[1], minimise=q.minimise)
        best = None
        for key in starts:
            res = evaluate(net, form, key)
            if res is not None and (best is None or res.objective < best[0]):
                best = (res.objective, key)
        start = best[1] if best else None

    def tick(e: dict[str, float]) -> None:
        _emit({"index": index, "task": q.label, "state": "running", **e})

    plan = solve(net, carbon_price=q.carbon_price, co2_cap_t=q.co2_cap_t, minimise=q.minimise,
                 mip_rel_gap=gap, time_limit=time_limit, start=start, progress=tick,
                 label=q.label)
    _emit({"index": index, "task": q.label, "state": "done", "elapsed": plan.seconds,
           "gap": plan.mip_gap, "objective": plan.objective, "bound": plan.bound,
           "warm": start is not None})
    return _strip(plan)


def _crosscheck(index: int, q: Question, keys: Sequence[tuple[int, ...]],
                own: Plan) -> Plan | None:
    """Worker: the best of ``keys`` for ``q`` if it beats ``own`` (exact LPs)."""
    assert _NET is not None
    net = _scaled(_NET, q.rate)
    price, cap, minimise, _ = q.key(net)
    form = formulate(net, carbon_price=price, co2_cap_t=cap, minimise=minimise)
    best = None
    with quiet_stdout():
        for key in keys:
            if key == own.hubs_key:
                continue
            res = evaluate(net, form, key)
            if res is not None and res.objective < own.objective * (1 - 1e-9) and (
                    best is None or res.objective < best.objective):
                best = res
    if best is None:
        return None
    bound = own.bound
    better = replace(best, bound=bound, optimal=own.stopped == "gap reached",
                     gap=max(0.0, (best.objective - bound) / max(abs(best.objective), 1e-12)),
                     status=f"{own.status}; hubs of another plan are better here (cross-check)")
    plan = plan_from(net, form, better, requested_gap=own.requested_gap, label=q.label)
    plan.seconds, plan.co2_cap_t = own.seconds, own.co2_cap_t
    _emit({"index": index, "task": q.label, "state": "improved", "objective": plan.objective})
    return _strip(plan)


@contextmanager
def _pool(net: Network, workers: int, listener: Listener | None
          ) -> Iterator[Callable[..., Future[Any]]]:
    """``submit(fn, *args)`` running in ``workers`` processes (or inline for 1), with worker
    events forwarded to ``listener`` from a background thread."""
    if workers <= 1:
        events: queue_mod.Queue[Event] = queue_mod.Queue()
        _init(net, events)

        def submit(fn: Callable[..., Any], *args: Any) -> Future[Any]:
            fut: Future[Any] = Future()
            try:
                fut.set_result(fn(*args))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                fut.set_exception(exc)
            finally:
                while not events.empty() and listener is not None:
                    listener(events.get())
            return fut

        try:
            yield submit
        finally:
            _init(None, None)  # type: ignore[arg-type]
        return
    ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods()
                         else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload([__name__])  # not the CLI's __main__ and all it imports
    mq = ctx.Queue()
    stop = threading.Event()

    def pump() -> None:
        while not stop.is_set():
            try:
                ev = mq.get(timeout=0.1)
            except queue_mod.Empty:
                continue
            if listener is not None:
                listener(ev)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init,
                             initargs=(net, mq)) as ex:
        try:
            yield ex.submit
        finally:
            ex.shutdown(wait=True, cancel_futures=True)
            stop.set()
            thread.join()


class Sweep:
    """Answers of one network kept by question key; :meth:`round` solves new questions in
    parallel (warm-started from every plan known so far), :meth:`crosscheck` lets every
    question try every hub configuration found."""

    def __init__(self, net: Network, gap: float, limit: float,
                 submit: Callable[..., Future[Any]], workers: int = 1,
                 budget: float | None = None) -> None:
        self.net, self.gap, self.limit, self.submit = net, gap, limit, submit
        self.workers = workers
        self.deadline = None if budget is None else time.perf_counter() + budget
        self.plans: dict[tuple[Any, ...], Plan] = {}
        self.questions: dict[tuple[Any, ...], Question] = {}
        self.count = 0

    def _limit(self, n: int, share: float) -> float:
        """Seconds per solve: the time limit, or a fair share of what is left of the
        budget when ``n`` solves share the workers (at least 2 s)."""
        if self.deadline is None:
            return self.limit
        left = self.deadline - time.perf_counter()
        rounds = max(1, -(-n // self.workers))
        return float(min(self.limit, max(2.0, share * left / rounds)))

    def round(self, questions: Sequence[Question], share: float = 1.0) -> None:
        """Solve the new ``questions``; with a budget each gets ``share`` of its fair part
        of the time left."""
        starts = list(dict.fromkeys(p.hubs_key for p in self.plans.values()))
        todo: dict[tuple[Any, ...], Question] = {}
        for q in questions:
            k = q.key(self.net)
            if k not in self.plans and k not in todo:
                todo[k] = q
        futs = {}
        limit = self._limit(len(todo), share)
        for k, q in todo.items():
            futs[k] = self.submit(_answer, self.count, q, starts, self.gap, limit)
            self.count += 1
        for k, f in futs.items():
            self.plans[k] = f.result()
            self.questions[k] = todo[k]

    def crosscheck(self) -> None:
        keys = list(dict.fromkeys(p.hubs_key for p in self.plans.values()))
        futs = {k: self.submit(_crosscheck, n, q, keys, self.plans[k])
                for n, (k, q) in enumerate(self.questions.items()) if q.minimise == "cost"}
        for k, f in futs.items():
            better = f.result()
            if better is not None:
                self.plans[k] = better

    def get(self, q: Question) -> Plan:
        plan = self.plans[q.key(self.net)]
        plan.network = _scaled(self.net, q.rate)
        return plan


@contextmanager
def sweep(net: Network, *, gap: float | None = None, time_limit: float | None = None,
          workers: int = 2, listener: Listener | None = None,
          budget: float | None = None) -> Iterator[Sweep]:
    """A :class:`Sweep` over ``workers`` processes (1: in this process); ``budget``: seconds
    for all its solves (each then stops at the gap or its share, and says which)."""
    with _pool(net, workers, listener) as submit:
        yield Sweep(net, gap or net.scenario.mip_rel_gap,
                    time_limit or net.scenario.time_limit_s, submit, workers, budget)


def answer(net: Network, questions: Sequence[Question], *, gap: float | None = None,
           time_limit: float | None = None, workers: int = 2,
           listener: Listener | None = None) -> list[Plan]:
    """Answer every question (duplicates solved once): the plan and CO2-minimal questions
    first, the rest warm-started from them, then cross-checked; in the order given."""
    first = [q for q in questions if q.kind in ("plan", "greenest")] or list(questions[:1])
    with sweep(net, gap=gap, time_limit=time_limit, workers=workers, listener=listener) as s:
        s.round(first)
        s.round(questions)
        s.crosscheck()
        return [s.get(q) for q in questions]


def pareto_questions(net: Network, cheapest: Plan, greenest: Plan, points: int
                     ) -> list[Question]:
    hi, lo = cheapest.co2_t, greenest.co2_t
    if _same(hi, lo):  # CO2 cannot vary: the cheapest plan is the whole front
        return []
    caps = [float(c) for c in np.linspace(hi, lo, points)[1:-1]]
    caps.append(lo * (1 + 1e-7) + 1e-9)
    return [Question(f"Pareto: CO2e ≤ {c:,.0f} t", "pareto", c, carbon_price=0.0, co2_cap_t=c)
            for c in caps]


def pareto(net: Network, points: int = 6, *, gap: float | None = None, workers: int = 1,
           listener: Listener | None = None) -> list[Plan]:
    """Cost–CO2 Pareto front by the ε-constraint method: the cost-minimal plan, then
    cost-minimal plans under evenly spaced CO2 caps down to the CO2-minimal level
    (warm-started from the ends, cross-checked)."""
    cheap_q = Question("cheapest (no carbon price)", "plan", carbon_price=0.0)
    green_q = Question("CO2-minimal", "greenest", minimise="co2")
    with sweep(net, gap=gap, workers=workers, listener=listener) as s:
        s.round([cheap_q, green_q])
        qs = pareto_questions(net, s.get(cheap_q), s.get(green_q), points)
        s.round(qs)
        s.crosscheck()
        return distinct([s.get(cheap_q), *(s.get(q) for q in qs)])


def distinct(plans: Sequence[Plan]) -> list[Plan]:
    """The plans whose cost–CO2 point no earlier one has, in order: a front lists each point
    once (review 270: a network whose hubs all emit alike gave the same point four times)."""
    kept: list[Plan] = []
    for p in plans:
        if not any(_same(p.cost, k.cost) and _same(p.co2_t, k.co2_t) for k in kept):
            kept.append(p)
    return kept


def _same(a: float, b: float) -> bool:
    """Equal to a millionth (solver tolerance), in cost or CO2."""
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


FRONT_PRICES = (0.0, 10_000.0, 50_000.0, 100_000.0, 200_000.0, 500_000.0, 1_000_000.0,
                2_000_000.0)
"""Carbon prices (JPY/tCO2e) of the weighted-sum front, first ``points`` of them."""


def price_front_questions(points: int) -> list[Question]:
    """The weighted-sum front: cost-minimal plans under rising carbon prices (supported
    Pareto points; uncapped solves, several times faster than ε-constraint ones)."""
    prices = list(FRONT_PRICES[:points])
    while len(prices) < points:
        prices.append(prices[-1] * 2)
    return [Question(f"carbon price {p:,.0f} JPY/t", "carbon_price", p, carbon_price=p)
            for p in prices]


def sensitivity_questions(carbon_prices: Sequence[float] = (),
                          collection_rates: Sequence[float] = ()) -> list[Question]:
    return ([Question(f"carbon price {p:,.0f} JPY/t", "carbon_price", float(p), carbon_price=p)
             for p in carbon_prices] +
            [Question(f"collection × {r:g}", "collection_rate", float(r), rate=float(r))
             for r in collection_rates])


def sensitivity_rows(questions: Sequence[Question], plans: Sequence[Plan],
                     base: Plan) -> list[dict[str, Any]]:
    """Rows of the sensitivity table, with the change against ``base`` and how it resolves:
    exact when the hubs are the base's (the flows are an LP); otherwise the variant's hubs
    are compared with the base's hubs *under the variant's own prices and supply* (an exact
    LP each), and the change counts as real only when it gains more than the variant's
    solver tolerance (its gap × its objective)."""
    rows = []
    names = {"carbon_price": "carbon_price_JPY_per_tCO2e",
             "collection_rate": "collection_rate_multiplier"}
    for q, p in zip(questions, plans, strict=True):
        same = p.hubs_key == base.hubs_key
        gain = None if same else _gain_over(q, p, base.hubs_key)
        if same:
            resolution = "exact (same hubs, flows an LP)"
        elif gain is None:
            resolution = "hub change needed (the base hubs cannot serve this case)"
        elif gain > p.mip_gap * abs(p.objective):
            resolution = "hub change above solver tolerance"
        else:
            resolution = "hub change within solver tolerance"
        rows.append({"parameter": names.get(q.kind, q.kind), "value": q.value,
                     "cost_JPY": p.cost, "co2_t": p.co2_t, "hubs": len(p.open_hubs),
                     "delta_cost_JPY": p.cost - base.cost, "delta_co2_t": p.co2_t - base.co2_t,
                     "same_hubs_as_base": same, "mip_gap": p.mip_gap,
                     "gain_over_base_hubs_JPY": 0.0 if same else gain,
                     "resolution": resolution, "trunk_t_by_mode": _by_mode(p)})
    return rows


def _gain_over(q: Question, plan: Plan, key: tuple[int, ...]) -> float | None:
    """How much lower ``plan``'s objective is than that of hub configuration ``key`` with
    its best flows, both under ``q``'s prices, cap and supply; None when ``key`` cannot
    serve them."""
    net = plan.network
    if net is None:
        return None
    price, cap, minimise, _ = q.key(net)
    form = formulate(net, carbon_price=price, co2_cap_t=cap, minimise=minimise)
    with quiet_stdout():
        res = evaluate(net, form, key)
    return None if res is None else res.objective - plan.objective


def _by_mode(plan: Plan) -> dict[str, float]:
    out: dict[str, float] = {}
    for f in plan.flows:
        if f["leg"] == "trunk":
            out[f["mode"]] = out.get(f["mode"], 0.0) + f["t"]
    return out


def sensitivity(net: Network, *, carbon_prices: list[float] | None = None,
                collection_rates: list[float] | None = None, gap: float | None = None,
                workers: int = 1, listener: Listener | None = None) -> list[dict[str, Any]]:
    """Cost, CO2 and hubs opened across carbon prices (JPY/tCO2e) and collection-rate
    multipliers (applied to every commodity's collected supply), each with its change
    against the scenario's own plan."""
    qs = [Question("plan", "plan"),
          *sensitivity_questions(carbon_prices or [], collection_rates or [])]
    plans = answer(net, qs, gap=gap, workers=workers, listener=listener)
    return sensitivity_rows(qs[1:], plans[1:], plans[0])


@dataclass
class Study:
    """A plan with its Pareto front and sensitivity rows (``junkan network report``)."""

    plan: Plan
    front: list[Plan]
    rows: list[dict[str, Any]]


def study(net: Network, *, points: int = 5, carbon_prices: Sequence[float] = (),
          collection_rates: Sequence[float] = (), gap: float | None = None,
          time_limit: float | None = None, workers: int = 2,
          listener: Listener | None = None, budget: float | None = None,
          front: str = "price") -> Study:
    """The plan, the Pareto front and the sensitivities: the plan first (and the ends of an
    ε-constraint front, ``front="cap"``), then everything else warm-started and in
    parallel, then cross-checked. ``front="price"`` (the default) draws the front from
    carbon prices (:data:`FRONT_PRICES`), shared with the carbon-price sensitivity; questions
    asked twice are solved once."""
    base_q = Question("plan", "plan")
    cheap_q = Question("carbon price 0 JPY/t", "carbon_price", 0.0, carbon_price=0.0)
    green_q = Question("CO2-minimal", "greenest", minimise="co2")
    sens = sensitivity_questions(carbon_prices, collection_rates)
    with sweep(net, gap=gap, time_limit=time_limit, workers=workers, listener=listener,
               budget=budget) as s:
        if front == "cap":
            s.round([base_q, cheap_q, green_q], share=0.4)
            front_qs = [cheap_q, *pareto_questions(net, s.get(cheap_q), s.get(green_q), points)]
        else:
            s.round([base_q], share=0.4)
            front_qs = price_front_questions(points)
        s.round([*front_qs, *sens])
        s.crosscheck()
        plan = s.get(base_q)
        return Study(plan=plan, front=distinct([s.get(q) for q in front_qs]),
                     rows=sensitivity_rows(sens, [s.get(q) for q in sens], plan))
