"""Review 249 (hostile and careless openLCA zips): a chosen climate category without usable
factors fell back to GWP100 under the category's name; a factor given by a formula, or with
no value, counted 0 without a word; two factors of one flow, the last won."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from junkan.core.errors import JunkanError

o = pytest.importorskip("olca_schema")

from junkan.lifecycle import olca  # noqa: E402
from tests.lifecycle.test_olca_semantics import _factor, _zip  # noqa: E402

CO2 = o.Ref(ref_type=o.RefType.Flow, id="f-co2")
CH4 = o.Ref(ref_type=o.RefType.Flow, id="f-ch4")


def _category(*factors: Any) -> Any:
    cat = o.new_impact_category("Climate change")
    cat.ref_unit = "kg CO2 eq"
    cat.impact_factors = list(factors)
    return cat


def test_a_category_without_usable_factors_counts_0_under_its_name(tmp_path: Path) -> None:
    """Its flows count 0, as openLCA counts them, with a note each — never GWP100 labelled
    as the zip's category (it gave 1.56 kgCO2e/kg, "by impact category 'Climate change'")."""
    for i, factors in enumerate(((), (o.ImpactFactor(flow=o.Ref(ref_type=o.RefType.Flow),
                                                     value=5.0),))):
        template, notes = olca.import_template(_zip(tmp_path, extra=[_category(*factors)],
                                                    name=f"s{i}.zip"))
        assert "co2e" not in template["processes"]["steel_making"], template
        assert any("the impact category has no factor for it, so it counts 0" in n
                   for n in notes), notes
        assert bool(factors) == any("a factor without a flow id; left out" in n for n in notes)


def test_a_factor_given_by_a_formula_is_evaluated_with_the_categorys_parameters(
        tmp_path: Path) -> None:
    cat = _category(o.ImpactFactor(flow=CO2, formula="1"),
                    o.ImpactFactor(flow=CH4, formula="gwp_ch4 * 2"))
    cat.parameters = [o.Parameter(name="GWP_CH4", value=15.0, is_input_parameter=True)]
    template, _ = olca.import_template(_zip(tmp_path, extra=[cat]))
    assert _factor(template) == pytest.approx((1500 + 2 * 30) / 1000)


@pytest.mark.parametrize(("factor", "said"), [
    ({}, "no value and no formula"),
    ({"formula": "unknown_p * 2"}, "formula 'unknown_p * 2' cannot be read"),
])
def test_a_factor_without_a_value_it_can_read_is_left_out_with_a_note(
        tmp_path: Path, factor: dict[str, Any], said: str) -> None:
    cat = _category(o.ImpactFactor(flow=CO2, value=1.0), o.ImpactFactor(flow=CH4, **factor))
    template, notes = olca.import_template(_zip(tmp_path, extra=[cat]))
    assert _factor(template) == pytest.approx(1.5)  # the CO2 alone, the methane not invented
    assert any("Methane, fossil" in n or "f-ch4" in n for n in notes if said in n), notes


def test_two_factors_of_one_flow_are_refused(tmp_path: Path) -> None:
    cat = _category(o.ImpactFactor(flow=CO2, value=1.0), o.ImpactFactor(flow=CO2, value=1000.0))
    with pytest.raises(JunkanError, match=r"gives flow 'f-co2' \(f-co2\) two factors without "
                       r"a location, 1 and 1000 kg CO2 eq"):
        olca.import_template(_zip(tmp_path, extra=[cat]))
    same = _category(o.ImpactFactor(flow=CO2, value=1.0), o.ImpactFactor(flow=CO2, value=1.0))
    template, _ = olca.import_template(_zip(tmp_path, extra=[same], name="same.zip"))
    assert _factor(template) == pytest.approx(1.5)
    # a regionalised method's factors (one per location) are left out, said once (review 252)
    japan = o.Ref(ref_type=o.RefType.Location, id="loc-jp", name="Japan")
    regional = _category(o.ImpactFactor(flow=CO2, value=1.0),
                         o.ImpactFactor(flow=CO2, value=5.0, location=japan))
    template, notes = olca.import_template(_zip(tmp_path, extra=[regional], name="reg.zip"))
    assert _factor(template) == pytest.approx(1.5)
    assert any("1 factor for a location (a regionalised method) left out" in n for n in notes)


