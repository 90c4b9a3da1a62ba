"""Serving an app on an address bound *before* the app starts.

``uvicorn.run`` starts the app (its lifespan) first and binds the address after. junkan's
service does real work when it starts: the first server on a database fails the runs a
stopped server left unfinished and runs its kept jobs again (:mod:`junkan.api.background`),
and the PACT host resumes its webhook deliveries. A server whose port was taken did all of
that and then exited (review 266): a job was run again, or used one of its two resumptions,
for a server that never served. Here the address is bound first; a taken or unknown address
ends the command with a message naming it, before the app is made (``junkan serve``
opens no store) or started.
"""

from __future__ import annotations

import errno
import socket
from typing import Any

import typer

from junkan.cli.common import fail


def bound(host: str, port: int) -> list[socket.socket]:
    """Sockets bound to every address ``host`` names (both families for a name such as
    ``localhost``, as asyncio binds them), not yet listening. Exits with code 2 naming the
    address if one cannot be bound."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        fail(f"--host {host!r}: {exc.strerror or exc}")
    socks: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            try:
                sock = socket.socket(family, kind, proto)
            except OSError as exc:  # a family the kernel lacks (IPv6 off): as asyncio, skip
                if exc.errno == errno.EAFNOSUPPORT:
                    continue
                raise
            socks.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # its own socket, as for the IPv4 address
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError as exc:
        for sock in socks:
            sock.close()
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    if not socks:
        fail(f"cannot listen on {host}:{port}: no address family of it is available")
    return socks


def serve_bound(application: Any, socks: list[socket.socket], host: str, port: int,
                **options: Any) -> None:
    """Run ``application`` with uvicorn (``options`` are :class:`uvicorn.Config`'s) on the
    sockets :func:`bound` gave for ``host``:``port`` (see the module's docstring); closes
    them at the end. Exits with code 3 if the app did not start."""
    import uvicorn  # the optional 'service' extra

    server = uvicorn.Server(uvicorn.Config(application, host=host, port=port, **options))
    try:
        server.run(sockets=socks)
    finally:
        for sock in socks:
            sock.close()
    if not server.started:
        raise typer.Exit(3)
