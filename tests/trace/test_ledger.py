"""The seed-002 chain A–G (mission.md §2) reproduced exactly, including the automatic update;
custody rules, sovereignty, tamper evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import text

from junkan.store.trace_repo import TraceError, TraceRepo
from junkan.trace.events import Event
from junkan.trace.pact import dec

EVENTS: TypeAdapter[list[Any]] = TypeAdapter(list[Event])


def ev(*docs: dict[str, Any]) -> list[Any]:
    return EVENTS.validate_python(list(docs))


def create(lot: str, kg: float, cfp: float, post: float = 0.0, **kw: Any) -> dict[str, Any]:
    return {"type": "create", "lot": lot, "material": "aluminium", "mass_kg": kg,
            "cfp": {"total": cfp}, "recycled": {"post_consumer": post},
            "pcf": {"country": "JP"}, **kw}


def ship(lot: str, to: str) -> dict[str, Any]:
    return {"type": "ship", "lot": lot, "to": to}


def build_chain(repo: TraceRepo) -> None:
    """A (10 kg, CFP 2, 20 %) + E (30, 10, 0 %) → B; B + F (10, 2, 0 %) → C; C + G (50, 6,
    6 %) → D. Each company holds its own lot and ships it downstream."""
    repo.ingest("org-A", ev(create("A", 10, 2, 0.20, composition={"Si": 7.0}),
                            ship("A", "org-B")))
    repo.ingest("org-E", ev(create("E", 30, 10), ship("E", "org-B")))
    repo.ingest("org-B", ev({"type": "receive", "lot": "A"}, {"type": "receive", "lot": "E"},
                            {"type": "merge", "lot": "B", "mass_kg": 40, "inputs": [
                                {"lot": "A", "mass_kg": 10}, {"lot": "E", "mass_kg": 30}]},
                            ship("B", "org-C")))
    repo.ingest("org-F", ev(create("F", 10, 2), ship("F", "org-C")))
    repo.ingest("org-C", ev({"type": "receive", "lot": "B"}, {"type": "receive", "lot": "F"},
                            {"type": "merge", "lot": "C", "mass_kg": 50, "inputs": [
                                {"lot": "B", "mass_kg": 40}, {"lot": "F", "mass_kg": 10}]},
                            ship("C", "org-D")))
    repo.ingest("org-G", ev(create("G", 50, 6, 0.06), ship("G", "org-D")))
    repo.ingest("org-D", ev({"type": "receive", "lot": "C"}, {"type": "receive", "lot": "G"},
                            {"type": "merge", "lot": "D", "mass_kg": 100, "inputs": [
                                {"lot": "C", "mass_kg": 50}, {"lot": "G", "mass_kg": 50}]}))


def build_mixed(repo: TraceRepo, at: datetime) -> None:
    """A bit of everything: the chain (:func:`build_chain`) across organisations, then a
    split and a mass-balance claim at org-D's plant, at ``at``."""
    build_chain(repo)
    repo.ingest("org-D", ev(create("S", 100, 40, 0.5, site="plant"),
                            create("V", 100, 90, 0.0, site="plant"),
                            {"type": "split", "lot": "S", "outputs": [
                                {"lot": "S1", "mass_kg": 40}, {"lot": "S2", "mass_kg": 60}]},
                            {"type": "process", "lot": "M", "site": "plant", "mass_kg": 40,
                             "inputs": [{"lot": "V", "mass_kg": 50}],
                             "custody": "mass_balance", "claim": {"post_consumer": 0.5}}),
                at=at)


def val(repo: TraceRepo, org: str, lot: str) -> tuple[float, float]:
    doc = repo.show(org, lot)
    return round(doc["cfp_kgco2e"]["total"], 9), round(doc["recycled"]["total"], 9)


def test_seed_chain_and_automatic_update(repo: TraceRepo) -> None:
    build_chain(repo)
    assert val(repo, "org-B", "B") == (12, 0.05)
    assert val(repo, "org-C", "C") == (14, 0.04)
    assert val(repo, "org-D", "D") == (20, 0.05)
    res = repo.ingest("org-A", ev({"type": "redeclare", "lot": "A", "cfp": {"total": 1}}))
    # org-A's answer: only what it may see (its lot A, held by org-B), nothing downstream
    assert res.recomputed == 1 and res.notified == ["org-B"]
    repo.ingest("org-F", ev({"type": "redeclare", "lot": "F",
                             "recycled": {"post_consumer": 0.10}}))
    assert val(repo, "org-B", "B") == (11, 0.05)
    assert val(repo, "org-C", "C") == (13, 0.06)
    assert val(repo, "org-D", "D") == (19, 0.06)
    notes = repo.notifications("org-D")
    assert len(notes) == 2 and "re-declared" in notes[0]["message"]
    assert repo.notifications("org-E") == []


