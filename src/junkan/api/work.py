"""Heavy work of the service — validating, compiling, simulating, solving, analysing — run
away from the event loop, in budgeted worker processes (:mod:`junkan.core.budget`), so one
request can neither freeze the service nor take all its memory.

The functions named ``*_job`` run inside a worker: they take and return plain picklable
values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.concurrency import run_in_threadpool

from junkan.core import budget
from junkan.core.budget import paced, pacer, report_progress, throttled
from junkan.core.encoding import jsonable
from junkan.core.errors import JunkanError, ModelError
from junkan.store.cards import read_card, write_card
from junkan.store.repo import Store
from junkan.store.tables import ModelVersion


async def offload(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(*args)`` in a budgeted worker process (CPU time, memory, wall clock; see
    :mod:`junkan.core.budget`): the event loop stays free, and a request over its budget
    gets :class:`~junkan.core.budget.BudgetExceeded` (413 memory, 422 time, 503 busy)."""
    return await budget.run_async(fn, *args)


# ---- worker side ---------------------------------------------------------------------------
def card_job(text: str, source: str, upload: bool = False) -> dict[str, Any]:
    """Validate every scenario of a model and summarise it for reading; an ``upload`` also
    has its own uncertainty section checked against the model, as ``junkan validate`` does
    (a stored version's card is made as it was accepted)."""
    from junkan import lifecycle
    from junkan.lifecycle import uncertainty

    mf = lifecycle.load(text=text, source=source)
    if upload:
        uncertainty.check(mf)
    return dict(jsonable({
        "name": mf.name, "title": mf.baseline.title, "scenarios": mf.scenarios,
        "headline": list(mf.baseline.headline), "parameters": mf.parameters(),
        "scenario_parameters": mf.scenario_parameters(), "graph": mf.network()}))


def compare_job(text: str, source: str) -> dict[str, Any]:
    """Every scenario simulated and compared, with indicators."""
    from junkan import indicators, lifecycle

    comparison = lifecycle.compare(lifecycle.load(text=text, source=source),
                                   indicator_hook=indicators.scenario_indicators)
    return dict(jsonable(comparison.to_json()))


def run_check_job(text: str, scenario: str | None, overrides: dict[str, Any] | None,
                  source: str) -> str:
    """Compile the scenario with the overrides (raises ModelError); its name."""
    from junkan.lifecycle import compile_scenario

    compiled = compile_scenario(text, scenario, overrides, source=source)
    return scenario or compiled.model.baseline_name


# ---- service side --------------------------------------------------------------------------
async def validate_upload(text: str) -> dict[str, Any]:
    """The card of an uploaded model (raises ModelError with every problem)."""
    card: dict[str, Any] = await offload(card_job, text, "upload", True)
    return card


async def model_card(store: Store, mv: ModelVersion, source: str) -> dict[str, Any]:
    """The stored card of a version; computed (and stored) once if missing."""
    card = await run_in_threadpool(read_card, store.db, mv.model_id, mv.version)
    if card is None:
        card = await offload(card_job, mv.content, source)
        await run_in_threadpool(write_card, store.db, mv.model_id, mv.version, card)
    return card


async def model_compare(text: str, source: str) -> dict[str, Any]:
    doc: dict[str, Any] = await offload(compare_job, text, source)
    return doc


async def validate_run(text: str, scenario: str | None, overrides: dict[str, Any] | None,
                       source: str) -> str:
    name: str = await offload(run_check_job, text, scenario, overrides, source)
    return name


def flow_indicators_job(text: str, frameworks: list[str]) -> dict[str, Any]:
    """Indicators of a flow model document (raises ModelError / IndicatorInputError)."""
    from junkan import indicators

    result = indicators.run(indicators.load(text=text, source="flows"), frameworks)
    return dict(jsonable(result.to_json()))


def network_job(text: str, carbon_price: float | None,
                gap: float | None = None, stream: bool = False,
                start: tuple[int, ...] | None = None) -> dict[str, Any]:
    """Validate a network scenario, plan hubs and flows (to ``gap``, the scenario's unless
    given), and describe the plan for maps. ``stream``: report each improved plan's summary
    (:func:`junkan.network.progress_document`) and the plan (as the result describes it) as
    the job's progress while it solves. ``start``: an earlier plan's ``hubs_key``, the
    solver's first incumbent (ignored when it does not fit the scenario)."""
    from junkan import network

    def improved(plan: Any) -> None:  # with the plan itself, so a page can draw it at once
        report_progress(jsonable({**network.progress_document(plan),
                                  "plan": plan.to_json(places=True)}))

    plan = network.run(network.load(text=text, source="scenario"), carbon_price=carbon_price,
                       mip_rel_gap=gap, start=start, on_plan=improved if stream else None)
    return dict(jsonable(plan.to_json(places=True)))


def uncertainty_parameters_job(text: str, source: str) -> int | None:
    """How many parameters the model's own ``uncertainty`` section declares; ``-1`` when it
    declares none (no section, an empty one or an empty list: a library template never
    brings one); ``None``
    when the document does not parse or its section is no mapping of a list (the job
    reports those in full)."""
    from junkan.core.documents import parse_document

    try:
        own = parse_document(text, source=source).get("uncertainty")
    except ModelError:
        return None
    if not own:
        return -1
    params = own.get("parameters") if isinstance(own, dict) else None
    if not isinstance(params, list):
        return None
    return len(params) or -1  # 'parameters: []' declares none either (review 266)


