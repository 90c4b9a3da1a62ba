"""Size limits of the lot ledger over HTTP (SQLite and PostgreSQL): a batch of events is
refused by its length before any event is validated, and a genealogy answer stops at a number
of lots, the nearest first, saying so."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from junkan.core.limits import limits, override_limits
from tests.api.conftest import app_client, database_url, demo_tokens  # noqa: F401

ENV = "JUNKAN_LIMIT_TRACE_BATCH_EVENTS"


def create(lot: str, mass: float = 10) -> dict[str, Any]:
    return {"type": "create", "lot": lot, "material": "al", "mass_kg": mass,
            "cfp": {"total": 2}}


def split(lot: str, outputs: list[str], each: float) -> dict[str, Any]:
    return {"type": "split", "lot": lot, "outputs": [{"lot": o, "mass_kg": each}
                                                     for o in outputs]}


def post(client: TestClient, events: list[Any], h: dict[str, str]) -> Any:
    return client.post("/api/trace/events", json={"events": events}, headers=h)


def lot_count(client: TestClient, h: dict[str, str]) -> int:
    return int(client.get("/api/trace/lots", headers=h).json()["total"])


def refusal(res: Any) -> str:
    """The one field error of a refused batch (problem+json naming ``events``)."""
    assert res.status_code == 422, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    errors = res.json()["errors"]
    assert [e["path"] for e in errors] == ["events"], errors
    return str(errors[0]["message"])


def test_batch_over_the_limit_is_refused_before_its_events_are_validated(
        app_client: TestClient) -> None:  # noqa: F811
    a, _ = demo_tokens(app_client)
    assert limits().trace_batch_events == 5_000
    before = lot_count(app_client, a)
    # 5,001 events, none of them valid: the answer is the count alone, not 5,001 errors
    message = refusal(post(app_client, [{"type": "create"}] * 5_001, a))
    assert "5,001 events" in message and f"limit 5,000 ({ENV})" in message, message
    with override_limits(trace_batch_events=20):
        message = refusal(post(app_client, [create(f"L{i}") for i in range(21)], a))
        assert "21 events" in message and f"limit 20 ({ENV})" in message, message
        assert lot_count(app_client, a) == before
        # a split counts one per output: two splits into 12 lots each are 24
        assert post(app_client, [create("S1", 12), create("S2", 12)], a).status_code == 200
        message = refusal(post(app_client, [split("S1", [f"S1-{i}" for i in range(12)], 1),
                                            split("S2", [f"S2-{i}" for i in range(12)], 1)], a))
        assert "24 events" in message, message
        assert lot_count(app_client, a) == before + 2
        # at the limit: accepted, all of it
        res = post(app_client, [create(f"L{i}") for i in range(20)], a)
        assert res.status_code == 200 and res.json()["events"] == 20, res.text
        assert post(app_client, [split("S1", [f"S1-{i}" for i in range(12)], 1)], a
                    ).status_code == 200
    assert lot_count(app_client, a) == before + 2 + 20 + 12


def test_genealogy_stops_at_the_node_limit_nearest_first(
        app_client: TestClient) -> None:  # noqa: F811
    a, _ = demo_tokens(app_client)
    kids = [f"K{i:02d}" for i in range(30)]
    assert post(app_client, [create("R", 60), split("R", kids, 2)], a).status_code == 200
    res = post(app_client, [split(k, [f"{k}-a", f"{k}-b"], 1) for k in kids], a)
    assert res.status_code == 200, res.text

    whole = app_client.get("/api/trace/lots/R/genealogy?depth=3", headers=a).json()
    assert len(whole["nodes"]) == 91 and len(whole["edges"]) == 90
    assert (whole["truncated"], whole["omitted"]) == (False, 0)

    with override_limits(trace_genealogy_nodes=10):
        res = app_client.get("/api/trace/lots/R/genealogy?depth=3", headers=a)
    assert res.status_code == 200, res.text
    cut = res.json()
    names = [n["lot"] for n in cut["nodes"]]
    # the root and the nine nearest lots (its direct outputs), the links between them only
    assert len(names) == 10 and names[0] == "R" and set(names[1:]) < set(kids), names
    assert {(e["from"], e["to"]) for e in cut["edges"]} == {("R", k) for k in names[1:]}
    # 21 outputs of R and the 18 outputs of the nine lots given were left out
    assert (cut["truncated"], cut["omitted"], cut["node_limit"]) == (True, 39, 10)
    # each lot given is as the lot itself reads: all its links listed
    root = next(n for n in cut["nodes"] if n["lot"] == "R")
    assert len(root["outputs"]) == 30
    assert all(len(n["outputs"]) == 2 for n in cut["nodes"][1:])

    # the links the lots list are counted too (the root's own aside): each of R's outputs
    # lists 3 (R and its two outputs), so 5 fit one of them; its outputs are left out
    with override_limits(trace_genealogy_links=5):
        cut = app_client.get("/api/trace/lots/R/genealogy?depth=3", headers=a).json()
    assert [n["lot"] for n in cut["nodes"]] == ["R", "K00"]
    assert [(e["from"], e["to"]) for e in cut["edges"]] == [("R", "K00")]
    assert (cut["truncated"], cut["omitted"]) == (True, 31)
    assert len(cut["nodes"][0]["outputs"]) == 30 and len(cut["nodes"][1]["outputs"]) == 2


def test_batch_files_are_not_limited() -> None:
    """``junkan trace import`` reads batch files of any number of events (up to its 256 MiB)."""
    from junkan.trace import Batch

    with override_limits(trace_batch_events=5):
        assert len(Batch.model_validate({"events": [create(f"L{i}") for i in range(6)]})
                   .events) == 6


def test_the_cli_says_when_a_genealogy_was_cut(tmp_path: Any) -> None:
    """``junkan trace genealogy`` prints the lots kept and, when the answer was capped, how
    many were left out (its JSON carries ``truncated`` like the API's)."""
    from typer.testing import CliRunner

    from junkan.cli.trace import app as trace_app
    from junkan.cli.trace import trace_repo
    from junkan.trace import Batch

    db = f"sqlite:///{tmp_path / 't.db'}"
    assert CliRunner().invoke(trace_app, ["org", "org-A", "--database", db]).exit_code == 0
    repo = trace_repo(db)
    repo.ingest("org-A", Batch.model_validate(
        {"events": [create("R", 30), split("R", [f"K{i}" for i in range(3)], 10)]}).events)
    with override_limits(trace_genealogy_nodes=2):
        res = CliRunner().invoke(trace_app, ["genealogy", "R", "--org", "org-A",
                                             "--database", db])
    said = " ".join(res.output.split())
    assert res.exit_code == 0, res.output
    assert "showing the nearest 2 lots; at least 2 more linked lots left out" in said
