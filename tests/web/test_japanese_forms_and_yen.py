"""A Japanese reader's view of three things a browser review found in English or in the
browser's words: an infeasible alloy plan is said in Japanese (its binding limits as text, no
Python list, no "(英語)" lead); a form's wrong field is said by the page, in Japanese, beside
the field (the forms are novalidate: no browser bubble in the browser's language); large yen
amounts read in 万/億 with the exact figure kept as the title, while English keeps separators."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import choose_lang, require_browser, sign_in

sync_api = require_browser()
pytestmark = pytest.mark.slow
expect = sync_api.expect

PLAN = 180_000
"""A plan with its lever search runs dozens of LPs; on a loaded machine that takes a while."""


def _alloys_in_japanese(page: Any, server: str) -> None:
    sign_in(page, server)
    page.get_by_label("Language").select_option("ja")
    page.get_by_role("heading", name="モデル", exact=True).wait_for()
    page.goto(f"{server}/#/alloys")
    expect(page.locator("#al-vehicles input").first).to_be_visible()


def test_an_infeasible_plan_is_said_in_japanese(page: Any, server: str) -> None:
    _alloys_in_japanese(page, server)
    page.select_option("#al-buyer", "casting_premium")
    page.click("#al-plan")
    errors = page.locator("#al-errors")
    expect(errors).to_contain_text("受入規格を満たせません", timeout=PLAN)
    expect(errors).to_contain_text("満たせる最も近い規格：Fe ≤")
    text = errors.inner_text()
    assert "[" not in text and "'" not in text, text  # no Python list
    assert "英語" not in text and "no blend" not in text, text
    assert re.search(r"制約となっている上限：[A-Z][a-z]?(、[A-Z][a-z]?)*。", text), text


def test_forms_are_checked_by_the_page_in_its_language(page: Any, server: str) -> None:
    page.goto(f"{server}/#/login")
    # the page's script has run (it shows the sign-in view): a language chosen before its
    # listener was attached stayed English (the fresh-clone CI failed so once)
    expect(page.locator("#view-login")).to_be_visible()
    page.get_by_label("Language").select_option("ja")
    expect(page.locator("label[for=email]")).to_have_text("メールアドレス")
    # no form with HTML constraints leaves them to the browser's own bubbles
    left = page.evaluate("""() => [...document.forms].filter((f) => !f.noValidate
        && f.querySelector('[required], [min], [max], [step], [pattern]')).map((f) => f.id)""")
    assert left == []
    page.click("#login-form button[type=submit]")
    expect(page.locator("#email-problem")).to_have_text("メールアドレス：入力してください。")
    expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#email")).to_be_focused()
    page.fill("#email", "demo")
    expect(page.locator("#email-problem")).to_contain_text("メールアドレスを入力してください")
    page.fill("#email", "demo@junkan.local")
    expect(page.locator("#email-problem")).to_have_count(0)
    expect(page.locator("#password-problem")).to_have_text("パスワード：入力してください。")
    assert page.url.endswith("#/login")  # nothing was sent

    page.fill("#password", "junkan-demo-2024")
    page.click("#login-form button[type=submit]")
    page.get_by_role("heading", name="モデル", exact=True).wait_for()
    page.goto(f"{server}/#/alloys")
    expect(page.locator("#al-vehicles input").first).to_be_visible()
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/api/alloys/p" in r.url else None)
    page.fill("#al-prob", "2")
    page.click("#al-plan")
    expect(page.locator("#al-prob-problem")).to_contain_text("2 は 0.5〜0.99 の範囲外です")
    page.fill("#al-prob", "0.9")
    page.fill("#al-count-0", "1.5")
    page.click("#al-form button[type=submit]")
    expect(page.locator("#al-count-0-problem")).to_contain_text("整数")
    assert sent == []
    choose_lang(page, "en")  # said again in the new language
    expect(page.locator("#al-count-0-problem")).to_contain_text(  # the label in English too
        "kei hatchback 2008 ICEV (38 kg Al): 1.5 is not a whole number; enter one without "
        "decimals.")


def test_yen_amounts_in_japanese_units(page: Any, server: str) -> None:
    _alloys_in_japanese(page, server)
    said = """async () => { const y = await import('/static/yen.js');
        return [y.yen(62769510), y.yen(1.2e8), y.yen(521920), y.yen(52000),
                y.yenExact(62769510), y.yenFigure(-3.5e12), y.yen(99999999),
                y.yen(999950000000), y.yen(-99995000)]; }"""
    # amounts that round up to 10,000 of a unit are said in the next (not "10,000万円"); a
    # negative one after the charts' minus sign (U+2212), not a hyphen
    assert page.evaluate(said) == ["6,277万円", "1.2億円", "52.19万円", "52,000円",
                                   "62,769,510円", "\u22123.5兆", "1億円", "1兆円", "\u22121億円"]
    page.select_option("#al-buyer", "adc12_feed")
    page.click("#al-plan")
    summary = page.locator("#al-plan-summary")
    expect(summary).to_contain_text("計画：利益", timeout=PLAN)
    assert re.search(r"利益 \u2212?[\d,.]+[万億]円", summary.inner_text()), summary.inner_text()
    title = summary.get_attribute("title") or ""
    assert re.search(r"利益 \u2212?\d{1,3}(,\d{3})+円", title), title
    choose_lang(page, "en")
    expect(summary).to_contain_text("Plan: margin")
    assert re.search(r"margin \u2212?\d{1,3}(,\d{3})+ JPY", summary.inner_text())
    assert page.evaluate(said)[:2] == ["62,769,510 JPY", "120,000,000 JPY"]
