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
    tokens: list[dict[str, str]]
    """Headers of the requests to /auth/token."""
    paths: list[str]

    def wait(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while not self and time.monotonic() < deadline:
            time.sleep(0.05)
        return bool(self)


@contextmanager
def receiver(path: str = "/hook", host: str = "127.0.0.1", status: int = 204,
             tls: tuple[str, str] | None = None) -> Iterator[Received]:
    """A receiver on ``host`` (any loopback address) answering ``status`` (with a
    ``Location`` for a 3xx); ``tls``: (certificate, key) to serve HTTPS."""
    got = Received()
    got.headers = []
    got.tokens = []
    got.paths = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/auth/token":  # a partner's token endpoint
                got.tokens.append(dict(self.headers))
                out = json.dumps({"access_token": "partner-token", "token_type": "Bearer"})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(out.encode())
                return
            got.headers.append(dict(self.headers))
            got.paths.append(self.path)
            got.append(json.loads(body))
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer((host, 0), Hook)
    scheme = "http"
    if tls is not None:
        import ssl

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*tls)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    got.base = f"{scheme}://{host}:{server.server_address[1]}"
    got.url = f"{got.base}{path}"
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()
