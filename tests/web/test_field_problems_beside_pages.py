"""The pages that check their forms themselves (lifecycle analyses, the model's run form,
the collection network, nature, the shredder monitor, vision, municipality) say each
field's problem beside that field, as test_field_problems_beside.py asks of market, alloys,
future scenarios and reports: the page's own checks and the service's refusals naming a
field, in the page's language (again in the new one after a switch), the field marked
aria-invalid and described by the message, both gone once the field is right. The list
below the form stays as it was."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.web.conftest import choose_lang, fill_observation, require_browser, sign_in

sync_api = require_browser()
pytestmark = pytest.mark.slow
expect = sync_api.expect

CHECK = 30_000
"""A page's first answer (its models, a refusal of a job) may take seconds on a loaded machine."""


def _language(page: Any, lang: str) -> None:
    choose_lang(page, lang)
    page.wait_for_function(f"() => document.documentElement.lang === '{lang}'")


def _said_beside(page: Any, field: str, text: str, *, part: bool = False) -> None:
    """The message beside `field` (the one the field is described by; `part`: containing
    `text`) and the field marked."""
    note = page.locator(f"#{field}-problem")
    if part:
        expect(note).to_contain_text(text, timeout=CHECK)
    else:
        expect(note).to_have_text(text, timeout=CHECK)
    expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
    assert f"{field}-problem" in (page.locator(f"#{field}").get_attribute("aria-describedby") or "")
    # beside the field: the next element after it, not in the form's list
    after = page.evaluate(f"() => document.getElementById('{field}').nextElementSibling.id")
    assert after == f"{field}-problem"


def _cleared(page: Any, field: str) -> None:
    expect(page.locator(f"#{field}-problem")).to_have_count(0)
    expect(page.locator(f"#{field}")).not_to_have_attribute("aria-invalid", "true")


def test_analysis_form_and_its_refusals_are_said_beside_the_fields(page: Any, server: str) -> None:
    sign_in(page, server)
    page.goto(f"{server}/#/analyses")
    expect(page.locator("#an-model option")).not_to_have_count(0, timeout=CHECK)
    page.fill("#an-seed", "-1")
    page.fill("#an-spec", '{"parameters": ')
    page.click("#an-start")
    _said_beside(page, "an-seed", "Random seed: a whole number from 0 to 4,294,967,295")
    _said_beside(page, "an-spec", "The settings are not valid JSON: ", part=True)
    expect(page.locator("#an-errors li")).to_have_count(2)  # the list as before
    expect(page.locator("#an-spec")).to_be_focused()  # the first field wrong
    expect(page.locator("#an-runs")).not_to_have_attribute("aria-invalid", "true")
    _language(page, "ja")
    _said_beside(page, "an-seed", "乱数シード：0〜4,294,967,295 の整数")
    _said_beside(page, "an-spec", "設定が正しいJSONではありません：", part=True)
    page.fill("#an-seed", "2.5")  # edited, still wrong: still said
    _said_beside(page, "an-seed", "乱数シード：0〜4,294,967,295 の整数")
    page.fill("#an-seed", "7")
    _cleared(page, "an-seed")
    expect(page.locator("#an-spec-problem")).to_be_visible()  # the other one still wrong
    # settings the service refuses: each refused path beside the settings, all of them
    page.fill("#an-spec", json.dumps({"parameters": [{"parameter": "x"}]}))
    _cleared(page, "an-spec")
    page.click("#an-start")
    expect(page.locator("#an-errors")).to_contain_text("distribution", timeout=CHECK)
    label = "設定（JSON。空欄ならモデル内の設定）"
    _said_beside(
        page,
        "an-spec",
        f"{label} › parameters[0].distribution：必須の項目です "
        f"{label} › parameters[0].source：必須の項目です",
    )
    _language(page, "en")
    _said_beside(
        page,
        "an-spec",
        "Settings (JSON; empty: the model's own section) › parameters[0].distribution: "
        "required field is missing; add it",
        part=True,
    )
    page.fill("#an-spec", "")
    _cleared(page, "an-spec")


