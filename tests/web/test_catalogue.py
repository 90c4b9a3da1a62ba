"""The UI's message catalogues without a browser: both languages have the same keys, every
message the scripts and the page name exists, placeholders match between languages, and no
script module passes 500 lines."""

from __future__ import annotations

import json
import re
from pathlib import Path

STATIC = Path(__file__).parents[2] / "src" / "junkan" / "web" / "static"


def _catalogue(lang: str) -> dict[str, str]:
    doc: dict[str, str] = json.loads((STATIC / "i18n" / f"{lang}.json").read_text("utf-8"))
    return doc


def test_both_languages_have_the_same_messages_and_placeholders() -> None:
    en, ja = _catalogue("en"), _catalogue("ja")
    assert set(en) == set(ja)
    for key in en:
        assert set(re.findall(r"\{(\w+)\}", en[key])) == set(re.findall(r"\{(\w+)\}", ja[key])), key


def test_every_named_message_exists() -> None:
    en = _catalogue("en")
    named = set(re.findall(r'data-i18n(?:-label|-placeholder)?="([^"]+)"',
                           (STATIC / "index.html").read_text("utf-8")))
    for script in STATIC.glob("*.js"):
        named |= set(re.findall(r'\bt\("([^"]+)"', script.read_text("utf-8")))
    assert named and not named - set(en), sorted(named - set(en))


def test_scripts_are_small_modules() -> None:
    html = (STATIC / "index.html").read_text("utf-8")
    assert '<script type="module" src="/static/app.js">' in html
    for script in STATIC.glob("*.js"):
        text = script.read_text("utf-8")
        assert len(text.splitlines()) <= 500, script.name
        assert "http://" not in text and "https://" not in text, script.name  # no CDN


def test_the_indicators_words_are_catalogued_as_the_service_says_them() -> None:
    """The page says an indicator's formula (by key) and why it cannot be computed (by the
    service's English words, mapped to a code in core.js) in Japanese: every reason core.js
    maps is one the indicators give, word for word, and the examples' formulas with words
    in them have a Japanese wording."""
    from junkan import indicators, lifecycle

    en = _catalogue("en")
    core = (STATIC / "core.js").read_text("utf-8")
    found_map = re.search(r"const IND_REASONS = Object.freeze\((\{.*?\})\);", core)
    assert found_map is not None
    mapped = json.loads(found_map.group(1))
    assert {f"indreason.{c}" for c in mapped.values()} <= set(en)
    assert all(en[f"indreason.{c}"] == text for text, c in mapped.items())
    found: dict[str, tuple[str, str | None]] = {}
    for name in ("compressor_magnet", "atm_reuse"):
        path = STATIC.parents[1] / "data" / "examples" / f"{name}.yaml"
        res = lifecycle.run(lifecycle.load(path))
        for inds in indicators.run(res).indicators.values():
            for ind in inds:
                found[ind.key] = (ind.formula, ind.reason)
    reasons = {r for _, r in found.values() if r}
    assert reasons and reasons <= set(mapped), sorted(reasons - set(mapped))
    worded = {k for k, (f, _) in found.items() if re.search(r"[a-z]{4}", f or "")}
    missing = {k for k in worded if f"indformula.{k}" not in en
               and f"indformula.{'.'.join(k.split('.')[:2])}" not in en}
    assert not missing, sorted(missing)
