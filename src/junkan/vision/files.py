"""The files a data set is read from: regular files only, their size known before a byte is
read (a FIFO blocked the reader forever; a device never ends)."""

from __future__ import annotations

from pathlib import Path

from junkan.core.files import regular_file_size
from junkan.core.limits import limits


def file_size(p: Path, error: type[Exception]) -> int:
    """The size of the regular file ``p`` in bytes
    (:func:`~junkan.core.files.regular_file_size`); ``error`` naming it when it cannot be
    read or is not a regular file."""
    try:
        return regular_file_size(p)
    except OSError as exc:
        raise error(f"{p}: cannot read ({exc.strerror or exc})") from None


def annotation_bytes(p: Path, error: type[Exception]) -> bytes:
    """The bytes of annotation file ``p``, or ``error`` naming it: one larger than the
    annotation limit (``annotation_bytes``, 512 MiB, :mod:`junkan.core.limits`) is refused
    from its size before it is read; a file that grows meanwhile is read no further than the
    size it had (``read(limit)`` would set aside the whole limit for any file)."""
    lim, size = limits(), file_size(p, error)
    if size > lim.annotation_bytes:
        raise error(f"{p}: {size:,} bytes, more than the limit of {lim.annotation_bytes:,} "
                    "bytes an annotation file may have; split the data set or raise the "
                    f"limit ({lim.env('annotation_bytes')})")
    try:
        with p.open("rb") as f:
            return f.read(size + 1)
    except OSError as exc:
        raise error(f"{p}: cannot read ({exc.strerror or exc})") from None
