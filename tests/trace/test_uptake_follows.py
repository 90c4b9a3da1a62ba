"""Rule 3 of the ledger: a lot's derived biogenic uptake (declared and assumed parts) follows
a later re-declaration upstream as its CFP does. Before, it stayed as the lot was made and
publication capped it at the re-declared net biogenic CFP. Lots made under rules 1 and 2
keep the uptake they were made with (their signed records said so)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from sqlalchemy import text

from junkan.api.pact_snapshot import Footprints
from junkan.store.repo import Store
from junkan.store.trace_repo import TraceRepo
from junkan.trace import rules
from junkan.trace.chain import Chain, run
from tests.trace.test_ledger import ev
from tests.trace.test_uptake_rule import blend, clean, own, pe, records

# P: 100 kg, total 100, net biogenic -40 of which a declared uptake of -60.
# Q: 100 kg, total 100, net biogenic -20, no uptake declared (assumed: -20).
LOTS = [pe("P", 100, -40, biogenic_uptake_kg=-60), pe("Q", 100, -20)]
def redeclare_q(biogenic: float) -> dict[str, Any]:
    return {"type": "redeclare", "lot": "Q", "cfp": {"total": 100, "biogenic": biogenic}}


REDECLARE_Q = redeclare_q(20)
PROCESS_R = {"type": "process", "lot": "R", "mass_kg": 25, "inputs": [{"lot": "PQ",
                                                                        "mass_kg": 50}]}


_users = itertools.count()


def footprints(repo: TraceRepo) -> dict[str, dict[str, Any]]:
    """org-A's Active footprints by lot id (a new user each call)."""
    store = Store(repo.db)
    found = store.organisation_by_name("org-A")
    assert found is not None
    user = store.create_user(found.id, f"a{next(_users)}@example.org", "pw-123456789", "a")
    pfs = Footprints(repo.db, agreements_ttl_s=0).current(user, "https://pact.example").pfs
    return {pf["productIds"][0].rsplit(":", 1)[1]: pf for pf in pfs if pf["status"] == "Active"}


def uptake(facts: dict[str, Any]) -> tuple[Any, Any]:
    pcf = facts["pcf"]
    return pcf.get("biogenic_uptake_kg"), pcf.get("biogenic_uptake_assumed_kg")