def test_network_file_and_carbon_price_are_said_beside_their_fields(
    page: Any, server: str, tmp_path: Any
) -> None:
    sign_in(page, server)
    page.goto(f"{server}/#/network")
    page.click("#network-solve")  # no scenario chosen
    _said_beside(page, "network-file", "Choose a scenario file, or solve the shipped example.")
    expect(page.locator("#network-errors li")).to_have_count(1)
    page.fill("#carbon-price", "-5")
    page.click("#network-example")
    _said_beside(
        page,
        "carbon-price",
        "Carbon price (JPY per tCO2e): -5 is outside the range 0 to 1,000,000.",
    )
    expect(page.locator("#network-errors")).to_have_text(
        "Carbon price (JPY per tCO2e): -5 is outside the range 0 to 1,000,000."
    )
    expect(page.locator("#network-status")).to_have_text("")  # nothing was solved
    _language(page, "ja")
    _said_beside(page, "carbon-price", "炭素価格（円/tCO2e）：-5 は 0〜1,000,000 の範囲外です。")
    _said_beside(page, "network-file", "シナリオファイルを選ぶか、同梱の例を解いてください。")
    page.fill("#carbon-price", "3000")
    _cleared(page, "carbon-price")
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("hubs: []\n", "utf-8")
    page.set_input_files("#network-file", str(scenario))
    _cleared(page, "network-file")


def test_nature_form_says_its_problems_beside_the_fields(page: Any, server: str) -> None:
    sign_in(page, server)
    page.goto(f"{server}/#/nature")
    page.fill("#nt-size", "30")
    page.fill("#nt-seed", "")
    page.click("#nt-run")
    _said_beside(
        page,
        "nt-size",
        "Sample scene size (pixels per side, 60–600): a whole number from 60 to 600",
    )
    _said_beside(
        page, "nt-seed", "Random seed of the sample: a whole number from 0 to 4,294,967,295"
    )
    expect(page.locator("#nt-errors li")).to_have_count(2)
    expect(page.locator("#nt-status")).to_have_text("")  # nothing was started
    _language(page, "ja")
    _said_beside(page, "nt-size", "サンプル画像の大きさ (一辺の画素数、60〜600)：60〜600 の整数")
    page.fill("#nt-size", "120")
    _cleared(page, "nt-size")
    page.fill("#nt-seed", "3")
    _cleared(page, "nt-seed")
    # your own assessment: a document that is not a JSON object, said beside it
    page.check("input[name=nt-source][value=own]")
    page.fill("#nt-doc", "[1, 2]")
    page.click("#nt-run")
    _said_beside(page, "nt-doc", "評価ドキュメント：JSON オブジェクトではありません（{…}）")
    _language(page, "en")
    _said_beside(page, "nt-doc", "Assessment: not a JSON object ({…})")
    page.fill("#nt-doc", "{}")
    _cleared(page, "nt-doc")


def test_vision_forms_say_their_problems_beside_the_fields(page: Any, server: str) -> None:
    sign_in(page, server)
    page.goto(f"{server}/#/vision")
    page.fill("#vi-scale", "0")
    page.click("#vi-run")
    _said_beside(page, "vi-model", "Choose the model file (JSON from “junkan vision train”).")
    _said_beside(page, "vi-images", "Choose at least one belt image.")
    _said_beside(page, "vi-scale", "Scale: a number above 0.01 and at most 10 mm per pixel.")
    expect(page.locator("#vi-errors li")).to_have_count(3)
    _language(page, "ja")
    _said_beside(page, "vi-scale", "縮尺: 0.01 より大きく 10 以下の数 (1 画素あたり mm)。")
    _said_beside(page, "vi-images", "ベルト画像を 1 枚以上選んでください。")
    page.fill("#vi-scale", "0.8")
    _cleared(page, "vi-scale")
    expect(page.locator("#vi-model-problem")).to_be_visible()  # still no model
    # the sample frame's form too; the rendered frame is the image, so "choose an image" goes
    page.fill("#vi-sample-pieces", "500")
    page.click("#vi-sample-run")
    _said_beside(page, "vi-sample-pieces", "破片数: 0 から 200 の整数を入れてください。")
    expect(page.locator("#vi-sample-errors li")).to_have_count(1)
    page.fill("#vi-sample-pieces", "5")
    _cleared(page, "vi-sample-pieces")
    page.click("#vi-sample-run")
    expect(page.locator("#vi-sample")).to_be_visible(timeout=CHECK)
    _cleared(page, "vi-images")


