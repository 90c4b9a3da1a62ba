"""Surplus-soil matching says why it answers nothing: a document with no surplus is refused
naming the sources' volumes, and the solve has a time limit of its own (a documented
default, ``solver.time_limit_s`` to change it) — a programme not solved by then is refused
saying so, never reported as a plan."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from junkan import market
from junkan.cli.main import app
from junkan.core.errors import ModelError
from junkan.market import soil as soil_mod
from junkan.market.soil_schema import TIME_LIMIT_S
from tests.market.test_soil import doc, solve

KM_PER_DEG = 6371.0088 * math.pi / 180


def _at(km: float) -> dict[str, float]:
    return {"lat": 0.0, "lon": km / KM_PER_DEG}


def _large(n: int = 30, periods: int = 12) -> dict[str, Any]:
    """n sources and n sinks of one grade, 3 stockyards and 2 disposal sites scattered over
    200 km, random volumes and demands: 14,025 variables, solved in about 0.2 s."""
    rng = np.random.default_rng(7)

    def where() -> dict[str, float]:
        return _at(float(rng.uniform(0, 200)))

    def amounts(top: int) -> list[float]:
        return [float(v) for v in rng.integers(0, top, periods)]

    return {
        "periods": [f"p{t}" for t in range(periods)],
        "sources": [{"id": f"S{i}", "location": where(), "grade": "A", "volumes": amounts(500)}
                    for i in range(n)],
        "sinks": [{"id": f"K{i}", "location": where(), "accepts": ["A"],
                   "demand": amounts(400), "virgin_cost": 30} for i in range(n)],
        "stockyards": [{"id": f"Y{j}", "location": where(), "capacity": 3000,
                        "storage_cost": 2, "handling": 5} for j in range(3)],
        "disposal": [{"id": f"D{j}", "location": where(), "gate_fee": 50} for j in range(2)],
        "haul": {"cost": 1, "source": "assumption: test"},
    }


def test_a_document_without_surplus_is_refused_naming_the_volumes(tmp_path: Path) -> None:
    d = doc()
    d["sources"][0]["volumes"] = [0, 0]
    with pytest.raises(ModelError) as err:
        solve(d)
    (p,) = err.value.problems
    assert p.path == "sources" and "volumes of every source are 0" in p.message
    path = tmp_path / "soil.yaml"
    path.write_text(yaml.safe_dump(d), "utf-8")
    out = CliRunner().invoke(app, ["market", "soil", str(path), "--format", "json"])
    assert out.exit_code == 2, out.output  # it printed an empty result and exit 0
    assert "soil.yaml" in out.output and "sources" in out.output and "0 m³" in out.output


def test_the_solve_is_given_the_default_or_the_documents_time_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[float] = []
    linprog = soil_mod.linprog

    def noting(*args: Any, **kw: Any) -> Any:
        seen.append(kw["options"]["time_limit"])
        return linprog(*args, **kw)

    monkeypatch.setattr(soil_mod, "linprog", noting)
    assert solve(doc()).summary()["matched_m3"] == 100.0
    assert solve(doc(solver={"time_limit_s": 7})).summary()["matched_m3"] == 100.0
    assert seen == [TIME_LIMIT_S, 7.0]
    for bad in (0, 5000, True, "60"):  # a boolean read as 1 s (review 2026-12-04)
        with pytest.raises(ValueError, match="time_limit_s"):
            market.SoilMarket.model_validate(doc(solver={"time_limit_s": bad}))


def test_a_solve_stopped_at_its_time_limit_is_refused_saying_so() -> None:
    d = _large()
    assert solve(d).summary()["supplied_m3"] > 0  # solvable: the limit is what stops it
    d["solver"] = {"time_limit_s": 0.001}
    with pytest.raises(ModelError) as err:
        solve(d)
    (p,) = err.value.problems
    assert p.path == "solver.time_limit_s"
    assert "stopped at its time limit of 0.001 s" in p.message and "no plan" in p.message
