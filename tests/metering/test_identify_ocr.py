"""Tesseract failing, killed (a worker's CPU-time limit: SIGXCPU) or running long does not fail
the identification: the outline decides and the evidence says why; Tesseract gets a bounded
image and a time limit."""

from __future__ import annotations

import ctypes.util
import io
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from junkan.metering.enrol import enrol, identify
from junkan.metering.identify import (
    OCR_MAX_SIDE,
    OCR_TIMEOUT_S,
    Catalogue,
    Entry,
    OcrFailed,
    read_text,
)
from junkan.metering.photos import MODELS, render

pytesseract = pytest.importorskip("pytesseract")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    rng = np.random.default_rng(11)
    photos = [(Entry(m.model), render(m, rng, "none")) for m in MODELS[:4] for _ in range(3)]
    return enrol(None, photos)


def _killed_tesseract(tmp_path: Path) -> str:
    """A 'tesseract' that ends by SIGXCPU, as one over its inherited CPU-time limit does."""
    exe = tmp_path / "tesseract"
    exe.write_text("#!/bin/sh\necho 'Image too small to scale!!' >&2\nkill -XCPU $$\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return str(exe)


def test_a_killed_tesseract_is_an_ocr_failure_naming_the_signal(tmp_path: Path) -> None:
    with pytest.raises(OcrFailed, match="killed by signal 24 \\(its CPU-time limit\\)"):
        read_text(np.full((40, 120), 200, np.uint8), _killed_tesseract(tmp_path))


def test_identify_goes_on_to_the_outline_when_tesseract_is_killed(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    photo = render(MODELS[2], np.random.default_rng(5), "text")
    res = identify(photo, catalogue, use_codes=bool(ctypes.util.find_library("zbar")),
                   tesseract_cmd=_killed_tesseract(tmp_path))
    assert res.method == "shape" and res.model == MODELS[2].model
    assert "signal 24" in res.evidence["text_error"] and res.evidence["text"] == ""


def test_tesseract_gets_a_bounded_image_and_a_time_limit(
    monkeypatch: pytest.MonkeyPatch, catalogue: Catalogue
) -> None:
    seen: dict[str, Any] = {}

    def slow(image: Any, **kw: Any) -> str:
        seen["size"], seen["timeout"] = image.size, kw.get("timeout")
        raise RuntimeError("Tesseract process timeout")  # what pytesseract raises then

    monkeypatch.setattr(pytesseract, "image_to_string", slow)
    with pytest.raises(OcrFailed, match=f"stopped after {OCR_TIMEOUT_S:g} s"):
        read_text(np.zeros((2000, 3000), np.uint8))
    assert seen == {"size": (OCR_MAX_SIDE, 800), "timeout": OCR_TIMEOUT_S}
    noise = np.random.default_rng(0).integers(0, 255, (600, 600), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noise).save(buf, "PNG")
    res = identify(buf.getvalue(), catalogue, use_codes=False)
    assert res.method == "none" and "stopped after" in res.evidence["text_error"]
