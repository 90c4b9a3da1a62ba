"""The pages added for issue 16's last part, in a real browser: the indicator catalogue (table,
relation graph, filters, both languages), lifecycle analyses (optimise → Pareto front,
uncertainty → fan chart, sensitivity → Sobol' bars, a failed job's error, a bad setting caught
before sending, reopening a job), and the market (a condition published by the partner through
the form, offers posted by the demo company, the match with its reasons, errors beside the form
that caused them). Each chart has a title and axis titles."""

from __future__ import annotations

import re
from typing import Any

import pytest

from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD, PARTNER_EMAIL, PARTNER_PASSWORD
from tests.web.conftest import choose_lang, plotted, require_browser

sync_api = require_browser()
expect = sync_api.expect
pytestmark = pytest.mark.slow

LAYOUT = """(id) => { const el = document.getElementById(id); const l = el.layout || {};
  const t = (a) => a && a.title && a.title.text;
  return { title: t(l), x: t(l.xaxis), y: t(l.yaxis), n: (el.data || []).length,
           traces: (el.data || []).map((d) => ({ name: d.name, x: d.x, y: d.y })) }; }"""


def chart(page: Any, el: str) -> dict[str, Any]:
    """A drawn chart's title, axis titles and traces (it must have all three titles)."""
    page.locator(f"#{el} .main-svg").first.wait_for(timeout=120_000)
    got: dict[str, Any] = page.evaluate(LAYOUT, el)
    assert got["title"] and got["x"] and got["y"], (el, got["title"], got["x"], got["y"])
    return got


def sign_in_as(page: Any, server: str, email: str, password: str, lang: str = "en") -> None:
    page.goto(f"{server}/#/login")
    page.locator("#email").wait_for()
    choose_lang(page, lang)
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.locator("#view-models:not([hidden])").wait_for()


