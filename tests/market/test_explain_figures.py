"""Unmatched lots carry their figures apart from the English message, and the Market page
words every reason in both languages from exactly those figures (no placeholder the solver
does not fill, none left out between English and Japanese)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from junkan import market
from tests.market.test_match import _base

I18N = Path(__file__).resolve().parents[2] / "src" / "junkan" / "web" / "static" / "i18n"
CATALOGUE = {lang: json.loads((I18N / f"{lang}.json").read_text("utf-8")) for lang in ("en", "ja")}


def _holes(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def _key(u: dict[str, Any]) -> str:
    if u["code"] == "min_lot" and not u["figures"].get("pools"):
        return "mk.whyFig.min_lot_unpooled"
    return f"mk.whyFig.{u['code']}"


def test_every_reason_has_a_wording_in_both_languages() -> None:
    codes = [k.removeprefix("mk.why.") for k in CATALOGUE["en"] if k.startswith("mk.why.")]
    assert "capacity" in codes and "min_lot" in codes
    for code in [*codes, "min_lot_unpooled"]:
        en, ja = (CATALOGUE[lang][f"mk.whyFig.{code}"] for lang in ("en", "ja"))
        assert _holes(en) == _holes(ja), code
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", ja), code  # Japanese, not a copy


def _rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return market.run(market.load(text=json.dumps(doc))).unmatched_rows()


def test_figures_fill_the_wording_exactly() -> None:
    seen = set()
    doc = _base()
    doc["conditions"][0]["granted_to"] = ["s1", "s2"]
    small = _base()
    small["lots"][2]["item"]["quantity"]["mass"] = 3_000
    full = _base()
    full["conditions"][0]["capacity"] = "15 t"
    blend = _base()
    blend["lots"] = blend["lots"][:2]
    blend["lots"][1]["item"]["composition"]["Fe"] = 2.0
    for d in (doc, small, full, blend):
        for u in _rows(d):
            holes = _holes(CATALOGUE["en"][_key(u)])
            assert set(u["figures"]) == holes, (u["code"], u["figures"])
            seen.add(u["code"])
            if u["code"] == "min_lot":
                assert u["figures"]["kg"] == 3_000 and u["figures"]["min_lot_kg"] == 10_000
            if u["code"] == "capacity":
                assert u["figures"]["capacity_kg"] == 15_000
    assert {"not_granted", "min_lot", "capacity", "blend_window"} <= seen
