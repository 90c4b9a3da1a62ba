"""A JSON document's parts decoded straight into typed records (issue 17, fast end to end):
the records spell the schema, read exactly the columns the ordinary reader makes, take no
document the schema refuses, and a model loaded this way is the same model, its plain
document parsed only when something asks for it."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest
import yaml
from benchmarks.lifecycle_bench import generate_model
from hypothesis import given, settings
from hypothesis import strategies as st

from junkan import lifecycle
from junkan.core.errors import ModelError
from junkan.core.json_scan import SMALL as SCAN_SMALL
from junkan.core.limits import override_limits
from junkan.lifecycle import typed_json
from junkan.lifecycle.loader import validate, with_parts
from junkan.lifecycle.part_table import PartTable
from junkan.lifecycle.schema import BomItem, LifecycleModel, Part, PartRecovery, PartReuseOption
from junkan.lifecycle.typed_json import LazyDocument, decode
from tests.conftest import EXAMPLES, SMALL

PAD = " " * SCAN_SMALL
"""Whitespace that makes any document long enough for the text check of the limits (shorter
documents are read the ordinary way, which walks their data)."""


def _text(doc: dict[str, Any]) -> str:
    return json.dumps(doc) + PAD


@pytest.mark.parametrize(("index", "model"), [
    (0, Part), (1, BomItem), (2, PartRecovery), (3, PartReuseOption), (4, LifecycleModel)])
def test_the_records_spell_the_schema(index: int, model: Any) -> None:
    record = typed_json._records(100, 1e6)[index]
    assert set(record.__struct_fields__) == set(model.model_fields)


def _same(a: PartTable, b: PartTable) -> bool:
    """Equal columns, value by value and type by type (``1200`` is not ``1200.0``)."""
    return a == b and repr(a._columns()) == repr(b._columns())


def _examples() -> list[dict[str, Any]]:
    return [yaml.safe_load((EXAMPLES / f"{n}.yaml").read_text(encoding="utf-8"))
            for n in ("atm_reuse", "compressor_magnet")]


@pytest.mark.parametrize("doc", [copy.deepcopy(SMALL), generate_model(40, n_years=12),
                                 *_examples()],
                         ids=["small", "benchmark", "atm_reuse", "compressor_magnet"])
def test_the_columns_are_those_of_the_ordinary_reader(doc: dict[str, Any]) -> None:
    text = json.dumps(doc, default=str)  # the examples' dates as text, as JSON has them
    got = decode(text + PAD)
    assert got is not None
    ordinary = validate(json.loads(text), "m.json")
    assert _same(got.parts, ordinary.parts)  # every column, in document order
    assert got.head == {k: v for k, v in json.loads(text).items() if k != "parts"}


VALUES: list[tuple[tuple[Any, ...], Any]] = [
    (("motor", "recovery", "reuse", "share"), v) for v in (0, 1, 0.3, 1.5, -0.1, "40%", True,
                                                          None, 10**400, "x")] + [
    (("motor", "recovery", "reuse", "pass_rate"), v) for v in (1, 0.0, 2, "1")] + [
    (("motor", "recovery", "reuse", "into"), v) for v in ("spares", "both", "elsewhere", 3)] + [
    (("motor", "recovery", "reuse", "processes"), v) for v in (["collect"], None, [1], "x")] + [
    (("motor", "recovery", "remanufacture"), v) for v in (
        {"share": 0.6}, {"share": 0.4, "processes": ["collect"]}, None, {"colour": 1})] + [
    (("motor", "recovery", "residual"), v) for v in (
        {"steel_recycling": 1}, {"steel_recycling": 0.5, "landfill": 0.5}, None,
        {"landfill": 1.2}, {"landfill": "50%"}, [])] + [
    (("motor", "recovery"), v) for v in ({}, None, {"recycle": {}})] + [
    (("motor", "price"), v) for v in ("1200 JPY/piece", 1200, 1200.5, None, True)] + [
    (("motor", "title"), v) for v in ("Motor", None, 3)] + [
    (("motor", "make"), v) for v in ([], ["part_making", "part_making"], None, ["x", 2])] + [
    (("motor", "bom"), v) for v in ([], None, [{"part": "magnet"}])] + [
    (("motor", "bom", 0, "quantity"), v) for v in (1, 2.5, 0, -1, 1e7, "2", None)] + [
    (("motor", "bom", 0, "mass"), v) for v in ("1 kg", None)] + [
    (("motor", "bom", 1, "mass"), v) for v in ("250 g", " 3kg ", 3, 3.5, None, "-1 kg",
                                                "1e400 kg", "1 kg\x002 kg", [])] + [
    (("motor", "bom", 1, "material"), v) for v in (None, 7, "plastic")] + [
    (("motor", "bom", 1, "part"), v) for v in ("magnet", None)] + [
    (("motor", "colour"), "red"), (("magnet",), None), (("magnet",), [])]


@pytest.mark.parametrize("edit", VALUES, ids=lambda e: repr(e)[:60])
def test_each_spelling_is_read_as_the_schema_reads_it(edit: tuple[tuple[Any, ...], Any]) -> None:
    _read_alike([edit])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(VALUES), max_size=4))
def test_spellings_together_are_read_as_the_schema_reads_them(
        edits: list[tuple[tuple[Any, ...], Any]]) -> None:
    _read_alike(edits)


def _read_alike(edits: list[tuple[tuple[Any, ...], Any]]) -> None:
    """Either the records do not take the edited document, or they read it as the schema
    does (a document the schema refuses is never taken)."""
    doc = copy.deepcopy(SMALL)
    for path, value in edits:
        node: Any = doc["parts"]
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = copy.deepcopy(value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed the way there
    try:
        text = json.dumps(doc)
    except ValueError:  # 10**400 is written, NaN-free; nothing else fails
        return
    try:
        ordinary: LifecycleModel | None = validate(json.loads(text), "m.json")
    except ModelError:
        ordinary = None
    got = decode(text + PAD)
    if got is None:
        return  # read the ordinary way
    model = with_parts(got.head, got.parts)
    assert ordinary is not None, "the records took a document the schema refuses"
    assert model is not None and _same(model.parts, ordinary.parts)
    assert model.model_dump(exclude={"parts"}) == ordinary.model_dump(exclude={"parts"})


def _scenario_doc() -> dict[str, Any]:
    doc = copy.deepcopy(SMALL)
    doc["scenarios"] = {"heavy": {"set": {"parts.magnet.bom[0].mass": "400 g",
                                          "products.widget.eol.collection.rate": 0.9}}}
    return doc


@pytest.mark.parametrize("doc", [copy.deepcopy(SMALL), _scenario_doc(), *_examples()],
                         ids=["small", "scenario", "atm_reuse", "compressor_magnet"])
def test_a_model_loaded_from_records_is_the_ordinary_model(doc: dict[str, Any]) -> None:
    text = json.dumps(doc, default=str)
    fast = lifecycle.load(text=text + PAD, source="m.json")
    ordinary = lifecycle.load(text=yaml.safe_dump(json.loads(text), sort_keys=False),
                              source="m.yaml")
    assert isinstance(fast.document, LazyDocument)
    assert not isinstance(ordinary.document, LazyDocument)
    assert fast.scenarios == ordinary.scenarios
    for name in fast.scenarios:
        a, b = lifecycle.run(fast, name), lifecycle.run(ordinary, name)
        np.testing.assert_array_equal(a.raw.in_use, b.raw.in_use)
        np.testing.assert_array_equal(a.raw.activity, b.raw.activity)
    assert fast.raw == ordinary.raw  # parsed when asked for
    edit = {f"parts.{next(iter(doc['parts']))}.recovery.reuse.share": 0.05}
    edited, same = lifecycle.run(fast, overrides=edit), lifecycle.run(ordinary, overrides=edit)
    np.testing.assert_array_equal(edited.raw.activity, same.raw.activity)


def test_the_plain_document_is_parsed_only_when_asked_for() -> None:
    doc = copy.deepcopy(SMALL)
    del doc["scenarios"]  # a scenario's overrides are applied to the plain document
    mf = lifecycle.load(text=_text(doc), source="lazy.json")
    assert isinstance(mf.document, LazyDocument) and not mf.document.parsed
    lifecycle.run(mf)
    assert not mf.document.parsed  # a load and a run never need it
    assert mf.parameters()[0]["path"].startswith("products.widget")
    assert mf.document.parsed and mf.raw is mf.raw


@pytest.mark.parametrize(("path", "value", "where"), [
    (("parts", "motor", "recovery", "reuse", "share"), 1.5, "parts.motor.recovery.reuse.share"),
    (("parts", "motor", "bom", 1, "mass"), "-1 kg", "parts.motor.bom[1].mass"),
    (("products", "widget", "sales", "2020"), -5, "products.widget.sales"),
    (("colour",), "red", "colour"),
], ids=["part share", "part mass", "product sales", "unknown section"])
def test_problems_are_reported_as_always(path: tuple[Any, ...], value: Any, where: str) -> None:
    doc = json.loads(json.dumps(SMALL))
    node: Any = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ModelError) as fast:
        lifecycle.load(text=_text(doc), source="m.json")
    with pytest.raises(ModelError) as ordinary:
        lifecycle.load(text=yaml.safe_dump(doc, sort_keys=False), source="m.json")
    assert str(fast.value) == str(ordinary.value) and where in str(fast.value)


def _ordinary_outcome(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """The outcome of loading ``text`` through the records and the ordinary way."""
    def outcome() -> str:
        lifecycle.cache.clear()
        try:
            mf = lifecycle.load(text=text, source="m.json")
        except ModelError as exc:
            return str(exc)
        return "loaded " + json.dumps(mf.raw, sort_keys=True)

    fast = outcome()
    monkeypatch.setattr(typed_json, "decode", lambda text: None)
    return fast, outcome()


def _long_names(doc: dict[str, Any]) -> None:
    doc["parts"]["motor"]["title"] = "t" * 60


def _long_process(doc: dict[str, Any]) -> None:
    doc["parts"]["motor"]["recovery"]["reuse"]["processes"] = ["p" * 60]


def _long_sink(doc: dict[str, Any]) -> None:
    doc["parts"]["magnet"]["recovery"]["residual"] = {"s" * 60: 1.0}


def _large_price(doc: dict[str, Any]) -> None:
    doc["parts"]["motor"]["price"] = 5e20


def _as_is(doc: dict[str, Any]) -> None:
    pass


@pytest.mark.parametrize(("edit", "limit"), [
    (_long_names, {"string_length": 50}), (_long_process, {"string_length": 50}),
    (_long_sink, {"string_length": 50}), (_large_price, {}),
    (_as_is, {"nesting_depth": 5}), (_as_is, {"document_bytes": 60_000}),
    (_as_is, {"string_length": 100}),  # masses may be longer than strings: the walk decides
], ids=["part title", "route process", "residual sink", "price", "nesting", "size",
        "masses longer than strings"])
def test_the_limits_are_those_of_the_ordinary_reading(edit: Any, limit: dict[str, int],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused by a limit, or not, as when the document is read the ordinary way (the
    records never read a document a limit refuses, and report nothing themselves)."""
    doc = json.loads(json.dumps(SMALL))
    edit(doc)
    with override_limits(**limit):
        fast, ordinary = _ordinary_outcome(_text(doc), monkeypatch)
    assert fast == ordinary
    if limit and edit is not _as_is or "document_bytes" in limit or "nesting_depth" in limit:
        assert "JUNKAN_LIMIT" in fast


