"""The survey page with the organisation's own checklist (Chromium): an administrator loads a
site checklist from the page (a bad file shows its line), the species field then offers its
local names and says where they come from, an area's own checklist (which the page keeps
from the one survey answer) is offered and checked for that area, and the editor speaks
Japanese."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import browser, page, require_browser, server, sign_in  # noqa: F401

expect = require_browser().expect
pytestmark = pytest.mark.slow

SITE = (
    "scientific_name,local_name,english_name,group,source\n"
    "Copsychus saularis,シキチョウ,Oriental magpie-robin,bird,Field guide A\n"
    "Apis cerana,トウヨウミツバチ,,insect,Field guide A\n"
)


def test_checklist_from_the_page(page: Any, server: str, tmp_path: Path) -> None:  # noqa: F811
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    h = {"X-Junkan-CSRF": "1"}
    sign_in(page, server)
    page.goto(f"{server}/#/nature")
    note = page.locator("#ns-checklist-note")
    expect(note).to_contain_text("bundled example")
    expect(page.locator("#ns-cl-edit")).to_be_attached()  # the demo user administers
    page.click("#ns-cl-edit summary")
    bad = tmp_path / "bad.csv"
    bad.write_text("scientific_name,group,source\nApis cerana,insect,x\nMimosa pudica,,x\n")
    page.set_input_files("#ns-cl-file", str(bad))
    page.click("#ns-cl-upload")
    expect(page.locator("#ns-cl-errors")).to_contain_text("bad.csv: line 3")
    site = tmp_path / "site.csv"
    site.write_text(SITE, encoding="utf-8")
    page.set_input_files("#ns-cl-file", str(site))
    page.click("#ns-cl-upload")
    expect(page.locator("#ns-cl-status")).to_contain_text("Loaded site.csv (2 species)")
    expect(note).to_contain_text("your organisation's checklist site.csv (2 species)")
    options = page.locator("#ns-checklist option")
    expect(options).to_have_count(2)
    expect(options.first).to_have_text("シキチョウ / Oriental magpie-robin (bird)")
    # an area's own checklist, loaded through the API; the page reloads the survey's answer
    res = page.request.put(
        f"{server}/api/nature/survey/checklist?area=B&format=csv", headers=h,
        data="name,local,group,source\nHevea brasiliensis,パラゴムノキ,plant,report B\n")
    assert res.status == 200, res.text()
    page.reload()
    expect(note).to_contain_text("site.csv")
    page.fill("#ns-area", "B")
    expect(note).to_contain_text("area B: its own checklist checklist.csv (1 species)")
    expect(options).to_have_count(1)
    expect(options.first).to_have_text("パラゴムノキ (plant)")
    # on the survey's checklist, not on area B's: refused on the device already
    page.fill("#ns-species", "Copsychus saularis")
    page.fill("#ns-lat", "12.68")
    page.fill("#ns-lon", "108.05")
    page.fill("#ns-observer", "N. Surveyor")
    page.click("#ns-save")
    expect(page.locator("#ns-errors")).to_contain_text("not on the checklist")
    page.fill("#ns-area", "")
    expect(options).to_have_count(2)
    page.select_option("#lang", "ja")
    expect(page.locator("#ns-cl-edit summary")).to_have_text("組織の種チェックリスト（管理者）")
    expect(note).to_contain_text("組織のチェックリスト site.csv")
    page.select_option("#lang", "en")
    expect(page.locator("#ns-cl-edit summary")).to_have_text(
        "Your organisation's species checklist (administrators)")
    # removing it from the page (the editor closed with the reload): back to the bundled one
    page.click("#ns-cl-edit summary")
    page.click("#ns-cl-remove")
    expect(page.locator("#ns-cl-status")).to_contain_text("Removed")
    expect(note).to_contain_text("bundled example")
    page.click("#ns-cl-remove")
    expect(page.locator("#ns-cl-status")).to_contain_text("No checklist")
    assert not errors, errors
