"""Forms whose page runs its own checks (market, alloys, future scenarios, reports and solar
panels) say each field's problem beside that field, as the forms checked by formcheck.js do:
the message in the page's language (again in the new one after a switch), the field marked
aria-invalid, and both gone once the field is corrected. The list at the form's top or bottom
stays as it was."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import choose_lang, require_browser, sign_in

sync_api = require_browser()
pytestmark = pytest.mark.slow
expect = sync_api.expect

CHECK = 30_000
"""A page's first answer (a run of the scenarios, the alloy library) may take seconds on a loaded
machine."""


def _language(page: Any, lang: str) -> None:
    choose_lang(page, lang)
    page.wait_for_function(f"() => document.documentElement.lang === '{lang}'")


def _said_beside(page: Any, field: str, text: str) -> None:
    """The message beside `field` (the one the field is described by) and the field marked."""
    note = page.locator(f"#{field}-problem")
    expect(note).to_have_text(text, timeout=CHECK)
    expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
    assert f"{field}-problem" in (page.locator(f"#{field}").get_attribute("aria-describedby") or "")
    # beside the field: the next element after it, not in the form's list
    after = page.evaluate(f"() => document.getElementById('{field}').nextElementSibling.id")
    assert after == f"{field}-problem"


def _cleared(page: Any, field: str) -> None:
    expect(page.locator(f"#{field}-problem")).to_have_count(0)
    expect(page.locator(f"#{field}")).not_to_have_attribute("aria-invalid", "true")


def test_market_offer_says_each_problem_beside_its_field(page: Any, server: str) -> None:
    sign_in(page, server)
    page.goto(f"{server}/#/market")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    for field, v in (
        ("id", "beside-lot"),
        ("Si", "150"),
        ("mass", "3"),
        ("lat", "50"),
        ("lon", "130"),
    ):
        page.fill(f"#mk-o-{field}", v)
    page.click("#mk-offer-form button[type=submit]")
    _said_beside(page, "mk-o-lat", "Latitude (°): 50 is outside the range 20 to 46.")
    _said_beside(page, "mk-o-Si", "Si (wt %): 150 is outside the range 0 to 100.")
    expect(page.locator("#mk-o-Si")).to_be_focused()  # the first field wrong
    expect(page.locator("#mk-o-errors li")).to_have_count(2)  # the list as before
    expect(page.locator("#mk-o-mass")).not_to_have_attribute("aria-invalid", "true")
    assert not [u for u in posts if u.endswith("/api/market/offers")]
    _language(page, "ja")
    _said_beside(page, "mk-o-lat", "緯度（°）：50 は 20〜46 の範囲外です。")
    _said_beside(page, "mk-o-Si", "Si（wt %）：150 は 0〜100 の範囲外です。")
    page.fill("#mk-o-lat", "33.87")
    _cleared(page, "mk-o-lat")
    expect(page.locator("#mk-o-Si-problem")).to_be_visible()  # the other one still wrong
    page.fill("#mk-o-Si", "7")
    _cleared(page, "mk-o-Si")
    # the condition form too: an empty required field
    page.fill("#mk-c-id", "c-beside")
    page.click("#mk-cond-form button[type=submit]")
    _said_beside(page, "mk-c-price", "基準価格（円/kg）：数値を入力してください。")
    page.fill("#mk-c-price", "300")
    _cleared(page, "mk-c-price")


def test_scenario_count_is_said_beside_its_field(page: Any, server: str) -> None:
    sign_in(page, server)
    page.goto(f"{server}/#/foresight")
    expect(page.locator("#fs-status")).to_contain_text("2,000 scenarios in", timeout=CHECK)
    n = page.locator("#fs-n")
    n.fill("5")
    n.dispatch_event("change")
    _said_beside(page, "fs-n", "Scenarios: enter a whole number from 100 to 20,000 (given: 5).")
    expect(page.locator("#fs-errors")).to_have_text(
        "Scenarios: enter a whole number from 100 to 20,000 (given: 5)."
    )
    _language(page, "ja")
    _said_beside(page, "fs-n", "シナリオ数：100〜20,000 の整数を入力してください（入力値：5）。")
    n.fill("")  # still wrong (empty): the message says so, it does not go
    _said_beside(page, "fs-n", "シナリオ数：数値を入力してください。")
    n.fill("300")
    _cleared(page, "fs-n")
    n.dispatch_event("change")
    expect(page.locator("#fs-status")).to_contain_text("300", timeout=CHECK)
    expect(page.locator("#fs-errors")).to_have_text("")


def test_alloy_form_and_its_refusals_are_said_beside_the_fields(page: Any, server: str) -> None:
    sign_in(page, server)
    page.goto(f"{server}/#/alloys")
    count = page.locator("#al-count-0")
    expect(count).to_be_visible(timeout=CHECK)
    label = page.locator("label[for=al-count-0]").inner_text()
    count.fill("2.5")
    page.click("#al-plan")
    _said_beside(
        page, "al-count-0", f"{label}: 2.5 is not a whole number; enter one without decimals."
    )
    _language(page, "ja")
    label_ja = page.locator("label[for=al-count-0]").inner_text()
    _said_beside(
        page,
        "al-count-0",
        f"{label_ja}：2.5 は整数ではありません。小数点のない数を入力してください。",
    )
    count.fill("10")
    _cleared(page, "al-count-0")
    # a value the service refuses though the form let it pass (its limit lifted here, as a page
    # behind the service's rules would): the refusal beside the field, not only in the list
    page.evaluate("document.getElementById('al-prob').removeAttribute('max')")
    page.fill("#al-prob", "1")
    page.click("#al-plan")
    expect(page.locator("#al-errors")).to_contain_text("1 未満", timeout=CHECK)
    _said_beside(page, "al-prob", "規格を満たす確率（要求値）: 1 未満の値にしてください")
    _language(page, "en")
    _said_beside(
        page, "al-prob", "Required probability of meeting the window: Input should be less than 1"
    )
    page.fill("#al-prob", "0.9")
    _cleared(page, "al-prob")


def test_report_period_and_substance_lines_are_said_beside_their_fields(
    page: Any, server: str
) -> None:
    sign_in(page, server)
    page.goto(f"{server}/#/reports")
    expect(page.locator("#rp-plan")).not_to_have_value("", timeout=CHECK)
    page.fill("#rp-period", "2028Q5")
    page.click("#rp-run")
    _said_beside(
        page,
        "rp-period",
        "Period: FY followed by the year (FY2028), a year (2028) or a quarter (2028Q1).",
    )
    expect(page.locator("#rp-errors")).to_contain_text("Period: FY followed by the year")
    _language(page, "ja")
    _said_beside(
        page,
        "rp-period",
        "期間: FYと年 (FY2028)、年 (2028)、四半期 (2028Q1) のいずれかにしてください。",
    )
    page.fill("#rp-period", "2028Q6")  # edited, still wrong: still said
    expect(page.locator("#rp-period-problem")).to_be_visible()
    page.fill("#rp-period", "2028Q1")
    _cleared(page, "rp-period")
    page.goto(f"{server}/#/solar")
    page.locator("#so-add-model summary").click()
    page.fill("#so-m-name", "PV-B")
    page.fill("#so-m-mass", "20")
    page.fill("#so-m-glass", "75")
    page.fill("#so-m-subst", "Pb, solder ribbon, 0.2\nHg, frame, 1")
    page.click("#so-m-run")
    _said_beside(
        page,
        "so-m-subst",
        "有害物質の 2 行目: 物質 (Pb、Cd、As、Se、Sb)、部位、含有率 "
        "(0〜100 wt%) をカンマで区切って書いてください。",
    )
    page.fill("#so-m-subst", "Pb, solder ribbon, 0.2")
    _cleared(page, "so-m-subst")


def test_a_pattern_refusal_says_the_form_the_field_takes(page: Any, server: str) -> None:
    """A model number with a space (PV-X 300, as a nameplate may print it) was refused with
    "the text is not in the form the field asks for", which named no form in either language;
    the message says the characters the field takes (form.like.<pattern>)."""
    sign_in(page, server)
    page.goto(f"{server}/#/solar")
    page.locator("#so-add-model summary").click()
    page.fill("#so-m-name", "PV-X 300")
    page.fill("#so-m-mass", "20")
    page.fill("#so-m-glass", "75")
    page.click("#so-m-run")
    _said_beside(
        page,
        "so-m-name",
        "Model number (as on the nameplate): write a letter or digit, then up to 79 letters, "
        "digits or . _ : / - (no spaces).",
    )
    _language(page, "ja")
    _said_beside(
        page,
        "so-m-name",
        "型式番号 (銘板のとおり)：英字か数字で始め、続けて英字・数字・. _ : / - を 79 文字まで"
        "（空白なし）で書いてください。",
    )
    page.fill("#so-m-name", "PV-X300")
    _cleared(page, "so-m-name")


def test_a_bound_on_one_side_is_said_without_infinity(page: Any, server: str) -> None:
    """A vehicle count below 0 (the field has a least value and no most) was said as "enter
    a whole number from 0 to Infinity" / "0〜Infinity の整数"; it names the one bound."""
    sign_in(page, server)
    page.goto(f"{server}/#/alloys")
    count = page.locator("#al-count-0")
    expect(count).to_be_visible(timeout=CHECK)
    label = page.locator("label[for=al-count-0]").inner_text()
    count.fill("-3")
    page.click("#al-plan")
    _said_beside(page, "al-count-0", f"{label}: enter a whole number of 0 or more (given: -3).")
    _language(page, "ja")
    label_ja = page.locator("label[for=al-count-0]").inner_text()
    _said_beside(page, "al-count-0", f"{label_ja}：0 以上の整数を入力してください（入力値：-3）。")
    count.fill("10")
    _cleared(page, "al-count-0")
