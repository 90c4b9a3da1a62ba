"""The grading defects of the 2026-12-03 review (/tmp/reports/caps_review.md A1, A2, A6 and
the grade messages of part C), each as the user met it: a quoted number read as a hundred
times itself, a misspelt element read as absent, a value on a limit failed because it was
written in another unit, and messages that named the wrong problem."""

from __future__ import annotations

import textwrap

import pytest

from junkan import grading
from junkan.core.errors import ModelError

PP = """
  - id: {id}
    kind: recycled_material
    material: {{name: PP}}
    quantity: {{mass: 1000}}
    properties:
      mfr: {{value: {mfr}, method: m}}
      density: {{value: {density}, method: m}}
      ash: {{value: {ash}, method: m}}
      tensile_strength: {{value: "24 MPa", method: m}}
    restricted: {{pbde_sum: {pbde}}}
"""


def _pp(id: str = "pp", mfr: str = '"14 g/(10 min)"', density: str = '"0.905 g/cm**3"',
        ash: str = '"1.8 %"', pbde: str = '"40 mg/kg"') -> str:
    return PP.format(id=id, mfr=mfr, density=density, ash=ash, pbde=pbde)


def _doc(criteria: str, items: str) -> str:
    return f"criteria: {criteria}\nitems:{items}"


def _rows(text: str) -> list[dict[str, object]]:
    return grading.run(grading.load(text=text)).rows()


def _error(text: str) -> str:
    with pytest.raises(ModelError) as exc:
        grading.run(grading.load(text=text))
    return "\n".join(f"{p.path}: {p.message}" for p in exc.value.problems)


PACK = """
criteria:
  - id: second-life
    version: "1"
    title: t
    status: assumption
    assumption_reason: test
    source: test
    rules: [{{type: range, property: state_of_certified_energy, min: "80 %"}}]
items:
  - id: pack
    kind: used_product
    material: {{name: battery}}
    quantity: {{mass: "390 kg"}}
    properties: {{state_of_certified_energy: {{value: {soce}}}}}
"""


# A1: a number written as text is read as the bare number is
@pytest.mark.parametrize("soce", ['"75"', "75", '"75 %"'])
def test_a_quoted_percent_is_the_bare_number_not_a_fraction(soce: str) -> None:
    """'75' was read as 7500 % and met a minimum of 80 %."""
    [row] = _rows(PACK.format(soce=soce))
    assert row["met"] is False
    assert row["failed"] == ["state_of_certified_energy = 75 % outside [80 %, −]"]


def test_quoted_ash_and_concentration_read_as_their_bare_numbers() -> None:
    text = _doc("[rpp-injection]", _pp("quoted", ash='"1.8"', pbde='"40"')
                + _pp("bare", ash="1.8", pbde="40"))
    doc = grading.load(text=text)
    quoted, bare = (grading.stored_values(it, "x") for it in doc.items)
    assert quoted["ash"] == bare["ash"] == 1.8  # was 180 wt %
    assert quoted["restricted.pbde_sum"] == bare["restricted.pbde_sum"] == 40.0
    assert [r["met"] for r in grading.run(doc).rows()] == [True, True]


def test_a_quoted_number_without_its_unit_is_refused_where_the_bare_one_is() -> None:
    for mfr in ('"14"', "14"):
        msg = _error(_doc("[rpp-injection]", _pp(mfr=mfr)))
        assert "items[0].properties.mfr.value: write the unit, e.g. '14" in msg


def test_a_quoted_composition_bound_is_wt_percent() -> None:
    """A criterion's max: "0.5" on composition.Fe was 50 wt % (an Fe 5 % lot passed)."""
    text = textwrap.dedent("""
        criteria:
          - {id: c, version: "1", title: t, status: assumption, assumption_reason: r,
             source: s, rules: [{type: range, property: composition.Fe, max: "0.5"}]}
        items:
          - {id: a, kind: recycled_material, material: {name: aluminium},
             quantity: {mass: 1}, composition: {Si: 6.8, Fe: 5.0}}
        """)
    [row] = _rows(text)
    assert row["met"] is False and "composition.Fe = 5 wt %" in str(row["failed"])


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("ash", '"180 %"', "ash = 180 wt % is out of range: must be <= 100 wt %"),
        ("ash", "180", "ash = 180 wt % is out of range"),
        ("state_of_certified_energy", '"7500 %"', "must be <= 120 %"),
        ("capacity_fade", '"101 %"', "must be <= 100 %"),
    ],
)
def test_a_share_beyond_its_bound_is_refused_naming_item_and_property(
        field: str, value: str, words: str) -> None:
    text = textwrap.dedent(f"""
        criteria: [rpp-injection]
        items:
          - {{id: a, kind: recycled_material, material: {{name: PP}}, quantity: {{mass: 1}}}}
          - {{id: b, kind: recycled_material, material: {{name: PP}}, quantity: {{mass: 1}},
             properties: {{{field}: {{value: {value}}}}}}}
        """)
    msg = _error(text)
    assert f"items[1].properties.{field}.value: " in msg and words in msg


def test_water_content_may_exceed_100_percent() -> None:
    """Water content is water / dry solids: above 100 % for wet clay, not refused."""
    text = _doc("[soil-mlit]", """
  - {id: mud, kind: recycled_material, material: {name: soil}, quantity: {mass: 1},
     properties: {water_content: {value: "150 %"}}}""")
    assert grading.stored_values(grading.load(text=text).items[0], "x")["water_content"] == 150


