"""The analyses page's tables in Japanese, in a real browser: since the charts' yen axes and hovers
read amounts in 万/億/兆 like the rest of the page, the tables under them still wrote every digit
("399,313,407,145" under "費用 [円]" in the Pareto table, the fan chart's values, the tornado's,
Morris' μ*, the best loop's figures, a calibration's observed and fitted cost). A cell of a yen
amount (decided by its column's or row's unit) now reads "3,993億" with the exact amount as its
title ("399,313,407,145円") and the amount itself as its data-value, by which the table can be
ordered; a figure in tonnes keeps its digits; English is unchanged ("399,313,407,145")."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import ARTIFACTS, choose_lang, require_browser
from tests.web.test_analyses_phone_yen import _open
from tests.web.test_analyses_vision_walk import _analysis
from tests.web.test_nature_vision_pages import _job

sync_api = require_browser()
expect = sync_api.expect
pytestmark = pytest.mark.slow

CELLS = """(sel) => [...document.querySelectorAll(`${sel} tbody tr`)].map((r) => [...r.cells]
  .map((c) => { const titled = c.querySelector('[title]'), valued = c.querySelector('[data-value]');
    return { text: c.textContent, title: titled ? titled.title : null,
      num: c.classList.contains('num'), value: valued ? Number(valued.dataset.value) : null };
  }))"""
"""Each row's cells of table `sel`: its text, the title of what it holds, whether it is a number
(right-aligned) and the amount it holds (data-value)."""
HEADS = "(sel) => [...document.querySelectorAll(`${sel} thead th`)].map((h) => h.textContent)"
UNITS = {"万": 1e4, "億": 1e8, "兆": 1e12}
YEN = re.compile(r"^(\u2212?\d{1,3}(?:,\d{3})*(?:\.\d+)?)([万億兆])$")
"""A yen amount in Japanese: four significant digits at most in 万, 億 or 兆 ("3,993億"), a
negative one after the charts' minus sign ("−54.22億")."""
DIGITS = re.compile(r"^\u2212?\d{1,3}(,\d{3})*(\.\d+)?$")
"""A figure with every digit, negative after the charts' minus sign ("1,269,613", "−0.4")."""
YEN_DIGITS = re.compile(r"^\u2212?\d{1,3}(,\d{3})*(\.\d+)?$")
"""A yen amount with every digit, negative after the charts' minus sign ("−1,269,613")."""


def _minus(text: str) -> str:
    """`text` with the charts' minus sign (U+2212) a yen amount is written with, for a
    hyphen-minus."""
    return text.replace("-", "\u2212")


def _read(text: str) -> float:
    """The figure a yen cell writes ("−1,269,613")."""
    return float(text.replace(",", "").replace("\u2212", "-"))


def _yen(cell: dict[str, Any], amount: float) -> None:
    """`cell` holds the yen `amount` as a Japanese page writes it: in 万/億/兆 to four significant
    digits, every digit in its title, the amount as its data-value, right-aligned."""
    assert cell["num"], cell
    _figure(cell["text"], amount)
    assert cell["value"] == pytest.approx(amount, rel=1e-12), (cell, amount)
    if abs(amount) < 1e5:  # a small amount: every digit, as elsewhere on the page
        assert not cell["title"], (cell, amount)
    else:
        assert cell["title"] == _minus(f"{amount:,.0f}円"), (cell, amount)


def _figure(text: str, amount: float) -> None:
    """`text` says the yen `amount` as a Japanese page does: from 100,000 on in 万/億/兆 to four
    significant digits, a smaller amount with every digit."""
    if abs(amount) < 1e5:
        assert YEN_DIGITS.match(text), (text, amount)
        assert _read(text) == pytest.approx(amount, rel=1e-3, abs=1e-9), text
        return
    m = YEN.match(text)
    assert m, (text, amount)
    read = _read(m.group(1)) * UNITS[m.group(2)]
    assert read == pytest.approx(amount, rel=6e-4), (text, amount)


def _digits(cell: dict[str, Any], amount: float) -> None:
    """`cell` holds the yen `amount` as an English page writes it: every digit, no title."""
    assert cell["num"] and not cell["title"], (cell, amount)
    _en(cell["text"], amount)


