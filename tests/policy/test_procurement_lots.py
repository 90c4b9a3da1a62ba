"""The lots behind a procurement verdict: each counts once, and a share of only some of the
product's lots never decides for the whole product."""

from __future__ import annotations

import json
from typing import Any

import pytest

from junkan import policy
from junkan.core.errors import ModelError
from junkan.policy.procurement import default_criteria


def check(lots: list[str], declared: float | None = None) -> policy.Check:
    doc: dict[str, Any] = {"kind": "procurement_check", "item": "stamp_pad", "product": {
        "name": "SP-1", "maker": "org-maker", "declared": {"refillable": True},
        "evidence": {"refillable": "catalogue p. 12"}, "lots": lots}}
    if declared is not None:
        doc["product"]["declared"]["recycled_plastic_share"] = declared
    chk = policy.load(text=json.dumps(doc))
    assert isinstance(chk, policy.Check)
    return chk


def test_a_lot_named_twice_is_refused_so_it_cannot_weigh_twice() -> None:
    """L2 (0.9) twice beside L1 (0.5) of the same mass would read (0.5 + 0.9 + 0.9) / 3 =
    0.77 ≥ 0.70: a fail turned into a pass."""
    with pytest.raises(ModelError) as exc:
        check(["L1", "L2", "L2"])
    (problem,) = exc.value.problems
    assert problem.path == "product"
    assert problem.kind == "product-lot-repeated"
    assert "lot L2 is named twice: lots[1] and lots[2]" in problem.message


def test_lots_whose_share_is_partly_hidden_do_not_decide() -> None:
    """The visible lot alone (0.9) passed ≥ 0.70 for a product whose other, hidden lot could
    hold anything."""
    lots = [{"lot": "L1", "mass_kg": 100.0, "recycled": {"total": 0.9}},
            {"lot": "L2", "mass_kg": 900.0, "recycled": None}]
    res = policy.run(check(["L1", "L2"]), lots=lots)
    v = {x["criterion"]: x for x in res.verdicts}["recycled_plastic"]
    assert (v["verdict"], v["basis"], v["value"]) == ("unknown", "declared", None)
    assert "the recycled share of 1 of 2 lots is not visible" in v["note"]
    assert [e["lot"] for e in v["evidence"]] == ["L1", "L2"]  # the lots stay the evidence
    declared = policy.run(check(["L1", "L2"], declared=0.5), lots=lots)
    v = {x["criterion"]: x for x in declared.verdicts}["recycled_plastic"]
    assert (v["verdict"], v["basis"], v["value"]) == ("fail", "declared", 0.5)
    everything = [lots[0], {"lot": "L2", "mass_kg": 900.0, "recycled": {"total": 0.7}}]
    v = {x["criterion"]: x for x in policy.run(check(["L1", "L2"]), lots=everything).verdicts}
    assert v["recycled_plastic"]["value"] == pytest.approx((90 + 630) / 1000)
    assert v["recycled_plastic"]["verdict"] == "pass"


def test_lots_named_but_not_read_are_said_not_silently_ignored() -> None:
    """Without the ledger (the CLI without --database) the product's lots were skipped without
    a word and the declaration passed as if no lot had been named."""
    res = policy.run(check(["L1", "L2"], declared=0.72))
    v = {x["criterion"]: x for x in res.verdicts}
    assert (v["recycled_plastic"]["verdict"], v["recycled_plastic"]["basis"]) == (
        "pass", "declared")
    assert v["recycled_plastic"]["note"].startswith(
        "the product's 2 lots were not read (no trace ledger given")
    assert v["refillable"]["note"] == ""  # not a criterion the lots decide
    assert policy.run(check([], declared=0.72)).verdicts[0]["note"] == (
        "declared without cited evidence")


def test_a_share_of_the_plastic_weight_decided_by_whole_lots_says_so() -> None:
    """The stationery and stamp-pad criteria are shares of the plastic weight; a lot's
    recycled share is of its whole mass (the ledger holds no plastic part). The lots still
    decide (0.9 × 100 + 0.7 × 900 = 0.72 ≥ 0.70), and the verdict says what they measured."""
    lots = [{"lot": "L1", "mass_kg": 100.0, "recycled": {"total": 0.9}},
            {"lot": "L2", "mass_kg": 900.0, "recycled": {"total": 0.7}}]
    v = {x["criterion"]: x for x in policy.run(check(["L1", "L2"]), lots=lots).verdicts}
    assert (v["recycled_plastic"]["verdict"], v["recycled_plastic"]["basis"]) == (
        "pass", "trace lots (2)")
    assert v["recycled_plastic"]["note"] == (
        "the criterion is of the plastic weight, the lots' recycled share of their whole mass "
        "(the ledger does not hold a lot's plastic part): it is the plastic's share only if "
        "the lots named are the product's plastic alone")
    wrong = {x["criterion"]: x for x in policy.run(check(["L1", "L2"], declared=0.9),
                                                   lots=lots).verdicts}["recycled_plastic"]
    assert wrong["note"].startswith("declared 0.9 but the lots give 0.72; the lots decide; "
                                    "the criterion is of the plastic weight")
    # a declaration (the maker's plastic share) decides without it
    assert policy.run(check([], declared=0.72)).verdicts[0]["note"] == (
        "declared without cited evidence")
    items = default_criteria().items  # the shipped items carry the basis
    assert [c.share_of for i in ("stationery_common", "stamp_pad")
            for c in items[i].criteria if c.lot_property] == ["plastic_weight"] * 2


