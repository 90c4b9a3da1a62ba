"""The service in a thread (:func:`junkan.api.local.local_service`), as the browser tests and
the page benchmark start it: it answers once yielded and stops on exit."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from junkan.api.local import local_service
from junkan.store.db import Settings


def test_the_service_answers_while_open_and_stops_after(tmp_path: Path) -> None:
    with local_service(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}")) as url:
        assert httpx.get(f"{url}/api/health", timeout=5).json()["status"] == "ok"
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/api/health", timeout=2)
