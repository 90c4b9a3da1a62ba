"""The synthetic belt and the loaders of users' images: ground truth that adds up, and clear
errors for corrupt or odd images."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from junkan.alloys import load_alloy_library
from junkan.vision import (
    ImageError,
    RenderSpec,
    TrainingError,
    decode,
    from_frames,
    group_from_composition,
    load_coco,
    load_dataset,
    priors,
    render,
    train,
    write_coco,
)

SMALL = RenderSpec(width=320, height=256, pieces=8, grain_mm=40)


def test_render_is_seeded_and_its_truth_adds_up() -> None:
    a, b = render(SMALL, seed=3), render(SMALL, seed=3)
    assert np.array_equal(a.image, b.image) and a.pieces == b.pieces
    assert not np.array_equal(a.image, render(SMALL, seed=4).image)
    assert a.image.shape == (256, 320, 3) and a.image.dtype == np.uint8
    lib = load_alloy_library()
    for pc in a.pieces:
        mat = priors().materials[pc["material"]]
        assert pc["group"] == mat.group
        assert pc["mass_g"] == pytest.approx(
            pc["area_mm2"] * pc["thickness_mm"] * mat.density_g_cm3 / 1000
        )
        assert 0 <= pc["visible"] <= 1
        if pc["alloy"]:  # composition inside the alloy's standard window
            spec = lib.alloys[pc["alloy"]]
            for el, v in pc["composition"].items():
                if el != "Al":
                    lo, hi = spec.window(el)
                    assert lo - 1e-9 <= v <= hi + 1e-9
    visible = {int(v) for v in np.unique(a.labels)} - {0}
    assert visible <= {pc["id"] for pc in a.pieces}


@pytest.mark.slow
def test_shred_size_sets_piece_size() -> None:
    small = render(RenderSpec(pieces=30, grain_mm=30), seed=1).pieces
    big = render(RenderSpec(pieces=30, grain_mm=120), seed=1).pieces
    assert np.median([p["area_mm2"] for p in big]) > 4 * np.median([p["area_mm2"] for p in small])


def test_coco_round_trip(tmp_path: Path) -> None:
    frames = [render(SMALL, seed=i) for i in range(2)]
    ds = load_coco(write_coco(frames, tmp_path))
    assert len(ds.items) == 2 and ds.items[0].meta.mm_per_px == SMALL.mm_per_px
    for f, it in zip(frames, ds.items, strict=True):
        assert it.truth is not None
        assert [p["material"] for p in it.pieces] == [p["material"] for p in f.pieces]
        for k, pc in enumerate(f.pieces):
            assert (it.truth == k + 1).sum() == (f.labels == pc["id"]).sum()
    assert load_dataset(tmp_path).digest == ds.digest


def test_odd_images_are_named(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="not a readable image"):
        decode(b"\x89PNG\r\n\x1a\n garbage", "x.png")
    grey = cv2.imencode(".png", np.zeros((100, 100), np.uint8))[1].tobytes()
    with pytest.raises(ImageError, match="grayscale"):
        decode(grey, "g.png")
    tiny = cv2.imencode(".png", np.zeros((10, 10, 3), np.uint8))[1].tobytes()
    with pytest.raises(ImageError, match="at least 64 px"):
        decode(tiny, "t.png")
    frames = [render(SMALL, seed=0)]
    ann = write_coco(frames, tmp_path)
    doc = json.loads(ann.read_text())
    doc["images"][0]["width"] = 999
    ann.write_text(json.dumps(doc))
    with pytest.raises(ImageError, match="annotations say 999"):
        load_coco(ann)
    doc["images"][0]["width"] = 320
    del doc["images"][0]["junkan"]["mm_per_px"]
    ann.write_text(json.dumps(doc))
    with pytest.raises(ImageError, match="mm_per_px"):
        load_coco(ann)


def test_empty_belt_and_one_class_training() -> None:
    empty = [render(RenderSpec(width=320, height=256, pieces=0), seed=i) for i in range(3)]
    with pytest.raises(TrainingError, match="no annotated piece"):
        train(from_frames(empty))
    one = [
        render(RenderSpec(width=320, height=256, pieces=8, mix={"cast_al": 1.0}), seed=i)
        for i in range(3)
    ]
    with pytest.raises(TrainingError, match="all .* pieces are 'cast_al'"):
        train(from_frames(one))


def test_folders_and_libs_labels(tmp_path: Path) -> None:
    assert group_from_composition({"Si": 10.5, "Cu": 2.5, "Fe": 0.8}) == "cast"
    assert group_from_composition({"Si": 0.6, "Mg": 0.9}) == "wrought"
    assert group_from_composition({"Cu": 70, "Zn": 30}) == "copper"
    assert group_from_composition({"Fe": 71, "Cr": 18}) == "other"
    with pytest.raises(ValueError):
        group_from_composition({"Si": 80, "Cu": 60})
    (tmp_path / "cast").mkdir()
    (tmp_path / "wrought").mkdir()
    for i, cls in enumerate(("cast", "wrought")):
        f = render(
            RenderSpec(width=128, height=128, pieces=1, grain_mm=40, mix={f"{cls}_al": 1.0}), seed=i
        )
        cv2.imwrite(str(tmp_path / cls / "a.png"), f.image)
    with pytest.raises(ImageError, match="metadata.yaml"):
        load_dataset(tmp_path)
    (tmp_path / "metadata.yaml").write_text("mm_per_px: 0.8\nline: L1\n")
    ds = load_dataset(tmp_path)
    assert [it.label for it in ds.items] == ["cast", "wrought"]
    assert ds.items[0].meta.line == "L1"
    (tmp_path / "gold").mkdir()
    with pytest.raises(ImageError, match="unknown class 'gold'"):
        load_dataset(tmp_path)
