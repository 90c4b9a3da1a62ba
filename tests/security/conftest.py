"""A real service process for the security suites: ``junkan serve`` on a free loopback port
with a fresh seeded SQLite store, and a bearer token of the demo user."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
from junkan.store.passwords import ENV, STANDARD


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from serve(tmp_path_factory)


@pytest.fixture(scope="package")
def auth(server: str) -> dict[str, str]:
    return bearer(server)


def serve(tmp_path_factory: pytest.TempPathFactory, hashing: str = STANDARD) -> Iterator[str]:
    """A fresh seeded service (its URL while it runs), hashing passwords with ``hashing``
    (:mod:`junkan.store.passwords`; the standard cost unless told)."""
    db = tmp_path_factory.mktemp("abuse") / "abuse.db"
    port = _free_port()
    # the suites flood the service from one address; the per-address sign-in lock (tested in
    # tests/api/test_accounts.py) would otherwise make later suites depend on earlier ones
    # and the real Argon2 cost and worker start: floods must meet the service as deployed.
    # A request's CPU budget of 2 s: the fuzzer sends the largest generated metering days and
    # belt renders the schema allows, and a profile of the schemathesis run (py-spy, 2026-12-02)
    # found those jobs using about a fifth of its CPU at 5 s; refused at 2 s, they still
    # check the budget's answer (422, problem+json) without running on.
    env = {**os.environ, "JUNKAN_BUDGET_CPU_S": "2", "JUNKAN_BUDGET_WALL_S": "10",
           "JUNKAN_LOGIN_ADDRESS_FAILURES": "1000000", ENV: hashing,
           "JUNKAN_BUDGET_START": "eager"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "junkan.cli.main", "serve", "--seed", "--port", str(port),
         "--database-url", f"sqlite:///{db}"], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a seeded start takes ~10 s idle, over 60 s at load 10+
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/api/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise AssertionError(proc.stderr.read().decode() if proc.stderr else "no server")
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("the server ignored SIGTERM") from None


def bearer(server: str) -> dict[str, str]:
    """The Authorization header of a new API client of the demo user."""
    with httpx.Client(base_url=server) as c:
        assert c.post("/api/session", json={"email": DEMO_EMAIL,
                                            "password": DEMO_PASSWORD}).status_code == 200
        creds = c.post("/api/clients", json={"name": "abuse"},
                       headers={"X-Junkan-CSRF": "1"}).json()
        tok = httpx.post(server + "/oauth/token", data={
            "grant_type": "client_credentials", "client_id": creds["client_id"],
            "client_secret": creds["client_secret"]}).json()["access_token"]
        headers = {"Authorization": f"Bearer {tok}"}
        # one model validation, so the budgeted workers have started before the suites time
        # their requests
        c.post("/api/models", headers={**headers, "Content-Type": "application/yaml"},
               content="name: warm-up", timeout=60)
    return headers
