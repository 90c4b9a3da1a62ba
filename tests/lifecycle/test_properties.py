"""Property tests on random BOMs with maintenance and reuse (issue 27): mass balance at every
stage node and year, and a piece balance per part type and year computed from the document
alone — every part entering use (in a new product, or as a replacement with its sub-parts) is
either made new or reused (directly, or inside a reused assembly)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junkan import lifecycle

INTO = ("new_products", "spares", "both")


@st.composite
def models(draw: st.DrawFn) -> dict[str, Any]:
    """A product with 1–4 part types in a random DAG, maintenance of one top-level part (by
    rate or fixed lifetime), part reuse and remanufacture into random destinations, product
    reuse, and collection and dismantling at random depth."""
    n = draw(st.integers(1, 4))
    names = [f"p{i}" for i in range(n)]
    parts: dict[str, Any] = {}
    for i, name in enumerate(names):
        bom: list[dict[str, Any]] = [
            {
                "material": draw(st.sampled_from(["m0", "m1"])),
                "mass": f"{draw(st.integers(1, 50)) / 10} kg",
            }
        ]
        for sub in names[i + 1 :]:
            if draw(st.booleans()):
                bom.append({"part": sub, "quantity": draw(st.integers(1, 3))})
        recovery: dict[str, Any] = {"residual": {"landfill": 1}}
        for route in ("reuse", "remanufacture"):
            if draw(st.booleans()):
                recovery[route] = {
                    "share": draw(st.sampled_from([0.2, 0.4, 0.5])),
                    "pass_rate": draw(st.floats(0, 1)),
                    "into": draw(st.sampled_from(INTO)),
                }
        parts[name] = {"bom": bom, "recovery": recovery}
    top = [names[0]] + [nm for nm in names[1:] if draw(st.booleans())]
    maintenance: dict[str, Any] = {
        "part": draw(st.sampled_from(top)),
        "collection": {"rate": draw(st.floats(0, 1))},
        "residual": {"landfill": 1},
        "uncollected": {"landfill": 1},
    }
    if draw(st.booleans()):
        maintenance["replacement_rate"] = draw(st.floats(0, 1))
    else:
        maintenance["lifetime"] = {
            "distribution": "fixed",
            "mean": f"{draw(st.integers(1, 80)) / 10} year",
        }
    extract = [nm for nm in top if draw(st.booleans())]
    life = draw(
        st.sampled_from(
            [
                {"distribution": "fixed", "mean": f"{draw(st.integers(5, 120)) / 10} year"},
                {"distribution": "weibull", "scale": "6 year", "shape": 2.0},
                {"distribution": "normal", "mean": "5 year", "std": "2 year"},
            ]
        )
    )
    sales = {2020 + 3 * i: draw(st.integers(0, 1000)) for i in range(draw(st.integers(1, 4)))}
    product = {
        "sales": sales,
        "lifetime": life,
        "bom": [{"part": nm, "quantity": draw(st.integers(1, 2))} for nm in top]
        + [{"material": "m0", "mass": "3 kg"}],
        "maintenance": [maintenance],
        "eol": {
            "collection": {"rate": draw(st.floats(0, 1))},
            "reuse": {"share": draw(st.floats(0, 0.5)), "pass_rate": 0.5},
            "dismantling": {"extract": extract, "residual": {"landfill": 1}},
            "uncollected": {"landfill": 1},
        },
    }
    return {
        "name": "random",
        "years": {"start": 2020, "end": 2035},
        "actors": {"maker": {"role": "product_maker"}, "waste": {"role": "waste_handler"}},
        "materials": {
            m: {"virgin": {"co2e": "1 kgCO2e/kg", "source": "test"}} for m in ("m0", "m1")
        },
        "parts": parts,
        "products": {"thing": product},
        "processes": {
            "landfill": {
                "actor": "waste",
                "stage": "disposal",
                "kind": "landfill",
                "source": "test",
            }
        },
    }


def _pieces(doc: dict[str, Any], root: str) -> dict[str, float]:
    """Pieces of each part type in one ``root`` (a part, itself included) — from the
    document, not from the engine."""
    out = {root: 1.0}
    for item in doc["parts"][root]["bom"]:
        if "part" in item:
            for q, n in _pieces(doc, item["part"]).items():
                out[q] = out.get(q, 0.0) + item.get("quantity", 1) * n
    return out


def check_balances(doc: dict[str, Any]) -> None:
    res = lifecycle.run(lifecycle.load(text=yaml.safe_dump(doc), source="random.yaml"))
    raw, c = res.raw, res.raw.compiled
    assert raw.balance_error <= 1e-9
    per_product: dict[str, float] = {}
    for item in doc["products"]["thing"]["bom"]:
        if "part" in item:
            for q, n in _pieces(doc, item["part"]).items():
                per_product[q] = per_product.get(q, 0.0) + item["quantity"] * n
    per_spare = _pieces(doc, doc["products"]["thing"]["maintenance"][0]["part"])
    for qi, q in enumerate(c.parts):
        entering = raw.new_products[:, 0] * per_product.get(q, 0.0) + raw.replaced[
            :, 0
        ] * per_spare.get(q, 0.0)
        supplied = raw.parts_made[:, qi] + raw.parts_reused[:, qi]
        np.testing.assert_allclose(supplied, entering, rtol=1e-9, atol=1e-6, err_msg=q)
        assert np.all(raw.parts_made[:, qi] >= -1e-9)
        assert np.all(raw.parts_reused_spare[:, qi] <= raw.parts_reused_direct[:, qi] + 1e-9)
    # pieces: new plus reused products meet sales; nothing is negative
    np.testing.assert_allclose(
        raw.new_products + raw.reused_products, c.sales.T, rtol=1e-12, atol=1e-9
    )
    assert np.all(raw.replaced >= 0) and np.all(raw.exposure >= 0)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=models())
def test_random_boms_balance(doc: dict[str, Any]) -> None:
    check_balances(doc)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=models())
def test_random_boms_balance_many(doc: dict[str, Any]) -> None:
    check_balances(doc)
