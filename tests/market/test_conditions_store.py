"""The market conditions an organisation lists (:meth:`MarketRepo.conditions`): its own and
those granted to it, oldest first, each as it sees it — chosen and limited in SQL, so the
other organisations' conditions are never read. Runs on SQLite and, when
JUNKAN_TEST_POSTGRES_URL is set, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from junkan.market import Condition
from junkan.store.db import Database
from junkan.store.market_repo import MarketRepo, _as_seen
from junkan.store.market_tables import MarketCondition
from junkan.store.repo import Store
from tests.api.conftest import store_url

CALLER = "株式会社 合金"  # a name JSON stores escaped (\u682a…)
T0 = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Database]:
    d = Database(store_url(request.param, tmp_path))
    yield d
    d.engine.dispose()


def _cond(name: str, buyer: str, granted: list[str]) -> dict[str, Any]:
    return Condition.model_validate({
        "id": name, "buyer": buyer, "criteria": "alloy-buyer.adc12_feed",
        "price": {"base": "300 JPY/kg"}, "location": {"lat": 33.6, "lon": 130.4},
        "capacity": "100 t", "granted_to": granted,
    }).model_dump(mode="json")


def _before(repo: MarketRepo, org_id: str, limit: int) -> list[tuple[str, Condition]]:
    """What ``conditions`` answered before: every condition read, filtered in Python."""
    name = repo._name(org_id)
    with repo.db.session() as s:
        recs = list(s.scalars(select(MarketCondition).order_by(MarketCondition.created_at)))
    seen = ((r.id, _as_seen(r, org_id, name)) for r in recs)
    return [(rid, c) for rid, c in seen if c is not None][:limit]


def _stored(db: Database) -> tuple[MarketRepo, dict[str, str]]:
    """1,200 conditions the caller may not see (granted to its id, to names like its own, to
    others), then, one a minute, its own and others' granted or not to its name."""
    store = Store(db)
    orgs = {n: store.create_organisation(n).id for n in (CALLER, "beta", "gamma", "delta")}
    near = [orgs[CALLER], CALLER + " ", "株式会社", CALLER.upper() + "x", "beta"]
    rows = [(f"hidden-{i}", ("gamma", "delta")[i % 2], [near[i % len(near)]])
            for i in range(1200)]
    rows += [
        ("own-1", CALLER, []),
        ("beta-granted", "beta", ["gamma", CALLER, "delta"]),
        ("gamma-by-id", "gamma", [orgs[CALLER]]),  # an id is not a grant: names are
        ("own-2", CALLER, ["beta"]),
        ("delta-other", "delta", ["beta"]),
        ("gamma-granted", "gamma", [CALLER]),
        ("own-3", CALLER, [CALLER]),
    ]
    with db.session() as s:
        for k, (name, owner, granted) in enumerate(rows):
            s.add(MarketCondition(org_id=orgs[owner], name=name, doc=_cond(name, owner, granted),
                                  created_at=T0 + timedelta(minutes=k)))
    return MarketRepo(db), orgs


def test_an_organisation_lists_its_own_and_granted_conditions_only(db: Database) -> None:
    repo, orgs = _stored(db)
    me = orgs[CALLER]
    visible = ["own-1", "beta-granted", "own-2", "gamma-granted", "own-3"]
    for limit in (1000, 5, 3, 1):
        got = repo.conditions(me, limit)
        assert [c.id for _, c in got] == visible[:limit]
        assert got == _before(repo, me, limit)  # the same records, order and view as before
    by_id = dict(repo.conditions(me))
    # a partner sees only its own name among the grantees; the owner sees them all
    assert [c.granted_to for c in by_id.values()] == [[], [CALLER], ["beta"], [CALLER],
                                                       [CALLER]]
    beta = [c.id for _, c in repo.conditions(orgs["beta"], 1000)]
    assert beta == [f"hidden-{i}" for i in range(4, 1200, 5)] + [
        "beta-granted", "own-2", "delta-other"]
    assert repo.conditions(orgs["beta"], 1000) == _before(repo, orgs["beta"], 1000)


def test_only_the_conditions_listed_are_read(db: Database) -> None:
    """The 1,200 conditions the caller may not see, stored before its own, were each read
    and validated (its ODRL policy built) to answer a list of three."""
    repo, orgs = _stored(db)
    loaded: list[str] = []

    def note(rec: MarketCondition, _ctx: Any) -> None:
        loaded.append(rec.name)

    event.listen(MarketCondition, "load", note)
    try:
        got = repo.conditions(orgs[CALLER], 3)
    finally:
        event.remove(MarketCondition, "load", note)
    assert [c.id for _, c in got] == ["own-1", "beta-granted", "own-2"]
    assert loaded == ["own-1", "beta-granted", "own-2"]


def test_a_grant_with_a_nul_never_shows_nor_breaks_the_list(db: Database) -> None:
    """Review 2026-12-04: a condition granted to ``CALLER + "\\x00x"`` (accepted then) made
    every organisation's list a 500 on PostgreSQL (JSONB refuses the NUL) and was listed to
    ``CALLER`` on SQLite (the name compared cut at the NUL) while reading it by id said 404.
    Such a name is refused now; one stored before is left out for everyone, the rest listed."""
    from junkan.core.errors import rule_of

    repo, orgs = _stored(db)
    legacy = _cond("nul-grant", "gamma", [CALLER])
    legacy["granted_to"] = [CALLER + "\x00x"]  # as stored before names were checked
    with db.session() as s:
        s.add(MarketCondition(org_id=orgs["gamma"], name="nul-grant", doc=legacy,
                              created_at=T0 + timedelta(days=1)))
    mine = [c.id for _, c in repo.conditions(orgs[CALLER])]
    assert mine == ["own-1", "beta-granted", "own-2", "gamma-granted", "own-3"]
    assert "nul-grant" not in [c.id for _, c in repo.conditions(orgs["gamma"])]  # unreadable
    assert repo.conditions(orgs["beta"], 5)  # the others' lists still answer
    with pytest.raises(ValueError) as err:
        _cond("new", "gamma", [CALLER + "\x00x"])
    assert rule_of(err.value.errors()[0])[0] == "name-control-character"  # type: ignore[attr-defined]
