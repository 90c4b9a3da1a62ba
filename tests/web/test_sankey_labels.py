"""The model page's two flow charts at 800 px (a review found names cut at the chart's right
edge and running over the next column; then the value network's three right-hand columns'
names over each other): every node's name stays inside the chart and clear of every other
name and bar, long names wrapped and the columns placed to make room (between words; anywhere
in Japanese), also after the window is resized (at 640 px the chart is drawn wider than its
box, which scrolls), and the hover says the whole name."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import choose_lang, require_browser
from tests.web.test_browser import _open_model, _run

sync_api = require_browser()

LABELS = """(id) => {
  const svg = document.querySelector(`#${id} .main-svg`).getBoundingClientRect();
  return [...document.querySelectorAll(`#${id} .node-label`)].map((el) => {
    const r = el.getBoundingClientRect();
    return [el.textContent, r.left - svg.left, svg.right - r.right,
            el.querySelectorAll('tspan.line').length]; }); }"""


BOXES = """(id) => [...document.querySelectorAll(`#${id} .node-label, #${id} .node-rect`)]
  .map((el) => { const r = el.getBoundingClientRect();
    return [el.textContent || 'a bar', r.left, r.top, r.right, r.bottom]; })"""


def _overlaps(boxes: list[list[Any]]) -> list[tuple[str, str]]:
    """Pairs of a name and another name or a bar whose boxes overlap (by more than 1 px),
    whichever comes first in the page (bars may overlap bars: links join them)."""
    out = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if (a[0], b[0]) != ("a bar", "a bar") and a[1] < b[3] - 1 and b[1] < a[3] - 1 \
                    and a[2] < b[4] - 1 and b[2] < a[4] - 1:
                out.append((a[0], b[0]))
    return out


def _names_clear(page: Any, lang: str, width: int) -> None:
    """Every name of both charts inside and clear, once plotly has moved the nodes there (it
    animates a new layout: read again for up to 5 s)."""
    for chart in ("network", "sankey"):
        page.wait_for_function(f"() => document.querySelectorAll('#{chart} .node-label').length"
                               " > 5")
        for _ in range(20):
            labels = page.evaluate(LABELS, chart)
            outside = [(text, round(left), round(right)) for text, left, right, _ in labels
                       if left < -1 or right < -1]
            overlaps = _overlaps(page.evaluate(BOXES, chart))
            if not outside and not overlaps:
                break
            page.wait_for_timeout(250)
        assert not outside, (chart, lang, width, outside)
        assert not overlaps, (chart, lang, width, overlaps)
        if width == 800:
            assert any(lines > 1 for *_, lines in labels), (chart, lang, labels)  # wrapped


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_flow_charts_keep_names_inside_at_800_px(page: Any, server: str, lang: str) -> None:
    page.set_viewport_size({"width": 800, "height": 1000})
    _open_model(page, server, "compressor_magnet")
    _run(page)
    if lang == "ja":
        choose_lang(page, "ja")
    page.locator("#sankey .node-label").first.wait_for()
    _names_clear(page, lang, 800)
    # other widths: the names are wrapped and the columns placed again for each; at 640 px
    # even the narrowest names do not fit in the value network's box: it is drawn wider and
    # scrolls sideways (squeezed, names ran into bars)
    for width in (640, 1300):
        before = page.evaluate("document.getElementById('network').data[0].node.x")
        page.set_viewport_size({"width": width, "height": 1000})
        page.wait_for_function(
            "(x) => (document.getElementById('network')?.data?.[0]?.node?.x ?? x)"
            ".some((v, i) => v !== x[i])", arg=before)
        _names_clear(page, lang, width)
        scrolls = page.evaluate("(() => { const b = document.getElementById('network');"
                                " return b.scrollWidth > b.clientWidth; })()")
        assert scrolls == (width == 640), (lang, width)
    page.set_viewport_size({"width": 800, "height": 1000})
    # the hover names the whole stage, on one line
    names = page.evaluate("document.getElementById('sankey').data[0].node.customdata")
    assert all("<br>" not in n for n in names)
    whole = "使用済み回収" if lang == "ja" else "End-of-life collection"
    assert any(whole in n for n in names), names


TEXTS = """(id) => {
  const svg = document.querySelector(`#${id} .main-svg`).getBoundingClientRect();
  return [...document.querySelectorAll(`#${id} .textpoint text, #${id} .annotation-text`)]
    .map((el) => { const r = el.getBoundingClientRect();
      return [el.textContent, r.left - svg.left, svg.right - r.right]; }); }"""


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_indicator_relations_keep_names_inside_at_800_px(page: Any, server: str,
                                                          lang: str) -> None:
    """The catalogue's relation chart: the drivers' and affected indicators' names (and the
    representative's) stay inside the chart at 800 px; the hover says the whole name."""
    from tests.web.conftest import sign_in

    page.set_viewport_size({"width": 800, "height": 1000})
    sign_in(page, server)
    if lang == "ja":
        choose_lang(page, "ja")
    page.goto(f"{server}/#/indicators")
    page.wait_for_function("() => document.querySelectorAll('#ic-graph .textpoint').length > 5")
    texts = page.evaluate(TEXTS, "ic-graph")
    assert len(texts) > 10
    outside = [(text, round(left), round(right)) for text, left, right in texts
               if left < -1 or right < -1]
    assert not outside, (lang, outside)
    hover = page.evaluate("document.getElementById('ic-graph').data"
                          ".flatMap((d) => d.hovertext || [])")
    assert len(hover) > 10 and all("<br>" not in h for h in hover)
