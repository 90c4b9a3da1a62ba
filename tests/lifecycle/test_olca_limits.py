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
    ("JUNKAN_LIMIT_OLCA_VALUES", "7", "the limit 7 (JUNKAN_LIMIT_OLCA_VALUES)"),
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


def test_a_zip_of_empty_objects_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    """Review 249: entities of ``{},{},…`` within the byte limits, 24× their size once parsed
    (fifteen of 16 MiB, a 249 KB zip, took 6 GB): the values are counted before parsing,
    for the whole zip, and the entity that passes the limit is named."""
    path = tmp_path / "bomb.zip"
    body = b"{},"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(3):  # 3 × 3 million objects: within 16 MiB each, 9 million in all
            zf.writestr(f"flows/f{i}.json", b'{"@id": "f%d", "description": [' % i
                        + body * 3_000_000 + b"{}]}")
    assert path.stat().st_size < 100_000
    # an empty object counts twice (its brace and its comma): f1 passes the 8 million
    with pytest.raises(JunkanError, match=r"flows/f1\.json: with the entities before it, more "
                       r"than 8,000,000 JSON values .*JUNKAN_LIMIT_OLCA_VALUES"):
        read_zip(path)
