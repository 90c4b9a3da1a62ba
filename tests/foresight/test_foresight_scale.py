"""Foresight at scale and its outputs: CSV models, the Japan CE example, per-chunk Latin
hypercube, the Dask backend (same numbers as the local engine), the HTML report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from junkan.cli.main import app
from junkan.core.errors import ModelError
from junkan.foresight import load_causal_model, run_ensemble
from junkan.foresight.analysis import analyse, scenario_tree
from junkan.foresight.describe import describe_markdown
from junkan.foresight.engine import sample_unit
from tests.conftest import EXAMPLES

JAPAN = EXAMPLES / "japan_ce.yaml"
VALIDATION = EXAMPLES / "foresight_validation.yaml"


def test_latin_hypercube_puts_one_scenario_in_every_stratum() -> None:
    u = sample_unit(np.random.default_rng(0), 50, 200)
    assert u.shape == (50, 200)
    strata = np.sort(np.floor(u * 200).astype(int), axis=1)
    assert (strata == np.arange(200)).all()


def _write_csv_model(tmp_path: Path, links: str) -> Path:
    (tmp_path / "f.csv").write_text(
        "id,role,family,better,x0,trend,description\n"
        "d,driver,,,0.4..0.6,-0.01..0.02,a driver\n"
        "s,state,,,0.5,,a state\n"
        "k,kpi,economy,lower,0.3..0.4,,a KPI\n")
    (tmp_path / "l.csv").write_text(links)
    model = tmp_path / "m.yaml"
    model.write_text("name: csvmodel\nyears: {start: 2024, end: 2030}\n"
                     "factors: f.csv\nlinks: l.csv\n")
    return model


def test_csv_model_loads_with_ranges_and_defaults(tmp_path: Path) -> None:
    model = _write_csv_model(tmp_path, "src,dst,sign,strength,lag,uncertainty\n"
                                       "d,s,+,3,,0.2\ns,k,-,2,1,\n")
    c = load_causal_model(model)
    assert c.ids == ["d", "s", "k"]
    assert c.model.factors[0].trend == (-0.01, 0.02)
    assert c.model.factors[2].better == "lower" and c.model.links[1].lag == 1
    assert run_ensemble(c, 50, seed=1).kpis.shape == (7, 1, 50)


def test_csv_errors_name_file_line_and_column(tmp_path: Path) -> None:
    model = _write_csv_model(tmp_path, "src,dst,sign,strength,lag,uncertainty\n"
                                       "d,s,+,3,,\ns,k,-,five,,\nghost,k,+,1,,\n")
    with pytest.raises(ModelError) as err:
        load_causal_model(model)
    paths = {p.path for p in err.value.problems}
    assert "l.csv line 3 column strength" in paths, paths
    text = str(err.value)
    assert "m.yaml:l.csv line 3 column strength" in text
    (tmp_path / "l.csv").write_text("src,dst,sign,strength,weight\n")
    with pytest.raises(ModelError, match="unknown column"):
        load_causal_model(model)


def test_japan_model_covers_the_seed_themes_and_documents_every_factor() -> None:
    c = load_causal_model(JAPAN)
    m = c.model
    assert len(m.factors) >= 150
    assert all(f.description and f.name for f in m.factors)
    ids = set(c.ids)
    for needed in ("reg_ecodesign", "life_repair_services", "soc_awareness", "inc_ecopoints",
                   "en_phaseout_plan", "kpi_outlet_recycling", "kpi_waste_generation",
                   "kpi_ce_market", "kpi_employment", "kpi_patents", "kpi_ce_it"):
        assert needed in ids
    assert set(c.families) == {"resource_circulation", "environment", "economy", "society"}
    doc = describe_markdown(c)
    assert all(f"`{f.id}`" in doc for f in m.factors)
    assert "## Policy levers" in doc and "rules_by_2030" in doc


@pytest.mark.slow
def test_japan_model_groups_rate_and_trace_to_its_levers() -> None:
    """The Japan model's futures form one continuum at this size: k-means cuts it into nine
    groups, but no split parts two worlds, so no branch year is claimed; the inputs that
    sort scenarios into groups are its policy drivers."""
    c = load_causal_model(JAPAN)
    ens = run_ensemble(c, 4000, seed=0, store_states="float16")
    res = analyse(ens, k=9, seed=0, transitions_every=6)
    assert res.k == 9 and min(res.shares) > 0.02
    tree = scenario_tree(res, 2050)
    root = tree[-1]
    assert sorted(root["groups"]) == list(range(9)) and len(tree) == 8
    assert all(node["branch_year"] is None and node["driver"] is None for node in tree)
    assert all(b["branch_year"] is None for b in res.branches)
    assert max(node["separation"] for node in tree) < 0.8
    top = [name for name, _ in res.feature_scores[:5]]
    assert {"lever:rules_by_2030", "trend:reg_political_will"} & set(top), top
    marks = {v for r in res.ratings for v in r.values()}
    assert marks == {"◎", "○", "△"}


@pytest.mark.slow
def test_dask_backend_matches_the_local_engine(tmp_path: Path) -> None:
    from distributed import Client

    from junkan.foresight.distributed import local_cluster, read_kpis, run_distributed

    c = load_causal_model(VALIDATION)
    with local_cluster(2) as cluster, Client(cluster) as client:
        summary = run_distributed(c, 3000, tmp_path / "ens", client=client, seed=5,
                                  per_task=1)
    assert summary["scenarios"] == 3000
    assert len(list((tmp_path / "ens" / "kpis").glob("*.parquet"))) == 3
    kpis, ids, years = read_kpis(tmp_path / "ens")
    local = run_ensemble(c, 3000, seed=5, store_states=False)
    assert np.array_equal(kpis, local.kpis)
    assert ids == [c.ids[i] for i in c.kpis] and years[0] == 2024
    assert not list(tmp_path.glob(".ens.tmp"))


def test_cli_report_writes_tree_fans_and_analysis(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    res = CliRunner().invoke(app, ["foresight", "report", str(VALIDATION), "--n", "1500",
                                   "--k", "2", "--out", str(out)])
    assert res.exit_code == 0, res.output
    page = (out / "report.html").read_text()
    assert "Scenario tree" in page and "KPI families per group" in page
    assert "Branching points" in page and (out / "plotly.min.js").exists()
    doc = json.loads((out / "analysis.json").read_text())
    assert doc["scenario_tree"][-1]["driver"] == "push"


def test_cli_run_writes_parquet_and_rejects_bad_options(tmp_path: Path) -> None:
    import pandas as pd

    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["foresight", "run", str(VALIDATION), "--n", "600",
                                   "--out", str(out), "--format", "json"])
    assert res.exit_code == 0, res.output
    table = pd.read_parquet(out / "kpis")
    assert len(table) == 600 * 27 and "kpi_economy" in table.columns
    assert json.loads(res.stdout)["scenarios"] == 600
    bad = CliRunner().invoke(app, ["foresight", "analyse", str(VALIDATION), "--k", "many"])
    assert bad.exit_code == 2 and "--k" in bad.output


def test_inputs_regenerate_exactly_from_the_seed() -> None:
    from junkan.foresight.engine import sample_inputs

    c = load_causal_model(VALIDATION)
    ens = run_ensemble(c, 2500, seed=4, store_states=False)
    assert np.array_equal(ens.inputs, sample_inputs(c, 2500, 4))
