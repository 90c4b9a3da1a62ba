"""Plain image files checked before a run analyses any of them: ``junkan vision predict``
read each image as the run reached it (frames stream, :mod:`junkan.vision.results`), so a
missing, oversized or unreadable tenth file was reported after nine had been analysed. Now
the run does not start: the first file that cannot be read is named, with the message the
run would give.

Each file is decoded in full, as the run decodes it (:func:`~junkan.vision.dataset.read_image`,
its header's size checked first), and let go: a check of the header alone passed a file cut
short, the commonest corruption (review 316: the first third of a PNG or a JPEG passed and
was refused by the run). Decoding is a small part of an image's analysis; one image's pixels
are held at a time."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from junkan.vision.dataset import read_image


def check_image(path: str | Path) -> None:
    """Refuse ``path`` (:class:`~junkan.vision.dataset.ImageError`, naming it) when the run
    could not read it: not a regular file, over the file limit, out of the size limits, not
    an image, cut short, grayscale or transparent."""
    read_image(path)


def check_images(paths: Iterable[str | Path]) -> None:
    """:func:`check_image` for each path, in order: the first unreadable one is refused."""
    for p in paths:
        check_image(p)
