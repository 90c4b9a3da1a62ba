"""JSON typed in a page's text area is refused with where it stops being JSON, in the page's
language (the browser's own message is English and, for most mistakes, has no position):
the reader agrees with JSON.parse on thousands of mutated documents, and the message names
the line, the column and the character, or says the text ends too early."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import require_browser, sign_in

sync_api = require_browser()
pytestmark = pytest.mark.slow

CASES = ['{"a": 1,}', '{"a":', '{decisions: [', '[1, 2]\n  x', '{"a": "tab\tin"}', "[" * 20000]


def _messages(page: Any) -> list[str]:
    out: list[str] = page.evaluate("""async (cases) => {
        const core = await import('/static/core.js');
        return cases.map((c) => core.jsonError(c)); }""", CASES)
    return out


def test_json_mistakes_are_placed_in_the_page_language(page: Any, server: str) -> None:
    sign_in(page, server)
    assert _messages(page) == [
        'line 1, column 9: "}" is not expected there',
        "the text ends too early: a bracket or a quote is not closed",
        'line 1, column 2: "d" is not expected there',
        'line 2, column 3: "x" is not expected there',
        'line 1, column 11: "\\t" is not expected there',
        "not JSON text",  # nested deeper than the reader's own stack
    ]
    page.get_by_label("Language").select_option("ja")
    page.get_by_role("heading", name="モデル", exact=True).wait_for()
    assert _messages(page)[:2] == ['1 行 9 列：ここに "}" は書けません',
                                   "途中で終わっています。括弧か引用符が閉じていません"]


def test_the_reader_agrees_with_json_parse(page: Any, server: str) -> None:
    """Seeded mutations (insert, delete, replace) of two documents with every JSON construct:
    the reader finds a stop exactly when JSON.parse refuses."""
    sign_in(page, server)
    disagree = page.evaluate("""async () => {
        const core = await import('/static/core.js');
        let seed = 7; const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
        const base = ['{"a":[1,2.5e-3,{"b":"x\\\\"y"}],"c":true,"d":null,"e":-0.1}',
                      '[{"k":"\\\\u00e9"},[],{}, 0, -12.5E+3, "\\\\n"]'];
        const alphabet = '{}[]",:.-+eE0123456789 \\\\ntruefalsnu\\t';
        const out = [];
        for (let n = 0; n < 20000; n++) {
          const s = base[n % 2].split("");
          for (let j = 0; j <= n % 3; j++) {
            const p = Math.floor(rnd() * (s.length + 1)), op = rnd();
            const c = alphabet[Math.floor(rnd() * alphabet.length)];
            if (op < 0.33) s.splice(p, 1); else if (op < 0.66) s.splice(p, 0, c); else s[p] = c;
          }
          const text = s.join("");
          let ok = true; try { JSON.parse(text); } catch { ok = false; }
          if ((core.jsonStop(text) < 0) !== ok) out.push(text);
        }
        return out; }""")
    assert disagree == []


def test_a_text_not_in_its_form_says_the_form(page: Any, server: str) -> None:
    """A refused pattern says the expected form in words where the catalogue knows it (a
    municipality code: 5 digits), else the pattern itself — in English too (pydantic's own
    message quotes a regular expression)."""
    sign_in(page, server)
    script = """async (errors) => {
        const core = await import('/static/core.js');
        return errors.map((e) => core.fieldMessage(e)); }"""
    errors = [{"type": "string_pattern_mismatch", "ctx": {"pattern": "^\\d{5}$"},
               "message": "String should match pattern '^\\d{5}$'"},
              {"type": "string_pattern_mismatch", "ctx": {"pattern": "^x+$"},
               "message": "String should match pattern '^x+$'"}]
    assert page.evaluate(script, errors) == [
        "not in the expected form: 5 digits, such as 13101 (a municipality code)",
        "not in the expected form: ^x+$"]
    page.get_by_label("Language").select_option("ja")
    page.get_by_role("heading", name="モデル", exact=True).wait_for()
    assert page.evaluate(script, errors)[0] == (
        "形式が正しくありません：13101 のような 5 桁の数字（市区町村コード）")
