"""Reviews 236–238: scenario names that are no folder name, and a results record that
keeps what the user edited or added."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from junkan.cli.main import app
from junkan.cli.out_record import RECORD, read_record

MAGNET = Path(__file__).parents[2] / "examples" / "compressor_magnet.yaml"


def _renamed(tmp_path: Path, name: str) -> Path:
    """compressor_magnet with its scenario B renamed ``name``."""
    doc = yaml.safe_load(MAGNET.read_text("utf-8"))
    doc["scenarios"][name] = doc["scenarios"].pop("B")
    for head in doc.get("headline", {}).values():
        if "scenarios" in head:
            head["scenarios"] = [name if s == "B" else s for s in head["scenarios"]]
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return path


FOLDERS = {"..": "%2E.", "../esc": "%2E.%2Fesc", "a/b": "a%2Fb",
           ".junkan-results": "%2Ejunkan-results", "a\\b": "a%5Cb", "改善 2030": "改善 2030",
           "%2F": "%252F", "report.html": "report%2Ehtml", "compare.json": "compare%2Ejson",
           "plotly.min.js": "plotly%2Emin%2Ejs"}
"""Scenario names and the folders compare --out gives them."""


def test_a_scenario_s_folder_stays_inside_out(tmp_path: Path) -> None:
    """A scenario named '..' made compare --out overwrite the user's flows.csv beside the
    results folder; '../esc' made a folder beside it (review 236); one named report.html
    failed after the whole comparison (review 237). Its folder is its name, encoded where it
    could not name a folder of its own inside --out."""
    doc = yaml.safe_load(MAGNET.read_text("utf-8"))
    b = doc["scenarios"]["B"]
    doc["scenarios"].update({name: b for name in FOLDERS})
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    (tmp_path / "flows.csv").write_text("MY DATA")
    res = CliRunner().invoke(app, ["compare", str(path), "--out", str(tmp_path / "res")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "flows.csv").read_text() == "MY DATA"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flows.csv", "m.yaml", "res"]
    assert (tmp_path / "res" / "report.html").is_file()
    assert sorted(p.name for p in (tmp_path / "res").iterdir() if p.is_dir()) == sorted(
        ["A", "B", "baseline", *FOLDERS.values()])
    assert all((tmp_path / "res" / f / "flows.csv").is_file() for f in FOLDERS.values())


def test_an_edited_file_the_rerun_no_longer_writes_is_kept(tmp_path: Path) -> None:
    """compare of a model, the user edits B/flows.csv, compare of a model without B into the
    same folder: the edited table was deleted (the record said junkan wrote it)."""
    out = tmp_path / "h1"
    assert CliRunner().invoke(app, ["compare", str(MAGNET), "--out", str(out)]).exit_code == 0
    (out / "B" / "flows.csv").write_text("MY HAND-EDITED TABLE")
    other = _renamed(tmp_path, "C")
    res = CliRunner().invoke(app, ["compare", str(other), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "B/flows.csv" in res.output
    assert (out / "B" / "flows.csv").read_text() == "MY HAND-EDITED TABLE"


def test_a_record_listing_a_user_file_does_not_delete_it(tmp_path: Path) -> None:
    """A record naming notes.txt (edited by hand, or copied from another folder) let a rerun
    delete the user's notes.txt."""
    out = tmp_path / "r"
    assert CliRunner().invoke(app, ["simulate", str(MAGNET), "--quiet", "--out",
                                    str(out)]).exit_code == 0
    (out / "notes.txt").write_text("mine")
    with (out / RECORD).open("a", encoding="utf-8") as f:
        f.write(json.dumps([4, 0, "notes.txt"]) + "\n")
    res = CliRunner().invoke(app, ["simulate", str(MAGNET), "--quiet", "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert (out / "notes.txt").read_text() == "mine"


def test_a_file_name_with_a_newline_is_recorded(tmp_path: Path) -> None:
    """A scenario named 'B\\nx': the first compare went through, every later one was refused
    for its own files (the record could not list them)."""
    out = tmp_path / "nl"
    model = _renamed(tmp_path, "B\nx")
    for _ in range(2):
        res = CliRunner().invoke(app, ["compare", str(model), "--out", str(out)])
        assert res.exit_code == 0, res.output
    record = read_record(out)
    assert record is not None and "B\nx/flows.csv" in record.names()


def test_network_cases_list_ignores_out(tmp_path: Path) -> None:
    """--list writes nothing: a folder of another command's results is no reason to refuse."""
    out = tmp_path / "s"
    assert CliRunner().invoke(app, ["simulate", str(MAGNET), "--quiet", "--out",
                                    str(out)]).exit_code == 0
    res = CliRunner().invoke(app, ["network", "cases", "--list", "--out", str(out)])
    assert res.exit_code == 0, res.output


def test_a_long_scenario_name_is_cut_with_a_hash(tmp_path: Path) -> None:
    """Review 237: 90 kanji (270 bytes) or 300 letters: 'File name too long' after the work."""
    names = ["改" * 90, "改" * 90 + "x"]
    doc = yaml.safe_load(MAGNET.read_text("utf-8"))
    doc["scenarios"][names[0]] = doc["scenarios"].pop("A")
    doc["scenarios"][names[1]] = doc["scenarios"].pop("B")
    doc["scenarios"][names[1]]["extends"] = names[0]
    doc["headline"] = {}
    model = tmp_path / "m.yaml"
    model.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    res = CliRunner().invoke(app, ["compare", str(model), "--out", str(tmp_path / "res")])
    assert res.exit_code == 0, res.output
    folders = [p.name for p in (tmp_path / "res").iterdir() if p.is_dir()]
    assert len(folders) == 3 and all(len(f.encode()) <= 200 for f in folders), folders


def test_a_copied_results_folder_is_replaced_and_an_edited_one_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Review 237: a results folder copied with cp -r (new times) was refused only after the
    work; then (2026-12-06) before it, as "changed", though nothing was: the record keeps
    each file's SHA-256, so a copy is the command's to replace, and a file edited to the
    same size is still refused before the work."""
    from junkan import lifecycle

    out = tmp_path / "res"
    assert CliRunner().invoke(app, ["compare", str(MAGNET), "--out", str(out)]).exit_code == 0
    shutil.copytree(out, tmp_path / "copy", copy_function=shutil.copyfile)  # times not kept
    res = CliRunner().invoke(app, ["compare", str(MAGNET), "--out", str(tmp_path / "copy")])
    assert res.exit_code == 0, res.output
    table = next(p for p in out.rglob("*.csv"))
    text = table.read_bytes()
    table.write_bytes(text[:-1] + (b"0" if text[-1:] != b"0" else b"1"))  # same size
    monkeypatch.setattr(lifecycle, "run", lambda *a, **k: pytest.fail("simulated"))
    res = CliRunner().invoke(app, ["compare", str(MAGNET), "--out", str(out)])
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    assert "changed since junkan wrote them" in said and table.name in said, res.output


def test_a_lone_surrogate_in_a_json_model_is_refused_on_load(tmp_path: Path) -> None:
    """Review 237: a scenario named "a\\udc80b" in a JSON model passed validate and ended
    compare --out in a traceback (UnicodeEncodeError writing compare.json)."""
    doc = yaml.safe_load(MAGNET.read_text("utf-8"))
    doc["title"] = "x\udc80"
    model = tmp_path / "m.json"
    model.write_text(json.dumps(doc), "utf-8")  # ASCII: the surrogate as a \\u escape
    res = CliRunner().invoke(app, ["validate", str(model)])
    assert res.exit_code == 2, res.output
    assert "m.json:title" in res.output and "lone surrogate" in res.output, res.output


def test_a_lone_surrogate_in_a_large_json_model_is_refused(tmp_path: Path) -> None:
    """Review 238: the check ran only on documents under 64 KiB (a large one skipped the
    walk over its data), so validate passed and compare --out ended in a traceback."""
    doc = yaml.safe_load(MAGNET.read_text("utf-8"))
    doc["scenarios"]["A\udc80"] = doc["scenarios"].pop("A")
    doc["scenarios"]["B"]["extends"] = "A\udc80"
    doc["headline"] = {}
    doc["sources"] = {f"s{i}": "x" * 100 for i in range(800)}  # ~98 KB
    model = tmp_path / "big.json"
    model.write_text(json.dumps(doc), "utf-8")
    assert model.stat().st_size > 65_536
    res = CliRunner().invoke(app, ["validate", str(model)])
    assert res.exit_code == 2, res.output
    assert "lone surrogate" in res.output and "\\\\" not in res.output, res.output


def test_a_name_like_a_cut_one_keeps_its_own_folder() -> None:
    """Review 238: a name written like a long name's cut folder ('<head>~<hash>') took that
    folder, and one scenario's tables overwrote the other's."""
    from junkan.cli.lifecycle import scenario_folder

    long = "L" * 250
    assert scenario_folder(scenario_folder(long)) != scenario_folder(long)
    assert scenario_folder("a~b") == "a%7Eb"


def test_an_out_path_that_is_not_utf8_is_refused_before_the_work(tmp_path: Path) -> None:
    """Review 238: compare --out $'o\\xffdir' ended in a traceback after the work."""
    import os

    out = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/o\xffdir"))
    res = CliRunner().invoke(app, ["compare", str(MAGNET), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "is not UTF-8 text" in res.output, res.output
    assert list(tmp_path.iterdir()) == []
