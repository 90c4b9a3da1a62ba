"""Rule 2 of the ledger (review 278): a lot made from inputs of which some declared no
biogenic uptake carries each input's uptake — declared, else its negative net biogenic CFP,
recorded as assumed — instead of none at all, which made PACT publication net one input's
biogenic emissions against another's uptake. New merge/blend/process/split records say
``"rules": 2``; a log signed before replays (and verifies) under rule 1 as it was signed."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from junkan.api.pact_snapshot import Footprints
from junkan.store.repo import Store
from junkan.store.trace_repo import TraceRepo
from junkan.trace import pcf, rules
from junkan.trace.events import Batch
from junkan.trace.pcf import derived_facts
from junkan.trace.replay import replay
from tests.trace.test_ledger import ev


def pe(lot: str, total: float, biogenic: float, mass: float = 100, **facts: Any
       ) -> dict[str, Any]:
    return {"type": "create", "lot": lot, "material": "polyethylene", "mass_kg": mass,
            "cfp": {"total": total, "biogenic": biogenic}, **({"pcf": facts} if facts else {})}


def blend(lot: str, *inputs: tuple[str, float]) -> dict[str, Any]:
    return {"type": "blend", "lot": lot, "mass_kg": sum(m for _, m in inputs),
            "inputs": [{"lot": x, "mass_kg": m} for x, m in inputs]}


# A: 100 kg, net biogenic -100 = emissions 50 + declared uptake -150, fossil 300 (total 200):
# excluding uptake 3.5 per kg. B: 100 kg, net biogenic +100 (no uptake declared), fossil 200
# (total 300): 3 per kg. C: net -60, D: net +40, neither declared (totals 100).
LOTS = [pe("A", 200, -100, biogenic_uptake_kg=-150), pe("B", 300, 100), pe("C", 100, -60),
        pe("D", 100, 40)]
BLENDS = [blend("AB", ("A", 50), ("B", 50)), blend("CD", ("C", 50), ("D", 50))]


RULE_1 = {
    "AB": '{"cfp_kgco2e":0,"energy_kwh":0,"pcf":{"fossil_carbon_kg":85.63,"biogenic_uptake_kg":'
          'null,"standards":["ISO14067"],"exempted_percent":0.0,"packaging_included":false,'
          '"country":null,"subdivision":null,"region":null,"ipcc_factors":["AR6"]}}',
    "CD": '{"cfp_kgco2e":0,"energy_kwh":0,"pcf":{"country":null,"fossil_carbon_kg":85.63,'
          '"standards":["ISO14067"],"exempted_percent":0.0,"packaging_included":false}}'}
"""``own`` of AB and CD as the code before rule 2 (0a918b6) stored them."""


def footprints(repo: TraceRepo, org: str = "org-A") -> dict[str, dict[str, Any]]:
    store = Store(repo.db)
    found = store.organisation_by_name(org)
    assert found is not None
    user = store.create_user(found.id, f"{org}-{id(repo)}@example.org", "pw-123456789", org)
    pfs = Footprints(repo.db, agreements_ttl_s=0).current(user, "https://pact.example").pfs
    return {pf["productIds"][0].rsplit(":", 1)[1]: pf for pf in pfs}


def records(repo: TraceRepo) -> dict[str, dict[str, Any]]:
    with repo.db.engine.connect() as c:
        return {lot: json.loads(r) for lot, r in c.execute(text(
            "SELECT lot, record FROM trace_events ORDER BY id"))}


def own(repo: TraceRepo, lot: str) -> dict[str, Any]:
    with repo.db.engine.connect() as c:
        stored = c.execute(text("SELECT own FROM trace_lots WHERE lot = :l"), {"l": lot}
                           ).scalar_one()
    return dict(json.loads(stored) if isinstance(stored, str) else stored)


def clean(repo: TraceRepo) -> None:
    assert [p.text for p in repo.audit().problems] == []


def test_an_input_without_declared_uptake_keeps_the_others_uptake(repo: TraceRepo) -> None:
    """The reviewer's kind of blend: by hand, AB excludes (250 + 75) / 100 = 3.25 kg CO2e/kg
    (the inputs' 3.5 and 3, half and half); rule 1 gave 2.5 (A's uptake netted against B's
    biogenic emissions). CD: (100 + 30) / 100 = 1.3, not 1.1."""
    repo.ingest("org-A", ev(*LOTS, *BLENDS))
    pfs = footprints(repo)
    assert pfs["A"]["pcf"]["pcfExcludingBiogenicUptake"] == "3.5"
    assert pfs["B"]["pcf"]["pcfExcludingBiogenicUptake"] == "3"
    ab, cd = pfs["AB"], pfs["CD"]
    assert ab["pcf"]["pcfExcludingBiogenicUptake"] == "3.25"
    assert ab["pcf"]["pcfIncludingBiogenicUptake"] == "2.5"
    assert cd["pcf"]["pcfExcludingBiogenicUptake"] == "1.3"
    assert cd["pcf"]["pcfIncludingBiogenicUptake"] == "1"
    for pf, declared, assumed in ((ab, "-0.75", "0"), (cd, "0", "-0.3")):
        assert "biogenicCO2Uptake" not in pf["pcf"]  # partly assumed: not as if declared
        assert f"({declared} kg CO2e/kg declared, {assumed} assumed: for inputs that " \
               "declared none" in pf["comment"]
    assert own(repo, "AB")["pcf"]["biogenic_uptake_kg"] == -75
    assert own(repo, "AB")["pcf"]["biogenic_uptake_assumed_kg"] == 0
    signed = records(repo)
    assert signed["AB"]["rules"] == signed["CD"]["rules"] == rules.VERSION
    assert "rules" not in signed["A"]  # a create's rules did not change
    clean(repo)


def test_a_ledger_signed_under_rule_1_still_verifies(repo: TraceRepo,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Records without ``rules`` and the facts rule 1 stored: verify is clean and the replay
    gives rule 1's facts again; a blend signed afterwards follows rule 2 in the same log."""
    with monkeypatch.context() as m:  # the ledger as ingest wrote it before rule 2
        m.setattr(rules, "VERSION", 1)
        repo.ingest("org-A", ev(*LOTS, *BLENDS, pe("E", 100, -20)))
    signed = records(repo)
    assert all("rules" not in r for r in signed.values())
    for lot, facts in RULE_1.items():  # as the code before rule 2 stored them
        assert own(repo, lot) == json.loads(facts)
    assert footprints(repo)["AB"]["pcf"]["pcfExcludingBiogenicUptake"] == "2.5"
    clean(repo)
    repo.ingest("org-A", ev(blend("BE", ("B", 50), ("E", 50))))
    assert records(repo)["BE"]["rules"] == rules.VERSION
    assert own(repo, "BE")["pcf"]["biogenic_uptake_kg"] == -10
    clean(repo)
    with repo.db.engine.connect() as c:
        names = {n: i for i, n in c.execute(text("SELECT id, name FROM organisations"))}
        log = [(o, "org-A", r, True) for o, r in c.execute(text(
            "SELECT org_id, record FROM trace_events ORDER BY id"))]
    ledger = replay(log, names)
    assert ledger.problems == []
    lots = {x.lot: x for x in ledger.lots}
    assert lots["AB"].own["pcf"]["biogenic_uptake_kg"] is None
    assert "biogenic_uptake_kg" not in lots["CD"].own["pcf"]
    assert lots["BE"].own["pcf"]["biogenic_uptake_assumed_kg"] == -10


