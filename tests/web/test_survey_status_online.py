"""The survey page says so when the connection returns, with nothing left to send (a review
of 2026-12-05: after a sync while offline the status kept saying "Offline", because only a
sync that sent something wrote the status)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import require_browser, sign_in

sync_api = require_browser()
expect = sync_api.expect
pytestmark = pytest.mark.slow


def test_the_offline_status_clears_when_the_connection_returns(page: Any, server: str) -> None:
    sign_in(page, server)
    page.goto(f"{server}/#/nature")
    expect(page.locator("#ns-checklist option").first).to_be_attached()
    expect(page.locator("#ns-queue tbody tr")).to_have_count(0)
    status = page.locator("#ns-status")
    page.context.set_offline(True)
    page.click("#ns-sync")
    expect(status).to_contain_text("Offline")
    page.context.set_offline(False)
    page.click("#ns-sync")  # or the "online" event: either syncs, and nothing is queued
    expect(status).not_to_contain_text("Offline", timeout=10_000)
