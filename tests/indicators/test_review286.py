"""Review 286 (scaling): an MCI note names a few inflows and counts the rest (every product's
note listed every inflow: products × inflows of text, 1 GB of JSON for a 3.4 MB model), and
the reused parts of a simulation are allocated to products per part instance (a dense
products × part types matrix grew as products² when each product has its own part types)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from junkan import lifecycle
from junkan.indicators import compute, from_lifecycle, load
from junkan.indicators import lifecycle_products as lp

ROOT = Path(__file__).parents[2]
PRODUCT = {"name": "p", "mass": "1 kg", "recycled_feedstock": 1}


def _mci_notes(n_inflows: int, n_products: int = 1) -> list[list[Any]]:
    doc = {"name": "f", "products": [{**PRODUCT, "name": f"p{j}"} for j in range(n_products)],
           "inflows": [{"name": f"in{i}", "mass": "1 t", "recycled": 1,
                        "recycling_efficiency": 0.5} for i in range(n_inflows)]}
    return [[n for n in i.notes if n.code.startswith("ef-from")]
            for i in compute(load(doc=doc), ["mci"])["mci"]
            if i.key.startswith("mci.product.")]


def test_the_note_of_many_inflows_names_three_and_counts_the_rest() -> None:
    (only,), = _mci_notes(2_000)
    assert only.code == "ef-from-many-inflows"
    assert "(in0, in1, in2 and 1,997 more;" in only
    assert "in3" not in only and only.params == {"ef": "0.5", "inflows": "in0, in1, in2",
                                                  "more": "1,997"}


def test_a_few_inflows_are_all_named() -> None:
    (only,), = _mci_notes(3)
    assert only.code == "ef-from-inflows" and "(in0, in1, in2;" in only


def test_each_products_note_does_not_grow_with_the_inflows() -> None:
    few, many = _mci_notes(5, 50), _mci_notes(5_000, 50)
    assert len(many) == 50 and all(len(n) == 1 for n in many)
    assert max(len(n[0]) for n in many) <= max(len(n[0]) for n in few) + 10


def _dense_reused_parts(result: Any, mask: Any) -> np.ndarray:
    """The allocation as it was before review 286: a products × part types matrix."""
    raw, c = result.raw, result.raw.compiled
    in_bom = np.zeros((len(c.products), len(c.parts)))
    np.add.at(in_bom, (c.inst_product, c.inst_type), result.instance_pieces())
    need = in_bom * raw.new_products[mask].sum(axis=0)[:, None]
    if len(c.repl_inst):
        np.add.at(need, (c.inst_product[c.repl_inst], c.inst_type[c.repl_inst]),
                  raw.replaced[mask].sum(axis=0))
    taken = raw.parts_reused_direct[mask].sum(axis=0) * c.part_mass
    return np.asarray(lp._shares(need, in_bom) @ taken)


def _shared_and_own() -> Any:
    """Review 259's kettle and fan sharing a motor (reused), each with a part of its own:
    the fan's blade is replaced in maintenance and reused; the kettle's element is not."""
    doc = yaml.safe_load((ROOT / "tests/lifecycle/cases/review259_two_collections.yaml")
                         .read_text(encoding="utf-8"))
    reuse = {"reuse": {"share": 0.5, "pass_rate": 0.8, "processes": ["inspection"]}}
    doc["parts"]["blade"] = {"make": ["motor_making"], "recovery": reuse,
                             "bom": [{"material": "steel", "mass": "200 g"}]}
    doc["parts"]["element"] = {"make": ["motor_making"],
                               "bom": [{"material": "copper", "mass": "100 g"}]}
    doc["products"]["fan"]["bom"].append({"part": "blade", "quantity": 3})
    doc["products"]["fan"]["maintenance"] = [
        {"part": "blade", "replacement_rate": 0.2, "processes": ["dismantle"],
         "collection": {"rate": 1.0}, "residual": {"steel_recycling": 1}}]
    doc["products"]["fan"]["eol"]["dismantling"]["extract"] = ["motor", "blade"]
    doc["products"]["kettle"]["bom"].append({"part": "element", "quantity": 2})
    return lifecycle.run(lifecycle.load(text=yaml.safe_dump(doc), source="shared.yaml"))


def test_reused_parts_per_instance_equal_the_dense_allocation() -> None:
    result = _shared_and_own()
    c = result.raw.compiled
    assert len(c.repl_inst) and result.raw.parts_reused_direct.sum(axis=0).min() >= 0
    assert (result.raw.parts_reused_direct.sum(axis=0) > 0).sum() >= 2  # motor and blade
    for mask in (slice(None), result.years <= result.years[0],
                 (result.years >= result.years[2]) & (result.years <= result.years[5])):
        dense, sparse = _dense_reused_parts(result, mask), lp._reused_parts(result, mask)
        assert sparse.shape == (len(c.products),)
        np.testing.assert_allclose(sparse, dense, rtol=1e-12, atol=0)
    assert from_lifecycle(result).products[1].reused_feedstock > 0  # the fan's


def test_no_products_by_part_types_array_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """The allocation makes its arrays as long as the instances, the part types or the
    products — none of shape products × part types (which grew as products²)."""
    result = _shared_and_own()
    c = result.raw.compiled
    shapes: list[tuple[int, ...]] = []
    real_zeros = np.zeros

    def zeros(shape: Any, *a: Any, **k: Any) -> Any:
        shapes.append(tuple(np.atleast_1d(shape).tolist()))
        return real_zeros(shape, *a, **k)

    with monkeypatch.context() as m:
        m.setattr(lp.np, "zeros", zeros)
        out = lp._reused_parts(result, slice(None))
    assert shapes and out.shape == (len(c.products),)
    assert (len(c.products), len(c.parts)) not in shapes
