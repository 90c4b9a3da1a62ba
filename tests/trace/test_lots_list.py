"""The lots list (issue 16, observation 8): one page of the lots an organisation may see —
made, held, shipped to it, granted by an agreement — newest first, searchable by id, material
and holder, with the total; nothing another organisation keeps to itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from junkan.store.trace_base import TraceError
from junkan.store.trace_repo import TraceRepo
from tests.trace.test_ledger import build_chain


def _ids(page: dict) -> list[str]:
    return [d["lot"] for d in page["lots"]]


def test_each_organisation_lists_what_it_may_see(repo: TraceRepo) -> None:
    build_chain(repo)
    # org-B made B from A and E, which it received; it shipped B to org-C
    assert _ids(repo.lots("org-B")) == ["B", "E", "A"]
    assert repo.lots("org-B")["total"] == 3
    # org-D holds D, C and G; C's inputs (B, F) are not its lots
    assert sorted(_ids(repo.lots("org-D"))) == ["C", "D", "G"]
    assert _ids(repo.lots("org-A")) == ["A"]


def test_the_list_says_nothing_of_links_it_did_not_read(repo: TraceRepo) -> None:
    """Review 267: a listed blend said ``inputs: []`` while the lot itself lists two."""
    build_chain(repo)
    listed = {d["lot"]: d for d in repo.lots("org-B")["lots"]}
    assert "inputs" not in listed["B"] and "outputs" not in listed["B"]
    assert len(repo.show("org-B", "B")["inputs"]) == 2


def test_search_filters_and_pages(repo: TraceRepo) -> None:
    build_chain(repo)
    assert _ids(repo.lots("org-D", q="d")) == ["D"]  # any case
    assert repo.lots("org-D", q="%")["total"] == 0  # a wildcard is a character
    assert repo.lots("org-D", holder="org-D")["total"] == 3
    assert repo.lots("org-D", holder="org-C")["total"] == 0
    assert repo.lots("org-D", holder="nobody")["total"] == 0
    assert repo.lots("org-D", material="ALUMINIUM")["total"] == repo.lots(
        "org-D", material="aluminium")["total"]
    first, second = repo.lots("org-D", limit=2), repo.lots("org-D", limit=2, offset=2)
    assert first["total"] == second["total"] == 3
    assert len(first["lots"]) == 2 and len(second["lots"]) == 1
    assert set(_ids(first)) | set(_ids(second)) == {"C", "D", "G"}
    with pytest.raises(TraceError, match="limit"):
        repo.lots("org-D", limit=0)


def test_an_agreement_adds_the_granted_lots_until_it_expires(repo: TraceRepo) -> None:
    build_chain(repo)
    assert "A" not in _ids(repo.lots("org-D"))
    later = datetime.now(UTC) + timedelta(days=30)
    agreement = repo.grant("org-A", "org-D", lots=["A"], fields=["composition"],
                           purpose="audit", expires_at=later)
    listed = {d["lot"]: d for d in repo.lots("org-D")["lots"]}
    assert listed["A"]["access"] == "agreement" and "composition" in listed["A"]
    repo.revoke("org-A", agreement)
    assert "A" not in _ids(repo.lots("org-D"))


def test_creation_dates_filter_both_days_included(repo: TraceRepo) -> None:
    from datetime import date

    from tests.trace.test_ledger import create, ev

    for lot, at in (("old", datetime(2026, 1, 10, 23, 30, tzinfo=UTC)),
                    ("mid", datetime(2026, 2, 1, 0, 0, tzinfo=UTC)),
                    ("new", datetime(2026, 3, 5, 12, 0, tzinfo=UTC))):
        repo.ingest("org-A", ev(create(lot, 10, 2)), at=at)
    assert _ids(repo.lots("org-A", made_from=date(2026, 2, 1))) == ["new", "mid"]
    assert _ids(repo.lots("org-A", made_to=date(2026, 2, 1))) == ["mid", "old"]
    assert _ids(repo.lots("org-A", made_from=date(2026, 1, 11),
                          made_to=date(2026, 3, 4))) == ["mid"]
    assert repo.lots("org-A", made_from=date(2026, 3, 6))["total"] == 0
    with pytest.raises(TraceError, match="made_to: 2026-01-01 is before made_from"):
        repo.lots("org-A", made_from=date(2026, 2, 1), made_to=date(2026, 1, 1))
