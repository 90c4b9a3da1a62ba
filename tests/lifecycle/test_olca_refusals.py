"""An openLCA zip the import cannot read faithfully is refused, naming the entry (a JSON
entity that is not an object, a second quantitative reference, a non-process in the
processes folder), and ``--materials`` on junkan's own export gives back only the virgin
supplies, with the model's virgin CO2e and cost."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import yaml

from junkan import lifecycle
from junkan.core.errors import JunkanError
from tests.lifecycle.test_optimise import MODEL

o = pytest.importorskip("olca_schema")

from junkan.lifecycle import olca  # noqa: E402

KG = {"@type": "Unit", "@id": olca.REF["kg"][0], "name": "kg"}
MASS = {"@type": "FlowProperty", "@id": olca.REF["kg"][4], "name": "Mass"}


def _flow(fid: str, name: str) -> dict:
    return {"@type": "Flow", "@id": fid, "name": name, "flowType": "PRODUCT_FLOW",
            "flowProperties": [{"isRefFlowProperty": True, "flowProperty": MASS}]}


def _process(pid: str, name: str, refs: int = 1) -> dict:
    exchanges = [
        {"@type": "Exchange", "internalId": i + 1, "isInput": False, "amount": 1.0,
         "unit": KG, "isQuantitativeReference": i < refs,
         "flow": {"@type": "Flow", "@id": f"f-{i}", "name": f"product {i}"}}
        for i in range(2)
    ]
    return {"@type": "Process", "@id": pid, "name": name, "exchanges": exchanges}


def _zip(path: Path, members: dict[str, object]) -> Path:
    members = {"flows/f-0.json": _flow("f-0", "product 0"),
               "flows/f-1.json": _flow("f-1", "product 1"), **members}
    with zipfile.ZipFile(path, "w") as zf:
        for name, doc in members.items():
            zf.writestr(name, json.dumps(doc))
    return path


def _num(text: str) -> float:
    return float(text.split()[0])


def test_the_sample_zip_imports(tmp_path: Path) -> None:
    template, _ = olca.import_template(_zip(tmp_path / "ok.zip",
                                            {"processes/p1.json": _process("p1", "good")}))
    assert list(template["processes"]) == ["good"]


def test_an_entry_that_is_no_json_object_stops_the_import(tmp_path: Path) -> None:
    path = _zip(tmp_path / "list.zip", {"processes/p1.json": _process("p1", "good"),
                                        "processes/p2.json": [1, 2, 3]})
    with pytest.raises(JunkanError) as err:
        olca.import_template(path)
    assert "processes/p2.json" in str(err.value) and "list" in str(err.value)


def test_two_quantitative_references_are_refused_naming_both(tmp_path: Path) -> None:
    path = _zip(tmp_path / "two.zip", {"processes/p1.json": _process("p1", "smelter", refs=2)})
    with pytest.raises(JunkanError) as err:
        olca.import_template(path)
    text = str(err.value)
    assert "processes/p1.json" in text and "'smelter'" in text
    assert "'product 0'" in text and "'product 1'" in text


def test_a_flow_in_the_processes_folder_is_refused(tmp_path: Path) -> None:
    path = _zip(tmp_path / "type.zip", {"processes/p1.json": _process("p1", "good"),
                                        "processes/f9.json": _flow("f9", "stray")})
    with pytest.raises(JunkanError) as err:
        olca.import_template(path)
    assert "processes/f9.json" in str(err.value) and "'Flow'" in str(err.value)


def test_materials_from_junkans_export_are_the_virgin_supplies(tmp_path: Path) -> None:
    model = lifecycle.load(text=MODEL, source="kettle.yaml")
    path = olca.export_inventory(lifecycle.run(model), tmp_path / "inv.zip", name="k")
    template, notes = olca.import_template(path, materials=True)
    doc = yaml.safe_load(MODEL)["materials"]
    assert set(template["materials"]) == {"virgin_steel_k", "virgin_plastic_k"}
    for name, spec in doc.items():
        virgin = template["materials"][f"virgin_{name}_k"]["virgin"]
        for key in ("co2e", "cost"):
            assert _num(virgin[key]) == pytest.approx(_num(spec["virgin"][key]))
    # the treatments and the recycled supply stay processes, each with a note
    for name in ("landfill_k", "steel_recycling_k", "recycled_steel_k"):
        assert name in template["processes"]
        assert any(n.startswith(template["processes"][name]["title"]) for n in notes)


def test_an_export_written_before_the_kinds_keeps_its_virgin_supplies(tmp_path: Path) -> None:
    """Exports written before the process kinds were put in the category (2026-12-03) have
    ``junkan/<label>`` for every process: their ``virgin:`` supplies are still materials,
    the rest processes (a review found 0 materials from such a zip)."""
    import json
    import zipfile

    model = lifecycle.load(text=MODEL, source="kettle.yaml")
    new = olca.export_inventory(lifecycle.run(model), tmp_path / "new.zip", name="k")
    old = tmp_path / "old.zip"
    with zipfile.ZipFile(new) as src, zipfile.ZipFile(old, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("processes/"):
                doc = json.loads(data)
                doc["category"] = "/".join(str(doc.get("category", "")).split("/")[:2])
                data = json.dumps(doc).encode()
            dst.writestr(info.filename, data)
    template, _ = olca.import_template(old, materials=True)
    assert set(template["materials"]) == {"virgin_steel_k", "virgin_plastic_k"}
    assert "landfill_k" in template["processes"]


@pytest.mark.parametrize(("at", "value", "said"), [
    ("amount", True, "exchanges[0].amount is true, not a number"),
    ("amount", "12", 'exchanges[0].amount is "12", not a number'),
    ("costValue", False, "exchanges[0].costValue is false, not a number"),
    ("isInput", "false", 'exchanges[0].isInput is "false", not true or false'),
    ("isQuantitativeReference", 1, "exchanges[0].isQuantitativeReference is 1, not true or "
                                   "false"),
])
def test_a_number_or_flag_of_another_json_type_is_refused(tmp_path: Path, at: str,
                                                           value: object, said: str) -> None:
    """olca-schema's classes keep any JSON value: ``"amount": true`` was imported as 1 (a
    CO2e of 337,500,000 kg a piece for a process of 15), ``"isInput": "false"`` as an
    input. The import refuses such an entity, naming the exchange and the field."""
    proc = _process("p1", "assembly")
    proc["exchanges"][0][at] = value
    path = _zip(tmp_path / "typed.zip", {"processes/p1.json": proc})
    with pytest.raises(JunkanError) as err:
        olca.import_template(path)
    assert "processes/p1.json" in str(err.value) and said in str(err.value), str(err.value)


def test_a_parameter_value_of_another_json_type_is_refused(tmp_path: Path) -> None:
    param = {"@type": "Parameter", "@id": "g1", "name": "share", "value": "0.5",
             "isInputParameter": True}
    path = _zip(tmp_path / "param.zip", {"processes/p1.json": _process("p1", "good"),
                                         "parameters/g1.json": param})
    with pytest.raises(JunkanError) as err:
        olca.import_template(path)
    assert "parameters/g1.json: value is \"0.5\", not a number" in str(err.value)


@pytest.mark.parametrize("name", ["../processes/p2.json", "/processes/p2.json",
                                  "processes\\p2.json", "C:/processes/p2.json"])
def test_an_entry_named_outside_the_zips_folders_is_refused(tmp_path: Path, name: str) -> None:
    """Such an entry was dropped without a word: a process moved to '../processes/' left
    the import one process short (the zip is read in memory, so nothing was written)."""
    path = _zip(tmp_path / "out.zip", {"processes/p1.json": _process("p1", "good"),
                                       name: _process("p2", "moved")})
    with pytest.raises(JunkanError, match="an entry named outside the zip's folders") as err:
        olca.import_template(path)
    assert name in str(err.value).replace("\\\\", "\\")


def test_entries_outside_openlcas_folders_are_noted(tmp_path: Path) -> None:
    """A zip of a folder holding the export ('export/processes/…') was imported one process
    short without a word: such entries are named in the notes (an entry at the zip's top,
    such as openLCA's own olca-schema.json, is not one)."""
    path = _zip(tmp_path / "nested.zip", {"processes/p1.json": _process("p1", "good"),
                                          "export/processes/p2.json": _process("p2", "nested"),
                                          "olca-schema.json": {"version": 2}})
    template, notes = olca.import_template(path)
    assert list(template["processes"]) == ["good"]
    # 'good' has a second product output, a co-product without allocation: its own note
    assert [n for n in notes if "co-products" not in n] == [
        "entries in 'export/processes/' were not read: openLCA writes each kind "
                     "of entity in its own folder at the zip's top (processes/, flows/ …)"]


@pytest.mark.parametrize(("old", "new"), [("avoidedProduct", "isAvoidedProduct"),
                                          ("input", "isInput"),
                                          ("quantitativeReference", "isQuantitativeReference")])
def test_an_openlca_1_export_is_refused_naming_the_old_flag(tmp_path: Path, old: str,
                                                            new: str) -> None:
    """Review 280: openLCA 1.x writes avoidedProduct, input and quantitativeReference, which
    olca-schema 2 renamed. An avoided product so written was read as an ordinary input (a
    credit booked as a burden), and a 1.x process said it had 'no quantitative reference'."""
    process = _process("p1", "steel making")
    exchange = process["exchanges"][1]
    exchange[old] = exchange.pop(new, True)
    path = _zip(tmp_path / "v1.zip", {"processes/p1.json": process})
    with pytest.raises(JunkanError) as err:
        olca.import_template(path)
    text = str(err.value)
    assert f"processes/p1.json: exchanges[1].{old} is openLCA 1.x's name ({new}" in text
    assert "openLCA 2" in text