def test_a_blends_uptake_follows_the_redeclared_input(repo: TraceRepo,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """PQ = 50 kg P + 50 kg Q (rule 3); PQ2 = 25 kg P + 25 kg Q made under rule 2; R = 50 kg
    of PQ processed into 25 kg (rule 3). By hand, uptake (assumed part) in kg and the
    published pcfExcludingBiogenicUptake = (total − uptake) / mass:

    =================  ====================  ======================  ==================
    Q's net biogenic   PQ (100 kg, total 100) PQ2 (50 kg, total 50)  R (25 kg, total 50)
    =================  ====================  ======================  ==================
    -20 (as made)      -40 (-10): 1.4        -20 (-5): 1.4           -20 (-5): 2.8
    -60 re-declared    -60 (-30): 1.6        -20 (-5), capped at     -30 (-15): 3.2
                       (net biogenic -50)    net -25: 1.5
    +20 re-declared    -30 (0): 1.3          -20 (-5): 1.4           -15 (0): 2.6
    =================  ====================  ======================  ==================

    PQ's uptake is P's declared -30 plus Q's assumed 0.5 · min(0, Q's net biogenic). Before
    rule 3 PQ kept -40 (-10) like PQ2: capped at -50 (1.5, 'Uptake capped'), then 1.4 with
    Q's former uptake still in it."""
    with monkeypatch.context() as m:
        m.setattr(rules, "VERSION", 2)
        repo.ingest("org-A", ev(*LOTS, blend("PQ2", ("P", 25), ("Q", 25))))
    repo.ingest("org-A", ev(blend("PQ", ("P", 50), ("Q", 50)), PROCESS_R))
    want = {"PQ": [(-40, -10, "1.4"), (-60, -30, "1.6"), (-30, 0, "1.3")],
            "PQ2": [(-20, -5, "1.4"), (-20, -5, "1.5"), (-20, -5, "1.4")],
            "R": [(-20, -5, "2.8"), (-30, -15, "3.2"), (-15, 0, "2.6")]}
    for step, biogenic in enumerate((None, -60, 20)):
        if biogenic is not None:
            repo.ingest("org-A", ev(redeclare_q(biogenic)))
        pfs = footprints(repo)
        for lot, values in want.items():
            kg, assumed, excluding = values[step]
            assert uptake(own(repo, lot)) == (kg, assumed), (lot, step)
            pf = pfs[lot]
            assert pf["pcf"]["pcfExcludingBiogenicUptake"] == excluding, (lot, step)
            assert "biogenicCO2Uptake" not in pf["pcf"]
            assert ("Uptake capped" in pf["comment"]) == (lot == "PQ2" and step == 1)
        clean(repo)
    comment = footprints(repo)["PQ"]["comment"]
    assert "(-0.3 kg CO2e/kg declared, 0 assumed" in comment
    assert own(repo, "PQ")["rules"] == own(repo, "R")["rules"] == 3  # what follows
    assert records(repo)["PQ"]["rules"] == 3
    assert "rules" not in own(repo, "PQ2") and records(repo)["PQ2"]["rules"] == 2


def test_an_edited_or_stale_derived_uptake_is_found(repo: TraceRepo) -> None:
    """After the re-declaration the signed log says PQ's uptake is -30 / 0: the stale -40 /
    -10 written back, or another edit of it, is found by verify; the right values verify."""
    repo.ingest("org-A", ev(*LOTS, blend("PQ", ("P", 50), ("Q", 50))))
    repo.ingest("org-A", ev(REDECLARE_Q))
    clean(repo)
    right = own(repo, "PQ")
    for edit in ({"biogenic_uptake_kg": -40, "biogenic_uptake_assumed_kg": -10},
                 {"biogenic_uptake_assumed_kg": -0.001}):
        doc = {**right, "pcf": right["pcf"] | edit}
        for value in (doc, right):
            with repo.db.engine.begin() as c:
                c.execute(text("UPDATE trace_lots SET own = :o WHERE lot = 'PQ'"),
                          {"o": json.dumps(value)})
            problems = [p.text for p in repo.audit().problems]
            if value is right:
                assert problems == []
            else:
                assert len(problems) == 1 and problems[0].startswith("lot org-A/PQ: own stored")


def test_the_chain_tool_follows_as_the_ledger_does() -> None:
    """The in-memory chain (what-if) applies the same rule: -40 / -10, then -30 / 0."""
    first = {"org": "org-A", "events": [*LOTS, blend("PQ", ("P", 50), ("Q", 50))]}
    for batches, want in (([first], (-40, -10)),
                          ([first, {"org": "org-A", "events": [REDECLARE_Q]}], (-30, 0))):
        lots = {x.lot: x for x in run(Chain.model_validate({"batches": batches})).ledger.lots}
        assert uptake(lots["PQ"].own) == want


def test_a_blend_made_between_two_redeclarations_in_one_batch(repo: TraceRepo) -> None:
    """Q re-declared at -60, blended (50 kg P + 50 kg Q: -60 / -30 then), re-declared back at
    -20 in the same batch: Q ends as it began, yet the blend follows it to -40 / -10."""
    repo.ingest("org-A", ev(*LOTS))
    repo.ingest("org-A", ev(redeclare_q(-60), blend("PQ", ("P", 50), ("Q", 50)),
                            redeclare_q(-20)))
    assert uptake(own(repo, "PQ")) == (-40, -10)
    clean(repo)


def test_a_ledger_signed_before_rule_3_keeps_its_uptake(repo: TraceRepo,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A log written under rule 1 (no ``rules`` in any record), Q re-declared in it, verifies
    and keeps rule 1's unknown uptake for PQ; so it does after a re-declaration by this
    code (the record of PQ said rule 1)."""
    with monkeypatch.context() as m:
        m.setattr(rules, "VERSION", 1)
        repo.ingest("org-A", ev(*LOTS, blend("PQ", ("P", 50), ("Q", 50))))
        repo.ingest("org-A", ev(redeclare_q(-60)))
    assert all("rules" not in r for r in records(repo).values())
    assert uptake(own(repo, "PQ")) == (None, None) and "rules" not in own(repo, "PQ")
    clean(repo)
    repo.ingest("org-A", ev(REDECLARE_Q))
    assert uptake(own(repo, "PQ")) == (None, None)
    clean(repo)
