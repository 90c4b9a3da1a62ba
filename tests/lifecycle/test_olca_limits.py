"""The openLCA zip limits are the operator's to raise (JUNKAN_LIMIT_OLCA_*), and a refusal
names the variable; the defaults take the test zips."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from junkan.core.errors import JunkanError
from junkan.core.limits import reset_limits
from junkan.lifecycle.olca_read import read_zip


@pytest.fixture
def limited(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    yield monkeypatch
    monkeypatch.undo()
    reset_limits()


def _zip(path: Path, n: int, size: int = 10) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(n):
            zf.writestr(f"flows/f{i}.json", json.dumps({"@id": f"f{i}", "name": "x" * size}))
    return path


@pytest.mark.parametrize(("env", "value", "words"), [
    ("JUNKAN_LIMIT_OLCA_ENTRIES", "2", "3 entries, more than the limit 2"),
    ("JUNKAN_LIMIT_OLCA_MEMBER_BYTES", "50", "the limit 50 (JUNKAN_LIMIT_OLCA_MEMBER_BYTES)"),
    ("JUNKAN_LIMIT_OLCA_TOTAL_BYTES", "100", "the limit 100 (JUNKAN_LIMIT_OLCA_TOTAL_BYTES)"),
])
def test_a_zip_over_a_limit_names_its_variable(tmp_path: Path, limited: pytest.MonkeyPatch,
                                               env: str, value: str, words: str) -> None:
    zpath = _zip(tmp_path / "z.zip", 3, size=40)
    assert set(read_zip(zpath)[0]["flows"]) == {"f0", "f1", "f2"}  # within the defaults
    limited.setenv(env, value)
    reset_limits()
    with pytest.raises(JunkanError) as err:
        read_zip(zpath)
    assert words in str(err.value) and env in str(err.value)
