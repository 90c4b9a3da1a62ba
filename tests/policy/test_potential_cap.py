"""The potential of a municipality that throws little away: the streams' potentials never add
up to more than what it disposes of without recovery, so no proposal diverts tonnes it does
not have and the potential R stays at most 100 %.

By hand: 試験村Z (99009) has 1,000 people, 30 t burnt directly and nothing recovered, so it
disposes of 30 t without recovery. Its peers (population under 19,000: A, B, C, E and Z)
recover paper at 40, 50, 30, 60 and 0 kg/person/yr (75th percentile 50) and plastics at 20,
10, 30, 0 and 0 (75th percentile 20): 50 t + 20 t = 70 t > 30 t, scaled by 30/70 → paper
150/7 t and plastics 60/7 t; potential R = 30 / 30 = 1."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from junkan import policy

HERE = Path(__file__).parent / "fixtures"
# 都道府県名..総人口, 計画収集 直接搬入 集団回収 生活系 事業系 直接焼却 焼却以外 直接最終処分
# 直接資源化 中間処理後再生利用 焼却残渣 処理残渣, 資源化量/紙類 /プラスチック類, 費用
Z = "（試験）,99009,試験村Z,1000,30,0,0,30,0,30,0,0,0,0,3,0,0,0,3000\n"


def test_potentials_add_up_to_at_most_what_is_disposed_of(tmp_path: Path) -> None:
    survey = (HERE / "survey_tiny.csv").read_text(encoding="utf-8") + Z
    (tmp_path / "s.csv").write_text(survey, encoding="utf-8")
    shutil.copy(HERE / "measures_tiny.yaml", tmp_path / "measures_tiny.yaml")
    (tmp_path / "d.yaml").write_text(
        (HERE / "diagnosis_tiny.yaml").read_text(encoding="utf-8")
        .replace('"99001"', '"99009"').replace("survey_tiny.csv", "s.csv"), encoding="utf-8")
    d = policy.load(tmp_path / "d.yaml")
    assert isinstance(d, policy.Diagnosis)
    res = policy.run(d)
    pot = {p.stream: p for p in res.potential}
    assert pot["紙類"].best_quartile_kg_per_person_year == pytest.approx(50.0)
    assert pot["紙類"].potential_t == pytest.approx(150 / 7, rel=1e-12)
    assert pot["プラスチック類"].potential_t == pytest.approx(60 / 7, rel=1e-12)
    assert res.potential_recycling_rate == pytest.approx(1.0, rel=1e-12)
    assert sum(float(p["diverted_t"]) for p in res.proposals) <= 30 + 1e-9
    assert any("scaled down in proportion" in n["en"] and "30.0 t" in n["en"]
               for n in res.notes), res.notes


def test_the_hand_computed_example_is_not_scaled() -> None:
    res = policy.run(policy.load(HERE / "diagnosis_tiny.yaml"))  # type: ignore[arg-type]
    assert [p.potential_t for p in res.potential] == pytest.approx([125.0, 25.0])
    assert not any("scaled down" in n["en"] for n in res.notes)