def test_an_allocation_factor_above_1_is_no_share(tmp_path: Path) -> None:
    """A physical allocation factor of 50 gave the reference 50 times the burdens, noted as
    an ordinary allocation."""
    from tests.lifecycle.test_olca_review import _joint, _num, _ref
    from tests.lifecycle.test_olca_review import _zip as _entities_zip

    factors = [{"@type": "AllocationFactor", "allocationType": "PHYSICAL_ALLOCATION",
                "value": 50.0, "product": _ref("Flow", "f-a")}]
    ents = _joint(defaultAllocationMethod="PHYSICAL_ALLOCATION", allocationFactors=factors)
    template, notes = olca.import_template(_entities_zip(tmp_path / "a.zip", ents))
    assert _num(template, "joint") == pytest.approx(10.0)  # all to the reference, said so
    assert any("an allocation factor of 50.0, not a share (0 to 1)" in n for n in notes), notes


@pytest.mark.parametrize("where", ["flow", "reference"])
def test_a_flow_type_openlca_does_not_write_is_refused(tmp_path: Path, where: str) -> None:
    """An emission whose flow said "BOGUS" was dropped without a word."""
    import json
    import zipfile

    path = _zip(tmp_path)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    name = "flows/f-co2.json" if where == "flow" else "processes/p-steel.json"
    doc = json.loads(members[name])
    if where == "flow":
        doc["flowType"] = "BOGUS"
    else:  # the exchange's reference to the CO2 flow
        next(e for e in doc["exchanges"] if e["flow"]["@id"] == "f-co2")["flow"]["flowType"] \
            = "BOGUS"
    members[name] = json.dumps(doc).encode()
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    with pytest.raises(JunkanError, match=r"flowType is \"BOGUS\", not one of ELEMENTARY_FLOW, "
                       "PRODUCT_FLOW, WASTE_FLOW"):
        olca.import_template(bad)


def test_a_process_with_factors_per_kg_comes_back_per_kg(tmp_path: Path) -> None:
    """Its activity is counted in pieces too (modules of 7–60 kg): exported per piece, its
    1.5 kgCO2e/kg came back as 36.349 kgCO2e/piece, an average over the modules' masses,
    still under the model's source. Now the reference follows its own factors' basis."""
    from junkan import lifecycle
    from tests.conftest import EXAMPLES

    mf = lifecycle.load(EXAMPLES / "atm_reuse.yaml")
    path = olca.export_inventory(lifecycle.run(mf), tmp_path / "atm.zip")
    template, _ = olca.import_template(path)
    back = next(p for p in template["processes"].values()
                if p["title"].startswith("module_assembly ("))
    assert (back["co2e"], back["cost"], back["revenue"]) == (
        "1.5 kgCO2e/kg", "4000 JPY/kg", "5000 JPY/kg"), back
    assert back["source"].endswith("source given there: assumption: assembly and test of "
                                   "electro-mechanical modules")


def test_a_process_consuming_its_own_product_is_netted_as_openlca_does(tmp_path: Path) -> None:
    """1 kg of steel out and 0.2 kg of it in from the process itself: openLCA puts both on
    the diagonal (0.8 kg net); the input was ignored, without a word."""
    from tests.lifecycle.test_olca_review import CO2, _ex, _flow, _mass, _num, _process, _ref
    from tests.lifecycle.test_olca_review import _zip as _entities_zip

    def steel(back: float) -> list[Any]:
        return [*_mass(), _flow("f-s", "steel"), CO2, _process("making", [
            _ex("f-s", 1.0, ref=True), _ex("f-co2", 2.0, iid=2),
            _ex("f-s", back, inp=True, iid=3, defaultProvider=_ref("Process", "p-making"))])]

    template, notes = olca.import_template(_entities_zip(tmp_path / "a.zip", steel(0.2)))
    assert _num(template, "making") == pytest.approx(2.0 / 0.8)
    assert any("making: consumes its own product (0.2)" in n for n in notes), notes
    with pytest.raises(JunkanError, match=r"negative reference amount -2; skipped"):
        olca.import_template(_entities_zip(tmp_path / "b.zip", steel(3.0)))


