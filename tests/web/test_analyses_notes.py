"""What a lifecycle analysis says about itself, on the analyses page in English and Japanese: a
sensitivity's base sample size (rounded up to a power of 2 for Sobol', said so), its correlated
groups analysed as independent, a warning when its indices are unstable, each index with its 95 %
half-width; an uncertainty study's scenario comparisons with P(equal) and ties counted as half.
The page said none of these before (2026-12-03). Each analysis is kept small."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import choose_lang, require_browser
from tests.web.test_analyses_review import _open
from tests.web.test_analyses_vision_walk import _analysis
from tests.web.test_nature_vision_pages import _job

sync_api = require_browser()
expect = sync_api.expect
pytestmark = pytest.mark.slow


def _note(page: Any, kind: str) -> Any:
    return page.locator(f"#an-notes li[data-note='{kind}']")


def test_sensitivity_n_groups_and_unstable_in_both_languages(page: Any, server: str) -> None:
    errors = _open(page, server)
    label = next(t for t in page.locator("#an-model option").all_inner_texts()
                 if "(compressor_magnet," in t)
    page.select_option("#an-model", label=label)
    page.check("input[name='an-kind'][value='sensitivity']")
    page.select_option("#an-method", "sobol")
    page.fill("#an-n", "5")  # Sobol' takes a power of 2: run as 8
    job = _analysis(page, "compressor_magnet", "sensitivity")
    ref = _job(page, server, f"/api/lifecycle/analyses/{job}")
    assert (ref["n"], ref["n_requested"]) == (8, 5), ref["notes"]
    groups = ref["correlated_groups"]
    assert groups, "the shipped settings have a correlated group"
    said_unstable = [n for n in ref["notes"] if "are unstable" in n]
    assert said_unstable, "n = 8 leaves the shipped model's indices unstable"

    expect(_note(page, "n-rounded")).to_have_text(
        "Base samples n = 8, rounded up from the 5 asked for (Saltelli sampling takes a power "
        f"of 2): {ref['evaluations']:,} model evaluations.")
    expect(_note(page, "n")).to_have_count(0)
    corr = _note(page, "correlated")
    expect(corr).to_have_count(len(groups))
    for i, g in enumerate(groups):
        said = f"Group {g['group']} (correlation {g['correlation']:g}:"
        expect(corr.nth(i)).to_contain_text(said)
        expect(corr.nth(i)).to_contain_text(", ".join(g["parameters"]))
        expect(corr.nth(i)).to_contain_text("analysed as independent")
    warn = _note(page, "unstable")
    expect(warn).to_have_count(1)
    expect(warn).to_have_attribute("role", "alert")
    expect(warn).to_contain_text("are unstable")
    expect(warn).to_contain_text("raise the base samples (n)")
    # the same outputs as the service names (its note: "the indices of X, Y are unstable …")
    named = re.search(r"the indices of (.+?) are unstable", said_unstable[0])
    assert named
    shown = re.search(r"The indices of (.+?) are unstable", warn.inner_text())
    assert shown and len(shown.group(1).split("; ")) == len(named.group(1).split(", "))
    # the service's own words kept as the notes' tooltip
    assert page.locator("#an-notes").get_attribute("title") == "\n".join(ref["notes"])
    # each index with its 95 % half-width
    cells = page.locator("#an-table tbody tr").first.locator("td").all_inner_texts()
    assert " ± " in cells[1] and " ± " in cells[2], cells

    choose_lang(page, "ja")
    expect(_note(page, "n-rounded")).to_have_text(
        f"基本サンプル数 n = 8（指定の 5 から切り上げ。Saltelli サンプリングは 2 のべき乗が必要）："
        f"モデル評価 {ref['evaluations']:,} 回。")
    expect(corr.first).to_contain_text(f"グループ {groups[0]['group']}（相関")
    expect(corr.first).to_contain_text("独立として分析しました")
    expect(warn).to_contain_text("の指標は不安定です")
    expect(warn).to_contain_text("基本サンプル数（n）を増やしてください")
    assert "unstable" not in page.locator("#an-notes").inner_text()
    choose_lang(page, "en")

    # Morris takes n as asked: the n used, no word of rounding
    page.select_option("#an-method", "morris")
    page.fill("#an-n", "4")
    job = _analysis(page, "compressor_magnet", "sensitivity")
    ref = _job(page, server, f"/api/lifecycle/analyses/{job}")
    assert ref["n"] == ref["n_requested"] == 4
    expect(_note(page, "n")).to_have_text(
        f"Base samples n = 4: {ref['evaluations']:,} model evaluations.")
    expect(_note(page, "n-rounded")).to_have_count(0)
    expect(_note(page, "correlated")).to_have_count(len(ref["correlated_groups"]))
    assert not errors, errors


def test_uncertainty_p_equal_and_ties_in_both_languages(page: Any, server: str) -> None:
    errors = _open(page, server)
    job = _analysis(page, "compressor_magnet", "uncertainty", runs=3)
    ref = _job(page, server, f"/api/lifecycle/analyses/{job}")
    cmp = ref["comparisons"]
    assert cmp
    # a total some pair ties on in every run (the same structure in both scenarios)
    key = next(k for c in cmp for k, p in c["p_equal"].items() if p == 1.0)
    page.select_option("#an-figure", f"totals:{key}")
    table = page.locator("#an-extra-table")
    expect(page.locator("#an-extra-title")).to_have_text(
        "Scenarios compared on the figure shown (paired runs; ties count as half)")
    heads = table.locator("thead th").all_inner_texts()
    assert heads[0] == "Scenario A" and heads[1] == "Scenario B" and heads[3] == "P(equal)", heads
    assert heads[2].startswith("P(B beats A;"), heads
    expect(table.locator("tbody tr")).to_have_count(len(cmp))
    for i, c in enumerate(cmp):
        cells = table.locator("tbody tr").nth(i).locator("td").all_inner_texts()
        assert cells[:2] == [c["a"], c["b"]], cells
        if c["p_equal"][key] == 1.0:  # a tie in every run: half, not 0
            assert cells[2:] == ["50 %", "100 %"], cells
    expect(_note(page, "ties")).to_have_text(
        "Ties count as half: P(B beats A) = P(B better) + ½ P(equal); the comparison table "
        "under the chart gives P(equal).")
    # a headline figure: P(B greater than A) and its own P(equal)
    head = next(iter(cmp[0]["p_equal_headline"]))
    page.select_option("#an-figure", f"headline:{head}")
    expect(table.locator("thead th").nth(2)).to_have_text("P(B greater than A)")
    expect(table.locator("tbody tr")).to_have_count(
        sum(head in c["p_equal_headline"] for c in cmp))

    choose_lang(page, "ja")
    expect(table.locator("thead th").nth(3)).to_have_text("P(同値)")
    expect(table.locator("thead th").nth(2)).to_have_text("P(B が A より大きい)")
    expect(_note(page, "ties")).to_contain_text("同値は半分として数えます")
    assert not errors, errors
