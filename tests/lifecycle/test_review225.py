"""Review 225 (the best loop per product and olca-schema exchange, against the reviewer's own
enumeration and hand calculations)."""

from __future__ import annotations

from pathlib import Path

import pytest

from junkan import lifecycle
from junkan.lifecycle import optimise as opt

CASES = Path(__file__).parent / "cases"


def _options(doc: dict) -> list[str]:
    return [c["option"] for c in doc["choices"]]


def test_a_range_of_another_combination_is_searched_where_a_constraint_binds() -> None:
    """A minimum recycled share of copper, met by the phones' collection rate (a range at 3
    levels): at the levels, compressor remanufacture with collection 0.55 was best
    (2000.93 t); compressor reuse meets the share at a collection of 0.349, between the
    levels 0.2 (short of it) and 0.55, for 1992.58 t (the reviewer's enumeration of the 54
    combinations, collection found by bisection). Only the levels' optimum was searched
    between its levels."""
    model = lifecycle.load(CASES / "review225_fridge_phone.yaml")
    spec = opt.load_spec(CASES / "review225_min_copper_share.yaml")
    best = opt.optimise(model, spec).to_json()
    assert best["objective"]["value"] == pytest.approx(1992.5817, abs=0.1)
    assert _options(best)[:4] == ["0.6", "reuse", "comp", "shred"]
    assert float(_options(best)[4]) == pytest.approx(0.349026, abs=1e-3)
    share = best["constraints"][0]
    assert share["value"] >= 0.2 and share["met"], share


@pytest.mark.parametrize(("share", "budget", "expected", "collection"), [
    (0.2, 9.65e8, 1992.594, 0.3491),   # no combination meets both at the levels
    (0.18, 9.58e8, 1984.415, 0.2860),
    (0.3, 1.0e9, 2033.472, 0.6645),
])
def test_a_bracket_failing_two_constraints_at_its_ends_is_searched(
        share: float, budget: float, expected: float, collection: float) -> None:
    """A minimum copper share (short at a low phone collection rate) and a budget (over at a
    high one): the collection levels 0.2 / 0.55 / 0.9 each fail one of them for every
    combination, and optimise refused the problem ("each constraint can be met alone but no
    combination … meets them all"). Checked against every combination simulated with 57
    collection rates (0.0125 apart): 1992.708 t at 0.35, 1984.671 t at 0.2875, 2034.835 t at
    0.675 — optimise finds the constraint's boundary between them (left open after review 225)."""
    import yaml

    model = lifecycle.load(CASES / "review225_fridge_phone.yaml")
    doc = yaml.safe_load((CASES / "review225_min_copper_share.yaml").read_text())
    doc["constraints"] = [{"metric": "recycled_share", "material": "copper", "min": share},
                          {"metric": "cost", "max": budget}]
    best = opt.optimise(model, opt.load_spec(doc=doc)).to_json()
    assert best["objective"]["value"] == pytest.approx(expected, abs=0.05)
    assert _options(best)[:4] == ["0.6", "reuse", "comp", "shred"]
    assert float(_options(best)[4]) == pytest.approx(collection, abs=1e-3)
    assert all(c["met"] for c in best["constraints"])


@pytest.mark.parametrize(("constraint", "expected"), [
    ({"metric": "cost", "max": 304_982_000}, 1226.906805614781),  # 204 JPY below the best
    ({"metric": "virgin_input", "max": 194.2743601850759}, 1198.783779957668),  # (1 − 1e-8)
    ({"metric": "virgin_input", "max": 194.27436213}, 1194.4772799576676),  # the best's own
])
def test_a_bound_just_short_of_the_best_is_held_by_the_program(constraint: dict,
                                                               expected: float) -> None:
    """HiGHS holds a row to 1e-6 of its scaled size (300 JPY of a 3e8 JPY budget): the
    program kept the unconstrained optimum, 204 JPY over the budget, and optimise refused a
    feasible problem ("the options' effects are not additive enough"). The answers are the
    reviewer's enumeration of the 432 combinations; a bound at the best's own value keeps
    it."""
    import yaml

    model = lifecycle.load(CASES / "review225_three_products.yaml")
    doc = yaml.safe_load((CASES / "review225_three_decisions.yaml").read_text())
    spec = opt.load_spec(doc={**doc, "constraints": [constraint]})
    best = opt.optimise(model, spec).to_json()
    assert best["objective"]["value"] == pytest.approx(expected, rel=1e-9)
    assert best["constraints"][0]["met"]


def test_an_unmet_bound_and_the_reach_are_written_apart() -> None:
    """"cost ≤ 8.97213e+08 JPY cannot be met: the options reach at least 8.97213e+08 JPY"
    (a budget 18 JPY short of the cheapest combination)."""
    from junkan.lifecycle.optimise.unmet import apart

    assert apart(897_212_600, 897_212_618.14) == ("897,212,600", "897,212,618")
    # a budget of 0 beside the reach (review 315: "at least 5.55411e+07")
    assert apart(0, 55_541_066.2) == ("0", "55,541,066")
    assert apart(0, 0.3675) == ("0", "0.3675") and apart(0, 0) == ("0", "0")
    assert apart(0.9, 0.4617957) == ("0.9", "0.461796")
    assert apart(1.0, 1.0 + 1e-12) == ("1", "1.000000000001")
