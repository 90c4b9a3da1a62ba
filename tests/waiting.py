"""Polling for tests of live lines, brokers and servers: wait until a condition holds, or fail
after a timeout."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(cond: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll ``cond`` every 50 ms until it is true; AssertionError after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.05)
