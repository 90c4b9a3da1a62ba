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

    def wait(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while not self and time.monotonic() < deadline:
            time.sleep(0.05)
        return bool(self)


@contextmanager
def receiver(path: str = "/hook") -> Iterator[Received]:
    got = Received()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    got.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield got
    finally:
        server.shutdown()
