"""VCI over a few annual scenes is not rated: a forest cleared in the last year would read as
severe drought (VCI 0, risk "high"); with the data file's minimum of years it is rated."""

from __future__ import annotations

from typing import Any

from junkan.nature.engine import drought_doc
from junkan.nature.risk import rate
from junkan.nature.schema import load, reference


def _run(years: int) -> tuple[dict[str, Any], dict[str, Any]]:
    scenes = [{"path": f"s{y}.tif", "date": f"{2000 + y}-06-15"} for y in range(years)]
    a = load(doc={"areas": "a.geojson", "scenes": scenes})
    ndvi = [0.8] * (years - 1) + [0.3]  # green every year, converted in the last
    dr = drought_doc(a, [{"NDVI": v} for v in ndvi])
    doc = {"commodity": "coffee", "integrated": {"value": 5.0},
           "land_change": {"conversion_share": 0.0}, "protected_overlap_share": 0.0,
           "kba_overlap_share": None, "spi": {"latest": 0.3}, "drought": dr, "C3.0": None}
    risk = rate(doc, {"water_loss": 0.0, "vegetation_decline": 0.0})
    return dr, risk["dependency"]["measures"]["vci_latest"]


def test_vci_needs_the_minimum_years_of_history() -> None:
    need = int(reference("thresholds")["vci_min_years"])
    assert "ASSUMPTION" in reference("thresholds")["vci_min_years_source"]
    few, rated_few = _run(6)  # the sample's six annual scenes
    assert need > 6
    assert few["VCI_latest"] is None and few["VCI_status"] == "insufficient history"
    assert few["VCI_history_years"] == 6 and str(need) in few["VCI_note"]
    assert rated_few["level"] is None  # not rated, rather than "high"
    enough, rated = _run(need)
    assert enough["VCI_latest"] == 0.0 and "VCI_status" not in enough
    assert rated["level"] == "high"
