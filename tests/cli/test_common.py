"""The CLI's shared helpers: output folders appear whole and with the permissions of the
process umask; errors are one line per problem and exit 2."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from junkan.cli.common import atomic_dir, fail, reported
from junkan.cli.main import app
from junkan.cli.out_record import RECORD, read_record
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
    with atomic_dir(target) as tmp:  # replacing a folder it wrote before
        (tmp / "a.txt").write_text("a2")
        (tmp / "b.txt").write_text("b")
    assert _mode(target) == 0o777 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert sorted(p.name for p in target.iterdir()) == ["a.txt", "b.txt"]


def test_a_folder_holding_other_files_is_never_replaced(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    """``--out keepme`` deleted the user's keepme/notes.txt (and following the guides in
    order, one command's --out out/ deleted another's out/diagnosis)."""
    target = tmp_path / "keepme"
    (target / "earlier").mkdir(parents=True)
    (target / "notes.txt").write_text("my notes")
    (target / "earlier" / "result.json").write_text("{}")
    with pytest.raises(typer.Exit) as stop, atomic_dir(target) as tmp:
        (tmp / "report.html").write_text("new")
    assert stop.value.exit_code == 2
    err = capsys.readouterr().err
    assert "holds files this command does not write" in err and "notes.txt" in err
    assert (target / "notes.txt").read_text() == "my notes"
    assert (target / "earlier" / "result.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["keepme"]  # no temporary folder left


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
    assert err.startswith(f"error --out {blocker / 'out'}: cannot create the folder: ") and \
        err.rstrip().rsplit(": ", 1)[1] in ("File exists", "Not a directory")


TOY = """junkan: 1
name: toy
currency: JPY
years: {start: 2020, end: 2024}
actors:
  maker: {role: product_maker}
  recycler: {role: material_regenerator}
  dump: {role: waste_handler}
materials:
  steel:
    virgin: {co2e: 2.0 kgCO2e/kg, cost: 100 JPY/kg, source: "assumption"}
    recycled: {co2e: 0.5 kgCO2e/kg, cost: 80 JPY/kg, source: "assumption"}
    buyer: maker
products:
  kettle:
    sales: 1000
    lifetime: {distribution: fixed, mean: 2 year}
    bom: [{material: steel, mass: 2 kg}]
    eol:
      collection: {rate: 0.5, processes: [pickup]}
      dismantling: {residual: {steel_recycling: 1}}
      uncollected: {landfill: 1}
processes:
  pickup: {actor: recycler, stage: collection, co2e: 1 kgCO2e/piece, cost: 100 JPY/piece,
           source: "assumption"}
  steel_recycling: {kind: recycling, actor: recycler, stage: recycling, yields: {steel: 0.9},
                    residue: {landfill: 1}, closed_loop: true, co2e: 0.2 kgCO2e/kg,
                    cost: 20 JPY/kg, source: "assumption"}
  landfill: {kind: landfill, actor: dump, stage: disposal, co2e: 0.01 kgCO2e/kg,
             cost: 10 JPY/kg, source: "assumption"}
scenarios:
  more:
    set: {products.kettle.eol.collection.rate: 0.8}
"""
UNCERTAIN = """parameters:
  - {parameter: processes.pickup.co2e, distribution: uniform, min: 0.5, max: 1.5,
     source: test}
  - {parameter: materials.steel.virgin.co2e, distribution: uniform, min: 1.5, max: 2.5,
     source: test}
"""
CALIBRATE = """parameters:
  - {parameter: processes.pickup.co2e, distribution: uniform, min: 0.5, max: 3.0,
     calibrate: true, source: test}
observations:
  - {scenario: baseline, total: co2e_t, value: 20.0, rel_sigma: 0.01, source: synthetic}
"""
OPT = """decisions:
  - {name: coll, parameter: products.kettle.eol.collection.rate, values: [0.5, 0.9]}
