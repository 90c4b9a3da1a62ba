"""The analyses page as review 243 found it on a 360 px phone in Japanese, in a real browser: the
x axis' title of the Morris bars and of the tornado (Morris and Sobol') ran out of the chart
(centred on a plot the inputs' names push right: "要素効果[パーセントポイント]" ended 17 px past
its right edge), and the Pareto front's legend 54 px; a material in a figure's name was its id
("rare_earth の再生材比率"); the status said a running analysis' progress up to a second after
its bar. The axis titles are now broken to the room the drawn plot leaves them and a narrow
chart's legend spans the chart with its names broken to fit; a material, actor or process is named
by its title in the model (its id with spaces when it has none); the status and the bar change
together, at each poll."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

import pytest

from tests.web.conftest import choose_lang, plotted, require_browser, sign_in
from tests.web.test_analyses_review import _choose
from tests.web.test_analyses_vision_walk import _analysis

sync_api = require_browser()
expect = sync_api.expect
pytestmark = pytest.mark.slow

PHONE = {"width": 360, "height": 740}

OUTSIDE = """(ids) => ids.flatMap((id) => {
  const g = document.getElementById(id);
  if (!g || g.hidden || !g.querySelector('.main-svg')) return [];
  const c = g.getBoundingClientRect();
  const parts = [...g.querySelectorAll('.g-xtitle text, .g-ytitle text, .legend')];
  return parts.map((el) => [el, el.getBoundingClientRect()])
    .filter(([, r]) => r.width && (r.left < c.left - 1 || r.right > c.right + 1
      || r.top < c.top - 1 || r.bottom > c.bottom + 1))
    .map(([el, r]) => `${id} ${el.getAttribute('class')} "${el.textContent}": `
      + `${Math.round(r.left)}–${Math.round(r.right)} px `
      + `in ${Math.round(c.left)}–${Math.round(c.right)}`);
})"""
"""Each axis title and legend of the charts `ids` that reaches out of its chart's box."""


def _open(page: Any, server: str, lang: str = "ja") -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, server)
    choose_lang(page, lang)
    page.goto(f"{server}/#/analyses")
    page.locator("#an-model option").first.wait_for(state="attached")
    return errors


def _inside(page: Any, ids: list[str]) -> None:
    """Every axis title and legend of charts `ids` inside its chart (once fitted after drawing)."""
    for id_ in ids:  # drawn (the page's first chart waits for plotly.js)
        plotted(page, id_)
    with contextlib.suppress(sync_api.TimeoutError):  # said below, with the numbers
        page.wait_for_function(f"(ids) => ({OUTSIDE})(ids).length === 0", arg=ids, timeout=10_000)
    assert page.evaluate(OUTSIDE, ids) == []
    # the titles were drawn (not fitted away)
    for id_ in ids:
        assert page.locator(f"#{id_} .g-xtitle text").count() == 1, id_


def test_sensitivity_axis_titles_inside_the_chart_on_a_phone(page: Any, server: str) -> None:
    page.set_viewport_size(PHONE)
    errors = _open(page, server)
    for method, n in (("morris", "4"), ("sobol", "4")):
        _choose(page, "compressor_magnet", "sensitivity")
        page.select_option("#an-method", method)
        page.fill("#an-n", n)
        _analysis(page, "compressor_magnet", "sensitivity")
        page.locator("#an-chart2 .main-svg").first.wait_for(timeout=60_000)
        _inside(page, ["an-chart", "an-chart2"])
        # the whole title is there, broken into lines ("要素効果 [パーセントポイント]")
        title = page.evaluate("document.getElementById('an-chart').layout.xaxis.title.text")
        want = "要素効果 [パーセントポイント]" if method == "morris" else "出力分散に占める割合 [–]"
        assert title.replace("<br>", "").replace(" ", "") == want.replace(" ", ""), title
        # another output: fitted again
        page.select_option("#an-figure", index=1)
        page.wait_for_timeout(300)
        _inside(page, ["an-chart", "an-chart2"])
    assert not errors, errors