def test_municipality_form_and_its_refusals_are_said_beside_the_fields(
    page: Any, server: str
) -> None:
    sign_in(page, server)
    page.goto(f"{server}/#/municipality")
    expect(page.locator("#mu-code option")).not_to_have_count(0, timeout=CHECK)
    page.fill("#mu-quantile", "0.3")
    page.click("#mu-run")
    _said_beside(page, "mu-quantile", "The quantile must be a number from 0.5 to 0.95.")
    expect(page.locator("#mu-errors li")).to_have_count(1)
    _language(page, "ja")
    _said_beside(page, "mu-quantile", "分位は 0.5〜0.95 の数値にしてください。")
    page.fill("#mu-quantile", "0.75")
    _cleared(page, "mu-quantile")
    # a municipality the survey does not have (an option added here, as a stale list would
    # hold): the service's refusal beside the field, not only in the list
    page.evaluate(
        "() => { const s = document.getElementById('mu-code');"
        " s.add(new Option('nowhere (99999)', '99999')); s.value = '99999'; }"
    )
    page.click("#mu-run")
    expect(page.locator("#mu-errors")).to_contain_text("99999", timeout=CHECK)
    _said_beside(page, "mu-code", "自治体: code '99999' is not in the survey", part=True)
    page.select_option("#mu-code", index=0)
    _cleared(page, "mu-code")


def test_monitor_scenario_and_its_refusals_are_said_beside_it(page: Any, server: str) -> None:
    sign_in(page, server)
    page.goto(f"{server}/#/sensing")
    doc = page.locator("#sn-doc")
    expect(doc).not_to_have_value("", timeout=CHECK)
    scenario = json.loads(doc.input_value())
    doc.fill("[1]")
    page.click("#sn-run")
    _said_beside(page, "sn-doc", "The scenario is not valid JSON: {…}")
    expect(page.locator("#sn-errors li")).to_have_count(1)
    _language(page, "ja")
    _said_beside(page, "sn-doc", "シナリオが正しいJSONではありません：{…}")
    doc.fill(json.dumps({**scenario, "duration_s": -5}))
    _cleared(page, "sn-doc")
    page.click("#sn-run")
    expect(page.locator("#sn-errors")).to_contain_text("duration_s", timeout=CHECK)
    _said_beside(
        page,
        "sn-doc",
        "シナリオ（JSON。編集して試せます） › duration_s：1 より大きい値にしてください",
    )
    _language(page, "en")
    _said_beside(
        page,
        "sn-doc",
        "Scenario (JSON; edit to try your own) › duration_s: Input should be greater than 1",
    )
    doc.fill(json.dumps(scenario))
    _cleared(page, "sn-doc")


def test_model_parameter_refused_by_the_service_is_said_beside_it(page: Any, server: str) -> None:
    sign_in(page, server)
    page.get_by_role("link", name="compressor_magnet", exact=True).click()
    param = page.locator("#param-0")
    expect(param).to_be_visible(timeout=CHECK)
    path = param.get_attribute("data-path")
    assert path == "products.room_ac.maintenance[0].replacement_rate"
    param.fill("1.5")
    page.click("#run")
    expect(page.locator("#run-errors")).to_contain_text("annual rate", timeout=CHECK)
    _said_beside(
        page,
        "param-0",
        f"({path}): annual rate must be between 0 and 1 per year, got 1.5",
        part=True,
    )
    _language(page, "ja")
    _said_beside(
        page, "param-0", f"({path})：年率は 1 年あたり 0〜1 にしてください（1.5）", part=True
    )
    param.fill("0.1")
    _cleared(page, "param-0")


def test_survey_observation_says_its_problems_beside_the_fields(page: Any, server: str) -> None:
    sign_in(page, server)
    page.goto(f"{server}/#/nature")
    expect(page.locator("#ns-form")).to_be_visible(timeout=CHECK)
    fill_observation(page, "", "0")
    page.click("#ns-save")
    _said_beside(page, "ns-species", "Species (scientific name, from the checklist): required")
    _said_beside(page, "ns-count", "Individuals counted: a whole number from 1 to 1,000,000")
    expect(page.locator("#ns-errors li")).to_have_count(2)
    expect(page.locator("#ns-lat")).not_to_have_attribute("aria-invalid", "true")
    _language(page, "ja")
    _said_beside(page, "ns-species", "種（学名、チェックリストから）：入力してください")
    _said_beside(page, "ns-count", "個体数：1〜1,000,000 の整数")
    page.fill("#ns-count", "3")
    _cleared(page, "ns-count")
    page.fill("#ns-species", "Pycnonotus jocosus")
    _cleared(page, "ns-species")