def test_an_edit_of_the_derived_uptake_is_found(repo: TraceRepo) -> None:
    """The derived uptake is compared to 1e-9 relative (float noise, below): an edit of
    1e-6 is found, and so is a removed key."""
    repo.ingest("org-A", ev(*LOTS, *BLENDS))
    clean(repo)
    assert {k: v for k, v in own(repo, "AB")["pcf"].items() if "uptake" in k} == {
        "biogenic_uptake_kg": -75, "biogenic_uptake_assumed_kg": 0}
    for key, value in (("biogenic_uptake_assumed_kg", -1), ("biogenic_uptake_kg", -75.0001),
                       ("biogenic_uptake_assumed_kg", None), ("biogenic_uptake_kg", None)):
        doc = own(repo, "AB")
        before = dict(doc["pcf"])
        if value is None:
            del doc["pcf"][key]
        else:
            doc["pcf"][key] = value
        with repo.db.engine.begin() as c:
            c.execute(text("UPDATE trace_lots SET own = :o WHERE lot = 'AB'"),
                      {"o": json.dumps(doc)})
        problems = [p.text for p in repo.audit().problems]
        assert len(problems) == 1 and problems[0].startswith("lot org-A/AB: own stored")
        doc["pcf"] = before
        with repo.db.engine.begin() as c:
            c.execute(text("UPDATE trace_lots SET own = :o WHERE lot = 'AB'"),
                      {"o": json.dumps(doc)})
    clean(repo)


def test_an_unknown_rules_version_is_not_replayed() -> None:
    assert rules.version_of({}) == 1 and rules.version_of({"rules": 2}) == 2
    assert rules.version_of({"rules": 3}) == 3
    for bad in (4, 1.0, "2", True, None):
        with pytest.raises(ValueError, match="rules version"):
            rules.version_of({"rules": bad})