def test_sovereignty_buyer_sees_footprint_not_composition(repo: TraceRepo) -> None:
    build_chain(repo)
    own = repo.show("org-A", "A")
    assert own["composition"] == {"Si": 7.0}
    held = repo.show("org-B", "A")  # org-B received and consumed lot A
    assert "composition" not in held and held["cfp_kgco2e"]["total"] == 2
    assert held["inputs"] == [] and repo.show("org-B", "B")["inputs"]
    for org, lot in (("org-D", "A"), ("Outsider", "D"), ("org-G", "C"), ("org-E", "A")):
        with pytest.raises(TraceError, match="not found"):
            repo.show(f"org-{org}" if not org.startswith("org-") else org, lot)
    with pytest.raises(TraceError, match="not found"):
        repo.show("org-A", "nonexistent")


def test_rules_reject_with_a_clear_error_and_write_nothing(repo: TraceRepo) -> None:
    repo.ingest("org-A", ev(create("A", 10, 2, 0.2)))
    cases = [
        (ev(create("A", 5, 1)), "exists already"),
        (ev({"type": "merge", "lot": "X", "mass_kg": 20, "inputs": [
            {"lot": "A", "mass_kg": 20}]}), "only 10 kg left"),
        (ev({"type": "merge", "lot": "X", "mass_kg": 5, "inputs": [
            {"lot": "E", "mass_kg": 5}]}), "not in 'org-A'"),
        (ev({"type": "receive", "lot": "A"}), "was not shipped"),
        # by design (issue 13): an unknown organisation reads like any 'not found'
        (ev(ship("A", "org-nobody")), "organisation 'org-nobody' not found"),
    ]
    for batch, words in cases:
        with pytest.raises(TraceError, match=words):
            repo.ingest("org-A", [*ev(create("OK1", 1, 1)), *batch])
        with pytest.raises(TraceError, match="not found"):
            repo.show("org-A", "OK1")  # the whole batch was rolled back
    with pytest.raises(TraceError, match="only the organisation that declared"):
        repo.ingest("org-B", ev({"type": "redeclare", "lot": "A", "cfp": {"total": 1}}))
    assert repo.verify("org-A").ok


def test_chain_of_custody_models(repo: TraceRepo) -> None:
    repo.ingest("org-A", ev(create("R1", 100, 50, 1.0, site="s1"),
                            create("V1", 100, 900, 0.0, site="s1"),
                            create("V2", 100, 800, 0.0, site="s2")))
    with pytest.raises(TraceError, match="identity preserved"):
        repo.ingest("org-A", ev({"type": "process", "lot": "P", "mass_kg": 150, "inputs": [
            {"lot": "R1", "mass_kg": 50}, {"lot": "V1", "mass_kg": 100}],
            "custody": "identity_preserved"}))
    with pytest.raises(TraceError, match="segregated"):
        repo.ingest("org-A", ev({"type": "merge", "lot": "P", "mass_kg": 150, "inputs": [
            {"lot": "R1", "mass_kg": 50}, {"lot": "V1", "mass_kg": 100}],
            "custody": "segregated"}))
    # mass balance: R1's 100 kg post-consumer were credited to (s1, this quarter) on creation
    mb = {"type": "process", "lot": "M1", "mass_kg": 90, "site": "s1",
          "inputs": [{"lot": "R1", "mass_kg": 50}, {"lot": "V1", "mass_kg": 50}],
          "custody": "mass_balance", "claim": {"post_consumer": 0.5}}
    repo.ingest("org-A", ev(mb))
    m1 = repo.show("org-A", "M1")
    assert m1["recycled"]["post_consumer"] == 0.5  # claimed, not the physical 0.5·(100/100)
    # 50 kg claimed (0.5 × 100 kg of inputs): 50 kg left; 0.6 × 100 kg is 60
    too_much = {**mb, "lot": "M2", "inputs": [{"lot": "R1", "mass_kg": 50},
                                             {"lot": "V1", "mass_kg": 50}],
                "mass_kg": 90, "claim": {"post_consumer": 0.6}}
    with pytest.raises(TraceError, match="no negative balance"):
        repo.ingest("org-A", ev(too_much))
    other_site = {**mb, "lot": "M3", "inputs": [{"lot": "V2", "mass_kg": 10}], "mass_kg": 10,
                  "claim": {"post_consumer": 0.1}}
    with pytest.raises(TraceError, match="only material received at the site"):
        repo.ingest("org-A", ev(other_site))


