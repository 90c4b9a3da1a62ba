"""The risk rating's inputs: a NaN or infinite measure is not measured (not "low"), the
relative drop of a NaN series is undefined, a misspelled ecosystem service is refused, and
VCI is rated by its source's strict "< 40"."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import yaml

from junkan.core.errors import JunkanError
from junkan.nature.metrics import rel_drop
from junkan.nature.risk import load_rules, rate
from junkan.nature.schema import reference
from tests.nature.test_risk import QUIET, _doc


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_measure_is_not_rated(bad: float) -> None:
    r = rate(_doc(spi={"latest": bad}, drought={"VCI_latest": bad},
                  land_change={"conversion_share": bad}), QUIET | {"water_loss": bad})
    for side, name in (("dependency", "spi_latest"), ("dependency", "vci_latest"),
                       ("impact", "conversion_share"), ("dependency", "water_loss")):
        assert r[side]["measures"][name] == {"value": None, "level": None}, name
    nothing = _doc(integrated={"value": bad}, land_change=None, protected_overlap_share=None,
                   spi={"latest": bad}, drought={})
    assert rate(nothing, {"water_loss": bad})["rating"] is None


def test_the_relative_drop_of_a_non_finite_value_is_undefined() -> None:
    assert rel_drop(math.nan, 1.0) is None
    assert rel_drop(1.0, math.nan) is None
    assert rel_drop(math.inf, 1.0) is None
    assert rel_drop(2.0, 1.0) == pytest.approx(0.5)
    assert rel_drop(1.0, 2.0) == 0.0 and rel_drop(0.0, 1.0) == 0.0
    assert rel_drop(None, 1.0) is None


def test_a_misspelled_service_is_refused(tmp_path: Path) -> None:
    mine = {"source": "policy (test)", "impact": {"integrated": {
        "direction": "higher", "medium": 20, "high": 50, "source": "policy"}},
        "dependency": {"spi_latest": {"direction": "lower", "medium": -1, "high": -1.5,
                                      "service": "water flow regulaton", "source": "policy"}}}
    path = tmp_path / "risk.yaml"
    path.write_text(yaml.safe_dump(mine), encoding="utf-8")
    with pytest.raises(JunkanError, match=r"unknown ecosystem service 'water flow regulaton'"):
        load_rules(path)
    mine["dependency"]["spi_latest"]["service"] = "water flow regulation"
    path.write_text(yaml.safe_dump(mine), encoding="utf-8")
    assert load_rules(path)["dependency"]["spi_latest"]["service"] == "water flow regulation"


def test_vci_is_rated_as_its_source_words_it() -> None:
    vci = reference("risk_rating")["dependency"]["vci_latest"]
    assert "VCI < 40" in vci["source"] and vci["medium"] == 40
    rated = {v: rate(_doc(drought={"VCI_latest": v}), QUIET)["dependency"]["measures"]
             ["vci_latest"]["level"] for v in (40.0, 39.9, 20.0, 19.9)}
    assert rated == {40.0: "low", 39.9: "medium", 20.0: "medium", 19.9: "high"}
    # SPI's source says "≤ −1": at the threshold it is reached
    spi = rate(_doc(spi={"latest": -1.0}), QUIET)["dependency"]["measures"]["spi_latest"]
    assert spi["level"] == "medium"
    assert load_rules()["dependency"]["vci_latest"]["inclusive"] is False


def test_the_report_shows_a_strict_threshold(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    html = result.report(tmp_path / "r.html", lang="en").read_text()
    assert re.search(r"(&lt;|<) 40 [^,<]*, (&lt;|<) 20", html)  # not "≤ 40 …, ≤ 20"
