"""The service in a thread of this process, on a free loopback port: for browser tests,
benchmarks and notebooks that want a real server without a second process.

Example::

    from urllib.request import urlopen

    from junkan.api.local import local_service
    from junkan.store.db import Settings

    with local_service(Settings(database_url="sqlite:///demo.db"), seed=True) as url:
        print(urlopen(f"{url}/api/health").read().decode())
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.error import URLError
from urllib.request import urlopen

import uvicorn

from junkan.store.db import Settings

READY_S = 30.0
"""Seconds to wait for the service's health to answer before giving up."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def local_service(settings: Settings, *, seed: bool = False,
                  ready_s: float = READY_S) -> Iterator[str]:
    """Start the service (with the demo data if ``seed``) in a daemon thread and yield its
    URL once ``/api/health`` answers 200; stop it on exit. RuntimeError if it does not
    answer within ``ready_s`` seconds."""
    from junkan.api import create_app  # the app pulls in every router: only when asked

    port = free_port()
    app = create_app(settings, seed=seed)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True, name=f"junkan-service-{port}")
    url = f"http://127.0.0.1:{port}"
    thread.start()
    try:
        _wait_healthy(url, thread, ready_s)
        yield url
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def _wait_healthy(url: str, thread: threading.Thread, ready_s: float) -> None:
    """Poll ``/api/health`` until it answers 200."""
    deadline = time.monotonic() + ready_s
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError(f"the service at {url} stopped while starting (see its log)")
        try:
            with urlopen(f"{url}/api/health", timeout=1) as answer:
                if answer.status == 200:
                    return
        except (URLError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the service at {url} did not answer /api/health within {ready_s:g} s")
