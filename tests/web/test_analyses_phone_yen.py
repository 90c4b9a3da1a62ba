"""The analyses page as a reviewer found it on a phone and in Japanese (2026-12-05), in a real
browser: on a 390 px screen the list of analyses needed sideways scrolling to reach its "Open"
column; the charts' yen axes in Japanese wrote every digit ("62,769,510") where the rest of the
page reads amounts in 万/億/兆, and so did their hover labels. The list is now a card a job on a
phone (still a table to a screen reader), and a yen axis in Japanese reads "1.15兆", "3,930億"
with its title saying 円 (in English: as before)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.web.conftest import ARTIFACTS, choose_lang, require_browser, sign_in
from tests.web.test_analyses_review import BAD_PARAMETER, _choose, _start
from tests.web.test_analyses_vision_walk import _analysis

sync_api = require_browser()
expect = sync_api.expect
pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}

TICKS = """([id, axis]) => [...document.querySelectorAll(`#${id} .${axis}tick text`)]
  .map((t) => t.textContent)"""
"""The tick labels a chart draws on its x or y axis."""
TITLE = """([id, axis]) => { const a = document.getElementById(id).layout[axis + 'axis'];
  return (a && a.title && a.title.text) || ''; }"""
YEN_TICK = re.compile(r"^(0|\u2212?\d{1,3}(,\d{3})*(\.\d+)?[万億兆])$")
"""A yen tick in Japanese: 0, or a figure of at most four digits in 万, 億 or 兆 ("5,000万",
"1.15兆")."""
DIGITS = re.compile(r"^[\u2212-]?\d{1,3}(,\d{3})+$")
"""A figure written out with thousands separators and nothing else ("62,769,510")."""


def _open(page: Any, server: str) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, server)
    choose_lang(page, "ja")
    page.goto(f"{server}/#/analyses")
    page.locator("#an-model option").first.wait_for(state="attached")
    return errors


def _yen_ticks(page: Any, chart: str, axis: str) -> list[str]:
    """The yen axis' tick labels once they are in 万/億/兆 (drawn after the chart); each such a
    label."""
    page.wait_for_function(
        """([id, axis]) => { const ts = [...document.querySelectorAll(`#${id} .${axis}tick text`)];
          return ts.length > 1 && ts.some((t) => /[万億兆]$/.test(t.textContent)); }""",
        arg=[chart, axis], timeout=60_000)
    ticks: list[str] = page.evaluate(TICKS, [chart, axis])
    assert ticks and all(YEN_TICK.match(t) for t in ticks), ticks
    assert not [t for t in ticks if DIGITS.match(t)], ticks
    assert len(set(ticks)) == len(ticks), ticks  # each tick told from its neighbours
    return ticks


def _sensitivity_of_cost(page: Any) -> None:
    """A small Morris study of scenario B's cost and margin (the form has no outputs: through the
    API, as the CLI can), ended, then opened from the list."""
    job = page.evaluate("""async () => {
      const h = { "Content-Type": "application/json", "X-Junkan-CSRF": "1" };
      const m = (await (await fetch("/api/models")).json())
        .find((x) => x.name === "compressor_magnet");
      const spec = await (await fetch(
        "/static/examples/uncertainty_compressor_magnet.json")).json();
      delete spec.observations;
      const job = await (await fetch("/api/lifecycle/analyses?kind=sensitivity", { method: "POST",
        headers: h, body: JSON.stringify({ model_id: m.id, version: m.latest_version, seed: 0, n: 4,
          method: "morris", outputs: ["B:totals.cost_JPY"], spec }) })).json();
      for (;;) {
        const j = await (await fetch(`/api/lifecycle/analyses/${job.id}`)).json();
        if (j.status !== "queued" && j.status !== "running") return j;
        await new Promise((r) => setTimeout(r, 300));
      } }""")
    assert job["status"] == "succeeded", job
    page.reload()
    page.locator("#an-jobs tbody tr").first.get_by_role("button").click()
    page.locator("#an-chart2 .main-svg").first.wait_for(timeout=60_000)


def test_jobs_list_fits_a_phone_as_cards_still_a_table(page: Any, server: str) -> None:
    page.set_viewport_size(PHONE)
    errors = _open(page, server)
    _analysis(page, "compressor_magnet", "uncertainty", runs=3)
    _choose(page, "compressor_magnet", "uncertainty")
    _start(page, json.dumps(BAD_PARAMETER))  # a failed job: its folded explanation in the card
    jobs = page.locator("#an-jobs")
    rows = jobs.locator("tbody tr")
    expect(rows).to_have_count(2)
    page.locator("#an-jobs").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "phone-ja-analyses-jobs.png"), full_page=True)

    # nothing to scroll sideways: not the page, not the list's own box
    sw, iw = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert sw <= iw, (sw, iw)
    box = jobs.evaluate("(t) => [t.scrollWidth, t.clientWidth, t.getBoundingClientRect().right]")
    assert box[0] <= box[1] and box[2] <= PHONE["width"], box
    # every job's "Open" on the screen, beside its column's name; the status where it was
    for i in range(2):
        row = rows.nth(i)
        button = row.get_by_role("button")
        expect(button).to_be_visible()
        right = button.bounding_box()
        assert right and right["x"] + right["width"] <= PHONE["width"], right
        labels = row.locator("td").evaluate_all(
            "(tds) => tds.map((td) => getComputedStyle(td, '::before').content)")
        assert "開始" in labels[0] and "状態" in labels[2] and "結果" in labels[4], labels
    expect(rows.nth(0).locator("td").nth(2).locator("summary")).to_have_text("失敗")
    expect(rows.nth(1).locator("td").nth(2)).to_have_text("完了")
    expect(rows.nth(1).locator("td:nth-child(3)")).to_have_text("完了")
    rows.nth(0).locator("td").nth(2).locator("summary").click()
    sw = page.evaluate("document.documentElement.scrollWidth")
    assert sw <= iw, sw  # the explanation unfolded wraps inside the card

    # still a table to a screen reader: its name, five column headings, each cell in its row
    table = page.get_by_role("table", name="自分の分析")
    expect(table).to_have_count(1)
    expect(table.get_by_role("columnheader")).to_have_count(5)
    expect(table.get_by_role("columnheader").nth(2)).to_have_text("状態")
    expect(table.get_by_role("row")).to_have_count(3)
    expect(table.get_by_role("row").nth(2).get_by_role("cell")).to_have_count(5)

    # on a wide screen the same list is a table with its headings shown
    page.set_viewport_size({"width": 1440, "height": 900})
    expect(jobs.locator("thead th").first).to_be_visible()
    assert jobs.locator("thead th").first.bounding_box()["height"] > 5
    assert rows.nth(1).bounding_box()["height"] < 60  # a row of a table, not a card
    assert not errors, errors


def test_yen_axes_in_man_oku_cho_in_japanese(page: Any, server: str) -> None:
    errors = _open(page, server)

    # the fan chart of the cost: its axis in 兆 with 円 in its title, the hover said the same way
    _analysis(page, "compressor_magnet", "uncertainty", runs=5)
    page.select_option("#an-figure", "totals:cost_JPY")
    ticks = _yen_ticks(page, "an-chart", "y")
    assert page.evaluate(TITLE, ["an-chart", "y"]) == "費用（円）"
    hover = page.evaluate("document.getElementById('an-chart').data[0].text[0]")
    assert re.search(r"[\d.,]+[万億兆]円 – [\d.,]+[万億兆]円$", hover), hover
    assert not DIGITS.search(hover.split(": ")[-1].split(" – ")[0]), hover
    # a zoom: ticks again in 兆 at the new steps
    page.evaluate("""() => { const g = document.getElementById('an-chart');
      const [lo, hi] = g._fullLayout.yaxis.range; const mid = (lo + hi) / 2;
      return Plotly.relayout(g, { 'yaxis.range': [mid, mid + (hi - lo) / 20] }); }""")
    page.wait_for_function(
        """(before) => { const ts = [...document.querySelectorAll('#an-chart .ytick text')]
          .map((t) => t.textContent); return ts.length > 1 && ts.join() !== before.join(); }""",
        arg=ticks)
    _yen_ticks(page, "an-chart", "y")
    # a figure not in yen keeps its digits; in English the cost keeps its separators and JPY
    page.select_option("#an-figure", "totals:co2e_t")
    page.wait_for_function(
        "() => /CO2e/.test(document.getElementById('an-chart').layout.yaxis.title.text)")
    page.wait_for_timeout(300)
    assert not [t for t in page.evaluate(TICKS, ["an-chart", "y"]) if re.search("[万億兆]", t)]
    page.select_option("#an-figure", "totals:cost_JPY")
    choose_lang(page, "en")
    page.wait_for_function(
        "() => document.getElementById('an-chart').layout.yaxis.title.text === 'Cost (JPY)'")
    page.wait_for_timeout(300)
    en = page.evaluate(TICKS, ["an-chart", "y"])
    assert en and not [t for t in en if re.search("[万億兆円]", t)], en
    assert "円" not in page.evaluate("document.getElementById('an-chart').data[0].text[0]")
    choose_lang(page, "ja")

    # the Pareto front with the cost as an objective: its y axis in 億, the hover in 億円
    _analysis(page, "compressor_magnet", "optimise")
    ticks = _yen_ticks(page, "an-chart", "y")
    assert page.evaluate(TITLE, ["an-chart", "y"]).endswith("[円]")
    hover = page.evaluate("document.getElementById('an-chart').data[0].hovertext[0]")
    assert re.search(r"[\d.,]+[万億兆]円$", hover), hover
    # its other axis (t CO2e) keeps every digit
    assert not [t for t in page.evaluate(TICKS, ["an-chart", "x"]) if re.search("[万億兆]", t)]

    # Morris bars and the tornado of the cost: both x axes in yen
    _sensitivity_of_cost(page)
    _yen_ticks(page, "an-chart", "x")
    _yen_ticks(page, "an-chart2", "x")
    assert page.evaluate(TITLE, ["an-chart2", "x"]) == "費用（円）"
    tornado = page.evaluate("document.getElementById('an-chart2').data[0].text[0]")
    assert re.search(r"→ [\d.,]+[万億兆]円$", tornado), tornado
    assert not errors, errors
