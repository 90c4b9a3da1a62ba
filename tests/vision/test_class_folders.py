"""Folder-per-class data sets: a broken metadata file, a ``files:`` entry for an image that is
not there, and images the loader would skip are refused naming the file — not a traceback,
and no image or metadata silently left out."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from junkan.vision import ImageError, load_dataset


def _folders(root: Path, meta: str | bytes = "mm_per_px: 0.5\n") -> Path:
    (root / "cast").mkdir(parents=True)
    cv2.imwrite(str(root / "cast" / "a.png"), np.full((80, 80, 3), 100, np.uint8))
    raw = meta.encode() if isinstance(meta, str) else meta
    (root / "metadata.yaml").write_bytes(raw)
    return root


@pytest.mark.parametrize("meta, shown", [
    ("mm_per_px: [0.5\n", r"metadata\.yaml: line 2, column 1: invalid YAML"),
    ("- 1\n", r"metadata\.yaml: the document must be a mapping"),
    (b"\xff\xfe", r"metadata\.yaml: the file is not UTF-8 text"),
    ("mm_per_px: 0.5\nfiles: [1]\n", r"metadata\.yaml: files: \[1\]: map each image"),
    ("mm_per_px: 0.5\nfiles: {cast/a.png: x}\n", r"metadata\.yaml: files: .*map each image"),
])
def test_broken_metadata_file_is_refused_naming_the_file(
    tmp_path: Path, meta: str | bytes, shown: str
) -> None:
    with pytest.raises(ImageError, match=shown):
        load_dataset(_folders(tmp_path, meta))


def test_metadata_for_an_image_not_there_is_refused(tmp_path: Path) -> None:
    """A typo in a ``files:`` path would leave that image with the shared metadata."""
    root = _folders(tmp_path, "mm_per_px: 0.5\nfiles: {cast/A.png: {mm_per_px: 0.2}}\n")
    with pytest.raises(ImageError, match=r"files: cast/A\.png: no such image in the class"):
        load_dataset(root)


def test_image_outside_the_class_folders_is_refused(tmp_path: Path) -> None:
    root = _folders(tmp_path)
    cv2.imwrite(str(root / "b.png"), np.full((80, 80, 3), 100, np.uint8))
    with pytest.raises(ImageError, match=r"b\.png: a file beside the class folders"):
        load_dataset(root)


def test_image_of_an_unsupported_format_is_refused_not_skipped(tmp_path: Path) -> None:
    root = _folders(tmp_path)
    (root / "cast" / "b.webp").write_bytes(b"RIFF....WEBP")
    with pytest.raises(ImageError, match=r"cast/b\.webp: not an image file of a supported"):
        load_dataset(root)


def test_hidden_files_and_per_file_metadata_are_taken(tmp_path: Path) -> None:
    root = _folders(tmp_path, "mm_per_px: 0.5\nfiles: {cast/a.png: {mm_per_px: 0.2}}\n")
    (root / ".DS_Store").write_bytes(b"x")
    (root / "cast" / ".thumbs").write_bytes(b"x")
    data = load_dataset(root)
    assert [(it.label, it.meta.mm_per_px) for it in data.items] == [("cast", 0.2)]
