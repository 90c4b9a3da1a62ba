"""Review 231 (the user guide's chapters 9–11 walked as a new user): output paths checked
before the work, files of another kind never replaced, and observations checked by every
analysis."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest
from typer.testing import CliRunner

from junkan.cli.main import app

EXAMPLES = Path(str(files("junkan") / "data" / "examples"))
MODEL = EXAMPLES / "compressor_magnet.yaml"
SPEC = EXAMPLES / "optimise" / "compressor_magnet.yaml"


def test_optimise_replaces_its_own_earlier_results(tmp_path: Path) -> None:
    """A Pareto run, then an optimum into the same --out: refused after the whole
    optimisation ("holds files this command does not write (pareto.html, …)")."""
    out = tmp_path / "opt"
    res = CliRunner().invoke(app, ["optimise", str(MODEL), "--spec", str(SPEC), "--quiet",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "pareto.html").is_file()
    res = CliRunner().invoke(app, ["optimise", str(MODEL), "--spec", str(SPEC), "--objective",
                                   "co2e", "--quiet", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "optimise.html").is_file() and not (out / "pareto.html").exists()


@pytest.mark.parametrize(("command", "name", "wants"), [
    (["olca", "export", str(MODEL)], "notes.txt", ".zip"),
    (["olca", "export", str(MODEL)], "model.yaml", ".zip"),
    (["olca", "import", "PLACEHOLDER"], "model.json", ".yaml or .yml"),
])
def test_olca_never_replaces_a_file_of_another_kind(tmp_path: Path, command: list[str],
                                                    name: str, wants: str) -> None:
    """``olca export --out notes.txt`` turned the notes into a zip; ``olca import --out
    model.json`` a model into a template."""
    pytest.importorskip("olca_schema")
    from tests.lifecycle.test_olca import _sample

    target = tmp_path / name
    target.write_text("mine", encoding="utf-8")
    command = [str(_sample(tmp_path / "s.zip")) if c == "PLACEHOLDER" else c for c in command]
    res = CliRunner().invoke(app, [*command, "--out", str(target)])
    assert res.exit_code == 2 and wants in res.output, res.output
    assert target.read_text(encoding="utf-8") == "mine"


def test_olca_import_makes_the_missing_folders(tmp_path: Path) -> None:
    """``olca import --out new/dir/t.yaml`` failed ("cannot write the template (No such
    file or directory)") where export and every --out folder make them."""
    pytest.importorskip("olca_schema")
    from tests.lifecycle.test_olca import _sample

    out = tmp_path / "new" / "dir" / "t.yaml"
    res = CliRunner().invoke(app, ["olca", "import", str(_sample(tmp_path / "s.zip")),
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8").startswith("# Library template imported")


def test_calibrate_write_model_is_checked_before_the_fit(tmp_path: Path) -> None:
    """--write-model under a file (or a read-only folder) failed after the fit (6–20 s)."""
    (tmp_path / "a_file").write_text("x", encoding="utf-8")
    res = CliRunner().invoke(app, ["calibrate", str(EXAMPLES / "atm_reuse.yaml"),
                                   "--write-model", str(tmp_path / "a_file" / "m.yaml")])
    assert res.exit_code == 2
    assert "--write-model" in res.output and "no folder can be made under it" in res.output
    (tmp_path / "dir.yaml").mkdir()
    res = CliRunner().invoke(app, ["calibrate", str(EXAMPLES / "atm_reuse.yaml"),
                                   "--write-model", str(tmp_path / "dir.yaml")])
    assert res.exit_code == 2 and "is a folder" in res.output


@pytest.mark.parametrize("command", ["uncertainty", "sensitivity"])
def test_an_observation_of_no_figure_is_refused_by_every_analysis(tmp_path: Path,
                                                                   command: str) -> None:
    """``validate`` refused a mistyped observation in the model's uncertainty section;
    ``uncertainty`` and ``sensitivity`` ran it with exit 0."""
    import yaml

    doc = yaml.safe_load((EXAMPLES / "calibrated" / "atm_reuse.yaml").read_text(
        encoding="utf-8"))
    doc["uncertainty"]["observations"][0]["headline"] = "co2_reduce_typo"
    model = tmp_path / "m.yaml"
    model.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    res = CliRunner().invoke(app, [command, str(model), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    assert "co2_reduce_typo" in res.output


def test_an_imported_actor_has_the_role_of_its_stage() -> None:
    """``olca import --stage recycling`` made the actor a part maker."""
    from typing import get_args

    from junkan.lifecycle import olca
    from junkan.lifecycle.schema import Role
    from junkan.lifecycle.schema_types import Stage

    assert set(olca.ROLE_OF_STAGE) == set(get_args(Stage))
    assert set(olca.ROLE_OF_STAGE.values()) <= set(get_args(Role))
    assert olca.ROLE_OF_STAGE["recycling"] == "material_regenerator"


def test_out_naming_the_current_folder_is_refused_before_the_work(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--out .`` was refused after the work, naming the command's own temporary files;
    ``--out ../here`` moved the folder the command ran in aside and left the results
    hidden (review 232)."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    for out in (".", "../here", str(tmp_path)):
        res = CliRunner().invoke(app, ["optimise", str(MODEL), "--quiet", "--out", out])
        assert res.exit_code == 2 and "is the current folder or holds it" in res.output, out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here"]


def test_a_link_or_an_empty_folder_inside_out_is_not_deleted(tmp_path: Path) -> None:
    """A link to a folder and an empty folder inside an earlier --out were deleted without
    a word when the results replaced it; an --out that is a link to a folder had the link
    replaced, and the folder it named never got the results (review 232)."""
    out = tmp_path / "o"
    args = ["optimise", str(MODEL), "--quiet", "--out"]
    assert CliRunner().invoke(app, [*args, str(out)]).exit_code == 0
    (tmp_path / "mine").mkdir()
    (out / "link").symlink_to(tmp_path / "mine")
    res = CliRunner().invoke(app, [*args, str(out)])
    assert res.exit_code == 2 and "link" in res.output
    (out / "link").unlink()
    (out / "empty").mkdir()
    res = CliRunner().invoke(app, [*args, str(out)])
    assert res.exit_code == 2 and "empty/" in res.output
    (out / "empty").rmdir()
    (tmp_path / "via").symlink_to(out)
    assert CliRunner().invoke(app, [*args, str(tmp_path / "via")]).exit_code == 0
    assert (tmp_path / "via").is_symlink() and (out / "optimise.html").is_file()


def test_calibrate_write_model_inside_out_is_refused(tmp_path: Path) -> None:
    """--out cal --write-model cal/m.yaml worked once; every later run was refused, the
    folder holding a file calibrate does not write there (review 232)."""
    res = CliRunner().invoke(app, ["calibrate", str(EXAMPLES / "atm_reuse.yaml"), "--out",
                                   str(tmp_path / "cal"), "--write-model",
                                   str(tmp_path / "cal" / "m.yaml")])
    assert res.exit_code == 2 and "is inside --out" in res.output


def test_olca_out_that_is_a_folder_is_said_to_be_one(tmp_path: Path) -> None:
    """``olca export --out somefolder`` was told to give a .zip path (review 232)."""
    pytest.importorskip("olca_schema")
    (tmp_path / "somefolder").mkdir()
    res = CliRunner().invoke(app, ["olca", "export", str(MODEL), "--out",
                                   str(tmp_path / "somefolder")])
    assert res.exit_code == 2 and "is a folder" in res.output


@pytest.mark.parametrize(("name", "said"), [("missing.zip", "file not found; check the path"),
                                            ("folder", "is a folder; give the zip")])
def test_olca_import_of_a_missing_zip_or_a_folder_says_what_to_do(tmp_path: Path, name: str,
                                                                   said: str) -> None:
    """"cannot read the file (No such file or directory)", "(Is a directory)" (review
    231)."""
    pytest.importorskip("olca_schema")
    (tmp_path / "folder").mkdir()
    res = CliRunner().invoke(app, ["olca", "import", str(tmp_path / name)])
    assert res.exit_code == 2 and said in res.output


def test_out_through_a_link_and_dotdot_goes_where_the_system_says(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--out lnk/../res``, lnk a link to elsewhere/deep: the results went to ./res (the
    path's '..' taken as text), while the system and ``mkdir -p`` put it in elsewhere/res
    (review 233)."""
    (tmp_path / "w").mkdir()
    (tmp_path / "elsewhere" / "deep").mkdir(parents=True)
    (tmp_path / "w" / "lnk").symlink_to(tmp_path / "elsewhere" / "deep")
    monkeypatch.chdir(tmp_path / "w")
    res = CliRunner().invoke(app, ["simulate", str(MODEL), "--out", "lnk/../res", "--quiet"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "elsewhere" / "res" / "summary.json").is_file()
    assert not (tmp_path / "w" / "res").exists()


def test_simulate_refuses_the_current_folder_before_simulating(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only optimise and the uncertainty commands checked --out first: simulate, compare,
    report … refused --out . after the whole run (review 233)."""
    import junkan.lifecycle as lc

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(lc, "run", lambda *a, **k: pytest.fail("simulated before refusing"))
    for command in ("simulate", "compare", "report"):
        res = CliRunner().invoke(app, [command, str(MODEL), "--out", "."])
        assert res.exit_code == 2 and "is the current folder" in res.output, command


def test_calibrate_write_model_inside_out_through_a_link_is_refused(tmp_path: Path) -> None:
    """--out callink (a link to cal) with --write-model cal/m.yaml passed the guard
    (review 233)."""
    (tmp_path / "cal").mkdir()
    (tmp_path / "callink").symlink_to(tmp_path / "cal")
    res = CliRunner().invoke(app, ["calibrate", str(EXAMPLES / "atm_reuse.yaml"), "--out",
                                   str(tmp_path / "callink"), "--write-model",
                                   str(tmp_path / "cal" / "m.yaml")])
    assert res.exit_code == 2 and "is inside --out" in res.output


def test_alloy_update_estimates_inside_out_is_refused(tmp_path: Path) -> None:
    """--estimates o/est.json --out o worked once; the next run was refused, the folder
    holding a file the chart does not write (review 234)."""
    res = CliRunner().invoke(app, ["alloy", "update", str(EXAMPLES / "alloys" / "lots.yaml"),
                                   "--estimates", str(tmp_path / "o" / "est.json"),
                                   "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "is inside --out" in res.output
    assert not (tmp_path / "o").exists()


def test_an_empty_zip_is_told_what_to_export(tmp_path: Path) -> None:
    """Review 231: an empty zip was told 'no process could be imported', with no next step."""
    import zipfile

    zipfile.ZipFile(tmp_path / "e.zip", "w").close()
    res = CliRunner().invoke(app, ["olca", "import", str(tmp_path / "e.zip"), "--out",
                                   str(tmp_path / "t.yaml")])
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    assert "holds no processes/ folder" in said and "export the processes" in said, said
    assert not (tmp_path / "t.yaml").exists()


def test_a_spec_wrapped_in_uncertainty_is_told_to_unwrap_it(tmp_path: Path) -> None:
    """Review 231: the model's section pasted whole into --spec was told only 'parameters:
    required field is missing' and 'uncertainty: unknown field'."""
    spec = tmp_path / "s.yaml"
    spec.write_text("uncertainty:\n  parameters: []\n", "utf-8")
    res = CliRunner().invoke(app, ["uncertainty", str(MODEL), "--spec", str(spec), "--runs",
                                   "10"])
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    assert "remove the 'uncertainty:' line" in said, said
    assert "unknown field" not in said, said


def test_a_model_given_as_spec_is_said_to_be_one(tmp_path: Path) -> None:
    """Review 235: a model given as --spec was told to remove its 'uncertainty:' line and
    un-indent it, which would have broken the model."""
    res = CliRunner().invoke(app, ["uncertainty", str(MODEL), "--spec", str(MODEL), "--runs",
                                   "10"])
    assert res.exit_code == 2, res.output
    said = " ".join(res.output.split())
    assert "is a model, not a --spec file" in said and "un-indent" not in said, said
    spec = tmp_path / "s.yaml"  # a spec with a stray key beside its fields: the usual message
    spec.write_text("parameters: []\nuncertainty: {}\n", "utf-8")
    res = CliRunner().invoke(app, ["uncertainty", str(MODEL), "--spec", str(spec)])
    said = " ".join(res.output.split())
    assert res.exit_code == 2 and "uncertainty: unknown field" in said, said
