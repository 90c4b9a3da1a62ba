"""The request body limit (:class:`junkan.api.app.BodyLimit`) on bodies sent in pieces
(``Transfer-Encoding: chunked``, no ``Content-Length``): the application gets the whole
body, once, and a body over the limit is refused with 413 before the application runs."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from junkan.api.app import BodyLimit


def _send_in_pieces(limit: int, pieces: list[bytes]) -> tuple[list[bytes], list[dict[str, Any]]]:
    """Run ``BodyLimit`` over a request arriving in ``pieces``; what the application read
    and what was sent back."""
    got: list[bytes] = []
    sent: list[dict[str, Any]] = []
    queue = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1}
             for i, p in enumerate(pieces)]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        msg = await receive()
        got.append(msg["body"])
        assert not msg["more_body"]

    async def receive() -> dict[str, Any]:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(msg: dict[str, Any]) -> None:
        sent.append(msg)

    scope = {"type": "http", "method": "POST", "path": "/api/validate", "headers": []}
    asyncio.run(BodyLimit(app, limit)(scope, receive, send))
    return got, sent


def test_a_body_in_pieces_reaches_the_application_whole() -> None:
    pieces = [bytes([i % 251]) * (i % 7 + 1) for i in range(5000)]
    got, sent = _send_in_pieces(10**6, pieces)
    assert got == [b"".join(pieces)] and not sent


def test_a_body_in_pieces_over_the_limit_is_refused_before_the_application() -> None:
    got, sent = _send_in_pieces(1000, [b"x" * 300] * 4)
    assert got == []
    assert sent[0]["status"] == 413
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert body["code"] == "body-too-large" and body["limit"] == 1000


def test_a_body_at_the_limit_is_taken() -> None:
    got, _ = _send_in_pieces(1200, [b"x" * 300] * 4)
    assert got == [b"x" * 1200]


def test_sign_in_bodies_are_small(tmp_path: Path) -> None:
    """The public sign-in routes take at most 32 KiB (the longest e-mail and password the
    schema takes, every character escaped as a surrogate pair, are about 16.2 KB): a larger
    body is refused unread, by its length or while it arrives in pieces, whatever the
    service's own body limit; a real sign-in still works."""
    from fastapi.testclient import TestClient

    from junkan.api import create_app
    from junkan.api.app import SIGN_IN_BODY_BYTES
    from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
    from junkan.store.db import Settings

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'j.db'}"), seed=True)
    with TestClient(app) as client:
        big = json.dumps({"email": DEMO_EMAIL, "password": "x" * SIGN_IN_BODY_BYTES})
        for path, kind in (("/api/session", "application/json"),
                           ("/oauth/token", "application/x-www-form-urlencoded")):
            res = client.post(path, content=big, headers={"content-type": kind})
            assert res.status_code == 413, (path, res.text)
            assert res.json()["code"] == "body-too-large"
            assert res.json()["limit"] == SIGN_IN_BODY_BYTES
        # in pieces (no Content-Length)
        pieces = iter([big[:20000].encode(), big[20000:].encode()])
        res = client.post("/api/session", content=pieces,
                          headers={"content-type": "application/json"})
        assert res.status_code == 413 and res.json()["limit"] == SIGN_IN_BODY_BYTES
        # the longest sign-in the schema takes, every character escaped, is well within
        escaped = json.dumps({"email": "\U0001f600" * 320, "password": "\U0001f600" * 1024})
        assert 16_000 < len(escaped.encode()) < SIGN_IN_BODY_BYTES * 0.6
        ok = client.post("/api/session", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        assert ok.status_code == 200, ok.text
    # elsewhere the service's own limit holds: a 40 KB body reaches the application
    got, sent = _send_in_pieces(10**6, [b"x" * 40_000])
    assert got == [b"x" * 40_000] and not sent
