"""Every page on a phone (390×844) in Debian's Chromium, signed in, in English and in Japanese:
the document is never wider than the screen (a wide table scrolls in its own box, a select or
fieldset fits its column), so nothing of a page is reached only by scrolling the whole page
sideways. The model page is measured with a run's results (its indicator table) and the form
editor open. Screenshots go to test-artifacts/phone-<lang>-<page>.png."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.web.conftest import ARTIFACTS, choose_lang, require_browser, sign_in

sync_api = require_browser()
pytestmark = pytest.mark.slow
expect = sync_api.expect

PHONE = {"width": 390, "height": 844}
PAGES: dict[str, str | None] = {
    "models": "#models-table tbody tr",
    "network": None,
    "foresight": "#fs-levers .lever",
    "alloys": "#al-buyer option",
    "trace": "#lots-table tbody tr",
    "market": None,
    "sensing": None,
    "analyses": "#an-model option",
    "indicators": "#ic-table tbody tr",
    "nature": None,
    "vision": None,
    "metering": None,
    "municipality": None,
    "reports": None,
    "solar": None,
}
"""Each page (its hash route) and what shows once its data came (None: the settled requests)."""

WIDE = """(vw) => [...document.querySelectorAll('body *')].filter((e) => e.offsetParent
  && e.getBoundingClientRect().right > vw + 1).slice(0, 8)
  .map((e) => e.tagName + (e.id ? '#' + e.id : '') + ' '
    + Math.round(e.getBoundingClientRect().right))"""
"""Elements reaching past the screen's right edge (for the failure's message)."""


def _settle(page: Any, inflight: set[Any], timeout: float = 30.0) -> None:
    """Wait until no request of the page has been open for 0.5 s (a page's data), then two
    animation frames (the drawing that follows it); go on after ``timeout`` (a page that
    polls). (0.75 s and 0.3 s more cost the walk 14 s of CI, 2026-12-06.)"""
    quiet, end = 0, time.monotonic() + timeout
    while quiet < 2 and time.monotonic() < end:
        page.wait_for_timeout(250)
        quiet = 0 if inflight else quiet + 1
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => "
                  "requestAnimationFrame(done)))")


def _width(page: Any) -> tuple[int, int, list[str]]:
    sw, iw = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    return sw, iw, page.evaluate(WIDE, iw) if sw > iw else []


def test_no_page_is_wider_than_a_phone(page: Any, server: str) -> None:
    page.set_viewport_size(PHONE)
    inflight: set[Any] = set()
    page.on("request", lambda r: inflight.add(r))
    page.on("response", lambda r: inflight.discard(r.request))  # answered: drawing follows at once
    page.on("requestfailed", lambda r: inflight.discard(r))
    sign_in(page, server)
    models = page.evaluate("async () => (await (await fetch('/api/models')).json())"
                           ".map((m) => [m.name, m.id])")
    model_id = dict(models)["atm_reuse"]
    too_wide = []
    for lang in ("en", "ja"):
        page.goto(f"{server}/#/models")
        choose_lang(page, lang)
        page.wait_for_function("(l) => document.documentElement.lang === l", arg=lang)
        for name, ready in PAGES.items():
            inflight.clear()
            page.goto(f"{server}/#/{name}")
            expect(page.locator(f"#view-{name}")).to_be_visible()
            if ready:
                page.locator(ready).first.wait_for(state="attached", timeout=30_000)
            _settle(page, inflight)
            sw, iw, wide = _width(page)
            page.screenshot(path=str(ARTIFACTS / f"phone-{lang}-{name}.png"), full_page=True)
            if sw > iw:
                too_wide.append((lang, name, sw, wide))
        # the model page with a run's results and the form editor open
        inflight.clear()
        page.goto(f"{server}/#/models/{model_id}")
        expect(page.locator("#params .param").first).to_be_attached()
        _settle(page, inflight)
        page.locator("#run").click()
        expect(page.locator("#indicators-table tbody tr").first).to_be_attached(timeout=60_000)
        page.locator("#workspace > summary").click()
        expect(page.locator("#mf-root .mf-field").first).to_be_attached(timeout=30_000)
        _settle(page, inflight)
        sw, iw, wide = _width(page)
        page.screenshot(path=str(ARTIFACTS / f"phone-{lang}-model.png"), full_page=True)
        if sw > iw:
            too_wide.append((lang, "model", sw, wide))
    assert not too_wide, f"wider than the 390 px screen (language, page, width, what): {too_wide}"
