"""Review 248: ``olca import --out``, ``olca export --out`` and ``calibrate --write-model``
replaced any file of the right suffix — a user's own model by a template, a supplier's zip by
an inventory. A file is now replaced only if the same command wrote it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from junkan.cli.main import app
from tests.conftest import EXAMPLES

MODEL = EXAMPLES / "compressor_magnet.yaml"


def _run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.output


def test_olca_replaces_only_its_own_files(tmp_path: Path) -> None:
    pytest.importorskip("olca_schema")
    theirs = tmp_path / "supplier.zip"
    with zipfile.ZipFile(theirs, "w") as z:
        z.writestr("olca-schema.json", '{"version": 2}')
    before = theirs.read_bytes()
    code, out = _run("olca", "export", str(MODEL), "--scenario", "B", "--out", str(theirs))
    assert code == 2 and "did not write, and it is never replaced" in out, out
    assert theirs.read_bytes() == before
    ours = tmp_path / "B.zip"
    for _ in range(2):  # written, then replaced: it is junkan's
        code, out = _run("olca", "export", str(MODEL), "--scenario", "B", "--out", str(ours))
        assert code == 0, out
    model = tmp_path / "mymodel.yaml"
    model.write_text(MODEL.read_text(encoding="utf-8"), encoding="utf-8")
    code, out = _run("olca", "import", str(ours), "--out", str(model))
    assert code == 2 and "`junkan olca import` did not write" in out, out
    assert model.read_text(encoding="utf-8") == MODEL.read_text(encoding="utf-8")
    template = tmp_path / "template.yaml"
    for _ in range(2):
        code, out = _run("olca", "import", str(ours), "--out", str(template))
        assert code == 0, out


def test_calibrate_write_model_replaces_only_a_calibrated_model(tmp_path: Path) -> None:
    mine = tmp_path / "own.yaml"
    mine.write_text("# my notes\njunkan: 1\n", encoding="utf-8")
    code, out = _run("calibrate", str(MODEL), "--spec",
                     str(EXAMPLES / "uncertainty" / "compressor_magnet.yaml"),
                     "--write-model", str(mine))
    assert code == 2 and "`junkan calibrate` did not write" in out, out
    assert mine.read_text(encoding="utf-8") == "# my notes\njunkan: 1\n"
    # a calibrated model (the shipped one, as calibrate wrote it) would be replaced: not refused
    calibrated = tmp_path / "calibrated.yaml"
    calibrated.write_bytes((EXAMPLES / "calibrated" / "compressor_magnet.yaml").read_bytes())
    from junkan.cli.out_record import starts_with

    assert starts_with(b"# Calibrated model written by `junkan calibrate")(calibrated)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_an_out_no_file_can_be_made_in_is_refused_before_the_work(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Review 248: as root, ``os.access`` says /proc is writable, so ``olca import --out
    /proc/x.yaml`` read the whole zip and ``olca export --out /proc/x.zip`` loaded and ran
    the model before failing to write (export's message without ``--out``). The folder is
    now tried with a file made and removed there, before anything else."""
    pytest.importorskip("olca_schema")
    from junkan import lifecycle
    from junkan.lifecycle import olca

    def never(*_a: object, **_k: object) -> None:
        raise AssertionError("the work started")

    monkeypatch.setattr(olca, "import_template", never)
    monkeypatch.setattr(lifecycle, "load", never)
    zipped = tmp_path / "s.zip"
    zipped.write_bytes(b"PK\x05\x06" + bytes(18))
    for args in (["olca", "import", str(zipped), "--out", "/proc/x.yaml"],
                 ["olca", "export", str(MODEL), "--out", "/proc/x.zip"]):
        code, out = _run(*args)
        assert code == 2, out
        assert "--out /proc/x." in out and "cannot write in /proc" in out, out
    listed = set(p.name for p in tmp_path.iterdir())
    code, out = _run("olca", "import", str(zipped), "--out", str(tmp_path / "t.yaml"))
    assert "cannot write" not in out
    assert set(p.name for p in tmp_path.iterdir()) <= listed | {"t.yaml"}  # no probe left


def test_a_folder_that_keeps_the_probe_is_writable(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Review 252: in an append-only folder the probe file is made but cannot be removed;
    the folder was called unwritable. Only a probe that cannot be made refuses it; the file
    left behind is named."""
    import typer

    from junkan.cli import common

    def refused(path: object) -> None:
        raise PermissionError(1, "Operation not permitted", str(path))

    monkeypatch.setattr(common.os, "unlink", refused)
    with common.console.capture() as said:
        common.check_file_out("--out", tmp_path / "x.yaml")  # no exit: the folder took a file
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".junkan-probe-"), left
    assert left[0] in said.get() and "could not be removed" in said.get(), said.get()
    monkeypatch.setattr(common.tempfile, "mkstemp", lambda **_k: refused(tmp_path))
    with pytest.raises(typer.Exit):
        common.check_file_out("--out", tmp_path / "x.yaml")
