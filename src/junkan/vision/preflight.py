"""Plain image files checked before a run reads any of them: ``junkan vision predict`` read
each image as the run reached it (frames stream, :mod:`junkan.vision.results`), so a missing,
oversized or unreadable tenth file was reported after nine had been analysed. Now the run
does not start: the first file that cannot be read is named, with the same message the run
would give.

The check reads each file's header only (PIL, a few KB) where PIL knows the format: the size
limits are checked from it. A file PIL cannot read (corrupt, or a format only OpenCV reads,
such as OpenEXR) is decoded in full, as the run would decode it — a corrupt file is then
refused, a rare format read twice."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path

from junkan.vision.dataset import MAX_FILE_BYTES, ImageError, _check_size, decode
from junkan.vision.files import file_size


def check_image(path: str | Path) -> None:
    """Refuse ``path`` (:class:`ImageError`, naming it) when the run could not read it: not a
    regular file, over the file limit, an image header out of the size limits, or (for a
    file PIL cannot read) not decodable at all."""
    from PIL import Image

    p = Path(path)
    size = file_size(p, ImageError)
    if size > MAX_FILE_BYTES:
        raise ImageError(f"{p}: {size:,} bytes; images are limited to {MAX_FILE_BYTES:,}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(p) as im:
                w, h = im.size
    except Image.DecompressionBombError:
        w = h = 2**31  # far above any limit here
    except Exception:  # noqa: BLE001 - a header PIL cannot read: OpenCV decides, as in a run
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise ImageError(f"{p}: cannot read ({exc.strerror or exc})") from None
        decode(data, str(p))
        return
    _check_size(str(p), int(w), int(h))


def check_images(paths: Iterable[str | Path]) -> None:
    """:func:`check_image` for each path, in order: the first unreadable one is refused."""
    for p in paths:
        check_image(p)
