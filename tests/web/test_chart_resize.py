"""A chart keeps the height it was drawn at when the window is resized (review 2026-12-04:
every chart drawn taller than its 320 px box was squashed to 320 px by the first resize —
titles cut, axis titles run into legends — on every page)."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import sign_in


def _height(page: Any, box: str) -> float:
    return float(page.evaluate(
        f"() => document.querySelector('#{box} .main-svg').getBoundingClientRect().height"))


def test_a_tall_chart_keeps_its_height_through_a_resize(page: Any, server: str) -> None:
    page.set_viewport_size({"width": 800, "height": 900})
    sign_in(page, server)
    page.goto(f"{server}/#/indicators")
    page.locator("#ic-graph .main-svg").first.wait_for()
    drawn = _height(page, "ic-graph")
    assert drawn > 330  # drawn taller than the 320 px box
    for width in (1280, 800):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(600)  # plotly resizes after a debounce
        assert abs(_height(page, "ic-graph") - drawn) < 1, width
