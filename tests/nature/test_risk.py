"""The Assess phase's risk rating per area: levels by the data file's thresholds, impact and
dependency materiality, the escalation when both are material, and the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from junkan.nature.risk import LEVELS, drivers, rate
from junkan.nature.schema import reference


def _doc(**kw: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "commodity": "coffee",
        "integrated": {"value": 5.0},
        "land_change": {"conversion_share": 0.0},
        "protected_overlap_share": 0.0,
        "kba_overlap_share": None,
        "spi": {"latest": 0.3},
        "drought": {"VCI_latest": 70.0},
        "C3.0": None,
    }
    return doc | kw


QUIET = {"water_loss": 0.0, "vegetation_decline": 0.0}


def test_levels_follow_the_thresholds_of_the_data_file() -> None:
    th = reference("risk_rating")
    conv = th["impact"]["conversion_share"]
    low = rate(_doc(), QUIET)
    assert (low["rating"], low["impact"]["level"], low["dependency"]["level"]) == (
        "low", "low", "low")
    assert low["impact"]["measures"]["kba_overlap_share"]["level"] is None  # not measured
    mid = rate(_doc(land_change={"conversion_share": conv["medium"]}), QUIET)
    assert mid["rating"] == "medium" and mid["impact"]["level"] == "medium"
    high = rate(_doc(land_change={"conversion_share": conv["high"]}), QUIET)
    assert high["rating"] == "high"
    assert drivers(high) == [("conversion_share", conv["high"], "high")]
    spi = th["dependency"]["spi_latest"]  # lower is worse
    dry = rate(_doc(spi={"latest": spi["high"]}), QUIET)
    assert dry["dependency"]["level"] == "high" and dry["impact"]["level"] == "low"
    assert rate(_doc(spi={"latest": spi["medium"] + 0.01}), QUIET)["rating"] == "low"


def test_material_impact_and_dependency_raise_the_risk() -> None:
    th = reference("risk_rating")
    both = rate(_doc(land_change={"conversion_share": th["impact"]["conversion_share"]["medium"]},
                     spi={"latest": th["dependency"]["spi_latest"]["medium"]}), QUIET)
    assert both["escalated"] and both["rating"] == "high"
    # a dependency on a service the commodity does not depend on is not rated
    rules = th | {"dependency": {"pollinators": {"direction": "higher", "medium": 0.1,
                                                 "high": 0.5, "service": "pollination",
                                                 "source": "test"}}}
    comps = QUIET | {"pollinators": 0.9}
    doc = _doc(commodity="rubber")
    assert "pollinators" not in rate(doc, comps, rules)["dependency"]["measures"]
    nothing = _doc(integrated={"value": None}, land_change=None, protected_overlap_share=None,
                   spi=None, drought={})
    assert rate(nothing, {}, th)["rating"] is None


def test_the_data_file_states_its_thresholds_and_sources() -> None:
    th = reference("risk_rating")
    assert "assumption" in th["source"] and th["levels"] == list(LEVELS)
    for side in ("impact", "dependency"):
        for name, t in th[side].items():
            assert t["source"], name
            if t["direction"] == "higher":
                assert t["medium"] < t["high"], name
            else:
                assert t["direction"] == "lower" and t["medium"] > t["high"], name


def test_the_report_shows_each_areas_risk(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for a in result.areas:
        assert a["risk"]["rating"] in LEVELS
        m = a["risk"]["impact"]["measures"]["integrated"]
        assert m["value"] == pytest.approx(a["integrated"]["value"])
    en = result.report(tmp_path / "r.html", lang="en").read_text()
    assert "Nature-related risk per area" in en and "impact materiality" in en
    ja = result.report(tmp_path / "r.html", lang="ja").read_text()
    assert "調達地域ごとの自然関連リスク" in ja and "影響の重要度" in ja
    assert "TNFD LEAP v1（2023年9月）はしきい値を示していません" in ja
    assert result.to_json()["areas"][0]["risk"]["source"].startswith("assumption")


def test_your_own_thresholds_are_checked_and_used(sample: Path, tmp_path: Path) -> None:
    from junkan import nature
    from junkan.core.errors import JunkanError
    from junkan.nature.risk import load_rules

    mine = {
        "source": "Example Corp. materiality policy 2026 (test)",
        "impact": {"integrated": {"direction": "higher", "medium": 0.5, "high": 1.0,
                                  "source": "policy §3"}},
        "escalate_when_both_at_least": None,
    }
    path = tmp_path / "risk.yaml"
    path.write_text(yaml.safe_dump(mine), encoding="utf-8")
    doc = yaml.safe_load(sample.read_text())
    for k in ("training", "water", "precipitation", "portfolio"):
        doc.pop(k)
    doc["scenes"] = [doc["scenes"][0], doc["scenes"][-1]]
    res = nature.run(nature.load(doc=doc | {"risk_thresholds": str(path)}, base=sample.parent))
    for a in res.areas:  # only the integrated indicator is rated, at my thresholds
        k = a["risk"]
        assert list(k["impact"]["measures"]) == ["integrated"] and k["dependency"]["level"] is None
        assert k["rating"] == ("high" if a["integrated"]["value"] >= 1.0 else
                               "medium" if a["integrated"]["value"] >= 0.5 else "low")
    html = res.report(tmp_path / "r.html", lang="ja").read_text()
    assert "Example Corp. materiality policy 2026" in html and "policy §3" in html
    for change, message in (
        ({"impact": {"integrated": mine["impact"]["integrated"] | {"high": 0.1}}},
         r"high \(0.1\) must lie above medium \(0.5\)"),
        ({"impact": {"biodiversity": mine["impact"]["integrated"]}},
         r"unknown measure\(s\) \['biodiversity'\]"),
        ({"source": ""}, "source"),
    ):
        path.write_text(yaml.safe_dump(mine | change), encoding="utf-8")
        with pytest.raises(JunkanError, match=message):
            load_rules(path)
