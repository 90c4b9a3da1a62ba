"""The Lots page says when a genealogy answer was capped (``truncated``): how many lots it
shows, how many linked lots it left out and the limit, in English and Japanese; nothing when
the whole genealogy fits."""

from __future__ import annotations

from typing import Any

import pytest

from junkan.core.limits import override_limits
from tests.web.conftest import post_events, require_browser
from tests.web.conftest import sign_in as _sign_in

sync_api = require_browser()
expect = sync_api.expect

pytestmark = pytest.mark.slow

PARTS = 6
"""Outputs of the split the test records: the root and its parts are PARTS + 1 lots."""


def _record_split(page: Any) -> None:
    """Record a lot split into PARTS lots as the signed-in organisation."""
    events = [
        {"type": "create", "lot": "CAP-ROOT", "material": "copper scrap", "mass_kg": 60,
         "cfp": {"total": 30}},
        {"type": "split", "lot": "CAP-ROOT",
         "outputs": [{"lot": f"CAP-PART-{i}", "mass_kg": 10} for i in range(PARTS)]},
    ]
    post_events(page, events)


def _show(page: Any, lot: str) -> None:
    page.get_by_label("Lot id").fill(lot)
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#tr-summary")).to_contain_text(f"Lot {lot} (copper scrap")
    page.locator("#tr-graph .main-svg").first.wait_for()


def test_capped_genealogy_says_what_was_left_out(page: Any, server: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _sign_in(page, server)
    page.get_by_role("link", name="Lots", exact=True).click()
    page.get_by_role("heading", name="Lots: footprint, recycled content and genealogy").wait_for()
    _record_split(page)
    notice = page.locator("#tr-truncated")

    # the whole genealogy fits: no notice
    _show(page, "CAP-ROOT")
    expect(page.locator("#tr-graph")).to_contain_text("CAP-PART-5")
    expect(notice).to_be_hidden()

    # at most 3 lots per answer (the server runs in this process): the root and 2 parts shown,
    # the 4 other parts left out, and the page says so
    with override_limits(trace_genealogy_nodes=3):
        _show(page, "CAP-ROOT")
        expect(notice).to_be_visible()
        expect(notice).to_have_text(
            "Genealogy capped: showing the nearest 3 lots; at least 4 more linked lots are left "
            "out (limit: 3 lots per answer, fewer when they have many links).")
        expect(notice).to_have_attribute("role", "status")

        # the same notice in Japanese (the page redraws the lot in the new language)
        page.get_by_label("Language").select_option("ja")
        expect(notice).to_contain_text("近い順に 3 ロットを表示し")
        expect(notice).to_contain_text("少なくとも 4 ロットを省略しました")
        expect(notice).to_contain_text("上限：1回の回答で 3 ロット")
        page.get_by_label("言語").select_option("en")
        expect(notice).to_contain_text("showing the nearest 3 lots")

    # back under the limit: the notice goes away
    _show(page, "CAP-ROOT")
    expect(notice).to_be_hidden()
    assert errors == []
