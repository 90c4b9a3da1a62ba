"""Domain rules carry a code and the figures their message quotes, so the UI can say them
in Japanese: every code in the source has a message in both catalogues, and the English
catalogue's message filled with a problem's parameters is the service's message (lifecycle
models, foresight models, network scenarios, grading criteria and Battery Pass documents,
the municipal survey and industry tables, solar-panel registries, alloy vehicle files)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from junkan import grading, network, policy
from junkan.alloys import load_alloy_library
from junkan.core.documents import read_document
from junkan.core.errors import ModelError, Problem
from junkan.core.quantities import parse_unit
from junkan.core.registry import UnitParseError
from junkan.foresight import load_causal_model
from junkan.grading.catalogue import bounds, property_value
from junkan.lifecycle import load_model
from junkan.lifecycle.checks import NAMED
from junkan.policy.industry import read_industry
from junkan.policy.solar import load_registry
from tests.alloys.test_library import car
from tests.conftest import EXAMPLES, SMALL
from tests.grading.test_batterypass import PACK
from tests.network.test_cases import TINY
from tests.policy.test_diagnosis import INDUSTRY

SRC = Path(__file__).parents[2] / "src" / "junkan"
CATALOGUES = SRC / "web" / "static" / "i18n"


def _catalogue(lang: str) -> dict[str, str]:
    doc: dict[str, str] = json.loads((CATALOGUES / f"{lang}.json").read_text("utf-8"))
    return doc


_CODE = re.compile(r'\b(?:rule|refusal|refused|Refused\.at|coded)\((?:[^()"]|"[^"]*"|\([^()]*\))*?'
                   r'"([a-z]+(?:-[a-z]+)+)"')
"""A code: the first string literal of a rule's call that is a code (with a hyphen)."""


def _codes() -> set[str]:
    """Every domain rule code junkan can report (read from its source)."""
    codes = {f"{kind}-{name}" for name in NAMED for kind in ("unknown", "undefined")}
    for module in SRC.rglob("*.py"):
        codes |= set(_CODE.findall(module.read_text("utf-8")))
    return codes


def test_every_rule_has_a_message_in_both_languages() -> None:
    en, ja = _catalogue("en"), _catalogue("ja")
    codes = _codes()
    assert len(codes) >= 129, sorted(codes)
    assert {"kpi-undriven", "unknown-site", "min-above-max", "pass-out-of-range",
            "code-repeated", "handed-too-many", "unknown-alloy"} <= codes, sorted(codes)
    missing = sorted(c for c in codes if f"val.{c}" not in en or f"val.{c}" not in ja)
    assert not missing, missing


def _problems(change: Callable[[dict[str, Any]], None]) -> list[Problem]:
    doc = copy.deepcopy(SMALL)
    change(doc)
    with pytest.raises(ModelError) as err:
        load_model(text=json.dumps(doc), source="bad.json")
    return err.value.problems


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        *head, last = path.split(".")
        node: Any = doc
        for key in head:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return change


CASES = [
    ("processes.assembly.actor", "nobody", "unknown-actor",
     {"name": "'nobody'", "known": "maker, recycler, supplier, waste"}),
    ("products.widget.make", ["assembly", "landfill"], "process-is-sink",
     {"name": "'landfill'", "kind": "landfill"}),
    ("products.widget.make", ["teleport"], "unknown-process", None),
    ("products.widget.eol.uncollected", {"landfill": 0.5}, "shares-below-one",
     {"total": "0.5"}),
    ("products.widget.eol.uncollected", {"landfill": 0.9, "export": 0.2}, "shares-above-one",
     {"total": "1.1"}),
    ("products.widget.eol.uncollected", {"mystery": 1}, "unknown-sink", None),
    ("products.widget.sales", {2020: -3}, "sales-negative", {"value": "-3.0"}),
    ("products.widget.bom.0", {"part": "gearbox"}, "unknown-part", None),
    ("products.widget.bom.1", {"material": "titanium", "mass": "1 kg"}, "unknown-material",
     None),
    ("products.widget.lifetime", {"distribution": "weibull", "scale": "6 year"},
     "lifetime-needs", {"distribution": "weibull", "fields": "shape"}),
    ("products.widget.bom.0", {"part": "motor", "mass": "1 kg"}, "bom-part-mass", None),
    ("parts.motor.recovery.remanufacture", {"share": 0.7}, "reuse-shares-above-one",
     {"total": "1.2"}),
    ("processes.steel_recycling.yields", {}, "recycling-without-yields", None),
    ("processes.assembly.co2e", "5 kgCO2e/(t*km)", "distance-needed", {"factor": "co2e"}),
    ("products.widget.bom.1.mass", "2 blorbs", "unknown-unit",
     {"name": "'blorbs'", "value": "'2 blorbs'"}),
    ("products.widget.bom.1.mass", "kg", "quantity-unreadable",
     {"value": "'kg'", "reason": "expected a number first, found 'kg' at position 1",
      "reason_code": "number-first", "found": "kg", "position": 1}),
]


