"""A model with many parts in the browser: its page used to freeze (every BOM line's part
list held every part, a parameter's words made a map of every node per parameter, and every
table was measured after the one before was changed). A part list longer than
``LAZY`` (60) names only the line's part until the field is first used, then every part."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import require_browser, sign_in

sync_api = require_browser()
pytestmark = pytest.mark.slow
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

UPLOAD = """async (text) => { const fd = new FormData();
  fd.append('file', new Blob([text], {type: 'application/json'}), 'many_parts.json');
  const r = await fetch('/api/models', {method: 'POST', body: fd,
                                        headers: {'X-Junkan-CSRF': '1'}});
  return (await r.json()).id; }"""


def test_a_long_part_list_is_filled_when_first_used(page: Any, server: str) -> None:
    from lifecycle_bench import generate_model

    doc = generate_model(n_products=4, n_parts=20, n_materials=3, n_years=5)  # 80 parts
    sign_in(page, server)
    model_id = page.evaluate(UPLOAD, json.dumps(doc))
    page.goto(f"{server}/#/models/{model_id}")
    field = page.locator("#mf-root .mf-field[data-path='products.p0.bom[0].part'] select")
    field.wait_for(state="attached", timeout=60_000)
    assert field.evaluate("(s) => [s.options.length, s.value]") == [1, "p0_q0"]
    field.evaluate("(s) => { for (let d = s.closest('details'); d; "
                   "d = d.parentElement.closest('details')) d.open = true; }")  # as a user would
    field.focus()
    assert field.evaluate("(s) => [s.options.length, s.value]") == [80, "p0_q0"]
    field.select_option("p3_q7")
    assert field.evaluate("(s) => s.value") == "p3_q7"
