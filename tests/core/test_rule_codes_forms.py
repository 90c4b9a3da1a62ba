"""Domain rules of the market forms, metering files, alloy plans and feeds, reports and the
industry table carry a code and the figures their message quotes (as those of
tests/core/test_rule_codes.py): the English catalogue's message filled in with them is the
message itself, word for word, so the Japanese one says the same."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from junkan import alloys, metering, policy
from junkan.core.documents import validate_with
from junkan.core.errors import Problem
from junkan.market import Condition, Lot
from junkan.policy.disclosure import Company, Period
from tests.core.test_rule_codes import _refused, _says_its_rule
from tests.policy.test_diagnosis import INDUSTRY, _with_industry

MARKET = Path(__file__).parents[2] / "examples" / "market" / "market.yaml"


def _market() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(yaml.safe_load(MARKET.read_text("utf-8")),
                                                default=str))
    return doc


def test_market_form_rules() -> None:
    cond, lot = _market()["conditions"][0], _market()["lots"][0]
    kinds = _refused(lambda: validate_with(Condition, {**cond, "price": {"base": "-5 JPY/kg"}},
                                           "condition"))
    assert kinds["base-price-negative"].limits == {"value": "-5"}
    kinds = _refused(lambda: validate_with(Condition, {**cond, "min_lot": "50 t"}, "condition"))
    assert kinds["min-lot-above-capacity"].limits == {"min_lot": "50,000",
                                                      "capacity": "40,000"}
    lot["item"]["composition"] = {"Si": 70, "Fe": 40}
    kinds = _refused(lambda: validate_with(Lot, lot, "lot"))
    p = kinds["composition-above-100"]
    assert p.limits == {"total": "110"}
    assert p.message == "composition: adds up to 110 wt %, above 100"


def _metering(call: Callable[[], object]) -> Problem:
    """The one coded problem of the :class:`MeteringError` ``call`` raises: its message
    is the error's text, and it survives the trip from a worker process (pickle)."""
    with pytest.raises(metering.MeteringError) as err:
        call()
    (p,) = err.value.problems
    _says_its_rule(p)
    assert p.render() == str(err.value)
    assert pickle.loads(pickle.dumps(err.value)).problems == (p,)
    return p


def test_metering_circuit_rules() -> None:
    def plant(**spec: Any) -> Callable[[], object]:
        return lambda: metering.plant_from_dict({"circuits": {"a": spec}}, "c.yaml")

    p = _metering(plant(phases=2))
    assert (p.kind, p.limits, p.render()) == (
        "phases-one-or-three", {"value": "2"}, "c.yaml: circuits.a.phases: expected 1 or 3, got 2")
    p = _metering(plant(volts=230))
    assert p.kind == "circuit-unknown-fields" and p.limits is not None
    assert p.limits["names"] == "volts" and "voltage_v" in str(p.limits["known"])
    p = _metering(plant(voltage_v=-1))
    assert (p.kind, p.limits) == ("positive-number-up-to", {"most": "100000", "value": "-1"})
    assert _metering(plant(clock_drift_ppm=1e5)).limits == {"most": "10000"}
    assert _metering(plant(steps="cut")).kind == "step-names-expected"
    assert _metering(lambda: metering.plant_from_dict({"circuits": []}, "c")).kind == \
        "circuits-mapping-needed"
    p = _metering(lambda: metering.plant_from_dict(
        {"circuits": {"a": {"steps": ["cut"]}, "b": {"steps": ["cut"]}}}, "c.yaml"))
    assert (p.kind, p.limits) == ("step-on-two-circuits", {"step": "'cut'"})


def test_metering_csv_and_scan_rules() -> None:
    plant = metering.plant_from_dict({"circuits": {"a": {"steps": ["cut"]}}}, "c.yaml")
    p = _metering(lambda: metering.from_frame(pd.DataFrame({"time": ["1"]}), plant,
                                              source="r.csv"))
    assert p.kind == "columns-missing" and p.path == "r.csv"
    empty = pd.DataFrame(columns=["time", "circuit", "current_a"])
    assert _metering(lambda: metering.from_frame(empty, plant, source="r.csv")).kind == \
        "no-readings"
    stray = pd.DataFrame({"time": ["1", "2"], "circuit": ["zz", "zz"], "current_a": ["1", "1"]})
    p = _metering(lambda: metering.from_frame(stray, plant, source="r.csv"))
    assert p.kind == "every-row-quarantined" and p.limits is not None and p.limits["line"] == 2
    assert p.limits["reason_code"] == "reading-circuit-unknown"  # said in the page's language
    scans = pd.DataFrame({"unit_id": ["u1"], "model": ["m"], "step": ["weld"], "start": ["5"],
                          "end": ["9"]})
    p = _metering(lambda: metering.scans_from_frame(scans, plant, "s.csv"))
    assert (p.kind, p.path, p.limits) == ("step-on-no-circuit", "s.csv: line 2: step",
                                          {"step": "'weld'", "file": "c.yaml", "known": "cut"})
    backwards = scans.assign(step="cut", start="9", end="5")
    assert _metering(lambda: metering.scans_from_frame(backwards, plant, "s.csv")).kind == \
        "scan-end-before-start"


