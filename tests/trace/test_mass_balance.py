"""ISO 22095 mass balance: credit on receipt, claims converted by the yield, explicit and
closable periods, re-declarations that re-value the credit and flag uncovered claims, and
the statement — each checked against the replay of the signed logs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from junkan.store.trace_repo import TraceError, TraceRepo
from tests.trace.test_ledger import create, ev, ship

JAN = datetime(2026, 1, 15, tzinfo=UTC)
FEB = datetime(2026, 2, 15, tzinfo=UTC)
MAY = datetime(2026, 5, 15, tzinfo=UTC)


def mb(lot: str, inputs: dict[str, float], out_kg: float, post: float,
       **kw: Any) -> dict[str, Any]:
    return {"type": "process", "lot": lot, "site": "plant", "mass_kg": out_kg,
            "inputs": [{"lot": k, "mass_kg": v} for k, v in inputs.items()],
            "custody": "mass_balance", "claim": {"post_consumer": post}, **kw}


def account(repo: TraceRepo, org: str, period: str = "2026Q1",
            char: str = "post_consumer") -> Any:
    st = repo.statement(org, site="plant", period=period)
    return next(a for a in st.accounts if a.characteristic == char)


def receive_scrap(repo: TraceRepo) -> None:
    """org-A sells 100 t at 30 % post-consumer to org-B, which receives it at its plant;
    org-B also makes 100 t of virgin metal there."""
    repo.ingest("org-A", ev(create("R", 100_000, 500_000, 0.30), ship("R", "org-B")), at=JAN)
    repo.ingest("org-B", ev({"type": "receive", "lot": "R", "site": "plant"},
                            create("V", 100_000, 900_000, 0.0, site="plant")), at=JAN)


def test_receipt_credits_at_once_and_a_claim_debits_it(repo: TraceRepo) -> None:
    receive_scrap(repo)
    a = account(repo, "org-B")
    assert a.balance_kg == pytest.approx(30_000) and a.totals == {"credit": 30_000}
    # 30 t at 100 % from virgin input: covered by the 30 t credited on receipt
    repo.ingest("org-B", ev(mb("M", {"V": 30_000}, 30_000, 1.0)), at=FEB)
    assert repo.show("org-B", "M")["recycled"]["post_consumer"] == 1.0
    assert account(repo, "org-B").balance_kg == pytest.approx(0)
    with pytest.raises(TraceError, match="exceeds the 0 kg credit"):
        repo.ingest("org-B", ev(mb("M2", {"V": 1_000}, 1_000, 0.5)), at=FEB)
    assert repo.verify("org-B").ok, repo.verify("org-B").problems


def test_the_yield_converts_a_claim_back_to_input_terms(repo: TraceRepo) -> None:
    receive_scrap(repo)
    # 80 kg out of 100 kg in (yield 0.8): 100 % claimed needs 100 kg of credit, not 80
    repo.ingest("org-B", ev(mb("Y", {"V": 10_000}, 8_000, 1.0)), at=FEB)
    claim = next(e for e in account(repo, "org-B").entries if e.kind == "claim")
    assert claim.mass_kg == pytest.approx(10_000) and claim.basis_kg == 10_000


def test_credit_used_physically_cannot_be_claimed_again(repo: TraceRepo) -> None:
    receive_scrap(repo)
    repo.ingest("org-B", ev(mb("M", {"V": 20_000}, 20_000, 1.0)), at=FEB)  # 20 t claimed
    # blending all of R passes its 30 t physically: only 10 t of credit is left for it
    blend = {"type": "blend", "lot": "B1", "mass_kg": 100_000, "site": "plant",
             "inputs": [{"lot": "R", "mass_kg": 100_000}]}
    with pytest.raises(TraceError, match="already claimed"):
        repo.ingest("org-B", ev(blend), at=FEB)
    blend["inputs"] = [{"lot": "R", "mass_kg": 30_000}]
    blend["mass_kg"] = 30_000
    repo.ingest("org-B", ev(blend), at=FEB)  # 9 t pass physically, 1 t of credit left
    assert account(repo, "org-B").balance_kg == pytest.approx(1_000)
    assert repo.show("org-B", "B1")["recycled"]["post_consumer"] == pytest.approx(0.3)
    assert repo.verify("org-B").ok


def test_a_redeclaration_revalues_the_credit_and_flags_claims(repo: TraceRepo) -> None:
    receive_scrap(repo)
    repo.ingest("org-B", ev(mb("M", {"V": 30_000}, 30_000, 1.0)), at=FEB)
    repo.ingest("org-A", ev({"type": "redeclare", "lot": "R",
                             "recycled": {"post_consumer": 0.10}}), at=FEB)
    a = account(repo, "org-B")
    assert a.totals["adjust"] == pytest.approx(-20_000)
    assert a.balance_kg == pytest.approx(-20_000) and a.uncovered_claims == 1
    notes = [n for n in repo.notifications("org-B") if "no longer covered" in n["message"]]
    assert len(notes) == 1 and notes[0]["payload"]["claims"][0]["lot"] == "M"
    assert "org-B" not in str(repo.notifications("org-A"))  # upstream learns nothing
    # the supplier corrects itself: covered again
    repo.ingest("org-A", ev({"type": "redeclare", "lot": "R",
                             "recycled": {"post_consumer": 0.30}}), at=MAY)
    a = account(repo, "org-B")
    assert a.balance_kg == pytest.approx(0) and a.uncovered_claims == 0
    for org in ("org-A", "org-B"):
        assert repo.verify(org).ok, repo.verify(org).problems


def test_periods_are_explicit_and_closed_periods_locked(repo: TraceRepo) -> None:
    receive_scrap(repo)
    # booked in February, but into Q2 as the site chose: the Q1 credit does not cover it
    with pytest.raises(TraceError, match=r"0 kg credit of account \(plant, post_consumer, "
                                         r"2026Q2\)"):
        repo.ingest("org-B", ev(mb("M2", {"V": 10_000}, 10_000, 1.0)), at=FEB,
                    period="2026Q2")
    # booked in May into Q1: that period has ended (review #3)
    with pytest.raises(TraceError, match=r"events\[0\] \(process M\): period: 2026Q1 ended"):
        repo.ingest("org-B", ev(mb("M", {"V": 10_000}, 10_000, 1.0)), at=MAY, period="2026Q1")
    repo.ingest("org-B", ev(mb("M", {"V": 10_000}, 10_000, 1.0)), at=FEB)  # Q1, its time
    repo.ingest("org-B", ev({"type": "close_period", "site": "plant", "period": "2026Q1"}),
                at=MAY)
    q1 = account(repo, "org-B")
    assert q1.closed and q1.balance_kg == pytest.approx(0) and q1.totals["carry_out"] == 20_000
    assert account(repo, "org-B", "2026Q2").totals == {"carry_in": 20_000}
    with pytest.raises(TraceError, match="period 2026Q1 of site 'plant' is closed"):
        repo.ingest("org-B", ev(mb("M3", {"V": 1_000}, 1_000, 1.0)), at=FEB, period="2026Q1")
    repo.ingest("org-B", ev(mb("M4", {"V": 20_000}, 20_000, 1.0)), at=MAY)  # the carry
    assert account(repo, "org-B", "2026Q2").balance_kg == pytest.approx(0)
    with pytest.raises(TraceError, match="2026Q5|quarter"):
        repo.ingest("org-B", ev(mb("M5", {"V": 1}, 1, 0.1)), at=MAY, period="2026Q5")
    assert repo.verify("org-B").ok, repo.verify("org-B").problems


def test_statement_exports(repo: TraceRepo) -> None:
    receive_scrap(repo)
    repo.ingest("org-B", ev(mb("M", {"V": 10_000}, 10_000, 0.5)), at=FEB)
    st = repo.statement("org-B")
    doc = st.to_json()
    post = next(a for a in doc["accounts"] if a["characteristic"] == "post_consumer")
    assert post["balance_kg"] == pytest.approx(25_000)
    assert [e["lot"] for e in post["entries"]] == ["org-A/R", "M"]
    lines = st.to_csv().splitlines()
    assert lines[0].startswith("site,characteristic,period,kind,lot")
    assert lines[1].startswith("plant,post_consumer,2026Q1,credit,org-A/R,100000,0.3,30000,,")
    assert repo.statement("org-A").accounts[0].totals == {"credit": 30_000, "outflow": 30_000}
