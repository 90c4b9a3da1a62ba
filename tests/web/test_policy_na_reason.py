"""The disclosure pack on the Reports page says why an indicator is not computable in the page's
language: the service's coded reason (``reason_code``, catalogue key ``indreason.<code>``), not
its English sentence, as the indicators table of a model's results does."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.web.conftest import choose_lang, require_browser, sign_in

sync_api = require_browser()
expect = sync_api.expect
pytestmark = pytest.mark.slow

EXAMPLES = ROOT / "src" / "junkan" / "web" / "static" / "examples"
I18N = ROOT / "src" / "junkan" / "web" / "static" / "i18n"


def test_disclosure_pack_says_why_not_computable_in_japanese(page: Any, server: str) -> None:
    # the shipped pack with no biological inflow: E5-4's sustainably sourced share of biological
    # materials is n/a ("biological inflow is zero", code biological-zero)
    doc = json.loads((EXAMPLES / "policy_pack.json").read_text("utf-8"))
    for inflow in doc["flows"]["inflows"]:
        inflow["biological"] = False
    en = json.loads((I18N / "en.json").read_text("utf-8"))
    ja = json.loads((I18N / "ja.json").read_text("utf-8"))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, server)
    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.locator("#dp-doc")).not_to_have_value("")  # the example first, then ours
    page.fill("#dp-doc", json.dumps(doc))
    page.click("#dp-run")
    row = (
        page.locator("#dp-tables table")
        .first.locator("tbody tr")
        .filter(has_text=en["indname.esrs_e5.4.biological_sustainably_sourced"])
    )
    expect(row).to_contain_text(
        f"{en['ind.na']} ({en['indreason.biological-zero']})", timeout=180_000
    )
    # the table drawn again in Japanese
    choose_lang(page, "ja")
    row = (
        page.locator("#dp-tables table")
        .first.locator("tbody tr")
        .filter(has_text=ja["indname.esrs_e5.4.biological_sustainably_sourced"])
    )
    expect(row).to_contain_text(f"{ja['ind.na']} ({ja['indreason.biological-zero']})")
    expect(page.locator("#dp-tables")).not_to_contain_text(en["indreason.biological-zero"])
    # computed in Japanese from the start
    page.click("#dp-run")
    expect(page.locator("#dp-status")).to_be_empty(timeout=180_000)
    expect(row).to_contain_text(f"{ja['ind.na']} ({ja['indreason.biological-zero']})")
    assert not errors, errors
