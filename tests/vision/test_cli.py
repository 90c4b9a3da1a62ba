"""`junkan vision render` then `junkan vision train`, as the docs' example runs them: the
rendered set is COCO a user's tools read, and the model file written carries its version,
its training data's hash and the pieces it learnt from (small sizes: this checks the
commands, not accuracy)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from junkan.cli.vision import app
from junkan.vision import load, load_dataset


@pytest.mark.slow
def test_render_then_train_writes_a_versioned_model(tmp_path: Path) -> None:
    data, out = tmp_path / "belt", tmp_path / "model.json"
    runner = CliRunner()
    rendered = runner.invoke(app, ["render", str(data), "--images", "4", "--pieces", "40",
                                   "--seed", "3"])
    assert rendered.exit_code == 0, rendered.output
    coco = json.loads((data / "annotations.json").read_text("utf-8"))
    assert len(coco["images"]) == 4 and len(coco["annotations"]) >= 120
    assert all((data / im["file_name"]).is_file() for im in coco["images"])
    trained = runner.invoke(app, ["train", str(data), "--out", str(out), "--trees", "10",
                                  "--format", "json"])
    assert trained.exit_code == 0, trained.output
    info = json.loads(trained.output)
    model = load(out)
    assert model.version == info["version"] and model.kind == "boosted"
    assert info["images"] == 4 and info["pieces"] >= 120
    assert len(info["training_data_sha256"]) == 64
    # the hash names the data the model learnt from: the set as read back from disk
    assert info["training_data_sha256"] == load_dataset(data).digest


def test_a_render_option_out_of_range_is_named_as_typed(tmp_path: Path) -> None:
    """'--grain-mm -5' printed pydantic's 'validation error for RenderSpec / grain_mm …'."""
    res = CliRunner().invoke(app, ["render", str(tmp_path / "r"), "--images", "1",
                                   "--grain-mm", "-5"])
    assert res.exit_code == 2
    assert "--grain-mm: Input should be greater than or equal to 10" in res.output
    assert "RenderSpec" not in res.output and "pydantic" not in res.output


def test_a_render_never_leaves_old_frames_beside_new_annotations(tmp_path: Path) -> None:
    """Rendering 1 image into a folder of 2 left frame_00001.png of the old set beside the new
    annotations.json; the frames were also all held in memory (about 4 MB each) before any was
    written. Frames are now written as drawn into a folder that replaces OUT whole: the set
    render wrote (its record lists it) is replaced by the new one, never mixed with it, and a
    folder holding a file render did not write is kept as it was."""
    runner = CliRunner()
    data = tmp_path / "set"
    args = ["--pieces", "5", "--seed", "1"]
    assert runner.invoke(app, ["render", str(data), "--images", "2", *args]).exit_code == 0
    res = runner.invoke(app, ["render", str(data), "--images", "1", *args])
    assert res.exit_code == 0, res.output
    assert len(list((data / "images").iterdir())) == 1
    assert len(load_dataset(data / "annotations.json").items) == 1
    (data / "images" / "my_photo.png").write_bytes(b"mine")
    before = sorted(p.name for p in (data / "images").iterdir())
    kept = runner.invoke(app, ["render", str(data), "--images", "2", *args])
    assert kept.exit_code == 2 and "my_photo.png" in kept.output, kept.output
    assert sorted(p.name for p in (data / "images").iterdir()) == before
    (data / "images" / "my_photo.png").unlink()
    again = runner.invoke(app, ["render", str(data), "--images", "2", *args])
    assert again.exit_code == 0, again.output
    assert len(load_dataset(data / "annotations.json").items) == 2
