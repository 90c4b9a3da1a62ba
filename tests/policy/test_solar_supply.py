"""The network planner's supply from a solar-panel registry: panels in a municipality that
belongs to no prefecture are refused with the installation named — in the library, the CLI
and the service — instead of a KeyError traceback (or a 500)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from junkan import policy
from junkan.cli.main import app
from junkan.core.errors import ModelError
from tests.api.conftest import (  # noqa: F401 (fixtures)
    app_client,
    database_url,
    demo_tokens,
)

FIX = Path(__file__).parent / "fixtures" / "solar.yaml"
WHERE = "installations[2].municipality"
"""I3 is in 99201 (fictitious prefecture 99); commissioned 2015, 20 assumed years → 2035."""


def test_supply_of_panels_in_no_prefecture_is_refused_naming_the_installation() -> None:
    reg = policy.load(FIX)
    assert isinstance(reg, policy.Registry)
    with pytest.raises(ModelError) as exc:
        policy.network_supply(reg, 2035)
    (p,) = exc.value.problems
    assert (p.path, p.kind) == (WHERE, "supply-no-prefecture")
    assert "municipality 99201 is in no prefecture" in p.message and "0.2 t" in p.message
    assert policy.network_supply(reg, 2032)["by_prefecture"] == {"Tokyo": "0.6 t"}


def test_cli_supply_year_errors_are_messages_not_tracebacks() -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["policy", "solar", str(FIX), "--org", "owner-2",
                              "--supply-year", "2035"])
    assert res.exit_code == 2 and not isinstance(res.exception, KeyError)
    assert "Traceback" not in res.output and "KeyError" not in res.output
    out = "".join(res.output.split())  # the file, the path and the code, however wrapped
    assert f"{FIX.name}:{WHERE}:municipality99201isinnoprefecture" in out
    res = runner.invoke(app, ["policy", "solar", str(FIX), "--org", "owner-2",
                              "--supply-year", "1"])
    assert res.exit_code == 2  # the service's range (2000–2100), not an empty supply


def test_service_supply_of_panels_in_no_prefecture_is_a_422(
    app_client: TestClient,  # noqa: F811
) -> None:
    demo, _ = demo_tokens(app_client)
    res = app_client.post("/api/policy/solar/supply?year=2035", headers=demo,
                          content=FIX.read_bytes())
    assert res.status_code == 422, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    assert [e["path"] for e in res.json()["errors"]] == [WHERE]
