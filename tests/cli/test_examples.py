"""``junkan examples list|copy``: the shipped examples, for a user who installed junkan
without a clone (no ``examples/`` folder) and runs the guides' commands."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from junkan.cli.examples import describe
from junkan.cli.main import app

runner = CliRunner()
SHIPPED = Path(str(resources.files("junkan.data") / "examples"))


def _tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative path → bytes), byte-code caches left out."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_list_shows_the_shipped_examples_with_size_and_description(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no examples/ here: the list is the package's
    res = runner.invoke(app, ["examples", "list", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = {r["path"]: r for r in json.loads(res.stdout)}
    assert set(rows) == set(_tree(SHIPPED))
    magnet = rows["compressor_magnet.yaml"]
    assert magnet["bytes"] == (SHIPPED / "compressor_magnet.yaml").stat().st_size
    assert magnet["description"].startswith("Case I of seed 003")
    assert rows["uncertainty/atm_reuse.yaml"]["description"].startswith("Uncertainty and")
    res = runner.invoke(app, ["examples", "list"])
    assert res.exit_code == 0, res.output
    assert "atm_reuse.yaml" in res.stdout and "bytes" in res.stdout


@pytest.mark.parametrize(("head", "first"), [
    ("junkan: 1\ndescription: \"Two loops\"\nname: x\n", "Two loops"),
    ("# junkan grade examples/market/grade.yaml\n# Three lots graded\n# more\nk: 1\n",
     "Three lots graded"),
    ('"""The five hypotheses.\n\nmore\n"""\n', "The five hypotheses."),
    ('{"events": []}\n', ""),
    ("type,lot\n# not a leading comment\n", ""),
])
def test_description_is_the_first_line_of_a_field_comment_or_docstring(
        head: str, first: str) -> None:
    assert describe(head) == first


def test_copy_writes_the_whole_tree_and_a_guide_command_runs_from_dest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "work"  # made if missing
    res = runner.invoke(app, ["examples", "copy", str(dest)])
    assert res.exit_code == 0, res.output
    assert _tree(dest / "examples") == _tree(SHIPPED)  # every file, byte for byte
    assert sorted(p.name for p in dest.iterdir()) == ["examples"]  # no temporary left
    monkeypatch.chdir(dest)  # as the guides run them: docs/user-guide.md, README
    res = runner.invoke(app, ["validate", "examples/compressor_magnet.yaml"])
    assert res.exit_code == 0, res.output
    assert "ok examples/compressor_magnet.yaml" in res.stdout


def test_copy_refuses_an_existing_folder_without_force_naming_it(tmp_path: Path) -> None:
    mine = tmp_path / "examples"
    mine.mkdir()
    (mine / "atm_reuse.yaml").write_text("my edits\n")
    res = runner.invoke(app, ["examples", "copy", str(tmp_path)])
    assert res.exit_code == 2
    assert f"DEST {tmp_path}: {mine} already exists; add --force" in " ".join(res.output.split())
    assert (mine / "atm_reuse.yaml").read_text() == "my edits\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["examples"]


def test_copy_with_force_replaces_an_earlier_copy(tmp_path: Path) -> None:
    assert runner.invoke(app, ["examples", "copy", str(tmp_path)]).exit_code == 0
    edited = tmp_path / "examples" / "atm_reuse.yaml"
    edited.write_text("broken\n")
    res = runner.invoke(app, ["examples", "copy", str(tmp_path), "--force"])
    assert res.exit_code == 0, res.output
    assert _tree(tmp_path / "examples") == _tree(SHIPPED)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["examples"]


def test_force_never_deletes_a_users_own_files(tmp_path: Path) -> None:
    assert runner.invoke(app, ["examples", "copy", str(tmp_path)]).exit_code == 0
    own = tmp_path / "examples" / "my_model.yaml"
    own.write_text("mine\n")
    res = runner.invoke(app, ["examples", "copy", str(tmp_path), "--force"])
    assert res.exit_code == 2
    assert "my_model.yaml" in res.output and f"DEST {tmp_path}" in res.output
    assert own.read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["examples"]


def test_copy_names_a_dest_that_is_a_file(tmp_path: Path) -> None:
    dest = tmp_path / "notes.txt"
    dest.write_text("x")
    res = runner.invoke(app, ["examples", "copy", str(dest)])
    assert res.exit_code == 2
    assert f"{dest} is a file" in " ".join(res.output.split())
    assert dest.read_text() == "x"


def test_copy_with_force_refuses_the_packages_own_folder(tmp_path: Path) -> None:
    """In a clone, ``examples`` links to the package's folder: never replaced by a copy."""
    link = tmp_path / "examples"
    link.symlink_to(SHIPPED, target_is_directory=True)
    res = runner.invoke(app, ["examples", "copy", str(tmp_path), "--force"])
    assert res.exit_code == 2
    assert "junkan's own examples folder" in " ".join(res.output.split())
    assert link.is_symlink()