"""
COMMANDS = {
    "simulate": [],
    "uncertainty": ["--runs", "4", "--spec", "u.yaml"],
    "sensitivity": ["--method", "morris", "--n", "4", "--spec", "u.yaml",
                    "--output", "baseline:totals.co2e_t"],  # the toy has no headline
    "calibrate": ["--spec", "c.yaml"],
    "optimise": ["--spec", "o.yaml"],
}


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name, text in (("m.yaml", TOY), ("u.yaml", UNCERTAIN), ("c.yaml", CALIBRATE),
                       ("o.yaml", OPT)):
        (tmp_path / name).write_text(text, "utf-8")
    return tmp_path


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_out_naming_an_existing_file_is_refused_and_the_file_kept(toy: Path,
                                                                   command: str) -> None:
    """Past bug: ``--out res`` with ``res`` a file exited 0, replaced the file by the results
    folder and hid it as ``.res.old``; the next run was a traceback (``NotADirectoryError``)
    that left a hidden ``.res.XXXX`` folder each time."""
    (toy / "res").write_text("my notes", "utf-8")
    before = sorted(p.name for p in toy.iterdir())
    for _ in range(2):
        res = CliRunner().invoke(app, [command, "m.yaml", *COMMANDS[command], "--out", "res"])
        assert res.exit_code == 2, res.output
        assert res.exception is None or isinstance(res.exception, SystemExit)
        assert "--out res: res is a file; give a folder" in res.output
        assert (toy / "res").read_text("utf-8") == "my notes"
        assert sorted(p.name for p in toy.iterdir()) == before  # no hidden folder left
    res = CliRunner().invoke(app, [command, "m.yaml", *COMMANDS[command], "--out", "dir"])
    assert res.exit_code == 0, res.output  # a folder is still written, and replaced
    res = CliRunner().invoke(app, [command, "m.yaml", *COMMANDS[command], "--out", "dir"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in toy.iterdir()) == sorted([*before, "dir"])


def test_a_failed_move_keeps_the_old_folder_and_leaves_no_temporary_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    real = Path.rename

    def rename(self: Path, dest: Path) -> Path:
        if Path(dest) == target and self.name.startswith(".out.") and \
                not self.name.startswith(".out.old."):
            raise PermissionError(13, "Permission denied")
        return real(self, dest)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(typer.Exit) as stop, atomic_dir(target) as tmp:
        (tmp / "old.txt").write_text("new")  # the same files: the folder would be replaced
    assert stop.value.exit_code == 2
    assert capsys.readouterr().err == (f"error --out {target}: cannot move the results into "
                                       "place: Permission denied\n")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert [p.name for p in target.iterdir()] == ["old.txt"]


def test_a_file_appearing_while_the_results_are_made_is_kept(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out"
    with pytest.raises(typer.Exit), atomic_dir(target, "--report out") as tmp:
        (tmp / "new.txt").write_text("new")
        target.write_text("someone else's file")
    assert capsys.readouterr().err.startswith(f"error --report out: {target} is a file")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert target.read_text() == "someone else's file"


def test_escape_sequences_in_a_file_name_are_shown_not_obeyed(tmp_path: Path) -> None:
    """A file named with an escape sequence (clear screen) reached the terminal raw."""
    bad = tmp_path / "a\x1b[2Jb.yaml"
    bad.write_text("name: x\n", encoding="utf-8")
    out = CliRunner().invoke(app, ["validate", str(bad)])
    assert out.exit_code == 2
    assert "\x1b" not in out.output
    assert "a\\x1b[2Jb.yaml" in out.output


def test_a_table_shows_its_titles_and_cells_as_text_not_markup(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A model title such as 'a [/x] b' was read as rich markup: a MarkupError traceback."""
    from junkan.cli.common import print_table

    print_table("a [/x] b\x1b[31m", ["c[bold]"], [["[red]v[/red]\x07"]])
    out = capsys.readouterr().out
    assert "a [/x] b\\x1b[31m" in out
    assert "c[bold]" in out and "[red]v[/red]\\x07" in out


def test_a_results_folder_holding_a_file_beyond_its_names_is_not_put_in_place(
        tmp_path: Path) -> None:
    """``atomic_dir(..., writes=...)``: a command that writes a file its early --out check
    did not name (check_out) fails as an internal error, and nothing is left behind."""
    from junkan.core.errors import JunkanError

    said = r"wrote \['stray.csv'\], beyond \['summary.json'\]"
    with pytest.raises(JunkanError, match=said), \
            atomic_dir(tmp_path / "out", writes=("summary.json",)) as tmp:
        (tmp / "summary.json").write_text("{}", "utf-8")
        (tmp / "stray.csv").write_text("", "utf-8")
    assert list(tmp_path.iterdir()) == []


