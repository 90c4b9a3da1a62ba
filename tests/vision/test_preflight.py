"""``junkan vision predict`` on plain images checks every file before it analyses any: an
unreadable, missing or undersized tenth file was reported after nine had been analysed (the
run streams its frames). The message is the one the run gives."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from tests.vision.test_annotation_fields import _coco
from typer.testing import CliRunner

from junkan import vision
from junkan.cli.vision import app
from junkan.vision import results


def _png(path: Path, side: int = 96) -> Path:
    rng = np.random.default_rng(0)
    cv2.imwrite(str(path), rng.integers(0, 255, (side, side, 3), dtype=np.uint8))
    return path


@pytest.mark.parametrize(("bad", "words"), [
    ("corrupt.png", "not a readable image (corrupt, truncated or not an image)"),
    # cut short, its header intact: passed a check of the header alone (review 316)
    ("cut.png", "not a readable image (corrupt, truncated or not an image)"),
    ("missing.png", "cannot read"),
    ("small.png", "32×32 px; images must be at least 64 px a side"),
])
def test_no_image_is_analysed_when_one_cannot_be_read(
    tmp_path: Path, small_vision_model_file: Path, monkeypatch: pytest.MonkeyPatch,
    bad: str, words: str,
) -> None:
    good = [_png(tmp_path / f"belt-{i}.png") for i in range(3)]
    (tmp_path / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    _png(tmp_path / "small.png", 32)
    whole = _png(tmp_path / "whole.png", 200).read_bytes()
    (tmp_path / "cut.png").write_bytes(whole[: len(whole) // 3])
    seen: list[str] = []
    real = results.analyse

    def counted(*args: object, **kw: object) -> object:
        seen.append(str(args[3]))
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(results, "analyse", counted)
    res = CliRunner().invoke(app, ["predict", str(small_vision_model_file),
                                   *map(str, good), str(tmp_path / bad), "--mm-per-px", "0.5"])
    assert res.exit_code != 0
    said = " ".join(res.output.split())  # (wrapped at the console's width)
    assert str(tmp_path / bad) in res.output.replace("\n", "").replace(" ", "")
    assert words in said
    assert seen == []  # nothing analysed before the refusal
    res = CliRunner().invoke(app, ["predict", str(small_vision_model_file), *map(str, good),
                                   "--mm-per-px", "0.5", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert len(seen) == 3


def test_the_check_and_the_run_say_the_same(tmp_path: Path) -> None:
    corrupt = tmp_path / "x.jpg"
    corrupt.write_bytes(b"not an image at all")
    with pytest.raises(vision.ImageError) as first:
        vision.check_image(corrupt)
    with pytest.raises(vision.ImageError) as then:
        vision.read_image(corrupt)
    assert str(first.value) == str(then.value)
    vision.check_images([_png(tmp_path / "ok.png")])  # a readable one passes


def test_an_upper_case_coco_file_is_a_data_set(tmp_path: Path,
                                               small_vision_model_file: Path) -> None:
    """``DATA.JSON`` was taken for a plain image (and --mm-per-px asked for)."""
    data = _coco(tmp_path) / "annotations.json"
    upper = data.rename(data.with_name("ANNOTATIONS.JSON"))
    res = CliRunner().invoke(app, ["predict", str(small_vision_model_file), str(upper),
                                   "--format", "json"])
    assert res.exit_code == 0, res.output
    assert "a.png" in res.output
