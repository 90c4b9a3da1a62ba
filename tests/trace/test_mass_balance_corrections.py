"""A supplier's correction after a mass-balance period was closed (review 2026-12-03, #1), the
period of a booking never ending before the event's time (#3), and a re-declaration that
changes nothing (#9) — each on SQLite and PostgreSQL, each checked against the replay of the
signed logs (``verify``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from junkan.store.trace_repo import TraceError, TraceRepo
from junkan.trace.balance import period_of
from tests.trace.test_ledger import create, ev, ship
from tests.trace.test_mass_balance import mb

JUL = datetime(2026, 7, 15, tzinfo=UTC)
OCT = datetime(2026, 10, 5, tzinfo=UTC)
NOV = datetime(2026, 11, 5, tzinfo=UTC)
JAN27 = datetime(2027, 1, 10, tzinfo=UTC)
CLOSE_Q3 = {"type": "close_period", "site": "plant", "period": "2026Q3"}


def post(repo: TraceRepo, org: str, period: str) -> Any:
    """``org``'s post-consumer account at the plant in ``period``."""
    st = repo.statement(org, site="plant", period=period)
    return next(a for a in st.accounts if a.characteristic == "post_consumer")


def redeclare(repo: TraceRepo, lot: str, share: float, at: datetime) -> None:
    repo.ingest("org-A", ev({"type": "redeclare", "lot": lot,
                             "recycled": {"post_consumer": share}}), at=at)


def verified(repo: TraceRepo) -> None:
    for org in ("org-A", "org-B"):
        result = repo.verify(org)
        assert result.ok, result.problems


def claim_notes(repo: TraceRepo) -> list[str]:
    return [n["message"] for n in repo.notifications("org-B") if "claims" in n["message"]]


def receive_in_q3_use_in_q4(repo: TraceRepo, share: float) -> None:
    """org-B receives 100 kg of org-A's R at ``share`` post-consumer in 2026Q3, closes 2026Q3
    (its balance carried to 2026Q4) and claims the carry in 2026Q4."""
    repo.ingest("org-A", ev(create("R", 100, 50, share), ship("R", "org-B")), at=JUL)
    repo.ingest("org-B", ev({"type": "receive", "lot": "R", "site": "plant"}), at=JUL)
    repo.ingest("org-B", ev(CLOSE_Q3), at=OCT)
    repo.ingest("org-B", ev(create("V", 200, 1800, 0.0, site="plant"),
                            mb("O", {"V": 100 * share}, 100 * share, 1.0)), at=OCT)
    assert post(repo, "org-B", "2026Q4").uncovered_claims == 0


def test_a_correction_of_a_closed_period_is_booked_where_its_carry_went(
        repo: TraceRepo) -> None:
    receive_in_q3_use_in_q4(repo, 1.0)
    redeclare(repo, "R", 0.0, NOV)  # the supplier: R was not recycled after all
    q3, q4 = post(repo, "org-B", "2026Q3"), post(repo, "org-B", "2026Q4")
    assert q3.closed and q3.totals == {"credit": 100, "carry_out": 100}
    assert q3.balance_kg == pytest.approx(0)  # a closed balance never changes
    assert q4.totals["adjust"] == pytest.approx(-100) and q4.uncovered_claims == 1
    assert claim_notes(repo) == ["1 of your mass-balance claims are no longer covered after a "
                                 "supplier re-declared material you received"]
    # no new claim draws on credit that is not there
    with pytest.raises(TraceError, match="exceeds"):
        repo.ingest("org-B", ev(mb("O2", {"V": 1}, 1, 1.0)), at=NOV)
    verified(repo)
    redeclare(repo, "R", 1.0, NOV)  # and back: the claim is covered again, in 2026Q4
    q3, q4 = post(repo, "org-B", "2026Q3"), post(repo, "org-B", "2026Q4")
    assert q3.balance_kg == pytest.approx(0) and "adjust" not in q3.totals
    assert q4.totals["adjust"] == pytest.approx(0) and q4.balance_kg == pytest.approx(0)
    assert q4.uncovered_claims == 0 and len(claim_notes(repo)) == 2
    verified(repo)