def test_verify_detects_a_direct_database_edit(repo: TraceRepo) -> None:
    build_chain(repo)
    for org in ("org-A", "org-B", "org-D"):
        assert repo.verify(org).ok, repo.verify(org).problems
    with repo.db.engine.begin() as conn:
        row = conn.execute(text("SELECT id, record FROM trace_events WHERE lot = 'E' "
                                "AND type = 'create'")).one()
        conn.execute(text("UPDATE trace_events SET record = :r WHERE id = :i"),
                     {"r": row[1].replace('"mass_kg":30', '"mass_kg":31'), "i": row[0]})
    res = repo.verify("org-E")
    assert not res.ok
    assert any(p.startswith("org-E event 1 (create E): record changed")
               for p in res.problems), res.problems
    with repo.db.engine.begin() as conn:
        conn.execute(text("UPDATE trace_lots SET mass_kg = 99 WHERE lot = 'G'"))
    res = repo.verify("org-G")
    assert any("lot org-G/G: mass_kg stored 99" in p for p in res.problems), res.problems
    with repo.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM trace_events WHERE lot = 'F' AND type = 'ship'"))
    res = repo.verify("org-F")
    assert any("checkpoint" in p for p in res.problems)


def test_agreements_grant_fields_and_can_be_revoked(repo: TraceRepo) -> None:
    from datetime import UTC, datetime, timedelta

    build_chain(repo)
    later = datetime.now(UTC) + timedelta(days=30)
    with pytest.raises(TraceError, match="not found"):
        repo.show("org-D", "A")
    ag = repo.grant("org-A", "org-D", lots=["A"], fields=["cfp", "composition"],
                    purpose="due diligence of lot D", expires_at=later)
    seen = repo.show("org-D", "A")
    assert seen["access"] == "agreement" and seen["composition"] == {"Si": 7.0}
    assert "recycled" not in seen and seen["cfp_kgco2e"]["total"] == 2
    held = repo.show("org-B", "A")  # the holder gets composition only by agreement too
    assert "composition" not in held
    repo.revoke("org-A", ag)
    with pytest.raises(TraceError, match="not found"):
        repo.show("org-D", "A")
    with pytest.raises(TraceError, match="not made by"):
        repo.grant("org-D", "org-A", lots=["A"], fields=["cfp"], purpose="x",
                   expires_at=later)
    with pytest.raises(TraceError, match="fields"):
        repo.grant("org-A", "org-D", lots=["A"], fields=["password"], purpose="x",
                   expires_at=later)
    with pytest.raises(TraceError, match="past"):
        repo.grant("org-A", "org-D", lots=["A"], fields=["cfp"], purpose="x",
                   expires_at=datetime.now(UTC) - timedelta(days=1))
    with pytest.raises(TraceError, match="not found"):
        repo.revoke("org-D", ag)  # only the grantor revokes
    assert [a["revoked"] for a in repo.agreements("org-A")] == [True]


def test_catalogue_shows_metadata_only(repo: TraceRepo) -> None:
    build_chain(repo)
    repo.offer("org-A", "Al scrap lots 2026", lots=["A"], fields=["cfp", "composition"],
               description="Shredded Al, LIBS-graded", policy={"purpose": "recycled-content "
                                                                        "claims"})
    cat = repo.catalogue("org-D")
    assert cat == [{"id": cat[0]["id"], "provider": "org-A", "name": "Al scrap lots 2026",
                    "description": "Shredded Al, LIBS-graded", "fields": ["cfp", "composition"],
                    "policy": {"purpose": "recycled-content claims"}, "lots": 1}]
    assert repo.catalogue("org-A") == []  # one's own offers are not in one's catalogue
    with pytest.raises(TraceError, match="not found"):
        repo.show("org-D", "A")  # an offer is not a grant


