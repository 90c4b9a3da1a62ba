"""Passport files (junkan.grading.exchange): the format told from the content, the file names
the CLI and the service write, one item's passport, reading within the document limits, and
the same file from every process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from junkan import grading

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
    with pytest.raises(grading.GradingError) as exc:
        grading.read_passport("[" * 50_000 + "]" * 50_000)
    assert "not JSON" in str(exc.value)


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