def test_a_criteria_bound_beyond_a_share_is_refused_naming_the_rule() -> None:
    text = textwrap.dedent("""
        criteria:
          - {id: c, version: "1", title: t, status: assumption, assumption_reason: r,
             source: s, rules: [{type: range, property: ash, min: "150 %"}]}
        items:
          - {id: a, kind: recycled_material, material: {name: PP}, quantity: {mass: 1}}
        """)
    assert "c.rules[0].min: ash = 150 wt % is out of range" in _error(text)


# A2: a misspelt element of an item's composition
FE = """
  - {{id: {id}, kind: recycled_material, material: {{name: aluminium, family: cast}},
     quantity: {{mass: 1}}, composition: {{Si: 6.8, {key}: 5.0, Cu: 1.2}}}}"""


@pytest.mark.parametrize(("key", "words"), [
    ("fe", "'fe' is no chemical element: write its symbol 'Fe'"),
    ("Iron", "'Iron' is no chemical element, and this composition states elements (Cu, Si)"),
])
def test_a_misspelt_element_is_refused_not_read_as_absent(key: str, words: str) -> None:
    """{Si: 6.8, fe: 5.0} met alloy-buyer.casting_premium (Fe max 0.5): fe read as 0."""
    text = _doc("[alloy-buyer.casting_premium]", FE.format(id="ok", key="Fe")
                + FE.format(id="typo", key=key))
    msg = _error(text)
    assert f"items[1].composition.{key}: {words}" in msg


def test_the_correct_symbol_fails_the_buyer_and_polymers_stay_allowed() -> None:
    rows = _rows(_doc("[alloy-buyer.casting_premium]", FE.format(id="dirty", key="Fe")))
    assert rows[0]["met"] is False
    example = grading.load("examples/market/grade.yaml")  # PP: 96, PE: 4 beside metals
    assert example.items[0].composition == {"PP": 96, "PE": 4}


# A6: a value on a limit, written in another unit
def test_a_value_on_a_limit_in_another_unit_meets_it() -> None:
    """930 kg/m**3 against 0.93 g/cm³ and 0.035 % against 350 mg/kg failed (conversion
    gave 0.9300000000000003 and 350.00000000000006)."""
    items = (_pp("kg-m3", density='"930 kg/m**3"', pbde='"0.035 %"')
             + _pp("kg-l", density='"0.93 kg/L"', pbde='"350 mg/kg"'))
    rows = _rows(_doc("[rpp-injection, eu-pops-waste-2025]", items))
    assert [r["met"] for r in rows] == [True, True, True, True], rows


def test_a_value_just_past_a_limit_fails_and_is_shown_past_it() -> None:
    """25.0001 was shown '25 g/10 min outside [8 …, 25 …]'; 19.999 MPa as '20 MPa'."""
    items = _pp("over", mfr='"25.0001 g/(10 min)"', density='"0.9300001 g/cm**3"')
    [row] = _rows(_doc("[rpp-injection]", items))
    assert row["met"] is False
    assert row["failed"] == [
        "mfr = 25.0001 g/10 min outside [8 g/10 min, 25 g/10 min]",
        "density = 0.9300001 g/cm³ outside [0.89 g/cm³, 0.93 g/cm³]",
    ]


def test_a_blend_on_a_limit_is_derived_as_graded() -> None:
    """derive_grades (the market's linear terms) agrees with grading the mixed record."""
    doc = grading.load(text=_doc("[eu-pops-waste-2025]", _pp("a", pbde='"0.035 %"')
                                 + _pp("b", pbde='"0.035 %"')))
    compiled = grading.compile_sets(grading.resolve(doc.criteria))
    table = grading.build_table(compiled, doc.items, grading.run(doc).as_of)
    mixed = grading.blend(doc.items, [1000, 3000])
    assert grading.grade([mixed], doc.criteria).met[0, 0]
    assert grading.derive_grades(compiled, table, [1000, 3000]).tolist() == [True]


# part C: the grade messages
def test_a_huge_bare_mass_names_the_magnitude_limit() -> None:
    """YAML 1.1 read 1e30 as text: it was 'has unit '', which cannot be converted to 'kg''.
    Read as the number it is (YAML 1.2), it is refused by the document's number limit."""
    msg = _error(_doc("[rpp-injection]", """
  - {id: a, kind: recycled_material, material: {name: PP}, quantity: {mass: 1e30}}"""))
    assert "items[0].quantity.mass: '1e30': number beyond ±9,007,199,254,740,992" in msg
    assert "cannot be converted" not in msg
    msg = _error(_doc("[rpp-injection]", """
  - {id: a, kind: recycled_material, material: {name: PP}, quantity: {mass: 5e15}}"""))
    assert "items[0].quantity.mass: " in msg and "beyond ±1e+15 kg" in msg


def test_a_magnitude_error_is_not_called_a_unit_mismatch() -> None:
    msg = _error(_doc("[rpp-injection]", _pp(mfr='"1e300 g/(10 min)"')))
    assert "items[0].properties.mfr.value: mfr '1e300 g/(10 min)' is 1e+299 g/min, beyond" in msg
    assert "unit mismatch" not in msg
    wrong = _error(_doc("[rpp-injection]", _pp(mfr='"14 MPa"')))
    assert "items[0].properties.mfr.value: unit mismatch: mfr '14 MPa'" in wrong


def test_a_bad_criteria_entry_is_told_about_its_own_fields_only() -> None:
    text = textwrap.dedent("""
        criteria:
          - {id: t, version: "1", title: t, status: sourced, rules: []}
          - 5
        items:
          - {id: a, kind: recycled_material, material: {name: PP}, quantity: {mass: 1}}
        """)
    msg = _error(text)
    assert "constrained-str" not in msg and "valid string" not in msg
    assert "criteria[0].source: required field is missing" in msg
    assert "criteria[1]: a criteria entry is the id of a shipped set" in msg
