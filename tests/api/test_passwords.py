"""Password hashing: the standard Argon2id cost by default, the cheap test setting only where
asked for (never in production mode), hashes readable across settings, and an old cheap hash
made standard at the next sign-in."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from argon2 import extract_parameters
from fastapi.testclient import TestClient
from sqlalchemy import select

from junkan.api import create_app
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
from junkan.store import passwords
from junkan.store.db import Settings
from junkan.store.tables import User


def test_standard_is_rfc_9106_and_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(passwords.ENV, raising=False)
    p = extract_parameters(passwords.hasher().hash("a passphrase"))
    assert (p.time_cost, p.memory_cost, p.parallelism) == (3, 65536, 4)
    assert not passwords.warn_if_insecure()


def test_a_hash_verifies_whatever_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(passwords.ENV, passwords.INSECURE)
    cheap = passwords.hasher().hash("pw one two three")
    assert extract_parameters(cheap).memory_cost == 8
    assert not passwords.needs_rehash(cheap)  # the test setting never rewrites hashes
    monkeypatch.setenv(passwords.ENV, passwords.STANDARD)
    assert passwords.hasher().verify(cheap, "pw one two three")
    assert passwords.needs_rehash(cheap)  # made standard at the next sign-in


def test_unknown_settings_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(passwords.ENV, "fast")
    with pytest.raises(ValueError, match="JUNKAN_PASSWORD_HASHING='fast'"):
        passwords.hasher()


def test_production_refuses_the_test_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(passwords.ENV, passwords.INSECURE)
    url = f"sqlite:///{tmp_path / 'p.db'}"
    with pytest.raises(ValueError, match="production mode refuses"):
        create_app(Settings(database_url=url, production=True))
    with caplog.at_level(logging.WARNING):
        create_app(Settings(database_url=url))
    assert "never use this outside a test suite" in caplog.text


def test_a_cheap_hash_becomes_standard_at_sign_in(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The suite seeds its users with the cheap setting; signed in under the standard one,
    the stored hash is rewritten with the standard cost."""
    store = app_client.app.state.store  # type: ignore[attr-defined]

    def stored() -> str:
        with store.db.session() as s:
            return str(s.scalar(select(User.password_hash).where(User.email == DEMO_EMAIL)))

    assert extract_parameters(stored()).memory_cost == 8
    monkeypatch.setenv(passwords.ENV, passwords.STANDARD)
    assert store.authenticate(DEMO_EMAIL, DEMO_PASSWORD) is not None
    assert extract_parameters(stored()).memory_cost == 65536
    assert store.authenticate(DEMO_EMAIL, DEMO_PASSWORD) is not None
