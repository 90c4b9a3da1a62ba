"""Store writes that check a rule and then write, sent at the same time (review 273), on
SQLite and PostgreSQL: the rule holds. The race is forced — each caller waits, before its
session's first write, for the others to have checked too (a store that serialises them makes
the wait time out instead) — so each test failed on the unserialised store."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from junkan.store.cards import read_card, write_card
from junkan.store.db import Database
from junkan.store.repo import Store
from junkan.store.tables import Analysis, User
from tests.api.conftest import store_url

pytestmark = pytest.mark.slow
CALLERS = 3
PASSWORD = "a long enough passphrase"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    database = Database(store_url(request.param, tmp_path))
    database.migrate()
    yield database
    database.engine.dispose()


def at_once(call: Callable[[int], Any], callers: int = CALLERS) -> list[Any]:
    """``call(i)`` for each caller in its own thread, each waiting before its first flush
    until all have reached theirs (or 2 s): the result of each, or its exception's class."""
    barrier, local = threading.Barrier(callers, timeout=2), threading.local()

    def before_flush(*_: Any) -> None:
        if getattr(local, "racing", False):
            local.racing = False
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()

    def one(i: int) -> Any:
        local.racing = True
        try:
            return call(i)
        except Exception as exc:
            return type(exc).__name__
        finally:
            local.racing = False

    event.listen(Session, "before_flush", before_flush)
    try:
        with ThreadPoolExecutor(callers) as pool:
            return list(pool.map(one, range(callers)))
    finally:
        event.remove(Session, "before_flush", before_flush)


def _org_with(store: Store, *roles: str) -> list[User]:
    org = store.create_organisation("Race")
    return [store.create_user(org.id, f"u{i}@race.example", PASSWORD, f"U{i}", role=r)
            for i, r in enumerate(roles)]


def test_a_user_never_has_more_unfinished_analyses_than_allowed(db: Database) -> None:
    store = Store(db)
    (user,) = _org_with(store, "member")
    store.create_analysis(user, "optimise", max_active=2, max_kept=10)
    said = at_once(lambda _: store.create_analysis(user, "optimise", max_active=2,
                                                   max_kept=10).status)
    assert sorted(said) == ["TooManyAnalyses"] * (CALLERS - 1) + ["queued"], said
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Analysis)) == 2


def test_two_admins_demoting_each_other_leave_one_admin(db: Database) -> None:
    store = Store(db)
    a, b = _org_with(store, "admin", "admin")
    pair = [(a.id, b.id), (b.id, a.id)]
    said = at_once(lambda i: store.set_role(pair[i][1], "member", actor_id=pair[i][0],
                                            keep_admin=True).role, callers=2)
    assert sorted(said) == ["AccountError", "member"], said
    assert [u.role for u in store.list_users()].count("admin") == 1


def test_uploads_at_once_stay_within_the_quota(db: Database) -> None:
    store = Store(db, quota_bytes=10_000)
    (user,) = _org_with(store, "member")
    store.create_model(user, "m0", None, "x" * 4_000, "yaml")
    said = at_once(lambda i: store.create_model(user, f"m{i + 1}", None, "x" * 4_000,
                                                "yaml").name)
    assert said.count("QuotaExceeded") == CALLERS - 1, said  # 4,000 + 4,000 of 10,000
    assert len(store.list_models(user.org_id)) == 2


def test_versions_saved_at_once_get_numbers_of_their_own(db: Database) -> None:
    store = Store(db)
    (user,) = _org_with(store, "member")
    rec = store.create_model(user, "m", None, "a: 1", "yaml")
    said = at_once(lambda i: store.add_version(user, rec.id, "m", None, f"a: {i + 2}",
                                               "yaml").latest_version)
    assert sorted(said) == [2, 3, 4], said


def test_a_card_written_twice_at_once_is_kept_once(db: Database) -> None:
    store = Store(db)
    (user,) = _org_with(store, "member")
    rec = store.create_model(user, "m", None, "a: 1", "yaml")
    said = at_once(lambda _: write_card(db, rec.id, 1, {"k": 1}))
    assert said == [None] * CALLERS and read_card(db, rec.id, 1) == {"k": 1}


def test_a_model_saved_while_an_analysis_starts_does_not_deadlock(db: Database) -> None:
    """Review 277: saving a model locks the organisation and inserts rows referencing the
    user; starting an analysis locks the user and inserts a row referencing the organisation.
    With FOR UPDATE each waited for the other's foreign-key check and PostgreSQL aborted one
    (a 500); the locks are FOR NO KEY UPDATE, which foreign-key checks do not wait for."""
    store = Store(db)
    (user,) = _org_with(store, "admin")
    calls = [lambda: store.create_model(user, "m", None, "a: 1", "yaml").name,
             lambda: store.create_analysis(user, "optimise", max_active=5, max_kept=10).status]
    assert at_once(lambda i: calls[i](), callers=2) == ["m", "queued"]


def test_two_edits_of_one_version_do_not_lose_one(db: Database) -> None:
    """Review 273: two scenario saves made from version 1 at once both became versions (2
    and 3), and the newest lacked the other's scenario; the second is refused (409)."""
    store = Store(db)
    (user,) = _org_with(store, "member")
    rec = store.create_model(user, "m", None, "a: 1", "yaml")
    said = at_once(lambda i: store.add_version(user, rec.id, "m", None, f"a: {i + 2}", "yaml",
                                               base=1).latest_version, callers=2)
    assert sorted(said, key=str) == [2, "VersionMoved"], said
