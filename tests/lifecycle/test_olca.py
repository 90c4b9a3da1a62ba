"""olca-schema exchange: import an openLCA JSON-LD zip (built here with olca-schema) as unit
factors in a library template; export a scenario's inventory and read it back."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import yaml

from junkan import lifecycle
from junkan.core.errors import JunkanError
from tests.lifecycle.test_optimise import MODEL

o = pytest.importorskip("olca_schema")
from olca_schema import zipio  # noqa: E402

from junkan.lifecycle import olca  # noqa: E402


def _sample(path: Path, *, impact: bool = False) -> Path:
    """Steel per kg (CO2 1.8 kg, CH4 0.002 kg, 5 kWh, cost 120 JPY/kg) and a transport per
    t*km, the way openLCA writes them."""
    mass = o.Ref(ref_type=o.RefType.FlowProperty, id=olca.REF["kg"][4], name="Mass")
    kg = o.Ref(ref_type=o.RefType.Unit, id=olca.REF["kg"][0], name="kg")
    g = o.Ref(ref_type=o.RefType.Unit, id="g-unit", name="g")
    kwh = o.Ref(ref_type=o.RefType.Unit, id="kwh-unit", name="kWh")
    tkm = o.Ref(ref_type=o.RefType.Unit, id="tkm-unit", name="t*km")
    jpy = o.Currency(name="JPY", code="JPY")
    co2 = o.new_elementary_flow("Carbon dioxide, fossil", mass)
    ch4 = o.new_elementary_flow("Methane, fossil", mass)
    co2.category = ch4.category = "Elementary flows/Emission to air/unspecified"
    steel = o.new_product("steel, hot rolled", mass)
    power = o.new_product("electricity, medium voltage", mass)
    freight = o.new_product("transport, freight lorry", mass)
    p1 = o.new_process("steel production")
    ref = o.new_output(p1, steel, 2.0, kg)  # reference: 2 kg
    ref.is_quantitative_reference = True
    ref.cost_value, ref.currency = 500.0, o.as_ref(jpy)
    o.new_output(p1, co2, 3.6, kg)
    o.new_output(p1, ch4, 4.0, g)
    o.new_input(p1, power, 10.0, kwh)
    cost = o.new_input(p1, power, 0.0, kg)
    cost.cost_value, cost.currency = 240.0, o.as_ref(jpy)
    p2 = o.new_process("lorry transport")
    r2 = o.new_output(p2, freight, 1.0, tkm)
    r2.is_quantitative_reference = True
    o.new_output(p2, co2, 0.2, kg)
    entities = [jpy, co2, ch4, steel, power, freight, p1, p2]
    if impact:
        cat = o.new_impact_category("Climate change - GWP100 (test)")
        cat.ref_unit = "kg CO2 eq"
        cat.impact_factors = [
            o.ImpactFactor(flow=o.as_ref(co2), value=1.0),
            o.ImpactFactor(flow=o.as_ref(ch4), value=25.0),
        ]
        entities.append(cat)
    with zipio.ZipWriter(path) as w:
        for e in entities:
            w.write(e)
    return path


def _amount(text: str) -> float:
    return float(text.split()[0])


def test_import_unit_factors(tmp_path: Path) -> None:
    template, notes = olca.import_template(_sample(tmp_path / "s.zip"))
    assert not notes
    steel = template["processes"]["steel_production"]
    # (3.6 + 0.004 × 29.8) kg CO2e per 2 kg
    assert _amount(steel["co2e"]) == pytest.approx((3.6 + 0.004 * 29.8) / 2)
    assert steel["co2e"].endswith("kgCO2e/kg")
    assert _amount(steel["energy"]) == pytest.approx(10 * 3.6 / 2)
    assert steel["cost"] == "120 JPY/kg" and steel["revenue"] == "250 JPY/kg"
    assert "IPCC AR6" in steel["source"] and "steel production" in steel["source"]
    lorry = template["processes"]["lorry_transport"]
    assert lorry["co2e"] == "0.2 kgCO2e/(t*km)"


def test_import_with_the_zips_impact_category_and_as_materials(tmp_path: Path) -> None:
    template, _ = olca.import_template(_sample(tmp_path / "s.zip", impact=True), materials=True)
    steel = template["materials"]["steel_production"]["virgin"]
    assert _amount(steel["co2e"]) == pytest.approx((3.6 + 0.004 * 25) / 2)
    assert "Climate change" in steel["source"]
    with pytest.raises(JunkanError, match="not in the zip") as err:
        olca.import_template(tmp_path / "s.zip", impact="nope")
    assert str(err.value).startswith(f"{tmp_path / 's.zip'}: ")  # which zip (past: none)


def test_template_is_usable_in_a_model(tmp_path: Path) -> None:
    template, _ = olca.import_template(_sample(tmp_path / "s.zip"))
    doc = yaml.safe_load(MODEL)
    doc["actors"].update(template["actors"])
    proc = dict(template["processes"]["steel_production"])
    doc["processes"]["olca_steel"] = proc
    doc["materials"]["steel"]["virgin"] = {k: proc[k] for k in ("co2e", "cost", "source")}
    model = lifecycle.load(text=yaml.safe_dump(doc), source="with-olca.yaml")
    assert lifecycle.run(model).totals()["co2e_t"] > 0


def test_export_round_trip(tmp_path: Path) -> None:
    model = lifecycle.load(text=MODEL, source="kettle.yaml")
    result = lifecycle.run(model)
    path = olca.export_inventory(result, tmp_path / "inv.zip", name="kettle-baseline")
    frame = result.to_frame("processes").groupby("process").sum(numeric_only=True)
    with zipio.ZipReader(path) as r:
        procs = {p.name: p for p in (r.read_process(i) for i in r.ids_of(o.Process)) if p}
        assert r.read_flow_property(olca.REF["kg"][4]).name == "Mass"
    pickup = procs["pickup (kettle-baseline)"]
    ref = next(e for e in pickup.exchanges if e.is_quantitative_reference)
    assert ref.amount == pytest.approx(frame.loc["pickup", "activity_piece"])
    co2e = next(e for e in pickup.exchanges if e.flow.name == "CO2e (junkan aggregate)")
    assert co2e.amount == pytest.approx(frame.loc["pickup", "co2e_kg"])
    # and back: the unit factors of the model come out again
    template, _ = olca.import_template(path)
    back = template["processes"]["pickup_kettle_baseline"]
    assert back["co2e"] == "0.8 kgCO2e/piece" and back["cost"] == "150 JPY/piece"
    assert template["processes"]["assembly_kettle_baseline"]["revenue"] == "5000 JPY/piece"


def test_bad_zips(tmp_path: Path) -> None:
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    with pytest.raises(JunkanError, match="not a readable zip"):
        olca.import_template(tmp_path / "x.zip")
    # past wording: a missing file was 'not a readable zip file ([Errno 2] No such file…)'
    with pytest.raises(JunkanError, match=r"none\.zip: cannot read the file \(No such file"):
        olca.import_template(tmp_path / "none.zip")
    with zipfile.ZipFile(tmp_path / "e.zip", "w") as z:
        z.writestr("processes/a.json", "{broken")
    with pytest.raises(JunkanError, match="not JSON"):
        olca.import_template(tmp_path / "e.zip")
    with zipfile.ZipFile(tmp_path / "n.zip", "w") as z:
        z.writestr("olca-schema.json", '{"version": 2}')
    with pytest.raises(JunkanError, match="no process"):
        olca.import_template(tmp_path / "n.zip")


def test_cli(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from junkan.cli.main import app

    (tmp_path / "m.yaml").write_text(MODEL, encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "olca",
            "export",
            str(tmp_path / "m.yaml"),
            "--out",
            str(tmp_path / "m.zip"),
            "--years",
            "2020:2025",
        ],
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app,
        [
            "olca",
            "import",
            str(tmp_path / "m.zip"),
            "--out",
            str(tmp_path / "t.yaml"),
            "--stage",
            "recycling",
        ],
    )
    assert res.exit_code == 0, res.output
    doc = yaml.safe_load((tmp_path / "t.yaml").read_text(encoding="utf-8"))
    assert {p["stage"] for p in doc["processes"].values()} == {"recycling"}
    res = runner.invoke(app, ["olca", "import", str(tmp_path / "m.zip"), "--stage", "x"])
    assert res.exit_code == 2


def test_export_keeps_each_factors_source_and_import_reads_it_back(tmp_path: Path) -> None:
    """Review 248: the exported processes said only 'junkan inventory of process …', and
    factors the model marks 'assumption' came back sourced only as the zip."""
    doc = yaml.safe_load(MODEL)
    doc["processes"]["pickup"]["source"] = "Pickup survey 2026, table 3"
    model = lifecycle.load(text=yaml.safe_dump(doc), source="kettle.yaml")
    path = olca.export_inventory(lifecycle.run(model), tmp_path / "inv.zip", name="k")
    with zipio.ZipReader(path) as r:
        procs = {p.name: p for p in (r.read_process(i) for i in r.ids_of(o.Process)) if p}
    assert procs["pickup (k)"].description.endswith(
        "; factors' source: Pickup survey 2026, table 3")
    assert procs["assembly (k)"].description.endswith("; factors' source: assumption")
    supply = next(p for n, p in procs.items() if n.startswith("virgin:"))
    assert supply.description.endswith("; factors' source: assumption")  # a material's supply
    template, _ = olca.import_template(path)
    back = template["processes"]
    assert back["pickup_k"]["source"].endswith("; source given there: Pickup survey 2026, table 3")
    assert back["assembly_k"]["source"].endswith("; source given there: assumption")
