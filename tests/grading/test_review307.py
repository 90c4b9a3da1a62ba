"""Review 307 (grading): a ranked family (soil classes) gives a lot the best class it meets;
a better class whose verdict is *unknown* (a value its maximum reads not measured) used to
be passed over without a word, as if failed. The class given is unchanged; the result now
names the unknown better class and what to measure — in the result, the graded record, the
JSON, the command line and the soil market's answer."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from typer.testing import CliRunner

from junkan import grading

DAY = date(2026, 12, 7)
# a "clean" rank-1 class of one's own: sandy soil, qc >= 800, lead at most 150 mg/kg
TOP = grading.CriteriaSet.model_validate({
    "id": "fill-top", "version": "1", "title": "t", "status": "assumption", "source": "s",
    "assumption_reason": "test", "family": "soil-mlit", "rank": 1,
    "rules": [{"type": "enum", "attribute": "attributes.soil_type", "allowed": ["SF"]},
              {"type": "range", "property": "cone_index", "min": "800 kN/m**2"},
              {"type": "range", "property": "restricted.pb", "max": "150 mg/kg"}]})


def _lot(pb: str | None = None, **attrs: str) -> grading.Item:
    doc: dict[str, Any] = {"id": "lot", "kind": "recycled_material", "material": {"name": "soil"},
                           "quantity": {"mass": "100 t"},
                           "attributes": {"soil_type": "SF", **attrs},
                           "properties": {"cone_index": {"value": "900 kN/m**2"}}}
    if pb is not None:
        doc["restricted"] = {"pb": pb}
    return grading.Item.model_validate(doc)


def test_an_unknown_better_class_is_named_with_what_to_measure() -> None:
    # SF, qc 900: meets soil-class-2; fill-top reads Pb (max only), not measured: unknown
    res = grading.grade([_lot()], [TOP, "soil-class-2"], as_of=DAY)
    assert res.classes["soil-mlit"] == ["soil-class-2"]  # the class given is unchanged
    assert res.better_unknown["soil-mlit"] == [[
        {"criteria": "fill-top", "class": "fill-top", "unmeasured": ["restricted.pb"]}]]
    note = ("lot: fill-top unknown: measure restricted.pb (soil-mlit class given: "
            "soil-class-2, the best met)")
    assert res.class_notes() == [note]
    doc = res.to_json()
    assert doc["class_notes"] == [note] and doc["better_unknown"] == res.better_unknown
    grades = res.graded_items()[0]["grades"]
    cls = next(g for g in grades if g.get("family") == "soil-mlit")
    assert cls["class"] == "soil-class-2" and cls["better_unknown"][0]["criteria"] == "fill-top"


def test_down_ranking_says_which_class_measuring_would_give() -> None:
    # rain or seepage: class 2 lowered one rank past the last class is mud; fill-top met
    # would give soil-class-2
    res = grading.grade([_lot(excavation="rain_or_seepage")], [TOP, "soil-class-2"], as_of=DAY)
    assert res.classes["soil-mlit"] == ["mud"]
    assert res.better_unknown["soil-mlit"][0] == [
        {"criteria": "fill-top", "class": "soil-class-2", "unmeasured": ["restricted.pb"]}]
    assert "(it would give soil-class-2)" in res.class_notes()[0]


def test_measured_or_failed_better_class_is_not_named() -> None:
    for pb, cls in (("100 mg/kg", "fill-top"), ("200 mg/kg", "soil-class-2")):
        res = grading.grade([_lot(pb)], [TOP, "soil-class-2"], as_of=DAY)
        assert res.classes["soil-mlit"] == [cls]
        assert res.better_unknown["soil-mlit"] == [[]] and res.class_notes() == []
    # the shipped classes read no maximum: nothing is ever unknown there
    res = grading.grade([_lot()], ["soil-mlit"], as_of=DAY)
    assert res.better_unknown["soil-mlit"] == [[]]


def test_the_command_line_says_it(tmp_path: Any) -> None:
    from junkan.cli.main import app

    f = tmp_path / "lots.json"
    f.write_text(json.dumps({"items": [_lot().model_dump(mode="json", exclude_none=True)],
                             "criteria": [TOP.model_dump(mode="json", exclude_none=True),
                                          "soil-class-2"]}), "utf-8")
    out = CliRunner().invoke(app, ["grade", str(f), "--as-of", DAY.isoformat()])
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "lot → soil-class-2 (fill-top unknown: measure restricted.pb" in text


def test_the_soil_market_says_it(monkeypatch: Any) -> None:
    """A source classed from its record: matched with the class it meets (soil-class-2),
    and the answer names the unknown better class (the shipped classes read no maximum, so
    the family is given the rank-1 set above for the test)."""
    from tests.market.test_soil import doc, solve

    real = grading.grade
    monkeypatch.setattr(grading, "grade", lambda items, criteria, **kw: real(
        items, [TOP, *criteria], **kw))
    d = doc()
    d["sources"][0] = {"id": "S", "location": {"lat": 0.0, "lon": 0.0}, "volumes": [100, 0],
                       "item": _lot().model_dump(mode="json", exclude_none=True)}
    d["sinks"][0]["accepts"] = ["soil-class-2"]
    r = solve(d)
    assert r.grades == ["soil-class-2"] and r.flows()
    assert r.better_unknown == {"S": [{"criteria": "fill-top", "class": "fill-top",
                                       "unmeasured": ["restricted.pb"]}]}
    assert r.to_json()["class_notes"] == [
        "source S: fill-top unknown: measure restricted.pb (soil-mlit class given: "
        "soil-class-2, the best met)"]