def test_a_parameter_given_twice_in_two_cases_is_refused(tmp_path: Path) -> None:
    from tests.lifecycle.test_olca_review import CO2, _ex, _flow, _mass, _process
    from tests.lifecycle.test_olca_review import _zip as _entities_zip

    params = [{"@type": "Parameter", "name": n, "value": v, "isInputParameter": True}
              for n, v in (("x", 1.0), ("X", 100.0))]
    ents = [*_mass(), _flow("f-s", "steel"), CO2, _process("making", [
        _ex("f-s", 1.0, ref=True), _ex("f-co2", 2.0, iid=2, amountFormula="x * 2")],
        parameters=params)]
    with pytest.raises(JunkanError, match=r"processes/p-making\.json: parameter 'X' is given "
                       r"twice, 1\.0 and 100\.0 \(openLCA's names ignore case\)"):
        olca.import_template(_entities_zip(tmp_path / "p.zip", ents))


def test_what_was_not_read_is_said_when_no_process_is_left(tmp_path: Path) -> None:
    """Processes named ``.JSON``: told only "holds no processes/ folder"."""
    import zipfile

    path = tmp_path / "upper.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("processes/p1.JSON", "{}")
    with pytest.raises(JunkanError, match=r"holds no processes/ folder .*\(1 entry not read "
                       r"\('processes/p1\.JSON'\): not named '\.json'"):
        olca.import_template(path)


def test_a_process_without_id_or_version_is_sourced_by_its_member(tmp_path: Path) -> None:
    import json

    from tests.lifecycle.test_olca_review import CO2, _ex, _flow, _mass, _process
    from tests.lifecycle.test_olca_review import _zip as _entities_zip

    _, proc = _process("making", [_ex("f-s", 1.0, ref=True), _ex("f-co2", 2.0, iid=2)])
    del proc["@id"]  # no id, no version: the member names it
    path = _entities_zip(tmp_path / "n.zip", [*_mass(), _flow("f-s", "steel"), CO2],
                         raw={"processes/p-none.json": json.dumps(proc).encode()})
    template, _ = olca.import_template(path)
    src = template["processes"]["making"]["source"]
    assert "process 'making' (processes/p-none.json)" in src and "None" not in src, src


def test_an_encrypted_entry_is_said_to_be_one(tmp_path: Path) -> None:
    """It was "the zip is damaged (File <ZipInfo filename=… > is encrypted, password
    required for extraction)"."""
    import zipfile

    path = tmp_path / "locked.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("processes/p1.json", b"{}")
    data = bytearray(path.read_bytes())  # the flag a zip tool marks an encrypted entry with
    for sig, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        data[data.index(sig) + at] |= 0x1
    path.write_bytes(bytes(data))
    with pytest.raises(JunkanError, match=r"locked\.zip:processes/p1\.json: is encrypted; "
                       "openLCA writes no password"):
        olca.import_template(path)


def test_a_treatment_returning_its_own_waste_is_said_so(tmp_path: Path) -> None:
    """Review 252: the note said "consumes its own product" of a waste treatment."""
    from tests.lifecycle.test_olca_review import CO2, _ex, _flow, _mass, _num, _process, _ref
    from tests.lifecycle.test_olca_review import _zip as _entities_zip

    ents = [*_mass(), _flow("f-w", "scrap", "WASTE_FLOW"), CO2, _process("sorting", [
        _ex("f-w", 1.0, ref=True, inp=True), _ex("f-co2", 2.0, iid=2),
        _ex("f-w", 0.2, iid=3, defaultProvider=_ref("Process", "p-sorting"))])]
    template, notes = olca.import_template(_entities_zip(tmp_path / "w.zip", ents))
    assert _num(template, "sorting") == pytest.approx(2.0 / 0.8)
    assert any("sorting: returns its own waste (0.2)" in n for n in notes), notes


def test_an_allocation_factor_a_rounding_above_1_is_a_share(tmp_path: Path) -> None:
    """Review 252: 1.0000000000000002 (0.33 + 0.56 + 0.11 in a formula) was no share."""
    from tests.lifecycle.test_olca_review import _joint, _num, _ref
    from tests.lifecycle.test_olca_review import _zip as _entities_zip

    factors = [{"@type": "AllocationFactor", "allocationType": "PHYSICAL_ALLOCATION",
                "formula": "0.33 + 0.56 + 0.11", "product": _ref("Flow", "f-a")}]
    ents = _joint(defaultAllocationMethod="PHYSICAL_ALLOCATION", allocationFactors=factors)
    template, notes = olca.import_template(_entities_zip(tmp_path / "a.zip", ents))
    assert _num(template, "joint") == pytest.approx(10.0)
    assert any("allocated by PHYSICAL_ALLOCATION (1 to its reference" in n for n in notes), notes


