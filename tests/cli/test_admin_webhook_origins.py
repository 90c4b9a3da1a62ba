"""``junkan admin webhook allow`` refuses the origins the admin API refuses: the host is
checked as the sender checks it (``OutboundPolicy.check_registration``), so a numeric
spelling of loopback (``https://2130706433``), a private or special-purpose address, and a
name that resolves to one are refused with a message naming the address — not only at
delivery."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from junkan.cli.main import app
from tests.api.conftest import database_url  # noqa: F401  (the SQLite/PostgreSQL fixture)

runner = CliRunner()

RESOLVES = {"hooks.internal.example": ["10.20.30.40"],
            "hooks.mixed.example": ["93.184.216.34", "169.254.169.254"],
            "hooks.public.example": ["93.184.216.34"]}
"""What the (stubbed) resolver answers: no test reaches the network."""


@pytest.fixture
def admin(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:  # noqa: F811
    def resolve(host: str, port: int) -> list[str]:
        if host not in RESOLVES:
            raise OSError(f"{host}: name not known")
        return RESOLVES[host]

    monkeypatch.delenv("JUNKAN_OUTBOUND_ALLOW_PRIVATE", raising=False)
    monkeypatch.setattr("junkan.core.outbound.tcp_addresses", resolve)

    def run(*args: str) -> Any:
        return runner.invoke(app, ["admin", *args, "--database-url", database_url])

    assert run("org", "create", "Acme Metals").exit_code == 0
    return run


@pytest.mark.parametrize(("origin", "said"), [
    ("https://2130706433", "2130706433 (127.0.0.1) is a loopback address"),
    ("https://0x7f.1", "0x7f.1 (127.0.0.1) is a loopback address"),
    ("https://127.1", "127.1 (127.0.0.1) is a loopback address"),
    ("https://3232235777", "3232235777 (192.168.1.1) is a private address"),
    ("https://10.1.2.3", "10.1.2.3 is a private address"),
    ("https://[::ffff:127.0.0.1]", "embeds 127.0.0.1, which is a loopback address"),
    ("https://192.0.0.8", "192.0.0.8 is in the IETF protocol assignments block"),
    ("https://hooks.internal.example", "resolves to 10.20.30.40, which is a private address"),
    ("https://hooks.mixed.example", "resolves to 169.254.169.254, which is a link-local"),
])
def test_admin_cli_refuses_non_public_origins(admin: Any, origin: str, said: str) -> None:
    res = admin("webhook", "allow", "Acme Metals", origin)
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())  # rich may wrap the message
    assert said in text, text
    assert "JUNKAN_OUTBOUND_ALLOW_PRIVATE" in text
    assert json.loads(admin("webhook", "list", "Acme Metals", "--json").output) == []


def test_admin_cli_accepts_public_and_not_yet_resolvable_origins(admin: Any) -> None:
    for origin in ("https://hooks.public.example", "https://not-yet.example",
                   "https://16843009"):  # 1.1.1.1, written as one number
        res = admin("webhook", "allow", "Acme Metals", origin)
        assert res.exit_code == 0, res.output
    listed = json.loads(admin("webhook", "list", "Acme Metals", "--json").output)
    assert [o["origin"] for o in listed] == ["https://16843009", "https://hooks.public.example",
                                             "https://not-yet.example"]
