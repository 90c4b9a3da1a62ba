"""Each proposal's effect is a lifecycle-engine run of the measure's model
(``junkan.policy.measure_model``), checked against hand arithmetic and against the written
model run again with ``junkan.lifecycle``.

Hand computation for 試験市A (99001, fixtures/survey_tiny.csv) with the factors of
``FACTORS`` below (not the shipped ones, so the figures do not move when those are revised):

* plastics: potential 25 t (see test_diagnosis.py), capture 0.6 → 15 t diverted;
  route incineration, A's ash ratio 焼却残渣 280 ÷ 直接焼却 2,800 = 0.1;
  disposal cost 40,000 × 0.5 = 20,000 JPY/t;
  baseline: cost 25 × 20,000 = 500,000 JPY, landfill 25 × 0.1 = 2.5 t, CO2e 0;
  measure: cost 10 × 20,000 + 15 × 60,000 = 1,100,000 JPY, revenue 15 × 5,000 = 75,000 JPY,
  landfill 10 × 0.1 = 1.0 t, CO2e −15 × 2.0 = −30 t;
  effects: CO2e 30 t, landfill 1.5 t, net cost 1,100,000 − 75,000 − 500,000 = 525,000 JPY;
* paper on a non-combustible route (to check that route): potential 125 t, capture 0.7 →
  87.5 t; A's residue ratio (直接最終処分 100 + 処理残渣 150) ÷ (100 + 焼却以外 300) = 0.625
  → landfill avoided 87.5 × 0.625 = 54.6875 t.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from junkan import lifecycle, policy
from junkan.core.documents import validate_with
from junkan.core.errors import ModelError
from junkan.policy.schema import Catalogue, Factors

HERE = Path(__file__).parent / "fixtures"
FACTORS = Factors.model_validate(
    {
        "date": "test",
        "avoided_disposal_cost": {
            "national_average_JPY_per_t": 40_000,
            "status": "derived",
            "variable_share": 0.5,
            "variable_share_status": "assumption",
        },
        "streams": {
            "紙類": {
                "en": "paper",
                "route": "non_combustible",
                "co2e_t_per_t": 0.1,
                "revenue_JPY_per_t": 0,
                "status": "assumption",
            },
            "プラスチック類": {
                "en": "plastics",
                "route": "incineration",
                "co2e_t_per_t": 2.0,
                "revenue_JPY_per_t": 5_000,
                "status": "assumption",
            },
        },
    }
)


def _diagnosis(**catalogue: object) -> policy.Diagnosis:
    d = policy.load(HERE / "diagnosis_tiny.yaml")
    assert isinstance(d, policy.Diagnosis)
    measures = [
        {
            "id": "plastics",
            "ja": "プラ分別",
            "en": "plastics",
            "stream": "プラスチック類",
            "capture": 0.6,
            "cost_JPY_per_t": 60_000,
        },
        {
            "id": "paper",
            "ja": "紙",
            "en": "paper",
            "stream": "紙類",
            "capture": 0.7,
            "cost_JPY_per_t": 8_000,
            **catalogue,
        },
    ]
    cat = Catalogue.model_validate({"status": "assumption", "date": "test", "measures": measures})
    return dataclasses.replace(d, factors=FACTORS, catalogue=cat)


@pytest.fixture(scope="module")
def result() -> policy.DiagnosisResult:
    return policy.run(_diagnosis())


def test_the_engine_effect_equals_the_hand_arithmetic(result: policy.DiagnosisResult) -> None:
    p = {q["id"]: q for q in result.proposals}["plastics"]
    assert p["computed_by"] == "junkan.lifecycle"
    assert p["model"] == "diagnosis-99001-2022-plastics"
    assert p["diverted_t"] == pytest.approx(15.0, rel=1e-12)
    assert p["co2e_reduction_t"] == pytest.approx(30.0, rel=1e-12)
    assert p["landfill_avoided_t"] == pytest.approx(1.5, rel=1e-12)
    assert p["net_cost_kJPY"] == pytest.approx(525.0, rel=1e-12)
    e = p["engine"]
    assert e["baseline"] == pytest.approx(
        {"co2e_t": 0.0, "cost_JPY": 500_000.0, "revenue_JPY": 0.0, "final_disposal_t": 2.5},
        rel=1e-12,
    )
    assert e["measure"] == pytest.approx(
        {
            "co2e_t": -30.0,
            "cost_JPY": 1_100_000.0,
            "revenue_JPY": 75_000.0,
            "final_disposal_t": 1.0,
        },
        rel=1e-12,
    )
    # and the per-tonne inputs listed with the proposal reproduce it
    assert p["co2e_factor_t_per_t"] == 2.0 and p["landfill_per_t"] == pytest.approx(0.1)
    assert p["net_cost_JPY_per_t"] == pytest.approx(60_000 - 20_000 - 5_000)


def test_a_non_combustible_route_uses_the_own_residue_ratio(
    result: policy.DiagnosisResult,
) -> None:
    p = {q["id"]: q for q in result.proposals}["paper"]
    assert p["diverted_t"] == pytest.approx(87.5, rel=1e-12)
    assert p["landfill_per_t"] == pytest.approx(0.625, rel=1e-12)
    assert p["landfill_avoided_t"] == pytest.approx(87.5 * 0.625, rel=1e-12)
    assert p["engine"]["baseline"]["final_disposal_t"] == pytest.approx(125 * 0.625)
    # disposal 87.5 t × 20,000 avoided, collection 87.5 t × 8,000 spent
    assert p["net_cost_kJPY"] == pytest.approx(87.5 * (8_000 - 20_000) / 1000, rel=1e-12)


def test_a_reuse_measure_runs_through_the_engines_product_reuse() -> None:
    res = policy.run(_diagnosis(route="reuse", co2e_t_per_t=1.0))
    p = {q["id"]: q for q in res.proposals}["paper"]
    doc = res.models[p["model"]].document
    eol = doc["products"]["paper_waste"]["eol"]
    assert eol["reuse"] == {"share": 1.0, "pass_rate": 1.0, "processes": ["recovery"]}
    assert doc["processes"]["recovery"]["stage"] == "reuse"
    assert "kind" not in doc["processes"]["recovery"]  # not a recycling sink
    assert p["diverted_t"] == pytest.approx(87.5, rel=1e-12)
    assert p["co2e_reduction_t"] == pytest.approx(87.5 * 1.0, rel=1e-12)  # the measure's factor
    assert p["landfill_avoided_t"] == pytest.approx(87.5 * 0.625, rel=1e-12)
    comparison = lifecycle.compare(lifecycle.load(text=res.models[p["model"]].text))
    paper = next(s for s in comparison.scenarios if s["name"] == "paper")
    assert paper["totals"]["reuse_rate"] == pytest.approx(0.7)
    assert paper["totals"]["recycling_rate"] == 0.0


def test_the_models_copy_the_data_factors_with_their_sources(
    result: policy.DiagnosisResult,
) -> None:
    doc = result.models["diagnosis-99001-2022-plastics"].document
    pr = doc["processes"]
    assert pr["separate_collection"]["cost"] == "60000.0 JPY/t"
    assert pr["recovery"]["co2e"] == "-2.0 tCO2e/t"  # the net factor, as a credit
    assert pr["recovery"]["revenue"] == "5000.0 JPY/t"
    assert pr["ash_landfill"]["cost"] == pr["incineration"]["cost"] == "20000.0 JPY/t"
    assert doc["products"]["plastics_waste"]["sales"] == pytest.approx(25.0)
    assert doc["products"]["plastics_waste"]["eol"]["uncollected"] == pytest.approx(
        {"incineration": 0.9, "ash_landfill": 0.1}
    )
    assert doc["scenarios"]["plastics"]["set"] == {
        "products.plastics_waste.eol.collection.rate": 0.6
    }
    for name, proc in pr.items():
        assert "assumption" in proc["source"] or "derived" in proc["source"], name
    assert "焼却残渣量 280 t ÷ 直接焼却量 2,800 t" in pr["ash_landfill"]["source"]
    assert "streams.プラスチック類.co2e_t_per_t (assumption)" in pr["recovery"]["source"]


def test_every_proposal_matches_the_written_model_run_again(tmp_path: Path) -> None:
    d = policy.load(Path(__file__).resolve().parents[2] / "examples" / "policy" / "diagnosis.yaml")
    assert isinstance(d, policy.Diagnosis)
    res = policy.run(d)
    files = res.write_models(tmp_path)
    assert sorted(f.name for f in files) == sorted(f"{p['model']}.yaml" for p in res.proposals)
    for p in res.proposals:
        path = tmp_path / f"{p['model']}.yaml"
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["name"] == p["model"]
        comparison = lifecycle.compare(lifecycle.load(path))
        head = next(s for s in comparison.scenarios if s["name"] == p["id"])["headline"]
        assert head["diverted_t"] == pytest.approx(p["diverted_t"], rel=1e-12, abs=1e-12)
        assert head["co2e_reduction_t"] == pytest.approx(
            p["co2e_reduction_t"], rel=1e-12, abs=1e-12
        )
        assert head["landfill_avoided_t"] == pytest.approx(
            p["landfill_avoided_t"], rel=1e-12, abs=1e-12
        )
        assert head["net_cost_JPY"] / 1000 == pytest.approx(
            p["net_cost_kJPY"], rel=1e-12, abs=1e-12
        )
    # an edited model gives a different answer: the figures come from the run, not the file
    edited = (tmp_path / f"{res.proposals[0]['model']}.yaml").read_text(encoding="utf-8")
    edited = edited.replace("eol.collection.rate: ", "eol.collection.rate: 0.5 #")
    head = next(
        s
        for s in lifecycle.compare(lifecycle.load(text=edited)).scenarios
        if s["name"] == res.proposals[0]["id"]
    )["headline"]
    capture = res.proposals[0]["capture"]
    assert head["diverted_t"] == pytest.approx(res.proposals[0]["diverted_t"] * 0.5 / capture)


def test_the_result_and_report_name_the_engine_and_the_model(
    result: policy.DiagnosisResult, tmp_path: Path
) -> None:
    doc = result.to_json()
    assert doc["effects_computed_by"] == "junkan.lifecycle"
    assert all(p["computed_by"] == "junkan.lifecycle" for p in doc["proposals"])
    assert "lifecycle engine" in doc["method"]
    en = result.report(tmp_path / "d.en.html", lang="en").read_text(encoding="utf-8")
    ja = result.report(tmp_path / "d.ja.html", lang="ja").read_text(encoding="utf-8")
    for page in (en, ja):
        assert "diagnosis-99001-2022-plastics" in page
    assert "computed by the lifecycle engine" in en
    assert "ライフサイクルエンジン" in ja


def test_a_measure_route_must_be_known() -> None:
    doc = {
        "status": "assumption",
        "date": "x",
        "measures": [
            {
                "id": "a",
                "ja": "a",
                "en": "a",
                "stream": "紙類",
                "capture": 0.5,
                "cost_JPY_per_t": 1,
                "route": "landfill",
            }
        ],
    }
    with pytest.raises(ModelError, match=r"measures\[0\]\.route"):
        validate_with(Catalogue, doc, "measures.yaml")


def test_a_route_the_municipality_does_not_use_takes_its_whole_disposal_ratio() -> None:
    """試験市A without an incinerator (直接焼却 and 焼却残渣 0, the 2,800 t landfilled directly:
    直接最終処分 2,900 t): plastics, on the incineration route, was given a residue ratio of
    0 ÷ 0 = 0 — 15 t diverted from a municipality that landfills what it does not treat
    avoided no landfill (review 318). The ratio is the row's whole disposal's: (2,900 + 0 +
    150) ÷ (0 + 300 + 2,900) = 0.953125 → 15 × 0.953125 = 14.296875 t; the engine's
    baseline landfills 25 × 0.953125 t, and its sinks are not called incineration."""
    d = _diagnosis()
    t = {"直接焼却量": 0.0, "焼却残渣量": 0.0, "直接最終処分量": 2_900.0}
    survey = dataclasses.replace(d.survey, municipalities=tuple(
        dataclasses.replace(m, t={**m.t, **t}) if m.code == "99001" else m
        for m in d.survey.municipalities))
    res = policy.run(dataclasses.replace(d, survey=survey))
    p = {q["id"]: q for q in res.proposals}["plastics"]
    assert p["landfill_per_t"] == pytest.approx(0.953125, rel=1e-12)
    assert p["landfill_avoided_t"] == pytest.approx(14.296875, rel=1e-12)
    assert p["engine"]["baseline"]["final_disposal_t"] == pytest.approx(25 * 0.953125)
    assert "the whole disposal's" in p["landfill_per_t_basis"]
    model = res.models[p["model"]].text
    assert "incinerat" not in model.replace("kind: incineration", "")
    assert "landfilled directly or as residue" in model