def test_a_file_beside_an_earlier_run_is_refused_before_the_work(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    """Review 234: a note put into an earlier --out of simulate (network solve and the like,
    which cannot name their files before the work) was refused only after the whole run
    (104.7 s of network solve thrown away). The folder lists the files it wrote; a file
    beyond them stops the next run before it starts; the folder alone is replaced."""
    from junkan import lifecycle

    model = Path(__file__).parents[2] / "examples" / "compressor_magnet.yaml"
    out = tmp_path / "sim"
    res = CliRunner().invoke(app, ["simulate", str(model), "--quiet", "--out", str(out)])
    assert res.exit_code == 0, res.output
    record = read_record(out)
    assert record is not None and record.command == "simulate"
    assert record.names() == {p.relative_to(out).as_posix() for p in out.rglob("*")
                              if p.is_file()}
    assert record.unchanged(out) == record.names()
    res = CliRunner().invoke(app, ["simulate", str(model), "--quiet", "--out", str(out)])
    assert res.exit_code == 0, res.output  # its own files are replaced
    (out / "notes.txt").write_text("mine")
    ran: list[str] = []
    monkeypatch.setattr(lifecycle, "run", lambda *a, **k: ran.append("run"))
    res = CliRunner().invoke(app, ["simulate", str(model), "--quiet", "--out", str(out)])
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    assert "holds files this command does not write (notes.txt)" in said, said
    assert ran == []  # refused before simulating
    assert (out / "notes.txt").read_text() == "mine"


MAGNET = Path(__file__).parents[2] / "examples" / "compressor_magnet.yaml"


def test_another_command_s_results_are_refused_before_the_work(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Review 235: a folder of simulate's results passed the early check of another command,
    which was refused only after its whole work (network solve into it: after 37 s)."""
    from junkan import lifecycle

    out = tmp_path / "d"
    res = CliRunner().invoke(app, ["simulate", str(MAGNET), "--quiet", "--out", str(out)])
    assert res.exit_code == 0, res.output
    before = sorted(p.name for p in out.iterdir())
    monkeypatch.setattr(lifecycle, "run", lambda *a, **k: pytest.fail("simulated"))
    res = CliRunner().invoke(app, ["compare", str(MAGNET), "--out", str(out)])
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    assert "holds the results of junkan simulate" in said, said
    assert sorted(p.name for p in out.iterdir()) == before


def test_the_same_command_replaces_its_own_files_from_other_options(tmp_path: Path) -> None:
    """Review 235: compare of one model, then of another with other scenarios, into the same
    folder: the second was refused after the work for the first one's scenario folders,
    which the same command wrote (nature report without --pdf after one with it: the same)."""
    two = tmp_path / "two.yaml"
    two.write_text(MAGNET.read_text("utf-8").replace("\n  A:", "\n  A_renamed:", 1)
                   .replace("extends: A\n", "extends: A_renamed\n")
                   .replace("scenarios: [A, B]", "scenarios: [A_renamed, B]"), "utf-8")
    out = tmp_path / "cmp"
    for model in (MAGNET, two):
        res = CliRunner().invoke(app, ["compare", str(model), "--out", str(out)])
        assert res.exit_code == 0, res.output
    assert (out / "A_renamed").is_dir() and not (out / "A").exists()


def test_a_record_that_is_no_regular_file_is_not_read(tmp_path: Path) -> None:
    """Review 235: a FIFO named like the record blocked the command for ever."""
    out = tmp_path / "r"
    out.mkdir()
    os.mkfifo(out / RECORD)
    assert read_record(out) is None
    (out / "other").mkdir()
    (out / "other" / RECORD).write_text("# not junkan's\ncommand: simulate\n")
    assert read_record(out / "other") is None  # not in its form: the user's file


def test_a_record_reads_rows_with_and_without_the_content_hash(tmp_path: Path) -> None:
    """Rows of records written before the SHA-256 was kept (size, mtime, path) are still
    read; a row whose hash is not one is not junkan's form."""
    from junkan.cli.out_record import _HEAD

    (tmp_path / "a.csv").write_text("x")
    head = _HEAD + "command: simulate\n"
    digest = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"  # of "x"
    (tmp_path / RECORD).write_text(
        head + json.dumps([1, 0, "old.csv"]) + "\n" + json.dumps([1, 0, digest, "a.csv"]) + "\n")
    record = read_record(tmp_path)
    assert record is not None
    assert record.files == {"old.csv": (1, 0, None), "a.csv": (1, 0, digest)}
    assert record.unchanged(tmp_path) == {RECORD, "a.csv"}  # the time differs, not the text
    (tmp_path / RECORD).write_text(head + json.dumps([1, 0, "zz", "a.csv"]) + "\n")
    assert read_record(tmp_path) is None


def test_dot_dot_after_a_missing_folder_is_refused_before_anything_is_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--out a_missing/../res`` made ``a_missing`` only to leave it empty; the same for a
    file path; '..' after an existing folder is a path like any other."""
    from junkan.cli.common import check_file_out, check_out

    monkeypatch.chdir(tmp_path)
    for check in (lambda p: check_out(p), lambda p: check_file_out("--write-model", p)):
        with pytest.raises(typer.Exit):
            check(Path("a_missing/../res"))
        assert list(tmp_path.iterdir()) == []
    (tmp_path / "here").mkdir()
    check_out(Path("here/../res"))
    check_file_out("--write-model", Path("here/../m.yaml"))


def test_a_mount_point_as_out_is_refused_before_the_work(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A mount point (a read-only medium, a container's volume) given as --out failed only
    after the work, when it could not be moved aside."""
    from junkan.cli.common import check_out

    out = tmp_path / "mnt"
    out.mkdir()
    real = os.path.ismount
    monkeypatch.setattr(os.path, "ismount", lambda p: Path(p) == out or real(p))
    with pytest.raises(typer.Exit):
        check_out(out)
    check_out(out / "inside")
