"""Review 253 (hostile CLI): an objective no option changes (atm_reuse's recycled share, 0
everywhere) came back with three of six decisions changed, as if they raised it; a value
listed twice ran as two combinations."""

from __future__ import annotations

import pytest

from junkan import lifecycle
from junkan.core.errors import ModelError
from junkan.lifecycle import optimise as opt
from tests.conftest import EXAMPLES


def test_a_flat_objective_keeps_every_first_option() -> None:
    model = lifecycle.load(EXAMPLES / "atm_reuse.yaml")
    spec = opt.auto_spec(model.raw, "atm_reuse.yaml").model_copy(
        update={"objective": opt.Objective.model_validate("recycled_share")})
    best = opt.optimise(model, spec).to_json()
    assert [c["option"] for c in best["choices"]] == ["baseline"] * 6, best["choices"]
    assert best["objective"]["value"] == 0
    assert best["method"]["text"].endswith(
        "no combination does better than the first option of every decision, which is kept")


def test_a_value_given_twice_is_refused() -> None:
    with pytest.raises(ModelError, match=r"decisions\[0\]\.values: value 0\.4 is given twice "
                       r"\(items 0 and 2\); list each value once"):
        opt.load_spec(doc={"objective": "co2e", "decisions": [
            {"name": "c", "parameter": "products.room_ac.eol.collection.rate",
             "values": [0.4, 0.5, 0.4]}]})
    opt.load_spec(doc={"objective": "co2e", "decisions": [
        {"name": "c", "parameter": "products.room_ac.eol.collection.rate",
         "values": [0.4, "0.4 kg", 0.5]}]})  # a number and a quantity: not the same text
