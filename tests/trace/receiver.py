"""A loopback HTTP receiver that records JSON POSTs (webhooks, PACT callbacks)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any


class Received(list[dict[str, Any]]):
    url: str = ""
    base: str = ""
    headers: list[dict[str, str]]

    def wait(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while not self and time.monotonic() < deadline:
            time.sleep(0.05)
        return bool(self)


@contextmanager
def receiver(path: str = "/hook") -> Iterator[Received]:
    got = Received()
    got.headers = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/auth/token":  # a partner's token endpoint
                out = json.dumps({"access_token": "partner-token", "token_type": "Bearer"})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(out.encode())
                return
            got.headers.append(dict(self.headers))
            got.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    got.base = f"http://127.0.0.1:{server.server_address[1]}"
    got.url = f"{got.base}{path}"
    try:
        yield got
    finally:
        server.shutdown()
