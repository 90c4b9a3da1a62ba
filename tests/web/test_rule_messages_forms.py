"""A refusal that is not a model's, in the user's language: offering a lot whose id is taken
answers 409 with its rule (``record-exists``) and the market page says it in Japanese, with
the lot's id, and no English line (so no "explanation in English" lead either)."""

from __future__ import annotations

import pytest

from tests.web.conftest import require_browser
from tests.web.conftest import sign_in as _sign_in

sync_api = require_browser()

pytestmark = pytest.mark.slow


def test_a_taken_lot_id_in_japanese(page, server: str) -> None:  # type: ignore[no-untyped-def]
    _sign_in(page, server)
    page.get_by_label("Language").select_option("ja")
    page.get_by_role("link", name="マーケット", exact=True).click()

    def offer() -> None:  # the form is cleared once an offer is saved
        for field, v in (("id", "taken-lot"), ("Si", "7"), ("Fe", "0.2"), ("Cu", "1"),
                         ("Mg", "0.2"), ("Zn", "0.2"), ("mass", "4"), ("lat", "33.87"),
                         ("lon", "130.79")):
            page.fill(f"#mk-o-{field}", v)
        page.click("#mk-offer-form button[type=submit]")

    errors = page.locator("#mk-o-errors li")
    offer()
    sync_api.expect(page.locator("#mk-offers")).to_contain_text("taken-lot")
    offer()
    sync_api.expect(errors).to_have_count(1)
    assert errors.all_inner_texts() == ["'taken-lot' は既にあります。先に削除してください"]
