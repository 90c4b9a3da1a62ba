"""A model file is a user's document: an edited one is refused naming the field, before it
classifies anything (found by a review: a NaN temperature made every piece 'wrought', a
missing class ended in a numpy traceback, garbage in 'onnx' in ONNX Runtime's)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from junkan.vision import VisionModel, load


def _edited(model: VisionModel, tmp_path: Path, edit: Any) -> Path:
    doc = model.document()
    edit(doc)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(doc), "utf-8")
    return path


@pytest.mark.parametrize("edit,message", [
    (lambda d: d.update(temperature=float("nan")), "temperature nan must be a number above 0"),
    (lambda d: d.update(temperature=0), "temperature 0.0 must be a number above 0"),
    (lambda d: d.update(temperature=-1), "temperature -1.0 must be a number above 0"),
    (lambda d: d.update(classes=["brass"] * len(d["classes"])),
     "classes: class names used more than once: 'brass' at classes[0, 1, 2"),
    (lambda d: d.update(classes=d["classes"][:-1]), "probabilities per piece but 'classes' "
     "names"),
    (lambda d: d.update(kind="cnn"), "kind 'cnn' needs a network with inputs 'patch' and "
     "'size'"),
    (lambda d: d.update(onnx=base64.b64encode(b"not a network").decode()),
     "'onnx' is not a network ONNX Runtime can read"),
    (lambda d: d.update(group_count_onnx=base64.b64encode(b"not a network").decode()),
     "'group_count_onnx' is not a group count model"),
    (lambda d: d.update(group_count_onnx=d["count_onnx"]),
     "'group_count_onnx' is not a group count model for 45 features"),
])
def test_an_edited_model_file_is_refused_naming_the_field(
        small_model: VisionModel, tmp_path: Path, edit: Any, message: str) -> None:
    path = _edited(small_model, tmp_path, edit)
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")) as err:
        load(path)
    assert str(path) in str(err.value)


def test_the_saved_model_loads_and_gives_the_same_probabilities(
        small_model: VisionModel, tmp_path: Path) -> None:
    import numpy as np

    from junkan.vision.features import FEATURES

    path = _edited(small_model, tmp_path, lambda d: None)
    again = load(path)
    x = np.random.default_rng(0).normal(size=(5, len(FEATURES)))
    np.testing.assert_allclose(again.proba(x), small_model.proba(x))


def _cal(**change: Any) -> Any:
    def edit(doc: dict[str, Any]) -> None:
        doc["calibration"] = {**doc["calibration"], **change}  # not the shared model's

    return edit


@pytest.mark.parametrize("edit,message", [
    (_cal(mean=[float("nan")] * 4), "calibration.mean [nan, nan, nan, nan] must be 4 mass "
     "factors above 0"),
    (_cal(mean=[1e300] * 4), "calibration.mean [1e+300, 1e+300, 1e+300, 1e+300] must be"),
    (_cal(mean=[1.0]), "calibration.mean [1.0] must be 4 mass factors"),
    (_cal(cov=[[-1.0 if i == j else 0.0 for j in range(4)] for i in range(4)]),
     "calibration.cov [[-1.0, 0.0, 0.0, 0.0]"),
    (_cal(cov=[[0.1, 0.5, 0, 0], [0, 0.1, 0, 0], [0, 0, 0.1, 0], [0, 0, 0, 0.1]]),
     "must be a symmetric, positive semi-definite 4 × 4 matrix"),
    (lambda d: d.update(calibration={"x": 1}), "calibration.groups None must be ['wrought'"),
])
def test_a_model_with_a_broken_mass_calibration_is_refused_naming_the_field(
        small_model: VisionModel, tmp_path: Path, edit: Any, message: str) -> None:
    """A NaN factor gave NaN masses, a negative variance bands that are not 5–95 %, a
    calibration without 'mean' a KeyError when predicting."""
    path = _edited(small_model, tmp_path, edit)
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")
                       .replace("+", r"\+")) as err:
        load(path)
    assert str(path) in str(err.value)
