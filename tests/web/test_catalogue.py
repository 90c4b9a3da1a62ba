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


def test_every_field_pattern_is_said_in_words() -> None:
    """A field refused for its pattern says the form it takes (form.like.<pattern>): the
    message was "the text is not in the form the field asks for", naming no form (the
    Solar page's model number "PV-X 300", with a space, in either language)."""
    html = (STATIC / "index.html").read_text("utf-8")
    patterns = set(re.findall(r'\spattern="([^"]+)"', html))
    for script in STATIC.glob("*.js"):
        literals = re.findall(r'(?:\bpattern: |_PATTERN = )("(?:[^"\\]|\\.)*")',
                              script.read_text("utf-8"))
        patterns |= {json.loads(lit) for lit in literals}
    assert len(patterns) >= 5, patterns
    en = _catalogue("en")
    missing = {p for p in patterns if f"form.like.{p}" not in en}
    assert not missing, missing


def test_scripts_are_small_modules() -> None:
    html = (STATIC / "index.html").read_text("utf-8")
    assert '<script type="module" src="/static/app.js">' in html
    for script in STATIC.glob("*.js"):
        text = script.read_text("utf-8")
        assert len(text.splitlines()) <= 500, script.name
        assert "http://" not in text and "https://" not in text, script.name  # no CDN


EMPTY_SIDES = """
name: empty-sides
currency: JPY
inflows: [{name: ore, mass: 10 t}]
products:
  - {name: a, mass: 1 kg, recycled_feedstock: 0.5, collected_for_recycling: 0.5,
     lifetime: 5 year, industry_lifetime: 5 year, industry_lifetime_source: test, revenue: 0}
  - {name: b, mass: 1 kg, recycled_feedstock: 0.2, collected_for_recycling: 0.1,
     lifetime: 5 year, industry_lifetime: 5 year, industry_lifetime_source: test, revenue: 0}
"""
"""A flow model with no outflow and no revenue: reasons the examples do not give."""


def test_the_indicators_words_are_catalogued_as_the_service_says_them() -> None:
    """The page says an indicator's formula (by key) and why it cannot be computed (by the
    reason's code, ``indreason.<code>``) in Japanese: every reason the examples' indicators
    and a flow model with empty sides give has a code whose English wording, filled with its
    parameters, is the service's reason word for word, and the examples' formulas with words
    in them have a Japanese wording."""
    from junkan import indicators, lifecycle
    from junkan.core.errors import fill_in

    en, ja = _catalogue("en"), _catalogue("ja")
    found: dict[str, tuple[str, str | None]] = {}
    coded: list[tuple[str, str | None, dict[str, str]]] = []
    runs = [indicators.run(lifecycle.run(lifecycle.load(
        STATIC.parents[1] / "data" / "examples" / f"{name}.yaml")))
        for name in ("compressor_magnet", "atm_reuse")]
    runs.append(indicators.run(indicators.load(text=EMPTY_SIDES, source="empty.yaml")))
    for n, res in enumerate(runs):
        for inds in res.indicators.values():
            for ind in inds:
                if n < 2:  # the examples' formulas
                    found.setdefault(ind.key, (ind.formula, ind.reason))
                if ind.reason:
                    coded.append((ind.reason, ind.reason_code, dict(ind.reason_params)))
    assert coded
    for reason, code, params in coded:
        assert code is not None, reason
        assert f"indreason.{code}" in en and f"indreason.{code}" in ja, code
        if code != "circularity-needs-both":  # it also quotes the sides' own reasons
            assert fill_in(en[f"indreason.{code}"], params) == reason
    worded = {k for k, (f, _) in found.items() if re.search(r"[a-z]{4}", f or "")}
    missing = {k for k in worded if f"indformula.{k}" not in en
               and f"indformula.{'.'.join(k.split('.')[:2])}" not in en}
    assert not missing, sorted(missing)


