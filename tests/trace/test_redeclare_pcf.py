"""A re-declaration may replace the lot's PcfFacts (``pcf``), as its maker corrects how the
footprint was made; before, ``redeclare`` had no ``pcf`` and a wrong declared uptake could
only be left or declared again as a new lot. P (100 kg, net biogenic -40, declared uptake
-60) and Q (100 kg, net biogenic -20, none declared) blended 50 + 50 kg (rule 3): uptake
-40 of which -10 assumed. By hand, P's uptake re-declared at -80 (biogenic emissions 40):
PQ = 0.5 · -80 + 0.5 · -20 (Q's assumed) = -50, of which -10 assumed; published (total 100
− uptake) / 100 kg = 1.5 kg CO2e/kg. P's facts re-declared without an uptake: neither input
declares one and their nets do not offset, so PQ's uptake is unknown (rule 1's form) and
publication takes PQ's net biogenic -30: 1.3. The uptake is part of the net biogenic CFP
(uptake ≤ it)."""

from __future__ import annotations

from typing import Any

import pytest

from junkan.store.trace_repo import TraceError, TraceRepo
from junkan.trace.chain import Chain, run
from tests.trace.test_ledger import ev
from tests.trace.test_uptake_follows import LOTS, footprints, uptake
from tests.trace.test_uptake_rule import blend, clean, own, pe


def redeclare_p(**facts: Any) -> dict[str, Any]:
    return {"type": "redeclare", "lot": "P", "pcf": facts}


def test_a_redeclared_uptake_flows_to_the_blend(repo: TraceRepo) -> None:
    repo.ingest("org-A", ev(*LOTS, blend("PQ", ("P", 50), ("Q", 50))))
    assert uptake(own(repo, "PQ")) == (-40, -10)
    repo.ingest("org-A", ev(redeclare_p(biogenic_uptake_kg=-80, country="JP")))
    assert uptake(own(repo, "PQ")) == (-50, -10)
    pfs = footprints(repo)
    assert pfs["P"]["pcf"]["biogenicCO2Uptake"] == "-0.8"
    assert pfs["P"]["pcf"]["geographyCountry"] == "JP"
    assert pfs["PQ"]["pcf"]["pcfExcludingBiogenicUptake"] == "1.5"
    clean(repo)  # the audit replays the signed re-declaration to the same facts
    repo.ingest("org-A", ev(redeclare_p(country="JP")))  # the uptake no longer declared
    assert uptake(own(repo, "PQ")) == (None, None)
    pfs = footprints(repo)
    assert "biogenicCO2Uptake" not in pfs["P"]["pcf"]
    assert pfs["PQ"]["pcf"]["pcfExcludingBiogenicUptake"] == "1.3"
    clean(repo)


def test_the_chain_tool_follows_it_too() -> None:
    batches = [{"org": "org-A", "events": [*LOTS, blend("PQ", ("P", 50), ("Q", 50))]},
               {"org": "org-A", "events": [redeclare_p(biogenic_uptake_kg=-80)]}]
    lots = {x.lot: x for x in run(Chain.model_validate({"batches": batches})).ledger.lots}
    assert uptake(lots["PQ"].own) == (-50, -10)


@pytest.mark.parametrize(("event", "message"), [
    (redeclare_p(biogenic_uptake_kg=-30),
     r"pcf\.biogenic_uptake_kg: -30 kg CO2e re-declared for lot 'P' is above its net "
     r"biogenic CFP \(-40 kg CO2e, cfp\.biogenic\)"),
    ({**redeclare_p(biogenic_uptake_kg=-50), "cfp": {"total": 100, "biogenic": -55}},
     r"cfp\.biogenic: -55 kg CO2e re-declared for lot 'P' is below its re-declared "
     r"biogenic uptake \(-50 kg CO2e"),
    (redeclare_p(fossil_carbon_kg=101),
     r"pcf\.fossil_carbon_kg: 101 kg of carbon re-declared for lot 'P' of 100 kg"),
    (redeclare_p(biogenic_uptake_kg=-1e12),  # review 320: published 1e10 kg CO2e/kg
     r"pcf\.biogenic_uptake_kg: -1e\+12 kg CO2e for the 100 kg of lot 'P' is more than "
     r"1e\+06 kg CO2e per kg"),
])
def test_facts_that_do_not_fit_the_lot_are_refused(repo: TraceRepo, event: dict[str, Any],
                                                   message: str) -> None:
    repo.ingest("org-A", ev(*LOTS, blend("PQ", ("P", 50), ("Q", 50))))
    with pytest.raises(TraceError, match=message):
        repo.ingest("org-A", ev(event))
    assert uptake(own(repo, "PQ")) == (-40, -10)  # nothing written
    clean(repo)
    # an uptake and a net biogenic CFP re-declared together, consistent, are taken
    repo.ingest("org-A", ev({**redeclare_p(biogenic_uptake_kg=-50),
                             "cfp": {"total": 100, "biogenic": -45}}))
    assert uptake(own(repo, "PQ")) == (-35, -10)
    clean(repo)


def test_facts_are_checked_as_a_create_s_and_only_the_declarer_may(repo: TraceRepo) -> None:
    repo.ingest("org-A", ev(*LOTS))
    with pytest.raises(ValueError, match="one geography level"):  # as the API reads it
        ev(redeclare_p(country="JP", region="Asia"))
    with pytest.raises(TraceError, match="changes nothing: give cfp, recycled, claims or pcf"):
        repo.ingest("org-A", ev({"type": "redeclare", "lot": "P", "reason": "typo"}))
    repo.ingest("org-A", ev({"type": "ship", "lot": "P", "to": "org-B"}))
    with pytest.raises(TraceError, match="only the organisation that declared lot 'P'"):
        repo.ingest("org-B", ev({"type": "receive", "lot": "org-A/P", "site": "s"},
                                redeclare_p(country="JP")))
    clean(repo)


def test_a_create_s_uptake_is_bounded_per_kg_too(repo: TraceRepo) -> None:
    with pytest.raises(TraceError, match=r"pcf\.biogenic_uptake_kg: -1e\+12 kg CO2e for the "
                       r"100 kg of lot 'H'"):
        repo.ingest("org-A", ev(pe("H", 100, -40, biogenic_uptake_kg=-1e12)))
    repo.ingest("org-A", ev(pe("H", 100, -1e8, biogenic_uptake_kg=-1e8)))  # 1e6 per kg
    clean(repo)


def test_the_holder_of_a_blend_whose_uptake_follows_is_told(repo: TraceRepo) -> None:
    """Review 320: PQ shipped to org-B; P's uptake re-declared -60 → -80 moves PQ's published
    footprint 1.4 → 1.5 and only its facts (not its CFP values) change. org-B was told
    nothing and org-A's answer counted no lot; now both PQ's maker and holder are told and A
    counts it."""
    repo.ingest("org-A", ev(*LOTS, blend("PQ", ("P", 50), ("Q", 50)),
                            {"type": "ship", "lot": "PQ", "to": "org-B"}))
    repo.ingest("org-B", ev({"type": "receive", "lot": "org-A/PQ", "site": "s"}))
    res = repo.ingest("org-A", ev(redeclare_p(biogenic_uptake_kg=-80)))
    # P itself and PQ; org-A made PQ, as a moved CFP would tell it
    assert res.recomputed == 2 and res.notified == ["org-A", "org-B"]
    notes = repo.notifications("org-B")
    assert len(notes) == 1 and notes[0]["payload"]["lots"] == ["PQ"]  # as B names it
    assert uptake(own(repo, "PQ")) == (-50, -10)
    clean(repo)
