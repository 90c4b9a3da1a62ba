"""Migration 0006 (SQLite and PostgreSQL): lot ids become unique per organisation without
losing a lot, a value or a link; signing keys are encrypted (and decrypted on downgrade);
claim ids name their organisation; registered webhooks keep their origin; the downgrade
refuses what revision 0005 cannot hold."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import TypeAdapter
from sqlalchemy import text

from junkan.store.db import Database
from junkan.store.trace_repo import TraceRepo
from junkan.trace.events import Event
from junkan.trace.keystore import key_id, load_keyring, public_of
from junkan.trace.signing import new_key
from tests.api.conftest import store_url
from tests.migrating import migrate

EVENTS: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = store_url(request.param, tmp_path, "m.db", empty=True)
    database = Database(url)
    yield database
    database.engine.dispose()




def test_0006_scopes_ids_encrypts_keys_and_downgrades(db: Database) -> None:
    migrate(db, "0005")
    priv, pub = new_key()
    with db.engine.begin() as conn:  # what revision 0005 stored
        conn.execute(text("INSERT INTO organisations (id, name, created_at) VALUES "
                          "('o1', 'org-1', '2026-01-01 00:00:00'), "
                          "('o2', 'org-2', '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO trace_keys (org_id, public_key, private_key) "
                          "VALUES ('o1', :pub, :priv)"), {"pub": pub, "priv": priv})
        for seq, lot in ((1, "X"), (2, "Y")):
            conn.execute(text(
                "INSERT INTO trace_lots (seq, lot, creator_org, owner_org, received, material, "
                "mass_kg, consumed_kg, site, custody, declared, own, own_cfp, created_at) "
                "VALUES (:s, :l, 'o1', 'o1', true, 'al', 10, 0, 's', 'declared', '{}', '{}', "
                "0, '2026-01-01 00:00:00')"), {"s": seq, "l": lot})
            conn.execute(text(
                "INSERT INTO trace_values (seq, cfp_total, cfp_fossil, cfp_biogenic, rec_pre, "
                "rec_post, updated_at) VALUES (:s, 12.5, 12.0, 0.5, 0.1, 0.2, "
                "'2026-01-02 00:00:00')"), {"s": seq})
        conn.execute(text("INSERT INTO trace_inputs (dst_seq, src_seq, mass_kg) "
                          "VALUES (2, 1, 5)"))
        conn.execute(text(
            "INSERT INTO trace_balance_entries (org_id, site, characteristic, period, kind, "
            "mass_kg, lot, claim_id, created_at) VALUES ('o1', 's', 'post_consumer', '2026Q1', "
            "'debit', 1, 'Y', 'Y:post_consumer', '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO trace_webhooks (org_id, url) VALUES "
                          "('o1', 'https://Hooks.Example.com/junkan')"))
        if db.dialect == "postgresql":  # explicit seq values: move the sequence past them
            conn.execute(text("SELECT setval(pg_get_serial_sequence('trace_lots', 'seq'), 2)"))
    migrate(db, "head")
    ring = load_keyring(db.url)
    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT private_key FROM trace_keys")).scalar_one()
        claim = conn.execute(text("SELECT claim_id FROM trace_balance_entries")).scalar_one()
        origins = conn.execute(text("SELECT origin FROM trace_webhook_origins")).scalars().all()
        links = conn.execute(text("SELECT dst_seq, src_seq, mass_kg FROM trace_inputs")).all()
    assert key_id(stored) == ring.current_kid and public_of(ring.decrypt("o1", stored)) == pub
    assert claim == "o1:Y:post_consumer" and origins == ["https://hooks.example.com"]
    assert [tuple(r) for r in links] == [(2, 1, 5.0)]
    repo = TraceRepo(db)
    x = repo.show("org-1", "X")
    assert x["cfp_kgco2e"]["total"] == 12.5 and x["recycled"]["post_consumer"] == 0.2
    assert repo.show("org-1", "Y")["inputs"] == [{"lot": "X", "mass_kg": 5.0}]
    repo.ingest("org-1", EVENTS.validate_python([  # signs with the migrated key
        {"type": "create", "lot": "Z", "material": "al", "mass_kg": 1, "cfp": {"total": 1}}]))
    res = repo.verify("org-1")  # lots X and Y were written without events by this test
    assert res.events == 1 and res.problems == [
        "lot org-1/X (seq 1): no event in the log created it",
        "lot org-1/Y (seq 2): no event in the log created it",
        "genealogy link 1: not made by any event (added?)",
        "mass-balance entry 1: not booked by any event (added?)"]

    migrate(db, "0005", up=False)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT private_key FROM trace_keys")).scalar_one() == priv
        assert conn.execute(text("SELECT claim_id FROM trace_balance_entries")
                            ).scalar_one() == "Y:post_consumer"
        assert conn.execute(text("SELECT COUNT(*) FROM trace_lots")).scalar() == 3
        assert conn.execute(text("SELECT cfp_total FROM trace_values WHERE seq = 1")
                            ).scalar() == 12.5

    migrate(db, "head")  # and up again; now org-2 uses org-1's id, which 0005 cannot store
    TraceRepo(db).ingest("org-2", EVENTS.validate_python([
        {"type": "create", "lot": "X", "material": "al", "mass_kg": 1, "cfp": {"total": 1}}]))
    with pytest.raises(RuntimeError, match="more than one organisation"):
        migrate(db, "0005", up=False)
