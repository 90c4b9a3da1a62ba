"""A model's domain rules in the user's language: the upload page says an unknown actor and
route shares that do not sum to 1 in Japanese, with the names and figures of the document,
and no English line is left (so no "the service's explanation in English" lead either)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SMALL
from tests.web.conftest import require_browser
from tests.web.conftest import sign_in as _sign_in

sync_api = require_browser()

pytestmark = pytest.mark.slow


def _upload_in_japanese(page, server: str, tmp_path: Path,  # type: ignore[no-untyped-def]
                        doc: dict[str, Any]):
    """Sign in, switch to Japanese and upload ``doc`` on the Models page: its error list."""
    _sign_in(page, server)
    page.get_by_label("Language").select_option("ja")
    page.get_by_role("heading", name="モデル", exact=True).wait_for()
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    page.set_input_files("#upload-file", str(bad))
    page.click("#upload-form button[type=submit]")
    return page.locator("#upload-errors")


def test_domain_rules_in_japanese(page, server: str,  # type: ignore[no-untyped-def]
                                  tmp_path: Path) -> None:
    doc = copy.deepcopy(SMALL)
    doc["processes"]["assembly"]["actor"] = "nobody"
    doc["products"]["widget"]["eol"]["uncollected"] = {"landfill": 0.5}
    errors = _upload_in_japanese(page, server, tmp_path, doc)
    sync_api.expect(errors).to_contain_text(
        "processes.assembly.actor: 主体 'nobody' は定義されていません。"
        "定義済み：maker, recycler, supplier, waste")
    sync_api.expect(errors).to_contain_text(
        "products.widget.eol.uncollected: 配分の合計が 0.5 で 1 に足りず")
    assert "unknown actor" not in errors.inner_text()
    assert "サービスの説明（英語）" not in errors.inner_text()


def test_a_quantity_rule_names_the_quantity_in_japanese(  # type: ignore[no-untyped-def]
        page, server: str, tmp_path: Path) -> None:
    """A schema rule of a quantity says which quantity in the page's language (``what``)."""
    doc = copy.deepcopy(SMALL)
    doc["products"]["widget"]["bom"][1]["mass"] = "-1 kg"
    errors = _upload_in_japanese(page, server, tmp_path, doc)
    sync_api.expect(errors).to_contain_text(
        "products.widget.bom[1].mass: 質量は負にできません（'-1 kg'）")
    assert "must not be negative" not in errors.inner_text()


def test_an_unknown_unit_in_japanese(page, server: str,  # type: ignore[no-untyped-def]
                                    tmp_path: Path) -> None:
    """A past gap: a unit junkan does not know and a quantity it cannot read were said in
    English (they had no rule's code)."""
    doc = copy.deepcopy(SMALL)
    doc["products"]["widget"]["bom"][1]["mass"] = "2 blorbs"
    errors = _upload_in_japanese(page, server, tmp_path, doc)
    sync_api.expect(errors).to_contain_text(
        "products.widget.bom[1].mass: '2 blorbs' の単位 'blorbs' は不明です。")
    assert "unknown unit" not in errors.inner_text()


def test_choices_and_scenarios_in_japanese(page, server: str) -> None:  # type: ignore[no-untyped-def]
    """pydantic's list of choices is joined the Japanese way (no English 'or'), and a
    problem inside a scenario says which scenario, in Japanese."""
    _sign_in(page, server)
    page.get_by_label("Language").select_option("ja")
    page.get_by_role("heading", name="モデル", exact=True).wait_for()
    got = page.evaluate("""async () => {
        const core = await import('/static/core.js');
        const choices = "'JPY', 'USD' or 'EUR'";
        return [core.fieldMessage({message: "Input should be " + choices,
                                   type: 'literal_error', ctx: {expected: choices}}),
                core.fieldMessage({message: "must be between 0 and 1, got 3 (in scenario)",
                                   type: 'fraction-range',
                                   ctx: {value: '3', scenario: 'low'}})]; }""")
    assert got == ["次のいずれかにしてください：'JPY'、'USD'、'EUR'",
                   "0〜1 の範囲にしてください（3）（シナリオ low）"], got


def test_an_empty_market_field_is_named_not_sent(page, server: str) -> None:  # type: ignore[no-untyped-def]
    """A past gap (walkthrough): an empty mass, submitted past the browser's own check (a
    script, as the walkthrough did), was sent as ' t' and refused with a message quoting
    text the user never typed; the page now names the empty field itself."""
    _sign_in(page, server)
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    page.get_by_role("link", name="Market", exact=True).click()
    for field, v in (("id", "empty-mass"), ("Si", "7"), ("Fe", "0.2"), ("Cu", "1"),
                     ("Mg", "0.2"), ("Zn", "0.2"), ("lat", "33.87"), ("lon", "130.79")):
        page.fill(f"#mk-o-{field}", v)
    page.evaluate("document.getElementById('mk-offer-form')"
                  ".dispatchEvent(new Event('submit', {cancelable: true}))")
    sync_api.expect(page.locator("#mk-o-errors")).to_contain_text("Mass (t)")
    assert not [u for u in sent if u.endswith("/api/market/offers")]


def test_a_job_needing_a_missing_extra_is_said_in_japanese(page, server: str) -> None:  # type: ignore[no-untyped-def]
    """A past gap: a background job whose worker lacked an optional package group failed as
    'internal error'; now it names the extra, and the page says that in its language."""
    _sign_in(page, server)
    page.get_by_label("Language").select_option("ja")
    page.get_by_role("heading", name="モデル", exact=True).wait_for()
    got = page.evaluate("""async () => {
        const core = await import('/static/core.js');
        return core.jobError({status: 'failed', error: "this needs the 'sensitivity' extra "
            + "(module 'SALib' is not installed): pip install 'junkan[sensitivity]'"}); }""")
    assert got == ("この処理にはオプションのパッケージ群「sensitivity」が必要ですが、サーバーに"
                   "入っていません。管理者に依頼してください。")


def test_why_a_quantity_cannot_be_read_is_said_in_japanese(page, server: str) -> None:  # type: ignore[no-untyped-def]
    """A past gap: the reason inside 'cannot read … as a quantity' stayed English on the
    Japanese page ('unexpected character '#' at position 6')."""
    _sign_in(page, server)
    page.get_by_label("Language").select_option("ja")
    page.get_by_role("heading", name="モデル", exact=True).wait_for()
    got = page.evaluate("""async () => {
        const core = await import('/static/core.js');
        return core.fieldMessage({type: 'quantity-unreadable',
            message: "cannot read '5 kg #' as a quantity such as '5 kg': unexpected character",
            ctx: {value: "'5 kg #'", reason: "unexpected character '#' at position 6",
                  reason_code: 'unexpected-character', found: '#', position: 6}}); }""")
    assert got == "'5 kg #' を数量（例：'5 kg'）として読めません：6 文字目の文字 '#' を読めません"
