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

from tests.web.conftest import plotted, require_browser, sign_in

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


def _open_model(page: Any, server: str, doc: dict[str, Any]) -> None:
    sign_in(page, server)
    model_id = page.evaluate(UPLOAD, json.dumps(doc))
    page.goto(f"{server}/#/models/{model_id}")


def test_a_crowded_column_of_the_value_network_is_drawn_as_one_node(page: Any,
                                                                     server: str) -> None:
    from lifecycle_bench import generate_model

    # 5 products: 75 parts made of materials only (BOM level 0, more than 60: one node),
    # 25 parts with a sub-part (level 1: drawn one by one) and 5 products
    _open_model(page, server, generate_model(n_products=5, n_parts=20, n_materials=3,
                                             n_years=5))
    note = page.locator("#network-note")
    sync_api.expect(note).to_be_visible(timeout=60_000)
    sync_api.expect(note).to_contain_text("75 parts")
    # the chart, drawn once plotly.js has loaded (with the page's first chart)
    labels = plotted(page, "network", "d[0].node.label")
    flat = [str(x).replace("<br>", "") for x in labels]
    assert "75 parts" in flat
    assert "p0_q0" in flat and "p4" in flat  # a level-1 part and a product, one by one
    assert not any(x.startswith("p0_q5") for x in flat)  # a level-0 part: in the merged node
    assert len(flat) < 60


def test_a_model_with_few_parts_draws_every_part(page: Any, server: str) -> None:
    from lifecycle_bench import generate_model

    # 2 products: 30 parts at BOM level 0, 10 at level 1
    _open_model(page, server, generate_model(n_products=2, n_parts=20, n_materials=3,
                                             n_years=5))
    page.wait_for_function("() => (document.getElementById('network').data || []).length",
                           timeout=60_000)
    labels = page.evaluate("() => document.getElementById('network').data[0].node.label")
    assert {"p0_q0", "p1_q5", "p1_q19"} <= {str(x).replace("<br>", "") for x in labels}
    assert page.locator("#network-note").is_hidden()


def test_a_part_is_drawn_when_opened_or_when_a_problem_is_in_it(page: Any,
                                                                 server: str) -> None:
    from lifecycle_bench import generate_model

    _open_model(page, server, generate_model(n_products=2, n_parts=20, n_materials=3,
                                             n_years=5))
    entry = page.locator("#mf-root fieldset[data-path='parts'] > details[data-path='parts.p1_q3']")
    entry.wait_for(state="attached", timeout=60_000)
    share = entry.locator(".mf-field[data-path='parts.p1_q3.recovery.reuse.share']")
    assert share.count() == 0  # closed: its fields are not drawn yet
    page.evaluate("() => { document.getElementById('workspace').open = true; }")
    entry.locator(":scope > summary").click()
    sync_api.expect(share).to_be_visible()
    # a problem typed in a part's BOM inside the first product's tree opens the part's own
    # entry under Parts, drawn, with the problem beside the same field
    tree = page.locator("#mf-root details[data-path='products.p0'] "
                        "details[data-path='parts.p0_q5']")
    tree.locator(":scope > summary").click()
    mass = "[data-path='parts.p0_q5.bom[0].mass']"
    tree.locator(f"{mass} input").fill("abc")
    own = page.locator("#mf-root fieldset[data-path='parts'] > "
                       "details[data-path='parts.p0_q5']")
    sync_api.expect(own).to_have_attribute("open", "", timeout=30_000)
    sync_api.expect(own.locator(f"{mass} > .mf-err")).to_contain_text("not a number")


def test_a_long_parameter_list_is_grouped_and_its_edits_run(page: Any, server: str) -> None:
    from lifecycle_bench import generate_model

    # 5 products x 5 parameters and 100 parts x 4: 425 parameters, more than 120
    _open_model(page, server, generate_model(n_products=5, n_parts=20, n_materials=3,
                                             n_years=5))
    parts = page.locator("#params details[data-group='parts']")
    sync_api.expect(parts.locator(":scope > summary")).to_have_text("Parts (100)",
                                                                    timeout=60_000)
    sync_api.expect(page.locator("#params details[data-group='products'] > summary")
                    ).to_have_text("Products (5)")
    assert page.locator("#params .param input").count() == 0  # no field before it is opened
    search = page.get_by_label("Find a product or part (name or title)")
    search.fill("P1_Q1")  # any case: p1_q1 and p1_q10 … p1_q19
    sync_api.expect(page.locator("#params .param-search [role=status]")).to_have_text(
        "11 of 105 shown")
    sync_api.expect(parts.locator("details[data-group='parts.p1_q12']")).to_be_visible()
    sync_api.expect(parts.locator("details[data-group='parts.p1_q3']")).to_be_hidden()
    search.fill("")
    sync_api.expect(parts.locator("details[data-group='parts.p1_q3']")).to_be_attached()
    part = parts.locator("details[data-group='parts.p1_q3']")
    sync_api.expect(part.locator(":scope > summary")).to_have_text("p1_q3 (4)")
    part.locator(":scope > summary").click()
    share = page.get_by_label("parts.p1_q3.recovery.reuse.share")
    sync_api.expect(share).to_be_visible()
    assert page.locator("#params .param input").count() == 4  # this part's only
    share.fill("0.25")
    sync_api.expect(page.locator("#edits")).to_contain_text("parts.p1_q3.recovery.reuse.share")
    page.get_by_role("button", name="Run").click()
    sync_api.expect(page.locator("#run-status")).to_have_text("Done.", timeout=60_000)
    sync_api.expect(page.locator("#result-header")).to_contain_text(
        "edits: parts.p1_q3.recovery.reuse.share = 0.25")
