"""The analyses page's tables and yen axes, in a real browser (a review of 2026-12-06): a table of
more than one row could not be put in order by a column, as a reader of a Pareto front or of an
actor's margins wants to; a negative yen amount in a table had a hyphen ("-54.22億") where the
chart's axis writes the minus sign (U+2212, "−54.22億"); and a yen axis whose values are all zero
ticked fractions of a yen (0.2, 0.4). Now each column heading of such a table is a button that
sorts its rows (figures by their values, text as the page's language orders it, rows without a
value last), negative yen is "−…" in every table, and a yen axis ticks whole yen."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.web.conftest import ARTIFACTS, choose_lang, require_browser
from tests.web.test_analyses_phone_yen import TICKS, _open
from tests.web.test_analyses_vision_walk import _analysis
from tests.web.test_analyses_yen_tables import _example
from tests.web.test_nature_vision_pages import _job

sync_api = require_browser()
expect = sync_api.expect
pytestmark = pytest.mark.slow

COLUMN = """([sel, i]) => [...document.querySelectorAll(`${sel} tbody tr`)].map((r) => {
  const c = r.cells[i], v = c.dataset.value ?? (c.querySelector('[data-value]') || {dataset: {}})
    .dataset.value;
  return { text: c.textContent, value: v === undefined ? null : Number(v) }; })"""
"""Column `i` of table `sel` in the order shown: each cell's text and the figure it holds
(its data-value, or that of what it holds)."""
SORTS = "(sel) => [...document.querySelectorAll(`${sel} thead th`)].map((h) => h.ariaSort)"
COLLATED = """(texts) => { const c = new Intl.Collator(document.documentElement.lang,
  { numeric: true }); return [...texts].sort(c.compare); }"""
"""`texts` as the page's language orders them."""
MINUS = "\u2212"


def _heading(page: Any, sel: str, i: int) -> Any:
    """The button of column `i`'s heading in table `sel`."""
    return page.locator(f"{sel} thead th").nth(i).get_by_role("button")


def _column(page: Any, sel: str, i: int) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = page.evaluate(COLUMN, [sel, i])
    return cells


def _sorted_by(page: Any, sel: str, i: int, order: str) -> None:
    """Table `sel` says it is sorted by column `i` only, in `order`."""
    sorts = page.evaluate(SORTS, sel)
    assert sorts[i] == order and set(sorts[:i] + sorts[i + 1:]) == {"none"}, sorts


