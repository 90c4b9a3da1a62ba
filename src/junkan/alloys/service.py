"""Request documents and their JSON answers, shared by the CLI (``junkan alloy …``) and the
API (``/api/alloys/…``). Every request is a pydantic model, so bad input names its field."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from junkan.alloys.data import ELEMENTS, Library, load_library
from junkan.alloys.feedback import Estimates, control_chart, update
from junkan.alloys.grade import grade, grade_samples
from junkan.alloys.plan import plan
from junkan.alloys.predict import TRACKED, FeedPlan, predict
from junkan.alloys.sorter import Sorter, shipped_sorters, sort
from junkan.core.base import Strict
from junkan.core.encoding import jsonable
from junkan.core.errors import short


def _sorter(spec: str | Sorter | None) -> Sorter | None:
    if spec is None or isinstance(spec, Sorter):
        return spec
    sorters = shipped_sorters()
    if spec not in sorters:
        raise ValueError(f"unknown sorter {short(spec)}; shipped: {sorted(sorters)} (or give a "
                         "matrix)")
    return sorters[spec]


class PredictRequest(FeedPlan):
    """A feed plan, optionally sorted and graded."""

    sorter: str | Sorter | None = None
    buyer: str | None = None
    samples: int = Field(default=1000, ge=50, le=20_000)
    seed: int = 0


class PlanRequest(Strict):
    stock: dict[str, float]
    """Vehicle id → count on hand."""
    buyer: str
    probability: float = Field(default=0.9, ge=0.5, lt=1)
    grain_mm: float = Field(default=65.0, gt=5, le=300)
    capacity_vehicles: float | None = Field(default=None, gt=0)
    removable: list[str] | None = None
    sorter: str | Sorter | None = None
    product: str = "al"
    min_product_kg: float = Field(default=0.0, ge=0)
    samples: int = Field(default=1000, ge=50, le=20_000)
    seed: int = 0
    estimates: dict[str, Any] | None = None
    """Estimates from ``alloy update``: re-plan with the learnt part compositions."""


class GradeRequest(Strict):
    composition: dict[str, float]
    """wt % per element."""
    buyer: str | None = None
    """A shipped buyer; all buyers when omitted."""


class Lot(Strict):
    lot: str
    method: str = "spark_oes"
    composition: dict[str, float]


class UpdateRequest(Strict):
    feed: FeedPlan
    lots: list[Lot] = Field(min_length=1)
    buyer: str | None = None
    estimates: dict[str, Any] | None = None
    """Previous estimates document (from an earlier update); the prior when omitted."""


def _buyer(lib: Library, name: str) -> Any:
    if name not in lib.buyers:
        raise ValueError(f"unknown buyer {short(name)}; known: {sorted(lib.buyers)}")
    return lib.buyers[name]


def predict_document(req: PredictRequest, lib: Library | None = None) -> dict[str, Any]:
    lib = lib or load_library()
    plan_fields = FeedPlan.model_fields
    feed = FeedPlan(**{k: getattr(req, k) for k in plan_fields})
    pred = predict(feed, lib, n=req.samples, seed=req.seed)
    doc = pred.summary()
    sorter = _sorter(req.sorter)
    sorted_ = sort(pred, sorter, seed=req.seed) if sorter is not None else None
    if sorted_ is not None:
        doc["sorted"] = sorted_.summary()
    if req.buyer:
        b = _buyer(lib, req.buyer)
        doc["grade_al_fraction"] = grade_samples(pred.composition("al"), TRACKED, b)
        if sorted_ is not None:
            doc["grade_sorted"] = {p: grade_samples(sorted_.composition(p), TRACKED, b)
                                   for p in ("wrought", "cast")}
    return doc


def plan_document(req: PlanRequest, lib: Library | None = None) -> dict[str, Any]:
    lib = lib or load_library()
    comps = None
    if req.estimates:
        comps = _estimates(req.estimates, lib).samples(req.samples, req.seed)
    res = plan(req.stock, req.buyer, probability=req.probability, grain_mm=req.grain_mm,
               capacity_vehicles=req.capacity_vehicles, removable=req.removable,
               sorter=_sorter(req.sorter), product=req.product,
               min_product_kg=req.min_product_kg, n=req.samples, seed=req.seed, lib=lib,
               compositions=comps)
    doc = res.document()
    doc["learnt_estimates"] = bool(req.estimates)
    return doc


def _estimates(doc: dict[str, Any], lib: Library) -> Estimates:
    import numpy as np

    if doc.get("keys") != lib.part_keys():
        raise ValueError("estimates: made for another vehicle library; omit to restart from "
                         "the prior")
    return Estimates(keys=doc["keys"], mean={e: np.array(v) for e, v in doc["mean"].items()},
                     cov={e: np.array(v) for e, v in doc["cov"].items()},
                     lots=int(doc.get("lots", 0)))


def grade_document(req: GradeRequest, lib: Library | None = None) -> dict[str, Any]:
    lib = lib or load_library()
    buyers = [req.buyer] if req.buyer else list(lib.buyers)
    return {"grades": {b: grade(req.composition, _buyer(lib, b)) for b in buyers}}


def update_document(req: UpdateRequest, lib: Library | None = None) -> dict[str, Any]:
    """Fold every lot into the estimates; the changed keys, new estimates and control charts
    of the measured elements against the buyer's limits."""
    lib = lib or load_library()
    est = _estimates(req.estimates, lib) if req.estimates else Estimates.prior(lib)
    prior = est
    for i, lot in enumerate(req.lots):
        try:
            est = update(est, req.feed, lot.composition, lot.method, lib=lib)
        except ValueError as exc:
            raise ValueError(f"lots[{i}] ({lot.lot}): {exc}") from None
    changed = []
    for e in ELEMENTS:
        for k, key in enumerate(est.keys):
            if abs(est.mean[e][k] - prior.mean[e][k]) > 1e-3:
                changed.append({"key": key, "element": e, "prior": float(prior.mean[e][k]),
                                "posterior": float(est.mean[e][k]),
                                "posterior_sd": float(est.sd(e)[k])})
    limits = _buyer(lib, req.buyer).max if req.buyer else {}
    measured = sorted({e for lot in req.lots for e in lot.composition})
    charts = {}
    if len(req.lots) >= 2:
        charts = {e: control_chart([lot.composition.get(e, 0.0) for lot in req.lots],
                                   limits.get(e)) for e in measured}
    return {"lots": est.lots, "changed": changed, "control_charts": charts,
            "estimates": est.document()}


def library_document(lib: Library | None = None) -> dict[str, Any]:
    """Vehicles, components with their dismantling options, buyers and sorters, for pickers."""
    lib = lib or load_library()
    return dict(jsonable({
        "vehicles": [{"id": v.id, "make": v.make, "model": v.model, "year": v.year,
                      "powertrain": v.powertrain, "al_kg": v.al_kg,
                      "components": sorted(v.aluminium)} for v in lib.vehicles.values()],
        "components": {k: {**c, "removable": k in lib.dismantling}
                       for k, c in lib.components.items()},
        "buyers": {k: {"name": b.name, "max": b.max} for k, b in lib.buyers.items()},
        "sorters": {k: s.name for k, s in shipped_sorters().items()}}))
