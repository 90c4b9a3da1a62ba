"""Loaded and compiled models kept by content hash: a hit gives the same numbers, any change
of bytes, source name, limits, scenario or overrides misses, bad documents are never kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

from junkan import lifecycle
from junkan.core.errors import ModelError
from junkan.core.limits import reset_limits
from junkan.lifecycle import cache
from tests.conftest import EXAMPLES

TEXT = Path(EXAMPLES / "compressor_magnet.yaml").read_text(encoding="utf-8")
RATE = "products.room_ac.eol.collection.rate"


@pytest.fixture(autouse=True)
def empty() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def test_a_second_load_is_a_hit_with_the_same_numbers() -> None:
    first = lifecycle.load(text=TEXT, source="magnet.yaml")
    second = lifecycle.load(text=TEXT, source="magnet.yaml")
    assert cache.stats()["hits"] == 1 and cache.stats()["misses"] == 1
    assert second is not first and second.compiled is not first.compiled
    assert second.compiled["A"] is first.compiled["A"]  # shared, read-only
    a, b = lifecycle.run(first, "B").raw, lifecycle.run(second, "B").raw
    np.testing.assert_array_equal(a.activity, b.activity)


def test_a_file_is_keyed_by_its_content(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(TEXT, encoding="utf-8")
    lifecycle.load(path)
    lifecycle.load(path)
    assert cache.stats()["hits"] == 1
    doc = yaml.safe_load(TEXT)
    doc["products"]["room_ac"]["eol"]["collection"]["rate"] = 0.5
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    changed = lifecycle.load(path)  # same path, new content: loaded again
    assert cache.stats()["hits"] == 1
    assert changed.baseline.products["room_ac"].eol.collection.rate == 0.5


def test_source_name_and_limits_are_part_of_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    lifecycle.load(text=TEXT, source="a.yaml")
    lifecycle.load(text=TEXT, source="b.yaml")  # messages name the source: not shared
    assert cache.stats()["hits"] == 0
    monkeypatch.setenv("JUNKAN_LIMIT_NESTING_DEPTH", "33")
    reset_limits()
    try:
        lifecycle.load(text=TEXT, source="a.yaml")
        assert cache.stats()["hits"] == 0
    finally:
        monkeypatch.delenv("JUNKAN_LIMIT_NESTING_DEPTH")
        reset_limits()


def test_bad_documents_are_never_kept() -> None:
    bad = TEXT.replace("replacement_rate: 0.02", "replacement_rate: 2.5")
    messages = []
    for _ in range(2):
        with pytest.raises(ModelError) as got:
            lifecycle.load(text=bad, source="bad.yaml")
        messages.append(str(got.value))
    assert messages[0] == messages[1] and "bad.yaml:" in messages[0]
    assert "replacement_rate" in messages[0]
    assert cache.stats()["entries"] == 0


def test_compiled_scenarios_with_overrides_are_kept() -> None:
    a = lifecycle.compile_scenario(TEXT, "A", {RATE: 0.6}, source="m.yaml")
    again = lifecycle.compile_scenario(TEXT, "A", {RATE: 0.6}, source="m.yaml")
    other = lifecycle.compile_scenario(TEXT, "A", {RATE: 0.7}, source="m.yaml")
    assert again is a and other is not a
    assert cache.stats()["hits"] == 1
    mf = lifecycle.load(text=TEXT, source="m.yaml")
    r1 = lifecycle.run(mf, "A", overrides={RATE: 0.6})
    r2 = lifecycle.run(mf, "A", overrides={RATE: 0.6})
    assert r1.raw.compiled is r2.raw.compiled
    np.testing.assert_allclose(r1.raw.in_use, lifecycle.run(mf, "A").raw.in_use)
    assert not np.allclose(r1.raw.sink_input, lifecycle.run(mf, "A").raw.sink_input)


def test_least_recently_used_entries_go_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_ENTRIES", 1)
    lifecycle.load(text=TEXT, source="a.yaml")
    lifecycle.load(text=TEXT, source="b.yaml")
    lifecycle.load(text=TEXT, source="a.yaml")
    assert cache.stats() == {"hits": 0, "misses": 3, "entries": 1}
    monkeypatch.setattr(cache, "MAX_BYTES", 10)  # larger than this: never kept
    cache.clear()
    lifecycle.load(text=TEXT, source="a.yaml")
    assert cache.stats()["entries"] == 0


def test_overrides_in_another_order_are_another_key() -> None:
    """Past bug: the key sorted the overrides, which are applied in order — a section then a
    field inside it is not the field then the section — so the second order got the first's
    results (through the service too: compare and runs)."""
    eol = yaml.safe_load(TEXT)["products"]["room_ac"]["eol"]
    eol = {**eol, "collection": {**eol["collection"], "rate": 0.2}}
    first = {"products.room_ac.eol": eol, RATE: 0.9}  # the rate ends at 0.9
    then = {RATE: 0.9, "products.room_ac.eol": eol}  # … at 0.2
    alone = lifecycle.run(lifecycle.load(text=TEXT, source="m.yaml"), overrides=then).totals()
    cache.clear()
    mf = lifecycle.load(text=TEXT, source="m.yaml")
    a = lifecycle.run(mf, overrides=first).totals()
    assert lifecycle.run(mf, overrides=then).totals() == alone != a


def test_an_edited_library_template_is_read_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past bug: the key left out the templates a model `uses`, so a template imported or
    edited in a running service kept its old factors until the cache was emptied."""
    import shutil
    from importlib import resources

    import junkan.data

    shutil.copytree(resources.files("junkan.data") / "library", tmp_path / "library")
    monkeypatch.setattr(junkan.data, "resources", type(
        "Here", (), {"files": staticmethod(lambda _package: tmp_path)}))
    before = lifecycle.run(lifecycle.load(text=TEXT, source="m.yaml")).totals()
    template = tmp_path / "library" / "disposal_generic.yaml"
    template.write_text(template.read_text("utf-8").replace("0.02 kgCO2e/kg", "5 kgCO2e/kg"),
                        "utf-8")
    after = lifecycle.run(lifecycle.load(text=TEXT, source="m.yaml")).totals()
    assert after["co2e_t"] > before["co2e_t"]
