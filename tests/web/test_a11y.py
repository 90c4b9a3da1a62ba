"""Accessibility and phone width, in one walk over every page with its results drawn where a
page has them, in English and, switched in place, in Japanese:

- axe-core (the copy shipped in the axe-playwright-python wheel, injected into the page;
  nothing is fetched at run time): no serious or critical violation;
- on a phone (390×844) the document is never wider than the screen (a wide table scrolls in
  its own box, a select or fieldset fits its column), so nothing of a page is reached only
  by scrolling the whole page sideways; screenshots in test-artifacts/phone-<lang>-<page>.png.
  (A walk of its own until 2026-12-06, over pages without their results: 31 s of CI.)

Also the shredder monitor run in Japanese (its chart and tables show no English message)."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

import pytest

from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
from tests.web.conftest import ARTIFACTS, CHROMIUM, FLAGS, choose_lang, require_browser

sync_api = require_browser()
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")
expect = sync_api.expect
pytestmark = pytest.mark.slow


AXE_OPTIONS = {"resultTypes": ["violations"]}
"""Every rule still runs on every node; only the details of passes, incomplete and
inapplicable results are cut to one node per rule, which halves axe's time on the chart
pages (axe-core API: ``resultTypes``)."""


SWITCHED_OPTIONS = {**AXE_OPTIONS, "rules": {"color-contrast": {"enabled": False}}}
"""The page switched to the other language in place: every rule but colour contrast, which
took 60 % of axe's time on these pages (17 pages: 61 s with it, 24 s without, 2026-12-02,
load 3) and does not depend on the language (the same elements, colours and font sizes;
only the text is translated, and its names, labels and ``lang`` are what the other rules
check again)."""

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
FITS = "() => document.documentElement.scrollWidth <= innerWidth"
WIDE = """(vw) => [...document.querySelectorAll('body *')].filter((e) => e.offsetParent
  && e.getBoundingClientRect().right > vw + 1).slice(0, 8)
  .map((e) => e.tagName + (e.id ? '#' + e.id : '') + ' '
    + Math.round(e.getBoundingClientRect().right))"""
"""Elements reaching past the screen's right edge (for the failure's message)."""
FRAMES = ("() => new Promise((done) => requestAnimationFrame(() => "
          "requestAnimationFrame(done)))")


def _too_wide(page: Any, lang: str, name: str) -> tuple[int, list[str]] | None:
    """The page as shown, narrowed to a phone: ``None`` when it fits the screen (charts
    redraw after a debounce: up to 3 s for them), else its width and what reaches past the
    edge; a screenshot either way. The window is widened again after."""
    page.set_viewport_size(PHONE)
    try:
        with contextlib.suppress(sync_api.TimeoutError):
            page.wait_for_function(FITS, timeout=3_000)
        page.evaluate(FRAMES)
        page.screenshot(path=str(ARTIFACTS / f"phone-{lang}-{name}.png"), full_page=True)
        sw, iw = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
        return None if sw <= iw else (sw, page.evaluate(WIDE, iw))
    finally:
        page.set_viewport_size(DESKTOP)
        page.evaluate(FRAMES)


def _violations(page: Any, options: dict[str, Any] = AXE_OPTIONS) -> list[str]:
    """Serious and critical axe violations on the page as shown: rule, help and where."""
    res = axe_sync.Axe().run(page, options=options)
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in res.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _pages(page: Any, server: str) -> Any:
    """Walk every page, yielding its name once its content (and results, where quick) is shown."""
    yield "login"
    page.fill("#email", DEMO_EMAIL)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.locator("#models-table tbody tr").first.wait_for()
    yield "models"
    page.click("#models-table a[href^='#/models/']:text-is('atm_reuse')")
    page.locator("#network .main-svg").first.wait_for()
    page.click("#run")
    page.locator("#sankey .main-svg").first.wait_for(timeout=60_000)
    page.locator("#indicators-table tbody tr").first.wait_for(state="attached")
    page.click("#workspace summary")  # the form editor open
    page.locator("#mf-root .mf-field").first.wait_for(state="attached", timeout=30_000)
    yield "model"
    page.goto(f"{server}/#/network")
    yield "network"
    page.goto(f"{server}/#/foresight")
    page.locator("#fs-fans .main-svg").first.wait_for(timeout=60_000)
    yield "foresight"
    page.goto(f"{server}/#/alloys")
    page.locator("#al-vehicles input").first.wait_for()
    page.click("#al-form button[type=submit]")
    page.locator("#al-chart .main-svg").first.wait_for(timeout=60_000)
    yield "alloys"
    page.goto(f"{server}/#/trace")
    page.locator("#lots-table tbody tr button").first.click()
    page.locator("#tr-breakdown .main-svg").first.wait_for(timeout=30_000)
    yield "trace"
    page.goto(f"{server}/#/market")
    page.locator("#mk-conditions-empty:not([hidden])").wait_for()
    yield "market"
    page.goto(f"{server}/#/sensing")
    expect(page.locator("#sn-doc")).not_to_have_value("")
    yield "sensing"
    page.goto(f"{server}/#/analyses")
    page.locator("#an-model option").first.wait_for(state="attached")
    label = next(
        o for o in page.locator("#an-model option").all_inner_texts() if "(compressor_magnet," in o
    )
    page.select_option("#an-model", label=label)
    page.check("input[name='an-kind'][value='optimise']")
    page.click("#an-example")
    expect(page.locator("#an-spec")).not_to_have_value("")
    page.click("#an-start")
    page.locator("#an-chart .main-svg").first.wait_for(timeout=120_000)
    yield "analyses"
    page.goto(f"{server}/#/indicators")
    page.locator("#ic-graph .main-svg").first.wait_for()
    yield "indicators"
    page.goto(f"{server}/#/nature")
    page.fill("#nt-size", "80")
    page.click("#nt-run")
    page.locator("#nt-confusion .main-svg").first.wait_for(timeout=120_000)
    yield "nature"
    page.goto(f"{server}/#/vision")
    page.locator("#vi-model").wait_for()
    yield "vision"
    yield from _policy_pages(page, server)


def _policy_pages(page: Any, server: str) -> Any:
    """The Reverse chain page (a generated day metered and exported; identification, whose
    first call enrols the catalogue, is in test_reverse_chain_page) and the Municipality,
    Reports and Solar panels pages with their results."""
    page.goto(f"{server}/#/metering")
    page.fill("#me-units", "4")
    page.click("#me-run")
    page.locator("#me-timeline .main-svg").first.wait_for(timeout=180_000)
    page.click("#me-export-run")
    page.locator("#me-processes tbody tr").first.wait_for(timeout=60_000)
    yield "metering"
    page.goto(f"{server}/#/municipality")
    page.locator("#mu-code option").first.wait_for(state="attached")
    page.click("#mu-run")
    page.locator("#mu-proposals-chart .main-svg").first.wait_for(timeout=180_000)
    yield "municipality"
    page.goto(f"{server}/#/reports")
    expect(page.locator("#rp-plan")).not_to_have_value("")
    page.click("#rp-run")
    page.locator("#rp-table tbody tr").first.wait_for(timeout=180_000)
    page.click("#dp-run")
    page.locator("#dp-tables table").first.wait_for(timeout=180_000)
    yield "reports"
    # the stored registry with one model and installation of the user's (409 when the other
    # language's walk registered them already), and the page's forms opened
    reg, h = f"{server}/api/policy/solar/registry", {"X-Junkan-CSRF": "1"}
    page.request.post(
        f"{reg}/models",
        headers=h,
        data={
            "name": "PV-A",
            "technology": "c-Si",
            "mass_kg": 20,
            "glass_share": 0.75,
            "substances": [],
        },
    )
    page.request.post(
        f"{reg}/installations",
        headers=h,
        data={
            "name": "roof-1",
            "maker": "Demo Manufacturing",
            "model": "PV-A",
            "municipality": "13101",
            "count": 100,
            "commissioned": "2010-06-01",
        },
    )
    page.goto(f"{server}/#/solar")
    page.locator("#so-installations tbody tr").first.wait_for(timeout=180_000)
    page.evaluate(
        "document.querySelectorAll('#view-solar details').forEach((d) => (d.open = true))"
    )
    yield "solar"


def _browser(tmp_path: Path, lang: str) -> Any:
    pw = sync_api.sync_playwright().start()
    ctx = pw.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=FLAGS,
        viewport={"width": 1440, "height": 900},
        locale="ja-JP" if lang == "ja" else "en-GB",
    )
    return pw, ctx


def _in(page: Any, lang: str) -> None:
    """Switch the shown page to ``lang`` with the header's language menu (results redrawn)."""
    choose_lang(page, lang)
    page.wait_for_function("(l) => document.documentElement.lang === l", arg=lang)