@pytest.mark.parametrize("other_provider", [False, True])
def test_own_product_without_default_provider_is_netted_when_the_zip_has_no_other(
        tmp_path: Path, other_provider: bool) -> None:
    """Review 252: 0.2 kg of its own steel in, with no ``defaultProvider``, was left out;
    openLCA's auto-linking links it to the only provider of steel — this process — and nets
    it (0.8 kg). With another steel maker in the zip, the link is not this process's: the
    input is an upstream product, left out as any."""
    from tests.lifecycle.test_olca_review import CO2, _ex, _flow, _mass, _num, _process
    from tests.lifecycle.test_olca_review import _zip as _entities_zip

    ents = [*_mass(), _flow("f-s", "steel"), CO2, _process("making", [
        _ex("f-s", 1.0, ref=True), _ex("f-co2", 2.0, iid=2), _ex("f-s", 0.2, inp=True, iid=3)])]
    if other_provider:
        ents.append(_process("other", [_ex("f-s", 1.0, ref=True), _ex("f-co2", 1.0, iid=2)]))
    template, notes = olca.import_template(_entities_zip(tmp_path / "a.zip", ents))
    assert _num(template, "making") == pytest.approx(2.0 if other_provider else 2.0 / 0.8)
    said = [n for n in notes if "consumes its own product" in n]
    assert said == ([] if other_provider else [
        "making: consumes its own product (0.2), taken from its reference amount as openLCA "
        "does linking it to the zip's only provider"]), notes


@pytest.mark.parametrize("case", ["flow only in the exchange", "process without @id"])
def test_own_product_of_the_only_provider_is_netted_however_the_zip_is_written(
        tmp_path: Path, case: str) -> None:
    """Review 255: the provider index read a flow's type from flows/ only (the import reads
    it from the exchange's reference too), and keyed a process without @id as 'None' — the
    input was left out without a word in both zips."""
    from tests.lifecycle.test_olca_review import CO2, _ex, _flow, _mass, _num, _process
    from tests.lifecycle.test_olca_review import _zip as _entities_zip

    exchanges = [_ex("f-s", 1.0, ref=True), _ex("f-co2", 2.0, iid=2),
                 _ex("f-s", 0.2, inp=True, iid=3)]
    ents = [*_mass(), CO2, _process("making", exchanges)]
    if case == "flow only in the exchange":
        for e in exchanges[::2]:
            e["flow"] = {**e["flow"], "name": "steel", "flowType": "PRODUCT_FLOW",
                         "refUnit": "kg"}
        path = _entities_zip(tmp_path / "a.zip", ents)
    else:
        proc = ents.pop()[1]
        del proc["@id"]
        path = _entities_zip(tmp_path / "a.zip", [*ents, _flow("f-s", "steel")],
                             raw={"processes/making.json": json.dumps(proc).encode()})
    template, notes = olca.import_template(path)
    (name,) = template["processes"]
    assert _num(template, name) == pytest.approx(2.0 / 0.8)
    assert any("consumes its own product (0.2)" in n for n in notes), notes


def test_a_reference_of_0_with_a_second_output_counts_the_second(tmp_path: Path) -> None:
    """Review 255: 0 kg of steel as the reference and a second output of 1 kg of it were
    skipped as 'reference amount 0'; the second output adds to the reference, as with any
    other reference amount."""
    from tests.lifecycle.test_olca_review import CO2, _ex, _flow, _mass, _num, _process
    from tests.lifecycle.test_olca_review import _zip as _entities_zip

    ents = [*_mass(), _flow("f-s", "steel"), CO2, _process("making", [
        _ex("f-s", 0.0, ref=True), _ex("f-s", 1.0, iid=3), _ex("f-co2", 2.0, iid=2)])]
    template, _ = olca.import_template(_entities_zip(tmp_path / "a.zip", ents))
    assert _num(template, "making") == pytest.approx(2.0)
