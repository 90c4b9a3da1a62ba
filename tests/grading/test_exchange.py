"""Passport files (junkan.grading.exchange): the format told from the content, the file names
the CLI and the service write, one item's passport, reading within the document limits, and
the same file from every process."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from junkan import grading
from junkan.grading import exchange

ROOT = Path(__file__).resolve().parents[2]
PACKS = ROOT / "examples" / "market" / "packs.yaml"


def test_the_format_is_told_from_the_content() -> None:
    assert grading.passport_format(b'{"GeneralProductInformation": {}}') == "batterypass"
    assert grading.passport_format('{"submodels": []}') == "aas"
    both = '{"submodels": [{"semanticId": "urn:samm:io.BatteryPass.General:1.0.0#x"}]}'
    assert grading.passport_format(both) == "batterypass-aas"
    ours = both[:-2] + ', "w3id.org/junkan/grading/v1#GradingRecord"}]}'
    assert grading.passport_format(ours) == "aas"


def test_file_names_keep_safe_characters_only() -> None:
    assert grading.passport_file_name("pack 7/A", "aas") == "pack_7_A.aas.json"
    assert grading.passport_file_name("電池-1", "batterypass-aas") == "電池-1.batterypass.aas.json"
    with pytest.raises(ValueError, match="unknown passport format"):
        grading.passport_file_name("x", "pdf")


def test_one_item_or_all_and_clashing_names_refused() -> None:
    doc = grading.load(PACKS)
    [(name, bp)] = grading.write_passports(doc, "batterypass", item="pack-7")
    assert name == "pack-7.batterypass.json" and bp == grading.to_batterypass(
        grading.Item.model_validate(grading.run(doc).graded_items()[0])
    )
    with pytest.raises(grading.GradingError) as exc:
        grading.write_passports(doc, "batterypass", item="pack-9")
    assert exc.value.problems[0].path == "item"
    two = yaml.safe_load(PACKS.read_text("utf-8"))
    two["items"] = [two["items"][0] | {"id": "a/b"}, two["items"][0] | {"id": "a b"}]
    with pytest.raises(grading.GradingError, match="same file name"):
        grading.write_passports(grading.load(text=yaml.safe_dump(two)), "batterypass")


def test_reading_keeps_the_document_limits() -> None:
    [(_, bp)] = grading.write_passports(grading.load(PACKS), "batterypass")
    read = grading.read_passport(json.dumps(bp).encode())
    assert (read.format, read.item.id, read.unmapped) == ("batterypass", "pack-7", [])
    with pytest.raises(grading.GradingError, match="JUNKAN_LIMIT_NESTING_DEPTH"):
        grading.read_passport('{"a":' * 100 + "1" + "}" * 100)
    with pytest.raises(grading.GradingError, match="not UTF-8"):
        grading.read_passport(b"\xff{}")
    with pytest.raises(grading.GradingError, match="JUNKAN_LIMIT_NESTING_DEPTH"):
        grading.read_passport("[" * 50_000 + "]" * 50_000)


@pytest.mark.parametrize("fmt", ["auto", "batterypass", "aas", "batterypass-aas"])
def test_text_that_is_not_json_is_a_coded_rule(fmt: str) -> None:
    """A file that is not JSON (here a YAML grading document chosen by mistake) is refused
    under the rule json-syntax, with its line and column, as every other document is: it
    was the parser's own English ("not JSON: Expecting value: line 1 column 1 (char 0)",
    "not a valid AAS V3.0 JSON environment: …"), which the Japanese page could not say."""
    pytest.importorskip("basyx")
    with pytest.raises(grading.GradingError) as exc:
        grading.read_passport(b"items:\n  - id: pack-7\n", fmt)
    [problem] = exc.value.problems
    assert (problem.path, problem.kind) == ("", "json-syntax")
    assert problem.limits == {"line": 1, "column": 1, "problem": "Expecting value"}


def test_a_battery_pass_aas_is_the_same_file_in_every_process() -> None:
    """BaSyx lists a shell's submodel references in hash order: the CLI and the service's
    worker wrote different files for one record (a past bug)."""
    pytest.importorskip("basyx")
    code = (
        "import json, sys; from junkan import grading; "
        f"d = grading.load({str(PACKS)!r}); "
        "print(json.dumps(grading.write_passports(d, 'batterypass-aas')[0][1]))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3", "4")
    }
    assert len(outs) == 1


def _graded(fmt: str) -> dict[str, Any]:
    [(_, doc)] = grading.write_passports(grading.load(PACKS), fmt, item="pack-7")
    return doc


def _extra(name: str) -> dict[str, Any]:
    return {"modelType": "Property", "idShort": name, "valueType": "xs:string", "value": "x"}


def test_every_format_lists_what_it_ignored() -> None:
    """An AAS grading record and a Battery Pass as AAS with elements junkan does not read
    said "unmapped: none" (only the Battery Pass JSON form was checked)."""
    pytest.importorskip("basyx")
    aas = _graded("aas")
    [sm] = [s for s in aas["submodels"] if s["idShort"] == "JunkanGrading"]
    sm["submodelElements"].append(_extra("VendorExtra"))
    props = next(e for e in sm["submodelElements"] if e["idShort"] == "Properties")
    props["value"][0]["value"].append(_extra("Note"))
    aas["submodels"].append({"modelType": "Submodel", "id": "urn:x:nameplate"})
    read = grading.read_passport(json.dumps(aas))
    key = props["value"][0]["idShort"]
    assert read.format == "aas"
    assert read.unmapped == [
        f"JunkanGrading.Properties.{key}.Note",
        "JunkanGrading.VendorExtra",
        "submodel urn:x:nameplate",
    ]
    assert read.item == grading.from_aas(_graded("aas"))  # the record is read as before
    bp = _graded("batterypass-aas")
    general = next(s for s in bp["submodels"] if s["idShort"] == "GeneralProductInformation")
    general["submodelElements"].append(_extra("VendorExtra"))
    bp["submodels"].append(
        {"modelType": "Submodel", "id": "urn:x:nameplate", "idShort": "Nameplate"}
    )
    read = grading.read_passport(json.dumps(bp))
    assert (read.format, read.unmapped) == (
        "batterypass-aas",
        ["GeneralProductInformation.VendorExtra", "submodel urn:x:nameplate"],
    )
    assert grading.read_passport(json.dumps(_graded("batterypass-aas"))).unmapped == []


def test_a_submodel_is_refused_for_formats_without_one() -> None:
    bp = json.dumps(_graded("batterypass"))
    with pytest.raises(grading.GradingError) as exc:
        grading.read_passport(bp, submodel_id="urn:x")
    [p] = exc.value.problems
    assert (p.path, p.kind) == ("submodel", "submodel-not-read")
    assert "batterypass" in p.message


def test_one_item_s_passport_grades_that_item_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exporting one item of 15,000 graded all of them (32.8 s): an item's verdicts and
    classes read its own values only, so it is graded alone, with the same result."""
    doc = yaml.safe_load(PACKS.read_text("utf-8"))
    base = doc["items"][0]
    worn = copy.deepcopy(base) | {"id": "worn"}
    worn["properties"]["state_of_certified_energy"] = {"value": "60 %"}
    doc["items"] = [base, worn, copy.deepcopy(base) | {"id": "third"}]
    model = grading.load(text=yaml.safe_dump(doc))
    every = dict(grading.write_passports(model, "aas", as_of=date(2026, 11, 30)))
    seen: list[int] = []
    real = exchange.run

    def counting(m: grading.GradingDocument, **kw: Any) -> grading.GradeResult:
        seen.append(len(m.items))
        return real(m, **kw)

    monkeypatch.setattr(exchange, "run", counting)
    for it in ("pack-7", "worn", "third"):
        [(name, one)] = grading.write_passports(model, "aas", as_of=date(2026, 11, 30), item=it)
        assert one == every[name]
    assert seen == [1, 1, 1]


def test_clashing_file_names_are_one_coded_rule() -> None:
    with pytest.raises(grading.GradingError) as exc:
        exchange.passport_file_names(["pack/7", "pack_7", "x"], "aas")
    [p] = exc.value.problems
    assert (p.path, p.kind) == ("items", "passport-name-clash")
    assert p.message == ("items whose ids give the same file name: items[0] 'pack/7' and "
                         "items[1] 'pack_7' (pack_7.aas.json)")
    assert exchange.passport_file_names(["a", "b"], "batterypass") == [
        "a.batterypass.json",
        "b.batterypass.json",
    ]
    doc = yaml.safe_load(PACKS.read_text("utf-8"))
    doc["items"] = [doc["items"][0] | {"id": "pack/7"}, doc["items"][0] | {"id": "pack_7"}]
    model = grading.load(text=yaml.safe_dump(doc))
    for item in (None, "pack/7"):  # one item's export keeps the document's rule
        with pytest.raises(grading.GradingError, match="same file name"):
            grading.write_passports(model, "batterypass", item=item)
    with pytest.raises(grading.GradingError, match="same file name"):
        grading.run(model).passport_files()
