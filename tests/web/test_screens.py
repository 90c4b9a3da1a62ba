"""Every page with its results, in English and in Japanese, at 1440×900 in Debian's Chromium:
screenshots kept in test-artifacts/screen-<lang>-<page>.png (looked at by a person), no
JavaScript error, and in Japanese no string of the English catalogue on screen — in the page's
text or in any chart (titles, axis titles, legends). Names that are data (model, scenario,
organisation and lot names, units, formulas) may stay as written."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
from tests.web.conftest import ARTIFACTS, CHROMIUM, FLAGS, choose_lang, require_browser

sync_api = require_browser()
pytestmark = pytest.mark.slow
expect = sync_api.expect
CATALOGUE = Path(__file__).parents[2] / "src" / "junkan" / "web" / "static" / "i18n"
DATA_KEYS = re.compile(
    r"^(example\.|indname\.|fw\.|al\.(make|model)\.|me\.(type|step)\.|mu\.stream\.)"
)
"""Catalogue entries that repeat data (the shipped examples' titles are the seeded models'
titles; the identification catalogue's product types, the circuits file's step names and the
survey's stream names, translated where known) or that read the same in both languages."""

NAMES = ["Demo Manufacturing", "Partner Recycling", "Demo user"]
"""Organisation and user names of the seeded service."""

CHART_TEXT = """() => [...document.querySelectorAll('.js-plotly-plot')]
  .filter((el) => el.offsetParent)
  .flatMap((el) => { const l = el.layout || {};
    const axes = Object.keys(l).filter((k) => /^[xy]axis\\d*$/.test(k))
      .map((k) => l[k].title && l[k].title.text);
    const names = (el.data || []).map((d) => d.showlegend === false ? '' : d.name);
    return [l.title && l.title.text, ...axes, ...names]; })
  .filter(Boolean).join('\\n')"""

SANKEY_DATA = """() => [...document.querySelectorAll('.js-plotly-plot')]
  .flatMap((el) => (el.data || []).filter((d) => d.type === 'sankey')
  .flatMap((d) => d.node.label.filter((_, i) =>
    ['#8d6e63', '#42a5f5', '#0b6e4f'].includes(d.node.color[i]))
  .flatMap((l) => [l.replaceAll('<br>', ' '), ...l.split('<br>')])))"""


def english_fragments() -> list[str]:
    """Pieces (between placeholders) of every English message that Japanese translates."""
    en = json.loads((CATALOGUE / "en.json").read_text("utf-8"))
    ja = json.loads((CATALOGUE / "ja.json").read_text("utf-8"))
    out = set()
    for key, text in en.items():
        if DATA_KEYS.match(key) or ja.get(key) == text:
            continue
        for piece in re.split(r"\{\w+\}", text):
            piece = piece.strip(" .,:;()·—–-…")
            if len(piece) >= 6 and re.search(r"[A-Za-z]{4}", piece):
                out.add(piece)
    return sorted(out)


def _check(page: Any, lang: str, name: str, errors: list[str]) -> None:
    # charts settle: two frames drawn after the last change, then a little for a chart's
    # own transition (a fixed 400 ms a page cost the two walks 10 s of CI, 2026-12-06)
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => "
                  "requestAnimationFrame(done)))")
    page.wait_for_timeout(100)
    page.screenshot(path=str(ARTIFACTS / f"screen-{lang}-{name}.png"), full_page=False)
    page.screenshot(path=str(ARTIFACTS / f"screen-{lang}-{name}-full.png"), full_page=True)
    assert not errors, (name, errors)
    # nothing wider than the window (the menu did not wrap: 1,658 px at 1,280, 2026-12-02)
    widths = page.evaluate("() => [document.documentElement.scrollWidth, "
                           "document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], (name, "page wider than the window", widths)
    if lang == "ja":
        text = page.evaluate("document.querySelector('header').innerText + '\\n' + "
                             "document.querySelector('main').innerText") + page.evaluate(CHART_TEXT)
        text = text + "\n" + page.title()
        # data, not messages: names, formulas, document paths, the document and its diff
        shown = page.evaluate("() => [...document.querySelectorAll("
                              "'main .data, main code, main pre')].map((e) => e.innerText)")
        # the value network's materials, parts and products are the model's own names (data);
        # its stages are the engine's and must be translated
        shown += page.evaluate(SANKEY_DATA)
        for data in sorted([*NAMES, *shown], key=len, reverse=True):
            text = text.replace(data, "")
        # a single word counts only on its own (not inside a path such as products.x.collection);
        # a full stop after it ends a sentence unless a name goes on after it
        left = [p for p in english_fragments()
                if re.search(rf"(?<![\w.\-/]){re.escape(p)}(?![\w\-/]|\.[\w/])", text)]
        where = {p: text[max(0, text.find(p) - 30):text.find(p) + 30] for p in left[:6]}
        assert not left, (name, left, where)


def _walk(page: Any, server: str, lang: str, tmp: Path, errors: list[str]) -> None:
    from tests.network.test_plan import SMALL as NETWORK

    page.goto(f"{server}/#/login")
    page.locator("#email").wait_for()
    choose_lang(page, lang)
    page.wait_for_function("(l) => document.documentElement.lang === l", arg=lang)
    _check(page, lang, "login", errors)
    page.fill("#email", DEMO_EMAIL)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.locator("#models-table tbody tr").first.wait_for()
    page.locator("#examples button").first.wait_for()
    _check(page, lang, "models", errors)
    page.click("#models-table a[href^='#/models/']:text-is('atm_reuse')")
    page.locator("#network .main-svg").first.wait_for()
    page.wait_for_function("() => document.querySelectorAll('#network-legend li').length >= 8")
    page.select_option("#scenario", "improvement_1")
    page.fill("#params input[data-path='products.atm.eol.collection.rate']", "0.7")
    page.click("#run")
    page.locator("#sankey .main-svg").first.wait_for(timeout=60_000)
    page.click("#compare")
    page.locator("#compare-table tbody tr").first.wait_for(timeout=60_000)
    page.click("#workspace summary")
    page.click("#diff-form button")
    page.wait_for_function("() => document.getElementById('diff-summary').textContent.length > 0")
    _check(page, lang, "model", errors)
    net = tmp / "net.yaml"
    net.write_text(yaml.safe_dump(NETWORK), encoding="utf-8")
    page.goto(f"{server}/#/network")
    page.set_input_files("#network-file", str(net))
    page.fill("#carbon-price", "20000")
    page.click("#network-solve")
    page.locator("#network-map .main-svg").first.wait_for(timeout=120_000)
    # the map shows the best plan so far at once: wait for the final one (the solve ended),
    # so the solve does not run on beside the pages that follow
    expect(page.locator("#network-solve")).to_be_enabled(timeout=120_000)
    _check(page, lang, "network", errors)
    page.goto(f"{server}/#/foresight")
    page.locator("#fs-fans .main-svg").first.wait_for(timeout=60_000)
    page.fill("#fs-n", "300")
    page.click("#fs-analyse")
    page.locator("#fs-tree .main-svg").first.wait_for(timeout=120_000)
    _check(page, lang, "foresight", errors)
    page.goto(f"{server}/#/alloys")
    page.locator("#al-vehicles input").first.wait_for()
    page.select_option("#al-buyer", "adc12_feed")
    page.click("#al-form button[type=submit]")
    page.locator("#al-chart .main-svg").first.wait_for(timeout=60_000)
    page.click("#al-plan")
    page.locator("#al-plan-table tbody tr").first.wait_for(timeout=60_000)
    _check(page, lang, "alloys", errors)
    page.goto(f"{server}/#/trace")
    page.fill("#tr-lot", "DEMO-BLEND-1")
    page.click("#tr-form button")
    # the genealogy answered (its summary, or a problem said in the failure): on a loaded CI
    # machine, right after the solves above, the answer can take a while
    page.wait_for_function("() => document.getElementById('tr-summary').textContent"
                           " || document.getElementById('tr-errors').textContent",
                           timeout=120_000)
    problem = page.locator("#tr-errors").inner_text()
    assert not problem, f"DEMO-BLEND-1 refused in {lang}: {problem}"
    page.locator("#tr-breakdown .main-svg").first.wait_for(timeout=60_000)
    _check(page, lang, "trace", errors)
    _walk_capabilities(page, server, lang, errors)


def _walk_capabilities(page: Any, server: str, lang: str, errors: list[str]) -> None:
    """The market, shredder monitor, analyses and indicator pages (their runs are in
    test_capability_pages and test_a11y)."""
    page.goto(f"{server}/#/market")
    page.locator("#mk-conditions-empty:not([hidden])").wait_for()
    _check(page, lang, "market", errors)
    page.goto(f"{server}/#/sensing")
    expect(page.locator("#sn-doc")).not_to_have_value("")
    _check(page, lang, "sensing", errors)
    page.goto(f"{server}/#/analyses")
    page.locator("#an-model option").first.wait_for(state="attached")
    options = page.locator("#an-model option").all_inner_texts()
    page.select_option("#an-model", label=next(o for o in options if "(compressor_magnet," in o))
    page.check("input[name='an-kind'][value='optimise']")
    page.click("#an-example")
    expect(page.locator("#an-spec")).not_to_have_value("")
    page.click("#an-start")
    page.locator("#an-chart .main-svg").first.wait_for(timeout=120_000)
    _check(page, lang, "analyses", errors)
    page.goto(f"{server}/#/indicators")
    page.locator("#ic-graph .main-svg").first.wait_for()
    _check(page, lang, "indicators", errors)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_page_in_both_languages(server: str, tmp_path: Path, lang: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1440, "height": 900}, locale="ja-JP" if lang == "ja" else "en-GB")
        page = ctx.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        # a refused request shows as a console error too (401 before sign-in): server errors count
        page.on("console", lambda m: errors.append(m.text) if m.type == "error"
                and not m.text.startswith("Failed to load resource") else None)
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500
                else None)
        try:
            _walk(page, server, lang, tmp_path, errors)
        finally:
            ctx.close()
