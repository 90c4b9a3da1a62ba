"""What the survey API tests share: an observation as a device records it, and a sync of
observations to ``/api/nature/survey/sync``."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

BASE = "/api/nature/survey"


def observation(i: str, **kw: Any) -> dict[str, Any]:
    """Observation ``i``: two Copsychus saularis in area A; ``kw`` replaces any field."""
    return {
        "id": i,
        "species": "Copsychus saularis",
        "count": 2,
        "lat": 12.68,
        "lon": 108.05,
        "time": "2024-05-01T07:30:00+07:00",
        "observer": "N. Surveyor",
        "area": "A",
    } | kw


def sync(
    c: TestClient, h: dict[str, str], *items: dict[str, Any] | tuple[dict[str, Any], int | None]
) -> Any:
    """The response to syncing ``items``: each an observation, sent without a base version,
    or ``(observation, base_version)``, sent with that one (``None``: null)."""
    entries: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, dict):
            entries.append({"observation": item})
        else:
            entries.append({"observation": item[0], "base_version": item[1]})
    return c.post(f"{BASE}/sync", json={"observations": entries}, headers=h)
