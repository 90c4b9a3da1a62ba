"""The uncertainty result's fan charts over the years (issue 17: "a UI section for uncertainty
(fan charts)"): a figure per year is offered beside the totals; drawn, each scenario has its
runs' 5–95 % and 25–75 % bands and median over the model's years — the years themselves on the
axis, not their index (a past bug of another chart) — with the same numbers in its table, in
English and Japanese."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.test_analyses_phone_titles import _open
from tests.web.test_analyses_vision_walk import _analysis
from tests.web.test_nature_vision_pages import _job

pytestmark = pytest.mark.slow

DRAWN = """() => { const g = document.getElementById('an-chart');
  return g.data.map((d) => ({ name: d.name, fill: d.fill || null, x0: d.x[0],
    x1: d.x[d.x.length - 1], n: d.x.length })); }"""


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_uncertainty_fans_over_the_years(page: Any, server: str, lang: str) -> None:
    errors = _open(page, server, lang)
    job = _analysis(page, "compressor_magnet", "uncertainty", runs=20)
    options = page.locator("#an-figure option")
    values = [options.nth(i).get_attribute("value") for i in range(options.count())]
    assert {"yearly:co2e_t", "yearly:virgin_input_t", "yearly:recycled_share"} <= set(values)
    page.select_option("#an-figure", "yearly:co2e_t")
    page.wait_for_timeout(300)
    drawn = page.evaluate(DRAWN)
    scenarios = {d["name"].split(":")[0] for d in drawn}
    assert len(drawn) == 3 * len(scenarios) and len(scenarios) >= 2, drawn
    lines = [d for d in drawn if d["fill"] is None]
    bands = [d for d in drawn if d["fill"] == "toself"]
    assert len(bands) == 2 * len(lines)
    for d in lines:  # the model's years 2000–2044 on the axis
        assert (d["x0"], d["x1"], d["n"]) == (2000, 2044, 45), d
    for d in bands:  # up the years and back
        assert (d["x0"], d["x1"], d["n"]) == (2000, 2000, 90), d
    title = page.locator("#an-chart .gtitle").text_content()
    assert ("per year" in title) if lang == "en" else ("年ごと" in title), title
    axis = page.locator("#an-chart .g-xtitle").text_content()
    assert axis == ("Year" if lang == "en" else "年"), axis
    # the table under the chart: a row per scenario and year
    rows = page.locator("#an-chart-values tbody tr")
    assert rows.count() == 45 * len(scenarios)
    # the unit per year on the value axis
    unit = page.locator("#an-chart .g-ytitle").text_content()
    assert unit.endswith("[tCO2e/yr]" if lang == "en" else "[tCO2e/年]"), unit
    # the medians drawn are the service's, year by year, and the table's rows say them too
    result = _job(page, server, f"/api/lifecycle/analyses/{job}")
    drawn_y = page.evaluate("""() => Object.fromEntries(document.getElementById('an-chart').data
      .filter((d) => !d.fill).map((d) => [d.name.split(':')[0], d.y]))""")
    for scen in result["scenarios"]:
        want = scen["yearly"]["co2e_t"]["p50"]
        assert drawn_y[scen["name"]] == pytest.approx(want, rel=1e-12), scen["name"]
    assert not errors, errors
