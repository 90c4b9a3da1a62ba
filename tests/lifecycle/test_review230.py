"""Review 230 (this stop's own change: the optimise brackets that fail at both ends, and
overrides held at the boundary)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from junkan import lifecycle
from junkan.core.errors import ModelError
from junkan.lifecycle import optimise as opt
from tests.conftest import EXAMPLES
from tests.lifecycle.test_optimise_review216 import WASHER, _pickup_spec

CASES = Path(__file__).parent / "cases"


def _conflict(objective: str) -> dict:
    return {**_pickup_spec(["std", "green"]), "objective": objective,
            "constraints": [*_pickup_spec([])["constraints"], {"metric": "co2e", "max": 4500}]}


def test_a_ratio_objective_without_a_value_at_one_end_still_searches_the_bracket() -> None:
    """RAP of the collector is 0/0 at collection 0 (nothing collected): the bracket 0–0.3,
    failing a constraint at each end, was skipped and optimise said the constraints
    conflict; 157 points of a 0.02 grid meet both, at RAP 0.333."""
    washer = lifecycle.load(text=WASHER, source="washer.yaml")
    best = opt.optimise(washer, opt.load_spec(doc=_conflict("rap:collector"))).to_json()
    assert best["objective"]["value"] == pytest.approx(1 / 3, rel=1e-6)
    assert all(c["met"] for c in best["constraints"])
    assert 0 < float(best["choices"][0]["option"]) < 0.3


def test_no_levels_optimum_is_said_as_such() -> None:
    """The method said "moved from its level 0.55 to 0.223" where 0.55 failed the budget
    and no combination met the constraints at the levels."""
    washer = lifecycle.load(text=WASHER, source="washer.yaml")
    best = opt.optimise(washer, opt.load_spec(doc=_conflict("margin"))).to_json()
    refined = best["method"]["refined"][0]
    assert refined["between"] == [0.0, 0.3]
    assert refined["level"] == (0.0 if refined["value"] <= 0.15 else 0.3)
    assert "moved from its level" not in best["method"]["text"]


def test_a_two_sided_bound_met_between_the_levels_is_not_said_unmeetable() -> None:
    """A copper share between 0.2 and 0.201 is met (alone) at collection 0.349, between the
    levels 0.2 and 0.55; with a budget it cannot be met together, and the refusal said the
    share "cannot be met even alone"."""
    model = lifecycle.load(CASES / "review225_fridge_phone.yaml")
    doc = yaml.safe_load((CASES / "review225_min_copper_share.yaml").read_text())
    window = {"metric": "recycled_share", "material": "copper", "min": 0.2, "max": 0.201}
    alone = opt.optimise(model, opt.load_spec(doc={**doc, "constraints": [window]}))
    assert alone.to_json()["constraints"][0]["met"]
    with pytest.raises(ModelError) as exc:
        opt.optimise(model, opt.load_spec(doc={**doc, "constraints": [
            window, {"metric": "cost", "max": 9.5e8}]}))
    assert "cannot be met even alone" not in str(exc.value)
    assert "each constraint can be met alone but no combination" in str(exc.value)
    assert "one range at a time" in str(exc.value)


def test_a_boundary_refusal_of_an_override_names_its_scenario() -> None:
    """NaN, 10**16 … in an override of scenario A said no scenario; schema refusals of the
    same call did. The new refusals carry a rule (the web translates by it)."""
    mf = lifecycle.load(EXAMPLES / "compressor_magnet.yaml")
    with pytest.raises(ModelError) as exc:
        lifecycle.run(mf, "A", overrides={"products.room_ac.sales": 10**16})
    assert str(exc.value).endswith("(in scenario 'A')")
    with pytest.raises(ModelError) as exc:
        lifecycle.run(mf, "A", overrides={"uses": []})
    assert exc.value.problems[0].kind == "uses-fixed"
    assert exc.value.problems[0].limits == {"scenario": "A"}
