"""Properties of every framework over generated flow models: shares stay in [0, 1], water
cycles ≥ 1, splitting a flow in two changes nothing, and ISO 59020's mass balance holds."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junkan.indicators import compute, load_flow_model
from junkan.indicators.flows import mass_balance
from junkan.indicators.inputs import Route

ROUTES = list(Route.__args__)  # type: ignore[attr-defined]
share = st.floats(0, 1)
mass = st.floats(0.001, 1e6)
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def inflow(draw: st.DrawFn) -> dict[str, Any]:
    a, b, c = draw(share), draw(share), draw(share)
    scale = 1 / (a + b + c) if a + b + c > 1 else 1.0
    return {"name": "i", "mass": f"{draw(mass)} kg", "reused": a * scale,
            "recycled": b * scale, "renewable": c * scale * 0.999999,
            "critical": draw(st.booleans()), "biological": draw(st.booleans())}


@st.composite
def outflow(draw: st.DrawFn) -> dict[str, Any]:
    route = draw(st.sampled_from(ROUTES))
    kind = "by-product" if route == "export" else draw(
        st.sampled_from(["waste", "product", "by-product"]))
    return {"name": "o", "mass": f"{draw(st.floats(0, 1e6))} kg", "route": route, "kind": kind,
            "recovery_potential": draw(share), "actual_recovery": draw(share),
            "hazardous": draw(st.booleans())}


@st.composite
def flow_model(draw: st.DrawFn) -> dict[str, Any]:
    withdrawn, discharged = draw(st.floats(0, 1e6)), draw(st.floats(0, 1e6))
    total = draw(st.floats(0, 1e6))
    exported = total * draw(share)
    renewable = total * draw(share)
    lo, hi = max(0.0, exported - (total - renewable)), min(exported, renewable)
    return {
        "name": "g",
        "inflows": draw(st.lists(inflow(), min_size=1, max_size=4)),
        "outflows": draw(st.lists(outflow(), min_size=1, max_size=4)),
        "water": {"withdrawn": f"{withdrawn} m**3",
                  "withdrawn_circular": f"{withdrawn * draw(share)} m**3",
                  "recirculated": f"{draw(st.floats(0, 1e6))} m**3",
                  "discharged": f"{discharged} m**3",
                  "discharged_at_quality": f"{discharged * draw(share)} m**3"},
        "energy": {"total": f"{total} MWh", "renewable": f"{renewable} MWh",
                   "exported": f"{exported} MWh",
                   # renewable exported ≥ what the non-renewable intake cannot cover
                   "exported_renewable": f"{lo + (hi - lo) * draw(share)} MWh"},
        "finance": {"revenue": draw(st.floats(0, 1e12))},
    }


def _all(doc: dict[str, Any]) -> dict[str, Any]:
    return {i.key: i for inds in compute(load_flow_model(doc=doc)).values() for i in inds}


@SETTINGS
@given(flow_model())
def test_shares_are_in_0_1_and_cycles_at_least_1(doc: dict[str, Any]) -> None:
    for i in _all(doc).values():
        if i.value is None:
            assert i.reason, i.key
        elif i.unit == "fraction":
            assert -1e-12 <= i.value <= 1 + 1e-9, (i.key, i.value)
        elif i.unit == "cycles":
            assert i.value >= 1.0, (i.key, i.value)


def _split(doc: dict[str, Any], side: str, k: int, s: float) -> dict[str, Any]:
    """``doc`` with flow ``k`` of ``side`` split into two flows of shares s and 1 − s."""
    out = copy.deepcopy(doc)
    flow = out[side][k]
    m = float(flow["mass"].split()[0])
    second = dict(flow, name=f"{flow['name']}-2", mass=f"{m * (1 - s)} kg")
    flow["mass"] = f"{m * s} kg"
    out[side].insert(k + 1, second)
    return out


@pytest.mark.slow
@SETTINGS
@given(flow_model(), st.data(), st.floats(0.01, 0.99))
def test_splitting_a_flow_in_two_changes_nothing(doc: dict[str, Any], data: st.DataObject,
                                                  s: float) -> None:
    side = data.draw(st.sampled_from(["inflows", "outflows"]))
    k = data.draw(st.integers(0, len(doc[side]) - 1))
    before, after = _all(doc), _all(_split(doc, side, k, s))
    assert before.keys() == after.keys()
    for key, b in before.items():
        a = after[key]
        if b.value is None or a.value is None:
            # a split can only turn a rounding residue into two residues, never a value
            assert (b.value is None) == (a.value is None), key
            continue
        assert math.isclose(a.value, b.value, rel_tol=1e-9, abs_tol=1e-9), (key, b.value,
                                                                            a.value)


@SETTINGS
@given(flow_model())
def test_iso_mass_balance_holds_for_any_flow_model(doc: dict[str, Any]) -> None:
    fm = load_flow_model(doc=doc)
    bal = mass_balance(fm)  # checks itself; raises if a side does not add up
    t = bal.as_t()
    assert t["inflow_reused"] + t["inflow_recycled"] + t["inflow_renewable"] + \
        t["inflow_linear"] == pytest.approx(t["inflow_total"], rel=1e-9, abs=1e-9)
    assert t["outflow_reused"] + t["outflow_recycled"] + t["outflow_biological"] + \
        t["outflow_linear"] == pytest.approx(t["outflow_total"], rel=1e-9, abs=1e-9)
    ind = _all(doc)
    for side, parts in (("inflow", ("reused", "recycled", "renewable", "linear")),
                        ("outflow", ("reused", "recycled", "biological_cycle", "linear"))):
        values = [ind[f"iso59020.{side}_{p}"].value for p in parts]
        if all(v is not None for v in values):
            assert sum(values) == pytest.approx(1.0, abs=1e-9)  # type: ignore[arg-type]
