"""C-level standard output silenced while solvers run (junkan.core.quiet)."""

from __future__ import annotations

import os
import threading

import pytest

from junkan.core.quiet import c_stdout_silenced


def test_c_writes_are_dropped_inside_and_kept_after(capfd: pytest.CaptureFixture[str]) -> None:
    os.write(1, b"before\n")
    with c_stdout_silenced():
        os.write(1, b"banner\n")
    os.write(1, b"after\n")
    assert capfd.readouterr().out == "before\nafter\n"


def test_overlapping_threads_leave_stdout_restored(capfd: pytest.CaptureFixture[str]) -> None:
    """The first to enter leaves before the last (two service jobs solving at once): a
    save-and-restore per caller would leave descriptor 1 on os.devnull for good."""
    entered, release_first = threading.Event(), threading.Event()
    second_in, release_second = threading.Event(), threading.Event()

    def first() -> None:
        with c_stdout_silenced():
            entered.set()
            release_first.wait(5)

    def second() -> None:
        entered.wait(5)
        with c_stdout_silenced():
            second_in.set()
            release_second.wait(5)
            os.write(1, b"still silent\n")

    a, b = threading.Thread(target=first), threading.Thread(target=second)
    a.start()
    b.start()
    second_in.wait(5)
    release_first.set()
    a.join(5)
    os.write(1, b"dropped: the second is still inside\n")
    release_second.set()
    b.join(5)
    os.write(1, b"back\n")
    assert capfd.readouterr().out == "back\n"
