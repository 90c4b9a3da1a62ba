"""Zip archives a user supplies (openLCA exports, XBRL taxonomy packages), read in memory.

Python's :mod:`zipfile` bounds what one read of a *deflated* (or stored) member unpacks, but
hands a bzip2 or LZMA member's compressed chunks to their decompressors whole: under a
kilobyte of bzip2 became 2.2 GB in one read (review 212), whatever the size the entry
declares. Both formats the project reads are written deflated (openLCA's exports and XBRL
taxonomy packages), so a member compressed any other way is refused before it is opened.
"""

from __future__ import annotations

import zipfile

__all__ = ["BOUNDED", "unbounded"]

BOUNDED = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
"""Compression methods whose members unpack within the size they declare, read by read."""

_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA"}


def unbounded(infos: list[zipfile.ZipInfo]) -> tuple[zipfile.ZipInfo, str] | None:
    """The first member compressed by a method outside :data:`BOUNDED`, with that
    method's name (``method 14`` for one without a name here), or ``None``."""
    for info in infos:
        if info.compress_type not in BOUNDED:
            return info, _NAMES.get(info.compress_type, f"method {info.compress_type}")
    return None
