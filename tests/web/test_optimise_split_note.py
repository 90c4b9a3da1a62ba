"""The analyses page says when the best loop takes a scenario apart (en and ja): with the
decisions read from compressor_magnet's scenarios, the best for CO2e takes scenario A's
magnet extraction without its return collection — a combination no scenario describes, said
nowhere on the page (review 315)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import choose_lang, require_browser
from tests.web.test_analyses_review import _choose, _open

sync_api = require_browser()
expect = sync_api.expect
pytestmark = pytest.mark.slow


def test_a_scenario_taken_apart_is_said(page: Any, server: str) -> None:
    errors = _open(page, server)
    _choose(page, "compressor_magnet", "optimise")
    page.fill("#an-spec", "")  # no settings: the decisions come from the model's scenarios
    with page.expect_response(re.compile(r"/api/lifecycle/analyses\?kind=")):
        page.click("#an-start")
    expect(page.locator("#an-start")).to_be_enabled(timeout=240_000)
    expect(page.locator("#an-result")).to_be_visible(timeout=60_000)
    note = page.locator("#an-notes li[data-note='split']")
    expect(note.first).to_contain_text(
        "The best combination takes scenario A's settings in "
        "products.room_ac.maintenance_0_.extract but not in "
        "products.room_ac.maintenance_0_.collection.processes, which it sets together")
    expect(note.first).to_have_attribute("role", "alert")
    choose_lang(page, "ja")
    expect(note.first).to_contain_text("最良の組合せはシナリオ A の設定を")
    assert errors == []
