"""Review 248 (a new user's walk through the analyses chapters): a misspelt field in an
optimisation decision's parameter, and a sensitivity spec whose parameters are all fixed, were
blamed on the model file (the first with the advice that the option's value lie within the
field's limits); both are the spec's, said in the spec."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from junkan import lifecycle
from junkan.core.documents import validate_with
from junkan.core.errors import ModelError
from junkan.lifecycle import optimise as opt
from junkan.lifecycle import uncertainty as U
from tests.conftest import EXAMPLES

MODEL = EXAMPLES / "compressor_magnet.yaml"


@pytest.fixture(scope="module")
def magnet() -> lifecycle.ModelFile:
    return lifecycle.load(MODEL)


@pytest.mark.parametrize(("path", "known"), [
    ("products.room_ac.eol.collection.rte", "rate, processes"),
    ("products.room_ac.eol.colection", "collection, reuse"),
])
def test_a_misspelt_decision_parameter_is_said_in_the_spec(
        magnet: lifecycle.ModelFile, tmp_path: Path, path: str, known: str) -> None:
    doc = yaml.safe_load((EXAMPLES / "optimise" / "compressor_magnet.yaml").read_text("utf-8"))
    k = next(i for i, d in enumerate(doc["decisions"]) if d.get("parameter", "").endswith(
        "collection.rate"))
    doc["decisions"][k]["parameter"] = path
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(yaml.safe_dump(doc), encoding="utf-8")
    spec = opt.load_spec(spec_file)
    with pytest.raises(ModelError) as info:
        opt.optimise(magnet, spec)
    exc = info.value
    assert exc.source == str(spec_file)
    (problem,) = exc.problems
    assert problem.path == f"decisions[{k}].parameter"
    assert path in problem.message and "unknown field" in problem.message
    assert known in problem.message and str(MODEL.name) in problem.message
    assert "within the field's limits" not in problem.message


def test_a_sensitivity_spec_of_fixed_parameters_is_said_in_the_spec(
        magnet: lifecycle.ModelFile) -> None:
    doc = {"parameters": [{"parameter": "products.room_ac.eol.collection.rate",
                           "distribution": "fixed", "source": "test"}]}
    section = validate_with(U.UncertaintySection, doc, "fixed.yaml").located("fixed.yaml")
    with pytest.raises(ModelError) as info:
        U.sensitivity(magnet, "sobol", 4, 0, section=section)
    assert info.value.source == "fixed.yaml"
    assert info.value.problems[0].path == "parameters"
    assert "all are 'fixed'" in info.value.problems[0].message