def test_a_lone_surrogate_is_refused_alike_by_both_readers(monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    """A past bug (review): a raw lone surrogate (text from ``json.loads('"\\\\ud800"')``
    written out again) made msgspec raise ``UnicodeEncodeError`` out of ``load``. Since
    review 237 such text is refused (no UTF-8 file or database holds it; a scenario so named
    ended ``compare --out`` in a traceback), by both readers in the same words."""
    doc = json.loads(json.dumps(SMALL))
    doc["title"] = "\ud800"
    text = json.dumps(doc, ensure_ascii=False)
    fast, ordinary = _ordinary_outcome(text, monkeypatch)
    assert fast == ordinary and "lone surrogate" in fast, fast


TINY: dict[str, Any] = {"junkan": 1, "name": "m", "years": {"start": 2020, "end": 2022},
       "actors": {"a": {"role": "part_maker"}},
       "materials": {"s": {"virgin": {"co2e": "2 kgCO2e/kg", "source": "t"}}},
       "parts": {"p": {"bom": [{"material": "s", "mass": "1 kg"}],
                       "recovery": {"remanufacture": {"share": 0.5}}}},
       "products": {"w": {"sales": {"2020": 10}, "bom": [{"part": "p"}],
                          "lifetime": {"distribution": "weibull", "scale": "6 year",
                                       "shape": 2.0},
                          "eol": {"uncollected": {"lf": 1}}}},
       "processes": {"lf": {"kind": "landfill", "actor": "a", "stage": "disposal",
                            "source": "t"}}}
"""A valid model whose texts and keys are within 12 characters, but for the key
``remanufacture`` (13)."""


def test_the_records_keys_count_as_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    """A past bug (review): the keys inside a part (``remanufacture``, 13 characters) were
    not measured against the string limit, so a limit of 9 to 12 let the records load a
    document the ordinary reading refuses."""
    doc = copy.deepcopy(TINY)
    with override_limits(string_length=12, quantity_length=12):
        fast, ordinary = _ordinary_outcome(json.dumps(doc), monkeypatch)
    assert fast == ordinary and "a key of 13 characters" in fast


def test_the_plain_document_does_not_depend_on_later_limits() -> None:
    """A past bug (review): the plain document was parsed under the limits in force when
    first asked for, so a model loaded within them could raise later."""
    doc = json.loads(json.dumps(SMALL))
    doc["description"] = "d" * 5000
    del doc["scenarios"]
    lifecycle.cache.clear()
    mf = lifecycle.load(text=_text(doc), source="later.json")
    with override_limits(string_length=1000):
        assert mf.raw["description"] == "d" * 5000


def test_the_codes_own_units_are_not_held_to_the_quantity_length() -> None:
    """A past bug (review): with ``JUNKAN_LIMIT_QUANTITY_LENGTH`` below 16 the first
    compile in a process raised ``UnitParseError`` on junkan's own unit
    ``'1 kgCO2e/(piece)'``; the limit is for what users write."""
    from junkan.core import quantities
    from junkan.lifecycle import processes

    for cached in (processes._dimensionality, quantities._factor, quantities.code_unit):
        cached.cache_clear()
    lifecycle.cache.clear()
    with override_limits(quantity_length=12):
        mf = lifecycle.load(text=json.dumps(TINY), source="tiny.json")
        assert lifecycle.run(mf).raw.in_use[0, 0] > 0


@pytest.mark.parametrize(("old", "new", "where"), [
    ('"name": "atm_reuse"', '"name": "atm_reuse", "name": "other"', "dup.json: "),
    ('"bom": [', '"title": "a", "title": "b", "bom": [', "dup.json:parts."),
])
def test_a_key_given_twice_is_refused_as_yaml_refuses_it(old: str, new: str,
                                                         where: str) -> None:
    """Past bug (two reviews): a JSON model with a key given twice was read, the last
    winning — by msgspec on the fast path and by json.loads on the ordinary one — while the
    same document in YAML was refused."""
    doc = yaml.safe_load((EXAMPLES / "atm_reuse.yaml").read_text(encoding="utf-8"))
    text = json.dumps(doc).replace(old, new, 1)
    assert new in text
    assert decode(text) is None  # the fast reader hands it to the ordinary one
    with pytest.raises(ModelError) as err:
        lifecycle.load(text=text, source="dup.json")
    said = str(err.value)
    assert said.startswith(where) and "is given twice in this object" in said
    assert err.value.problems[0].kind == "json-duplicate-key"
