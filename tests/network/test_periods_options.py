"""How a user chooses the multi-period method (issue 25): ``junkan network periods --method``,
the API's ``method`` and ``window`` (validated, documented in OpenAPI), and ``junkan network
proxy check|show`` for proxy tables, whose errors name the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from junkan.cli.network import app
from junkan.network.geo import prefectures
from junkan.network.multiperiod import solve_periods
from tests.network.test_periods import TINY, _net

HEAD = ("# kind: vehicle_registrations\n# quantity: motor vehicles registered\n"
        "# unit: vehicles\n# source: test table\n# as_of: 2024-03-31\nprefecture,value\n")


def test_cli_periods_by_benders(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY), encoding="utf-8")
    res = CliRunner().invoke(app, ["periods", str(path), "--method", "benders",
                                   "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout[res.stdout.index("{"):])
    assert doc["method"] == "benders" and doc["stopped"] == "gap reached"
    assert doc["npv_cost_JPY"] == pytest.approx(solve_periods(_net(TINY)).npv_cost, rel=1e-6)
    bad = CliRunner().invoke(app, ["periods", str(path), "--method", "benders",
                                   "--window", "2"])
    assert bad.exit_code == 2 and "--window applies to --method rolling" in bad.output


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The network routers alone (the whole service takes seconds to start), every request
    as one stub user; the solve runs in this process instead of a budgeted worker."""
    from types import SimpleNamespace
    from typing import Any

    from fastapi import FastAPI

    from junkan.api.auth import current_user
    from junkan.api.routers import analysis, network_jobs

    async def here(fn: Any, *args: Any) -> Any:
        return fn(*args)

    monkeypatch.setattr(analysis, "offload", here)
    app = FastAPI()
    app.include_router(analysis.router)
    app.include_router(network_jobs.router)
    app.dependency_overrides[current_user] = lambda: SimpleNamespace(id="u", org_id="o")
    app.state.store = None  # the options are refused before a job would be stored
    with TestClient(app) as c:
        yield c


def test_api_periods_method_and_window_are_validated_and_documented(
        client: TestClient) -> None:
    text = yaml.safe_dump(TINY)
    res = client.post("/api/network/periods?method=benders", content=text)
    assert res.status_code == 200, res.text
    assert res.json()["method"] == "benders"
    assert res.json()["npv_cost_JPY"] == pytest.approx(solve_periods(_net(TINY)).npv_cost,
                                                       rel=1e-6)
    res = client.post("/api/network/periods?window=1", content=text)
    assert res.status_code == 200 and res.json()["method"] == "rolling horizon, window 1"
    for query in ("window=0", "window=101", "window=1.5", "window=two", "method=dual",
                  "method=benders&window=2"):
        for url in (f"/api/network/periods?{query}", f"/api/network/jobs?kind=periods&{query}"):
            assert client.post(url, content=text).status_code == 422, url
    assert client.post("/api/network/jobs?kind=solve&window=2",
                       content=text).status_code == 422
    spec = client.get("/openapi.json").json()
    for path in ("/api/network/jobs", "/api/network/periods"):
        params = {p["name"]: p for p in spec["paths"][path]["post"]["parameters"]}
        window = params["window"]["schema"]["anyOf"][0]
        assert window["type"] == "integer"
        assert (window["minimum"], window["maximum"]) == (1, 100)
        assert "rolling" in params["window"]["description"]
        assert params["method"]["schema"]["anyOf"][0]["enum"] == ["monolithic", "rolling",
                                                                  "benders"]
        assert "Benders" in params["method"]["description"]


def _table(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "vehicles.csv"
    path.write_text(HEAD + rows, encoding="utf-8")
    return path


def test_proxy_check_and_show(tmp_path: Path) -> None:
    weights = {p.name: {"Tokyo": 3.0, "Osaka": 1.0}.get(p.name, 0.0) for p in prefectures()}
    good = _table(tmp_path, "".join(f"{k},{v:g}\n" for k, v in weights.items()))
    res = CliRunner().invoke(app, ["proxy", "check", str(good)])
    assert res.exit_code == 0, res.output
    assert "valid" in res.stdout and "largest share Tokyo 75.0 %" in res.stdout
    res = CliRunner().invoke(app, ["proxy", "show", str(good), "--format", "json"])
    doc = json.loads(res.stdout)
    shares = {r["prefecture"]: r["share"] for r in doc["prefectures"]}
    assert len(shares) == 47 and shares["Osaka"] == pytest.approx(0.25)
    assert doc["source"] == "test table" and doc["as_of"] == "2024-03-31"
    rows = "".join(f"{k},{v:g}\n" for k, v in weights.items()).replace("Osaka,1", "Osaka,-1")
    bad = _table(tmp_path, rows)
    res = CliRunner().invoke(app, ["proxy", "check", str(bad)])
    line = 6 + list(weights).index("Osaka") + 1
    assert res.exit_code == 2
    assert str(bad) in res.output and f"line {line}, value" in res.output
    res = CliRunner().invoke(app, ["proxy", "show", str(tmp_path / "none.csv")])
    assert res.exit_code == 2 and "file not found" in res.output
