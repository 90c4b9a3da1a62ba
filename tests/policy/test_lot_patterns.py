"""Which product a lot counts for: each lot is matched once against all the plan's patterns
(names looked up, wildcards indexed by their literal ends or runs), and the report assigns it
exactly as trying every product's patterns with :func:`fnmatch.fnmatchcase` would — on the
listed patterns and lots and on random plans and lots (a leading ``*`` often) — a name and a
wildcard of two products on one lot is refused, a lot at another site is not the product's,
a name that is also covered by the product's own wildcard counts once."""

from __future__ import annotations

import fnmatch
from typing import Any

import pytest

from junkan import policy
from junkan.core.errors import ModelError
from junkan.policy.lotmatch import LotMatcher
from junkan.policy.recycled import load_plan

PATTERNS = ["BTL-*", "BTL-1?", "BTL-[12]*", "AC-[!1]*", "*a", "BTL-3", "AC-7a", "?C-1*",
            "[AB]*-5", "AC-1[", "*", "X"]
LOTS = ["BTL-1", "BTL-12", "BTL-3", "BTL-3a", "AC-1", "AC-7a", "AC-1[", "BC-15", "X", "x",
        "AC-25", "BTL-", ""]


def test_the_matcher_agrees_with_fnmatch_for_every_product_and_lot() -> None:
    products = [("plant", PATTERNS[i: i + 3]) for i in range(0, len(PATTERNS), 2)]
    products += [("other", ["BTL-*"]), ("plant", ["BTL-3", "BTL-3", "BTL-*"])]
    match = LotMatcher(products).products
    for site in ("plant", "other", "nowhere"):
        for lot in LOTS:
            want = tuple(k for k, (s, pats) in enumerate(products)
                         if s == site and any(fnmatch.fnmatchcase(lot, p) for p in pats))
            assert match(site, lot) == want, (site, lot)


def _plan(*products: tuple[str, str, list[str]]) -> Any:
    return load_plan({"kind": "recycled_content_plan", "maker": "m", "products": [
        {"id": pid, "name": pid, "category": "c", "site": site, "lots": lots,
         "characteristics": ["post_consumer"]} for pid, site, lots in products]}, "plan")


def _statement(*lots: tuple[str, str, float]) -> dict[str, Any]:
    return {"org": "m", "accounts": [
        {"site": site, "characteristic": "post_consumer", "period": "2028Q2", "closed": True,
         "balance_kg": 0.0, "uncovered_claims": 0,
         "entries": [{"kind": "claim", "lot": lot, "mass_kg": kg, "basis_kg": 1_000,
                      "share": kg / 1_000, "uncovered": False}]} for site, lot, kg in lots]}


def _made(site: str, lot: str, custody: str = "segregated") -> dict[str, Any]:
    return {"lot": lot, "site": site, "custody": custody, "mass_kg": 1_000,
            "pre_consumer": 0.0, "post_consumer": 0.5, "made_at": "2028-06-01T00:00:00+00:00",
            "inputs": [], "period": "2028Q2"}


def test_each_lot_counts_for_the_product_whose_patterns_name_it() -> None:
    plan = _plan(("bottle", "plant", ["BTL-*", "BTL-7"]),  # a name its own wildcard covers
                 ("cap", "plant", ["CAP-1?", "LID-3"]),
                 ("remote", "yard", ["BTL-*"]))  # the same pattern at another site
    st = _statement(("plant", "BTL-7", 300), ("plant", "BTL-8", 100), ("plant", "CAP-12", 50),
                    ("plant", "CAP-2", 40), ("plant", "LID-3", 20), ("yard", "BTL-9", 10))
    made = [_made("plant", "BTL-20"), _made("yard", "BTL-21"), _made("plant", "LID-30")]
    rep = policy.run(plan, statement=st, period="FY2028", lots=made)
    lots = {p: [c["lot"] for c in rep.evidence(p)] for p in ("bottle", "cap", "remote")}
    assert lots == {"bottle": ["BTL-7", "BTL-8", "BTL-20", "BTL-20"],
                    "cap": ["CAP-12", "LID-3"], "remote": ["BTL-9", "BTL-21", "BTL-21"]}
    assert [c["lot"] for c in rep.unassigned_claims] == ["CAP-2"]
    total = {p["product"]: p["recycled_kg"] for p in rep.products
             if p["characteristic"] == "total"}
    assert total == {"bottle": 900, "cap": 70, "remote": 510}  # BTL-7 once, not twice


