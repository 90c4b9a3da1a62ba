"""openLCA meanings on import (review 17): flows missing from the zip, compartments, avoided
products, units, currencies, formulas, duplicate ids, impact-factor units, material prices;
damaged zips and non-finite numbers; export failures that name --out and leave nothing."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from junkan.core.errors import JunkanError

o = pytest.importorskip("olca_schema")
from olca_schema import zipio  # noqa: E402

from junkan.lifecycle import olca  # noqa: E402

AIR = "Elementary flows/Emission to air/unspecified"
WATER = "Elementary flows/Emission to water/unspecified"


def _units() -> dict[str, Any]:
    """Mass (kg, g, t) and energy (MJ, kWh) with their groups, as openLCA writes them."""
    kg = o.Unit(id=olca.REF["kg"][0], name="kg", conversion_factor=1.0, is_ref_unit=True)
    g = o.Unit(id="u-g", name="g", conversion_factor=1e-3)
    t = o.Unit(id="u-t", name="t", conversion_factor=1e3)
    mass_g = o.UnitGroup(id=olca.REF["kg"][2], name="Units of mass", units=[kg, g, t])
    mass = o.FlowProperty(id=olca.REF["kg"][4], name="Mass", unit_group=o.as_ref(mass_g))
    mj = o.Unit(id=olca.REF["MJ"][0], name="MJ", conversion_factor=1.0, is_ref_unit=True)
    kwh = o.Unit(id="u-kwh", name="kWh", conversion_factor=3.6)
    en_g = o.UnitGroup(id=olca.REF["MJ"][2], name="Units of energy", units=[mj, kwh])
    energy = o.FlowProperty(id=olca.REF["MJ"][4], name="Energy", unit_group=o.as_ref(en_g))
    eur = o.Currency(id="cur-eur", name="EUR", code="EUR", conversion_factor=1.0)
    usd = o.Currency(id="cur-usd", name="USD", code="USD", conversion_factor=0.9)
    return {"kg": kg, "g": g, "t": t, "mj": mj, "kwh": kwh, "mass": mass, "energy": energy,
            "eur": eur, "usd": usd, "all": [mass_g, mass, en_g, energy, eur, usd]}


def _steel(u: dict[str, Any]) -> tuple[Any, list[Any]]:
    """Steel per t: 1.5 t CO2 and 2000 g CH4 to air, 500 kWh, price 500 000 EUR/t."""
    co2 = o.new_elementary_flow("Carbon dioxide, fossil", u["mass"])
    co2.id, co2.category = "f-co2", AIR
    ch4 = o.new_elementary_flow("Methane, fossil", u["mass"])
    ch4.id, ch4.category = "f-ch4", AIR
    steel = o.new_product("steel billet", u["mass"])
    steel.id = "f-steel"
    power = o.new_product("electricity", u["energy"])
    power.id = "f-power"
    p = o.new_process("steel making")
    p.id = "p-steel"
    ref = o.new_output(p, steel, 1.0, u["t"])
    ref.is_quantitative_reference = True
    ref.cost_value, ref.currency = 500_000.0, o.as_ref(u["eur"])
    e = o.new_input(p, power, 500.0, u["kwh"])
    e.cost_value, e.currency = 50.0, o.as_ref(u["eur"])
    o.new_output(p, co2, 1.5, u["t"])
    o.new_output(p, ch4, 2000.0, u["g"])
    return p, [co2, ch4, steel, power]


BASE = (1500 + 2 * 29.8) / 1000  # kg CO2e per kg of steel by GWP100


def _write(path: Path, entities: list[Any]) -> Path:
    with zipio.ZipWriter(path) as w:
        for e in entities:
            w.write(e)
    return path


def _zip(tmp_path: Path, *, drop: tuple[str, ...] = (), extra: list[Any] | None = None,
         change: Any = None, name: str = "s.zip") -> Path:
    """The steel sample, without the entities of ids ``drop``, with ``extra`` entities and
    the process changed by ``change``."""
    u = _units()
    proc, flows = _steel(u)
    if change is not None:
        change(proc, u)
    ents = [*u["all"], *flows, proc, *(extra or [])]
    return _write(tmp_path / name, [e for e in ents if e.id not in drop])


def _factor(template: dict[str, Any], key: str = "co2e", proc: str = "steel_making") -> float:
    return float(template["processes"][proc][key].split()[0])


def test_an_emission_whose_flow_is_missing_counts_by_its_reference(tmp_path: Path) -> None:
    """Without flows/f-co2.json the 1.5 t CO2 used to count as 0 (0.0596 for 1.5596)."""
    template, _ = olca.import_template(_zip(tmp_path, drop=("f-co2",)))
    assert _factor(template) == pytest.approx(BASE)


def test_an_emission_whose_flow_nothing_describes_is_named_in_a_note(tmp_path: Path) -> None:
    def bare(proc: Any, u: dict[str, Any]) -> None:
        ex = next(e for e in proc.exchanges if e.flow.id == "f-co2")
        ex.flow = o.Ref(ref_type=o.RefType.Flow, id="f-co2", name="Carbon dioxide, fossil")

    template, notes = olca.import_template(_zip(tmp_path, drop=("f-co2",), change=bare))
    assert _factor(template) == pytest.approx(2 * 29.8 / 1000)
    assert any("steel making: flow 'Carbon dioxide, fossil' (f-co2)" in n
               and "left out" in n for n in notes)


def test_co2_to_water_is_no_emission_to_air(tmp_path: Path) -> None:
    """1 t CO2 to water used to count as to air (2.5596 for 1.5596)."""
    u = _units()
    water = o.new_elementary_flow("Carbon dioxide, fossil", u["mass"])
    water.id, water.category = "f-co2w", WATER

    def to_water(proc: Any, _: dict[str, Any]) -> None:
        o.new_output(proc, water, 1.0, u["t"])

    template, _ = olca.import_template(_zip(tmp_path, extra=[water], change=to_water))
    assert _factor(template) == pytest.approx(BASE)


def test_an_avoided_product_is_credited_with_a_note(tmp_path: Path) -> None:
    """200 MJ of avoided heat used to add 200 MJ of energy (2 MJ/kg for 1.6 MJ/kg)."""
    u = _units()
    heat = o.new_product("heat, district", u["energy"])
    heat.id = "f-heat"

    def avoided(proc: Any, _: dict[str, Any]) -> None:
        o.new_input(proc, heat, 200.0, u["mj"]).is_avoided_product = True

    template, notes = olca.import_template(_zip(tmp_path, extra=[heat], change=avoided))
    assert _factor(template, "energy") == pytest.approx((1800 - 200) / 1000)
    assert any("avoided 'heat, district' (200 MJ) credited" in n for n in notes)


def test_a_reference_without_unit_takes_its_flows_reference_unit(tmp_path: Path) -> None:
    """An electricity process per 1 (MJ, no unit given) used to become 0.1 kgCO2e/kg."""
    u = _units()
    _, flows = _steel(u)
    power = next(f for f in flows if f.id == "f-power")
    p = o.new_process("electricity production")
    ref = o.new_output(p, power, 1.0, u["mj"])
    ref.is_quantitative_reference, ref.unit = True, None
    o.new_output(p, flows[0], 0.1, u["kg"])
    template, notes = olca.import_template(_zip(tmp_path, extra=[p]))
    assert "electricity_production" not in template["processes"]
    assert any("electricity production: reference unit 'MJ'" in n for n in notes)


def test_mixed_currencies_are_not_added(tmp_path: Path) -> None:
    """50 USD + 10 EUR of input costs used to be 0.06 EUR/kg."""
    u = _units()

    def mixed(proc: Any, _: dict[str, Any]) -> None:
        proc.exchanges[1].currency = o.as_ref(u["usd"])
        extra = o.new_input(proc, proc.exchanges[1].flow, 0.0, u["kwh"])
        extra.cost_value, extra.currency = 10.0, o.as_ref(u["eur"])

    template, notes = olca.import_template(_zip(tmp_path, change=mixed))
    assert "cost" not in template["processes"]["steel_making"]
    assert template["processes"]["steel_making"]["revenue"] == "500 EUR/kg"
    assert any("steel making: cost in EUR and USD" in n for n in notes)


@pytest.mark.parametrize(
    ("formula", "kg"),
    [("2*x", 20.0), ("x^2 / (y - 5)", 20.0), ("glob * 4", 8.0), ("-(-x)", 10.0)],
)
def test_an_amount_given_by_formula_is_evaluated(tmp_path: Path, formula: str, kg: float
                                                 ) -> None:
    """An exchange with only a formula used to count as 0."""
    u = _units()
    g = o.Parameter(id="par-g", name="glob", value=2.0, is_input_parameter=True)

    def by_formula(proc: Any, _: dict[str, Any]) -> None:
        proc.parameters = [o.new_parameter("x", 10.0),
                           o.Parameter(name="y", formula="x / 2 + 5", is_input_parameter=False)]
        ex = o.new_output(proc, proc.exchanges[2].flow, 0.0, u["kg"])
        ex.amount, ex.amount_formula = None, formula

    template, notes = olca.import_template(_zip(tmp_path, extra=[g], change=by_formula))
    assert _factor(template) == pytest.approx(BASE + kg / 1000), notes


@pytest.mark.parametrize(
    # "10 ^ 400" overflows: an absurd amount, refused (test_olca_magnitudes), not left out
    "formula", ["__import__('os').getcwd()", "sqrt(4)", "nope * 2", "x / 0", "a"]
)
def test_a_formula_that_is_not_arithmetic_is_left_out_with_a_note(
    tmp_path: Path, formula: str
) -> None:
    u = _units()

    def by_formula(proc: Any, _: dict[str, Any]) -> None:
        proc.parameters = [o.new_parameter("x", 10.0),
                           o.Parameter(name="a", formula="a + 1", is_input_parameter=False)]
        ex = o.new_output(proc, proc.exchanges[2].flow, 0.0, u["kg"])
        ex.amount, ex.amount_formula = None, formula

    template, notes = olca.import_template(_zip(tmp_path, change=by_formula))
    assert _factor(template) == pytest.approx(BASE)
    assert any("has only the formula" in n and "left out" in n for n in notes)


def test_formula_never_runs_code() -> None:
    from junkan.lifecycle.olca_read import formula

    with pytest.raises(ValueError, match="not arithmetic"):
        formula("().__class__", {})
    assert formula("2 ^ 3 * x", {"x": 1.5}) == 12.0


def test_a_duplicate_process_id_is_refused(tmp_path: Path) -> None:
    """A second processes/*.json with the same @id used to be imported twice."""
    src = _zip(tmp_path)
    dup = tmp_path / "dup.zip"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dup, "w") as zout:
        for name in zin.namelist():
            zout.writestr(name, zin.read(name))
        doc = json.loads(zin.read("processes/p-steel.json"))
        zout.writestr("processes/copy.json", json.dumps({**doc, "name": "copy"}))
    with pytest.raises(JunkanError, match=r"dup\.zip:processes/copy\.json: @id 'p-steel' is "
                       r"also the id of processes/p-steel\.json"):
        olca.import_template(dup)


@pytest.mark.parametrize(("unit", "ref_unit", "per_g"), [(None, "kg CO2-Eq", False),
                                                         ("g", "kg CO2-Eq", True),
                                                         (None, "t CO2 eq", False)])
def test_impact_factors_apply_in_their_unit(tmp_path: Path, unit: str | None, ref_unit: str,
                                            per_g: bool) -> None:
    """A factor of 30 per g of methane used to be applied per kg."""
    u = _units()
    cat = o.new_impact_category("Climate change (test)")
    cat.ref_unit = ref_unit
    f_unit = o.as_ref(u["g"]) if unit else None
    cat.impact_factors = [
        o.ImpactFactor(flow=o.Ref(ref_type=o.RefType.Flow, id="f-co2"), value=1.0),
        o.ImpactFactor(flow=o.Ref(ref_type=o.RefType.Flow, id="f-ch4"), value=30.0,
                       unit=f_unit),
    ]
    template, _ = olca.import_template(_zip(tmp_path, extra=[cat]))
    scale = 1000.0 if ref_unit.startswith("t") else 1.0
    ch4 = 2.0 * 30 * (1000 if per_g else 1)
    assert _factor(template) == pytest.approx((1500 + ch4) * scale / 1000)


def test_an_uptake_the_impact_category_characterises_counts_as_in_openlca(tmp_path: Path
                                                                         ) -> None:
    """openLCA applies a factor to inputs too: 100 kg of CO2 taken from air at −1."""
    u = _units()
    air = o.new_elementary_flow("Carbon dioxide, in air", u["mass"])
    air.id, air.category = "f-air", "Elementary flows/Resource/in air"
    cat = o.new_impact_category("Climate change (test)")
    cat.ref_unit = "kg CO2 eq"
    cat.impact_factors = [o.ImpactFactor(flow=o.as_ref(air), value=-1.0)] + [
        o.ImpactFactor(flow=o.Ref(ref_type=o.RefType.Flow, id=i), value=v)
        for i, v in (("f-co2", 1.0), ("f-ch4", 29.8))
    ]

    def uptake(proc: Any, _: dict[str, Any]) -> None:
        o.new_input(proc, air, 100.0, u["kg"])

    template, _ = olca.import_template(_zip(tmp_path, extra=[air, cat], change=uptake))
    assert _factor(template) == pytest.approx(BASE - 0.1)


def test_a_material_costs_its_price_not_its_makers_inputs(tmp_path: Path) -> None:
    """virgin.cost used to be the supplier's input costs (0.05 EUR/kg), not the 500 EUR/kg
    the buyer pays."""
    template, _ = olca.import_template(_zip(tmp_path), materials=True)
    virgin = template["materials"]["steel_making"]["virgin"]
    assert virgin["cost"] == "500 EUR/kg"
    assert float(virgin["co2e"].split()[0]) == pytest.approx(BASE)


def _with_member(tmp_path: Path, name: str, data: bytes, stored: bool = False) -> Path:
    out = tmp_path / "h.zip"
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(_zip(tmp_path)) as zin, zipfile.ZipFile(out, "w", method) as zout:
        for n in zin.namelist():
            zout.writestr(n, zin.read(n))
        zout.writestr(name, data)
    return out


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"@type": "Process", "@id": "x", "exchanges": [{"amount": 1e400}]}',
         "1e400' is not a finite number"),
        (b'{"@id": "x", "amount": 1' + b"0" * 400 + b"}", "is not a finite number"),
        (b'{"@id": "x", "amount": -Infinity}', "-Infinity is not a number JSON allows"),
    ],
    ids=["deep", "1e400", "huge-int", "infinity"],
)
def test_hostile_json_names_zip_and_member(tmp_path: Path, data: bytes, message: str) -> None:
    """Deep nesting was a RecursionError traceback; 1e400 became 'co2e: inf'."""
    path = _with_member(tmp_path, "processes/x.json", data)
    with pytest.raises(JunkanError, match=rf"h\.zip:processes/x\.json: .*{message}"):
        olca.import_template(path)


def test_a_damaged_member_names_zip_and_member(tmp_path: Path) -> None:
    """A bad CRC was a BadZipFile traceback."""
    path = _with_member(tmp_path, "flows/crc.json", b'{"a": 1}', stored=True)
    data = bytearray(path.read_bytes())
    at = data.find(b'{"a": 1}')
    data[at + 6] = ord("2")
    path.write_bytes(bytes(data))
    with pytest.raises(JunkanError, match=r"h\.zip:flows/crc\.json: cannot be read .*CRC"):
        olca.import_template(path)


def test_cli_exits_2_on_hostile_zips(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from junkan.cli.main import app

    path = _with_member(tmp_path, "processes/x.json", b"[" * 100_000 + b"]" * 100_000)
    res = CliRunner().invoke(app, ["olca", "import", str(path)])
    assert res.exit_code == 2 and "processes/x.json" in res.output, res.output


@pytest.mark.parametrize("where", ["folder", "under-a-file"])
def test_export_failures_name_out_and_leave_no_temporary(tmp_path: Path, where: str) -> None:
    """--out DIR named the model file ('m.yaml: Is a directory') and left DIR.tmp."""
    from typer.testing import CliRunner

    from junkan.cli.main import app
    from tests.lifecycle.test_optimise import MODEL

    (tmp_path / "m.yaml").write_text(MODEL, encoding="utf-8")
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    out = tmp_path / ("adir" if where == "folder" else "afile/x.zip")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    res = CliRunner().invoke(app, ["olca", "export", str(tmp_path / "m.yaml"), "--out",
                                   str(out)])
    assert res.exit_code == 2, res.output
    assert str(out) in res.output.replace("\n", "") and "m.yaml" not in res.output
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize(("zip_name", "reference_name", "kg"), [
    ("Methane, biogenic", "Methane, fossil", (1500 + 2 * 27.0) / 1000),
    ("Methane, fossil", "Methane, biogenic", BASE),
])
def test_an_emission_is_the_zip_s_flow_whatever_its_reference_says(
        tmp_path: Path, zip_name: str, reference_name: str, kg: float) -> None:
    """openLCA resolves a flow by its @id: the zip's flow named "Methane, biogenic" was
    counted fossil (29.8) when the exchange's reference still said "Methane, fossil"
    (review 225), and the reverse."""
    def renamed(proc: Any, u: dict[str, Any]) -> None:
        ex = next(e for e in proc.exchanges if e.flow.id == "f-ch4")
        ex.flow = o.Ref(ref_type=o.RefType.Flow, id="f-ch4", name=reference_name,
                        category=AIR, flow_type=o.FlowType.ELEMENTARY_FLOW)

    u = _units()
    proc, flows = _steel(u)
    renamed(proc, u)
    for f in flows:
        if f.id == "f-ch4":
            f.name = zip_name
    template, _ = olca.import_template(_write(tmp_path / "m.zip", [*u["all"], *flows, proc]))
    assert _factor(template) == pytest.approx(kg)
