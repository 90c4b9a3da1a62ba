"""User names, passwords and TLS for the MQTT brokers of live lines — from the
administrator's configuration only, never from a request.

``JUNKAN_SENSING_AUTH`` names a YAML (or JSON) file, beside the allow-list
``JUNKAN_SENSING_ENDPOINTS`` (:mod:`junkan.sensing.sources`)::

    brokers:
      - endpoint: mqtts://broker.plant:8883     # exactly as listed in JUNKAN_SENSING_ENDPOINTS
        username: junkan
        password_file: /etc/junkan/mqtt-password   # or password: ... (in this file)
        ca_file: /etc/junkan/plant-ca.pem          # default: the system's CAs
        cert_file: /etc/junkan/junkan-client.pem   # optional client certificate
        key_file: /etc/junkan/junkan-client.key    # its key, when not in cert_file
      - endpoint: mqtt://10.1.2.3:1883
        username: gateway
        password_file: /etc/junkan/gw-password

The file, and a ``password_file``, must not be readable by group or others (``chmod 600``),
as the platform's key files (:mod:`junkan.trace.keystore`). ``mqtts://`` endpoints (default
port 8883) use TLS 1.2 or later: the broker's certificate is checked against ``ca_file`` and
against the host name as listed, while the TCP connection goes to the address checked when
the line was connected (a later DNS answer cannot redirect it). A password to an ``mqtt://``
endpoint crosses the network in clear: prefer ``mqtts://``. The file is read again at every
connection, so changed credentials apply to the next line connected (or restored) without a
restart. A line's stored definition never holds any of this (:mod:`junkan.sensing.linebook`).
"""

from __future__ import annotations

import os
import ssl
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from junkan.core.documents import parse_data
from junkan.core.errors import JunkanError
from junkan.sensing.sources import Endpoint, SourceRefused, endpoint

ENV = "JUNKAN_SENSING_AUTH"
TLS_SCHEMES = ("mqtts",)


class AuthError(Exception):
    """The administrator's broker settings cannot be used (the text names the file and
    field)."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    endpoint: str = Field(max_length=500)
    username: str | None = Field(default=None, min_length=1, max_length=200)
    password: str | None = Field(default=None, max_length=1000, repr=False)
    password_file: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> _Entry:
        if self.password is not None and self.password_file is not None:
            raise ValueError("give password or password_file, not both")
        if (self.password is not None or self.password_file) and self.username is None:
            raise ValueError("a password needs a username")
        if self.key_file and not self.cert_file:
            raise ValueError("key_file needs cert_file")
        return self


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    brokers: list[_Entry] = Field(default_factory=list, max_length=1000)


@dataclass(frozen=True)
class BrokerAuth:
    """What the MQTT client of one endpoint presents: user name and password, and the TLS
    context (``None`` for plain MQTT)."""

    username: str | None = None
    password: str | None = None
    tls: ssl.SSLContext | None = None

    def __repr__(self) -> str:  # never the password
        return f"BrokerAuth(username={self.username!r}, tls={self.tls is not None})"


class PinnedContext(ssl.SSLContext):
    """A TLS client context that checks the server's certificate against ``listed_host``
    whatever address the socket was connected to (the pinned, checked address)."""

    listed_host: str = ""

    def wrap_socket(self, sock: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["server_hostname"] = self.listed_host
        return super().wrap_socket(sock, *args, **kwargs)


def _private(path: Path, what: str) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AuthError(
            f"{what} {path} may be read by others (mode {oct(mode & 0o777)}): chmod 600 {path}"
        )


def _read(path: Path) -> _File:
    try:
        _private(path, ENV)
        # read as junkan reads every document (YAML 1.2 types: a password written 0123 or
        # on stays that text, not octal 83 or true)
        doc = parse_data(path.read_text("utf-8"), source=str(path))
    except OSError as exc:
        raise AuthError(f"{ENV} {path}: cannot read it ({exc.strerror})") from None
    except JunkanError as exc:
        raise AuthError(f"{ENV} {str(exc)[:300]}") from None
    try:
        return _File.model_validate(doc if doc is not None else {})
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(x) for x in e["loc"])
        raise AuthError(f"{ENV} {path}: {where}: {e['msg']}") from None


def tls_context(
    host: str, ca_file: str | None, cert_file: str | None, key_file: str | None, where: str
) -> ssl.SSLContext:
    """TLS ≥ 1.2 client context for ``host`` (as listed): CAs from ``ca_file`` or the
    system, an optional client certificate."""
    ctx = PinnedContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED, check_hostname
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.listed_host = host
    try:
        if ca_file:
            ctx.load_verify_locations(cafile=ca_file)
        else:
            ctx.load_default_certs()
    except (OSError, ssl.SSLError) as exc:
        raise AuthError(f"{where}.ca_file {ca_file}: {exc}") from None
    if cert_file:
        try:
            if key_file:
                _private(Path(key_file), f"{where}.key_file")
            ctx.load_cert_chain(cert_file, key_file)
        except (OSError, ssl.SSLError) as exc:
            raise AuthError(f"{where}.cert_file {cert_file}: {exc}") from None
    return ctx


def _password(e: _Entry, where: str) -> str | None:
    if e.password_file is None:
        return e.password
    path = Path(e.password_file)
    try:
        _private(path, f"{where}.password_file")
        return path.read_text("utf-8").rstrip("\r\n")
    except OSError as exc:
        raise AuthError(f"{where}.password_file {path}: cannot read it ({exc.strerror})") from None


def broker_auth(ep: Endpoint, path: str | None = None) -> BrokerAuth | None:
    """What to present to the broker at ``ep`` (an endpoint already checked against the
    allow-list): from the entry of ``JUNKAN_SENSING_AUTH`` (or ``path``) for exactly that
    endpoint; for an ``mqtts`` endpoint without an entry, TLS with the system's CAs; else
    ``None``. Only MQTT endpoints take these settings."""
    raw = path if path is not None else os.environ.get(ENV, "").strip()
    entry = None
    if raw:
        file = Path(raw)
        for i, e in enumerate(_read(file).brokers):
            where = f"{ENV} {file}: brokers[{i}]"
            try:
                listed, _ = endpoint(e.endpoint, f"{where}.endpoint")
            except SourceRefused as exc:
                raise AuthError(str(exc)) from None
            if listed.scheme not in ("mqtt", "mqtts"):
                raise AuthError(
                    f"{where}.endpoint: only mqtt:// and mqtts:// endpoints take credentials here"
                )
            if (e.ca_file or e.cert_file) and listed.scheme not in TLS_SCHEMES:
                raise AuthError(f"{where}: TLS files need an mqtts:// endpoint")
            if listed == ep:
                entry = (e, where)
    if entry is None:
        if ep.scheme in TLS_SCHEMES:
            return BrokerAuth(tls=tls_context(ep.host, None, None, None, f"{ep}"))
        return None
    e, where = entry
    tls = None
    if ep.scheme in TLS_SCHEMES:
        tls = tls_context(ep.host, e.ca_file, e.cert_file, e.key_file, where)
    return BrokerAuth(e.username, _password(e, where), tls)
