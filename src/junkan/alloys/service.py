"""The JSON answers of the alloy verbs, shared by the CLI (``junkan alloy …``) and the API
(``/api/alloys/…``): each is the ``document()`` of the verb's result
(:mod:`junkan.alloys.api`). The request models live in :mod:`junkan.alloys.requests`."""

from __future__ import annotations

from typing import Any

from junkan.alloys import api
from junkan.alloys.data import Library, load_alloy_library
from junkan.alloys.requests import GradeRequest, Lot, PlanRequest, PredictRequest, UpdateRequest
from junkan.alloys.sorter import shipped_sorters
from junkan.core.encoding import jsonable

__all__ = ["GradeRequest", "Lot", "PlanRequest", "PredictRequest", "UpdateRequest",
           "grade_document", "library_document", "plan_document", "predict_document",
           "update_document"]


def predict_document(req: PredictRequest, lib: Library | None = None) -> dict[str, Any]:
    return api.run(req, lib).document()


def plan_document(req: PlanRequest, lib: Library | None = None) -> dict[str, Any]:
    return api.plan(req, lib).document()


def grade_document(req: GradeRequest, lib: Library | None = None) -> dict[str, Any]:
    return api.grade(req, lib).document()


def update_document(req: UpdateRequest, lib: Library | None = None) -> dict[str, Any]:
    """Fold every lot into the estimates; the changed keys, new estimates and control charts
    of the measured elements against the buyer's limits."""
    return api.update(req, lib).document()


def library_document(lib: Library | None = None) -> dict[str, Any]:
    """Vehicles, components with their dismantling options, buyers and sorters, for pickers."""
    lib = lib or load_alloy_library()
    return dict(jsonable({
        "vehicles": [{"id": v.id, "make": v.make, "model": v.model, "year": v.year,
                      "powertrain": v.powertrain, "al_kg": v.al_kg,
                      "components": sorted(v.aluminium)} for v in lib.vehicles.values()],
        "components": {k: {**c, "removable": k in lib.dismantling}
                       for k, c in lib.components.items()},
        "buyers": {k: {"name": b.name, "max": b.max} for k, b in lib.buyers.items()},
        "sorters": {k: s.name for k, s in shipped_sorters().items()}}))
