"""PACT v3 footprint lifecycle on SQLite and PostgreSQL: a changed footprint is a new one
(new id, precedingPfIds), the old one is Deprecated and still served with the values it had;
the agreements decide who sees which footprint, as in ``trace show``; migration 0008 and its
table agree."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter

from junkan.api.pact_snapshot import Footprints
from junkan.store import trace_pact
from junkan.store.repo import Store
from junkan.store.trace_repo import TraceNotFound, TraceRepo
from junkan.trace.events import Event

EVENTS: TypeAdapter[list[Any]] = TypeAdapter(list[Event])


def ev(*docs: dict[str, Any]) -> list[Any]:
    return EVENTS.validate_python(list(docs))


def member(repo: TraceRepo, org: str) -> Any:
    store = Store(repo.db)
    o = store.organisation_by_name(org)
    assert o is not None
    return store.create_user(o.id, f"{org}-{id(repo)}@example.org", "pw-123456789", org)


def host(repo: TraceRepo) -> Footprints:
    """A PACT host's footprints that read the agreements on every request."""
    return Footprints(repo.db, agreements_ttl_s=0)


def pfs(fp: Footprints, user: Any) -> list[dict[str, Any]]:
    return fp.current(user, "https://pact.example").pfs


def pe(lot: str, total: float, **kw: Any) -> dict[str, Any]:
    return {"type": "create", "lot": lot, "material": "polyethylene", "mass_kg": 10,
            "cfp": {"total": total}, **kw}


def test_a_change_makes_a_new_footprint_and_deprecates_the_old(repo: TraceRepo) -> None:
    user = member(repo, "org-A")
    repo.ingest("org-A", ev(pe("P1", 20), pe("P2", 30)))
    fp = host(repo)
    first = {pf["productIds"][0][-2:]: pf for pf in pfs(fp, user)}
    assert set(first) == {"P1", "P2"} and {pf["status"] for pf in first.values()} == {"Active"}
    again = host(repo)  # another host process: the same published ids
    assert {pf["id"] for pf in pfs(again, user)} == {pf["id"] for pf in first.values()}

    repo.ingest("org-A", ev({"type": "redeclare", "lot": "P1", "cfp": {"total": 25}}))
    now = pfs(fp, user)
    p1 = [pf for pf in now if pf["productIds"][0].endswith(":P1")]
    assert [pf["status"] for pf in p1] == ["Active", "Deprecated"]
    new, old = p1
    assert new["id"] != old["id"] and new["precedingPfIds"] == [old["id"]]
    assert new["pcf"]["pcfIncludingBiogenicUptake"] == "2.5"
    assert old == first["P1"] | {"status": "Deprecated"}  # served with the values it had
    p2 = [pf for pf in now if pf["productIds"][0].endswith(":P2")]
    assert p2 == [first["P2"]]  # unchanged: same id, still Active
    items = fp.current(user, "https://pact.example").items
    assert json.loads(items[old["id"]])["data"]["status"] == "Deprecated"

    repo.ingest("org-A", ev({"type": "redeclare", "lot": "P1", "cfp": {"total": 40}}))
    third = [pf for pf in pfs(fp, user) if pf["productIds"][0].endswith(":P1")]
    assert [pf["status"] for pf in third] == ["Active", "Deprecated", "Deprecated"]
    assert third[0]["precedingPfIds"] == [new["id"], old["id"]]
    assert third[1] == new | {"status": "Deprecated"}
    seqs = trace_pact.versions_of(repo.db, [1, 2])
    assert [v.version for v in seqs[1]] == [1, 2, 3] and len(seqs[2]) == 1


def test_versions_are_recorded_once_when_hosts_race(repo: TraceRepo) -> None:
    """Two builders record the same change at once: one version, same ids for both."""
    user = member(repo, "org-A")
    repo.ingest("org-A", ev(pe("R1", 20)))
    pfs(host(repo), user)
    repo.ingest("org-A", ev({"type": "redeclare", "lot": "R1", "cfp": {"total": 30}}))
    got: list[list[str]] = []
    errors: list[BaseException] = []

    def build() -> None:
        try:
            got.append(sorted(pf["id"] for pf in pfs(host(repo), user)))
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and len(got) == 4 and all(g == got[0] for g in got)
    assert [v.version for v in trace_pact.versions_of(repo.db, [1])[1]] == [1, 2]