def test_a_lot_and_a_portion_of_it_named_together_weigh_once(tmp_path: Any) -> None:
    """A (1,000 kg, 90 %) split into A1 (900 kg) and A2, with B (1,000 kg, 45 %): the lots
    A, A1 and B weighed A1's 900 kg a second time, (900 + 810 + 450) / 2,900 = 0.745 ≥
    0.70, a pass; A's mass already holds A1's, so the product's share is (900 + 450) /
    2,000 = 0.675, a fail (review 318). The lots as the ledger shows them to their maker."""
    from datetime import UTC, datetime

    from junkan.store.db import Database
    from junkan.store.repo import Store
    from junkan.store.trace_repo import TraceRepo
    from tests.trace.test_ledger import create, ev

    db = Database(f"sqlite:///{tmp_path / 'trace.db'}")
    db.migrate()
    Store(db).create_organisation("org-maker")
    repo = TraceRepo(db)
    split = {"type": "split", "lot": "A", "outputs": [{"lot": "A1", "mass_kg": 900},
                                                     {"lot": "A2", "mass_kg": 100}]}
    repo.ingest("org-maker", ev(create("A", 1000, 100, 0.9), create("B", 1000, 100, 0.45),
                                split), at=datetime(2026, 5, 1, tzinfo=UTC))
    lots = [repo.show("org-maker", x) for x in ("A", "A1", "B")]
    res = policy.run(check(["A", "A1", "B"]), lots=lots)
    v = {x["criterion"]: x for x in res.verdicts}["recycled_plastic"]
    assert v["value"] == pytest.approx(1350 / 2000)
    assert (v["verdict"], v["basis"]) == ("fail", "trace lots (2)")
    assert "also named: A1 (A)" in v["note"]
    assert [e.get("counted_with") for e in v["evidence"]] == [None, "A", None]
    db.engine.dispose()


def _ledger(tmp_path: Any, *events: dict[str, Any]) -> Any:
    from datetime import UTC, datetime

    from junkan.store.db import Database
    from junkan.store.repo import Store
    from junkan.store.trace_repo import TraceRepo
    from tests.trace.test_ledger import ev

    db = Database(f"sqlite:///{tmp_path / 'trace.db'}")
    db.migrate()
    Store(db).create_organisation("org-maker")
    repo = TraceRepo(db)
    repo.ingest("org-maker", ev(*events), at=datetime(2026, 5, 1, tzinfo=UTC))
    return repo


def _verdict(repo: Any, names: list[str]) -> dict[str, Any]:
    lots = [repo.show("org-maker", x) for x in names]
    up = policy.procurement_upstream(lots, lambda ref: repo.show("org-maker", ref))
    res = policy.run(check(names), lots=lots, upstream=up)
    return {x["criterion"]: x for x in res.verdicts}["recycled_plastic"]


def test_a_blend_of_a_named_lot_with_new_material_weighs_the_new_material(
        tmp_path: Any) -> None:
    """Review 322: P (1,000 kg, 90 %) and Q, made from 100 kg of P and 900 kg of virgin V
    (the ledger gives Q 9 %), read 0.900, a pass (Q set aside whole); by hand P's 900 kg
    recycled and Q's new 900 kg with none: 900 / 1,900 = 0.474, a fail."""
    from tests.trace.test_ledger import create

    repo = _ledger(tmp_path, create("P", 1000, 100, 0.9), create("V", 1000, 100, 0.0),
                   {"type": "blend", "lot": "Q", "mass_kg": 1000, "inputs": [
                       {"lot": "P", "mass_kg": 100}, {"lot": "V", "mass_kg": 900}]})
    v = _verdict(repo, ["P", "Q"])
    assert v["value"] == pytest.approx(900 / 1900)
    assert (v["verdict"], v["basis"]) == ("fail", "trace lots (2)")
    assert "made partly from lots also named, only the rest weighed: Q (10% from P)" in v["note"]
    assert v["evidence"][1]["counted_share"] == pytest.approx(0.1)
    repo.db.engine.dispose()


