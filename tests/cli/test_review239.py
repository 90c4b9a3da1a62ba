"""Reviews 239 and 240: results folders named through '..' or a loop of links, folders
junkan cannot list or has no record of, a record nested too deep to read, mount points,
names near the file system's limit, and outputs written over their inputs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from junkan import lifecycle
from junkan.cli.main import app
from junkan.cli.out_record import RECORD

MAGNET = Path(__file__).parents[2] / "examples" / "compressor_magnet.yaml"


def _simulate(out: str) -> object:
    return CliRunner().invoke(app, ["simulate", str(MAGNET), "--quiet", "--out", out])


def _no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refusal must come before the simulation."""
    monkeypatch.setattr(lifecycle, "run", lambda *a, **k: pytest.fail("simulated"))


def test_a_folder_named_through_itself_is_replaced_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--out p1/../p1` of an existing folder: once p1 was moved aside, the path no longer
    led anywhere; the results stayed in a hidden folder and p1 was gone (high)."""
    monkeypatch.chdir(tmp_path)
    assert _simulate("p1").exit_code == 0  # type: ignore[attr-defined]
    res = _simulate("p1/../p1")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert (tmp_path / "p1" / "summary.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p1"]  # nothing hidden left


def test_a_final_dot_dot_names_the_folder_it_leads_to(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--out t1/missing/..` ran the work and was then refused, listing junkan's own
    temporary files; `--out cmp/A/..` of compare's own folder is that folder."""
    monkeypatch.chdir(tmp_path)
    with monkeypatch.context() as mp:
        _no_work(mp)
        res = _simulate("t1/missing/..")
        assert res.exit_code == 2 and "does not exist" in res.output, res.output  # type: ignore[attr-defined]
    assert list(tmp_path.iterdir()) == []
    run = CliRunner().invoke
    assert run(app, ["compare", str(MAGNET), "--out", "cmp"]).exit_code == 0
    res = run(app, ["compare", str(MAGNET), "--out", "cmp/A/.."])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp"]


