"""The CLI's outputs: tables, JSON document, report."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from junkan.cli.main import app
from tests.conftest import write_model

runner = CliRunner()


def test_simulate_writes_csv_parquet_and_summary(tmp_path: Path, small: dict) -> None:
    model = write_model(tmp_path, small)
    out = tmp_path / "res"
    res = runner.invoke(app, ["simulate", str(model), "--scenario", "more_collection",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    for table in ("processes", "flows", "materials", "products", "parts", "actors",
                  "indicators"):
        csv = pd.read_csv(out / f"{table}.csv")
        pq = pd.read_parquet(out / f"{table}.parquet")
        assert len(csv) == len(pq) > 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "more_collection"
    assert summary["mass_balance_max_relative_error"] <= 1e-9
    # the units of what it holds (it listed compare's change_vs_baseline too; review 222)
    assert set(summary["units"]) == set(summary) - {"model", "scenario", "units"}
    cols = pd.read_csv(out / "processes.csv").columns
    assert {"co2e_kg", "energy_MJ", "cost_JPY", "revenue_JPY"} <= set(cols)


def test_compare_json_document_shape(tmp_path: Path, small: dict) -> None:
    model = write_model(tmp_path, small)
    res = runner.invoke(app, ["compare", str(model), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["model"] == "small"
    names = [s["name"] for s in doc["scenarios"]]
    assert names == ["baseline", "more_collection"]
    more = doc["scenarios"][1]
    assert "co2_reduction_t" in more["headline"]
    assert more["change_vs_baseline"]["final_disposal_t"] < 0  # more collection, less landfill


def test_report_is_offline_html_with_sankey(tmp_path: Path, small: dict) -> None:
    model = write_model(tmp_path, small)
    out = tmp_path / "rep"
    res = runner.invoke(app, ["compare", str(model), "--out", str(out)])
    assert res.exit_code == 0, res.output
    html = (out / "report.html").read_text()
    assert '"type":"sankey"' in html.replace(" ", "")
    assert "https://cdn" not in html and 'src="http' not in html
    assert (out / "plotly.min.js").stat().st_size > 1_000_000
    assert (out / "baseline" / "flows.csv").exists()
    delta = pd.read_csv(out / "more_collection" / "indicators_vs_baseline.csv")
    assert (delta["final_disposal_t"] <= 1e-9).all() and delta["final_disposal_t"].min() < 0


def test_json_models_are_accepted(tmp_path: Path, small: dict) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(small), encoding="utf-8")
    res = runner.invoke(app, ["compare", str(path), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    more = doc["scenarios"][1]
    assert more["by_actor_change_vs_baseline"]["recycler"]["co2e_t"] > 0  # collects more


def test_schema_command_prints_json_schema() -> None:
    res = runner.invoke(app, ["schema"])
    assert res.exit_code == 0
    schema = json.loads(res.stdout)
    assert "products" in schema["properties"]


def test_library_templates_are_listed_and_importable(tmp_path: Path, small: dict) -> None:
    res = runner.invoke(app, ["library"])
    assert "transport_japan" in res.stdout
    small["uses"] = ["transport_japan"]
    small["processes"]["collect"] = {"actor": "recycler", "stage": "collection",
                                     "mode": "truck", "distance": "100 km", "source": "t"}
    model = write_model(tmp_path, small)
    res = runner.invoke(app, ["validate", str(model)])
    assert res.exit_code == 0, res.output


def test_simulate_prints_an_undefined_ratio_as_n_a(tmp_path: Path, small: dict) -> None:
    """A model without sales has no input and no outflow: its shares and rates are 0/0,
    printed 'nan' until 2026-12-05 (compare printed 'n/a', the JSON null)."""
    doc = json.loads(json.dumps(small))
    for product in doc["products"].values():
        product["sales"] = 0
    res = runner.invoke(app, ["simulate", str(write_model(tmp_path, doc)), "--quiet"])
    assert res.exit_code == 0, res.output
    row = next(line for line in res.output.splitlines() if "recycled_share" in line)
    assert "n/a" in row and "nan" not in res.output.lower()