def test_pareto_legend_inside_and_materials_by_their_title(page: Any, server: str) -> None:
    page.set_viewport_size(PHONE)
    errors = _open(page, server)
    # the model's form document not to be had: the material by its id, with spaces
    page.route(re.compile(r"/api/models/[^/]+/form(\?.*)?$"),
               lambda route: route.fulfill(status=404, json={"detail": "not found"}))
    _analysis(page, "compressor_magnet", "optimise")
    _inside(page, ["an-chart"])
    as_given = page.locator("#an-table tbody tr").last.locator("td").nth(3)
    expect(as_given).to_contain_text("rare earth の再生材比率")
    assert "rare_earth" not in as_given.inner_text()
    page.unroute(re.compile(r"/api/models/[^/]+/form(\?.*)?$"))
    # opened again from the list: the material by the title the model gives it
    page.locator("#an-jobs tbody tr").first.get_by_role("button").click()
    expect(as_given).to_contain_text("Rare earths in NdFeB (Nd, Pr, Dy) の再生材比率")
    names = page.evaluate("document.getElementById('an-chart').data.map((d) => d.name)")
    assert "rare_earth" not in json.dumps(names, ensure_ascii=False), names
    assert "Rare earths in NdFeB" in " ".join(names).replace("<br>", " "), names
    # its legend, with that long name, inside the chart, the name broken into lines
    _inside(page, ["an-chart"])
    assert "<br>" in names[1], names
    assert not errors, errors


SAMPLER = """() => {
  const bar = document.getElementById('an-progress'), status = document.getElementById('an-status');
  window.__seen = [];
  new MutationObserver(() => window.__seen.push([bar.hidden ? null : bar.getAttribute('value'),
    status.textContent]))
    .observe(document.getElementById('an-form').parentNode,
      { attributes: true, childList: true, characterData: true, subtree: true });
}"""
"""Records the bar's value (none while hidden) and the status' text at each change of either (once a
task made them)."""


def test_progress_text_changes_with_the_bar(page: Any, server: str) -> None:
    errors = _open(page, server, "en")
    polls = {"n": 0}
    of = 8

    def poll(route: Any) -> None:
        """A job document as the service sends it, said to be running with one more of `of` runs
        done at each of the first `of` polls."""
        res = route.fetch()
        job = res.json()
        if route.request.method == "GET" and polls["n"] < of:
            polls["n"] += 1
            job.update(status="running", result=None, finished_at=None,
                       progress={"stage": "runs", "done": polls["n"], "of": of})
        route.fulfill(response=res, json=job)

    page.route(re.compile(r"/api/lifecycle/analyses/[0-9a-f]+$"), poll)
    _choose(page, "compressor_magnet", "uncertainty")
    page.fill("#an-runs", "3")
    page.evaluate(SAMPLER)
    _analysis(page, "compressor_magnet", "uncertainty", runs=3)
    seen = page.evaluate("window.__seen")
    shown = [(v, s) for v, s in seen if v is not None and float(v) > 0]
    assert len({v for v, _ in shown}) >= of - 1, seen  # each poll's progress was shown
    # each said with the bar: not the progress of the poll before, nor "Running…" (the job's end,
    # at the poll after the last, is said at once too)
    late = [(v, s) for v, s in shown if re.match(r"(Queued|Running)", s) or re.match(
        r"Model runs", s) and f"Model runs: {round(float(v) * of)} of {of} " not in s]
    assert not late, late
    assert not errors, errors


PLOT_SHARE = """(id) => { const g = document.getElementById(id);
  return g._fullLayout._size.w / g.getBoundingClientRect().width; }"""
"""The share of chart ``id``'s width its plot area has (the rest: the inputs' names, margins)."""


def test_the_bars_keep_most_of_a_phone_chart(page: Any, server: str) -> None:
    """Review 256: at 390 px the inputs' names took most of the sensitivity and tornado charts'
    width. On a phone a long name is broken before its last part and the axis title (the
    inputs, named in the table's head) is left out: the bars keep half the width or more."""
    page.set_viewport_size({"width": 390, "height": 844})
    errors = _open(page, server, "en")
    _choose(page, "compressor_magnet", "sensitivity")
    page.select_option("#an-method", "morris")
    page.fill("#an-n", "4")
    _analysis(page, "compressor_magnet", "sensitivity")
    page.locator("#an-chart2 .main-svg").first.wait_for(timeout=60_000)
    for id_ in ("an-chart", "an-chart2"):
        plotted(page, id_)
        assert page.evaluate(PLOT_SHARE, id_) >= 0.5, id_
        names = page.evaluate(f"document.getElementById('{id_}').data[0].y")
        assert any("<br>" in n for n in names), names  # a long name broken, not cut
    # the whole names in the hover
    hover = page.evaluate("document.getElementById('an-chart').data[0].text")
    assert any(t.startswith("products.room_ac.") for t in hover), hover
    assert not errors, errors