def test_indicator_catalogue_page(page: Any, server: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in_as(page, server, DEMO_EMAIL, DEMO_PASSWORD)
    page.get_by_role("link", name="Indicators", exact=True).click()
    rows = page.locator("#ic-table tbody tr")
    expect(rows).to_have_count(45)
    expect(page).to_have_title("Indicators — junkan")
    doc = page.request.get(f"{server}/api/indicators/catalogue").json()
    g = chart(page, "ic-graph")
    n_in = sum(v == "IN" for v in doc["relations"]["3"].values())
    n_out = sum(v == "OUT" for v in doc["relations"]["3"].values())
    assert g["title"] == (
        f"#3 Recycled-content rate (inflow side): {n_in} indicators drive it, it affects {n_out}"
    )
    by_name = {t["name"]: t for t in g["traces"]}
    assert len(by_name["IN (drives it)"]["x"]) == n_in
    assert len(by_name["OUT (affected by it)"]["x"]) == n_out
    # another representative indicator, by keyboard
    page.focus("#ic-rep")
    page.keyboard.press("End")  # the last representative indicator, #5
    expect(page.locator("#ic-rep")).to_have_value("5")
    n5 = sum(v == "IN" for v in doc["relations"]["5"].values())
    assert f"{n5} indicators drive it" in chart(page, "ic-graph")["title"]
    # filters: level, then a name
    page.select_option("#ic-level", "vision")
    expect(rows).to_have_count(5)
    page.select_option("#ic-level", "")
    page.fill("#ic-q", "water")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Water circulation rate")
    expect(rows.first.locator("td").nth(6)).to_have_text(
        {"IN": "IN", "OUT": "OUT", "none": "–", "unknown": "?"}[doc["relations"]["3"]["40"]]
    )
    # Japanese: names, levels, the graph
    page.fill("#ic-q", "")
    choose_lang(page, "ja")
    expect(rows.first.locator("td").nth(1)).to_have_text("CE市場規模")
    expect(rows.first.locator("td").nth(3)).to_have_text("ビジョン（代表）")
    assert "影響を与える指標" in chart(page, "ic-graph")["title"]
    assert not errors


def _start(page: Any, model: str, kind: str) -> None:
    page.locator("#an-model option").first.wait_for(state="attached")
    label = next(o for o in page.locator("#an-model option").all_inner_texts() if f"({model}," in o)
    page.select_option("#an-model", label=label)
    page.check(f"input[name='an-kind'][value='{kind}']")


def _finish(page: Any) -> None:
    page.click("#an-start")
    page.wait_for_selector("#an-start:not([disabled])", timeout=180_000)


def test_lifecycle_analyses_page(page: Any, server: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in_as(page, server, DEMO_EMAIL, DEMO_PASSWORD)
    page.goto(f"{server}/#/analyses")
    page.locator("#an-model option").first.wait_for(state="attached")

    # keyboard: the analysis kinds are one radio group; each shows its own settings
    page.focus("input[name='an-kind'][value='uncertainty']")
    page.keyboard.press("ArrowDown")
    expect(page.locator("input[name='an-kind'][value='sensitivity']")).to_be_checked()
    expect(page.locator("#an-n")).to_be_visible()
    expect(page.locator("#an-runs")).to_be_hidden()

    # the best loop of the compressor-magnet model with the shipped decisions: a Pareto front
    _start(page, "compressor_magnet", "optimise")
    page.click("#an-example")
    expect(page.locator("#an-spec")).to_have_value(re.compile('"decisions"'))
    _finish(page)
    expect(page.locator("#an-result")).to_be_visible()
    g = chart(page, "an-chart")
    front = next(t for t in g["traces"] if t["name"] == "Pareto front")
    assert len(front["x"]) >= 2 and g["x"].startswith("CO2e [")
    assert sorted(front["x"]) == front["x"]  # a front: CO2e up, cost down
    assert front["y"] == sorted(front["y"], reverse=True)
    # every point numbered as in the table, whose last row is the model as given (its ✕)
    rows = page.locator("#an-table tbody tr")
    expect(rows).to_have_count(len(front["x"]) + 1)
    expect(rows.last.locator("td").first).to_have_text("✕")
    plotted(page, "an-chart")  # the page's first chart comes once plotly.js has loaded
    assert page.evaluate("() => document.getElementById('an-chart').data[0].text")[:2] == \
        ["#1", "#2"]
    assert page.get_attribute("#an-chart", "aria-describedby") == "an-table"

    # a bad setting is caught before anything is sent; the old result goes
    page.fill("#an-spec", "{decisions: [")
    _finish(page)
    # where it stops being JSON, in the page's words (the browser's own message had no place)
    expect(page.locator("#an-errors")).to_contain_text(
        'not valid JSON: line 1, column 2: "d" is not expected there')

    # a model without an uncertainty section and no settings: refused before a job (review
    # 264; it was a failed job, listed), its reason shown
    _start(page, "compressor_magnet", "uncertainty")
    page.fill("#an-spec", "")
    _finish(page)
    expect(page.locator("#an-errors")).to_contain_text("declares no uncertain parameters")
    expect(page.locator("#an-result")).to_be_hidden()
    # said beside the settings too, which is where it is put right
    expect(page.locator("#an-spec")).to_have_attribute("aria-invalid", "true")

    # uncertainty of the ATM model with the shipped ranges: a fan chart over its four scenarios
    _start(page, "atm_reuse", "uncertainty")
    page.fill("#an-runs", "40")
    page.click("#an-example")
    expect(page.locator("#an-spec")).to_have_value(re.compile('"parameters"'))
    _finish(page)
    expect(page.locator("#an-errors")).to_be_empty()
    g = chart(page, "an-chart")
    assert g["traces"][0]["x"] == ["reference", "current", "improvement_1", "improvement_2"]
    # done is said, and the result's heading has the focus; the chart's numbers are a table
    expect(page.locator("#an-status")).to_have_text("Finished: the result is below.")
    expect(page.locator("#an-about")).to_contain_text(re.compile(r"totals over \d{4}–\d{4}"))
    expect(page.locator("#an-result-title")).to_be_focused()
    expect(page.locator("#an-chart-values-table tbody tr")).to_have_count(4)
    assert page.get_attribute("#an-chart", "aria-describedby") == "an-chart-values-table"
    assert page.get_attribute("#an-chart", "aria-label") == g["title"]
    assert g["title"] == "Life-cycle CO2e (t): spread over 40 runs per scenario"
    page.select_option("#an-figure", "totals:final_disposal_t")
    assert chart(page, "an-chart")["title"].startswith("Final disposal (t)")
    expect(page.locator("#an-table tbody tr")).to_have_count(7)  # the seven uncertain inputs

    # sensitivity: Sobol' first-order and total indices per input
    _start(page, "atm_reuse", "sensitivity")
    page.fill("#an-n", "8")
    page.fill("#an-spec", "")
    page.click("#an-example")
    expect(page.locator("#an-spec")).to_have_value(re.compile('"parameters"'))
    _finish(page)
    g = chart(page, "an-chart")
    assert [t["name"] for t in g["traces"]] == ["First-order index S1", "Total index ST"]
    assert len(g["traces"][0]["y"]) == 7 and g["title"].startswith("Which inputs drive")
    expect(page.locator("#an-chart2-values-table tbody tr")).to_have_count(7)  # the tornado's

    # every job is listed; an earlier one reopens
    jobs = page.locator("#an-jobs tbody tr")
    expect(jobs).to_have_count(3)  # newest first: the optimisation is the oldest
    jobs.nth(2).get_by_role("button").click()
    expect(page.locator("#an-result-title")).to_have_text("Best loop")
    expect(page.locator("input[name='an-kind'][value='optimise']")).to_be_checked()

    # the best loop of the ATM model (its scenarios' decisions): each change coloured by
    # whether it is better, by the figure's own sense (more margin is better, less CO2e)
    _start(page, "atm_reuse", "optimise")
    page.fill("#an-spec", "")
    _finish(page)
    traces = chart(page, "an-chart")["traces"]
    job = page.request.get(f"{server}/api/lifecycle/analyses").json()[0]
    r = page.request.get(f"{server}/api/lifecycle/analyses/{job['id']}").json()["result"]
    drawn = {t["name"]: sorted(round(v, 6) for v in t["x"]) for t in traces}
    want: dict[str, list[float]] = {}
    for k, was in r["as_modelled"].items():
        now = r["network"][k]
        if was and now is not None and now != was:
            better = (now < was) == (k in r["lower_is_better"])
            want.setdefault("better" if better else "worse", []).append(
                round(100 * (now - was) / abs(was), 6))
    assert want.get("better") and want.get("worse")  # the ATM's best loop has both
    assert {k: sorted(v) for k, v in want.items()} == {
        k: v for k, v in drawn.items() if k != "no change"}

    # a refused number, then another language: the message is said again in it
    page.check("input[name='an-kind'][value='uncertainty']")
    page.fill("#an-runs", "0")
    page.click("#an-start")
    expect(page.locator("#an-errors")).to_contain_text("a whole number from 1 to 10,000")
    choose_lang(page, "ja")
    expect(page.locator("#an-errors")).to_contain_text("1〜10,000 の整数")
    choose_lang(page, "en")
    assert not errors


def _offer(page: Any, lot: str, mass: str, fe: str) -> None:
    for field, v in (
        ("id", lot),
        ("Si", "7.5"),
        ("Fe", fe),
        ("Cu", "1.5"),
        ("Mg", "0.25"),
        ("Zn", "0.3"),
        ("Pb", "0.05"),  # the casting window limits Li, Pb and Sn too: left empty, not measured
        ("Sn", "0.03"),
        ("Li", "0.0008"),
        ("mass", mass),
        ("lat", "33.87"),
        ("lon", "130.79"),
    ):
        page.fill(f"#mk-o-{field}", v)
    page.click("#mk-offer-form button[type=submit]")
    expect(page.locator("#mk-offers tbody tr", has_text=lot)).to_have_count(1)


def test_market_page(page: Any, server: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: d.accept())
    # the partner (a buyer) publishes a condition to the demo company, through the form
    sign_in_as(page, server, PARTNER_EMAIL, PARTNER_PASSWORD)
    page.get_by_role("link", name="Market", exact=True).click()
    for field, v in (
        ("id", "cast-premium"),
        ("price", "350"),
        ("min", "50"),
        ("cap", "40"),
        ("lat", "33.95"),
        ("lon", "130.95"),
        ("grant", "Demo Manufacturing"),
    ):
        page.fill(f"#mk-c-{field}", v)
    page.click("#mk-cond-form button[type=submit]")
    # the service refuses an unreachable minimum: the reason beside this form, by field
    expect(page.locator("#mk-c-errors")).to_contain_text("min_lot: unreachable minimum lot")
    page.fill("#mk-c-min", "2")
    page.click("#mk-cond-form button[type=submit]")
    expect(page.locator("#mk-conditions tbody tr")).to_have_count(1)
    expect(page.locator("#mk-c-errors")).to_be_empty()
    # signing out reloads the page: wait for that load, or the next sign-in's navigation races it
    with page.expect_event("load"):
        page.click("#logout")

    sign_in_as(page, server, DEMO_EMAIL, DEMO_PASSWORD)
    page.goto(f"{server}/#/market")
    cond = page.locator("#mk-conditions tbody tr")
    expect(cond).to_have_count(1)
    expect(cond.first).to_contain_text("Partner Recycling")
    # the criteria by name, as the form lists them (review 317: the bare id)
    expect(cond.first).to_contain_text("Stable casting scrap (alloy-buyer.casting_premium)")
    expect(cond.first.get_by_role("button")).to_have_count(0)  # not ours: no withdraw
    # matching before any offer: the service's reason, shown beside the button
    page.click("#mk-match")
    expect(page.locator("#mk-errors")).to_contain_text("no offers to match")
    # an offer without a location is refused by the page, not posted at (0, 0) (the form is
    # novalidate: the browser no longer stops it, and an empty field read as 0)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and
            r.url.endswith("/api/market/offers") else None)
    for field, v in (("id", "no-place"), ("Si", "7.5"), ("mass", "3"), ("lat", ""),
                     ("lon", "200")):
        page.fill(f"#mk-o-{field}", v)
    page.click("#mk-offer-form button[type=submit]")
    expect(page.locator("#mk-o-errors li")).to_have_count(2)
    assert posts == []
    page.locator("#mk-offer-form").evaluate("f => f.reset()")
    # one lot below the condition's minimum and no pooling point: the condition is listed as
    # one no assignment can serve, with its minimum and what the eligible lots make up
    _offer(page, "al-0", "1", "0.35")
    page.click("#mk-match")
    unserved = page.locator("#mk-unserved li")
    expect(unserved).to_have_count(1, timeout=120_000)
    expect(unserved.first).to_contain_text(
        "cast-premium (Partner Recycling): its minimum lot of 2 t")
    # no lot matched: the chart's one (grey) bar is named in its legend (Plotly hid the
    # legend of a lone trace)
    expect(page.locator("#mk-chart .legend .legendtext")).to_have_text(["unmatched"])
    page.get_by_role("button", name="Withdraw offer al-0").click()
    expect(page.locator("#mk-offers tbody tr")).to_have_count(0)
    _offer(page, "al-1", "4", "0.35")
    _offer(page, "al-2", "3", "1.2")  # Fe above the casting window
    page.click("#mk-match")
    expect(page.locator("#mk-unserved-box")).to_be_hidden(timeout=120_000)
    expect(page.locator("#mk-result")).to_be_visible(timeout=120_000)
    expect(page.locator("#mk-errors")).to_be_empty()
    expect(page.locator("#mk-assignments tbody tr")).to_have_count(1)
    expect(page.locator("#mk-assignments tbody tr").first).to_contain_text("al-1")
    expect(page.locator("#mk-unmatched li")).to_have_count(1)
    expect(page.locator("#mk-unmatched li").first).to_contain_text("al-2 (3 t):")
    g = chart(page, "mk-chart")
    assert g["x"] == "Mass [t]"
    matched = next(t for t in g["traces"] if t["name"] == "Partner Recycling (cast-premium)")
    assert dict(zip(matched["y"], matched["x"], strict=True)) == {"al-1": 4, "al-2": 0}
    expect(page.locator("#mk-summary")).to_contain_text("4 t of 7 t matched")
    choose_lang(page, "ja")
    expect(page.locator("#mk-summary")).to_contain_text("出品 7 t のうち 4 t がマッチ")
    assert "ロット" in chart(page, "mk-chart")["title"]
    # withdrawing an offer removes it from the list and from the service
    choose_lang(page, "en")
    page.get_by_role("button", name="Withdraw offer al-2").click()
    expect(page.locator("#mk-offers tbody tr")).to_have_count(1)
    expect(page.locator("#mk-offers tbody tr").first).to_contain_text("al-1")
    page.reload()
    expect(page.locator("#mk-offers tbody tr")).to_have_count(1)
    assert not errors
