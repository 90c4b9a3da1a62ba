"""``junkan admin``: the operator's commands on the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from junkan.cli.main import app
from junkan.store.db import Database
from junkan.store.repo import Store
from tests.api.conftest import database_url  # noqa: F401  (the SQLite/PostgreSQL fixture)

runner = CliRunner()
GOOD = "plain tall window kettle"


@pytest.fixture
def db(database_url: str) -> Any:  # noqa: F811
    def run(*args: str, input: str | None = None) -> Any:
        return runner.invoke(app, ["admin", *args, "--database-url", database_url],
                             input=input)

    run.url = database_url  # type: ignore[attr-defined]
    return run


def _store(url: str) -> Store:
    return Store(Database(url))


@pytest.mark.slow
def test_organisation_and_first_admin(db: Any) -> None:
    res = db("org", "create", "Acme Metals")
    assert res.exit_code == 0, res.output
    assert db("org", "create", "Acme Metals").exit_code == 2  # exists already
    res = db("user", "create", "boss@acme.example", "--org", "Acme Metals", "--role", "admin",
             "--name", "Boss", "--generate")
    assert res.exit_code == 0, res.output
    password = res.output.split("password: ")[1].split()[0]
    store = _store(db.url)
    assert store.authenticate("boss@acme.example", password) is not None
    user = store.user_by_email("boss@acme.example")
    assert user is not None and user.role == "admin" and user.display_name == "Boss"
    listed = json.loads(db("user", "list", "--org", "Acme Metals", "--json").stdout)
    assert [(u["email"], u["role"], u["status"]) for u in listed] == [
        ("boss@acme.example", "admin", "active")]
    orgs = json.loads(db("org", "list", "--json").stdout)
    assert [(o["name"], o["users"]) for o in orgs] == [("Acme Metals", 1)]


@pytest.mark.slow
def test_passwords_from_stdin_and_prompt_meet_the_policy(db: Any) -> None:
    db("org", "create", "Acme")
    for bad in ("short", "password1234", "ann@acme.example"):
        res = db("user", "create", "ann@acme.example", "--org", "Acme", "--password-stdin",
                 input=bad + "\n")
        assert res.exit_code == 2 and "password rejected" in res.output, res.output
    assert _store(db.url).user_by_email("ann@acme.example") is None
    res = db("user", "create", "ann@acme.example", "--org", "Acme", "--password-stdin",
             input=GOOD + "\n")
    assert res.exit_code == 0 and "password:" not in res.output, res.output
    assert _store(db.url).authenticate("ann@acme.example", GOOD) is not None
    res = db("user", "reset-password", "ann@acme.example", input=f"{GOOD}!\n{GOOD}!\n")
    assert res.exit_code == 0, res.output  # prompted twice
    assert _store(db.url).authenticate("ann@acme.example", GOOD + "!") is not None
    res = db("user", "create", "bob@acme.example", "--org", "Acme", input="a\nb\n")
    assert res.exit_code != 0  # the prompt's two entries differ, then input runs out


@pytest.mark.slow
def test_unknown_names_exit_2(db: Any) -> None:
    for args in (["user", "create", "x@y.example", "--org", "Nope", "--generate"],
                 ["user", "disable", "nobody@y.example"],
                 ["user", "enable", "nobody@y.example"],
                 ["user", "delete", "nobody@y.example", "--yes"],
                 ["user", "reset-password", "nobody@y.example", "--generate"],
                 ["user", "set-role", "nobody@y.example", "admin"],
                 ["user", "revoke-tokens", "nobody@y.example"],
                 ["user", "unlock", "nobody@y.example"],
                 ["user", "list", "--org", "Nope"],
                 ["client", "create", "nobody@y.example"],
                 ["client", "list", "--user", "nobody@y.example"],
                 ["client", "revoke", "jk_nope"],
                 ["share", "list", "--org", "Nope"],
                 ["share", "withdraw", "0" * 32, "Nope"]):
        res = db(*args)
        assert res.exit_code == 2, (args, res.output)
        assert "error" in res.output and "Traceback" not in res.output


@pytest.mark.slow
def test_disable_enable_role_tokens_delete(db: Any) -> None:
    db("org", "create", "Acme")
    db("user", "create", "ann@acme.example", "--org", "Acme", "--password-stdin",
       input=GOOD + "\n")
    store = _store(db.url)
    ann = store.user_by_email("ann@acme.example")
    assert ann is not None
    tok = store.issue_token(ann.id, "bearer", 600)
    assert db("user", "disable", "ann@acme.example").exit_code == 0
    assert store.token_user(tok, "bearer") is None
    assert store.authenticate("ann@acme.example", GOOD) is None
    assert db("user", "enable", "ann@acme.example").exit_code == 0
    assert store.authenticate("ann@acme.example", GOOD) is not None
    assert db("user", "set-role", "ann@acme.example", "admin").exit_code == 0
    assert store.get_user(ann.id).role == "admin"  # type: ignore[union-attr]
    assert db("user", "set-role", "ann@acme.example", "owner").exit_code == 2
    tok = store.issue_token(ann.id, "session", 600)
    res = db("user", "revoke-tokens", "ann@acme.example")
    assert res.exit_code == 0 and "revoked 1" in res.output
    assert store.token_user(tok, "session") is None
    cid, secret = store.create_client(ann.id, "erp")
    assert db("user", "delete", "ann@acme.example", input="n\n").exit_code != 0  # asks
    assert store.client_user(cid, secret) is not None
    assert db("user", "delete", "ann@acme.example", "--yes").exit_code == 0
    assert store.client_user(cid, secret) is None
    assert store.user_by_email("ann@acme.example") is None
    assert json.loads(db("user", "list", "--json").stdout) == []


@pytest.mark.slow
def test_clients(db: Any) -> None:
    db("org", "create", "Acme")
    db("user", "create", "ann@acme.example", "--org", "Acme", "--generate")
    res = db("client", "create", "ann@acme.example", "--name", "erp")
    assert res.exit_code == 0, res.output
    cid = res.output.split("client_id: ")[1].split()[0]
    secret = res.output.split("client_secret: ")[1].split()[0]
    store = _store(db.url)
    assert store.client_user(cid, secret) is not None
    listed = json.loads(db("client", "list", "--org", "Acme", "--json").stdout)
    assert [(c["client_id"], c["name"], c["user"]) for c in listed] == [
        (cid, "erp", "ann@acme.example")]
    assert secret not in db("client", "list").stdout
    ann = store.user_by_email("ann@acme.example")
    assert ann is not None
    tok = store.issue_token(ann.id, "bearer", 600, cid)
    assert db("client", "revoke", cid).exit_code == 0
    assert store.client_user(cid, secret) is None
    assert store.token_user(tok, "bearer") is None  # its tokens go with it
    assert db("client", "revoke", cid).exit_code == 2


def test_shares(db: Any) -> None:
    db("org", "create", "Maker")
    db("org", "create", "Recycler")
    db("user", "create", "m@maker.example", "--org", "Maker", "--generate")
    store = _store(db.url)
    maker = store.user_by_email("m@maker.example")
    recycler = store.organisation_by_name("Recycler")
    assert maker is not None and recycler is not None
    rec = store.create_model(maker, "loop", None, "name: loop", "yaml")
    assert store.share_model(maker, rec.id, "Recycler")
    assert store.get_model(recycler.id, rec.id) is not None
    listed = json.loads(db("share", "list", "--json").stdout)
    assert [(s["model_id"], s["owner"], s["organisation"]) for s in listed] == [
        (rec.id, "Maker", "Recycler")]
    assert json.loads(db("share", "list", "--org", "Recycler", "--json").stdout) == []
    assert db("share", "withdraw", rec.id, "Recycler").exit_code == 0
    assert store.get_model(recycler.id, rec.id) is None
    assert db("share", "withdraw", rec.id, "Recycler").exit_code == 2
    actions = [e.action for e in store.audit_events(maker.org_id)]
    assert "model.unshare" in actions


def test_unlock_ends_a_lock_out(db: Any) -> None:
    from junkan.api.throttle import AccountSettings, throttle_key
    from junkan.store.repo import Lockout

    db("org", "create", "Acme")
    db("user", "create", "ann@acme.example", "--org", "Acme", "--generate")
    store = _store(db.url)
    s = AccountSettings()
    rule = Lockout(s.login_account_failures, s.login_lockout_seconds,
                   s.login_account_lockout_max_seconds, s.login_forget_seconds)
    key = throttle_key("account", "Ann@Acme.example")
    for _ in range(s.login_account_failures):
        assert store.throttle_begin({key: rule}) is None
    wait = store.throttle_retry_after([key])
    assert wait is not None and wait > 20
    assert db("user", "unlock", "ann@acme.example").exit_code == 0
    assert store.throttle_retry_after([key]) is None
    assert store.throttle_begin({key: rule}) is None  # counting starts again from zero


def test_webhook_origins_and_key_rotation(db: Any, tmp_path: Any,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from junkan.store.trace_repo import TraceRepo
    from junkan.trace import Batch

    monkeypatch.delenv("JUNKAN_SECRET_KEY", raising=False)
    from junkan.trace.keystore import new_secret, write_key_file

    key_file = tmp_path / "master.key"
    write_key_file(key_file, [new_secret()])
    monkeypatch.setenv("JUNKAN_KEY_FILE", str(key_file))
    assert db("org", "create", "Acme Metals").exit_code == 0
    assert db("webhook", "allow", "Acme Metals", "https://10.1.2.3").exit_code == 2  # private
    assert db("webhook", "allow", "No Such Org", "https://hooks.example.com").exit_code == 2
    res = db("webhook", "allow", "Acme Metals", "https://hooks.example.com")
    assert res.exit_code == 0, res.output
    listed = db("webhook", "list", "Acme Metals", "--json")
    assert json.loads(listed.output)[0]["origin"] == "https://hooks.example.com"
    assert db("webhook", "remove", "Acme Metals", "https://hooks.example.com").exit_code == 0
    assert db("webhook", "remove", "Acme Metals", "https://hooks.example.com").exit_code == 2
    # a signed log, then a rotation: the log still verifies under the new master key
    repo = TraceRepo(Database(db.url))
    repo.ingest("Acme Metals", Batch.model_validate({"events": [
        {"type": "create", "lot": "L1", "material": "al", "mass_kg": 10,
         "cfp": {"total": 1}}]}).events)
    def secrets() -> list[str]:
        return [ln.strip() for ln in key_file.read_text().splitlines()
                if ln.strip() and not ln.startswith("#")]

    before = secrets()
    res = db("rotate-key")
    assert res.exit_code == 0 and "re-encrypted 1 signing key" in res.output, res.output
    after = secrets()
    assert after[0] not in before and before[0] in after  # new key first, old one kept
    assert TraceRepo(Database(db.url)).verify("Acme Metals").ok
    assert db("rotate-key", "--finish").exit_code == 0
    assert secrets() == [after[0]]
