"""The Passports page in a real browser: an uploaded grading document's grades in a table,
one item's Battery Pass downloaded under the CLI's file name and read back, and a refused
passport's problem in Japanese (its rule's code, translated); no serious axe violation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.api.test_passports import AS_OF, document
from tests.web.conftest import require_browser
from tests.web.conftest import sign_in as _sign_in

sync_api = require_browser()
expect = sync_api.expect
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

pytestmark = pytest.mark.slow


def test_grades_download_and_a_japanese_problem(page: Any, server: str, tmp_path: Path) -> None:
    _sign_in(page, server)
    page.goto(f"{server}/#/passports")
    title = "Passports: grades and product passports"
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    doc = tmp_path / "packs.yaml"
    doc.write_text(yaml.safe_dump(document()), "utf-8")
    page.set_input_files("#pp-doc", str(doc))
    page.fill("#pp-asof", AS_OF)
    page.get_by_role("button", name="Grade", exact=True).click()
    expect(page.locator("#pp-summary")).to_have_text(
        f"2 item(s) against 1 criteria set(s), as of {AS_OF}."
    )
    worn = page.locator("#pp-grades tbody tr", has_text="pack-8")
    expect(worn.locator("td").nth(2)).to_have_text("no")
    expect(worn.locator("td").nth(3)).to_contain_text("state_of_certified_energy")
    expect(
        page.locator("#pp-grades tbody tr", has_text="pack 7/A").locator("td").nth(2)
    ).to_have_text("yes")

    page.select_option("#pp-item", "pack-8")
    page.select_option("#pp-format", "batterypass")
    with page.expect_download() as got:
        page.get_by_role("button", name="Download", exact=True).click()
    download = got.value
    assert download.suggested_filename == "pack-8.batterypass.json"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    page.set_input_files("#pp-file", str(saved))
    page.get_by_role("button", name="Read", exact=True).click()
    expect(page.locator("#pp-record-summary")).to_have_text(
        "pack-8: used product, battery / LFP; read as Battery Pass (JSON)."
    )
    # a Battery Pass carries no grades, and this one no attribute outside junkan's subset
    expect(page.locator("#pp-record-nogrades")).to_be_visible()
    expect(page.locator("#pp-unmapped")).to_have_text("none")

    assert _violations(page) == []

    page.select_option("#lang", "ja")
    expect(page.locator("#pp-record-summary")).to_contain_text("中古品")
    expect(page.locator("#pp-export-status")).to_have_text(
        "pack-8.batterypass.json をダウンロードしました。"
    )
    expect(
        page.locator("#pp-grades tbody tr", has_text="pack-8").locator("td").nth(2)
    ).to_have_text("いいえ")
    bad = json.loads(saved.read_text("utf-8"))
    bad["GeneralProductInformation"]["batteryMass"] = -5
    saved.write_text(json.dumps(bad), "utf-8")
    page.set_input_files("#pp-file", str(saved))
    page.get_by_role("button", name="読み込む", exact=True).click()
    expect(page.locator("#pp-import-errors li").first).to_have_text(
        "GeneralProductInformation.batteryMass: 範囲外です：-5 kg。> 0 kg にしてください"
    )
    expect(page.locator("#pp-record")).to_be_hidden()
    assert _violations(page) == []


def _violations(page: Any) -> list[str]:
    """Serious and critical axe violations on the page as shown (as tests/web/test_a11y.py)."""
    res = axe_sync.Axe().run(page, options={"resultTypes": ["violations"]})
    return [
        f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in res.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
