"""The evaluate route's COCO set is held to the service's limits and scales, as ``predict``
is: an image over 4096 × 4096 px is refused from its header (the CLI's 40 MP limit is not the
service's), and the sent image's ``mm_per_px`` is used, not silently ignored."""

from __future__ import annotations

import json
from typing import Any

import cv2
import numpy as np
import pytest
from tests.vision.test_dataset_inputs import _png_header

from junkan.api.routers import vision as api_vision
from junkan.vision import VisionModel


def _coco(junkan: dict[str, Any]) -> dict[str, Any]:
    return {
        "images": [{"id": 1, "file_name": "a.png", "width": 120, "height": 100,
                    "junkan": junkan}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1,
                         "segmentation": [[10, 10, 40, 10, 40, 40, 10, 40]]}],
        "categories": [{"id": 1, "name": "cast_al"}],
    }


def _evaluate(model: VisionModel, coco: dict[str, Any], raw: bytes, mmpp: float) -> Any:
    text = json.dumps(model.document())
    return api_vision.evaluate_job(text, None, coco, [("a.png", raw, mmpp)], 600.0)


def test_evaluate_refuses_a_coco_image_over_the_service_pixel_limit(
    small_model: VisionModel,
) -> None:
    coco = _coco({"mm_per_px": 0.8})
    coco["images"][0].update(width=5000, height=5000)
    with pytest.raises(ValueError, match=r"a\.png: 5000×5000 px; the service takes at most "
                                         r"16,777,216 px"):
        _evaluate(small_model, coco, _png_header(5000, 5000), 0.8)


def test_evaluate_refuses_two_scales_for_one_image(small_model: VisionModel) -> None:
    raw = cv2.imencode(".png", np.full((100, 120, 3), 90, np.uint8))[1].tobytes()
    with pytest.raises(ValueError, match=r"coco.images\[0\].junkan.mm_per_px 0.5, but the "
                                         r"image sent as 'a.png' has mm_per_px 0.8"):
        _evaluate(small_model, _coco({"mm_per_px": 0.5}), raw, 0.8)


def test_evaluate_takes_the_sent_scale_when_the_coco_set_has_none(
    small_model: VisionModel,
) -> None:
    raw = cv2.imencode(".png", np.full((100, 120, 3), 90, np.uint8))[1].tobytes()
    doc = _evaluate(small_model, _coco({}), raw, 0.8)
    assert doc["pieces"] == 1


def test_evaluate_refuses_two_images_sent_under_one_name(small_model: VisionModel) -> None:
    """The second would silently replace the first in the evaluated set."""
    raw = cv2.imencode(".png", np.full((100, 120, 3), 90, np.uint8))[1].tobytes()
    text = json.dumps(small_model.document())
    with pytest.raises(ValueError, match=r"images: the name 'a.png' is given more than once"):
        api_vision.evaluate_job(text, None, _coco({"mm_per_px": 0.8}),
                                [("a.png", raw, 0.8), ("a.png", raw, 0.8)], 600.0)
