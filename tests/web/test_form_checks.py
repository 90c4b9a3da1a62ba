"""What the pages do with values a user types wrong or a page asked for signed out, in a real
browser: signing in returns to the page asked for; a missing model shows no leftover section;
a number field given text, a huge or fractional value says so naming the field (model
parameters, the form editor's years, the number of future scenarios) instead of reading it as
another value; a cancelled analysis is listed as cancelled in Japanese; the solar technology
"other" and the navigation's names are translated."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import choose_lang, require_browser, sign_in, sign_in_here

sync_api = require_browser()
pytestmark = pytest.mark.slow
expect = sync_api.expect

CHECK = 30_000
"""A form check runs the loader in a worker; on a loaded machine that may take seconds."""


def _model_id(page: Any, name: str) -> str:
    models = page.evaluate("async () => (await (await fetch('/api/models')).json())"
                           ".map((m) => [m.name, m.id])")
    return str(dict(models)[name])


def _japanese(page: Any) -> None:
    choose_lang(page, "ja")
    page.wait_for_function("() => document.documentElement.lang === 'ja'")


def test_sign_in_returns_to_the_page_asked_for(page: Any, server: str) -> None:
    page.goto(f"{server}/#/analyses")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in_here(page)
    expect(page.locator("#view-analyses")).to_be_visible()
    assert page.evaluate("() => location.hash") == "#/analyses"
    # a lot opened from a link, signed out again
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(f"{server}/#/trace/lots/DEMO-BLEND-1")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in_here(page)
    expect(page.locator("#view-trace")).to_be_visible()
    expect(page.locator("#tr-lot")).to_have_value("DEMO-BLEND-1")


def test_missing_model_and_parameters_that_are_not_numbers(page: Any, server: str) -> None:
    sign_in(page, server)
    page.goto(f"{server}/#/models/doesnotexist")
    expect(page.locator("#model-errors")).to_contain_text("does not exist")
    expect(page.get_by_role("heading", name="Value network")).to_be_hidden()
    page.goto(f"{server}/#/models/{_model_id(page, 'atm_reuse')}")
    expect(page.get_by_role("heading", name="Value network")).to_be_visible()
    rate = page.locator("#params input[data-path='products.atm.eol.collection.rate']")
    rate.fill("")
    rate.press_sequentially("NaN")  # a number field drops the letters: "" (read as no edit)
    assert rate.input_value() == ""
    page.get_by_role("button", name="Run").click()
    expect(page.locator("#run-errors")).to_contain_text(
        "End-of-life collection rate — Automated teller machine "
        "(products.atm.eol.collection.rate): the value is not a number.")
    expect(page.locator("#run-status")).to_have_text("")
    assert rate.get_attribute("aria-invalid") == "true"


def test_form_editor_refuses_huge_and_fractional_years(page: Any, server: str) -> None:
    sign_in(page, server)
    page.goto(f"{server}/#/models/{_model_id(page, 'atm_reuse')}")
    page.locator("#workspace > summary").click()
    end = page.locator("#mf-root .mf-field[data-path='years.end']")
    expect(end.locator("input")).to_have_value("2040", timeout=CHECK)
    # the versions are listed (they load beside the form: counted before, they were 0)
    expect(page.locator("#versions-table tbody tr").first).to_be_visible(timeout=CHECK)
    versions = page.locator("#versions-table tbody tr").count()
    end.locator("input").fill("1e400")
    expect(end.locator(".mf-err")).to_have_text(
        "Last simulated year: 1e400 is too large to be a number here.", timeout=CHECK)
    expect(page.locator("#mf-status")).to_contain_text("Problems found: 1", timeout=CHECK)
    end.locator("input").fill("2040.7")
    expect(end.locator(".mf-err")).to_have_text(
        "Last simulated year: 2040.7 is not a whole number; enter one without decimals.")
    page.get_by_role("button", name="Save the form as a new version").click()
    expect(page.locator("#mf-status")).to_contain_text("Problems found: 1", timeout=CHECK)
    assert page.locator("#versions-table tbody tr").count() == versions  # nothing saved
    _japanese(page)
    expect(end.locator(".mf-err")).to_have_text(
        "計算の終了年：2040.7 は整数ではありません。小数点のない数を入力してください。")
    end.locator("input").fill("2040")
    expect(end.locator(".mf-err")).to_have_text("", timeout=CHECK)
    expect(page.locator("#mf-status")).to_contain_text("有効", timeout=CHECK)


def test_scenario_count_uses_the_fields_limits(page: Any, server: str) -> None:
    sign_in(page, server)
    page.goto(f"{server}/#/foresight")
    expect(page.locator("#fs-status")).to_contain_text("2,000 scenarios in", timeout=CHECK)
    n = page.get_by_label("Scenarios", exact=True)
    n.fill("5")
    n.dispatch_event("change")
    expect(page.locator("#fs-errors")).to_have_text(
        "Scenarios: enter a whole number from 100 to 20,000 (given: 5).")
    assert n.get_attribute("aria-invalid") == "true"
    n.fill("")
    page.get_by_role("button", name="Find scenario groups and branch points").click()
    expect(page.locator("#fs-errors")).to_have_text("Scenarios: enter a number.")
    expect(page.locator("#fs-stage")).to_have_text("")
    jobs = "async () => (await (await fetch('/api/foresight/jobs')).json()).length"
    assert page.evaluate(jobs) == 0
    n.fill("20001")
    page.get_by_role("button", name="Find scenario groups and branch points").click()
    expect(page.locator("#fs-errors")).to_contain_text("(given: 20001)")
    assert n.input_value() == "20001"  # never changed behind the user's back
    n.fill("300")
    n.dispatch_event("change")
    expect(page.locator("#fs-status")).to_contain_text("300 scenarios in", timeout=CHECK)
    expect(page.locator("#fs-errors")).to_have_text("")


def test_japanese_cancelled_job_solar_other_and_navigation(page: Any, server: str) -> None:
    sign_in(page, server)
    model_id = _model_id(page, "compressor_magnet")
    # with the example's settings (the model declares no uncertain parameters): without them
    # the job failed at once, "failed" instead of "cancelled" when the worker took it before
    # the cancel came (the fresh-clone CI of bbc75ca). Every answer returned, so that a
    # failure says which request went wrong.
    answers = page.evaluate(
        """async (id) => {
          const h = { "Content-Type": "application/json", "X-Junkan-CSRF": "1" };
          const spec = await (await fetch(
            "/static/examples/uncertainty_compressor_magnet.json")).json();
          delete spec.observations;
          const started = await fetch("/api/lifecycle/analyses?kind=uncertainty", {
            method: "POST", headers: h,
            body: JSON.stringify({ model_id: id, version: 1, runs: 10000, spec }) });
          const job = await started.json();
          const done = await fetch(`/api/lifecycle/analyses/${job.id}`,
            { method: "DELETE", headers: h });
          return [started.status, job, done.status, await done.json()]; }""", model_id)
    assert answers[0] == 202 and answers[2] == 200, answers
    assert str(answers[3].get("error")).startswith("cancelled"), answers
    _japanese(page)
    expect(page.locator("#nav-main")).to_have_attribute("aria-label", "メイン")
    expect(page.locator("#nav-account")).to_have_attribute("aria-label", "アカウント")
    page.goto(f"{server}/#/analyses")
    row = page.locator("#an-jobs tbody tr").first
    expect(row.locator("td").nth(2)).to_have_text("取り消し")
    page.get_by_role("link", name="太陽光パネル").click()
    expect(page.locator("#nav-main a[aria-current='page']")).to_have_text("太陽光パネル")
    expect(page.locator("#so-m-tech option[value='other']")).to_have_text("その他")
    choose_lang(page, "en")
    expect(page.locator("#so-m-tech option[value='other']")).to_have_text("other")
    expect(page.locator("#nav-main")).to_have_attribute("aria-label", "main")
