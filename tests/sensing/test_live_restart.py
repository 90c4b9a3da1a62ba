"""Live broker lines survive a service restart: the connected line comes back by itself
(marked restored, connected to the broker again; its kept definition holds no credentials,
which cannot come in the request anyway); when the allow-list no longer lists its endpoint
the line shows ``not restored`` with the reason; a stopped line is forgotten."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from junkan import sensing
from junkan.api import create_app
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
from junkan.sensing import live as live_mod
from junkan.sensing.sources import ENV, LineSource
from junkan.store.db import Settings
from tests.waiting import wait_until


class FakeFeed:
    def close(self) -> None:
        pass


@pytest.fixture
def start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models: sensing.Models
) -> Callable[..., Any]:
    from junkan.api.routers import sensing as routes

    monkeypatch.setenv("JUNKAN_SENSING_DIR", str(tmp_path / "sensing"))
    monkeypatch.setattr(routes, "_models", lambda: models)
    db = f"sqlite:///{tmp_path / 'j.db'}"

    @contextmanager
    def service() -> Iterator[TestClient]:
        with TestClient(create_app(Settings(database_url=db), seed=True)) as c:
            res = c.post("/api/session", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
            assert res.status_code == 200, res.text
            c.headers["X-Junkan-CSRF"] = "1"
            yield c

    return service


def _line(c: TestClient, line: str) -> dict[str, Any]:
    res = c.get("/api/sensing/live")
    return next((x for x in res.json()["lines"] if x["line"] == line), {})


@pytest.mark.slow
def test_a_broker_line_is_restored_after_a_restart(
    start: Callable[..., Any], mqtt_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    line = "R" + uuid.uuid4().hex[:8]
    body = {"line": {"id": line}, "source": {"kind": "mqtt", "url": mqtt_url}}
    monkeypatch.setenv(ENV, mqtt_url)
    with start() as c:
        for extra in ({"username": "u", "password": "p"}, {"ca_file": "/etc/passwd"}):
            res = c.post(
                "/api/sensing/connections", json={**body, "source": {**body["source"], **extra}}
            )
            assert res.status_code == 422, res.text  # credentials are the administrator's
        assert c.post("/api/sensing/connections", json=body).status_code == 202
        wait_until(lambda: _line(c, line).get("status") == "connected")
        assert _line(c, line)["restored"] is False
    kept = json.loads((tmp_path / "sensing" / "lines.json").read_text())
    assert [e["line"] for e in kept["lines"]] == [line]

    with start() as c:  # the service starts again: the line comes back and connects
        wait_until(lambda: _line(c, line).get("status") == "connected")
        d = _line(c, line)
        assert d["restored"] is True and d["source"] == "mqtt" and d["endpoint"] == mqtt_url


def test_a_kept_line_that_cannot_connect_shows_why_until_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models: sensing.Models
) -> None:
    monkeypatch.setattr(live_mod, "_feed", lambda *a: FakeFeed())
    monkeypatch.setenv(ENV, "mqtt://10.0.0.9:1883")
    spec = {"line": {"id": "K1"}, "source": {"kind": "mqtt", "url": "mqtt://10.0.0.9:1883"}}
    hub = sensing.Hub(tmp_path)
    hub.connect("o1", LineSource.model_validate(spec), models, by="u1")
    hub.close()  # the service stops: the line stays kept
    monkeypatch.setenv(ENV, "mqtt://10.0.0.8:1883")  # the administrator unlisted the broker
    hub = sensing.Hub(tmp_path)
    assert hub.restore(lambda: models)[0].line == "K1"
    d = hub.get("o1", "K1").detail()
    assert d["status"] == "not restored" and d["restored"] and d["done"]
    assert ENV in d["problem"] and d["endpoint"] == "mqtt://10.0.0.9:1883"
    kinds = [e["kind"] for _, e in hub.get("o1", "K1").since(0)]
    assert kinds == ["status", "error", "end"]
    hub.stop("o1", "K1")  # stopping forgets it

    def no_models() -> sensing.Models:
        raise AssertionError("no kept line: no models needed")

    assert sensing.Hub(tmp_path).restore(no_models) == []