def _alloys(call: Callable[[], object]) -> dict[str, Problem]:
    """The coded problems of the refusal (a ValueError) ``call`` raises, by rule; its
    message lists them."""
    with pytest.raises(ValueError) as err:
        call()
    problems = getattr(err.value, "problems", ())
    assert problems and str(err.value) == "; ".join(p.render() for p in problems)
    for p in problems:
        _says_its_rule(p)
    return {p.kind: p for p in problems}


def test_alloy_plan_and_feed_rules() -> None:
    def plan(**change: Any) -> Callable[[], object]:
        req = {"stock": {"makerA_kei_2008_icev": 10}, "buyer": "adc12_feed", **change}
        return lambda: alloys.plan(alloys.PlanRequest.model_validate(req))

    kinds = _alloys(plan(stock={"ghost": 3}))
    assert kinds["unknown-vehicles"].path == "stock"
    assert kinds["unknown-vehicles"].limits is not None
    assert kinds["unknown-vehicles"].limits["names"] == "ghost"
    assert "unknown-buyer" in _alloys(plan(buyer="nobody"))
    assert _alloys(plan(stock={"makerA_kei_2008_icev": -1}))["counts-negative"].limits == {
        "counts": "makerA_kei_2008_icev: -1"}
    assert "no-dismantling-option" in _alloys(plan(removable=["roof"]))
    assert _alloys(plan(relax_legal=["wheels"]))["not-legal-removal"].limits == {
        "names": "wheels", "legal": "battery_cells"}
    assert "no-vehicles-on-hand" in _alloys(plan(stock={"makerA_kei_2008_icev": 0}))
    assert "product-needs-sorter" in _alloys(plan(product="cast"))
    assert "product-not-a-bin" in _alloys(plan(product="gold", sorter="libs"))
    assert "unknown-sorter" in _alloys(plan(sorter="magic"))
    feed = alloys.FeedPlan.model_validate({"vehicles": [
        {"vehicle": "ghost", "count": 1}, {"vehicle": "makerA_kei_2008_icev", "count": 1,
                                            "remove": ["roof"]}], "remove": ["hood"]})
    kinds = _alloys(lambda: alloys.predict(feed, alloys.load_alloy_library(), n=50))
    assert kinds["unknown-vehicle"].path == "vehicles[0].vehicle"
    assert kinds["removal-unknown"].limits == {"name": "'roof'"}
    assert kinds["unknown-component"].path == "remove"


def test_report_rules(tmp_path: Path) -> None:
    kinds = _refused(lambda: validate_with(Company, {"name": "x", "lei": "5493001KJTIIGC8Y1R13"},
                                           "pack"))
    assert kinds["lei-check-digits"].limits == {"value": "5493001KJTIIGC8Y1R13"}
    assert "lei-format" in _refused(lambda: validate_with(Company, {"name": "x", "lei": "abc"},
                                                          "pack"))
    assert "lei-or-corporate-number" in _refused(
        lambda: validate_with(Company, {"name": "x"}, "pack"))
    assert _refused(lambda: validate_with(Company, {"name": "x", "corporate_number": 12},
                                          "pack"))["corporate-number-as-text"].limits == {
        "value": "12"}
    assert "corporate-number-check-digit" in _refused(lambda: validate_with(
        Company, {"name": "x", "corporate_number": "1234567890123"}, "pack"))
    assert "period-end-not-after-start" in _refused(lambda: validate_with(
        Period, {"start": "2026-04-01", "end": "2026-04-01"}, "pack"))
    assert _refused(lambda: validate_with(Period, {"start": "2026-01-01", "end": "2028-01-01"},
                                          "pack"))["period-too-long"].limits == {"days": 550}
    assert _refused(lambda: policy.quarters("2028H1"))["period-format"].limits == {
        "value": "'2028H1'"}
    kinds = _refused(lambda: policy.load(text="kind: horoscope"))
    assert kinds["unknown-kind"].limits is not None
    assert str(kinds["unknown-kind"].limits["known"]).startswith("diagnosis, recycled_content_plan")
    assert _refused(lambda: policy.load(text="name: x"))["unknown-kind"].path == "kind"


def test_industry_table_without_the_municipality(tmp_path: Path) -> None:
    doc = _with_industry(tmp_path, INDUSTRY.replace("99001,4000", "99009,4000"))
    p = _refused(lambda: policy.load(doc))["industry-no-row"]
    assert p.limits == {"table": "industry.csv", "code": "99001"}
