"""Which lots a periodic report counts, and in which quarter (review 283, two high findings).

* Every lot of the product made in the period is in the basis, whatever its custody model
  and claim: a mass-balance lot that claimed nothing books no entry in the statement, and
  was left out, so 4,200 kg of 24,000 (17.5 %, a missed 30 % target) read as 4,200 of 12,000
  (35 %, met).
* A lot is counted in the quarter the ledger booked its step in — the period its event names
  — not the quarter it was imported in: a blend naming 2028Q2 imported in 2026 was in FY2026,
  and FY2028 said "nothing recorded". Where no period is named, the quarter is the ledger's
  (UTC, as its mass-balance accounts) for every lot, and a lot it puts in another quarter
  than Japan's clock would is named in the notes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from junkan import policy
from junkan.core.errors import ModelError
from junkan.policy.custody import read_made
from junkan.store.db import Database
from junkan.store.repo import Store
from junkan.store.trace_repo import TraceRepo
from tests.api.conftest import store_url
from tests.trace.test_ledger import create, ev, ship

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 7, tzinfo=UTC)  # the import's time: FY2026
PLAN = ROOT / "examples" / "policy" / "plan.yaml"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def repo(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TraceRepo, Store]]:
    url = store_url(request.param, tmp_path_factory.mktemp("lots"), "trace.db")
    db = Database(url)
    db.migrate()
    yield TraceRepo(db), Store(db)
    db.engine.dispose()


def sample(repo: tuple[TraceRepo, Store], maker: str, steps: list[dict[str, Any]]) -> None:
    """The guide's sample supplier ledger (20 t of flakes, half post-consumer, 2028Q2) and
    org ``maker`` receiving them, declaring virgin resin and recording ``steps``, imported
    at :data:`NOW`."""
    trace, store = repo
    sup = f"{maker}-sup"
    store.create_organisation(sup)
    store.create_organisation(maker)
    batch = yaml.safe_load((ROOT / "examples/policy/ledger_supplier.yaml").read_text("utf-8"))
    batch["events"][1]["to"] = maker
    trace.ingest(sup, ev(*batch["events"]), at=NOW)
    trace.ingest(maker, ev(
        {"type": "receive", "lot": "R-PET-1", "site": "plant", "period": "2028Q2"},
        {**create("V-PET-1", 100_000, 230_000, 0.0, site="plant"), "period": "2028Q2"},
        *steps), at=NOW)


def report(repo: tuple[TraceRepo, Store], maker: str, period: str) -> Any:
    trace, _ = repo
    plan = policy.load(PLAN)
    assert isinstance(plan, policy.Plan)
    plan = plan.model_copy(update={"maker": maker})
    return policy.run(plan, statement=trace.statement(maker), period=period,
                      lots=trace.made(maker))


def rows(rep: Any) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p["product"], p["characteristic"]): p for p in rep.products}


def mb(lot: str, post: float) -> dict[str, Any]:
    return {"type": "process", "lot": lot, "material": "PET bottles", "site": "plant",
            "mass_kg": 12_000, "inputs": [{"lot": "V-PET-1", "mass_kg": 12_000}],
            "custody": "mass_balance", "claim": {"post_consumer": post}, "period": "2028Q2"}


def test_a_mass_balance_lot_that_claims_nothing_is_in_the_basis(repo: Any) -> None:
    """The reviewer's ledger: BTL-2028-01 claims 35 % of 12 t, BTL-2028-02 (12 t) 0: the
    product made 24 t, 4,200 kg recycled = 17.5 %, below its 30 % target (was 35 %, met)."""
    sample(repo, "mk-mb", [mb("BTL-2028-01", 0.35), mb("BTL-2028-02", 0.0)])
    rep = report(repo, "mk-mb", "FY2028")
    total = rows(rep)[("bottle-PET", "total")]
    assert (total["recycled_kg"], total["basis_kg"]) == (4_200, 24_000)
    assert total["share"] == pytest.approx(0.175) and total["lots"] == 2
    assert "share 17.5 % below the planned 30.0 % (12.5 points)" in total["gap"]
    assert rows(rep)[("bottle-PET", "pre_consumer")]["basis_kg"] == 24_000
    zero = [e for e in rep.evidence("bottle-PET") if e["lot"] == "BTL-2028-02"]
    assert {(e["characteristic"], e["mass_kg"], e["basis_kg"], e["custody"]) for e in zero} == {
        ("pre_consumer", 0.0, 12_000, "mass_balance"),
        ("post_consumer", 0.0, 12_000, "mass_balance")}
    # the ledger's claims are unchanged: 4,200 kg in the products, none unassigned
    assert sum(p["recycled_kg"] for p in rep.products if p["characteristic"] != "total") == 4_200
    assert rep.unassigned_claims == []


def test_a_lot_claiming_a_characteristic_the_product_does_not_report_is_in_its_basis() -> None:
    """aircon-housing reports post-consumer only; AC-2 claimed 2 t pre-consumer of 10 t: the
    product still made 20 t, so its post-consumer share is 4 / 20, not 4 / 10."""
    def account(ch: str, lot: str, kg: float) -> dict[str, Any]:
        return {"site": "plant", "characteristic": ch, "period": "2028Q2", "closed": True,
                "balance_kg": 0.0, "uncovered_claims": 0,
                "entries": [{"kind": "claim", "lot": lot, "mass_kg": kg, "basis_kg": 10_000,
                             "share": kg / 10_000, "uncovered": False}]}

    plan = policy.load(PLAN)
    statement = {"org": "org-maker", "accounts": [account("post_consumer", "AC-1", 4_000),
                                                  account("pre_consumer", "AC-2", 2_000)]}
    rep = policy.run(plan, statement=statement, period="FY2028")
    post = rows(rep)[("aircon-housing", "post_consumer")]
    assert (post["recycled_kg"], post["basis_kg"], post["share"]) == (4_000, 20_000, 0.2)
    assert "share 20.0 % below the planned" not in post["gap"]  # its target is 10 %


def test_a_lot_counts_in_the_period_its_event_names_not_the_import_quarter(repo: Any) -> None:
    """The reviewer's ledger: a blend naming 2028Q2 (8 t virgin + 4 t flakes at 50 %),
    imported in December 2026 — 2,000 of 12,000 kg in FY2028; nothing in FY2026. A split
    names no period: portions of a lot of another product's are in their source's quarter
    when it is later than the split's (MIX-1, 2028Q2, split in 2026Q4)."""
    blend = {"type": "blend", "lot": "BTL-2028-01", "site": "plant", "mass_kg": 12_000,
             "material": "PET bottles", "period": "2028Q2",
             "inputs": [{"lot": "V-PET-1", "mass_kg": 8_000}, {"lot": "R-PET-1", "mass_kg": 4_000}]}
    mix = {"type": "blend", "lot": "MIX-1", "site": "plant", "mass_kg": 2_000, "period": "2028Q2",
           "inputs": [{"lot": "V-PET-1", "mass_kg": 1_000}, {"lot": "R-PET-1", "mass_kg": 1_000}]}
    split = {"type": "split", "lot": "MIX-1", "outputs": [{"lot": "BTL-S-a", "mass_kg": 1_500},
                                                         {"lot": "BTL-S-b", "mass_kg": 500}]}
    sample(repo, "mk-cb", [blend, mix, split])
    trace, _ = repo
    made = {m["lot"]: m for m in trace.made("mk-cb")}
    assert made["BTL-2028-01"]["made_at"].startswith("2026-12-07")
    assert (made["BTL-2028-01"]["period"], made["BTL-2028-01"]["period_named"]) == ("2028Q2",
                                                                                    True)
    assert made["BTL-2028-01"]["input_kg"] == 12_000
    assert (made["BTL-S-a"]["period"], made["BTL-S-a"]["period_named"]) == ("2028Q2", True)
    rep = report(repo, "mk-cb", "FY2028")
    assert not [n for n in rep.notes if "JST" in n]  # every period named
    total = rows(rep)[("bottle-PET", "total")]
    # BTL-2028-01: 12 t at 2/12 = 2,000 kg; BTL-S-a/b: 2 t at 25 % = 500 kg
    assert (total["recycled_kg"], total["basis_kg"], total["lots"]) == (2_500, 14_000, 3)
    assert total["gap"].startswith("share 17.9 % below")
    then = rows(report(repo, "mk-cb", "FY2026"))[("bottle-PET", "total")]
    assert (then["recycled_kg"], then["basis_kg"]) == (0, 0)