def test_tables_sort_by_a_click_or_a_key_on_a_heading(page: Any, server: str) -> None:
    errors = _open(page, server)
    job = _analysis(page, "compressor_magnet", "optimise")
    ref = _job(page, server, f"/api/lifecycle/analyses/{job}")
    table = "#an-table"
    n = len(ref["points"])
    assert n >= 2, n
    # every heading a button named by it, what it does in its title; nothing sorted yet
    heads = page.locator(f"{table} thead th")
    expect(heads).to_have_count(4)
    expect(_heading(page, table, 2)).to_have_text("費用 [円]")
    expect(_heading(page, table, 2)).to_have_attribute("title", "費用 [円]で並べ替え")
    assert set(page.evaluate(SORTS, table)) == {"none"}
    first = [c["text"] for c in _column(page, table, 0)]
    assert first == [str(i + 1) for i in range(n)] + ["✕"]

    # the cost column: by the amounts, not their text ("1.2兆" after "3,993億"); then the other way
    _heading(page, table, 2).click()
    _sorted_by(page, table, 2, "ascending")
    costs = [c["value"] for c in _column(page, table, 2)]
    amounts = [p["cost"] for p in ref["points"]] + [ref["as_modelled"]["cost"]]
    assert costs == pytest.approx(sorted(amounts), rel=1e-12)
    _heading(page, table, 2).click()
    _sorted_by(page, table, 2, "descending")
    assert [c["value"] for c in _column(page, table, 2)] == pytest.approx(
        sorted(amounts, reverse=True), rel=1e-12)
    # the rows moved whole: each point's number beside its own cost
    for row in page.evaluate(f"""() => [...document.querySelectorAll('{table} tbody tr')]
        .map((r) => [r.cells[0].textContent, Number(r.cells[2].querySelector('[data-value]')
          .dataset.value)])"""):
        i = n if row[0] == "✕" else int(row[0]) - 1
        assert row[1] == pytest.approx(amounts[i], rel=1e-12), row

    # from the keyboard: Enter, then Space, on the "#" heading; the model as given (no number)
    # stays last either way
    _heading(page, table, 0).focus()
    page.keyboard.press("Enter")
    _sorted_by(page, table, 0, "ascending")
    assert [c["text"] for c in _column(page, table, 0)] == [str(i + 1) for i in range(n)] + ["✕"]
    page.keyboard.press("Space")
    _sorted_by(page, table, 0, "descending")
    assert [c["text"] for c in _column(page, table, 0)] == [str(n - i) for i in range(n)] + ["✕"]
    expect(_heading(page, table, 0)).to_be_focused()

    # a column of text: as the page's language orders it
    _heading(page, table, 3).click()
    _sorted_by(page, table, 3, "ascending")
    texts = [c["text"] for c in _column(page, table, 3)]
    assert texts == page.evaluate(COLLATED, texts)
    page.locator("#an-result").screenshot(path=str(ARTIFACTS / "ja-analyses-sorted-text.png"))

    # the actors' table too: the margin changes (円) largest first
    extra = "#an-extra-table"
    _heading(page, extra, 3).click()
    _heading(page, extra, 3).click()
    _sorted_by(page, extra, 3, "descending")
    margins = [c["value"] for c in _column(page, extra, 3)]
    assert margins == sorted(margins, reverse=True) and len(margins) > 1

    # in English: the headings say so in English and the order stays
    _heading(page, table, 2).click()
    _sorted_by(page, table, 2, "ascending")
    choose_lang(page, "en")
    expect(_heading(page, table, 2)).to_have_attribute("title", "Sort by Cost [JPY]")
    _sorted_by(page, table, 2, "ascending")
    assert [c["value"] for c in _column(page, table, 2)] == pytest.approx(sorted(amounts))

    # the list of analyses by the time started: oldest first, then newest first again
    jobs = "#an-jobs"
    _analysis(page, "compressor_magnet", "uncertainty", runs=3)
    started = [c["value"] for c in _column(page, jobs, 0)]
    assert len(started) >= 2 and started == sorted(started, reverse=True)  # as listed
    expect(_heading(page, jobs, 0)).to_have_attribute("title", "Sort by Started")
    _heading(page, jobs, 0).click()
    assert [c["value"] for c in _column(page, jobs, 0)] == sorted(started)
    _heading(page, jobs, 0).click()
    assert [c["value"] for c in _column(page, jobs, 0)] == sorted(started, reverse=True)
    assert not errors, errors


def test_negative_yen_in_tables_has_the_charts_minus_sign(page: Any, server: str) -> None:
    errors = _open(page, server)
    job = _analysis(page, "compressor_magnet", "optimise")
    ref = _job(page, server, f"/api/lifecycle/analyses/{job}")
    actors = [a for p in ref["points"] for a in p["actors"]]
    assert any(a["margin_change"] <= -1e8 for a in actors)  # a loss in 億 (Japanese)
    for lang in ("ja", "en"):
        choose_lang(page, lang)
        heads = page.evaluate("() => [...document.querySelectorAll('#an-extra-table thead th')]"
                              ".map((h) => h.textContent)")
        assert heads[3].endswith("[円]" if lang == "ja" else "[JPY]"), heads
        cells = _column(page, "#an-extra-table", 3)
        assert [c["value"] for c in cells] == pytest.approx([a["margin_change"] for a in actors])
        titles = page.evaluate("""() => [...document.querySelectorAll(
          '#an-extra-table tbody tr')].map((r) => (r.cells[3].querySelector('[title]')
          || {}).title || '')""")
        negative = 0
        for cell, title in zip(cells, titles, strict=True):
            assert "-" not in cell["text"] and "-" not in title, (cell, title)
            if cell["value"] < 0:
                negative += 1
                assert cell["text"].startswith(MINUS), cell
                assert not title or title.startswith(MINUS), title
            else:
                assert MINUS not in cell["text"], cell
        assert negative, cells
        co2 = _column(page, "#an-extra-table", 2)  # not an amount: core.js fmt, same sign
        assert [c["value"] for c in co2] == pytest.approx([a["co2e_change_t"] for a in actors])
        down = [c for c in co2 if c["value"] < 0]
        assert down and all(c["text"].startswith(MINUS) and "-" not in c["text"]
                            for c in down), down
    page.locator("#an-extra").screenshot(path=str(ARTIFACTS / "en-analyses-negative-yen.png"))
    assert not errors, errors


