"""A quiet ``highspy.Highs``. HiGHS prints its banner ("Running HiGHS …") to the process's
C-level standard output the first time a ``Highs`` is constructed — before any option such
as ``output_flag`` can be set, and past :data:`sys.stdout` (``contextlib.redirect_stdout``
does not catch it). ``junkan market … --format json`` must print only JSON, so the first
construction runs with file descriptor 1 pointed at ``os.devnull``; later constructions
print nothing (HiGHS writes the banner once per process)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading

import highspy

_lock = threading.Lock()
_banner_done = False


def _flush_c_stdout() -> None:
    with contextlib.suppress(OSError, AttributeError):  # no C library (not on POSIX)
        ctypes.CDLL(None).fflush(None)


def quiet_highs() -> highspy.Highs:
    """A ``highspy.Highs`` with ``output_flag`` off, its banner kept off standard output."""
    global _banner_done
    with _lock:
        if _banner_done:
            h = highspy.Highs()
        else:
            sys.stdout.flush()
            _flush_c_stdout()
            saved = os.dup(1)
            try:
                with open(os.devnull, "w") as null:
                    os.dup2(null.fileno(), 1)
                    try:
                        h = highspy.Highs()
                        h.setOptionValue("output_flag", False)
                    finally:
                        _flush_c_stdout()
                        os.dup2(saved, 1)
            finally:
                os.close(saved)
            _banner_done = True
    h.setOptionValue("output_flag", False)
    return h