def test_a_portion_of_a_portion_weighs_once(tmp_path: Any) -> None:
    """Review 322: A (1,000 kg, 90 %) split into A1 (900) and A2, A1 into A11 (800) and A12;
    B 1,000 kg at 45 %. Naming A, A11 and B read 0.739, a pass (A11 is in A, through A1,
    which is not named); by hand (900 + 450) / 2,000 = 0.675, a fail."""
    from tests.trace.test_ledger import create

    repo = _ledger(
        tmp_path, create("A", 1000, 100, 0.9), create("B", 1000, 100, 0.45),
        {"type": "split", "lot": "A", "outputs": [{"lot": "A1", "mass_kg": 900},
                                                  {"lot": "A2", "mass_kg": 100}]},
        {"type": "split", "lot": "A1", "outputs": [{"lot": "A11", "mass_kg": 800},
                                                   {"lot": "A12", "mass_kg": 100}]})
    v = _verdict(repo, ["A", "A11", "B"])
    assert v["value"] == pytest.approx(1350 / 2000)
    assert (v["verdict"], v["basis"]) == ("fail", "trace lots (2)")
    assert "also named: A11 (A)" in v["note"]
    repo.db.engine.dispose()


def test_a_chain_of_any_length_is_followed(tmp_path: Any) -> None:
    """Review 324: A (1,000 kg, 90 %) processed through 300 steps into Z, named with A and B
    (45 %), read 0.75, a pass (the walk stopped at 200 steps without a word); by hand Z is
    in A: (900 + 450) / 2,000 = 0.675, a fail."""
    from tests.trace.test_ledger import create

    steps = [{"type": "process", "lot": f"S{i}", "mass_kg": 1000,
              "inputs": [{"lot": "A" if i == 0 else f"S{i - 1}", "mass_kg": 1000}]}
             for i in range(300)]
    repo = _ledger(tmp_path, create("A", 1000, 100, 0.9), create("B", 1000, 100, 0.45),
                   *steps, {"type": "process", "lot": "Z", "mass_kg": 1000,
                            "inputs": [{"lot": "S299", "mass_kg": 1000}]})
    v = _verdict(repo, ["A", "Z", "B"])
    assert v["value"] == pytest.approx(1350 / 2000) and v["verdict"] == "fail"
    repo.db.engine.dispose()


def test_lots_whose_inputs_the_checker_may_not_see_cannot_decide(tmp_path: Any) -> None:
    """Review 324: org-S makes P (90 %), V (virgin), B (45 %) and Q from 900 kg of P and 100
    kg of V, and ships P, Q and B to org-M. As the maker the check reads (900 + 0 + 450) /
    2,100 = 0.643, a fail; as the holder, who may not see Q's inputs, it read (900 + 810 +
    450) / 3,000 = 0.72, a pass. Now the holder's lots cannot decide, and say why."""
    from datetime import UTC, datetime

    from junkan.store.repo import Store
    from tests.trace.test_ledger import create, ev

    repo = _ledger(tmp_path, create("P", 1000, 100, 0.9), create("V", 1000, 100, 0.0),
                   create("B", 1000, 100, 0.45),
                   {"type": "blend", "lot": "Q", "mass_kg": 1000, "inputs": [
                       {"lot": "P", "mass_kg": 900}, {"lot": "V", "mass_kg": 100}]})
    Store(repo.db).create_organisation("org-holder")
    at = datetime(2026, 5, 2, tzinfo=UTC)
    repo.ingest("org-maker", ev(*({"type": "ship", "lot": x, "to": "org-holder"}
                                  for x in ("P", "Q", "B"))), at=at)
    repo.ingest("org-holder", ev(*({"type": "receive", "lot": f"org-maker/{x}", "site": "s"}
                                   for x in ("P", "Q", "B"))), at=at)
    assert _verdict(repo, ["P", "Q", "B"])["value"] == pytest.approx(1350 / 2100)
    names = ["org-maker/P", "org-maker/Q", "org-maker/B"]
    lots = [repo.show("org-holder", x) for x in names]
    up = policy.procurement_upstream(lots, lambda ref: repo.show("org-holder", ref))
    v = {x["criterion"]: x for x in policy.run(check(names), lots=lots, upstream=up).verdicts}
    v = v["recycled_plastic"]
    assert (v["verdict"], v["basis"], v["value"]) == ("unknown", "declared", None)
    assert "the inputs of Q are not visible to the checker" in v["note"]
    repo.db.engine.dispose()
