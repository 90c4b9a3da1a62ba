"""The field survey's retry, in a real browser (a review of 2026-12-06): a sync the network
failed, while the browser said it was online, is tried again every 5 s; that went on after the
surveyor had left the survey for another page of the app (a single-page app: the survey's module
stays loaded), sending the queue from a page nobody was looking at. Now leaving the page stops the
retries, and opening it again syncs at once and then retries every 5 s, once (not twice over)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.web.conftest import fill_observation, require_browser, sign_in

sync_api = require_browser()
expect = sync_api.expect
pytestmark = pytest.mark.slow

RETRY_S = 5.0
"""survey.js RETRY_MS: the wait before a failed sync is tried again."""


def _wait_for(page: Any, syncs: list[float], n: int, timeout_s: float = 20.0) -> None:
    """Wait (the page running) until `syncs` holds `n` requests."""
    end = time.monotonic() + timeout_s
    while len(syncs) < n and time.monotonic() < end:
        page.wait_for_timeout(100)
    assert len(syncs) >= n, (len(syncs), n)


def test_a_failed_sync_is_not_retried_after_leaving_the_survey(page: Any, server: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, server)
    syncs: list[float] = []

    def fail(route: Any) -> None:  # the network fails; the browser still says it is online
        syncs.append(time.monotonic())
        route.abort()

    page.route("**/api/nature/survey/sync", fail)
    page.goto(f"{server}/#/nature")
    expect(page.locator("#ns-checklist option").first).to_be_attached()
    fill_observation(page, "Copsychus saularis", "2")
    page.click("#ns-save")
    expect(page.locator("#ns-queue tbody tr")).to_have_count(1)
    expect(page.locator("#ns-status")).to_contain_text("Offline")
    assert page.evaluate("navigator.onLine")

    # on the survey page, the failed sync is tried again after 5 s
    _wait_for(page, syncs, 2)
    assert syncs[1] - syncs[0] >= RETRY_S - 0.5, syncs

    # the surveyor goes to another page: nothing more is sent from the survey
    page.locator("#nav-main a[href='#/models']").click()
    page.get_by_role("heading", name="Models", exact=True).wait_for()
    left = len(syncs)
    page.wait_for_timeout(int(2.5 * RETRY_S * 1000))
    assert len(syncs) == left, syncs

    # back on the survey: a sync at once, then one retry every 5 s (one timer, not two)
    page.locator("#nav-main a[href='#/nature']").click()
    expect(page.locator("#ns-queue tbody tr")).to_have_count(1)
    _wait_for(page, syncs, left + 3, timeout_s=30.0)
    gaps = [b - a for a, b in zip(syncs[left:], syncs[left + 1:], strict=False)]
    assert all(g >= RETRY_S - 0.5 for g in gaps), gaps
    expect(page.locator("#ns-queue tbody tr")).to_have_count(1)  # still queued, nothing lost
    page.locator("#nav-main a[href='#/models']").click()
    page.get_by_role("heading", name="Models", exact=True).wait_for()
    left = len(syncs)
    page.wait_for_timeout(int(1.5 * RETRY_S * 1000))
    assert len(syncs) == left, syncs
    assert not errors, errors