def test_a_client_cannot_choose_the_rules() -> None:
    """Only ingest writes ``rules``, beside the event in the signed record: an event or a
    batch naming it is refused (unknown field)."""
    with pytest.raises(ValidationError, match="rules"):
        ev({**BLENDS[0], "rules": 1})
    with pytest.raises(ValidationError, match="rules"):
        Batch.model_validate({"events": [BLENDS[0]], "rules": 1})


def _lot(mass: float, biogenic: float, **declared: Any) -> SimpleNamespace:
    return SimpleNamespace(material="polyethylene", mass_kg=mass, custody="declared",
                           cfp_biogenic=biogenic, declared={"pcf": declared} if declared else {})


@pytest.mark.parametrize("inputs", [
    [(_lot(10, -5, biogenic_uptake_kg=-8), 4), (_lot(20, 2, biogenic_uptake_kg=0), 20)],
    [(_lot(10, -5), 4), (_lot(20, -2), 20)],  # none declared, no netting: the fast path
    [(_lot(10, 5), 4), (_lot(20, 2, country="JP"), 20)],  # … and the other path
    [(_lot(10, -5, country="JP"), 4), (_lot(20, 0), 20)],
    [(_lot(10, -5), 7)],  # a process or a split of one lot
])
def test_where_nothing_nets_the_facts_are_rule_1s(inputs: list[tuple[Any, float]]) -> None:
    assert derived_facts(inputs, None) == derived_facts(inputs, None, assume_uptake=False)


def test_a_blend_of_recomputed_lots_verifies(repo: TraceRepo) -> None:
    """Rule 2 reads the inputs' CFPs, which the store recomputes by a triangular solve and the
    replay lot by lot: Y's net biogenic is stored -0.9899999999999999 and replayed -0.99, so
    B's assumed uptake differs in its last bit — float noise, not an edit."""
    repo.ingest("org-A", ev(pe("X0", 5, -1.1, 10), pe("X1", 5, -0.7, 10),
                            pe("X2", 5, -2.3, 10), pe("Z", 5, 2, 10),
                            {"type": "merge", "lot": "Y", "mass_kg": 9, "inputs": [
                                {"lot": f"X{k}", "mass_kg": 3} for k in range(3)]}))
    repo.ingest("org-A", ev({"type": "redeclare", "lot": "X0",
                             "cfp": {"total": 5, "biogenic": -0.3}}))
    repo.ingest("org-A", ev(blend("B", ("Y", 9), ("Z", 5))))
    assert own(repo, "B")["pcf"]["biogenic_uptake_assumed_kg"] == pytest.approx(-0.99)
    clean(repo)


def test_a_net_biogenic_cfp_of_float_noise_nets_nothing(
        repo: TraceRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Y's net biogenic CFP is 0 replayed and 2.8e-17 stored (recomputed in another order):
    whether the inputs of B would net must not depend on that (ZERO_BIOGENIC_PER_KG). Y is
    made under rule 2: under rule 3 its uptake follows the re-declarations (X2's -1.6 · 0.3
    assumed), so B's inputs have facts and nothing is left to decide by the sign."""
    with monkeypatch.context() as m:
        m.setattr(rules, "VERSION", 2)
        repo.ingest("org-A", ev(pe("X0", 5, 0.7, 10), pe("X1", 5, 1.3, 10),
                                pe("X2", 5, 0.5, 10), pe("Z", 5, -2, 10),
                                {"type": "merge", "lot": "Y", "mass_kg": 9, "inputs": [
                                    {"lot": f"X{k}", "mass_kg": 3} for k in range(3)]}))
    for lot, biogenic in (("X2", -1.6), ("X0", 0.3)):
        repo.ingest("org-A", ev({"type": "redeclare", "lot": lot,
                                 "cfp": {"total": 5, "biogenic": biogenic}}))
    with monkeypatch.context() as m:
        m.setattr(pcf, "ZERO_BIOGENIC_PER_KG", 0.0)
        repo.ingest("org-A", ev(blend("B0", ("Y", 4), ("Z", 5))))
        assert [p.text[:24] for p in repo.audit().problems] == ["lot org-A/B0: own stored"]
    repo.ingest("org-A", ev(blend("B", ("Y", 5), ("Z", 5))))
    assert own(repo, "B")["pcf"]["biogenic_uptake_kg"] is None  # no netting: rule 1's form
    problems = [p.text for p in repo.audit().problems]
    assert len(problems) == 1 and "B0" in problems[0]
