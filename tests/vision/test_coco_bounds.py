"""A COCO annotation file is read within junkan's document limit (refused from its size,
naming the file, its size, the limit and how to raise it, before it is read), and a loaded
set holds its images compactly: not every frame's pixels and truth at once."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import cv2
import numpy as np
import pytest
from tests.core.test_regular_files import _raised
from typer.testing import CliRunner

from junkan.cli.vision import app
from junkan.core.limits import limits, override_limits
from junkan.vision import ImageError, load_coco


def _coco(root: Path, frames: int, w: int = 320, h: int = 256, pieces: int = 3) -> Path:
    """``frames`` colour images of w × h px, each with ``pieces`` rectangles annotated as
    polygons (piece k of a frame covers columns 20k+10 … 20k+25, rows 10 … 60)."""
    (root / "images").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    doc: dict[str, list[dict[str, object]]] = {
        "images": [], "annotations": [], "categories": [{"id": 1, "name": "cast_al"}]}
    for i in range(frames):
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        name = f"images/f{i:04d}.png"
        cv2.imwrite(str(root / name), img)
        doc["images"].append({"id": i + 1, "file_name": name, "width": w, "height": h,
                              "junkan": {"mm_per_px": 0.8}})
        for k in range(pieces):
            x0, x1 = 20 * k + 10, 20 * k + 25
            doc["annotations"].append({
                "id": i * pieces + k + 1, "image_id": i + 1, "category_id": 1,
                "segmentation": [[x0, 10, x1, 10, x1, 60, x0, 60]], "iscrowd": 0})
    path = root / "annotations.json"
    path.write_text(json.dumps(doc), "utf-8")
    return path


def test_an_annotation_file_over_the_limit_is_refused_from_its_size(tmp_path: Path) -> None:
    """A COCO file of any size was read whole and parsed (json of an unbounded file)."""
    big = tmp_path / "annotations.json"
    with big.open("wb") as f:  # sparse: 1 byte over the default limit, nothing on disk
        f.truncate(limits().annotation_bytes + 1)
    tracemalloc.start()
    try:
        with pytest.raises(ImageError) as err:
            load_coco(big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    msg = str(err.value)
    limit = limits().annotation_bytes
    assert str(big) in msg and f"{limit + 1:,} bytes" in msg and f"{limit:,}" in msg
    assert "JUNKAN_LIMIT_ANNOTATION_BYTES" in msg
    assert peak < 2**20  # refused before it was read


def test_the_limit_is_its_own_and_the_cli_names_it(tmp_path: Path) -> None:
    path = _coco(tmp_path / "set", frames=1)
    size = path.stat().st_size
    assert len(load_coco(path).items) == 1
    with override_limits(annotation_bytes=size - 1):
        with pytest.raises(ImageError, match=rf"{size:,} bytes, more than the limit of "
                                             rf"{size - 1:,} bytes"):
            load_coco(path)
        res = CliRunner().invoke(app, ["train", str(tmp_path / "set"), "--out",
                                       str(tmp_path / "m.json")])
    assert res.exit_code != 0
    assert "annotations.json" in res.output and "JUNKAN_LIMIT_ANNOTATION_BYTES" in res.output
    assert not (tmp_path / "m.json").exists()


def test_a_loaded_set_holds_its_frames_compactly(tmp_path: Path) -> None:
    """Every frame's pixels (w × h × 3 bytes) and int32 truth (w × h × 4) were held for all
    images at once: 9.2 MB a 1280 × 1024 frame, 9 GB for 1,000. Now the pixels are read
    when used and the truth kept compressed: loading peaks near one frame's worth."""
    n, w, h = 40, 320, 256
    path = _coco(tmp_path, frames=n, w=w, h=h)
    full = n * w * h * (3 + 4)  # 23 MB: every frame's pixels and truth as arrays
    tracemalloc.start()
    try:
        data = load_coco(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < full / 5, (peak, full)
    assert len(data.items) == n
    for i in (0, n - 1):  # the same images and truth as they were
        it = data.items[i]
        written = cv2.imread(str(tmp_path / f"images/f{i:04d}.png"))
        assert written is not None and np.array_equal(it.image(), written)
        truth = it.truth
        assert truth is not None and truth.dtype == np.int32 and truth.shape == (h, w)
        assert sorted(np.unique(truth).tolist()) == [0, 1, 2, 3]
        cols = np.flatnonzero(truth[30] == 2)  # piece 2 spans x 30 … 45
        assert len(cols) >= 14 and cols.min() >= 30 and cols.max() <= 45


def test_a_pipe_or_a_deep_nest_is_refused_not_a_hang_or_a_traceback(tmp_path: Path) -> None:
    """Review 2026-12-04: a FIFO as the annotation file or as an image blocked the reader
    forever; a file nested 200,000 deep raised RecursionError (a traceback in the CLI)."""
    import os

    pipe = tmp_path / "pipe" / "annotations.json"
    pipe.parent.mkdir()
    os.mkfifo(pipe)
    err = _raised(lambda: load_coco(pipe))
    assert isinstance(err, ImageError) and "not a regular file" in str(err)
    images = _coco(tmp_path / "set", frames=1)
    frame = images.parent / "images" / "f0000.png"
    frame.unlink()
    os.mkfifo(frame)
    err = _raised(lambda: load_coco(images).items[0].image())
    assert isinstance(err, ImageError) and str(frame) in str(err), err
    deep = tmp_path / "deep" / "annotations.json"
    deep.parent.mkdir()
    deep.write_text("[" * 200_000 + "]" * 200_000)
    err = _raised(lambda: load_coco(deep))
    assert isinstance(err, ImageError) and "not a COCO annotation file" in str(err), err


def test_an_annotation_file_not_in_utf8_says_so(tmp_path: Path) -> None:
    """Before: json.loads took the bytes FF FE for a UTF-16 mark and answered "Expecting
    value: line 1 column 1"."""
    bad = tmp_path / "utf16" / "annotations.json"
    bad.parent.mkdir()
    bad.write_bytes('{"images": [], "annotations": []}'.encode("utf-16"))
    err = _raised(lambda: load_coco(bad))
    assert isinstance(err, ImageError)
    assert str(err) == f"{bad}: not a COCO annotation file (not UTF-8 text: byte 0)"