@pytest.mark.parametrize(("path", "value", "code", "params"), CASES,
                         ids=[c[2] for c in CASES])
def test_a_broken_rule_says_its_code_and_figures(path: str, value: Any, code: str,
                                                 params: dict[str, Any] | None) -> None:
    """The problem names its rule and what its message quotes; the catalogue's English
    message, filled in with those, is the message itself (so the Japanese one, with the
    same placeholders, says the same)."""
    problems = [p for p in _problems(_set(path, value)) if p.kind == code]
    assert problems, [(p.path, p.kind, p.message) for p in _problems(_set(path, value))]
    for p in problems:
        if params is not None:
            assert p.limits == params
        _says_its_rule(p)


def _says_its_rule(p: Problem) -> None:
    """The English catalogue's message of ``p``'s rule, filled in, is its message."""
    template = _catalogue("en")[f"val.{p.kind}"]
    quoted = p.limits or {}
    assert re.sub(r"\{(\w+)\}", lambda m: str(quoted[m.group(1)]), template) == p.message


def test_unit_rules() -> None:
    """A unit string that cannot be read says its rule, as a quantity's does (CASES)."""
    with pytest.raises(UnitParseError) as err:
        parse_unit("kg/0")
    p = err.value.problem("unit")
    assert p.kind == "unit-unreadable"
    assert p.limits == {"value": "'kg/0'", "reason": "division by zero",
                        "reason_code": "division-by-zero"}
    _says_its_rule(p)
    with pytest.raises(UnitParseError) as err:
        parse_unit("kg/blorb")
    assert err.value.rule == "unknown-unit"
    _says_its_rule(err.value.problem("unit"))


def test_foresight_rules() -> None:
    doc = yaml.safe_load((EXAMPLES / "foresight_validation.yaml").read_text("utf-8"))
    doc["links"].append({"src": "ghost", "dst": "market", "sign": "+", "strength": 1})
    doc["links"].append(dict(doc["links"][0]))
    doc["levers"] = [{"id": "x", "factor": "awareness", "effect": 0.05, "start": 2090}]
    with pytest.raises(ModelError) as err:
        load_causal_model(doc=doc, source="m.yaml")
    kinds = {p.kind: p for p in err.value.problems}
    assert kinds["unknown-factor"].limits == {"name": "'ghost'"}
    assert kinds["year-outside"].limits == {"year": 2090, "start": doc["years"]["start"],
                                            "end": doc["years"]["end"]}
    assert {"unknown-factor", "duplicate-link", "year-outside"} <= set(kinds), kinds
    for p in err.value.problems:
        _says_its_rule(p)


def test_network_rules() -> None:
    with pytest.raises(ModelError) as err:
        network.load(text=TINY.replace("site: niihama", "site: atlantis"))
    (p,) = err.value.problems
    assert p.kind == "unknown-site" and p.limits is not None and p.limits["name"] == "'atlantis'"
    _says_its_rule(p)



def _refused(call: Callable[[], object]) -> dict[str, Problem]:
    """The problems ``call`` raises (a :class:`ModelError`) by rule, each saying its rule."""
    with pytest.raises(ModelError) as err:
        call()
    for p in err.value.problems:
        _says_its_rule(p)
    return {p.kind: p for p in err.value.problems}


def _criteria(*rules: dict[str, Any]) -> grading.CriteriaSet:
    return grading.CriteriaSet(id="mine", version="1", title="t", status="sourced", source="s",
                               rules=list(rules))


def test_grading_criteria_rules() -> None:
    window = {"type": "range", "property": "mfr", "min": "12 g/(10 min)", "max": "5 g/(10 min)"}
    kinds = _refused(lambda: bounds(_criteria(window)))
    assert kinds["min-above-max"].limits == {"min": "12", "max": "5"}
    kinds = _refused(lambda: bounds(_criteria({"type": "enum", "attribute": "colour",
                                               "allowed": ["red"]})))
    assert kinds["unknown-attribute"].limits is not None
    assert kinds["unknown-attribute"].limits["name"] == "'colour'"
    kinds = _refused(lambda: bounds(_criteria({"type": "range", "property": "tensile_strength",
                                               "max": "40 MPa"})))
    assert kinds["worst-case-max"].limits == {"feature": "tensile_strength"}
    kinds = _refused(lambda: property_value("mfr", 12, "item.properties.mfr.value"))
    assert kinds["unit-needed"].limits == {"value": 12, "unit": "g/10 min", "name": "mfr"}
    kinds = _refused(lambda: property_value("smell", "1 %", "item.properties.smell.value"))
    assert kinds["unknown-property"].limits is not None
    assert kinds["unknown-property"].limits["name"] == "'smell'"