def test_a_raised_share_of_a_lot_used_after_the_close_moves_no_covered_claim(
        repo: TraceRepo) -> None:
    """R (50 % credited in closed 2026Q3, carried) is blended in 2026Q4, its 50 kg leaving
    2026Q4; the supplier raises R to 100 %: the extra 50 kg credited reached 2026Q4 and left
    with R there — nothing changes, the 2026Q4 claim stays covered, 2026Q3 stays at 0."""
    repo.ingest("org-A", ev(create("R", 100, 50, 0.5), ship("R", "org-B"),
                            create("S", 100, 50, 0.5), ship("S", "org-B")), at=JUL)
    repo.ingest("org-B", ev({"type": "receive", "lot": "R", "site": "plant"}), at=JUL)
    repo.ingest("org-B", ev(CLOSE_Q3), at=OCT)
    repo.ingest("org-B", ev({"type": "receive", "lot": "S", "site": "plant"},
                            {"type": "blend", "lot": "B1", "mass_kg": 100, "site": "plant",
                             "inputs": [{"lot": "R", "mass_kg": 100}]},
                            create("V", 100, 900, 0.0, site="plant"),
                            mb("O", {"V": 50}, 50, 1.0)), at=OCT)
    assert post(repo, "org-B", "2026Q4").balance_kg == pytest.approx(0)
    redeclare(repo, "R", 1.0, NOV)
    q3, q4 = post(repo, "org-B", "2026Q3"), post(repo, "org-B", "2026Q4")
    assert q3.balance_kg == pytest.approx(0) and "adjust" not in q3.totals
    assert q4.balance_kg == pytest.approx(0) and q4.uncovered_claims == 0
    assert claim_notes(repo) == []
    assert repo.show("org-B", "B1")["recycled"]["post_consumer"] == pytest.approx(1.0)
    verified(repo)


def test_a_deficit_is_carried_on_never_forgiven(repo: TraceRepo) -> None:
    """2026Q3's own claim used R's credit and 2026Q3 closed at 0: lowering R leaves 2026Q4 a
    deficit, which blocks claims, is carried on when 2026Q4 closes, and is made up when the
    supplier corrects itself again."""
    repo.ingest("org-A", ev(create("R", 100, 50, 1.0), ship("R", "org-B")), at=JUL)
    repo.ingest("org-B", ev({"type": "receive", "lot": "R", "site": "plant"},
                            create("V", 100, 900, 0.0, site="plant"),
                            mb("O", {"V": 100}, 100, 1.0)), at=JUL)
    repo.ingest("org-B", ev(CLOSE_Q3), at=OCT)
    redeclare(repo, "R", 0.0, OCT)
    q3, q4 = post(repo, "org-B", "2026Q3"), post(repo, "org-B", "2026Q4")
    assert q3.balance_kg == pytest.approx(0) and q3.uncovered_claims == 0
    assert q4.totals == {"adjust": pytest.approx(-100)}
    repo.ingest("org-B", ev({"type": "close_period", "site": "plant", "period": "2026Q4"}),
                at=JAN27)
    q4, q1 = post(repo, "org-B", "2026Q4"), post(repo, "org-B", "2027Q1")
    assert q4.balance_kg == pytest.approx(0) and q4.totals["carry_out"] == pytest.approx(-100)
    assert q1.totals == {"carry_in": pytest.approx(-100)}
    redeclare(repo, "R", 1.0, JAN27)  # booked past both closed periods, in 2027Q1
    assert post(repo, "org-B", "2026Q4").totals["adjust"] == pytest.approx(-100)
    assert "adjust" not in post(repo, "org-B", "2026Q3").totals
    assert post(repo, "org-B", "2027Q1").balance_kg == pytest.approx(0)
    verified(repo)


def test_a_booking_never_goes_into_a_period_that_ended(repo: TraceRepo) -> None:
    repo.ingest("org-A", ev(create("R", 100, 50, 1.0), ship("R", "org-B")), at=NOV)
    receive = {"type": "receive", "lot": "R", "site": "plant"}
    with pytest.raises(TraceError) as err:  # the event's own period
        repo.ingest("org-B", ev(receive | {"period": "2020Q1"}), at=NOV)
    assert str(err.value) == (
        "batch: events[0] (receive R): period: 2020Q1 ended at 2020-04-01T00:00:00+00:00, "
        "before the event's time 2026-11-05T00:00:00+00:00 (an event's time is its batch's, "
        "when it was ingested); book it into 2026Q4 or a later period")
    with pytest.raises(TraceError, match=r"events\[1\] \(receive R\): period: 2026Q3 ended"):
        repo.ingest("org-B", ev(create("V", 1, 1, site="plant", period="2026Q4"), receive),
                    at=NOV, period="2026Q3")  # the batch's period, for events naming none
    assert repo.statement("org-B").accounts == []  # all or nothing
    repo.ingest("org-B", ev(receive, create("V", 1, 1, site="plant")), at=NOV,
                period="2027Q1")  # a later period is allowed
    assert [a.period for a in repo.statement("org-B").accounts] == ["2027Q1"]
    verified(repo)