def test_partner_witness_detects_a_rewritten_history(repo: TraceRepo) -> None:
    build_chain(repo)
    kept = repo.checkpoint("org-A")  # org-D keeps this
    repo.ingest("org-A", ev(create("A2", 5, 1)))  # the log grows: still consistent
    res = repo.check_witness(kept)
    assert res["ok"] and res["current_size"] == kept["tree_size"] + 1
    forged = {**kept, "root": "00" * 32}
    assert repo.check_witness(forged)["ok"] is False  # signature no longer matches
    with repo.db.engine.begin() as conn:  # rewrite an early event, hash included
        conn.execute(text("UPDATE trace_events SET leaf_hash = :h WHERE lot = 'A' AND "
                          "type = 'create'"), {"h": "11" * 32})
    res = repo.check_witness(kept)
    assert res["ok"] is False and "changed" in res["reason"]


@pytest.mark.slow
def test_notifications_go_to_the_webhook_after_commit(repo: TraceRepo) -> None:
    import time

    from junkan.core.outbound import OutboundPolicy
    from tests.trace.receiver import receiver

    build_chain(repo)
    # a loopback receiver: allowed only by the test settings, and only once registered
    repo.outbound = OutboundPolicy(allow_private=True, allow_http=True)
    repo.start_delivery(poll_s=0.1)
    with receiver() as got:
        repo.allow_webhook_origin("org-D", got.base)
        repo.set_webhook("org-D", got.url)
        with pytest.raises(TraceError, match="https"):
            repo.set_webhook("org-D", "ftp://example.org")
        with pytest.raises(TraceError):  # a failed batch notifies nobody
            repo.ingest("org-A", ev({"type": "redeclare", "lot": "A", "cfp": {"total": 1}},
                                    create("A", 1, 1)))
        repo.ingest("org-A", ev({"type": "redeclare", "lot": "A", "cfp": {"total": 1}}))
        assert got.wait()
    assert len(got) == 1 and got[0]["payload"]["count"] == 2  # C and D
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not repo.notifications("org-D")[-1]["webhook"]:
        time.sleep(0.05)
    assert repo.notifications("org-D")[-1]["webhook"].startswith("delivered")
    repo.stop_delivery()


def test_split_outputs_verify(repo: TraceRepo) -> None:
    repo.ingest("org-A", ev(create("S", 10, 4, 0.5),
                            {"type": "split", "lot": "S", "outputs": [
                                {"lot": "S1", "mass_kg": 4}, {"lot": "S2", "mass_kg": 6}]}))
    assert repo.show("org-A", "S2")["cfp_kgco2e"]["total"] == pytest.approx(2.4)
    res = repo.verify("org-A")
    assert res.ok, res.problems


def test_pcf_facts_follow_the_genealogy_into_pact(repo: TraceRepo) -> None:
    """Fossil carbon content is allocated by mass like the CFP; the country is passed on only
    when the inputs agree; an undeclared carbon content is 0 with the assumption stated."""
    from junkan.trace.pact import footprint

    repo.ingest("org-A", ev(
        create("P1", 10, 1, pcf={"country": "DE", "fossil_carbon_kg": 0.5,
                                 "standards": ["ISO14067", "PEF"]}),
        create("P2", 10, 1, pcf={"country": "JP", "fossil_carbon_kg": 1.0}),
        create("P3", 10, 1, pcf={"country": "JP"}),
        {"type": "process", "lot": "Q", "mass_kg": 15, "inputs": [
            {"lot": "P1", "mass_kg": 5}, {"lot": "P2", "mass_kg": 10}]},
        {"type": "process", "lot": "R", "mass_kg": 5, "inputs": [{"lot": "P3", "mass_kg": 5}]}))
    q = repo.show("org-A", "Q")
    assert q["pcf_facts"]["fossil_carbon_kg"] == 1.25  # 5/10·0.5 + 10/10·1.0
    assert q["pcf_facts"]["country"] is None and q["pcf_facts"]["standards"] == ["ISO14067"]
    now = datetime.now(UTC)
    pq = footprint(q, "urn:x", now, now, key="o/Q")
    assert pq["pcf"]["fossilCarbonContent"] == dec(1.25 / 15)
    assert "geographyCountry" not in pq["pcf"]
    assert "fossilCarbonContent: from the inputs, mass-weighted." in pq["comment"]
    pr = footprint(repo.show("org-A", "R"), "urn:x", now, now, key="o/R")
    assert pr["pcf"]["geographyCountry"] == "JP" and pr["pcf"]["fossilCarbonContent"] == "0"
    assert "fossilCarbonContent: from the inputs, mass-weighted." in pr["comment"]
    with pytest.raises(ValidationError, match="country"):
        ev(create("P4", 1, 1, pcf={"country": "Japan"}))
