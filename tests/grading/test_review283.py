"""Review 283 (grading): an element the lot's analysis leaves out is not measured, never
0 wt % (it passed the casting window's Li, Pb and Sn limits); a soil class is a soil type
and a cone index (a clay of 900 kN/m² was class 2); the EU POPs waste limit is the one in
force on the evaluation day (300 mg/kg passed in 2028); and a blend is certified while every
input holds a valid certificate (an expired one beside a valid one made it uncertified) —
with grading's blend record and the market's derived grades agreeing."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from junkan import grading, market
from junkan.alloys import load_alloy_library
from junkan.alloys.grade import grade_composition
from junkan.grading.engine import attestations
from tests.market.test_match import _base

DAY = date(2026, 12, 7)


def _item(**over: Any) -> grading.Item:
    doc: dict[str, Any] = {"id": "twitch-3", "kind": "recycled_material",
                           "material": {"name": "aluminium", "family": "cast"},
                           "composition": {"Si": 6.8, "Fe": 0.45, "Cu": 1.2, "Mn": 0.2,
                                           "Mg": 0.3, "Zn": 0.3},
                           "quantity": {"mass": "22 t"}}
    doc.update(over)
    return grading.Item.model_validate(doc)


def _row(item: grading.Item, criteria: str | grading.CriteriaSet,
         day: date = DAY) -> dict[str, Any]:
    return next(r for r in grading.grade([item], [criteria], as_of=day).rows()
                if r["criteria"] == (criteria if isinstance(criteria, str) else criteria.id))


# ---------------------------------------------------------------------------------------
# 1. an element the analysis leaves out is not measured


def test_an_element_the_analysis_leaves_out_fails_as_not_measured_as_alloys_says() -> None:
    item = _item()
    row = _row(item, "alloy-buyer.casting_premium")
    # was met: Li, Pb and Sn read as 0 wt %; then "no", not measured; now unknown (review 303)
    assert row["met"] is None and row["verdict"] == "unknown"
    assert row["unmeasured"] == ["composition.Li", "composition.Pb", "composition.Sn"]
    assert sorted(row["failed"]) == [f"composition.{el}: not measured, so the grade is unknown: "
                                     f"give {el} in the composition ({el}: 0 if the analysis "
                                     "found none)" for el in ("Li", "Pb", "Sn")]
    alloy = grade_composition(item.composition, load_alloy_library().buyers["casting_premium"])
    assert alloy["met"] is None and alloy["unmeasured"] == ["Li", "Pb", "Sn"]
    # analysed, and within the window (0 written for an element analysed and not found)
    ok = _item(composition={**item.composition, "Li": 0.001, "Pb": 0, "Sn": 0.05})
    assert _row(ok, "alloy-buyer.casting_premium")["met"]


def test_a_lot_analysed_for_si_alone_is_not_twitch() -> None:
    item = _item(composition={"Si": 6.8}, attributes={"separation": "float_sink"},
                 properties={"free_zn": {"value": "0.6 %"}, "free_mg": {"value": "0.4 %"}})
    row = _row(item, "isri-twitch")
    assert row["met"] is None and row["unmeasured"] == ["composition.Fe"]
    assert _row(_item(composition={"Si": 6.8, "Fe": 0.9}, attributes={"separation":
                                                                      "float_sink"},
                      properties={"free_zn": {"value": "0.6 %"}, "free_mg": {"value": "0.4 %"}}),
                "isri-twitch")["met"]


def test_the_graded_record_and_its_passport_carry_the_reason() -> None:
    res = grading.grade([_item()], ["alloy-buyer.casting_premium"], as_of=DAY)
    record = grading.Item.model_validate(res.graded_items()[0])
    grade = record.grades[0]
    assert grade["met"] is None and grade["verdict"] == "unknown"
    assert grade["unmeasured"] == ["composition.Li", "composition.Pb", "composition.Sn"]
    assert "composition.Li" not in grade["evidence"]  # nothing read, nothing shown
    pytest.importorskip("basyx")
    back = grading.from_aas(json.dumps(grading.to_aas(record)))
    assert back.grades == record.grades


def test_a_blend_has_no_value_for_an_element_an_input_leaves_out() -> None:
    full = {"Si": 6.8, "Fe": 0.45, "Mg": 0.3, "Zn": 0.3, "Li": 0.001, "Pb": 0.02, "Sn": 0.02}
    a = _item(id="a", composition=full)
    b = _item(id="b", composition={k: v for k, v in full.items() if k != "Li"})
    mixed = grading.blend([a, b], [3000, 1000])
    assert "Li" not in mixed.composition and mixed.composition["Fe"] == pytest.approx(0.45)
    sets = ["alloy-buyer.casting_premium"]
    direct = grading.grade([mixed], sets, as_of=DAY)
    assert direct.rows()[0]["met"] is None and direct.rows()[0]["unmeasured"] == [
        "composition.Li"]
    compiled = grading.compile_sets(grading.resolve(sets), DAY)
    table = grading.build_table(compiled, [a, b], DAY)
    assert grading.derive_grades(compiled, table, [3000, 1000]).tolist() == [False]
    met, unknown = grading.derive_verdicts(compiled, table, [3000, 1000])
    assert met.tolist() == [False] and unknown.tolist() == [True]
    assert grading.derive_grades(compiled, table, [3000, 0]).tolist() == [True]


def test_the_market_neither_admits_nor_prices_a_lot_without_the_element() -> None:
    doc = _base()  # four 15 t lots, one condition on the casting window, a premium on Fe
    del doc["lots"][1]["item"]["composition"]["Li"]
    res = market.run(market.load(text=json.dumps(doc)))
    why = next(u for u in res.unmatched_rows() if u["lot"] == "l1")
    # review 303: not admitted, and told as unknown (what to measure), not as a fail
    assert why["code"] == "grade_unknown" and why["figures"] == {"measure": "c0: composition.Li"}
    # a premium on an element one lot's analysis leaves out: that lot has no price
    doc = _base()
    doc["conditions"][0]["price"]["premiums"] = [{"property": "composition.Cr",
                                                  "per_unit": -100, "reference": 0}]
    for i, lot in enumerate(doc["lots"]):
        if i != 1:
            lot["item"]["composition"]["Cr"] = 0.05
    res = market.run(market.load(text=json.dumps(doc)))
    assert "l1" not in {a["lot"] for a in res.to_json()["assignments"]}  # was paid as Cr 0
    why = next(u for u in res.unmatched_rows() if u["lot"] == "l1")
    assert why["code"] == "no_price" and why["figures"] == {"missing": "c0: composition.Cr"}


# ---------------------------------------------------------------------------------------
# 2. soil classes: a soil type and a cone index


def _soil(soil_type: str | None, qc: float | None, **attrs: str) -> grading.Item:
    doc: dict[str, Any] = {"id": "s", "kind": "recycled_material", "material": {"name": "soil"},
                           "quantity": {"mass": "100 t"}, "attributes": dict(attrs)}
    if soil_type is not None:
        doc["attributes"]["soil_type"] = soil_type
    if qc is not None:
        doc["properties"] = {"cone_index": {"value": f"{qc} kN/m**2"}}
    return grading.Item.model_validate(doc)


@pytest.mark.parametrize(("soil_type", "qc", "cls"), [
    *[(t, qc, "soil-class-1") for t in ("G", "GS", "S", "SG") for qc in (None, 50, 900)],
    ("GF", 800, "soil-class-2"), ("GF", 799.99, "mud"),  # GF is 2a only in the table
    ("SF", 800, "soil-class-2"), ("SF", 799.99, "soil-class-3"), ("SF", 400, "soil-class-3"),
    ("SF", 399.99, "soil-class-4"), ("SF", 200, "soil-class-4"), ("SF", 199.99, "mud"),
    *[(t, qc, cls) for t in ("M", "C", "V") for qc, cls in (
        (900, "soil-class-3"), (800, "soil-class-3"), (400, "soil-class-3"),
        (399.99, "soil-class-4"), (200, "soil-class-4"), (199.99, "mud"))],
    ("O", 900, "soil-class-4"), ("O", 400, "soil-class-4"), ("O", 200, "soil-class-4"),
    ("O", 199.99, "mud"),
    ("I", 800, "soil-class-2"), ("I", 799.99, "soil-class-3"), ("I", 400, "soil-class-3"),
    ("I", 399.99, "soil-class-4"), ("I", 200, "soil-class-4"), ("I", 199.99, "mud"),
    (None, 900, "mud"), ("Pt", 900, "mud"), ("c", 900, "mud"),
])
def test_each_soil_type_at_the_cone_index_boundaries(soil_type: str | None, qc: float | None,
                                                     cls: str) -> None:
    res = grading.grade([_soil(soil_type, qc)], ["soil-mlit"], as_of=DAY)
    assert res.classes["soil-mlit"] == [cls]


def test_a_clay_is_down_ranked_from_its_own_class() -> None:
    items = [_soil("C", 900), _soil("C", 900, excavation="rain_or_seepage"),
             _soil("SF", 800, excavation="rain_or_seepage"), _soil("C", 900,
                                                                   excavation="underwater")]
    res = grading.grade(items, ["soil-mlit"], as_of=DAY)
    assert res.classes["soil-mlit"] == ["soil-class-3", "soil-class-4", "soil-class-3", "mud"]
    row = next(r for r in res.rows() if r["criteria"] == "soil-class-2")
    assert row["failed"] == ["attributes.soil_type not in ['GF', 'I', 'SF']"]


# ---------------------------------------------------------------------------------------
# 3. the EU POPs waste limit in force on the day


@pytest.mark.parametrize(("day", "pbde", "met", "limit", "since"), [
    ("2022-12-28", 900, True, "1000 mg/kg", None),
    ("2022-12-29", 600, False, "500 mg/kg", "2022-12-29"),
    ("2025-06-01", 400, True, "500 mg/kg", "2022-12-29"),  # failed at 350 mg/kg
    ("2025-12-29", 499, True, "500 mg/kg", "2022-12-29"),
    ("2025-12-30", 400, False, "350 mg/kg", "2025-12-30"),
    ("2027-12-29", 300, True, "350 mg/kg", "2025-12-30"),
    ("2027-12-30", 300, False, "200 mg/kg", "2027-12-30"),
    ("2028-06-01", 300, False, "200 mg/kg", "2027-12-30"),  # met at 350 mg/kg
    ("2028-06-01", 200, True, "200 mg/kg", "2027-12-30"),
])
def test_the_pops_waste_limit_is_the_one_in_force_on_the_day(
    day: str, pbde: float, met: bool, limit: str, since: str | None
) -> None:
    item = grading.Item.model_validate({"id": "w", "kind": "recycled_material",
                                        "material": {"name": "ABS"},
                                        "restricted": {"pbde_sum": f"{pbde} mg/kg"},
                                        "quantity": {"mass": "1 t"}})
    row = _row(item, "eu-pops-waste-2025", date.fromisoformat(day))
    assert row["met"] is met
    [applied] = row["limits"]  # which limit applied, and from when
    assert applied["max"] == limit and applied.get("since") == since and applied["source"]
    if not met:
        assert row["failed"] == [f"restricted.pbde_sum = {pbde:g} mg/kg outside [−, {limit}]"]


def test_the_command_line_says_the_limit_of_the_day(tmp_path: Any) -> None:
    from junkan.cli.main import app

    f = tmp_path / "pops.yaml"
    f.write_text("criteria: [eu-pops-waste-2025]\nitems:\n  - {id: w, kind: recycled_material, "
                 "material: {name: ABS}, restricted: {pbde_sum: \"300 mg/kg\"}, quantity: "
                 "{mass: \"1 t\"}}\n")
    out = CliRunner().invoke(app, ["grade", str(f), "--as-of", "2028-06-01"])
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "eu-pops-waste-2025 on 2028-06-01: restricted.pbde_sum max 200 mg/kg, from 2027-12-30" \
        in text and "outside [−, 200 mg/kg]" in text
    out = CliRunner().invoke(app, ["grade", str(f), "--as-of", "2026-06-01", "--format", "json"])
    doc = json.loads(out.output)
    assert doc["grades"][0]["met"] and doc["criteria"][0]["limits"][0]["until"] == "2027-12-30"


def test_dated_rules_are_checked_in_every_period() -> None:
    base = {"id": "mine", "version": "1", "title": "t", "status": "assumption",
            "assumption_reason": "test", "source": "test"}
    with pytest.raises(ValueError, match="since 2027-01-01 is not before until 2026-01-01"):
        grading.CriteriaSet.model_validate({**base, "rules": [
            {"type": "range", "property": "ash", "max": "3 %", "since": "2027-01-01",
             "until": "2026-01-01"}]})
    # windows that do not overlap in 2026, when both apply: refused whatever the day graded
    clash = grading.CriteriaSet.model_validate({**base, "rules": [
        {"type": "range", "property": "ash", "min": "5 %", "since": "2026-01-01"},
        {"type": "range", "property": "ash", "max": "3 %", "until": "2027-01-01"}]})
    item = grading.Item.model_validate({"id": "x", "kind": "recycled_material",
                                        "material": {"name": "PP"}, "quantity": {"mass": 1},
                                        "properties": {"ash": {"value": "2 %"}}})
    with pytest.raises(grading.GradingError, match="does not overlap"):
        grading.grade([item], [clash], as_of=date(2025, 6, 1))


def test_the_market_reads_the_limit_of_its_day() -> None:
    doc = _base()
    doc["conditions"][0]["criteria"] = "eu-pops-waste-2025"
    for lot in doc["lots"]:
        lot["item"]["restricted"] = {"pbde_sum": "300 mg/kg"}
    matched = market.run(market.load(text=json.dumps(doc))).to_json()["assignments"]
    assert matched  # 2026-12-01: 350 mg/kg
    doc["as_of"] = "2028-01-05"
    res = market.run(market.load(text=json.dumps(doc)))
    assert not res.to_json()["assignments"]
    assert {u["code"] for u in res.unmatched_rows()} == {"grade"}


def test_the_published_condition_says_each_limit_with_its_period() -> None:
    from junkan.market.odrl import rule_terms

    terms = rule_terms(grading.shipped_sets()["eu-pops-waste-2025"])
    assert [(t["rightOperand"], t.get("jkm:since"), t.get("jkm:until")) for t in terms] == [
        ("1000 mg/kg", None, "2022-12-29"), ("500 mg/kg", "2022-12-29", "2025-12-30"),
        ("350 mg/kg", "2025-12-30", "2027-12-30"), ("200 mg/kg", "2027-12-30", None)]


# ---------------------------------------------------------------------------------------
# 4. a blend's certificates: one rule for the blend record and the market's gates

ZORBA = ["isri-zorba"]  # magnet_separated and radiation_checked


def _pp(id: str, certs: list[dict[str, Any]], social: list[dict[str, Any]] | None = None
        ) -> grading.Item:
    return grading.Item.model_validate({"id": id, "kind": "recycled_material",
                                        "material": {"name": "aluminium"},
                                        "quantity": {"mass": "1 t"}, "certificates": certs,
                                        "social": social or []})


def test_an_expired_certificate_beside_a_valid_one_does_not_uncertify_a_blend() -> None:
    a = _pp("a", [{"kind": "magnet_separated", "valid_until": "2030-12-31"}])
    b = _pp("b", [{"kind": "magnet_separated", "valid_until": "2020-01-01"},
                  {"kind": "magnet_separated", "valid_until": "2031-01-01"}])
    m = grading.blend([a, b], [3000, 1000])
    assert [(c.kind, c.valid_until) for c in m.certificates] == [
        ("magnet_separated", date(2030, 12, 31))]  # was 2020-01-01
    assert attestations(m, DAY) == {"magnet_separated"}


def _agree(items: list[grading.Item], masses: list[float], day: date,
           sets: list[Any]) -> bool:
    mixed = grading.blend(items, masses)
    res = grading.grade([mixed], sets, as_of=day)
    direct, unknown = res.met[0], res.verdicts.unknown[0]
    compiled = grading.compile_sets(grading.resolve(sets), day)
    derived, maybe = grading.derive_verdicts(compiled, grading.build_table(compiled, items, day),
                                             masses)
    assert derived.tolist() == direct.tolist(), (day, mixed.certificates, mixed.social)
    assert maybe.tolist() == unknown.tolist(), (day, mixed.composition)
    return bool(direct.all())


def test_blend_and_derived_grades_agree_on_certificates_in_either_group() -> None:
    radiation = {"kind": "radiation_checked"}
    a = _pp("a", [{"kind": "magnet_separated", "valid_until": "2030-12-31"}, radiation])
    b = _pp("b", [{"kind": "magnet_separated", "valid_until": "2020-01-01"}, radiation],
            social=[{"kind": "magnet_separated", "valid_until": "2031-01-01"}])
    for day, met in ((DAY, True), (date(2030, 12, 31), True), (date(2031, 1, 1), False)):
        assert _agree([a, b], [3000, 1000], day, ZORBA) is met


KINDS = ("magnet_separated", "radiation_checked")
ELEMENTS = ("Fe", "Mg", "Zn", "Li")
CRITERIA = [grading.CriteriaSet.model_validate({
    "id": "c", "version": "1", "title": "t", "status": "assumption",
    "assumption_reason": "test", "source": "test", "rules": [
        {"type": "certificate", "kind": "magnet_separated"},
        {"type": "certificate", "kind": "radiation_checked"},
        {"type": "range", "property": "composition.Fe", "max": 0.5},
        {"type": "range", "property": "composition.Li", "max": 0.002}]})]
attestation = st.fixed_dictionaries({
    "kind": st.sampled_from(KINDS),
    "valid_until": st.one_of(st.none(), st.integers(-800, 800).map(
        lambda d: (DAY + timedelta(days=d)).isoformat()))})
lot = st.builds(
    lambda i, certs, social, comp: grading.Item.model_validate({
        "id": f"i{i}", "kind": "recycled_material", "material": {"name": "aluminium"},
        "quantity": {"mass": "1 t"}, "certificates": certs, "social": social,
        "composition": comp}),
    st.integers(0, 10**6), st.lists(attestation, max_size=3), st.lists(attestation, max_size=2),
    st.dictionaries(st.sampled_from(ELEMENTS), st.sampled_from([0.0, 0.0005, 0.001, 0.2, 0.4]),
                    min_size=1))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(lot, st.sampled_from([1.0, 2.0, 5.0])), min_size=1, max_size=4),
       st.integers(-900, 900))
def test_blend_record_and_derived_grades_agree(parts: list, offset: int) -> None:
    """Certificates with and without expiry, in either group, some expired; compositions
    that leave elements out: the market's derived grade is the blend record's grade."""
    items = [p[0] for p in parts]
    masses = [p[1] for p in parts]
    _agree(items, masses, DAY + timedelta(days=offset), copy.deepcopy(CRITERIA))


def test_blend_agreement_holds_with_a_zero_mass_input() -> None:
    a = _pp("a", [{"kind": k} for k in KINDS])
    b = _pp("b", [])
    assert _agree([a, b], [1.0, 0.0], DAY, ZORBA)


def test_what_a_whole_analysis_leaves_out_is_zero_not_unmeasured() -> None:
    """Review 288: an analysis adding up to 100 wt % accounts for the whole mass, so what it
    leaves out is 0 wt %: Al 99.6 + Si 0.4 failed Fe ≤ 0.5 as 'not measured' (and PP 100
    failed PE ≤ 5). In a blend such an input gives 0 for what it leaves out, and the blend
    record and the market's per-input gates agree."""
    fe = grading.CriteriaSet.model_validate({
        "id": "fe-limit", "version": "1", "title": "t", "status": "partial", "source": "s",
        "rules": [{"type": "range", "property": "composition.Fe", "max": 0.5}]})
    whole = _item(id="w", composition={"Al": 99.6, "Si": 0.4})
    assert _row(whole, fe)["met"] and _row(whole, fe)["failed"] == []
    assert not _row(_item(id="p", composition={"Al": 99.0, "Si": 0.4}), fe)["met"]
    part = _item(id="q", composition={"Si": 6.8, "Fe": 0.45})
    mixed = grading.blend([whole, part], [1000, 1000])
    assert mixed.composition["Fe"] == pytest.approx(0.225) and "Al" not in mixed.composition
    assert _row(mixed, fe)["met"]
    compiled = grading.compile_sets([fe], DAY)
    table = grading.build_table(compiled, [whole, part], DAY)
    assert grading.derive_grades(compiled, table, [1000, 1000]).tolist() == [True]