WHOLE = r"^[\u2212-]?\d{1,3}(,\d{3})*$"
"""A tick of whole yen: "0", "1", "−1", "399,313,407,145" (no "0.2", "0.5")."""


def _whole_yen(page: Any, chart: str, axis: str) -> list[str]:
    """The ticks of the yen axis `axis` of `chart` once drawn (and relabelled): each a whole
    number of yen."""
    with contextlib.suppress(sync_api.TimeoutError):  # said below, with the ticks drawn
        page.wait_for_function("""([id, axis, whole]) => {
            const ts = [...document.querySelectorAll(`#${id} .${axis}tick text`)];
            return ts.length > 0 && ts.every((t) => new RegExp(whole).test(t.textContent)); }""",
                               arg=[chart, axis, WHOLE], timeout=15_000)
    ticks: list[str] = page.evaluate(TICKS, [chart, axis])
    assert ticks and all(re.match(WHOLE, t) for t in ticks), (chart, axis, ticks)
    return ticks


def test_a_yen_axis_of_zeros_ticks_whole_yen(page: Any, server: str) -> None:
    """An uncertainty study of the compressor_magnet model with every amount of money in it 0
    JPY (prices, costs, revenues; its libraries' disposal and transport still cost): its revenue
    is 0 yen in every run of every scenario, and the fan chart's yen axis ticks 0 and whole yen
    around it, in both languages."""
    errors = _open(page, server)
    text = (ROOT / "examples" / "compressor_magnet.yaml").read_text("utf-8")
    free = re.sub(r"(?<![\w.])\d[\d_.,]*(\s*)JPY", r"0\1JPY", text)
    free = free.replace("name: compressor_magnet", "name: compressor_magnet_free", 1)
    assert free != text and "name: compressor_magnet_free" in free
    res = page.request.post(f"{server}/api/models", data=free,
                            headers={"Content-Type": "application/yaml", "X-Junkan-CSRF": "1"})
    assert res.status == 201, res.text()
    spec = _example(page, "uncertainty_compressor_magnet")
    spec.pop("observations", None)
    spec["parameters"] = spec["parameters"][:4]  # any will do: the figure is 0 yen in all
    page.reload()
    page.locator("#an-model option").first.wait_for(state="attached")
    label = next(t for t in page.locator("#an-model option").all_inner_texts()
                 if "(compressor_magnet_free," in t)
    page.select_option("#an-model", label=label)
    page.fill("#an-runs", "3")
    page.fill("#an-spec", json.dumps(spec))
    page.click("#an-start")
    expect(page.locator("#an-start")).to_be_enabled(timeout=240_000)
    expect(page.locator("#an-errors")).to_be_empty()
    page.select_option("#an-figure", "totals:revenue_JPY")
    # the figure: 0 yen everywhere (the table under the chart says so too)
    cells = [c for i in range(1, 6) for c in _column(page, "#an-chart-values-table", i)]
    assert cells and {c["value"] for c in cells} == {0}, cells
    for lang in ("ja", "en"):
        choose_lang(page, lang)
        # the chart is drawn again in the new language: no layout for a moment (CI, 2026-12-07)
        page.wait_for_function("(end) => document.getElementById('an-chart')?.layout?.yaxis"
                               "?.title?.text?.endsWith(end)",
                               arg="（円）" if lang == "ja" else "(JPY)")
        ticks = _whole_yen(page, "an-chart", "y")
        assert "0" in ticks, ticks
        if lang == "ja":
            page.locator("#an-result").screenshot(path=str(ARTIFACTS / "ja-analyses-zero-yen.png"))
    # the whole yen are a list of ticks, not plotly.js' linear ticks a yen apart: zoomed out to
    # billions, those were drawn one by one before the page could undo them (20 s of a frozen
    # page, 2026-12-05)
    axis = page.evaluate("() => document.getElementById('an-chart')._fullLayout.yaxis.tickmode")
    assert axis == "array", axis
    # zoomed out to billions: plotly.js' own ticks again ("1B", "2B" in English), at once
    took = page.evaluate("""async () => { const t0 = performance.now();
      await Plotly.relayout(document.getElementById('an-chart'), { 'yaxis.range': [-2e9, 2e9] });
      return performance.now() - t0; }""")
    assert took < 5_000, f"the zoom froze the page for {took:.0f} ms"
    page.wait_for_function("() => [...document.querySelectorAll('#an-chart .ytick text')]"
                           ".some((t) => /^\\d+B$/.test(t.textContent))")
    assert not errors, errors
