"""The field survey's retry, in a real browser (a review of 2026-12-06): a sync the network
failed, while the browser said it was online, is tried again every 5 s; that went on after the
surveyor had left the survey for another page of the app (a single-page app: the survey's module
stays loaded), sending the queue from a page nobody was looking at. Now leaving the page stops the
retries, and opening it again syncs at once and then retries every 5 s, once (not twice over).

The page's clock is Playwright's (paused, moved on by the test): the retries are counted in the
page's own time, without waiting 40 s of real time for them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import fill_observation, require_browser, sign_in

sync_api = require_browser()
expect = sync_api.expect
pytestmark = pytest.mark.slow

RETRY_MS = 5_000
"""survey.js RETRY_MS: the wait before a failed sync is tried again."""


def _syncs_after(page: Any, syncs: list[int], ms: int, n: int) -> None:
    """Move the page's clock on by `ms` (firing its timers), then wait (real time) until
    `syncs` holds `n` requests, and a moment longer for any that should not have come."""
    page.clock.run_for(ms)
    for _ in range(100):
        if len(syncs) >= n:
            break
        page.wait_for_timeout(50)
    page.wait_for_timeout(300)
    assert len(syncs) == n, (len(syncs), n, ms)


def test_a_failed_sync_is_not_retried_after_leaving_the_survey(page: Any, server: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.clock.install()
    sign_in(page, server)
    syncs: list[int] = []

    def fail(route: Any) -> None:  # the network fails; the browser still says it is online
        syncs.append(1)
        route.abort()

    page.route("**/api/nature/survey/sync", fail)
    page.goto(f"{server}/#/nature")
    expect(page.locator("#ns-checklist option").first).to_be_attached()
    page.clock.pause_at(page.evaluate("Date.now()") + 1_000)  # from here, only as moved on
    fill_observation(page, "Copsychus saularis", "2")
    page.click("#ns-save")
    expect(page.locator("#ns-queue tbody tr")).to_have_count(1)
    expect(page.locator("#ns-status")).to_contain_text("Offline")
    assert page.evaluate("navigator.onLine")
    _syncs_after(page, syncs, 0, 1)

    # on the survey page, the failed sync is tried again after 5 s, not before
    _syncs_after(page, syncs, RETRY_MS - 500, 1)
    _syncs_after(page, syncs, 500, 2)

    # the surveyor goes to another page: nothing more is sent from the survey
    page.locator("#nav-main a[href='#/models']").click()
    page.get_by_role("heading", name="Models", exact=True).wait_for()
    _syncs_after(page, syncs, 5 * RETRY_MS, 2)

    # back on the survey: a sync at once, then one retry every 5 s (one timer, not two)
    page.locator("#nav-main a[href='#/nature']").click()
    expect(page.locator("#ns-queue tbody tr")).to_have_count(1)
    _syncs_after(page, syncs, 0, 3)
    for n in (4, 5, 6):
        _syncs_after(page, syncs, RETRY_MS - 500, n - 1)
        _syncs_after(page, syncs, 500, n)
    expect(page.locator("#ns-queue tbody tr")).to_have_count(1)  # still queued, nothing lost
    page.locator("#nav-main a[href='#/models']").click()
    page.get_by_role("heading", name="Models", exact=True).wait_for()
    _syncs_after(page, syncs, 3 * RETRY_MS, 6)
    assert not errors, errors
