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
    assert [c["option"] for c in best["choices"]] == ["reference"] * 6, best["choices"]
    assert best["objective"]["value"] == 0
    assert best["method"]["text"].endswith(
        "no combination does better than the first option of every decision, which is kept")


@pytest.mark.parametrize(("values", "said"), [
    ([0.4, 0.5, 0.4], "items 0 and 2 ('0.4', '0.4')"),
    ([0.4, "40%", 0.5], "items 0 and 1 ('0.4', '40%')"),  # one value, written two ways
    ([0.0, -0.0], "items 0 and 1 ('0.0', '-0.0')"),
    (["0.4 kg", "400 g"], "items 0 and 1 ('0.4 kg', '400 g')")])
def test_a_value_given_twice_is_refused(values: list[object], said: str) -> None:
    with pytest.raises(ModelError) as exc:
        opt.load_spec(doc={"objective": "co2e", "decisions": [
            {"name": "c", "parameter": "products.room_ac.eol.collection.rate",
             "values": values}]})
    assert f"decisions[0].values: {said} are the same value; list each once" in str(exc.value)


def test_distinct_values_of_any_kind_are_taken() -> None:
    """A number and a mass are not one value; a date is not refused here as a repeat (the
    model refuses it where it is set, naming the field) — the check once raised TypeError
    on it (review 255)."""
    import datetime as dt

    for values in ([0.4, "0.4 kg", 0.5], [dt.date(2020, 1, 1), dt.date(2021, 1, 1)]):
        opt.load_spec(doc={"objective": "co2e", "decisions": [
            {"name": "c", "parameter": "products.room_ac.eol.collection.rate",
             "values": values}]})
