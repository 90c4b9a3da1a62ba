"""Input files: regular files only, their size known before a byte is read."""

from __future__ import annotations

import errno
import stat
from pathlib import Path


def regular_file_size(path: Path) -> int:
    """The size in bytes of the regular file at ``path``: an ``OSError`` (its ``strerror``
    saying why) for anything else — a pipe would block its reader forever, a device never
    end, a folder hold no document."""
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):
        raise OSError(errno.EINVAL, "not a regular file (a pipe, a device or a folder); give a "
                      "file", str(path))
    return st.st_size
