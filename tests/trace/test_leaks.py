"""Issue 14: nothing leaks between organisations (SQLite and PostgreSQL).

- A re-declaration's notifications tell each organisation only about lots it may see and
  name only organisations it knows from them; the re-declarer's answer names only what it
  could see anyway.
- Every error about another organisation's lot or agreement is byte for byte the error about
  a missing one: the same probe is run before and after the other organisation creates the
  lot (store and CLI; the HTTP API in test_leaks_api.py).
- The CLI prints exactly the fields the viewer may see (a composition-only grant crashed it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from junkan.store.trace_access import visible_lots
from junkan.store.trace_repo import GRANTABLE, TraceRepo
from tests.trace.conftest import ORGS
from tests.trace.test_cli import run
from tests.trace.test_ledger import build_chain, create, ev, ship

NAMES = [f"org-{o}" for o in ORGS]
LATER = datetime.now(UTC) + timedelta(days=30)


def known(repo: TraceRepo, org: str, note: dict[str, Any]) -> set[str]:
    """Organisations ``org`` knows from the lots a notification lists: each lot's maker and
    holder (the lot as ``org`` may see it, which must work)."""
    out = {org}
    for ref in [*note["payload"]["lots"], *note["payload"].get("redeclared", [])]:
        doc = repo.show(org, ref)
        out |= {doc["creator"], doc["owner"]}
    return out


def assert_no_stranger_named(repo: TraceRepo) -> None:
    for org in NAMES:
        for note in repo.notifications(org):
            text = json.dumps(note)
            strangers = {n for n in NAMES if n in text} - known(repo, org, note)
            assert not strangers, (org, note)


def test_redeclaring_tells_each_organisation_only_what_it_may_see(repo: TraceRepo) -> None:
    build_chain(repo)  # A, E → B (org-B) → C (org-C) → D (org-D), each shipped on
    res = repo.ingest("org-A", ev({"type": "redeclare", "lot": "A", "cfp": {"total": 1}}))
    # the answer: the one lot org-A may see (its own A) and who holds it; nothing downstream
    assert res.recomputed == 1 and res.notified == ["org-B"]
    b, c, d = (repo.notifications(o) for o in ("org-B", "org-C", "org-D"))
    assert len(b) == len(c) == len(d) == 1
    # org-B holds A: it is told who re-declared which lot, and about its B
    assert b[0]["payload"] == {"lots": ["A", "B"], "count": 2, "by": "org-A",
                               "redeclared": ["A"]}
    assert b[0]["message"] == "2 of your lots changed after org-A re-declared lot A: A, B"
    # org-C and org-D may not see A: they learn that something upstream changed, not who
    assert c[0]["payload"] == {"lots": ["B", "C"], "count": 2}
    assert c[0]["message"] == ("2 of your lots changed after a lot upstream was re-declared: "
                               "B, C")
    assert d[0]["payload"] == {"lots": ["C", "D"], "count": 2}
    assert "org-A" not in json.dumps(d) and "org-B" not in json.dumps(d)
    for org in ("org-A", "org-E", "org-F", "org-G", "org-Outsider"):
        assert repo.notifications(org) == []
    assert_no_stranger_named(repo)


def test_a_grant_of_the_redeclared_lot_lets_its_grantee_be_told_who(repo: TraceRepo) -> None:
    build_chain(repo)
    repo.grant("org-A", "org-D", lots=["A"], fields=["cfp"], purpose="due diligence",
               expires_at=LATER)
    res = repo.ingest("org-A", ev({"type": "redeclare", "lot": "A", "cfp": {"total": 1}}))
    assert res.notified == ["org-B"]  # org-D is further downstream: still not named
    d = repo.notifications("org-D")[0]
    assert d["payload"]["by"] == "org-A" and d["payload"]["redeclared"] == ["A"]
    assert d["payload"]["lots"] == ["C", "D"]  # the granted lot A is not among "your lots"
    assert_no_stranger_named(repo)


def test_the_answer_names_whom_the_redeclarer_shipped_to_and_itself(repo: TraceRepo) -> None:
    repo.ingest("org-A", ev(create("X", 10, 5), ship("X", "org-C"),  # not yet received
                            create("Y", 10, 5),
                            {"type": "process", "lot": "P", "mass_kg": 10,
                             "inputs": [{"lot": "Y", "mass_kg": 10}]}))
    res = repo.ingest("org-A", ev({"type": "redeclare", "lot": "X", "cfp": {"total": 4}},
                                  {"type": "redeclare", "lot": "Y", "cfp": {"total": 4}}))
    assert res.recomputed == 3 and res.notified == ["org-A", "org-C"]
    assert repo.notifications("org-C")[0]["payload"] == {
        "lots": ["X"], "count": 1, "by": "org-A", "redeclared": ["X"]}
    # org-A is told about its derived lot P, not about the lots it re-declared itself
    assert repo.notifications("org-A")[0]["payload"]["lots"] == ["P"]


def test_cli_import_answer_and_notifications_show_no_stranger(tmp_path: Path) -> None:
    from tests.conftest import EXAMPLES

    ex = EXAMPLES / "trace"
    db = f"sqlite:///{tmp_path / 't.db'}"
    run("trace", "org", "org-A", "org-B", "org-E", "--database", db)
    for f, org in (("A.json", "org-A"), ("E.csv", "org-E"), ("B.json", "org-B")):
        assert run("trace", "import", str(ex / f), "--org", org, "--database", db)[0] == 0
    code, out = run("trace", "import", str(ex / "A-redeclare.json"), "--org", "org-A",
                    "--database", db)
    assert code == 0 and "notified org-B" in out
    code, out = run("trace", "notifications", "--org", "org-B", "--database", db)
    assert code == 0 and "org-A re-declared lot A" in out
    code, out = run("trace", "notifications", "--org", "org-E", "--database", db)
    assert code == 0 and out == ""  # org-E's lot E did not change


# ---- another organisation's ids read exactly like missing ones ------------------------------
Probe = Callable[[TraceRepo], Any]


def _outcome(fn: Probe, repo: TraceRepo) -> str:
    try:
        return f"ok {json.dumps(fn(repo), sort_keys=True, default=str)}"
    except Exception as exc:  # the exact type and text are what is compared
        return f"{type(exc).__name__}: {exc}"


def _revoke(n: int) -> Probe:
    return lambda r: r.revoke("org-C", n)


PROBES: dict[str, Probe] = {
    "show": lambda r: r.show("org-C", "X"),
    "show by maker": lambda r: r.show("org-C", "org-A/X"),
    "genealogy": lambda r: r.genealogy("org-C", "X"),
    "genealogy by maker": lambda r: r.genealogy("org-C", "org-A/X", 2),
    "grant": lambda r: r.grant("org-C", "org-D", lots=["X"], fields=["cfp"], purpose="p",
                               expires_at=LATER),
    "offer": lambda r: r.offer("org-C", "o", lots=["X"], fields=["cfp"]),
    "agreements": lambda r: r.agreements("org-C"),
    "notifications": lambda r: r.notifications("org-C"),
    "revoke by the grantee": lambda r: r.revoke("org-B", 1),
    **{f"revoke {n}": _revoke(n) for n in (1, 2, 3)},
    "ship": lambda r: r.ingest("org-C", ev(ship("X", "org-D"))),
    "ship by maker": lambda r: r.ingest("org-C", ev(ship("org-A/X", "org-D"))),
    "receive": lambda r: r.ingest("org-C", ev({"type": "receive", "lot": "org-A/X"})),
    "redeclare": lambda r: r.ingest("org-C", ev({"type": "redeclare", "lot": "X",
                                                 "cfp": {"total": 1}})),
    "merge": lambda r: r.ingest("org-C", ev({"type": "merge", "lot": "M", "mass_kg": 1,
                                             "inputs": [{"lot": "X", "mass_kg": 1}]})),
    "export": lambda r: _export(r, "org-C"),
}


def _export(repo: TraceRepo, org: str) -> list[Any]:
    from junkan.store.tables import Organisation

    with repo.db.session() as s:
        org_id = s.query(Organisation).filter_by(name=org).one().id
        return [(lot.lot, sorted(f)) for lot, f in visible_lots(s, org_id)]


def _other_org_makes_x(repo: TraceRepo) -> int:
    """org-A makes lot X, ships it to org-B, which receives it; org-A grants org-B X's
    composition and org-D every lot's CFP. Returns the first agreement's id."""
    repo.ingest("org-A", ev(create("X", 10, 2, composition={"Si": 7.0}), ship("X", "org-B")))
    repo.ingest("org-B", ev({"type": "receive", "lot": "X"}))
    first = repo.grant("org-A", "org-B", lots=["X"], fields=["composition"], purpose="p",
                       expires_at=LATER)
    repo.grant("org-A", "org-D", lots=["*"], fields=["cfp"], purpose="p", expires_at=LATER)
    repo.ingest("org-A", ev({"type": "redeclare", "lot": "X", "cfp": {"total": 3}}))
    return first


def test_another_organisations_lot_and_agreements_read_like_missing_ones(
        repo: TraceRepo) -> None:
    before = {name: _outcome(fn, repo) for name, fn in PROBES.items()}
    assert before["show"] == "TraceNotFound: lot 'X' not found"
    assert before["revoke 1"] == "TraceNotFound: agreement 1 not found"
    assert before["agreements"] == before["notifications"] == before["export"] == "ok []"
    assert _other_org_makes_x(repo) in (1, 2, 3)  # the ids probed now exist
    assert repo.show("org-B", "X")["composition"] == {"Si": 7.0}  # the others do see it
    after = {name: _outcome(fn, repo) for name, fn in PROBES.items()}
    assert after == before


def test_the_export_lists_each_visible_lot_with_its_fields(repo: TraceRepo) -> None:
    _other_org_makes_x(repo)
    repo.ingest("org-D", ev(create("DX", 1, 1)))
    holder = ["cfp", "claims", "recycled"]
    assert _export(repo, "org-A") == [("X", sorted(GRANTABLE))]
    assert _export(repo, "org-B") == [("X", sorted([*holder, "composition"]))]
    assert _export(repo, "org-D") == [("X", ["cfp"]), ("DX", sorted(GRANTABLE))]
    repo.revoke("org-A", repo.agreements("org-D")[0]["id"])
    assert _export(repo, "org-D") == [("DX", sorted(GRANTABLE))]


CLI_PROBES = [
    ["show", "X", "--org", "org-C"],
    ["show", "org-A/X", "--org", "org-C", "--format", "json"],
    ["genealogy", "X", "--org", "org-C"],
    ["genealogy", "org-A/X", "--org", "org-C", "--format", "json"],
    ["notifications", "--org", "org-C", "--format", "json"],
]


def test_cli_errors_about_another_organisations_lot_read_like_missing(
        repo: TraceRepo, tmp_path: Path) -> None:
    batch = tmp_path / "ship.json"
    batch.write_text(json.dumps({"events": [ship("org-A/X", "org-D")]}))

    def outcomes() -> list[tuple[int, str]]:
        got = [run("trace", *p, "--database", repo.db.url) for p in CLI_PROBES]
        return [*got, run("trace", "import", str(batch), "--org", "org-C",
                          "--database", repo.db.url)]

    before = outcomes()
    assert before[0] == (2, "error lot 'X' not found\n")
    assert before[-1][0] == 2 and "not in 'org-C'" in before[-1][1]
    _other_org_makes_x(repo)
    assert outcomes() == before


# ---- the CLI shows every field the viewer may see, and only those ----------------------------
def _show(repo: TraceRepo, org: str, lot: str) -> str:
    code, out = run("trace", "show", lot, "--org", org, "--database", repo.db.url)
    assert code == 0, out
    return out


def test_cli_show_prints_exactly_the_visible_fields(repo: TraceRepo) -> None:
    build_chain(repo)
    repo.grant("org-A", "org-D", lots=["A"], fields=["composition"], purpose="due diligence",
               expires_at=LATER)
    granted = _show(repo, "org-D", "A")  # used to crash: KeyError 'cfp_kgco2e'
    assert "composition (wt %): Si 7" in granted and "you see it as agreement" in granted
    assert "CFP" not in granted and "recycled" not in granted and "claims" not in granted
    held = _show(repo, "org-B", "A")
    assert "CFP 2 kg CO2e" in held and "recycled 20.00 %" in held and "claims: none" in held
    assert "composition" not in held and "site" not in held and "inputs" not in held
    own = _show(repo, "org-B", "B")
    for words in ("CFP 12 kg CO2e", "footprint facts: ", "country JP", "composition (wt %): none",
                  "site: ", "inputs: A 10 kg, E 30 kg", "own process: 0 kg"):
        assert words in own, (words, own)
    assert "outputs" not in own  # org-C made C from B: org-B may not see C, nor its id
    assert "used: 40 of 40 kg" not in own  # org-C, not org-B, holds B and used it
    assert "used: 10 of 10 kg" in held  # org-B holds A and used it all
    repo.grant("org-C", "org-D", lots=["C"], fields=["inputs", "site"], purpose="audit",
               expires_at=LATER)
    audit = _show(repo, "org-D", "C")  # org-D holds C, and is granted its inputs and site
    assert "CFP 14 kg CO2e" in audit and "site: " in audit
    assert "inputs: B 40 kg (not visible to you), F 10 kg (not visible to you)" in audit
