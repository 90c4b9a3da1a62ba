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