def test_a_lot_two_products_name_is_refused_by_name_or_wildcard() -> None:
    st = _statement(("plant", "BTL-7", 300), ("plant", "AC-1", 100))
    wild_and_name = _plan(("bottle", "plant", ["BTL-*"]), ("ac", "plant", ["AC-*", "BTL-7"]))
    with pytest.raises(ModelError, match=r"products\.ac\.lots: lot BTL-7 matches two products"):
        policy.run(wild_and_name, statement=st, period="FY2028")
    two_wild = _plan(("bottle", "plant", ["BTL-*"]), ("seven", "plant", ["*-7"]))
    with pytest.raises(ModelError, match=r"products\.seven\.lots: lot BTL-7 matches two"):
        policy.run(two_wild, statement=st, period="FY2028")
    # a made lot, too, naming both products
    made = [_made("plant", "AC-9")]
    twice = _plan(("ac", "plant", ["AC-?"]), ("nine", "plant", ["AC-9"]))
    with pytest.raises(ModelError, match=r"lot AC-9 matches two products \(ac, nine\)"):
        policy.run(twice, statement=_statement(), period="FY2028", lots=made)
    # the same patterns at two sites are two products' own lots
    apart = _plan(("bottle", "plant", ["BTL-*"]), ("yard", "yard", ["BTL-7"]))
    rep = policy.run(apart, statement=st, period="FY2028")
    assert [c["lot"] for c in rep.evidence("bottle")] == ["BTL-7"]
    assert rep.evidence("yard") == []



PIECES = ["a", "b", "B", "-", "1", "2", "*", "*", "?", "[ab]", "[!a]", "[a-", "[]a]", "[!]",
          "[z-a]", "]", "!", "[", "\\", "^", "\n", "é"]
"""Pattern pieces: names' characters, each wildcard, classes (negated, a range, an empty and
a reversed range, ``]`` first) and what is literal by accident (an unclosed ``[``, ``]``)."""
CHARS = "abB-12*?[]!\\^\né"


def _pieces(rng: Any) -> list[str]:
    pieces = [rng.choice(PIECES) for _ in range(rng.randrange(1, 6))]
    return ["*", *pieces] if rng.random() < 0.4 else pieces  # a leading * often (review 305)


def _lot(rng: Any, pieces: list[str]) -> str:
    """A lot the pattern of ``pieces`` may well name: a ``*`` as 0–3 characters, a ``?`` or a
    class as one, a piece otherwise as it is written or one character."""
    out = []
    for p in pieces:
        if p == "*":
            out.append("".join(rng.choice(CHARS) for _ in range(rng.randrange(4))))
        elif p == "?" or (p.startswith("[") and rng.random() < 0.5):
            out.append(rng.choice(CHARS))
        else:
            out.append(p)
    return "".join(out)


def test_the_matcher_agrees_with_fnmatch_on_random_plans_and_lots() -> None:
    """Random plans (two sites, products of 1–6 patterns, a leading ``*`` in 40 % of them)
    and lots, random or made to fit a pattern: every lot's products are fnmatchcase's."""
    import random

    rng = random.Random(305)
    hits = 0
    for _ in range(300):
        plan = [(rng.choice(("plant", "yard")), [_pieces(rng) for _ in range(rng.randint(1, 6))])
                for _ in range(rng.randint(1, 8))]
        products = [(site, ["".join(p) for p in pats]) for site, pats in plan]
        lots = ["".join(rng.choice(CHARS) for _ in range(rng.randrange(8))) for _ in range(20)]
        lots += [_lot(rng, rng.choice(pats)) for _, pats in plan for _ in range(10)]
        match = LotMatcher(products).products
        for site in ("plant", "yard"):
            for lot in lots:
                want = tuple(k for k, (s, ps) in enumerate(products)
                             if s == site and any(fnmatch.fnmatchcase(lot, p) for p in ps))
                assert match(site, lot) == want, (products, site, lot)
                hits += bool(want)
    assert hits > 10_000, hits  # most lots made to fit a pattern do


def test_a_pattern_is_tried_once_per_lot_however_often_its_fixed_text_occurs() -> None:
    """Review 306: a pattern wild at both ends is found by its longest fixed run; a lot
    holding that run 100 times tried each product's pattern 100 times (300 products, 20
    lots: 4.2 s, against 0.04 s before the index)."""
    from junkan.policy.lotmatch import LotMatcher

    m = LotMatcher([("s", ["*-" + "?" * k + "#*"]) for k in range(1, 301)])
    calls = 0
    core = m._core

    def counted(cores: tuple[str, ...]) -> Any:
        match = core(cores)

        def run(lot: str, pos: int, end: int) -> Any:
            nonlocal calls
            calls += 1
            return match(lot, pos, end)
        return run

    m._core = counted  # type: ignore[method-assign]
    lot = "-x" * 100 + "-ab#c"
    expected = [k for k in range(300) if fnmatch.fnmatchcase(lot, "*-" + "?" * (k + 1) + "#*")]
    assert list(m.products("s", lot)) == expected and len(expected) == 101
    assert calls <= 300
