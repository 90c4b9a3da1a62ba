"""The best loop per product (seed 003, solution 2 step 3): choose, per product and
part, among the loop options a model allows — product reuse, part reuse / remanufacture,
recycling routes, collection effort within bounds, dismantling depth — to minimise CO2e,
cost or virgin input or maximise RAP, under budget, capacity and recycled-share
constraints; and the Pareto front between two objectives with each actor's gain or loss.

    from junkan import lifecycle
    from junkan.lifecycle import optimise
    model = lifecycle.load("examples/compressor_magnet.yaml")
    spec = optimise.load_spec("examples/optimise/compressor_magnet.yaml")
    best = optimise.optimise(model, spec)        # .to_json(), .to_frame(), .report(dir)
    front = optimise.pareto(model, spec)         # needs spec.pareto

Method (:mod:`~.surrogate`, :mod:`~.milp`): the options' effects are simulated, their
additivity is checked numerically (pairs of decisions, ranges at their midpoint, random
combinations), interacting decisions are enumerated jointly, and the selection is solved as a
mixed-integer linear program by HiGHS — exact where the effects add up; otherwise every
combination is simulated when there are few enough, and the result says which method ran.
A range an optimum holds at one of its levels (its effect bends) is then refined between
its levels by a local search of the simulated objective (:mod:`~.refine`), and so is each
point of a Pareto front that holds one (:func:`~.solve.pareto`).
Only the public verbs of :mod:`junkan.lifecycle` are used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from junkan.core.documents import read_document, validate_with
from junkan.lifecycle.optimise.result import Optimum, ParetoFront, Point
from junkan.lifecycle.optimise.solve import enumerate_options, optimise, pareto
from junkan.lifecycle.optimise.spec import (
    Constraint,
    Decision,
    Objective,
    OptimiseSpec,
    Option,
    Pareto,
    auto_spec,
    require_decisions,
)
from junkan.lifecycle.optimise.together import split_notes


def load_spec(
    path: str | Path | None = None, *, doc: dict[str, Any] | None = None, source: str = "<optimise>"
) -> OptimiseSpec:
    """Read and validate an optimisation document (errors name the field)."""
    if path is not None:
        doc, source = read_document(path), str(path)
    return validate_with(OptimiseSpec, doc or {}, source).located(source)


__all__ = [
    "Constraint",
    "Decision",
    "Objective",
    "Optimum",
    "OptimiseSpec",
    "Option",
    "Pareto",
    "ParetoFront",
    "Point",
    "auto_spec",
    "enumerate_options",
    "load_spec",
    "optimise",
    "pareto",
    "require_decisions",
    "split_notes",
]
