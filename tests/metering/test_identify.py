"""Model identification on generated photos: QR code (zbar), nameplate text (Tesseract),
outline against enrolled models, calibration, and clear errors for bad input and for a
missing zbar / Tesseract."""

from __future__ import annotations

import ctypes.util
import io
import os
import shutil
import sys

import numpy as np
import pytest

from junkan.metering.enrol import calibrate, enrol, identify
from junkan.metering.identify import (
    Catalogue,
    Entry,
    IdentifyError,
    label_regions,
    load_catalogue,
    match_text,
    read_codes,
    read_image,
    read_text,
)
from junkan.metering.photos import MODELS, render


def _need(found: bool, what: str) -> None:
    if not found:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have {what} (.ci/services.sh installs it)")
        pytest.skip(f"{what} not installed (bash .ci/services.sh)")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    """Six models, three unlabelled enrolment photos each (seed 11)."""
    rng = np.random.default_rng(11)
    photos = [
        (Entry(m.model, m.maker, m.product_type, "lib.yaml#x"), render(m, rng, "none"))
        for m in MODELS[:6]
        for _ in range(3)
    ]
    return enrol(None, photos)


def test_qr_code_identifies_the_model(catalogue: Catalogue) -> None:
    _need(bool(ctypes.util.find_library("zbar")), "libzbar0")
    photo = render(MODELS[4], np.random.default_rng(3), "qr")
    res = identify(photo, catalogue)
    assert (res.model, res.method) == (MODELS[4].model, "code")
    assert res.evidence["codes"][0]["type"] == "QRCODE"
    assert res.entry["bom"] == "lib.yaml#x" and res.confidence > 0.99


def test_nameplate_text_identifies_the_model(catalogue: Catalogue) -> None:
    _need(shutil.which("tesseract") is not None, "tesseract-ocr")
    photo = render(MODELS[2], np.random.default_rng(4), "text")
    res = identify(photo, catalogue, use_codes=False)
    assert (res.model, res.method) == (MODELS[2].model, "text")
    assert MODELS[2].model in res.evidence["text"]


@pytest.mark.slow
def test_outline_alone_on_held_out_photos(catalogue: Catalogue) -> None:
    rng = np.random.default_rng(12)
    hits = [
        identify(render(m, rng, "none"), catalogue, use_codes=False, use_text=False)
        for m in MODELS[:6]
        for _ in range(2)
    ]
    truth = [m.model for m in MODELS[:6] for _ in range(2)]
    assert all(h.method == "shape" for h in hits)
    correct = [h.model == t for h, t in zip(hits, truth, strict=True)]
    assert sum(correct) >= 11, [(h.model, t) for h, t in zip(hits, truth, strict=True)]
    # confidence is a probability over the catalogue, with the evidence of the runners-up
    assert all(0 < h.confidence <= 1 for h in hits)
    assert len(hits[0].evidence["shape"]) == 3


def test_calibration_and_catalogue_round_trip(catalogue: Catalogue) -> None:
    t = calibrate(catalogue)
    assert 0.005 < t < 5.0 and t == catalogue.temperature
    again = load_catalogue(doc=catalogue.to_doc())
    assert [e.model for e in again.models] == [e.model for e in catalogue.models]
    assert np.allclose(again.models[0].shape, catalogue.models[0].shape, atol=1e-5)
    assert again.temperature == pytest.approx(t, rel=1e-5)


def test_text_matching_is_tolerant_but_not_loose(catalogue: Catalogue) -> None:
    m = match_text("JK-A1O2\nMaker C", catalogue)  # O read for 0
    assert m is not None and m[0].model == "JK-A102"
    assert match_text("HELLO WORLD 1234", catalogue) is None


def test_bad_input_gives_clear_errors() -> None:
    for data, why in ((b"", "empty"), (b"not an image", "not a readable image")):
        with pytest.raises(IdentifyError, match=why) as err:
            read_image(data)
        assert "object at 0x" not in str(err.value)  # a past bug: PIL's text named a buffer
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (8, 8)).save(buf, "PNG")
    with pytest.raises(IdentifyError, match="pixels"):
        read_image(buf.getvalue())
    for doc, why in (
        ({"models": []}, "models"),
        ({"models": [{"model": "A", "shape": [[1, 2], [1]]}]}, "shape"),
        ({"models": [{"model": "A", "shape": [[1, float("nan")]]}]}, "shape"),
        ({"models": [{"model": "A", "colour": 1}]}, "unknown"),
        ({"models": [{"model": "A"}], "calibration": {"temperature": -1}}, "temperature"),
    ):
        with pytest.raises(IdentifyError, match=why):
            load_catalogue(doc=doc)


def test_missing_tesseract_names_the_debian_package() -> None:
    gray = read_image(render(MODELS[0], np.random.default_rng(5), "text"))
    plate = label_regions(gray)[0]
    assert plate.shape[0] < gray.shape[0] / 3  # the nameplate, not the photo
    with pytest.raises(IdentifyError, match="apt-get install tesseract-ocr"):
        read_text(plate, tesseract_cmd="/nonexistent/tesseract")
    import pytesseract

    assert pytesseract.pytesseract.tesseract_cmd != "/nonexistent/tesseract"


def test_missing_zbar_names_the_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyzbar

    for mod in ("pyzbar.pyzbar", "pyzbar.wrapper", "pyzbar.zbar_library"):
        monkeypatch.delitem(sys.modules, mod, raising=False)
    for attr in ("pyzbar", "wrapper", "zbar_library"):
        monkeypatch.delattr(pyzbar, attr, raising=False)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    with pytest.raises(IdentifyError, match="apt-get install libzbar0"):
        read_codes(np.zeros((32, 32), np.uint8))


def test_the_shipped_demo_catalogue_is_what_the_code_enrols() -> None:
    """The default catalogue is read from a file (not enrolled at each start, ~10 s); it must
    still be what enrolment gives: the first model's photos (the first drawn from the seed)
    give its shapes, and the shipped temperature is the calibration of the shipped shapes."""
    from itertools import islice

    from junkan.metering import demo_catalogue
    from junkan.metering.enrol import demo_photos

    shipped = demo_catalogue()
    assert [e.model for e in shipped.models] == [m.model for m in MODELS]
    assert shipped.source.endswith("demo_catalogue.json")
    first = list(islice(demo_photos(n_per_model=5, seed=1), 5))  # the first model's only
    assert {entry.model for entry, _ in first} == {MODELS[0].model}
    mine = enrol(None, first, recalibrate=False)
    assert np.allclose(mine.models[0].shape, shipped.models[0].shape, atol=6e-6, rtol=0)
    assert calibrate(shipped) == pytest.approx(shipped.temperature, rel=1e-3)
