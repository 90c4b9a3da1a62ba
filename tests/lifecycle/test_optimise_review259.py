"""Review 259 (optimisation checked against brute force): a Pareto front walked in an
additive model whose effects differ from simulation was said ``complete`` — 4 points where
the simulated front has 10, two of the 4 beaten by other combinations."""

from __future__ import annotations

import pytest

from junkan.lifecycle import optimise as opt
from junkan.lifecycle.optimise.result import FRONT_EQUAL, front_doc

SPEC = opt.OptimiseSpec.model_validate({
    "tolerance": 0.01,
    "decisions": [{"name": "c", "parameter": "products.kettle.eol.collection.rate",
                   "values": [0.3, 0.6]}],
    "pareto": {"objectives": ["co2e", "cost"]}})


@pytest.mark.parametrize(("deviation", "within"), [(0.004, True), (0.0152, False)])
def test_a_front_complete_only_in_an_approximate_model_is_not_said_complete(
        deviation: float, within: bool) -> None:
    doc = front_doc(True, True, 4, SPEC, deviation=deviation)
    assert doc["complete"] is False and doc["approximate"] is True
    assert doc["text"].startswith("complete in the additive model only (4 points)")
    assert f"{deviation:.2%}" in doc["text"]
    assert ("within the spec's tolerance" in doc["text"]) is within
    assert ("more combinations than max_enumerate (4,096)" in doc["text"]) is not within


@pytest.mark.parametrize("deviation", [0.0, FRONT_EQUAL])
def test_a_front_of_an_additive_model_stays_complete(deviation: float) -> None:
    doc = front_doc(True, True, 4, SPEC, deviation=deviation)
    assert doc["complete"] is True and "approximate" not in doc


def test_an_enumerated_front_is_complete_whatever_the_additive_model_said() -> None:
    doc = front_doc(True, True, 10, SPEC, enumerated=True, deviation=0.3)
    assert doc["complete"] is True and "approximate" not in doc
    assert doc["text"].startswith("complete — every non-dominated combination (10 points")
