"""Bad input: every kind the issue names gives exit code 2, a message naming the file and the
document path, and writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from junkan.cli.main import app
from junkan.core.errors import ModelError
from junkan.lifecycle import load_model
from tests.conftest import write_model

runner = CliRunner()


def _mutations() -> list[tuple[str, Any, str, str]]:
    """(id, mutation, expected path, expected words)."""

    def drop_lifetime(d: dict) -> None:
        del d["products"]["widget"]["lifetime"]

    def unknown_material(d: dict) -> None:
        d["products"]["widget"]["bom"][1]["material"] = "titanium"

    def unknown_process(d: dict) -> None:
        d["products"]["widget"]["eol"]["collection"]["processes"] = ["teleport"]

    def unknown_actor(d: dict) -> None:
        d["processes"]["assembly"]["actor"] = "nobody"

    def wrong_unit(d: dict) -> None:
        d["products"]["widget"]["bom"][2]["mass"] = "2 blorbs"

    def incompatible_unit(d: dict) -> None:
        d["products"]["widget"]["bom"][2]["mass"] = "2 km"

    def currency(d: dict) -> None:
        d["processes"]["assembly"]["revenue"] = "90 USD/piece"

    def shares_above_one(d: dict) -> None:
        d["products"]["widget"]["eol"]["uncollected"] = {"landfill": 0.7, "export": 0.5}

    def share_out_of_range(d: dict) -> None:
        d["products"]["widget"]["eol"]["collection"]["rate"] = 1.4

    def negative_mass(d: dict) -> None:
        d["products"]["widget"]["bom"][1]["mass"] = "-5 kg"

    def zero_lifetime(d: dict) -> None:
        d["products"]["widget"]["lifetime"] = {"distribution": "fixed", "mean": "0 year"}

    def cycle(d: dict) -> None:
        d["parts"]["magnet"]["bom"].append({"part": "motor", "quantity": 1})

    def bad_path(d: dict) -> None:
        d["products"]["widget"]["eol"]["dismantling"]["extract"] = ["motor/rotor"]

    def negative_constant_sales(d: dict) -> None:
        d["products"]["widget"]["sales"] = -5

    def unreadable_yearly_sales(d: dict) -> None:
        d["products"]["widget"]["sales"] = {2030: "lots"}

    def bad_override(d: dict) -> None:
        d["scenarios"]["more_collection"]["set"] = {"products.widget.eol.colection.rate": 2}

    return [
        ("missing field", drop_lifetime, "products.widget.lifetime", "required"),
        ("unknown material", unknown_material, "products.widget.bom[1].material",
         "unknown material 'titanium'"),
        ("unknown process", unknown_process, "products.widget.eol.collection.processes[0]",
         "unknown process 'teleport'"),
        ("unknown actor", unknown_actor, "processes.assembly.actor", "unknown actor 'nobody'"),
        ("wrong unit", wrong_unit, "products.widget.bom[2].mass", "unknown unit"),
        ("incompatible unit", incompatible_unit, "products.widget.bom[2].mass",
         "cannot be converted to 'kg'"),
        ("other currency", currency, "processes.assembly.revenue", "model currency is JPY"),
        ("shares above 1", shares_above_one, "products.widget.eol.uncollected", "above 1"),
        ("share above 1", share_out_of_range, "products.widget.eol.collection.rate",
         "between 0 and 1"),
        ("negative mass", negative_mass, "products.widget.bom[1].mass", "must not be negative"),
        ("lifetime <= 0", zero_lifetime, "products.widget.lifetime.mean", "greater than 0"),
        ("BOM cycle", cycle, "parts.magnet.bom[1].part", "cycle"),
        ("unknown BOM path", bad_path, "products.widget.eol.dismantling.extract[0]",
         "no part at BOM path"),
        # past bug: one value for every year was reported at the first year's path
        # (products.widget.sales.2025), which the document does not have
        ("negative sales", negative_constant_sales, "products.widget.sales:",
         "sales must not be negative"),
        ("unreadable sales of a year", unreadable_yearly_sales, "products.widget.sales.2030:",
         "cannot read 'lots' as units per year"),
        ("scenario override", bad_override, "products.widget.eol.colection",
         "set by scenarios.more_collection.set"),
    ]


@pytest.mark.parametrize("mutate,path,words", [m[1:] for m in _mutations()],
                         ids=[m[0] for m in _mutations()])
def test_bad_input_exits_2_with_path_and_writes_nothing(
        tmp_path: Path, small: dict, mutate: Any, path: str, words: str) -> None:
    mutate(small)
    model = write_model(tmp_path, small)
    out = tmp_path / "results"
    for args in (["validate", str(model)], ["simulate", str(model), "--out", str(out)],
                 ["compare", str(model), "--out", str(out), "--format", "json"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, res.output
        assert f"{model}:{path}" in res.output.replace("\n", ""), res.output
        assert words in res.output.replace("\n", " "), res.output
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["model.yaml"]


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    model = tmp_path / "broken.yaml"
    model.write_text("name: x\nyears: {start: 2020\nactors: [\n", encoding="utf-8")
    res = runner.invoke(app, ["validate", str(model)])
    assert res.exit_code == 2
    assert "line" in res.output and str(model) in res.output


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert res.exit_code == 2
    assert "file not found" in res.output


def test_all_problems_are_reported_at_once(small: dict) -> None:
    small["processes"]["assembly"]["actor"] = "nobody"
    small["products"]["widget"]["eol"]["uncollected"] = {"landfill": 0.2}
    import yaml

    with pytest.raises(ModelError) as err:
        load_model(text=yaml.safe_dump(small), source="m.yaml")
    paths = {p.path for p in err.value.problems}
    assert {"processes.assembly.actor", "products.widget.eol.uncollected"} <= paths


def test_unknown_scenario(tmp_path: Path, small: dict) -> None:
    model = write_model(tmp_path, small)
    res = runner.invoke(app, ["simulate", str(model), "--scenario", "Z"])
    assert res.exit_code == 2
    assert "unknown scenario 'Z'" in res.output
