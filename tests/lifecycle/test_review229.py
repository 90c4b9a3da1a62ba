"""Review 229 (overrides patched into the compiled form and the model cache, against fresh
loads of the same documents edited by hand)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from junkan import lifecycle
from junkan.core.errors import ModelError
from junkan.core.limits import override_limits
from junkan.lifecycle import cache
from junkan.lifecycle.api import compile_scenario
from tests.conftest import EXAMPLES

CASES = Path(__file__).parent / "cases"
TWO = (CASES / "review229_two_makers.yaml").read_text()
"""Two products made by ``maker`` (no one named as buyer of materials); a second product
maker, ``maker2``, listed last; steel costs 100 JPY/kg."""


def _fresh(doc: dict[str, Any]) -> lifecycle.ModelFile:
    cache.clear()
    return lifecycle.load(text=yaml.safe_dump(doc, sort_keys=False), source="m.yaml")


def _material_cost(result: Any) -> dict[str, float]:
    return {a: round(v["cost"]) for a, v in result.by_actor().items() if v["cost"]}


def test_actors_in_another_order_change_who_buys_the_materials() -> None:
    """The first product maker buys what no one is named to buy: with ``maker2`` first, the
    steel is its cost. Overriding ``actors`` with the same entries in that order was taken as
    no change (patched: still ``maker``'s), and the cache gave the first order's compiled
    model for the second."""
    doc = yaml.safe_load(TWO)
    first = doc["actors"]
    swapped = {"maker2": first["maker2"], **{k: v for k, v in first.items() if k != "maker2"}}
    expected = _material_cost(lifecycle.run(_fresh({**doc, "actors": swapped})))
    assert set(expected) == {"maker2"}
    cache.clear()
    mf = lifecycle.load(text=TWO, source="m.yaml")
    assert _material_cost(lifecycle.run(mf, overrides={"actors": swapped})) == expected
    assert _material_cost(lifecycle.run(mf)) == {"maker": expected["maker2"]}
    a = compile_scenario(TWO, None, {"actors": swapped}, source="m.yaml")
    b = compile_scenario(TWO, None, {"actors": first}, source="m.yaml")
    assert a is not b and list(b.material_buyer) == ["maker", "maker"]


@pytest.mark.parametrize("where", ["override", "scenario"])
def test_uses_cannot_be_changed_by_a_scenario_or_an_override(where: str) -> None:
    """Templates are merged when the document is read: a ``uses`` set later was ignored (a
    process of the template unknown, or the model's own refused, depending on the path)."""
    doc = yaml.safe_load(TWO)
    with pytest.raises(ModelError, match=r"uses.*a scenario or an override cannot change"):
        if where == "override":
            lifecycle.run(lifecycle.load(text=TWO, source="m.yaml"),
                          overrides={"uses": ["disposal_generic"]})
        else:
            doc["scenarios"]["more"] = {"set": {"uses[0]": "disposal_generic"}}
            _fresh(doc)


def test_a_problem_found_compiling_an_override_is_named_as_a_load_names_it() -> None:
    """Shares that do not sum to 1, set by an override of scenario B: the file and the
    scenario were missing; an override of the baseline said "(in scenario 'baseline')",
    which a load does not."""
    cache.clear()
    mf = lifecycle.load(EXAMPLES / "compressor_magnet.yaml")
    path = "products.room_ac.eol.uncollected"
    with pytest.raises(ModelError) as scen:
        lifecycle.run(mf, "B", overrides={path: {"landfill": 0.5}})
    with pytest.raises(ModelError) as base:
        lifecycle.run(mf, overrides={"products.room_ac.eol.collection.rate": -0.1})
    with pytest.raises(ModelError) as text:
        compile_scenario((EXAMPLES / "compressor_magnet.yaml").read_text(), "B",
                         {path: {"landfill": 0.5}}, source="m.yaml")
    assert str(scen.value).startswith(f"{mf.source}:{path}: shares sum to 0.5")
    assert str(scen.value).endswith("(in scenario 'B')")
    assert str(text.value).startswith(f"m.yaml:{path}: shares sum to 0.5")
    assert "in scenario" not in str(base.value)
    assert str(base.value).startswith(f"{mf.source}:products.room_ac.eol.collection.rate")


@pytest.mark.parametrize(("override", "message"), [
    ({"products.room_ac.title": "x" * 70_000}, r"room_ac\.title: a value of 70,000 characters"),
    ({"products.room_ac.lifetime.shape": 1e20}, r"number beyond ±"),
    ({"products.room_ac.eol.collection.rate": float("nan")}, r"not a finite number"),
    ({5: 0.5}, r"5: an override is named by its document path, as text"),
])
def test_an_override_is_held_to_the_document_limits(override: dict[Any, Any],
                                                    message: str) -> None:
    """A 70,000-character title was taken (a document with it is refused); a number or NaN
    was refused with pydantic's words, not the limit's; a key that is not text crashed."""
    cache.clear()
    mf = lifecycle.load(EXAMPLES / "compressor_magnet.yaml")
    with pytest.raises(ModelError, match=message):
        lifecycle.run(mf, overrides=override)
    with pytest.raises(ModelError, match=message):
        compile_scenario((EXAMPLES / "compressor_magnet.yaml").read_text(), None, override)


def test_tighter_limits_after_a_load_hold_for_a_patched_override() -> None:
    """Overrides that cannot be patched were refused under the tighter limit, those that
    can were taken."""
    cache.clear()
    mf = lifecycle.load(EXAMPLES / "compressor_magnet.yaml")
    with override_limits(years_products=10), pytest.raises(ModelError, match="limit 10"):
        lifecycle.run(mf, overrides={"products.room_ac.eol.collection.rate": 0.5})


def test_runs_with_overrides_keep_their_model_cached() -> None:
    """Runs with overrides never used the document's own entry: after 8 of them it was
    dropped, and the next compiled the whole model, never cached again."""
    cache.clear()
    mf = lifecycle.load(EXAMPLES / "compressor_magnet.yaml")
    for i in range(cache.MAX_ENTRIES + 2):
        lifecycle.run(mf, overrides={"products.room_ac.eol.collection.rate": 0.3 + i / 100})
    assert cache.size_of(mf.digest) is not None