def test_a_derived_quarter_is_the_ledgers_utc_one_and_a_japanese_boundary_is_noted(
    repo: Any,
) -> None:
    """No period named: the ledger books a step in the quarter (UTC) of its batch's time, for
    its mass-balance accounts as for the report. 1 April 2028 05:00 JST is 31 March 20:00
    UTC: 2028Q1 (FY2027) for both lots below — the mass-balance claim's account cannot move,
    so the physical lot is not put elsewhere — and FY2028's report says so, naming the lot."""
    trace, store = repo
    at = datetime(2028, 3, 31, 20, tzinfo=UTC)
    for name in ("tz-sup", "mk-tz"):
        store.create_organisation(name)
    trace.ingest("tz-sup", ev(create("R", 10_000, 1.0, 0.5), ship("R", "mk-tz")), at=at)
    trace.ingest("mk-tz", ev(
        {"type": "receive", "lot": "R", "site": "plant"},
        create("V", 100_000, 1.0, 0.0, site="plant"),
        {"type": "blend", "lot": "BTL-1", "site": "plant", "mass_kg": 2_000,
         "inputs": [{"lot": "V", "mass_kg": 1_000}, {"lot": "R", "mass_kg": 1_000}]},
        {"type": "process", "lot": "BTL-2", "site": "plant", "mass_kg": 1_000,
         "inputs": [{"lot": "V", "mass_kg": 1_000}], "custody": "mass_balance",
         "claim": {"post_consumer": 0.5}}), at=at)
    made = {m["lot"]: m for m in trace.made("mk-tz")}
    assert {(m["period"], m["period_named"]) for m in made.values()} == {("2028Q1", False)}
    assert {a.period for a in trace.statement("mk-tz").accounts} == {"2028Q1"}
    fy27 = rows(report(repo, "mk-tz", "FY2027"))[("bottle-PET", "total")]
    assert (fy27["recycled_kg"], fy27["basis_kg"]) == (1_000, 3_000)
    rep = report(repo, "mk-tz", "FY2028")
    assert rows(rep)[("bottle-PET", "total")]["basis_kg"] == 0
    said = [n for n in rep.notes if "JST" in n]
    assert len(said) == 2 and all("2028-04-01 05:00 JST" in n and "in 2028Q1" in n
                                  and "not 2028Q2" in n for n in said)


