"""The alloy capability's verbs on request documents: :func:`load` a request, :func:`run` a
prediction for a feed plan, :func:`plan` the feed, :func:`grade` a lot, :func:`update` the
estimates with measured lots. Each verb returns a typed result with ``to_frame()``,
``to_json()`` and ``report(out)``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, overload

from junkan.alloys.data import ELEMENTS, Library, load_alloy_library
from junkan.alloys.feedback import Estimates, control_chart, update_estimates
from junkan.alloys.grade import grade_composition, grade_samples
from junkan.alloys.plan import PlanResult, plan_feed
from junkan.alloys.predict import TRACKED, FeedPlan, predict
from junkan.alloys.requests import (
    GradeRequest,
    PlanRequest,
    PredictRequest,
    UpdateRequest,
    estimates_from,
    resolve_buyer,
    resolve_sorter,
)
from junkan.alloys.results import GradeResult, PredictResult, UpdateResult
from junkan.alloys.sorter import sort
from junkan.core.documents import parse_document, read_document, validate_with

Kind = Literal["predict", "plan", "grade", "update"]
Request = PredictRequest | PlanRequest | GradeRequest | UpdateRequest
REQUESTS: dict[str, type[Request]] = {"predict": PredictRequest, "plan": PlanRequest,
                                      "grade": GradeRequest, "update": UpdateRequest}


@overload
def load(path: str | Path | None = None, *, text: str | None = None,
         doc: dict[str, Any] | None = None, kind: Literal["predict"] = "predict",
         source: str | None = None, estimates: str | Path | None = None) -> PredictRequest: ...
@overload
def load(path: str | Path | None = None, *, text: str | None = None,
         doc: dict[str, Any] | None = None, kind: Literal["plan"],
         source: str | None = None, estimates: str | Path | None = None) -> PlanRequest: ...
@overload
def load(path: str | Path | None = None, *, text: str | None = None,
         doc: dict[str, Any] | None = None, kind: Literal["grade"],
         source: str | None = None, estimates: str | Path | None = None) -> GradeRequest: ...
@overload
def load(path: str | Path | None = None, *, text: str | None = None,
         doc: dict[str, Any] | None = None, kind: Literal["update"],
         source: str | None = None, estimates: str | Path | None = None) -> UpdateRequest: ...
def load(path: str | Path | None = None, *, text: str | None = None,
         doc: dict[str, Any] | None = None, kind: Kind = "predict",
         source: str | None = None, estimates: str | Path | None = None) -> Request:
    """Read (YAML or JSON, within the document limits) and validate a request of ``kind``:
    a feed plan to predict (``predict``), stock and buyer to plan for (``plan``), a lot to
    grade (``grade``) or measured lots to learn from (``update``). ``estimates`` names a
    JSON file of earlier estimates to start from (used when it exists). Errors are a
    :class:`junkan.core.errors.ModelError` naming ``source`` (default: the path) and the
    field."""
    if kind not in REQUESTS:
        raise ValueError(f"unknown request kind {kind!r}; use one of {sorted(REQUESTS)}")
    if path is not None:
        source = source or str(path)
        doc = read_document(path)
    elif text is not None:
        source = source or f"<{kind} request>"
        doc = parse_document(text, source=source)
    elif doc is None:
        raise ValueError("give a path, text or doc")
    doc = dict(doc)
    if estimates is not None and Path(estimates).exists():  # read within the limits
        doc["estimates"] = read_document(estimates)
    return validate_with(REQUESTS[kind], doc, source or f"<{kind} request>")


def run(request: PredictRequest | FeedPlan, lib: Library | None = None) -> PredictResult:
    """Predict the recovered fractions of a feed plan (Monte Carlo: mass and composition
    of every fraction), sorted and graded when the request names a sorter and a buyer."""
    lib = lib or load_alloy_library()
    req = request if isinstance(request, PredictRequest) else PredictRequest(
        **{k: getattr(request, k) for k in FeedPlan.model_fields})
    feed = FeedPlan(**{k: getattr(req, k) for k in FeedPlan.model_fields})
    pred = predict(feed, lib, n=req.samples, seed=req.seed)
    sorter = resolve_sorter(req.sorter)
    sorted_ = sort(pred, sorter, seed=req.seed) if sorter is not None else None
    res = PredictResult(prediction=pred, sorted=sorted_)
    if req.buyer:
        b = resolve_buyer(lib, req.buyer)
        res.grade_al_fraction = grade_samples(pred.composition("al"), TRACKED, b)
        if sorted_ is not None:
            res.grade_sorted = {p: grade_samples(sorted_.composition(p), TRACKED, b)
                                for p in ("wrought", "cast")}
    return res


def plan(request: PlanRequest, lib: Library | None = None) -> PlanResult:
    """The feed mix and parts to remove with the best margin whose product meets the
    buyer's window with the asked probability (re-planned with learnt estimates when the
    request carries them); :class:`~junkan.alloys.plan.PlanError` when none does."""
    lib = lib or load_alloy_library()
    comps = None
    if request.estimates:
        comps = estimates_from(request.estimates, lib).samples(request.samples, request.seed)
    res = plan_feed(request.stock, request.buyer, probability=request.probability,
                    grain_mm=request.grain_mm, capacity_vehicles=request.capacity_vehicles,
                    removable=request.removable, sorter=resolve_sorter(request.sorter),
                    product=request.product, min_product_kg=request.min_product_kg,
                    n=request.samples, seed=request.seed, lib=lib, compositions=comps,
                    relax_legal=request.relax_legal, purchasable=request.purchasable,
                    levers=request.levers)
    res.detail["learnt_estimates"] = bool(request.estimates)
    return res


def grade(request: GradeRequest, lib: Library | None = None) -> GradeResult:
    """A lot's composition against one buyer (or every shipped buyer): met or not, margins,
    the limiting element and the price."""
    lib = lib or load_alloy_library()
    buyers = [request.buyer] if request.buyer else list(lib.buyers)
    return GradeResult(grades={b: grade_composition(request.composition, resolve_buyer(lib, b))
                               for b in buyers})


def update(request: UpdateRequest, lib: Library | None = None) -> UpdateResult:
    """Fold every lot into the estimates (Bayesian); the changed keys, new estimates and
    control charts of the measured elements against the buyer's limits."""
    lib = lib or load_alloy_library()
    est = estimates_from(request.estimates, lib) if request.estimates else Estimates.prior(lib)
    prior = est
    for i, lot in enumerate(request.lots):
        try:
            est = update_estimates(est, request.feed, lot.composition, lot.method, lib=lib)
        except ValueError as exc:
            raise ValueError(f"lots[{i}] ({lot.lot}): {exc}") from None
    changed = []
    for e in ELEMENTS:
        for k, key in enumerate(est.keys):
            if abs(est.mean[e][k] - prior.mean[e][k]) > 1e-3:
                changed.append({"key": key, "element": e, "prior": float(prior.mean[e][k]),
                                "posterior": float(est.mean[e][k]),
                                "posterior_sd": float(est.sd(e)[k])})
    limits = resolve_buyer(lib, request.buyer).max if request.buyer else {}
    charts, warnings = lot_charts(request, limits)
    return UpdateResult(estimates=est, changed=changed, control_charts=charts,
                        warnings=warnings)


def lot_charts(request: UpdateRequest, limits: dict[str, float]
               ) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """A control chart per measured element over the lots that measured it (``lots``: their
    IDs; a lot that did not is left out, never charted as 0 wt %), and warnings naming the
    lots left out and the elements measured in fewer than 2 lots (no chart)."""
    charts: dict[str, dict[str, Any]] = {}
    warnings: list[str] = []
    for e in sorted({e for lot in request.lots for e in lot.composition}):
        lots = [lot for lot in request.lots if e in lot.composition]
        if len(lots) < 2:
            warnings.append(f"{e}: measured in lot {lots[0].lot} only; a control chart needs "
                            "at least 2 lots")
            continue
        charts[e] = {**control_chart([lot.composition[e] for lot in lots], limits.get(e)),
                     "lots": [lot.lot for lot in lots]}
        if len(lots) < len(request.lots):
            left = [lot.lot for lot in request.lots if e not in lot.composition]
            warnings.append(f"{e}: not measured in lot(s) {', '.join(left)}; charted over "
                            f"the {len(lots)} lots that measured it")
    return charts, warnings
