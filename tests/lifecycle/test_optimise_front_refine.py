"""A Pareto front with a range held at its levels finds points between the levels."""

from __future__ import annotations

import json

from junkan import lifecycle
from junkan.lifecycle import optimise as opt
from junkan.lifecycle.optimise.features import value
from tests.lifecycle.test_optimise import DECISIONS, MODEL


def _values(spec: opt.OptimiseSpec, points: list[opt.Point]) -> list[tuple[float, float]]:
    assert spec.pareto is not None
    return [tuple((-1 if o.maximise else 1) * value(o, p.raw)  # type: ignore[misc]
                  for o in spec.pareto.objectives) for p in points]


def test_a_front_holding_a_range_at_its_levels_is_refined_between_them() -> None:
    """The kettle's collection rate bends with product reuse, so the program takes it at its
    three levels (0.3, 0.6, 0.9) with that option: the 5-level ε grid then found only level
    points, and the sampled front had nothing between them. Each point found at a level is
    now moved by a golden-section search of the first objective under the ε bound it was
    found with: the front gains points between the levels, no combination of the levels
    beats any of its points, every point of the levels' own front is met or beaten by one of
    them, the method names the moves, and the progress total never rises."""
    kettle = lifecycle.load(text=MODEL, source="kettle.yaml")
    spec = opt.load_spec(doc={"decisions": [DECISIONS[0], DECISIONS[-1]],
                              "pareto": {"objectives": ["co2e", "cost"], "points": 5}})
    told: list[tuple[int, int]] = []
    front = opt.pareto(kettle, spec, progress=lambda done, most: told.append((done, most)))
    assert front.method["ranges_at_levels"] == [
        {"decision": "collection", "levels": 3, "with": 1, "of": 2}]
    refined = front.method["front"]["refined"]
    assert refined and all(m["improving"] == "co2e" for m in refined[:-1])
    rates = [c["value"] for p in front.to_json()["points"] for c in p["choices"]
             if c["decision"] == "collection"]
    assert any(r not in (0.3, 0.6, 0.9) for r in rates)  # between the levels
    assert "found between the levels of the ranges held at them" in front.method["front"]["text"]
    assert all(isinstance(m["on_front"], bool) for m in refined)
    assert len({str(m["moved"]) for m in refined}) == len(refined)  # each move once

    _, every = opt.enumerate_options(kettle, spec)
    levels = _values(spec, [p for p in every if p.feasible])
    got = _values(spec, front.points)
    tol = 1e-9
    for a, b in got:  # no combination of the levels beats a point of the front
        assert not any(c < a - tol * abs(a) and d < b - tol * abs(b) for c, d in levels)
    best = [(a, b) for a, b in levels if not any(
        c <= a and d <= b and (c, d) != (a, b) for c, d in levels)]
    for a, b in best:  # the levels' front is met or beaten
        assert any(c <= a + tol * abs(a) and d <= b + tol * abs(b) for c, d in got)
    assert any(all(c < a - tol * abs(a) or d < b - tol * abs(b) for a, b in best)
               for c, d in got)  # and some point of the front is not on it
    assert all(b[1] <= a[1] for a, b in zip(told, told[1:], strict=False))
    assert all(done <= most for done, most in told)


def test_a_front_over_discrete_choices_only_is_not_refined() -> None:
    """Without a range there is nothing between levels: the complete front is as before,
    with no 'refined' in its method."""
    kettle = lifecycle.load(text=MODEL, source="kettle.yaml")
    spec = opt.load_spec(doc={"decisions": DECISIONS[:4],
                              "pareto": {"objectives": ["co2e", "cost"], "points": 5}})
    front = opt.pareto(kettle, spec)
    assert front.method["front"]["complete"] is True
    assert "refined" not in front.method["front"]


def test_a_point_reached_from_several_bounds_is_found_once() -> None:
    """Review of 2026-12-05: a level point returned under several ε bounds that do not bind
    was searched once per bound and reached the same point each time, and the front's
    method listed that one move eight times ("8 points found", the front having 2)."""
    kettle = lifecycle.load(text=MODEL, source="kettle.yaml")
    spec = opt.load_spec(doc={
        "decisions": [DECISIONS[3], DECISIONS[1], DECISIONS[0], DECISIONS[2],
                      {**DECISIONS[-1], "range": [0.14, 0.89], "steps": 5}],
        "constraints": [{"metric": "co2e", "min": 929.146693460557}],
        "pareto": {"objectives": ["cost", "rap:recycler"], "points": 9}})
    front = opt.pareto(kettle, spec)
    refined = front.method["front"]["refined"]
    assert len(refined) == len({json.dumps(m["moved"]) for m in refined}) == 1
    assert front.method["front"]["text"].count("1 point found between") == 1


def test_a_point_holding_no_range_is_searched_from_the_combinations_that_hold_one() -> None:
    """Review of 2026-12-05 (D2): where the ε bound's optimum chose the option the range
    stays continuous with (product reuse 0), nothing held a level there and nothing was
    searched, while product reuse 0.2 with the collection rate between its levels beats it:
    3 of the 5 points of virgin input × cost were beaten by a 21-level enumeration. The
    combinations holding the range (best first) are now searched under such a point's bound,
    each from its best level there: at most one point is beaten (a local search), and the
    progress total never rises."""
    kettle = lifecycle.load(text=MODEL, source="kettle.yaml")
    coll = {**DECISIONS[-1], "range": [0.01, 0.67], "steps": 4}
    doc = {"decisions": [DECISIONS[1], DECISIONS[0], coll],
           "pareto": {"objectives": ["virgin_input", "cost"], "points": 5}}
    spec = opt.load_spec(doc=doc)
    told: list[tuple[int, int]] = []
    front = opt.pareto(kettle, spec, progress=lambda done, most: told.append((done, most)))
    fine = opt.load_spec(doc={**doc, "decisions": [DECISIONS[1], DECISIONS[0],
                                                   {**coll, "steps": 21}]})
    _, every = opt.enumerate_options(kettle, fine)
    grid = _values(spec, [p for p in every if p.feasible])
    got = _values(spec, front.points)
    beaten = [(a, b) for a, b in got if any(
        c < a - 1e-6 * abs(a) and d < b - 1e-6 * abs(b) for c, d in grid)]
    # a local search: one point beaten by 1.3 % (virgin input) in both versions; since the
    # search bisects for the ε bound first (review 214) a seventh point is found, beaten by
    # 0.06 % — two of seven, each by less than 1.5 %
    assert len(beaten) <= 2 and len(got) >= 6, beaten
    assert all(min(a - c, (b - d) / b * a) < 0.015 * a for a, b in beaten
               for c, d in grid if c < a and d < b), beaten
    assert all(p.feasible for p in front.points)
    assert all(b[1] <= a[1] for a, b in zip(told, told[1:], strict=False))
    assert all(done <= most for done, most in told)
