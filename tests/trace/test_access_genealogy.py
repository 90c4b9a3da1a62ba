"""Genealogy under the one access rule (SQLite and PostgreSQL): only lots the viewer may see,
only the links between them, and a few batched reads per level — not one query per lot."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from junkan.store.trace_repo import TraceRepo
from tests.trace.test_ledger import build_chain, create, ev

LATER = datetime.now(UTC) + timedelta(days=30)


def graph(repo: TraceRepo, org: str, lot: str, depth: int = 6) -> tuple[set[str], set[Any]]:
    doc = repo.genealogy(org, lot, depth)
    return ({n["lot"] for n in doc["nodes"]},
            {(e["from"], e["to"], e["mass_kg"]) for e in doc["edges"]})


def test_each_viewer_walks_only_what_it_may_see(repo: TraceRepo) -> None:
    build_chain(repo)
    # org-B made B from A and E, which it holds; org-C's C (made from B) is not org-B's
    assert graph(repo, "org-B", "B") == ({"A", "B", "E"}, {("A", "B", 10), ("E", "B", 30)})
    # org-A's A went into B: org-A does not learn what became of it
    assert graph(repo, "org-A", "A") == ({"A"}, set())
    assert repo.show("org-A", "A")["outputs"] == []
    assert graph(repo, "org-D", "D") == ({"C", "D", "G"}, {("C", "D", 50), ("G", "D", 50)})
    # org-C grants org-D C's inputs: B and F stay org-B's and org-F's, so nothing more
    repo.grant("org-C", "org-D", lots=["C"], fields=["inputs"], purpose="audit",
               expires_at=LATER)
    assert graph(repo, "org-D", "D")[0] == {"C", "D", "G"}
    assert repo.show("org-D", "C")["inputs"] == [
        {"lot": "B", "mass_kg": 40, "visible": False},
        {"lot": "F", "mass_kg": 10, "visible": False}]
    # org-B grants org-D every lot's CFP: B joins, with its link to C; A and E do not
    repo.grant("org-B", "org-D", lots=["*"], fields=["cfp"], purpose="audit",
               expires_at=LATER)
    assert graph(repo, "org-D", "D") == ({"B", "C", "D", "G"}, {
        ("B", "C", 40), ("C", "D", 50), ("G", "D", 50)})
    assert graph(repo, "org-D", "D", depth=1)[0] == {"C", "D", "G"}


@contextmanager
def statements(repo: TraceRepo) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(repo.db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(repo.db.engine, "before_cursor_execute", count)


def test_the_walk_reads_per_level_not_per_lot(repo: TraceRepo) -> None:
    def fan(name: str, k: int) -> None:
        """Lot name split into k parts, each processed on: 2k + 1 lots, 2 levels."""
        repo.ingest("org-A", ev(create(name, 100, 10), {
            "type": "split", "lot": name, "outputs": [
                {"lot": f"{name}-{i}", "mass_kg": 1} for i in range(k)]}, *[
            {"type": "process", "lot": f"{name}-{i}-p", "mass_kg": 1,
             "inputs": [{"lot": f"{name}-{i}", "mass_kg": 1}]} for i in range(k)]))

    fan("SMALL", 3)
    fan("LARGE", 40)
    with statements(repo) as small:
        assert len(graph(repo, "org-A", "SMALL")[0]) == 7
    with statements(repo) as large:
        assert len(graph(repo, "org-A", "LARGE")[0]) == 81
    assert len(large) == len(small) <= 20, large