def test_agreements_decide_who_sees_a_footprint(repo: TraceRepo) -> None:
    """PACT shows exactly what ``trace show`` shows: a grantee with a cfp grant sees the
    footprint (the extension only with recycled/claims granted too); after revocation, or
    once the grant expired, it does not."""
    grantee = member(repo, "org-B")
    repo.ingest("org-A", ev(pe("G1", 20, recycled={"post_consumer": 0.5})))
    fp = host(repo)
    assert pfs(fp, grantee) == []
    with pytest.raises(TraceNotFound):
        repo.show("org-B", "org-A/G1")
    expires = datetime.now(UTC) + timedelta(days=1)
    grant = repo.grant("org-A", "org-B", lots=["G1"], fields=["cfp"], purpose="PCF",
                       expires_at=expires)
    shown = repo.show("org-B", "org-A/G1")
    seen = pfs(fp, grantee)  # the agreement moved: the snapshot is rebuilt
    assert len(seen) == 1 and "cfp_kgco2e" in shown
    assert seen[0]["pcf"]["pcfIncludingBiogenicUptake"] == "2"
    assert "extensions" not in seen[0] and "recycled" not in shown
    repo.grant("org-A", "org-B", lots=["*"], fields=["recycled"], purpose="PCF",
               expires_at=expires)
    ext = pfs(fp, grantee)[0]["extensions"][0]["data"]
    assert ext == {"preConsumerShare": "0", "postConsumerShare": "0.5"}  # no claims
    for ag in repo.agreements("org-A"):
        repo.revoke("org-A", ag["id"])
    assert pfs(fp, grantee) == []
    with pytest.raises(TraceNotFound):
        repo.show("org-B", "org-A/G1")
    assert grant  # the grant's own answer is not what is tested here


def test_a_snapshot_ends_when_a_grant_it_uses_expires(repo: TraceRepo) -> None:
    grantee = member(repo, "org-B")
    repo.ingest("org-A", ev(pe("E1", 20)))
    repo.grant("org-A", "org-B", lots=["E1"], fields=["cfp"], purpose="PCF",
               expires_at=datetime.now(UTC) + timedelta(seconds=2))
    fp = host(repo)
    snap = fp.current(grantee, "")
    assert len(snap.pfs) == 1 and snap.valid_until is not None
    fp.snapshots[(grantee.org_id, "")] = snap._replace(
        valid_until=datetime.now(UTC) - timedelta(seconds=1))
    assert fp.cached(grantee, "")[0] is None  # expired: rebuilt on the next request


def test_unpublishable_lots_are_withheld_with_the_reason(repo: TraceRepo) -> None:
    user = member(repo, "org-A")
    repo.ingest("org-A", ev({"type": "create", "lot": "S1", "material": "aluminium scrap",
                             "mass_kg": 10, "cfp": {"total": 5}}, pe("P9", 20)))
    snap = host(repo).current(user, "")
    assert [pf["productIds"][0].rsplit(":", 1)[1] for pf in snap.pfs] == ["P9"]
    (why,) = snap.withheld.values()
    assert "fossil carbon content of 'aluminium scrap' is not known" in why


@pytest.mark.slow
def test_agreement_changes_show_within_the_ttl(repo: TraceRepo) -> None:
    """The host reads a grantee's agreements at most every ``agreements_ttl_s`` (1 s by
    default, so the hot path asks the database one thing): a grant shows after that."""
    import time

    grantee = member(repo, "org-B")
    repo.ingest("org-A", ev(pe("T1", 20)))
    fp = Footprints(repo.db, agreements_ttl_s=0.3)
    assert pfs(fp, grantee) == []
    repo.grant("org-A", "org-B", lots=["T1"], fields=["cfp"], purpose="PCF",
               expires_at=datetime.now(UTC) + timedelta(days=1))
    time.sleep(0.35)
    assert len(pfs(fp, grantee)) == 1


def test_a_request_is_answered_with_matching_active_footprints_or_why_not(
        repo: TraceRepo) -> None:
    """RequestCreated criteria are the list filters (v3); Deprecated footprints are not sent;
    a product that cannot be published is rejected with the reason."""
    from junkan.api.pact_events import answer

    user = member(repo, "org-A")
    repo.ingest("org-A", ev(pe("Q1", 20), {"type": "create", "lot": "S1",
                                            "material": "aluminium scrap", "mass_kg": 10,
                                            "cfp": {"total": 5}}))
    fp = host(repo)
    pfs(fp, user)
    repo.ingest("org-A", ev({"type": "redeclare", "lot": "Q1", "cfp": {"total": 30}}))
    q1 = next(pf["productIds"][0] for pf in pfs(fp, user))

    def ask(data: dict[str, Any]) -> dict[str, Any]:
        return answer(fp, user, {"id": "req-1", "data": data}, "https://pact.example")

    ok = ask({"productId": [q1]})
    assert ok["type"].endswith("RequestFulfilledEvent.3")
    assert [pf["status"] for pf in ok["data"]["pfs"]] == ["Active"]
    assert ok["source"] == "https://pact.example/3/events"
    both = ask({"productId": [q1], "status": "Deprecated"})
    assert [pf["status"] for pf in both["data"]["pfs"]] == ["Deprecated"]
    scrap = ask({"productId": [q1.replace(":Q1", ":S1")]})
    assert scrap["type"].endswith("RequestRejectedEvent.3")
    assert "fossil carbon content of 'aluminium scrap'" in scrap["data"]["error"]["message"]
    bad = ask({"validOn": "not a time"})
    assert bad["data"]["error"]["code"] == "BadRequest"