def test_battery_pass_rules() -> None:
    heavy = grading.Item.model_validate({**PACK, "quantity": {"mass": "20 t"}})
    kinds = _refused(lambda: grading.to_batterypass(heavy))
    p = kinds["pass-out-of-range"]
    assert p.path == "item.quantity.mass" and p.limits is not None
    assert p.limits["attribute"] == "GeneralProductInformation.batteryMass"
    assert p.limits["value"] == "20000" and p.limits["op"] == "<="
    doc = grading.to_batterypass(grading.Item.model_validate(PACK))
    doc["GeneralProductInformation"]["batteryCategory"] = "stationary"
    doc["PerformanceAndDurability"]["batteryTechicalProperties"]["ratedCapacity"] = "180"
    doc["PerformanceAndDurability"]["batteryCondition"]["capacityFade"]["lastUpdate"] = (
        "2026-12-01T00:00:00Z")
    kinds = _refused(lambda: grading.from_batterypass(json.dumps(doc)))
    assert kinds["not-allowed"].limits == {"value": "'stationary'", "allowed": "['ev']"}
    assert kinds["number-as-text"].limits == {"value": "'180'", "unit": "A*h"}
    assert kinds["stamps-differ"].limits is not None
    assert kinds["stamps-differ"].limits["stamp"] == "2026-12-01T00:00:00Z"
    assert set(_refused(lambda: grading.from_batterypass("[1]"))) == {"pass-not-object"}


def test_survey_rules(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "policy" / "fixtures" / "survey_tiny.csv").read_text(
        "utf-8")
    bad = tmp_path / "s.csv"
    bad.write_text(text.replace("10000,3000", "10000,abc", 1).replace("99002", "9902", 1)
                   .replace(",450,450,180000", ",450,500,180000", 1), "utf-8")
    kinds = _refused(lambda: policy.read_survey(bad))
    assert kinds["cell-not-number"].limits == {"value": "'abc'"}
    # a code whose leading zero a spreadsheet dropped says how to write it
    assert kinds["code-leading-zero"].limits == {"value": "'9902'", "fixed": "'09902'"}
    assert kinds["recovered-mismatch"].limits == {"sum": "950", "recovered": "900"}
    bad.write_text(text.replace("直接搬入量,", "直接搬入,", 1), "utf-8")
    assert {"column-missing", "unknown-column"} <= set(_refused(lambda: policy.read_survey(bad)))
    bad.write_text(text, "utf-8")
    survey = policy.read_survey(bad)
    kinds = _refused(lambda: survey.find("12345"))
    assert kinds["not-in-survey"].limits == {"code": "'12345'", "count": 5}


def test_industry_rules(tmp_path: Path) -> None:
    table = tmp_path / "industry.csv"
    table.write_text(INDUSTRY.replace("99002,5000,100", "99002,1000,100")
                     .replace("99003,6000", "99003,60.5") + "99001,1,0,0,1\n", "utf-8")
    kinds = _refused(lambda: read_industry(table))
    assert kinds["sectors-above-total"].limits == {"sum": "5,000", "total": "1,000"}
    assert kinds["whole-number-needed"].limits == {"least": 1, "value": "60.5"}
    assert kinds["code-repeated"].limits == {"code": "99001", "line": 2}


def test_solar_registry_rules() -> None:
    doc = dict(read_document(Path(__file__).parents[1] / "policy" / "fixtures" / "solar.yaml"))
    bad = copy.deepcopy(doc)
    bad["installations"][0]["model"] = "PV-X"
    bad["models"].append(dict(bad["models"][0]))
    kinds = _refused(lambda: load_registry(bad, "solar.yaml"))
    assert kinds["no-panel-model"].limits == {"name": "'PV-X'"}
    assert kinds["registered-twice"].path == f"models[{len(bad['models']) - 1}].id"
    bad = copy.deepcopy(doc)
    bad["handovers"][0]["count"] = 101
    bad["treatments"][0]["recovered_kg"]["glass"] = 5000
    kinds = _refused(lambda: load_registry(bad, "solar.yaml"))
    assert {"handed-too-many", "treated-above-mass"} <= set(kinds), kinds


def test_alloy_vehicle_rules(tmp_path: Path) -> None:
    more = tmp_path / "more.json"
    more.write_text(json.dumps({"vehicles": [{**car("x", wheels={"alloy": "UNOBTAINIUM",
                                                                  "kg": 20}), "maker": "Z"}]}))
    kinds = _refused(lambda: load_alloy_library(str(more)))
    assert kinds["unknown-alloy"].limits is not None
    assert kinds["unknown-alloy"].limits["name"] == "'UNOBTAINIUM'"
    assert kinds["unknown-maker"].limits is not None
    assert kinds["unknown-maker"].limits["name"] == "'Z'"
    more.write_text(json.dumps({"vehicles": [car("x"), car("x")]}))
    assert _refused(lambda: load_alloy_library(str(more)))["duplicate-vehicle"].limits == {
        "name": "'x'"}
