"""The unit registry's cache of pint's parsed definitions (:mod:`junkan.core.registry`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pint
import pytest
from flexparser.flexparser import Parser

from junkan.core import registry
from junkan.core.registry import CACHE_ENV, cache_folder, cached_registry


def _base(reg: pint.UnitRegistry, name: str) -> tuple[float, str] | str:
    try:
        q = reg.Quantity(1, name).to_base_units()
    except Exception as exc:  # noqa: BLE001 - logarithmic units: the same refusal
        return type(exc).__name__
    return float(q.magnitude), str(q.units)


def _same_units(a: pint.UnitRegistry, b: pint.UnitRegistry) -> None:
    """Every unit either registry knows (a prefixed name is registered when first read, so
    the names listed differ) reads in both to the same base quantity."""
    names = sorted(set(a) | set(b))
    assert len(names) > 1000
    for name in names:
        x, y = _base(a, name), _base(b, name)
        assert x == y or x[0] == pytest.approx(y[0], rel=1e-14) and x[1] == y[1], name


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def parse_file(*_: object, **__: object) -> None:  # its name is part of the cache key
        raise AssertionError("pint's definition file was parsed")
    monkeypatch.setattr(Parser, "parse_file", parse_file)  # what pint's cache spares


def test_a_second_registry_reads_the_cache(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "pint"
    first = cached_registry(folder)
    assert (folder / "complete").is_file() and list(folder.glob("*.pickle"))
    assert [p.name for p in tmp_path.iterdir()] == ["pint"]  # the building folder is gone
    plain: pint.UnitRegistry = pint.UnitRegistry()
    _no_parsing(monkeypatch)
    second = cached_registry(folder)
    _same_units(first, second)
    _same_units(second, plain)


def test_a_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    folder = tmp_path / "pint"
    cached_registry(folder)
    for f in folder.glob("*.pickle"):
        f.write_bytes(f.read_bytes()[:100])  # a write cut short
    reg = cached_registry(folder)
    _same_units(reg, pint.UnitRegistry())
    assert all(f.stat().st_size > 100 for f in folder.glob("*.pickle"))


def test_a_folder_without_its_mark_is_not_read(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Files another process is still moving in are not read until it marks the folder."""
    folder = tmp_path / "pint"
    cached_registry(folder)
    (folder / "complete").unlink()
    calls: list[object] = []
    original = Parser.parse_file

    def parse_file(self: Parser, *a: Any, **k: Any) -> Any:
        calls.append(a)
        return original(self, *a, **k)
    monkeypatch.setattr(Parser, "parse_file", parse_file)
    cached_registry(folder)
    assert calls and (folder / "complete").is_file()


def test_an_unwritable_cache_is_skipped(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("in the way", encoding="utf-8")
    reg = cached_registry(blocker / "pint")  # its parent is a file: nothing can be written
    _same_units(reg, pint.UnitRegistry())
    assert blocker.read_text(encoding="utf-8") == "in the way"


def test_the_folder_follows_the_environment(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, "off")
    assert cache_folder() is None
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    folder = cache_folder()
    assert folder is not None and folder.parent == tmp_path
    assert pint.__version__ in folder.name  # another pint never reads this one's pickles


def test_junkans_own_units_are_defined() -> None:
    q = registry.Q_("2 tCO2e").to("kgCO2e")
    assert q.magnitude == 2000
    assert str(registry.ureg("3 pcs").units) == "piece"
