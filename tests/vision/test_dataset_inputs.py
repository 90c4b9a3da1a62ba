"""Hostile or malformed inputs to the image and COCO loaders: sizes refused from the header
(before decoding), transparent images, and COCO files that must be refused naming the ids."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from junkan.api.routers import vision as api_vision
from junkan.vision import ImageError, RenderSpec, decode, load_coco, render, write_coco
from junkan.vision import dataset as ds_mod

SMALL = RenderSpec(width=320, height=256, pieces=8, grain_mm=40)


def _png_header(w: int, h: int) -> bytes:
    """A PNG with only its header (IHDR, 8-bit RGB) and no pixel data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def _no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any) -> None:
        raise AssertionError("decoded the pixels before checking the size")

    monkeypatch.setattr(ds_mod.cv2, "imdecode", refuse)


def test_huge_image_refused_from_its_header(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_decoding(monkeypatch)
    with pytest.raises(ImageError, match=r"bomb\.png: 12000×12000 px.*at most 40,000,000"):
        decode(_png_header(12000, 12000), "bomb.png")


def test_service_refuses_from_the_header_with_its_own_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_decoding(monkeypatch)
    with pytest.raises(ValueError, match=r"big\.png: 5000×5000 px; the service takes at most 16,"):
        api_vision._items([("big.png", _png_header(5000, 5000), 0.8)])


def test_transparent_image_refused_and_opaque_alpha_dropped() -> None:
    clear = np.zeros((80, 80, 4), np.uint8)
    with pytest.raises(ImageError, match=r"t\.png: fully transparent"):
        decode(cv2.imencode(".png", clear)[1].tobytes(), "t.png")
    clear[..., 3] = 255
    clear[..., 2] = 200
    img = decode(cv2.imencode(".png", clear)[1].tobytes(), "o.png")
    assert img.shape == (80, 80, 3) and int(img[0, 0, 2]) == 200


@pytest.fixture(scope="module")
def coco_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("coco")
    write_coco([render(SMALL, seed=1)], root)
    return root


def _variant(root: Path, name: str, change: Any) -> Path:
    doc = json.loads((root / "annotations.json").read_text())
    change(doc)
    out = root / f"{name}.json"
    out.write_text(json.dumps(doc))
    return out


def test_libs_only_annotations_load(coco_dir: Path) -> None:
    def libs_only(doc: dict[str, Any]) -> None:
        for a in doc["annotations"]:
            del a["category_id"]
            a["libs"] = {"Cu": 60.0, "Zn": 38.0}

    ds = load_coco(_variant(coco_dir, "libs", libs_only))
    pieces = ds.items[0].pieces
    assert pieces and all(p["group"] == "copper" for p in pieces)


def _first_ann(key: str, value: Any) -> Any:
    def change(doc: dict[str, Any]) -> None:
        if value is None:
            del doc["annotations"][0][key]
        else:
            doc["annotations"][0][key] = value

    return change


def _dup_image(doc: dict[str, Any]) -> None:
    doc["images"].append(dict(doc["images"][0]))


def _dup_ann(doc: dict[str, Any]) -> None:
    doc["annotations"].append(dict(doc["annotations"][0]))


def _file(name: str) -> Any:
    def change(doc: dict[str, Any]) -> None:
        doc["images"][0]["file_name"] = name

    return change


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("nomask", _first_ann("segmentation", None), r"annotation 1: no 'segmentation'"),
        ("polybad", _first_ann("segmentation", [[0, 0, 1]]), r"annotation 1: unreadable"),
        ("rlebad", _first_ann("segmentation", {"size": [5, 5], "counts": "zz"}), r"annotation 1"),
        ("massneg", _first_ann("mass_g", -5), r"annotation 1: mass_g -5"),
        ("badimg", _first_ann("image_id", 999), r"annotation 1: image_id 999 is not in"),
        ("dupimg", _dup_image, r"images: ids used more than once: '1' at images\[0, 1\]"),
        ("dupann", _dup_ann, r"annotations: ids used more than once: '1' at annotations\[0, "),
        ("trav", _file("../../../../etc/passwd"), r"file_name '\.\./\.\./"),
        ("absfile", _file("/etc/hostname"), r"file_name '/etc/hostname'"),
    ],
)
def test_bad_coco_refused_naming_file_and_ids(
    coco_dir: Path, name: str, change: Any, message: str
) -> None:
    path = _variant(coco_dir, name, change)
    with pytest.raises(ImageError, match=message) as err:
        load_coco(path)
    assert str(path) in str(err.value)
