"""Silence C-level writes to standard output: HiGHS prints its banner ("Running HiGHS …") and
some debug lines to the process's file descriptor 1 — past :data:`sys.stdout`, so
``contextlib.redirect_stdout`` does not catch them — and a ``--format json`` command must
print only JSON.

:func:`c_stdout_silenced` points descriptor 1 at ``os.devnull`` while any caller is inside it
and restores it when the last one leaves. The count is kept under a lock, so solves that
overlap in threads (service jobs) cannot leave the descriptor pointing at ``os.devnull``, as
a save-and-restore per caller would when the first to enter leaves before the last."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
from collections.abc import Iterator

STDOUT_FD = 1
"""The descriptor C libraries write standard output to."""

_lock = threading.Lock()
_inside = 0
_saved: int | None = None


def _flush_c_stdout() -> None:
    """Write out what the C library buffered for standard output (so it goes where it was
    meant to, before the descriptor moves)."""
    with contextlib.suppress(OSError, AttributeError):  # no C library (not on POSIX)
        ctypes.CDLL(None).fflush(None)


@contextlib.contextmanager
def c_stdout_silenced() -> Iterator[None]:
    """Inside: what C code writes to standard output is dropped (Python's own writes to
    :data:`sys.stdout` too, where that is descriptor 1; it is flushed first)."""
    global _inside, _saved
    with _lock:
        if _inside == 0:
            with contextlib.suppress(AttributeError, ValueError, OSError):
                sys.stdout.flush()
            _flush_c_stdout()
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                _saved = os.dup(STDOUT_FD)
                os.dup2(null, STDOUT_FD)
            except OSError:  # no descriptor 1 (a daemon started with >&-): nothing to silence
                if _saved is not None:
                    os.close(_saved)
                _saved = None
            finally:
                os.close(null)
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0 and _saved is not None:
                _flush_c_stdout()
                os.dup2(_saved, STDOUT_FD)
                os.close(_saved)
                _saved = None