def test_no_serious_accessibility_violation_and_no_page_wider_than_a_phone(
        server: str, tmp_path: Path) -> None:
    """One walk: each page, with its results, is checked in English, switched to Japanese in
    place (as a user does) and checked again (colour contrast once: :data:`SWITCHED_OPTIONS`),
    then switched back; in each language it is also narrowed to a phone's width and
    measured (:func:`_too_wide`)."""
    ARTIFACTS.mkdir(exist_ok=True)
    pw, ctx = _browser(tmp_path, "en")
    found: dict[str, list[str]] = {}
    too_wide: list[tuple[str, str, int, list[str]]] = []
    seen = []
    try:
        page = ctx.new_page()
        page.goto(f"{server}/#/login")
        page.locator("#email").wait_for()
        _in(page, "en")
        for name in _pages(page, server):
            seen.append(name)
            for lang in ("en", "ja"):
                if lang == "ja":
                    _in(page, "ja")
                bad = _violations(page, AXE_OPTIONS if lang == "en" else SWITCHED_OPTIONS)
                if bad:
                    found[f"{name} ({lang})"] = bad
                if wide := _too_wide(page, lang, name):
                    too_wide.append((lang, name, *wide))
            _in(page, "en")
    finally:
        ctx.close()
        pw.stop()
    assert len(seen) == 17, seen
    assert not found, found
    assert not too_wide, f"wider than the 390 px screen (language, page, width, what): {too_wide}"


