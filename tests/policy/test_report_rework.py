"""Rework and content passing between products in a periodic report (review 322, findings
3, 4 and 6): what a lot takes from lots already counted — the product's own (rework, a
repack) or another product's — is counted once, under a claim as physically.

Hand figures on the guide's sample ledger (:func:`tests.policy.test_report_lots.sample`:
R-PET-1, 20 t of flakes at 50 % post-consumer; V-PET-1 virgin)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from junkan import policy
from junkan.store.db import Database
from junkan.store.repo import Store
from junkan.store.trace_repo import TraceRepo
from tests.api.conftest import store_url
from tests.policy.test_recycled import MAY, load_plan, receive
from tests.policy.test_recycled import PLAN as PLAN2
from tests.policy.test_report_lots import report, rows, sample
from tests.trace.test_ledger import create, ev


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def repo(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TraceRepo, Store]]:
    url = store_url(request.param, tmp_path_factory.mktemp("rework"), "trace.db")
    db = Database(url)
    db.migrate()
    yield TraceRepo(db), Store(db)
    db.engine.dispose()


MAKERS = itertools.count()


def step(lot: str, inputs: list[tuple[str, float]], claim: float | None = None,
         material: str = "PET bottles") -> dict[str, Any]:
    """A step of 2028Q2 making ``lot`` (output mass = input mass): mass balance claiming
    ``claim`` post-consumer, else controlled blending."""
    d: dict[str, Any] = {
        "type": "process", "lot": lot, "material": material, "site": "plant",
        "mass_kg": sum(kg for _, kg in inputs), "period": "2028Q2",
        "inputs": [{"lot": i, "mass_kg": kg} for i, kg in inputs],
        "custody": "controlled_blending" if claim is None else "mass_balance"}
    if claim is not None:
        d["claim"] = {"post_consumer": claim}
    return d


def totals(repo: tuple[TraceRepo, Store], steps: list[dict[str, Any]]) -> dict[str, Any]:
    maker = f"mk-rw-{next(MAKERS)}"
    sample(repo, maker, steps)
    rep = report(repo, maker, "FY2028")
    return {p: (round(r["recycled_kg"], 6), round(r["basis_kg"], 6))
            for (p, ch), r in rows(rep).items() if ch == "total"} | {"report": rep}


@pytest.mark.parametrize(("kind", "c", "expect"), [
    ("rework", 0.0, (4_200, 18_000)), ("rework", 0.001, (4_200, 18_000)),
    ("rework", 0.35, (6_300, 18_000)),
    ("repack", 0.0, (4_200, 12_000)), ("repack", 0.001, (4_200, 12_000)),
    ("repack", 0.35, (4_200, 12_000)), ("repack", 0.45, (5_400, 12_000)),
    ("cb", 0.0, (3_000, 18_000)), ("cb", 0.001, (3_000, 18_000)),
    ("cb", 0.25, (4_500, 18_000))])
def test_a_mass_balance_lot_reworking_a_product_lot_counts_what_it_adds(
        repo: tuple[TraceRepo, Store], kind: str, c: float, expect: tuple[float, float]
) -> None:
    """BTL-01 (mass balance, 12,000 kg of virgin resin) claims 35 %: 4,200 kg.
    BTL-02 (mass balance) is made from 6,000 kg of BTL-01 and 6,000 kg of virgin resin and
    claims c on its 12,000 kg input. Its basis is the 6,000 kg not from BTL-01 (counted with
    BTL-01), and its claim counts what the 6,000 kg of BTL-01 did not carry already
    (2,100 kg): c = 0 and 0.001 → 4,200 / 18,000 (23.3 %), c = 0.35 → 4,200 + 2,100 =
    6,300 / 18,000 (35 %). It was 4,200 / 18,000, then 4,212 / 24,000 at 0.001 and
    8,400 / 24,000 at 0.35: the basis jumped by the reworked 6,000 kg once anything was
    claimed. A repack (BTL-02 from 12,000 kg of BTL-01): 4,200 / 12,000 up to c = 0.35,
    at 0.45 the 5,400 kg claimed less the 4,200 carried → 5,400 / 12,000 (was 4,212 /
    24,000 at 0.001). A controlled blend BTL-01 (6,000 kg of flakes + 6,000 virgin: 3,000
    kg) reworked by BTL-02 likewise: 3,000 / 18,000 at c = 0 and 0.001 (was 3,012 /
    24,000), 3,000 + (3,000 − 1,500) = 4,500 / 18,000 at 0.25."""
    first = (step("BTL-01", [("R-PET-1", 6_000), ("V-PET-1", 6_000)]) if kind == "cb" else
             step("BTL-01", [("V-PET-1", 12_000)], claim=0.35))
    inputs = [("BTL-01", 12_000)] if kind == "repack" else [("BTL-01", 6_000),
                                                           ("V-PET-1", 6_000)]
    got = totals(repo, [first, step("BTL-02", inputs, claim=c)])
    assert got["bottle-PET"] == pytest.approx(expect)
    entries = [e for e in got["report"].evidence("bottle-PET") if e["lot"] == "BTL-02"]
    if c > 0:
        post = next(e for e in entries if e["characteristic"] == "post_consumer")
        assert post["reworked_kg"] == (12_000 if kind == "repack" else 6_000)
        assert post.get("booked_kg", post["mass_kg"]) == pytest.approx(c * 12_000)


def test_content_of_another_products_lot_is_counted_with_that_product(
        repo: tuple[TraceRepo, Store]) -> None:
    """AC-01 (aircon-housing, controlled blending) is 4,000 kg of flakes + 4,000 kg virgin:
    2,000 / 8,000 kg. BTL-01 (bottle-PET) blends 4,000 kg of AC-01 with 4,000 kg virgin:
    12.5 % in the ledger, all of it AC-01's flakes, counted with aircon-housing — so 0 of
    8,000 kg (was 1,000: 3,000 kg reported of the 2,000 kg that went in). The basis keeps
    the lot's mass, as when AC-01 is a mass-balance lot (its claim passed on, 0 / 8,000).
    Through an intermediate no product matches (MIX-1: 4,000 kg of AC-01 + 4,000 virgin;
    BTL-01: 4,000 kg of MIX-1 + 2,000 kg of flakes + 2,000 virgin) BTL-01 adds the flakes'
    1,000 kg (was 1,500); a mass-balance BTL-01 claiming 30 % of 4,000 kg of AC-01 and
    4,000 virgin counts the 2,400 kg claimed less the 1,000 kg AC-01 carried: 1,400."""
    ac = step("AC-01", [("R-PET-1", 4_000), ("V-PET-1", 4_000)], material="housing")
    got = totals(repo, [ac, step("BTL-01", [("AC-01", 4_000), ("V-PET-1", 4_000)])])
    assert got["aircon-housing"] == (2_000, 8_000)
    assert got["bottle-PET"] == (0, 8_000)
    post = next(e for e in got["report"].evidence("bottle-PET")
                if e["characteristic"] == "post_consumer")
    assert post["other_product_share"] == pytest.approx(0.125) and "claim_share" not in post
    mix = step("MIX-1", [("AC-01", 4_000), ("V-PET-1", 4_000)])
    got = totals(repo, [ac, mix, step("BTL-01", [("MIX-1", 4_000), ("R-PET-1", 2_000),
                                                 ("V-PET-1", 2_000)])])
    assert got["aircon-housing"] == (2_000, 8_000)
    assert got["bottle-PET"] == (1_000, 8_000)
    got = totals(repo, [ac, step("BTL-01", [("AC-01", 4_000), ("V-PET-1", 4_000)],
                                 claim=0.3)])
    assert got["bottle-PET"] == (1_400, 8_000)
    ac_mb = step("AC-01", [("V-PET-1", 8_000)], claim=0.25, material="housing")
    got = totals(repo, [ac_mb, step("BTL-01", [("AC-01", 4_000), ("V-PET-1", 4_000)])])
    assert got["aircon-housing"] == (2_000, 8_000) and got["bottle-PET"] == (0, 8_000)


COUNTER = itertools.count()
STEPS = st.lists(st.tuples(
    st.sampled_from(["BTL", "AC", "X"]),
    st.sampled_from([None, None, None, 0.0, 0.001, 0.35]),
    st.lists(st.tuples(st.integers(0, 3), st.integers(1, 3_000)), min_size=1, max_size=3),
), min_size=1, max_size=6)


@pytest.fixture(scope="module")
def sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TraceRepo, Store]]:
    db = Database(store_url("sqlite", tmp_path_factory.mktemp("rework-prop"), "trace.db"))
    db.migrate()
    yield TraceRepo(db), Store(db)
    db.engine.dispose()


def ledger(repo: TraceRepo, mk: str, steps: list[Any]) -> float:
    """``steps`` made from the flakes R (50 % post-consumer), virgin V and the lots made
    before (each within what is left of it; pick 0 R, 1 V, 2 the last lot made, 3 the one
    before…), mass balance or controlled blending; the recycled mass of the flakes used."""
    left = {"R": 100_000.0, "V": 1e9}
    used_r = 0.0
    events = []
    for n, (prefix, claim, picks) in enumerate(steps):
        inputs: dict[str, float] = {}
        for k, kg in picks:
            names = list(left)
            src = names[min(k if k < 2 else max(2, len(names) - k + 1), len(names) - 1)]
            take = min(float(kg), left[src] - inputs.get(src, 0.0))
            if take >= 1:
                inputs[src] = inputs.get(src, 0.0) + take
        inputs = inputs or {"V": 1_000.0}
        for src, kg in inputs.items():
            left[src] -= kg
        used_r += inputs.get("R", 0.0) * 0.5
        lot = f"{prefix}-{n}"
        events.append(step(lot, list(inputs.items()), claim))
        left[lot] = sum(inputs.values())
    repo.ingest(mk, ev(*events), at=MAY)
    return used_r


@pytest.mark.slow
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=STEPS)
@example(steps=[("AC", None, [(0, 2_000), (1, 2_000)]), ("BTL", None, [(2, 2_000), (1, 2_000)])])
def test_products_never_count_more_than_went_in(sqlite: Any, steps: list[Any]) -> None:
    """With ``lots=``, on random small ledgers with rework and blends across products and
    an intermediate no product matches (X-*): the products' recycled mass never exceeds the
    recycled mass of the flakes used plus the claims booked — nothing is counted twice — and
    its claims as counted never exceed the claims booked."""
    repo, st_ = sqlite
    n = next(COUNTER)
    sup, mk = f"sup-rw-{n}", f"mk-rw-{n}"
    st_.create_organisation(sup)
    st_.create_organisation(mk)
    receive(repo, sup, mk, "R", 100_000, 0.5, MAY)
    repo.ingest(mk, ev(create("V", 1e9, 1e9, 0.0, site="plant")), at=MAY)
    physical = ledger(repo, mk, steps)
    rep = policy.run(load_plan(PLAN2.format(maker=mk)), statement=repo.statement(mk),
                     period="FY2028", lots=repo.made(mk))
    booked = sum(a.totals.get("claim", 0.0) for a in repo.statement(mk).accounts)
    products = sum(p["recycled_kg"] for p in rep.products if p["characteristic"] != "total")
    assert products <= physical + booked + 1e-6
    claimed = sum(e["mass_kg"] for p in rep.claims.values() for e in p if e["kind"] == "claim")
    assert claimed <= booked + 1e-6
    assert all(r["recycled_kg"] >= 0 and r["basis_kg"] >= 0 for r in rep.products)


def test_content_of_a_characteristic_the_other_product_does_not_report_is_counted_here(
        repo: tuple[TraceRepo, Store]) -> None:
    """Review 324: P-1 (10 t, 60 % pre-consumer); AC-01 (aircon, which reports post-consumer
    only) blends 4,000 kg of it with 4,000 kg virgin (2,400 kg pre); BTL-01 (bottle, which
    reports both) blends 4,000 kg of AC-01 with 4,000 kg virgin: 15 %, 1,200 kg pre. The
    bottle counted 0 (handed on as the aircon's, which counts no pre-consumer): 1,200 kg in
    no row. By hand: 1,200 of 8,000 for the bottle."""
    p1 = {**create("P-1", 10_000, 1000, 0.0, site="plant"), "period": "2028Q2",
          "recycled": {"pre_consumer": 0.6}, "material": "PET flakes"}
    got = totals(repo, [p1, step("AC-01", [("P-1", 4000), ("V-PET-1", 4000)],
                                 material="housing"),
                        step("BTL-01", [("AC-01", 4000), ("V-PET-1", 4000)])])
    pre = rows(got["report"])["bottle-PET", "pre_consumer"]
    assert (pre["recycled_kg"], pre["basis_kg"]) == pytest.approx((1_200, 8_000))


def test_a_reworking_claim_s_entry_shows_the_share_it_counts(
        repo: tuple[TraceRepo, Store]) -> None:
    """Review 324: BTL-01 (mass balance, 12,000 kg virgin) claims 20 %; BTL-02 from 6,000 kg
    of it and 6,000 kg virgin claims 30 % (3,600 kg, of which 1,200 came with BTL-01): its
    entry counts 2,400 kg on 6,000 kg, and said share 0.3 beside them; now 0.4, the 0.3 as
    booked_share."""
    got = totals(repo, [step("BTL-01", [("V-PET-1", 12000)], claim=0.2),
                        step("BTL-02", [("BTL-01", 6000), ("V-PET-1", 6000)], claim=0.3)])
    e = next(x for x in got["report"].evidence("bottle-PET")
             if x["lot"] == "BTL-02" and x["characteristic"] == "post_consumer")
    assert (e["mass_kg"], e["basis_kg"]) == pytest.approx((2_400, 6_000))
    assert (e["share"], e["booked_share"]) == pytest.approx((0.4, 0.3))
