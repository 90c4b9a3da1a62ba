"""Review items 7–9 (2026-12-03): what an event batch's text may hold and how its files are
read. No control character in a trace text field (a NUL broke PostgreSQL imports with a
traceback; escape sequences in one organisation's lot reached another's terminal), on the
CLI and the API alike; a JSON key given twice is refused by `junkan trace import` as by the
API; a CSV cfp_biogenic without cfp_total is refused, not dropped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError

from junkan.core.errors import ModelError
from junkan.trace import load
from junkan.trace.events import SIGNED, Batch, Create, Event, Redeclare
from junkan.trace.formats import validate
from tests.api.conftest import app_client, database_url, demo_tokens  # noqa: F401
from tests.trace.test_cli import run

CREATE = {"type": "create", "lot": "Z1", "material": "al", "mass_kg": 10, "cfp": {"total": 2}}
ESCAPE = "x\x1b[31mRED\x1b]0;pwned\x07"
"""An ANSI colour and an OSC window-title sequence."""


def _refused(event: dict[str, Any]) -> str:
    with pytest.raises(ModelError) as exc:
        validate(Batch, {"events": [CREATE, event]}, "b.json", None)
    return str(exc.value)


@pytest.mark.parametrize(("event", "where"), [
    ({**CREATE, "material": ESCAPE}, "events[1].create.material"),
    ({**CREATE, "material": "x\x00y"}, "events[1].create.material"),
    ({**CREATE, "site": "plant\x85"}, "events[1].create.site"),  # C1 (NEL)
    ({**CREATE, "claims": [{"type": "dd", "issuer": "i\x9b2J", "id": "1"}]},
     "events[1].create.claims[0].issuer"),
    ({**CREATE, "composition": {"Al\x7f": 5}}, "events[1].create.composition"),
    ({**CREATE, "pcf": {"ccs": {"included": True, "origin": "a\x1bb"}}},
     "events[1].create.pcf: ccs.origin"),
    ({**CREATE, "pcf": {"verification": {"provider_name": "a\nb"}}},
     "events[1].create.pcf: verification.provider_name"),
    ({**CREATE, "pcf": {"verification": {"comments": ESCAPE}}},
     "events[1].create.pcf: verification.comments"),
    ({"type": "process", "lot": "P", "mass_kg": 5, "material": "a\tb",
      "inputs": [{"lot": "Z1", "mass_kg": 5}]}, "events[1].process.material"),
    ({"type": "ship", "lot": "Z1", "to": "org\x1bB"}, "events[1].ship.to"),
    ({"type": "ship", "lot": "org\x9f/Z1", "to": "org-B"}, "events[1].ship.lot"),
    ({"type": "receive", "lot": "Z1", "site": "p\r"}, "events[1].receive.site"),
    ({"type": "redeclare", "lot": "Z1", "reason": "ok\x1b[2J"}, "events[1].redeclare.reason"),
    ({"type": "close_period", "site": "p\x00", "period": "2026Q1"},
     "events[1].close_period.site"),
])
def test_a_control_character_is_refused_naming_event_and_field(event: dict[str, Any],
                                                                where: str) -> None:
    message = _refused(event)
    assert where in message and "control character U+" in message, message
    assert "\x1b" not in message.replace(where, "")  # the text itself is not echoed


def test_prose_keeps_line_feeds_and_tabs_names_keep_other_scripts() -> None:
    batch = validate(Batch, {"events": [
        {**CREATE, "material": "アルミ\u00a0スクラップ (Ø 3 mm)",
         "pcf": {"verification": {"comments": "checked 2026-11\n\tsite visit"}}},
        {"type": "redeclare", "lot": "Z1", "reason": "EPD corrected\nsee ticket 12"}]},
        "b.json", None)
    made, redeclared = batch.events
    assert isinstance(made, Create) and made.material.startswith("アルミ")
    assert isinstance(redeclared, Redeclare) and redeclared.reason.endswith("ticket 12")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    from tests.api.conftest import store_url

    url = store_url(request.param, tmp_path, "t.db")
    assert run("trace", "org", "org-A", "org-B", "--database", url)[0] == 0
    return url


def test_cli_import_refuses_nul_and_escapes_on_every_store(store: str, tmp_path: Path) -> None:
    """Was: a NUL in a material crashed the PostgreSQL import with a traceback (exit 1), and
    escapes in org-A's lot were printed raw by org-B's `trace show`."""
    for text in ("x\x00y", ESCAPE):
        batch = tmp_path / "b.json"
        batch.write_text(json.dumps({"events": [{**CREATE, "material": text},
                                                {"type": "ship", "lot": "Z1", "to": "org-B"}]}))
        code, out = run("trace", "import", str(batch), "--org", "org-A", "--database", store)
        assert code == 2, out
        assert "events[0].create.material: contains the control character U+00" in out
    assert run("trace", "show", "Z1", "--org", "org-A", "--database", store)[0] == 2  # none


def test_api_refuses_a_control_character_naming_the_field(app_client: TestClient  # noqa: F811
                                                          ) -> None:
    a, _ = demo_tokens(app_client)
    res = app_client.post("/api/trace/events", headers=a, json={"events": [
        CREATE, {"type": "ship", "lot": "Z1", "to": "Partner\x1b[0m"}]})
    assert res.status_code == 422 and "events[1].ship.to" in res.text, res.text
    assert "control character U+001B" in res.text
    assert app_client.get("/api/trace/lots/Z1", headers=a).status_code == 404  # all or nothing


def test_a_json_key_given_twice_is_refused(tmp_path: Path) -> None:
    """Was: read as the last one (here a valid 10 kg), while the API refuses the body."""
    db = f"sqlite:///{tmp_path / 't.db'}"
    run("trace", "org", "org-A", "--database", db)
    dup = tmp_path / "dup.json"
    dup.write_text('{"events": [{"type": "create", "lot": "D1", "material": "al", '
                   '"mass_kg": -5, "mass_kg": 10, "cfp": {"total": 2}}]}')
    code, out = run("trace", "import", str(dup), "--org", "org-A", "--database", db)
    assert code == 2 and "events[0]" in out and "'mass_kg' is given twice" in out, out
    assert run("trace", "show", "D1", "--org", "org-A", "--database", db)[0] == 2
    with pytest.raises(ModelError, match="'org' is given twice"):  # trace.load's JSON too
        load(text='{"batches": [{"org": "a", "org": "b", "events": []}]}')


def test_csv_cfp_biogenic_without_total_is_refused(tmp_path: Path) -> None:
    """Was: the biogenic value dropped and an empty redeclare signed (docs/trace.md: a CFP
    is given by its total, fossil + biogenic = total)."""
    db = f"sqlite:///{tmp_path / 't.db'}"
    run("trace", "org", "org-A", "--database", db)
    first = tmp_path / "a.csv"
    first.write_text("type,lot,material,mass_kg,cfp_total,cfp_biogenic\ncreate,A,al,10,2,\n")
    assert run("trace", "import", str(first), "--org", "org-A", "--database", db)[0] == 0
    bad = tmp_path / "r.csv"
    bad.write_text("type,lot,material,mass_kg,cfp_total,cfp_biogenic\n"
                   "redeclare,A,,,,0.5\nredeclare,A,,,,-5\n")
    code, out = run("trace", "import", str(bad), "--org", "org-A", "--database", db)
    assert code == 2 and "r.csv:line 2: column cfp_biogenic" in out, out
    ok = tmp_path / "ok.csv"
    ok.write_text("type,lot,cfp_total,cfp_biogenic\nredeclare,A,2,-0.5\n")
    assert run("trace", "import", str(ok), "--org", "org-A", "--database", db)[0] == 0
    code, out = run("trace", "show", "A", "--org", "org-A", "--database", db, "--format", "json")
    assert json.loads(out)["cfp_kgco2e"]["biogenic"] == -0.5, out


def test_a_signed_record_is_read_as_it_was_signed() -> None:
    """Events signed before control characters were refused stay readable by the replay
    that `trace verify` runs (``context={SIGNED: True}``); new events are refused."""
    old = {**CREATE, "material": "al\tscrap", "composition": {"Al\n": 90},
           "pcf": {"ccs": {"included": True, "origin": "x\x1b"}}}
    adapter: TypeAdapter[Event] = TypeAdapter(Event)
    signed = adapter.validate_python(old, context={SIGNED: True})
    assert isinstance(signed, Create) and signed.material == "al\tscrap"
    with pytest.raises(ValidationError, match="U\\+0009"):
        adapter.validate_python(old)


def test_a_ledger_signed_before_the_refusal_still_verifies(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """A tab in a material signed into a log before control characters were refused: the
    replay reads the record as signed (``SIGNED``), so ``trace verify`` reports no tamper."""
    import re

    from junkan.trace import events

    db = f"sqlite:///{tmp_path / 't.db'}"
    batch = tmp_path / "old.json"
    batch.write_text(json.dumps({"events": [{**CREATE, "material": "al\tcast"}]}))
    assert run("trace", "org", "org-A", "--database", db)[0] == 0
    with monkeypatch.context() as m:  # the rules as they were before 2026-12-03
        m.setattr(events, "_CONTROL", re.compile(r"(?!)"))
        code, out = run("trace", "import", str(batch), "--org", "org-A", "--database", db)
        assert code == 0, out
    code, out = run("trace", "import", str(batch), "--org", "org-A", "--database", db)
    assert code == 2 and "control character U+0009" in out  # new batches are refused
    code, out = run("trace", "verify", "--database", db)
    assert code == 0 and "FAILED" not in out, out


def test_show_escapes_control_characters_of_a_lot_signed_before_the_refusal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another organisation's escape sequences stored before 2026-12-03 never reach the
    terminal raw: ``trace show`` escapes them."""
    import re

    from junkan.trace import events

    db = f"sqlite:///{tmp_path / 't.db'}"
    batch = tmp_path / "old.json"
    batch.write_text(json.dumps({"events": [{**CREATE, "material": ESCAPE},
                                            {"type": "ship", "lot": "Z1", "to": "org-B"}]}))
    assert run("trace", "org", "org-A", "org-B", "--database", db)[0] == 0
    with monkeypatch.context() as m:  # the rules as they were before 2026-12-03
        m.setattr(events, "_CONTROL", re.compile(r"(?!)"))
        code, out = run("trace", "import", str(batch), "--org", "org-A", "--database", db)
        assert code == 0, out
    code, out = run("trace", "show", "Z1", "--org", "org-B", "--database", db)
    assert code == 0, out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[31mRED" in out  # escaped, still readable
