"""An infeasible alloy plan says why as coded domain rules (a code and the figures its
message quotes), so the web page can say it in Japanese: the binding limits and the nearest
window as text (never a Python list), the cheapest levers one by one, or that none works."""

from __future__ import annotations

import json
import re

import pytest

from junkan.alloys.plan import PlanError, plan
from tests.alloys.test_plan_levers import STOCK, WINDOW
from tests.core.test_rule_codes import CATALOGUES


def _catalogue(lang: str) -> dict[str, str]:
    doc: dict[str, str] = json.loads((CATALOGUES / f"{lang}.json").read_text("utf-8"))
    return doc


def _says_its_rule(kind: str, params: dict[str, object], message: str) -> None:
    """The English catalogue's message of the rule, filled in, is the message; the Japanese
    one quotes the same figures."""
    en, ja = _catalogue("en")[f"val.{kind}"], _catalogue("ja")[f"val.{kind}"]
    assert re.sub(r"\{(\w+)\}", lambda m: str(params[m.group(1)]), en) == message
    assert set(re.findall(r"\{(\w+)\}", ja)) == set(re.findall(r"\{(\w+)\}", en))


def test_an_unmet_window_with_levers_is_coded() -> None:
    with pytest.raises(PlanError) as err:
        plan(STOCK, WINDOW, capacity_vehicles=150, n=300)
    problems = err.value.problems
    kinds = [p.kind for p in problems]
    assert kinds[:2] == ["plan-window-unmet", "levers-cheapest"], kinds
    unmet = problems[0].limits or {}
    assert unmet["binding"] == ", ".join(err.value.detail["binding"])
    assert unmet["probability"] == "0.9"
    assert unmet["window"].startswith("Fe ≤ 0.8")
    levers = err.value.detail["levers"]["cheapest"]["levers"]
    assert len(problems) == 2 + len(levers)  # each lever the cheapest combination pulls
    assert set(kinds[2:]) <= {"lever-grain", "lever-sorter", "lever-no-sorter",
                              "lever-all-removals", "lever-buy-in"}
    for p in problems:
        assert "[" not in p.message and "'" not in p.message, p.message  # no Python repr
        _says_its_rule(p.kind, p.limits or {}, p.message)
    sorter = [p for p in problems if p.kind == "lever-sorter"]
    assert all((p.limits or {})["sorter_id"] in ("image_ai_run2", "libs") for p in sorter)
    # the whole message (the command line's) lists the limits as text too
    assert "binding limit(s) Fe;" in str(err.value) and "['" not in str(err.value)


def test_a_window_no_lever_reaches_is_coded() -> None:
    with pytest.raises(PlanError) as err:
        plan(STOCK, "casting_premium", capacity_vehicles=150, n=300)
    problems = err.value.problems
    assert [p.kind for p in problems] == ["plan-window-unmet", "levers-none"]
    assert (problems[1].limits or {})["searched"] == err.value.detail["levers"]["searched"]
    binding = (problems[0].limits or {})["binding"]
    assert isinstance(binding, str) and set(binding.split(", ")) <= {"Fe", "Mg", "Zn"}
    for p in problems:
        _says_its_rule(p.kind, p.limits or {}, p.message)
