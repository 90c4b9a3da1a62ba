"""Compiling with array operations instead of per-item loops gives the very arrays the loops
gave (issue 17, item 1): the material mixes of the routing operators, the full material
content of nested BOMs and the part purchase rows of the process table."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import yaml

from junkan import lifecycle
from junkan.core.errors import ModelError
from junkan.lifecycle import routing_batch
from junkan.lifecycle.checks import Problems, check_bom_graph
from junkan.lifecycle.processes import _TableBuilder, process_table
from junkan.lifecycle.routing import Route
from tests.lifecycle.test_conventions import _doc


def _load(doc: dict[str, Any]) -> lifecycle.ModelFile:
    return lifecycle.load(text=yaml.safe_dump(doc), source="t.yaml")


def _with_sinks(doc: dict[str, Any]) -> dict[str, Any]:
    d = copy.deepcopy(doc)
    for name in ("incinerate", "export"):
        d["processes"][name] = {
            "actor": "waste",
            "stage": "disposal",
            "kind": "energy_recovery" if name == "incinerate" else name,
            "source": "test",
        }
    d["materials"]["copper"] = {"virgin": {"co2e": "3 kgCO2e/kg", "source": "test"}}
    d["materials"]["glass"] = {"virgin": {"co2e": "1 kgCO2e/kg", "source": "test"}}
    return d


@pytest.mark.parametrize("chunk", [routing_batch.MIX_CHUNK, 7])
def test_mat_block_equals_the_entries_of_a_loop(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routing_batch, "MIX_CHUNK", chunk)  # 7: a few pairs per chunk
    c = _load(_with_sinks(_doc(rate=0.1))).compiled["baseline"]
    n_m, n_d = len(c.materials), len(c.sinks)
    rng = np.random.default_rng(3)
    route, expected = Route(c), []
    for col in range(40):
        kg = rng.uniform(0, 5, n_m) * (rng.uniform(size=n_m) < 0.6)  # some materials absent
        scale = 0.0 if col % 7 == 0 else float(rng.uniform(0, 2))
        mix = [
            (int(d), float(s))
            for d, s in zip(
                rng.permutation(n_d)[:2], [0.0 if col % 5 == 0 else 0.3, 0.7], strict=False
            )
        ]
        route.mix(col % 9, "use", mix, kg, scale)
        for d, share in mix:  # the loop the block replaces: non-zero kg, non-zero products
            f = scale * share
            expected += [
                (m * n_d + d, col % 9, f * float(kg[m]))
                for m in np.flatnonzero(kg)
                if f * float(kg[m]) != 0.0
            ]
    rows, cols, vals, n_rows, _ = route.build(9)["mat"]
    assert n_rows == n_m * n_d
    assert list(zip(rows.tolist(), cols.tolist(), vals.tolist(), strict=True)) == expected
    assert len(expected) > 50


def _nested() -> dict[str, Any]:
    """Four levels of parts, a sub-part used by two parents, odd quantities and masses."""
    doc = _with_sinks(_doc(rate=0.1))
    doc["parts"] = {
        "pump": {
            "bom": [
                {"part": "motor", "quantity": 3},
                {"part": "seal", "quantity": 0.7},
                {"material": "steel", "mass": "2.1 kg"},
            ]
        },
        "motor": {
            "bom": [
                {"part": "coil", "quantity": 2},
                {"part": "seal", "quantity": 1.3},
                {"material": "steel", "mass": "0.37 kg"},
            ]
        },
        "coil": {
            "bom": [
                {"material": "copper", "mass": "0.111 kg"},
                {"material": "copper", "mass": "0.013 kg"},
            ]
        },
        "seal": {"bom": [{"material": "glass", "mass": "0.0123 kg"}]},
    }
    return doc


def test_full_content_of_nested_boms_equals_the_loop() -> None:
    mf = _load(_nested())
    c, model = mf.compiled["baseline"], mf.baseline
    order, ok = check_bom_graph(model, Problems())
    assert ok
    q_index, m_index = (
        {n: i for i, n in enumerate(c.parts)},
        {n: i for i, n in enumerate(c.materials)},
    )
    full = np.zeros((len(c.parts), len(c.materials)))
    for name, part in model.parts.items():
        for item in part.bom:
            if item.material is not None:
                full[q_index[name], m_index[item.material]] += item.mass or 0.0
    for name in reversed(order):  # children first, lines in order
        for item in model.parts[name].bom:
            if item.part is not None:
                full[q_index[name]] += item.quantity * full[q_index[item.part]]
    np.testing.assert_array_equal(c.bom.q_full, full)
    np.testing.assert_array_equal(c.part_mass, full.sum(axis=1))


def test_purchase_rows_equal_the_general_rows() -> None:
    doc = _nested()
    prices = {"pump": "1200 JPY/piece", "motor": "35.5 JPY/kg", "coil": "1200 JPY/piece"}
    for name, price in prices.items():
        doc["parts"][name]["price"] = price
    model = _load(doc).baseline
    table = process_table(model, Problems())
    general = _TableBuilder(model, Problems())
    for name, part in model.parts.items():
        general.add(
            f"purchase:{name}",
            "maker",
            "manufacturing",
            "activity",
            {"cost": part.price},
            None,
            f"parts.{name}.price",
        )
    got = table.factors[[table.index[f"purchase:{n}"] for n in model.parts]]
    np.testing.assert_array_equal(got, np.array(general.rows).reshape(-1, 2, 4))
    assert got[:, 1, 2].tolist() == [0.0, 35.5, 0.0, 0.0]  # per kg: the motor only


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("12 JPY/(t*km)", "needs a 'distance'"),
        ("12 USD/piece", "model currency is JPY"),
        ("12 JPY/t*km", "not a factor per piece, kg or t*km"),
    ],
)
def test_a_bad_price_is_still_reported_with_its_path(price: str, message: str) -> None:
    doc = _nested()
    doc["parts"]["seal"]["price"] = price
    with pytest.raises(ModelError) as exc:
        _load(doc)
    assert [
        p
        for p in exc.value.problems
        if p.path.startswith("parts.seal.price") and message in p.message
    ], exc.value


@pytest.mark.parametrize("n_m", [1, 7, 10, 129, 1000])
def test_row_sums_at_once_equal_each_rows_own_sum(n_m: int) -> None:
    """The routes take every part's residual total from one (Q, M) row sum
    (``Router._whole_parts``) where a loop summed one row at a time."""
    kg = np.random.default_rng(n_m).lognormal(0, 3, (40, n_m))
    assert kg.sum(axis=1).tolist() == [float(row.sum()) for row in kg]
