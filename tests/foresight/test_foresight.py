"""Foresight: model validation, reproducible ensembles, and the validation model's known
split (2030 ± 1, driver `push`)."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from junkan.cli.main import app
from junkan.core.errors import ModelError
from junkan.foresight import load_causal_model, run_ensemble
from junkan.foresight.analysis import analyse
from tests.conftest import EXAMPLES

VALIDATION = EXAMPLES / "foresight_validation.yaml"


@pytest.fixture(scope="module")
def validation_result():  # type: ignore[no-untyped-def]
    c = load_causal_model(VALIDATION)
    ens = run_ensemble(c, 3000, seed=7)
    return ens, analyse(ens, k=2, seed=7)


def test_validation_model_split_year_and_driver(validation_result) -> None:  # type: ignore[no-untyped-def]
    _, res = validation_result
    (branch,) = res.branches
    assert abs(branch["branch_year"] - 2030) <= 1
    assert branch["driver"] == "push"
    assert res.feature_scores[0][0] == "trend:push"
    assert all("trend:push" in b["limits"] for b in res.boxes)
    assert 0.4 <= min(res.shares) <= 0.5


def test_future_becomes_decided_after_the_split(validation_result) -> None:  # type: ignore[no-untyped-def]
    _, res = validation_result
    decided = {t["year"]: t["decided"] for t in res.transitions}
    assert decided[2026] < 0.7 and decided[2036] > 0.9


def test_ensembles_are_reproducible_and_bounded() -> None:
    c = load_causal_model(VALIDATION)
    a = run_ensemble(c, 500, seed=3)
    b = run_ensemble(c, 500, seed=3)
    assert np.array_equal(a.kpis, b.kpis)
    assert not np.array_equal(a.kpis, run_ensemble(c, 500, seed=4).kpis)
    assert a.states is not None and a.states.min() > 0 and a.states.max() < 1


def test_lever_override_moves_the_outcome() -> None:
    doc = yaml.safe_load(VALIDATION.read_text())
    doc["levers"] = [{"id": "ecopoints", "factor": "awareness", "effect": 0.05,
                      "start": 2030}]
    c = load_causal_model(doc=doc)
    off = run_ensemble(c, 1000, seed=1, lever_override={"ecopoints": 0.0})
    on = run_ensemble(c, 1000, seed=1, lever_override={"ecopoints": 1.0})
    assert on.kpis[-1].mean() > off.kpis[-1].mean() + 0.1


@pytest.mark.parametrize("mutate,path,words", [
    (lambda d: d["links"].append({"src": "ghost", "dst": "market", "sign": "+",
                                  "strength": 1}), "links[12].src", "unknown factor 'ghost'"),
    (lambda d: d["links"].append(dict(d["links"][0])), "links[12]", "duplicate link"),
    (lambda d: d["links"][0].update(lag=-1), "links[0].lag", "from 1 (the next year"),
    (lambda d: d["links"][0].update(lag=0), "links[0].lag", "0 is not possible"),
    (lambda d: d["links"].append({"src": "market", "dst": "market", "sign": "+",
                                  "strength": 1}), "links[12]", "cannot drive itself"),
    (lambda d: d["factors"].append({"id": "orphan", "role": "kpi", "family": "economy"}),
     "factors[12]", "nothing drives it"),
])
def test_bad_models_name_the_field(mutate, path: str, words: str) -> None:  # type: ignore[no-untyped-def]
    doc = copy.deepcopy(yaml.safe_load(VALIDATION.read_text()))
    mutate(doc)
    with pytest.raises(ModelError) as err:
        load_causal_model(doc=doc, source="m.yaml")
    assert any(p.path == path and words in p.message for p in err.value.problems), err.value


def test_cli_analyse_json() -> None:
    res = CliRunner().invoke(app, ["foresight", "analyse", str(VALIDATION), "--n", "2000",
                                   "--k", "2", "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["branches"][0]["driver"] == "push" and doc["k"] == 2
