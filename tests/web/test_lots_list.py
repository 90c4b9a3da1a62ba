"""The Lots page's list in a real browser: search by id, filter by material and holder, page
through the lots the organisation may see, open one (footprint and genealogy), the empty state,
an error beside the form, and the same list in Japanese."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import choose_lang, post_events, require_browser
from tests.web.conftest import sign_in as _sign_in

sync_api = require_browser()
expect = sync_api.expect

pytestmark = pytest.mark.slow

EXTRA = 12
"""Lots of a material the demo seed does not use, recorded by the test to need two pages."""


def _record_lots(page: Any) -> None:
    """Record EXTRA copper lots as the signed-in organisation (the session's cookie)."""
    events = [
        {
            "type": "create",
            "lot": f"CU-{i:02d}",
            "material": "copper scrap",
            "mass_kg": 100 + i,
            "cfp": {"total": 50 + i},
            "recycled": {"pre_consumer": 0.5},
        }
        for i in range(1, EXTRA + 1)
    ]
    post_events(page, events)


def _search(page: Any, q: str = "", material: str = "", holder: str = "") -> None:
    page.get_by_label("Search by id").fill(q)
    page.get_by_label("Material", exact=True).fill(material)
    page.get_by_label("Holder", exact=True).fill(holder)
    page.get_by_role("button", name="Search", exact=True).click()
    _settled(page)


def _settled(page: Any) -> None:
    """Wait for the list's answer (the section is busy from the click until it is drawn)."""
    page.wait_for_selector("#lots-list:not([aria-busy])", state="attached")


def _ids(page: Any) -> list[str]:
    return [
        x.strip() for x in page.locator("#lots-table tbody tr td:first-child").all_inner_texts()
    ]


def test_search_page_and_open_a_lot(page: Any, server: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _sign_in(page, server)
    page.get_by_role("link", name="Lots", exact=True).click()
    # the demo company's three lots, newest first; the partner's remelted lot is not its data
    expect(page.locator("#lots-range")).to_have_text("1–3 of 3")
    assert _ids(page) == ["DEMO-BLEND-1", "DEMO-INGOT-1", "DEMO-SCRAP-1"]
    blend = page.locator("#lots-table tbody tr").first
    expect(blend).to_contain_text("Partner Recycling")  # shipped and received: the partner holds it
    expect(blend.locator("td").nth(5)).to_have_text("0.3")  # 12 kg CO2e / 40 kg
    expect(page.locator("#lots-table tbody tr").nth(1).locator("td").nth(4)).to_have_text(
        "declared"
    )

    # search by a part of the id, any case; filter by holder
    _search(page, q="scrap")
    expect(page.locator("#lots-range")).to_have_text("1–1 of 1")
    assert _ids(page) == ["DEMO-SCRAP-1"]
    _search(page, holder="Partner Recycling")
    expect(page.locator("#lots-range")).to_have_text("1–1 of 1")
    assert _ids(page) == ["DEMO-BLEND-1"]

    # page through more lots than one page holds
    _record_lots(page)
    page.get_by_label("Per page").select_option("10")
    _search(page, material="Copper Scrap")
    expect(page.locator("#lots-range")).to_have_text(f"1–10 of {EXTRA}")
    assert _ids(page) == [f"CU-{i:02d}" for i in range(EXTRA, EXTRA - 10, -1)]
    expect(page.get_by_role("button", name="Previous")).to_be_disabled()
    page.get_by_role("button", name="Next", exact=True).click()
    _settled(page)
    expect(page.locator("#lots-range")).to_have_text(f"11–{EXTRA} of {EXTRA}")
    assert _ids(page) == ["CU-02", "CU-01"]
    expect(page.get_by_role("button", name="Next", exact=True)).to_be_disabled()
    page.get_by_role("button", name="Previous").click()
    _settled(page)
    expect(page.locator("#lots-range")).to_have_text(f"1–10 of {EXTRA}")
    expect(page.locator("#lots-table tbody tr").first.locator("td").nth(6)).to_have_text("50 %")

    # nothing found: the empty state instead of a table
    _search(page, q="no-such-lot")
    expect(page.locator("#lots-empty")).to_have_text("No lot matches these filters.")
    expect(page.locator("#lots-table")).to_be_hidden()
    expect(page.locator("#lots-range")).to_have_text("")

    # creation dates: nothing was made before 2000; every lot was made by tomorrow
    page.get_by_label("Made to").fill("2000-01-01")
    _search(page)
    expect(page.locator("#lots-empty")).to_have_text("No lot matches these filters.")
    page.get_by_label("Made to").fill("2999-12-31")
    page.get_by_label("Made from").fill("2000-01-01")
    _search(page)
    expect(page.locator("#lots-range")).to_have_text(f"1–10 of {EXTRA + 3}")
    page.get_by_label("Made from").fill("")
    page.get_by_label("Made to").fill("")

    # a refused query: its message beside the form, no stale table
    page.evaluate("document.getElementById('lots-q').value = 'x'.repeat(201)")
    page.get_by_role("button", name="Search", exact=True).click()
    _settled(page)
    expect(page.locator("#lots-errors li")).not_to_have_count(0)
    expect(page.locator("#lots-table")).to_be_hidden()

    # open a lot from the list: its footprint and genealogy below
    page.get_by_role("button", name="Clear filters").click()
    _settled(page)
    expect(page.locator("#lots-errors li")).to_have_count(0)
    expect(page.locator("#lots-range")).to_have_text(f"1–10 of {EXTRA + 3}")
    page.get_by_role("button", name="Next", exact=True).click()
    _settled(page)
    expect(page.locator("#lots-range")).to_have_text(f"11–{EXTRA + 3} of {EXTRA + 3}")
    page.get_by_role("button", name="Open lot DEMO-BLEND-1").click()
    expect(page.locator("#tr-summary")).to_contain_text("Lot DEMO-BLEND-1 (aluminium scrap, 40 kg)")
    expect(page.locator("#tr-summary")).to_contain_text("CFP 12 kg CO2e")
    page.locator("#tr-graph .main-svg").first.wait_for()
    expect(page.locator("#tr-graph")).to_contain_text("DEMO-SCRAP-1")
    # a click anywhere on a row opens that lot too
    scrap = page.locator("#lots-table tbody tr").filter(has_text="DEMO-SCRAP-1")
    scrap.locator("td").nth(2).click()
    expect(page.locator("#tr-summary")).to_contain_text("Lot DEMO-SCRAP-1 (aluminium scrap, 10 kg)")
    expect(page.locator("#lots-table tbody tr[aria-current]")).to_have_attribute(
        "data-lot", "DEMO-SCRAP-1"
    )

    # Japanese: the list keeps its page and speaks Japanese
    choose_lang(page, "ja")
    expect(page.locator("#lots-range")).to_have_text(f"{EXTRA + 3} 件中 11–{EXTRA + 3} 件")
    expect(page.locator("#lots-table thead")).to_contain_text("保有者")
    expect(page.locator("#lots-table tbody")).to_contain_text("申告値")
    expect(page.get_by_role("button", name="次へ")).to_be_disabled()
    assert not errors, errors


def test_reversed_creation_dates_are_said_beside_the_field_in_japanese(
    page: Any, server: str
) -> None:
    """"Made to" before "Made from": the Japanese page showed the service's refusal in
    English under the English-fallback lead ("made_to: 2026-01-01 is before made_from
    (2026-12-31)"), naming the query's parameters; it is said beside "Made to" in the page's
    language, nothing is asked of the service, and it goes once the days are in order."""
    _sign_in(page, server)
    page.goto(f"{server}/#/trace")
    expect(page.locator("#lots-table tbody tr")).not_to_have_count(0)
    choose_lang(page, "ja")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/trace/lots?" in r.url else None)
    page.get_by_label("作成日(から)").fill("2026-12-31")
    page.get_by_label("作成日(まで)").fill("2026-01-01")
    page.get_by_role("button", name="検索", exact=True).click()
    expect(page.locator("#lots-to-problem")).to_have_text(
        "作成日(まで) が 作成日(から)（2026-12-31）より前です。"
        "同じ日かそれより後の日を選んでください。"
    )
    expect(page.locator("#lots-to")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#lots-errors li")).to_have_count(0)
    assert asked == []
    page.get_by_label("作成日(まで)").fill("2999-12-31")
    expect(page.locator("#lots-to-problem")).to_have_count(0)
    page.get_by_role("button", name="検索", exact=True).click()
    expect(page.locator("#lots-table tbody tr")).not_to_have_count(0)
    assert len(asked) == 1


def test_a_grant_to_an_unknown_organisation_names_the_grantee(page: Any, server: str) -> None:
    """A grant to an organisation that is not registered was answered "見つかりません。" /
    "Not found." alone: the user was not told what was not found. The grantee is named."""
    _sign_in(page, server)
    page.goto(f"{server}/#/trace")
    choose_lang(page, "ja")
    page.get_by_label("被許諾者").fill("Nobody Org")
    page.get_by_label("ロット（カンマ区切り、* は自社作成の全ロット）").fill("DEMO-SCRAP-1")
    page.get_by_label("CFP", exact=True).check()
    page.get_by_label("目的", exact=True).fill("監査")
    page.get_by_label("期限", exact=True).fill("2099-12-31")
    page.get_by_role("button", name="許諾", exact=True).click()
    expect(page.locator("#tr-grant-errors li")).to_have_text(
        "被許諾者：'Nobody Org' という名前の組織はありません。"
        "登録されている組織名をそのまま入力してください。"
    )
