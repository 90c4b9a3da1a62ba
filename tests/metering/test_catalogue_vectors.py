"""Catalogue outline vectors must have the length the features have: a wrong length is
refused naming the field and the expected length, not a broadcasting error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from junkan.api.routers.metering import metering_identify_job
from junkan.metering.enrol import identify
from junkan.metering.identify import (
    FEATURE_LENGTH,
    Catalogue,
    Entry,
    IdentifyError,
    load_catalogue,
    shape_features,
)
from junkan.metering.photos import MODELS, render

SHORT = {"models": [{"model": "X", "shape": [[1, 2, 3]]}]}


def test_the_feature_length_is_what_the_features_have() -> None:
    mask = np.zeros((50, 80), bool)
    mask[10:40, 10:70] = True
    assert len(shape_features(np.zeros((50, 80), np.uint8), mask)) == FEATURE_LENGTH


def test_a_short_vector_is_refused_naming_the_request_field() -> None:
    with pytest.raises(IdentifyError, match=r"^catalogue\.models\[0\]\.shape: expected outline "
                       rf"feature vectors of {FEATURE_LENGTH} .*got 3 per vector"):
        load_catalogue(doc=SHORT, field="catalogue")
    photo = render(MODELS[0], np.random.default_rng(1), "none")
    with pytest.raises(IdentifyError, match=r"^catalogue\.models\[0\]\.shape"):
        metering_identify_job(photo, SHORT, False)


def test_a_short_vector_in_a_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    p = tmp_path / "cat.yaml"
    p.write_text("models:\n  - model: A\n    shape: [[1, 2, 3]]\n")
    with pytest.raises(IdentifyError, match=r"cat\.yaml: models\[0\]\.shape: .*got 3"):
        load_catalogue(p)


def test_a_catalogue_built_in_code_with_short_vectors_is_refused() -> None:
    cat = Catalogue([Entry("X", shape=[[1.0, 2.0, 3.0]])], source="mine")
    photo = render(MODELS[0], np.random.default_rng(1), "none")
    with pytest.raises(IdentifyError, match=rf"mine: models\[0\]\.shape: .*{FEATURE_LENGTH}"):
        identify(photo, cat, use_codes=False, use_text=False)
