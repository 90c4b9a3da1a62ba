"""Domain rules carry a code and the figures their message quotes, so the UI can say them
in Japanese: every code in the source has a message in both catalogues, and the English
catalogue's message filled with a problem's parameters is the service's message (lifecycle
models, foresight models, network scenarios)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from junkan import network
from junkan.core.errors import ModelError, Problem
from junkan.foresight import load_causal_model
from junkan.lifecycle import load_model
from junkan.lifecycle.checks import NAMED
from tests.conftest import EXAMPLES, SMALL
from tests.network.test_cases import TINY

SRC = Path(__file__).parents[2] / "src" / "junkan"
CATALOGUES = SRC / "web" / "static" / "i18n"


def _catalogue(lang: str) -> dict[str, str]:
    doc: dict[str, str] = json.loads((CATALOGUES / f"{lang}.json").read_text("utf-8"))
    return doc


_CODE = re.compile(r'\b(?:rule|refusal|coded)\((?:[^()"]|"[^"]*"|\([^()]*\))*?'
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
    assert len(codes) >= 56 and {"kpi-undriven", "unknown-site"} <= codes, sorted(codes)
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

