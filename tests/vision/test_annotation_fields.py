"""Annotation files a user's tools (or an attacker) may write: every bad field is refused
naming the file, the annotation or entry, the field and the value — never a traceback, an
exhausted memory, or a piece silently counted wrong."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from junkan.cli.vision import app
from junkan.vision import ImageError, VisionModel, load_dataset, run

BASE: dict[str, Any] = {
    "images": [{"id": 1, "file_name": "a.png", "width": 120, "height": 100,
                "junkan": {"mm_per_px": 0.5}}],
    "annotations": [{"id": 7, "image_id": 1, "category_id": 1,
                     "segmentation": [[10, 10, 40, 10, 40, 40, 10, 40]]}],
    "categories": [{"id": 1, "name": "cast_al"}],
}


def _coco(tmp_path: Path, change: Any = None, **ann: Any) -> Path:
    """``tmp_path`` with a 120×100 image and BASE's annotations, the first annotation
    updated with ``ann`` (a value None removes the field) and the document passed to
    ``change``."""
    img = np.full((100, 120, 3), 90, np.uint8)
    cv2.imwrite(str(tmp_path / "a.png"), img)
    doc = copy.deepcopy(BASE)
    for k, v in ann.items():
        if v is None:
            doc["annotations"][0].pop(k, None)
        else:
            doc["annotations"][0][k] = v
    if change is not None:
        change(doc)
    (tmp_path / "annotations.json").write_text(json.dumps(doc), "utf-8")
    return tmp_path


@pytest.mark.parametrize("poly, shown", [
    ([-50, -50, -10, -50, -10, -10], "x -50"),
    ([10, 10, 500, 10, 40, 40], "x 500"),
    ([10, 10, 40, 10, 40, 400], "y 400"),
])
def test_polygon_off_the_image_is_refused_naming_annotation_and_value(
    tmp_path: Path, poly: list[float], shown: str
) -> None:
    """A coordinate off the image is refused, not an empty or clipped mask; the bound also
    keeps NaN or 1e30 coordinates (which made pycocotools exhaust the memory) out."""
    with pytest.raises(ImageError, match=rf"annotation 7: .*polygon {shown} is not a number "
                                         r"within the image"):
        load_dataset(_coco(tmp_path, segmentation=[poly]))


def test_polygon_with_too_many_points_is_refused(tmp_path: Path) -> None:
    poly = [10.0, 10.0, 40.0, 10.0] * 10_001
    with pytest.raises(ImageError, match=r"annotation 7: .*20,002 polygon points; at most 20,000"):
        load_dataset(_coco(tmp_path, segmentation=[poly]))


def test_rle_of_another_size_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    rle = {"size": [10_000, 10_000], "counts": [100_000_000]}
    with pytest.raises(ImageError, match=r"annotation 7: .*RLE size \[10000, 10000\], the "
                                         r"image's is \[100, 120\]"):
        load_dataset(_coco(tmp_path, segmentation=rle))


def test_crowd_annotation_is_refused_not_counted_as_one_piece(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"annotation 7: iscrowd 1: a crowd region"):
        load_dataset(_coco(tmp_path, iscrowd=1))


def test_images_with_number_and_text_ids_load_together(tmp_path: Path) -> None:
    def add(doc: dict[str, Any]) -> None:
        doc["images"].append({**doc["images"][0], "id": "b"})

    data = load_dataset(_coco(tmp_path, add))
    assert [len(it.pieces) for it in data.items] == [1, 0]


@pytest.mark.parametrize("field, value, shown", [
    ("image_id", [1], r"annotation 7: image_id \[1\] is not in 'images'"),
    ("category_id", [1], r"annotation 7: category_id \[1\]: a category's id"),
    ("category_id", {"a": 1}, r"annotation 7: category_id \{'a': 1\}: a category's id"),
])
def test_list_or_mapping_ids_are_refused_naming_the_field(
    tmp_path: Path, field: str, value: Any, shown: str
) -> None:
    with pytest.raises(ImageError, match=shown):
        load_dataset(_coco(tmp_path, **{field: value}))


def test_annotation_id_true_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"every entry of 'annotations' needs an 'id'"):
        load_dataset(_coco(tmp_path, id=True))


@pytest.mark.parametrize("libs", [{"Cu": "x"}, {"Cu": float("nan")}, [1, 2], {"Al": True}])
def test_analysis_with_text_nan_or_a_list_is_refused_naming_the_field(
    tmp_path: Path, libs: Any
) -> None:
    with pytest.raises(ImageError, match=r"annotation 7: libs .*: an analysis maps element "
                                         r"symbols to finite wt %"):
        load_dataset(_coco(tmp_path, category_id=None, libs=libs))


@pytest.mark.parametrize("width", [120.7, True, "120"])
def test_image_size_must_be_whole_pixels(tmp_path: Path, width: Any) -> None:
    def bad(doc: dict[str, Any]) -> None:
        doc["images"][0]["width"] = width

    with pytest.raises(ImageError, match=rf"image 'a.png': width {width!r}, height 100: "
                                         r"give the image's size in whole px"):
        load_dataset(_coco(tmp_path, bad))


def test_mass_true_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"annotation 7: mass_g True is not >= 0"):
        load_dataset(_coco(tmp_path, mass_g=True))


def test_predict_on_a_data_set_without_images_is_refused(
    tmp_path: Path, small_vision_model_file: Path, small_model: VisionModel
) -> None:
    def empty(doc: dict[str, Any]) -> None:
        doc["images"], doc["annotations"] = [], []

    data = _coco(tmp_path, empty)
    res = CliRunner().invoke(app, ["predict", str(small_vision_model_file), str(data)])
    assert res.exit_code != 0
    assert f"{data}: the data set lists no images to analyse" in res.output.replace("\n", "")
    with pytest.raises(ValueError, match="no images to analyse"):
        run(small_model, [])


def test_predict_refuses_a_scale_option_the_data_set_would_ignore(
    tmp_path: Path, small_vision_model_file: Path
) -> None:
    data = _coco(tmp_path)
    res = CliRunner().invoke(app, ["predict", str(small_vision_model_file), str(data),
                                   "--mm-per-px", "0.3"])
    assert res.exit_code != 0
    assert "--mm-per-px 0.3: for plain images only" in res.output.replace("\n", "")


@pytest.mark.parametrize("verb", ["render", "train"])
def test_a_negative_seed_is_refused_naming_the_option(tmp_path: Path, verb: str) -> None:
    res = CliRunner().invoke(app, [verb, str(tmp_path / "x"), "--seed", "-1"])
    assert res.exit_code != 0
    assert "--seed" in res.output and "greater than or equal to 0" in res.output