def _en(text: str, amount: float) -> None:
    """`text` says `amount` as an English page does: every digit from 10,000 on ("399,313,407,145"),
    a smaller figure to four significant digits."""
    if abs(amount) >= 1e4:
        assert text == _minus(f"{amount:,.0f}"), (text, amount)
    else:
        assert YEN_DIGITS.match(text), (text, amount)
        assert _read(text) == pytest.approx(amount, rel=1e-3, abs=1e-9), text


def _tonnes(cell: dict[str, Any]) -> None:
    """A figure not in yen: every digit, no title, right-aligned."""
    assert cell["num"] and DIGITS.match(cell["text"]) and not cell["title"], cell


def _cells(page: Any, sel: str) -> list[list[dict[str, Any]]]:
    rows: list[list[dict[str, Any]]] = page.evaluate(CELLS, sel)
    assert rows, sel
    return rows


def _api_job(page: Any, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """An analysis of the seeded compressor_magnet model through the API (the form has no
    outputs, nor observations of a total), ended."""
    job: dict[str, Any] = page.evaluate("""async ([kind, body]) => {
      const h = { "Content-Type": "application/json", "X-Junkan-CSRF": "1" };
      const m = (await (await fetch("/api/models")).json())
        .find((x) => x.name === "compressor_magnet");
      const job = await (await fetch(`/api/lifecycle/analyses?kind=${kind}`, { method: "POST",
        headers: h, body: JSON.stringify({ model_id: m.id, version: m.latest_version,
          ...body }) })).json();
      for (;;) {
        const j = await (await fetch(`/api/lifecycle/analyses/${job.id}`)).json();
        if (j.status !== "queued" && j.status !== "running") return j;
        await new Promise((r) => setTimeout(r, 300));
      } }""", [kind, body])
    assert job["status"] == "succeeded", job
    return job


def _example(page: Any, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = page.evaluate(
        "async (n) => (await fetch(`/static/examples/${n}.json`)).json()", name)
    return spec


def test_pareto_and_fan_tables_in_man_oku_cho(page: Any, server: str) -> None:
    errors = _open(page, server)

    # the fan chart's values of the cost: each percentile of each scenario in 万/億/兆
    job = _analysis(page, "compressor_magnet", "uncertainty", runs=5)
    ref = _job(page, server, f"/api/lifecycle/analyses/{job}")
    page.select_option("#an-figure", "totals:cost_JPY")
    fan = "#an-chart-values-table"
    page.wait_for_function("(s) => document.querySelector(s + ' thead th:nth-child(2)').textContent"
                           " === 'p5 [円]'", arg=fan)
    qs = ["p5", "p25", "p50", "p75", "p95"]
    rows = _cells(page, fan)
    assert [r[0]["text"] for r in rows] == [s["name"] for s in ref["scenarios"]]
    for row, s in zip(rows, ref["scenarios"], strict=True):
        for cell, q in zip(row[1:], qs, strict=True):
            _yen(cell, s["totals"]["cost_JPY"][q])
    page.locator("#an-chart-values").evaluate("(d) => { d.open = true; }")
    page.locator("#an-result").screenshot(path=str(ARTIFACTS / "ja-analyses-fan-yen-table.png"))
    # a figure in tonnes keeps its digits
    page.select_option("#an-figure", "totals:co2e_t")
    page.wait_for_function("(s) => /\\[t/.test(document.querySelector(s + ' thead th:nth-child(2)')"
                           ".textContent)", arg=fan)
    for row in _cells(page, fan):
        for cell in row[1:]:
            _tonnes(cell)
    # in English: every digit, as before
    page.select_option("#an-figure", "totals:cost_JPY")
    choose_lang(page, "en")
    page.wait_for_function("(s) => document.querySelector(s + ' thead th:nth-child(2)').textContent"
                           " === 'p5 [JPY]'", arg=fan)
    for row, s in zip(_cells(page, fan), ref["scenarios"], strict=True):
        for cell, q in zip(row[1:], qs, strict=True):
            _digits(cell, s["totals"]["cost_JPY"][q])
    choose_lang(page, "ja")

    # the Pareto front: its cost column (費用 [円]) in 億, the CO2e column every digit
    job = _analysis(page, "compressor_magnet", "optimise")
    ref = _job(page, server, f"/api/lifecycle/analyses/{job}")
    (o1, o2) = ref["objectives"]
    assert (o1["figure"], o2["figure"], o2["unit"]) == ("co2e", "cost", "JPY")
    heads = page.evaluate(HEADS, "#an-table")
    assert heads[1] == "CO2e [t CO2e]" and heads[2] == "費用 [円]", heads
    amounts = [p["cost"] for p in ref["points"]] + [ref["as_modelled"]["cost"]]
    rows = _cells(page, "#an-table")
    assert [r[0]["text"] for r in rows] == [str(i + 1) for i in range(len(ref["points"]))] + ["✕"]
    for row, cost in zip(rows, amounts, strict=True):
        _yen(row[2], cost)
        _tonnes(row[1])
    # ordered by the cost column: by the amounts (data-value), not the text ("1.2兆" < "3,993億")
    by_cell = [r[0]["text"] for r in sorted(rows, key=lambda r: r[2]["value"])]
    by_amount = [str(i + 1) if i < len(ref["points"]) else "✕"
                 for i in sorted(range(len(amounts)), key=lambda i: amounts[i])]
    assert by_cell == by_amount
    # each actor's margin change (利益の変化 [円]) too; its CO2e change [t] keeps its digits
    heads = page.evaluate(HEADS, "#an-extra-table")
    assert heads[2:] == ["CO2e 変化量 [t]", "利益の変化 [円]"], heads
    actors = [a for p in ref["points"] for a in p["actors"]]
    for row, a in zip(_cells(page, "#an-extra-table"), actors, strict=True):
        _yen(row[3], a["margin_change"])
        _tonnes(row[2])
    assert any(abs(a["margin_change"]) >= 1e8 for a in actors)
    page.locator("#an-result").screenshot(path=str(ARTIFACTS / "ja-analyses-pareto-yen-table.png"))

    # in English the same cells keep their separators ("399,313,407,145")
    choose_lang(page, "en")
    page.wait_for_function("() => document.querySelector('#an-table thead th:nth-child(3)')"
                           ".textContent === 'Cost [JPY]'")
    rows = _cells(page, "#an-table")
    for row, cost in zip(rows, amounts, strict=True):
        _digits(row[2], cost)
        assert row[2]["value"] == pytest.approx(cost, rel=1e-12)
    for row, a in zip(_cells(page, "#an-extra-table"), actors, strict=True):
        _digits(row[3], a["margin_change"])
    assert not errors, errors


def test_morris_tornado_best_loop_and_calibration_tables(page: Any, server: str) -> None:
    errors = _open(page, server)
    spec = _example(page, "uncertainty_compressor_magnet")
    observations = spec.pop("observations")
    sens = _api_job(page, "sensitivity", {"n": 4, "method": "morris", "spec": spec, "seed": 0,
                                          "outputs": ["B:totals.cost_JPY", "B:totals.co2e_t"]})
    opt = _example(page, "optimise_compressor_magnet")
    del opt["pareto"]
    best = _api_job(page, "optimise", {"spec": opt})
    cost = {"total": "cost_JPY", "scenario": "B", "value": 3.5e11, "source": "test"}
    cal = _api_job(page, "calibrate", {"spec": {**spec, "observations": [*observations, cost]}})
    page.reload()
    jobs = page.locator("#an-jobs tbody tr")  # newest first (then the other test's, if it ran)
    expect(jobs.nth(2)).to_be_attached()

    # calibration (newest first): the observed, before and fitted cost in 億/兆, its range too
    jobs.nth(0).get_by_role("button").click()
    expect(page.locator("#an-result-title")).to_have_text("校正")
    obs = cal["result"]["observations"]
    rows = _cells(page, "#an-table")
    assert len(rows) == len(obs)
    for row, o in zip(rows, obs, strict=True):
        if o["unit"] != "JPY":
            assert not re.search("[万億兆]", "".join(c["text"] for c in row[2:5])), row
            continue
        for cell, k in zip(row[2:5], ["observed", "start", "fitted"], strict=True):
            _yen(cell, o[k])
        lo, hi = o["attainable"]
        assert re.fullmatch(r"[\d.,]+[万億兆] – [\d.,]+[万億兆]( ✗)?", row[7]["text"]), row[7]
        assert row[7]["title"].startswith(_minus(f"{lo:,.0f}円 – {hi:,.0f}円")), row[7]
    assert any(o["unit"] == "JPY" for o in obs)
    page.locator("#an-result").screenshot(path=str(ARTIFACTS / "ja-analyses-cal-yen-table.png"))

    # the best loop: cost, revenue and margin rows in 億 (the result's money), CO2e and inputs in t
    jobs.nth(1).get_by_role("button").click()
    expect(page.locator("#an-result-title")).to_have_text("最適ループ")
    r = best["result"]
    keys = [k for k in r["network"] if isinstance(r["network"][k], (int, float))]
    rows = _cells(page, "#an-chart-values-table")
    assert len(rows) == len(keys)
    money = [k for k in keys if r["units"].get(k) == r["units"]["money"]]
    assert set(money) == {"cost", "revenue", "margin"}, money
    for row, k in zip(rows, keys, strict=True):
        if k in money:
            assert row[0]["text"].endswith("[円]"), row[0]
            _yen(row[1], r["as_modelled"][k])
            _yen(row[2], r["network"][k])
        else:
            assert row[0]["text"].endswith("[t]"), row[0]
            _tonnes(row[1])
            _tonnes(row[2])
    for row, a in zip(_cells(page, "#an-extra-table"), r["actors"], strict=True):
        _yen(row[2], a["margin_change"])
        _tonnes(row[1])
    page.locator("#an-chart-values").evaluate("(d) => { d.open = true; }")
    page.locator("#an-result").screenshot(path=str(ARTIFACTS / "ja-analyses-best-yen-table.png"))

    # Morris of the cost: μ* ± its half-width and σ in 億; the tornado's ends in 兆, heads saying 円
    jobs.nth(2).get_by_role("button").click()
    page.locator("#an-chart2 .main-svg").first.wait_for(timeout=60_000)
    page.select_option("#an-figure", "B:totals.cost_JPY")
    d = sens["result"]["outputs"]["B:totals.cost_JPY"]
    params = sens["result"]["parameters"]
    page.wait_for_function("() => /\\[円\\]$/.test(document.querySelector("
                           "'#an-table thead th:nth-child(2)').textContent)")
    rows = _cells(page, "#an-table")
    by_name = {row[0]["text"]: row for row in rows}
    for i, name in enumerate(params):
        mu, sigma = by_name[name][1], by_name[name][2]
        amounts = (d["mu_star"][i], d["mu_star_conf"][i])
        for text, amount in zip(mu["text"].split(" ± "), amounts, strict=True):
            _figure(text, amount)
        if max(amounts) >= 1e5:  # the exact amounts where one is rounded
            assert mu["title"] == f"{amounts[0]:,.0f}円 ± {amounts[1]:,.0f}円", mu
        assert mu["value"] == pytest.approx(d["mu_star"][i], rel=1e-12)
        _yen(sigma, d["sigma"][i])
    assert max(d["mu_star"]) >= 1e8  # some in 億 at least
    tornado = "#an-chart2-values-table"
    assert [h.endswith("[円]") for h in page.evaluate(HEADS, tornado)] == [False, True, True]
    by_name = {row[0]["text"]: row for row in _cells(page, tornado)}
    for i, name in enumerate(params):
        _yen(by_name[name][1], d["tornado"]["low"][i])
        _yen(by_name[name][2], d["tornado"]["high"][i])
    page.locator("#an-chart2-values").evaluate("(d) => { d.open = true; }")
    page.locator("#an-result").screenshot(path=str(ARTIFACTS / "ja-analyses-morris-yen-table.png"))
    # the CO2e output: its tables keep their digits
    page.select_option("#an-figure", "B:totals.co2e_t")
    page.wait_for_function(
        "() => !/円/.test(document.querySelector('#an-table thead').textContent)")
    for row in _cells(page, tornado):
        assert not re.search("[万億兆円]", row[1]["text"] + row[2]["text"]), row

    # in English: every digit, as before
    choose_lang(page, "en")
    page.select_option("#an-figure", "B:totals.cost_JPY")
    page.wait_for_function("() => /\\[JPY\\]$/.test(document.querySelector("
                           "'#an-table thead th:nth-child(2)').textContent)")
    by_name = {row[0]["text"]: row for row in _cells(page, "#an-table")}
    for i, name in enumerate(params):
        for text, amount in zip(by_name[name][1]["text"].split(" ± "),
                                (d["mu_star"][i], d["mu_star_conf"][i]), strict=True):
            _en(text, amount)
        assert not by_name[name][1]["title"]
        _digits(by_name[name][2], d["sigma"][i])
    by_name = {row[0]["text"]: row for row in _cells(page, tornado)}
    for i, name in enumerate(params):
        _digits(by_name[name][1], d["tornado"]["low"][i])
    assert not errors, errors