def test_the_same_instant_is_in_one_quarter_whatever_its_offset() -> None:
    """A made lot given without ``period`` (an older document): its quarter is derived from
    the instant in UTC — it was the quarter of the written offset's date."""
    def lot(stamp: str) -> str:
        return read_made([{"lot": "BTL-1", "site": "plant", "custody": "controlled_blending",
                           "mass_kg": 1000, "pre_consumer": 0, "post_consumer": 0.4,
                           "made_at": stamp, "inputs": []}])[0].period

    assert lot("2028-04-01T05:00:00+09:00") == lot("2028-03-31T20:00:00+00:00") == "2028Q1"
    named = read_made([{"lot": "B", "site": "plant", "custody": "segregated", "mass_kg": 1,
                        "pre_consumer": 0, "post_consumer": 0, "inputs": [],
                        "made_at": "2026-12-07T00:00:00+00:00", "period": "2028Q2"}])[0]
    assert (named.period, named.period_named) == ("2028Q2", True)
    with pytest.raises(ModelError, match=r"lots\[0\]: not a made lot of the ledger: period "):
        read_made([{"lot": "B", "site": "plant", "custody": "segregated", "mass_kg": 1,
                    "pre_consumer": 0, "post_consumer": 0, "made_at": "2026-12-07T00:00:00",
                    "period": "2028-04"}])


def test_a_blend_of_a_mass_balance_lot_does_not_count_its_claim_again(
        repo: tuple[TraceRepo, Store]) -> None:
    """AC-2028-01 (8,000 kg, mass balance) claims 50 % post-consumer: 4,000 kg for
    aircon-housing. BTL-2028-01 blends 4,000 kg of it with 2,000 kg of the flakes (50 %
    post-consumer, material) and 6,000 kg of virgin resin under controlled blending; the
    ledger hands the claim on, (2,000 + 1,000) / 12,000 = 25 %, and bottle-PET counted
    3,000 kg as physically in the lot — 2,000 kg of it AC-2028-01's claim, counted twice in
    the filing (review 318). Its content is the 1,000 kg of flakes, its claim part 1/6."""
    blend = {"type": "process", "lot": "BTL-2028-01", "material": "PET bottles",
             "site": "plant", "mass_kg": 12_000, "custody": "controlled_blending",
             "period": "2028Q2", "inputs": [{"lot": "AC-2028-01", "mass_kg": 4_000},
                                            {"lot": "R-PET-1", "mass_kg": 2_000},
                                            {"lot": "V-PET-1", "mass_kg": 6_000}]}
    ac = {"type": "process", "lot": "AC-2028-01", "material": "housing resin",
          "site": "plant", "mass_kg": 8_000, "inputs": [{"lot": "V-PET-1", "mass_kg": 8_000}],
          "custody": "mass_balance", "claim": {"post_consumer": 0.5}, "period": "2028Q2"}
    sample(repo, "mk-mbcb", [ac, blend])
    got = rows(report(repo, "mk-mbcb", "FY2028"))
    air, bottle = got[("aircon-housing", "post_consumer")], got[("bottle-PET", "post_consumer")]
    assert (air["recycled_kg"], air["basis_kg"]) == (4_000, 8_000)
    assert bottle["recycled_kg"] == pytest.approx(1_000)
    assert bottle["basis_kg"] == 12_000
    assert bottle["custody"] == ["controlled_blending"]
    made = {m["lot"]: m for m in repo[0].made("mk-mbcb")}
    assert made["BTL-2028-01"]["inputs_kg"] == [4_000, 2_000, 6_000]
    ev_ = report(repo, "mk-mbcb", "FY2028").evidence("bottle-PET")
    post = next(e for e in ev_ if e["characteristic"] == "post_consumer")
    assert post["claim_share"] == pytest.approx(2_000 / 12_000)