def test_the_checker_finds_a_violation(server: str, tmp_path: Path) -> None:
    """The checks can fail: an unlabelled field and low-contrast text are reported, and so is
    a box wider than a phone (the nature page's 560 px confusion matrix, 2026-12-06)."""
    pw, ctx = _browser(tmp_path, "en")
    try:
        page = ctx.new_page()
        page.goto(f"{server}/#/login")
        page.locator("#email").wait_for()
        page.evaluate("""() => { const f = document.createElement('input'); f.id = 'bare';
          document.querySelector('#login-form').append(f);
          const p = document.createElement('p'); p.textContent = 'faint';
          p.style.color = '#eee'; document.querySelector('#login-form').append(p); }""")
        rules = " ".join(_violations(page))
        assert "label" in rules and "color-contrast" in rules, rules
        assert _too_wide(page, "en", "checker") is None
        page.evaluate("""() => { const d = document.createElement('div'); d.id = 'wide';
          d.style.width = '560px'; d.style.height = '1px';
          document.querySelector('#login-form').append(d); }""")
        width, what = _too_wide(page, "en", "checker") or (0, [])
        assert width > 560 and any("DIV#wide" in w for w in what), (width, what)
    finally:
        ctx.close()
        pw.stop()


def test_shredder_monitor_in_japanese(server: str, tmp_path: Path) -> None:
    """Run the shipped 10-minute scenario: alarms with actions in Japanese, every event that
    needs an alarm caught, the chart titled with both axes; a bad scenario is refused with
    the service's reason beside the form."""
    from tests.web.test_screens import _check

    ARTIFACTS.mkdir(exist_ok=True)
    pw, ctx = _browser(tmp_path, "ja")
    errors: list[str] = []
    try:
        page = ctx.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server}/#/login")
        page.locator("#email").wait_for()
        choose_lang(page, "ja")
        page.fill("#email", DEMO_EMAIL)
        page.fill("#password", DEMO_PASSWORD)
        page.click("#login-form button[type=submit]")
        page.locator("#models-table tbody tr").first.wait_for()
        page.goto(f"{server}/#/sensing")
        doc = page.locator("#sn-doc")
        expect(doc).not_to_have_value("")
        page.fill("#sn-doc", "{")
        page.click("#sn-run")
        expect(page.locator("#sn-errors")).to_contain_text("正しいJSONではありません")
        page.fill(
            "#sn-doc",
            '{"sensing": 1, "name": "long", "seed": 1, "duration_s": 5000, "line": {"id": "L1"}}',
        )
        page.click("#sn-run")
        expect(page.locator("#sn-errors")).to_contain_text("at most 1200 s", timeout=60_000)
        page.select_option("#sn-example", "sensing_normal_20min")
        page.select_option("#sn-example", "sensing_jam_and_gas")
        expect(doc).to_have_value(re.compile('"jam and gas"'))
        page.click("#sn-run")
        page.locator("#sn-chart .main-svg").first.wait_for(timeout=300_000)
        expect(page.locator("#sn-errors")).to_be_empty()
        caught = "警報が必要な事象 5 件のうち 5 件を検知"
        expect(page.locator("#sn-summary")).to_contain_text(caught)
        layout = page.evaluate(
            "() => { const l = document.getElementById('sn-chart').layout;"
            " return [l.title.text, l.xaxis.title.text, l.yaxis.title.text,"
            " l.yaxis2.title.text]; }"
        )
        assert all(layout) and layout[1] == "時刻 [s]", layout
        expect(page.locator("#sn-truth tbody tr").first).to_contain_text("噛み込み")
        _check(page, "ja", "sensing", errors)
    finally:
        ctx.close()
        pw.stop()