def test_a_folder_that_cannot_be_listed_is_the_users(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A subfolder junkan could not list (mode 000, another user's) was skipped by the walk
    and moved out of sight with the replaced folder (root lists anything: the refusal of
    the listing is simulated)."""
    out = tmp_path / "r"
    assert _simulate(str(out)).exit_code == 0  # type: ignore[attr-defined]
    (out / "sub").mkdir()
    (out / "sub" / "s").write_text("mine")
    scandir = os.scandir

    def refusing(path: object = ".") -> object:
        if Path(os.fsdecode(path)).name == "sub":  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied", os.fsdecode(path))  # type: ignore[arg-type]
        return scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", refusing)
    _no_work(monkeypatch)
    res = _simulate(str(out))
    assert res.exit_code == 2 and "sub/ (cannot be read)" in res.output, res.output  # type: ignore[attr-defined]
    assert (out / "sub" / "s").read_text() == "mine"


@pytest.mark.parametrize("how", ["no record", "record lost", "record unreadable"])
def test_a_folder_without_a_record_is_refused_before_the_work(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """A folder holding files but no record junkan accepts (an older junkan's, the user's,
    files copied without the hidden record, a record nested too deep to read) was judged
    only after the work (a 24 s solve thrown away), and a same-named file was replaced."""
    out = tmp_path / "nn"
    if how == "no record":
        out.mkdir()
        (out / "notes.txt").write_text("mine")
    else:
        assert _simulate(str(tmp_path / "q")).exit_code == 0  # type: ignore[attr-defined]
        shutil.copytree(tmp_path / "q", out)
        if how == "record lost":
            (out / RECORD).unlink()
        else:
            with (out / RECORD).open("a", encoding="utf-8") as f:
                f.write("[" * 100_000 + "]" * 100_000 + "\n")  # RecursionError: a traceback
        (out / "summary.json").write_text("my edit")
    _no_work(monkeypatch)
    res = _simulate(str(out))
    assert res.exit_code == 2, res.output  # type: ignore[attr-defined]
    assert "no record of junkan's results" in " ".join(res.output.split())  # type: ignore[attr-defined]
    assert "Traceback" not in res.output  # type: ignore[attr-defined]


def test_dot_dot_after_a_missing_folder_in_any_output(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands writing without the early checks (indicators' pages, examples copy, schema)
    still made the missing folder before a '..' and left it empty."""
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke
    for args in (["indicators", str(MAGNET), "--format", "html", "--out", "m2/../y"],
                 ["examples", "copy", "m3/../z"], ["schema", "--out", "m4/../s.json"]):
        res = run(app, args)
        assert res.exit_code == 2 and "does not exist" in res.output, (args, res.output)
    assert list(tmp_path.iterdir()) == []
    assert run(app, ["schema", "--out", "s.json"]).exit_code == 0
    assert (tmp_path / "s.json").read_text("utf-8").startswith("{")


def test_a_mount_point_is_refused_by_every_results_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """indicators --out a mount point failed after the work ("Device or resource busy")."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    real = os.path.ismount
    monkeypatch.setattr(os.path, "ismount", lambda p: Path(p) == mnt or real(p))
    res = CliRunner().invoke(app, ["indicators", str(MAGNET), "--format", "html", "--out",
                                   str(mnt)])
    assert res.exit_code == 2 and "mount point" in res.output, res.output


def test_a_loop_of_links_is_said_not_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Review 240: `--out loopA/x` with loopA and loopB pointing at each other ended every
    results-folder command in RuntimeError; `loopA/../x` was written to ./x."""
    monkeypatch.chdir(tmp_path)
    os.symlink("loopB", "loopA")
    os.symlink("loopA", "loopB")
    _no_work(monkeypatch)
    for out in ("loopA/x", "loopA/../x"):
        res = _simulate(out)
        assert res.exit_code == 2, res.output  # type: ignore[attr-defined]
        assert "Traceback" not in res.output and out in res.output  # type: ignore[attr-defined]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loopA", "loopB"]


def test_a_name_near_the_limit_is_written_again(tmp_path: Path) -> None:
    """Review 240: an 81-character Japanese folder name (243 bytes) was written once, then
    every rerun failed after the work ("File name too long": the hidden siblings' names
    add 10 and 14 bytes); 246-255 bytes never worked. The same for an output file."""
    from junkan.core.report import write_atomic

    name = "結果" * 41 + "版版"  # 252 bytes
    assert len(name.encode()) == 252
    for _ in range(2):
        res = _simulate(str(tmp_path / name))
        assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    for _ in range(2):
        write_atomic(tmp_path / name / (name[:-1] + ".x"), b"x")


def test_an_unrecorded_folder_names_what_it_holds(tmp_path: Path) -> None:
    """Review 240: a folder holding only an empty subfolder was said to hold "files",
    naming none."""
    (tmp_path / "emp" / "sub").mkdir(parents=True)
    res = _simulate(str(tmp_path / "emp"))
    assert res.exit_code == 2 and "holds sub/ but no record" in " ".join(res.output.split())  # type: ignore[attr-defined]


def test_meter_does_not_write_over_what_it_reads(tmp_path: Path) -> None:
    """Review 240: meter export --out its own factors.csv replaced it with YAML; meter link
    --out its model dropped the 'measured:' blocks for good."""
    factors = tmp_path / "factors.csv"
    factors.write_text("x\n")
    model = tmp_path / "m.yaml"
    model.write_text("processes:\n  p: {measured: {model: CMP-A, step: case_cutting}}\n")
    run = CliRunner().invoke
    res = run(app, ["meter", "export", str(factors), "--out", str(factors)])
    assert res.exit_code == 2 and "is the factors file being read" in res.output, res.output
    res = run(app, ["meter", "link", str(model), "--factors", str(factors), "--out", str(model)])
    assert res.exit_code == 2 and "is the model being read" in res.output, res.output
    assert factors.read_text() == "x\n" and "measured" in model.read_text()


@pytest.mark.parametrize("name", ["summary.json", "runs.csv"])
def test_uncertainty_keeps_a_users_file_named_like_a_result(tmp_path: Path, name: str) -> None:
    """Review 241: uncertainty, sensitivity, calibrate and optimise judged a folder by the
    names they write, so the user's own summary.json or runs.csv there was replaced without
    a word; they now keep a record as simulate does."""
    out = tmp_path / "u"
    out.mkdir()
    (out / name).write_text("my notes")
    spec = MAGNET.parent / "uncertainty" / "compressor_magnet.yaml"
    args = ["uncertainty", str(MAGNET), "--spec", str(spec), "--runs", "8", "--out", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2 and f"holds {name} but no record" in res.output, res.output
    assert (out / name).read_text() == "my notes"
    (out / name).unlink()
    for _ in range(2):  # its own folder, twice
        assert CliRunner().invoke(app, args).exit_code == 0
    (out / "summary.json").write_text("edited")
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2 and "changed since junkan wrote them" in res.output, res.output
    res = CliRunner().invoke(app, ["optimise", str(MAGNET), "--out", str(out), "--quiet"])
    assert res.exit_code == 2 and "junkan uncertainty" in res.output, res.output
