"""The CLI's shared helpers: output folders appear whole and with the permissions of the
process umask; errors are one line per problem and exit 2."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from junkan.cli.common import atomic_dir, fail, reported
from junkan.cli.main import app
from junkan.core.errors import JunkanError, ModelError, Problem


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_output_folder_has_the_umask_permissions(tmp_path: Path, umask: None,
                                                 mask: int) -> None:
    os.umask(mask)
    target = tmp_path / "out"
    with atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("a")
    assert _mode(target) == 0o777 & ~mask  # as mkdir would make it, not mkdtemp's 0700
    with atomic_dir(target) as tmp:  # replacing an existing folder
        (tmp / "b.txt").write_text("b")
    assert _mode(target) == 0o777 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert [p.name for p in target.iterdir()] == ["b.txt"]


def test_a_command_output_folder_is_readable_by_others(tmp_path: Path, umask: None) -> None:
    flows = tmp_path / "flows.yaml"
    flows.write_text("name: acme\ninflows:\n  - {name: steel, mass: 10 t, recycled: 0.4}\n"
                     "outflows:\n  - {name: scrap, mass: 8 t, route: recycling}\n", "utf-8")
    out = tmp_path / "html"
    res = CliRunner().invoke(app, ["indicators", str(flows), "--format", "html", "--out",
                                   str(out)])
    assert res.exit_code == 0, res.output
    assert _mode(out) == 0o755
    assert (out / "indicators.html").exists() and (out / "plotly.min.js").exists()


def test_a_failure_leaves_the_old_folder_and_no_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "new.txt").write_text("new")
        raise RuntimeError("half-way")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert [p.name for p in target.iterdir()] == ["old.txt"]


def test_errors_are_one_line_per_problem_and_exit_2(capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    err = ModelError([Problem("a.b", "is wrong"), Problem("c", "is missing")], "m.yaml")
    with pytest.raises(typer.Exit) as stop, reported():
        raise err
    assert stop.value.exit_code == 2
    assert capsys.readouterr().err.splitlines() == ["error m.yaml:a.b: is wrong",
                                                    "error m.yaml:c: is missing"]
    with pytest.raises(typer.Exit) as stop, reported(Path("f.yaml"), KeyError):
        raise KeyError("no such thing")
    assert stop.value.exit_code == 2
    assert capsys.readouterr().err == "error f.yaml: no such thing\n"
    with pytest.raises(typer.Exit):
        fail(JunkanError("one line"))
    assert capsys.readouterr().err == "error one line\n"


def test_an_error_keeps_its_brackets_and_an_os_error_says_why(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Past bugs: ``[low, high]`` in a message vanished as rich markup; an OSError printed its
    number (``error x: 2``); a folder that cannot be made was a traceback."""
    with pytest.raises(typer.Exit):
        fail(JunkanError("range: give [low, high] with low < high"))
    assert capsys.readouterr().err == "error range: give [low, high] with low < high\n"
    with pytest.raises(typer.Exit), reported(Path("x.yaml"), OSError):
        open(tmp_path / "no" / "such" / "file")  # noqa: SIM115
    assert capsys.readouterr().err == "error x.yaml: No such file or directory\n"
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    with pytest.raises(typer.Exit) as stop, atomic_dir(blocker / "out"):
        pass
    assert stop.value.exit_code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error {blocker / 'out'}: cannot create the folder: ") and \
        err.rstrip().rsplit(": ", 1)[1] in ("File exists", "Not a directory")