def network_check_job(text: str) -> None:
    """Validate a network scenario (ModelError naming the field when it is not one)."""
    from junkan import network

    network.load(text=text, source="scenario")


def network_periods_job(text: str, gap: float | None = None, method: str | None = None,
                        window: int | None = None) -> dict[str, Any]:
    """Validate a network scenario with a ``periods`` section and plan which hubs open,
    expand or close, and when (to ``gap``, the scenario's unless given; ``method`` and
    ``window`` as in :func:`junkan.network.solve_periods`)."""
    from junkan import network

    net = network.load(text=text, source="scenario")
    label = method or ("rolling" if window is not None else "monolithic")

    def tick(ev: dict[str, Any]) -> None:  # the solver's gap, bound and time, as it goes
        report_progress(jsonable({"task": f"multi-period plan ({label})", **ev}))

    return dict(jsonable(network.solve_periods(net, mip_rel_gap=gap, source="scenario",
                                               method=method, window=window,
                                               progress=tick).to_json()))


def foresight_run_job(name: str, levers: dict[str, float], n: int, seed: int) -> dict[str, Any]:
    from junkan.foresight import lever_run, shipped

    return dict(jsonable(lever_run(shipped(name), levers, n, seed)))


def foresight_analyse_job(name: str, n: int, k: Any, seed: int,
                          levers: dict[str, float] | None) -> dict[str, Any]:
    from junkan.foresight import analysis_document, shipped

    def progress(stage: str, done: int, of: int) -> None:
        report_progress({"stage": stage, "done": done, "of": of})

    return dict(jsonable(analysis_document(shipped(name), n, k, seed, levers, progress)))


def alloys_job(kind: str, request: Any) -> dict[str, Any]:
    """One of the alloy verbs (predict, plan, grade, update) on a validated request."""
    from junkan import alloys

    verb: dict[str, Callable[[Any], Any]] = {
        "predict": alloys.run, "plan": alloys.plan, "grade": alloys.grade,
        "update": alloys.update}
    return dict(jsonable(verb[kind](request).to_json()))


def _at_most(count: int, most: int | None, what: str) -> None:
    """JunkanError when ``count`` is above the service's cap ``most`` (none: no cap)."""
    if most is not None and count > most:
        raise JunkanError(f"{count} {what}; the service takes at most {most} (use the CLI "
                          "for more)")


def analysis_job(kind: str, text: str, source: str, args: dict[str, Any]) -> dict[str, Any]:
    """In a worker: load the model and run the analysis; its JSON document, with the stored
    model and version it ran on (``stored_model``: ``{id, version}``) when it is one — a
    result reopened later names the figures by that version's titles, not the latest's."""
    doc = _analysis(kind, text, source, args)
    if args.get("stored_model"):
        doc["stored_model"] = args["stored_model"]
    return doc


def _analysis(kind: str, text: str, source: str, args: dict[str, Any]) -> dict[str, Any]:
    from junkan import lifecycle
    from junkan.core.documents import validate_with

    mf = lifecycle.load(text=text, source=source)
    spec = args.get("spec")
    if kind == "optimise":
        from junkan.lifecycle import optimise as opt

        s = opt.load_spec(doc=spec, source="spec") if spec else opt.auto_spec(mf.raw, source)
        opt.require_decisions(s, "spec" if spec else None)
        _at_most(len(s.decisions), args.get("max_decisions"),
                 "decisions" + ("" if spec else " (from the model's scenarios)"))
        said = throttled(lambda done, of: report_progress(
            {"stage": "simulations", "done": done, "of": of}))
        # its progress counts the most simulations there may be, not their number: the
        # forecast paces each loop of known length instead (review 244)
        pace = pacer("combinations", "decisions, options, steps or Pareto points")
        result: Any = (opt.pareto(mf, s, progress=said, pace=pace) if s.pareto
                       else opt.optimise(mf, s, progress=said, pace=pace))
        return dict(jsonable(result.to_json()))
    from junkan.lifecycle import uncertainty

    section = (validate_with(uncertainty.UncertaintySection, spec, "spec").located("spec")
               if spec else None)
    if section is None:  # the model's own section: the same cap as a spec's
        own = mf.raw.get("uncertainty")
        params = own.get("parameters") if isinstance(own, dict) else None
        _at_most(len(params) if isinstance(params, list) else 0, args.get("max_parameters"),
                 "uncertain parameters (in the model's 'uncertainty' section)")
    stage = "evaluations" if kind == "calibrate" else "runs"  # a fit's 'of' is its most

    def tell(done: int, of: int) -> None:
        report_progress({"stage": stage, "done": done, "of": of})

    # a fit's 'of' is its most evaluations, not its count: no forecast from it
    told = throttled(tell) if kind == "calibrate" else paced(tell, stage)
    if kind == "uncertainty":
        result = uncertainty.propagate(mf, args["runs"], args["seed"], section=section,
                                       progress=told)
    elif kind == "sensitivity":
        result = uncertainty.sensitivity(
            mf, args["method"], args["n"], args["seed"], outputs=args["outputs"], section=section,
            progress=told,
        )
    else:
        result = uncertainty.calibrate(mf, section=section, progress=told)
    return dict(jsonable(result.to_json()))