FULL = """
name: acme-2025
currency: JPY
inflows:
  - {name: steel, mass: 600 t, recycled: 0.5, recycling_efficiency: 0.9}
  - {name: natural rubber, mass: 400 t, renewable: 0.25, critical: true, biological: true}
outflows:
  - {name: scrap, mass: 500 t, route: recycling, recovery_potential: 0.8, actual_recovery: 0.5}
  - {name: fuel, mass: 100 t, route: energy_recovery, recovery_potential: 1,
     actual_recovery: 1}
  - {name: residue, mass: 300 t, route: landfill, hazardous: false}
products:
  - {name: tyre, mass: 9 kg, recycled_feedstock: 0.1, collected_for_recycling: 0.6,
     recycling_efficiency_eol: 0.8, lifetime: 5 year, industry_lifetime: 4 year,
     industry_lifetime_source: test, revenue: 1.0e9}
energy: {total: 400 MWh, renewable: 100 MWh, exported: 50 MWh, exported_renewable: 50 MWh}
water: {withdrawn: 100 m**3, withdrawn_circular: 20 m**3, recirculated: 25 m**3,
        discharged: 80 m**3, discharged_at_quality: 60 m**3}
finance: {revenue: 1.2e9, value_added: 3.0e8, variable_circulation_cost: 1.0e8,
          capex: [{name: line, amount: 4.0e8, legal_service_life: 8 year, actual_life_index: 1}]}
"""
"""A flow model with every section: the notes of every framework (E_F from the inflows, an
outflow on a route CTI does not count as circular, no base period)."""


def test_the_indicators_notes_are_catalogued_as_the_service_says_them() -> None:
    """The page's tooltip of an indicator says its notes in Japanese (by the note's code,
    ``indnote.<code>``): every note of the examples' indicators and of a flow model with
    every section has a code whose English wording, filled with the figures it quotes, is
    the service's note word for word; the service's JSON carries the codes in the notes'
    order; and every coded wording is in both catalogues."""
    from junkan import indicators, lifecycle
    from junkan.core.errors import fill_in
    from junkan.indicators.notes import TEMPLATES, Note

    en, ja = _catalogue("en"), _catalogue("ja")
    assert {k for k in en if k.startswith("indnote.")} == {f"indnote.{c}" for c in TEMPLATES}
    assert all(en[f"indnote.{c}"] == text for c, text in TEMPLATES.items())
    assert all(ja[f"indnote.{c}"] != en[f"indnote.{c}"] for c in TEMPLATES)
    runs = [indicators.run(lifecycle.run(lifecycle.load(
        STATIC.parents[1] / "data" / "examples" / f"{name}.yaml")))
        for name in ("compressor_magnet", "atm_reuse")]
    runs.append(indicators.run(indicators.load(text=FULL, source="full.yaml")))
    seen: set[str] = set()
    for res in runs:
        for rows in res.to_json().values():
            for row in rows:
                codes = row.get("note_codes") or [None] * len(row["notes"])
                assert len(codes) == len(row["notes"]), row["key"]
                for text, coded in zip(row["notes"], codes, strict=True):
                    assert coded is not None, text
                    assert fill_in(en[f"indnote.{coded['code']}"], coded["params"]) == text
                    seen.add(coded["code"])
        for inds in res.indicators.values():
            assert all(isinstance(n, Note) and n.code for i in inds for n in i.notes)
    # what this model says: E_F taken from the inflows, the route outside CTI, every framework
    assert {"ef-from-inflows", "cti-not-circular", "iso-intensity-inferred", "rap-lab-report",
            "cti-water-circulation", "iso-energy-exported", "mci-not-read"} <= seen


def test_a_page_named_in_a_message_is_named_as_the_menu_names_it() -> None:
    """A network scenario uploaded as a model is sent to the network page by name: the
    Japanese message said 「回収ネットワーク計画」, a page the menu (ネットワーク計画) does not
    list."""
    en, ja = _catalogue("en"), _catalogue("ja")
    assert f"on the {en['network.nav']} page" in en["err.networkAsModel"]
    assert f"「{ja['network.nav']}」ページ" in ja["err.networkAsModel"]