def test_an_event_without_a_time_takes_the_ingest_time(repo: TraceRepo) -> None:
    now = datetime.now(UTC)
    last = f"{now.year - 1}Q4" if now.month <= 3 else f"{now.year}Q{(now.month - 1) // 3}"
    repo.ingest("org-A", ev(create("R", 100, 50, 1.0, period=period_of(now))))
    with pytest.raises(TraceError, match=f"period: {last} ended at .*before the event's time "
                                         f"{now.date().isoformat()}"):
        repo.ingest("org-A", ev(create("R2", 100, 50, 1.0)), period=last)


def test_a_redeclaration_that_changes_nothing_is_refused(repo: TraceRepo) -> None:
    repo.ingest("org-A", ev(create("R", 100, 50, 1.0), ship("R", "org-B")), at=NOV)
    repo.ingest("org-B", ev({"type": "receive", "lot": "R"}), at=NOV)
    before = repo.notifications("org-B")
    size = repo.ingest("org-A", ev(create("X", 1, 1)), at=NOV).tree_size
    for doc in ({"type": "redeclare", "lot": "R"},
                {"type": "redeclare", "lot": "R", "reason": "checked again"}):
        with pytest.raises(TraceError) as err:
            repo.ingest("org-A", ev(create("Y", 1, 1), doc), at=NOV)
        assert str(err.value) == (
            "batch: events[1] (redeclare R): redeclare of lot 'R' changes nothing: give cfp, "
            "recycled, claims or pcf (a reason alone re-declares nothing)")
    assert repo.notifications("org-B") == before
    assert repo.ingest("org-A", ev(create("Z", 1, 1)), at=NOV).tree_size == size + 1
    # an empty list of claims is a re-declaration (the claims withdrawn)
    repo.ingest("org-A", ev({"type": "redeclare", "lot": "R", "claims": []}), at=NOV)
    verified(repo)


def test_a_log_signed_before_the_refusals_replays_as_signed(
        repo: TraceRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """A booking into an ended period and an empty re-declaration, signed before they were
    refused (2026-12-03): ``verify`` replays them as they were signed, no tamper reported."""
    from junkan.trace import balance, rules

    repo.ingest("org-A", ev(create("R", 100, 50, 1.0), ship("R", "org-B")), at=NOV)
    redeclare_as_before = rules._redeclare
    with monkeypatch.context() as m:  # the rules as they were before 2026-12-03
        m.setattr(balance, "check_not_ended", lambda period, at: None)
        m.setattr(rules, "_redeclare",
                  lambda view, ev, at, signed=False: redeclare_as_before(view, ev, at, True))
        repo.ingest("org-B", ev({"type": "receive", "lot": "R", "site": "plant",
                                 "period": "2020Q1"}), at=NOV)
        repo.ingest("org-A", ev({"type": "redeclare", "lot": "R"}), at=NOV)
    assert post(repo, "org-B", "2020Q1").totals == {"credit": 100}
    verified(repo)


def test_the_first_and_last_quarters_are_answered_not_crashed(repo: TraceRepo) -> None:
    """Past bug (schemathesis, 2026-12-03): ``?period=0000Q1`` was a 500 (the end of a
    quarter of year 0 is no ``datetime``); 9999Q4 likewise had no next quarter."""
    from junkan.trace.balance import next_period, period_end

    assert period_end("2026Q1") == datetime(2026, 4, 1, tzinfo=UTC)
    assert period_end("2026Q4") == datetime(2027, 1, 1, tzinfo=UTC)
    assert next_period("0999Q4") == "1000Q1"
    repo.ingest("org-A", ev(create("R", 100, 50, 1.0), ship("R", "org-B")), at=NOV)
    receive = {"type": "receive", "lot": "R", "site": "plant"}
    with pytest.raises(TraceError, match="period: 0000Q1 ended"):
        repo.ingest("org-B", ev(receive), at=NOV, period="0000Q1")
    repo.ingest("org-B", ev(receive), at=NOV, period="9999Q4")  # not ended: accepted
    assert post(repo, "org-B", "9999Q4").totals == {"credit": 100}
    with pytest.raises(TraceError, match="9999Q4 is the last one"):
        repo.ingest("org-B", ev({"type": "close_period", "site": "plant",
                                 "period": "9999Q4"}), at=NOV)