@pytest.mark.parametrize(("first", "fy2028"), [("2028Q2", (4_500, 10_000)),
                                              ("2028Q1", (4_500, 9_000))])
def test_a_product_lot_reworked_into_a_blend_counts_the_new_material(
        repo: tuple[TraceRepo, Store], first: str, fy2028: tuple[float, float]) -> None:
    """BTL-2028-01 (1,000 kg of virgin resin) is reworked into BTL-2028-02 with 9,000 kg of
    the flakes (50 % post-consumer) under controlled blending: 10,000 kg, 45 % in the
    ledger. BTL-2028-02 was left out whole, as a portion of BTL-2028-01 — bottle-PET read
    0 of 1,000 kg; the 9,000 kg and their 4,500 kg post-consumer were in no period (review
    318). BTL-2028-01 counts once, in its own period; BTL-2028-02 adds the rest: 4,500 of
    10,000 kg, or, with BTL-2028-01 in 2028Q1 (FY2027's), 4,500 of 9,000 in FY2028."""
    maker = f"mk-rework-{first}"
    sample(repo, maker, [
        {"type": "process", "lot": "BTL-2028-01", "material": "PET bottles", "site": "plant",
         "mass_kg": 1_000, "inputs": [{"lot": "V-PET-1", "mass_kg": 1_000}],
         "custody": "controlled_blending", "period": first},
        {"type": "process", "lot": "BTL-2028-02", "material": "PET bottles", "site": "plant",
         "mass_kg": 10_000, "custody": "controlled_blending", "period": "2028Q2",
         "inputs": [{"lot": "BTL-2028-01", "mass_kg": 1_000},
                    {"lot": "R-PET-1", "mass_kg": 9_000}]}])
    row = rows(report(repo, maker, "FY2028"))[("bottle-PET", "post_consumer")]
    assert (row["recycled_kg"], row["basis_kg"]) == pytest.approx(fy2028)
    assert row["lots"] == (2 if first == "2028Q2" else 1)
    if first == "2028Q1":
        before = rows(report(repo, maker, "FY2027"))[("bottle-PET", "post_consumer")]
        assert (before["recycled_kg"], before["basis_kg"]) == (0, 1_000)


def test_a_mass_balance_rework_claiming_nothing_adds_its_new_input(
        repo: tuple[TraceRepo, Store]) -> None:
    """BTL-2028-01 (12,000 kg of virgin resin, claiming 35 %: 4,200 kg) and BTL-2028-02 under
    mass balance from 6,000 kg of it and 6,000 kg of virgin resin, claiming nothing: the
    second lot was left out whole, 4,200 of 12,000 kg (35 %, the 30 % target met); its new
    6,000 kg are the product's too: 4,200 of 18,000 kg, 23.3 % (review 318)."""
    sample(repo, "mk-mbrework", [
        mb("BTL-2028-01", 0.35),
        {**mb("BTL-2028-02", 0.0), "inputs": [{"lot": "BTL-2028-01", "mass_kg": 6_000},
                                              {"lot": "V-PET-1", "mass_kg": 6_000}]}])
    row = rows(report(repo, "mk-mbrework", "FY2028"))[("bottle-PET", "total")]
    assert (row["recycled_kg"], row["basis_kg"]) == pytest.approx((4_200, 18_000))
    assert "below the planned 30.0 %" in row["gap"]
