"""Scenarios and overrides validate only the entries they change: the same model and the
same messages as validating the whole document."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from junkan import lifecycle
from junkan.core.errors import ModelError
from junkan.lifecycle.loader import (
    scenario_document,
    scenario_names,
    scenario_paths,
    set_path,
    validate,
    validate_changed,
)
from tests.conftest import EXAMPLES

TEXT = Path(EXAMPLES / "compressor_magnet.yaml").read_text(encoding="utf-8")
RAW = yaml.safe_load(TEXT)


@pytest.mark.parametrize("name", scenario_names(RAW))
def test_each_scenario_equals_a_whole_validation(name: str) -> None:
    base = validate(RAW, "m.yaml")
    before = copy.deepcopy(RAW)
    doc = scenario_document(RAW, name, "m.yaml")
    paths = scenario_paths(RAW, name, "m.yaml")
    assert bool(paths) == (name != base.baseline_name)
    assert validate_changed(base, doc, paths, "m.yaml", name) == validate(doc, "m.yaml", name)
    assert before == RAW  # the scenario's document shares, never changes, the baseline's


@pytest.mark.parametrize(
    "overrides",
    [
        {"products.room_ac.eol.collection.rate": 1.5},  # out of range
        {"parts.compressor.bom[0].mass": "-3 kg", "processes.ac_collection.cost": "x"},
        {"products.room_ac.maintenance[0].replacement_rate": "often"},
    ],
)
def test_bad_overrides_give_the_messages_of_a_whole_validation(overrides: dict[str, Any]) -> None:
    base = validate(RAW, "m.yaml")
    doc = dict(RAW)
    for k, v in overrides.items():
        set_path(doc, k, v, fresh=True)
    with pytest.raises(ModelError) as whole:
        validate(copy.deepcopy(doc), "m.yaml", "A")
    with pytest.raises(ModelError) as part:
        validate_changed(base, doc, list(overrides), "m.yaml", "A")
    assert str(part.value) == str(whole.value)
    assert "m.yaml:" in str(part.value) and "(in scenario 'A')" in str(part.value)


def test_paths_outside_section_entries_validate_everything() -> None:
    base = validate(RAW, "m.yaml")
    for path, value in (("years.end", 2060), ("products.new_thing", {"bom": []})):
        doc = dict(RAW)
        set_path(doc, path, value, fresh=True)
        try:
            expected: object = validate(copy.deepcopy(doc), "m.yaml")
        except ModelError as exc:
            expected = str(exc)
        try:
            got: object = validate_changed(base, doc, [path], "m.yaml")
        except ModelError as exc:
            got = str(exc)
        assert got == expected


def test_run_with_overrides_matches_a_fresh_load() -> None:
    mf = lifecycle.load(text=TEXT, source="m.yaml")
    rate = "products.room_ac.eol.collection.rate"
    fast = lifecycle.run(mf, "B", overrides={rate: 0.7}).to_json()
    doc = copy.deepcopy(RAW)
    doc["scenarios"]["B"].setdefault("set", {})[rate] = 0.7
    slow = lifecycle.run(lifecycle.load(text=yaml.safe_dump(doc), source="m.yaml"), "B")
    # (the dumped document's keys are sorted: sums run in another order)
    assert fast["totals"] == pytest.approx(slow.to_json()["totals"], rel=1e-12)
    assert fast["totals"] != lifecycle.run(mf, "B").to_json()["totals"]
    with pytest.raises(ModelError, match=r"products\.room_ac\.eol\.collection\.rate"):
        lifecycle.run(mf, "B", overrides={rate: 7})


def test_a_year_path_replaces_the_years_entry() -> None:
    """Past bug: ``products.x.sales.2030`` on ``sales: {2030: …}`` (a number key, as YAML
    reads it) added a text key '2030' beside it, and which one won depended on their order."""
    doc: dict[str, Any] = {"products": {"x": {"sales": {2025: 1.0, 2030: 2.0}}}}
    set_path(doc, "products.x.sales.2030", 5.0)
    assert doc["products"]["x"]["sales"] == {2025: 1.0, 2030: 5.0}
    set_path(doc, "products.x.sales.2035", 7.0)  # a new year: as written
    assert doc["products"]["x"]["sales"] == {2025: 1.0, 2030: 5.0, "2035": 7.0}
    nested: dict[str, Any] = {"a": {7: {"b": 1}}}
    set_path(nested, "a.7.b", 2, fresh=True)
    assert nested == {"a": {7: {"b": 2}}}
    text = (EXAMPLES / "compressor_magnet.yaml").read_text(encoding="utf-8").replace(
        "    sales: 500000", "    sales: {2020: 500000, 2030: 500000}", 1)
    mf = lifecycle.load(text=text, source="m.yaml")
    doc_text = yaml.safe_load(text)
    product = next(iter(doc_text["products"]))
    ran = lifecycle.run(mf, overrides={f"products.{product}.sales.2030": 600000})
    edited = yaml.safe_load(text)
    edited["products"][product]["sales"][2030] = 600000
    fresh = lifecycle.run(lifecycle.load(text=yaml.safe_dump(edited), source="m.yaml"))
    assert ran.totals() == pytest.approx(fresh.totals(), rel=1e-12)  # dump sorts the keys
