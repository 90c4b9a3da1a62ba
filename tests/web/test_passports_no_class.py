"""The Passports page says a lot of another material has no class in a ranked family (en
and ja), where it showed the soil family's fallback, "mud", for a PP lot."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import choose_lang, require_browser
from tests.web.conftest import sign_in as _sign_in

sync_api = require_browser()
expect = sync_api.expect

pytestmark = pytest.mark.slow


def test_a_pp_lot_has_no_soil_class(page: Any, server: str, tmp_path: Path) -> None:
    _sign_in(page, server)
    page.goto(f"{server}/#/passports")
    doc = tmp_path / "grade.yaml"
    shutil.copy("examples/market/grade.yaml", doc)
    page.set_input_files("#pp-doc", str(doc))
    page.fill("#pp-asof", "2026-12-07")
    page.get_by_role("button", name="Grade", exact=True).click()
    classes = page.locator("#pp-classes li")
    expect(classes).to_have_text(
        "soil-mlit: rpp-17 → no class (the family is for another material; the lot is PP), "
        "twitch-3 → no class (the family is for another material; the lot is aluminium), "
        "soil-A → soil-class-3")
    choose_lang(page, "ja")
    expect(classes).to_contain_text("rpp-17 → 区分なし（この区分は別の材料のもの。ロットはPP）")
