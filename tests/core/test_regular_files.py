"""Documents and tables are read from regular files only (one check in the kernel,
:func:`junkan.core.files.regular_file_size`): a pipe named as a model or a survey table
blocked the reader forever, as it did the vision loader (review 2026-12-04)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from junkan import policy
from junkan.core.documents import read_document
from junkan.core.errors import ModelError


def _raised(fn: Callable[[], object], seconds: float = 20) -> BaseException | None:
    out: list[BaseException | None] = []

    def call() -> None:
        try:
            fn()
            out.append(None)
        except BaseException as exc:  # noqa: BLE001 — handed to the test
            out.append(exc)

    t = threading.Thread(target=call, daemon=True)
    t.start()
    t.join(seconds)
    assert out, "still reading after the time given: it hangs"
    return out[0]


@pytest.mark.parametrize("read", [read_document, policy.read_survey])
def test_a_pipe_or_a_folder_is_refused_naming_it(tmp_path: Path,
                                                 read: Callable[[Path], object]) -> None:
    pipe = tmp_path / "model.yaml"
    os.mkfifo(pipe)
    for target in (pipe, tmp_path):
        err = _raised(lambda target=target: read(target))  # type: ignore[misc]
        assert isinstance(err, ModelError), err
        assert "not a regular file" in str(err) and str(target) in str(err)
