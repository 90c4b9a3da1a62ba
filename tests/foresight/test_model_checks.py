"""Strict numbers, lag semantics and self-links: every bad number is refused with the file,
the field and the rule; a link of lag ℓ moves its target ℓ years after its source; a factor
cannot drive itself."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from junkan import foresight
from junkan.cli.main import app
from junkan.core.errors import ModelError
from junkan.foresight.model import CausalModel, compile_causal_model
from tests.foresight.models import lag_model, switch_model


def _problems(doc: dict[str, Any]) -> dict[str, str]:
    """Path → messages (joined) of the problems loading ``doc`` reports."""
    with pytest.raises(ModelError) as err:
        foresight.load(doc=doc, source="m.yaml")
    out: dict[str, str] = {}
    for p in err.value.problems:
        out[p.path] = f"{out[p.path]}; {p.message}" if p.path in out else p.message
    return out


@pytest.mark.parametrize("lags", [[1], [1, 2, 3], [2, 5]])
def test_a_link_of_lag_l_moves_its_target_l_years_after_its_source(lags: list[int]) -> None:
    c = foresight.load(doc=lag_model(lags, start=2030))
    ens = foresight.run(c, 5, seed=0)
    assert ens.states is not None
    moved = (np.abs(ens.states[:, :, 0] - 0.5) > 1e-6)  # (years, factors)
    first = {fid: int(c.years[np.argmax(moved[:, i])]) for i, fid in enumerate(c.ids)}
    assert first["src"] == 2030  # a lever moves its own factor in its start year
    for lag in lags:
        assert first[f"kpi_lag{lag}"] == 2030 + lag


def test_the_default_lag_is_one_year() -> None:
    doc = lag_model([1])
    del doc["links"][0]["lag"]
    assert foresight.load(doc=doc).model.links[0].lag == 1


@pytest.mark.parametrize("lag,words", [(0, "0 is not possible"), (-2, "from 1 (the next year"),
                                       (21, "to 20")])
def test_lags_outside_1_to_20_are_refused(lag: int, words: str) -> None:
    doc = lag_model([1])
    doc["links"][0]["lag"] = lag
    assert words in _problems(doc)["links[0].lag"]


def test_a_factor_cannot_drive_itself_and_a_kpi_driven_only_by_itself_is_undriven() -> None:
    doc = lag_model([1])
    doc["links"] = [{"src": "kpi_lag1", "dst": "kpi_lag1", "sign": "+", "strength": 2},
                    {"src": "src", "dst": "src", "sign": "-", "strength": 1}]
    problems = _problems(doc)
    assert "cannot drive itself" in problems["links[0]"]
    assert "cannot drive itself" in problems["links[1]"]


@pytest.mark.parametrize("where,value,path,words", [
    ("trend", [float("nan"), 0.01], "factors[0].trend[0]", "finite"),
    ("trend", [-0.01, float("inf")], "factors[0].trend[1]", "finite"),
    ("trend", [-2.0, 0.01], "factors[0].trend", "within [-1, 1]"),
    ("trend", [0.02, 0.01], "factors[0]", "trend must be (low, high)"),
    ("range", [float("nan"), 1.0], "factors[0].range[0]", "finite"),
    ("range", [5.0, 1.0], "factors[0].range", "first below the second"),
    ("range", [1.0, 1.0], "factors[0].range", "first below the second"),
    ("shock", float("nan"), "factors[0].shock", "finite"),
    ("shock", 2.0, "factors[0].shock", "less than or equal to 1"),
    ("x0", float("nan"), "factors[0].x0", "finite"),
    ("x0", 1.5, "factors[0].x0", "normalised"),
])
def test_bad_factor_numbers_name_the_field_and_the_rule(where: str, value: Any, path: str,
                                                        words: str) -> None:
    doc = copy.deepcopy(switch_model([2030]))
    doc["factors"][0][where] = value
    problems = _problems(doc)
    assert any(p.startswith(path) and words in m for p, m in problems.items()), problems


@pytest.mark.parametrize("section,field,value,words", [
    ("levers", "effect", float("nan"), "finite"),
    ("levers", "effect", 3.0, "less than or equal to 1"),
    ("levers", "start", 2060, "outside the model years"),
    ("links", "uncertainty", float("inf"), "finite"),
    ("links", "uncertainty", -0.1, "greater than or equal to 0"),
    ("links", "strength", 4, "less than or equal to 3"),
])
def test_bad_link_and_lever_numbers_name_the_field(section: str, field: str, value: Any,
                                                   words: str) -> None:
    doc = copy.deepcopy(switch_model([2030]))
    doc[section][0][field] = value
    problems = _problems(doc)
    assert words in problems[f"{section}[0].{field}"], problems


def test_nan_in_gain_is_refused_with_the_finite_rule() -> None:
    doc = copy.deepcopy(switch_model([2030]))
    doc["gain"] = float("nan")
    assert "finite" in _problems(doc)["gain"]


def test_a_model_built_without_validation_is_still_checked_at_compile() -> None:
    m = CausalModel.model_validate(switch_model([2030]))
    bad = m.model_copy(update={"factors": [m.factors[0].model_copy(
        update={"trend": (float("nan"), 0.01)})] + m.factors[1:]})
    with pytest.raises(ModelError) as err:
        compile_causal_model(bad, "built.py")
    assert [p.path for p in err.value.problems] == ["factors[0].trend"]


def test_cli_run_and_analyse_refuse_a_nan_trend_in_a_csv(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text("id,role,family,trend\nd,driver,,nan..0.02\n"
                                    "k,kpi,economy,\n")
    (tmp_path / "l.csv").write_text("src,dst,sign,strength\nd,k,+,1\n")
    (tmp_path / "m.yaml").write_text("name: m\nyears: {start: 2024, end: 2030}\n"
                                     "factors: f.csv\nlinks: l.csv\n")
    for verb in ("run", "analyse"):
        res = CliRunner().invoke(app, ["foresight", verb, str(tmp_path / "m.yaml"), "--n", "50",
                                       "--out", str(tmp_path / "out")] if verb == "run" else
                                 ["foresight", verb, str(tmp_path / "m.yaml"), "--n", "50"])
        assert res.exit_code == 2, res.output
        assert "m.yaml:f.csv line 2 column trend[0]" in res.output
        assert "finite" in res.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("override,words", [
    ({"switch": float("nan")}, "levers.switch"), ({"switch": 1.5}, "from 0 to 1"),
    ({"ghost": 0.5}, "unknown lever")])
def test_lever_shares_are_checked(override: dict[str, float], words: str) -> None:
    c = foresight.load(doc=switch_model([2030]))
    with pytest.raises(ValueError, match=words.replace(".", r"\.")):
        foresight.run(c, 20, lever_override=override)


@pytest.mark.parametrize("k", [1, 21, "many", 2.5, True])
def test_analyse_refuses_a_bad_k(k: Any) -> None:
    ens = foresight.run(foresight.load(doc=switch_model([2030])), 50, seed=0)
    with pytest.raises(ValueError, match="k: give a whole number of groups from 2 to 20"):
        foresight.analyse(ens, k)


@pytest.mark.slow
def test_cli_analyse_prints_the_tree_with_lever_drivers(tmp_path: Path) -> None:
    import yaml

    model = tmp_path / "m.yaml"
    model.write_text(yaml.safe_dump(switch_model([2034])))
    runner = CliRunner()
    res = runner.invoke(app, ["foresight", "analyse", str(model), "--n", "1500", "--k", "auto",
                              "--format", "json"])
    assert res.exit_code == 0, res.output
    tree = json.loads(res.stdout)["scenario_tree"]
    assert tree[-1]["driver"] == "switch" and tree[-1]["driver_kind"] == "lever"
    text = runner.invoke(app, ["foresight", "analyse", str(model), "--n", "1500", "--k", "3"])
    assert "branch 2034" in text.stdout and "driver lever switch" in text.stdout
