"""Where a live line's samples come from, checked before any connection is made: an MQTT
broker topic (``mqtt://host:port``, or ``mqtts://host:port`` over TLS; MQTT 3.1.1 or 5) or
an OPC UA server's subscription (``opc.tcp://host:port[/path]``). Broker user names,
passwords and TLS files come from the administrator's ``JUNKAN_SENSING_AUTH``
(:mod:`junkan.sensing.brokerauth`), never from the request.

Outbound connections follow the platform's outbound policy (:mod:`junkan.core.outbound`,
written after an SSRF finding): the service connects only to an endpoint an administrator
listed, exactly (scheme, host, port), in ``JUNKAN_SENSING_ENDPOINTS`` (comma-separated, e.g.
``mqtt://10.1.2.3:1883,opc.tcp://plc-7.plant:4840``); without the setting no live line
connects anywhere. A listed host name is resolved once and the connection goes to the checked
address (a DNS answer that changes later cannot redirect it). Plant networks are private, so a
listed private or loopback address is allowed; the addresses no broker or PLC has — link-local
(cloud metadata services), multicast, unspecified, reserved, and IPv4 embedded in IPv6 in
those ranges — are refused even when listed (:func:`junkan.core.outbound.forbidden`)."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from junkan.core.base import Strict
from junkan.core.outbound import OutboundRefused, forbidden, normal_host, tcp_addresses
from junkan.sensing.scenario import LineSpec

ENV = "JUNKAN_SENSING_ENDPOINTS"
SCHEMES = {"mqtt": 1883, "mqtts": 8883, "opc.tcp": 4840}
PLANT_OK = ("is a private address", "is a loopback address", "is a site-local address")
"""Reasons of :func:`~junkan.core.outbound.forbidden` that a listed plant endpoint may have."""
Resolver = Callable[[str, int], list[str]]


class SourceRefused(Exception):
    """A source the policy or the format does not allow; the text names the field and the
    setting that would allow it."""


@dataclass(frozen=True, order=True)
class Endpoint:
    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def _host(host: str, what: str) -> str:
    """The host as the outbound policy normalises it (:func:`~junkan.core.outbound.normal_host`;
    a name's trailing dot dropped); a name longer than DNS allows is refused."""
    try:
        name = normal_host(host if _literal(host) is not None else host.rstrip("."), what)
    except OutboundRefused as exc:
        raise SourceRefused(str(exc)) from None
    if len(name) > 253:
        raise SourceRefused(f"{what}: the host name is not valid")
    return name


def endpoint(url: str, what: str = "url") -> tuple[Endpoint, str]:
    """``scheme://host[:port][/path]`` → (endpoint, path); only ``mqtt`` and ``opc.tcp``,
    no user information, no query or fragment, no white space."""
    if not isinstance(url, str) or not url or len(url) > 500:
        raise SourceRefused(f"{what}: give a URL of at most 500 characters")
    if any(c.isspace() or ord(c) < 0x20 for c in url):
        raise SourceRefused(f"{what}: the URL contains white space or control characters")
    try:
        parts = urlsplit(url)
        port, host = parts.port, parts.hostname
    except ValueError as exc:
        raise SourceRefused(f"{what}: not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise SourceRefused(
            f"{what}: give mqtt://host:port, mqtts://host:port or opc.tcp://host:port/path"
        )
    if parts.username is not None or "@" in parts.netloc:
        raise SourceRefused(f"{what}: user information (user@host) is not allowed in the URL")
    if parts.query or parts.fragment:
        raise SourceRefused(f"{what}: no query or fragment")
    if not host:
        raise SourceRefused(f"{what}: the URL has no host")
    if scheme in ("mqtt", "mqtts") and parts.path not in ("", "/"):
        raise SourceRefused(f"{what}: an MQTT broker URL has no path (the topic is separate)")
    ep = Endpoint(scheme, _host(host, what), port if port is not None else SCHEMES[scheme])
    return ep, parts.path


def same_server(a: str | None, b: str) -> bool:
    """Whether endpoints ``a`` and ``b`` (as :class:`Endpoint` writes them) serve the same
    data (:func:`server`); a line without an endpoint (a replay) shares none."""
    if a is None:
        return False
    try:
        return server(endpoint(a)[0]) == server(endpoint(b)[0])
    except SourceRefused:
        return a == b


def server(ep: Endpoint) -> tuple[str, str] | Endpoint:
    """What two live lines share when they read the same data: an MQTT broker is its host,
    whichever of ``mqtt://`` and ``mqtts://`` or port it is listed with (a broker's plain and
    TLS listeners serve the same topics; review 277); an OPC UA server its whole endpoint.
    Two brokers on one host are taken as one, which refuses at most a topic another
    organisation's line reads there."""
    return ("mqtt", ep.host) if ep.scheme in ("mqtt", "mqtts") else ep


def allowed(text: str | None = None) -> set[Endpoint]:
    """The endpoints of ``JUNKAN_SENSING_ENDPOINTS`` (or ``text``)."""
    raw = os.environ.get(ENV, "") if text is None else text
    return {endpoint(p.strip(), ENV)[0] for p in raw.split(",") if p.strip()}


def check(url: str, what: str = "url", *, listed: set[Endpoint] | None = None) -> Endpoint:
    """The URL's endpoint if it is listed (exactly) and not a refused kind of address; no
    network access."""
    ep, _ = endpoint(url, what)
    listed = allowed() if listed is None else listed
    if ep not in listed:
        raise SourceRefused(
            f"{what}: {ep} is not an endpoint this server may connect to (an administrator "
            f"lists the exact scheme://host:port in {ENV})"
        )
    ip = _literal(ep.host)
    if ip is not None:
        _address_ok(ip, what)
    return ep


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _address_ok(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, what: str) -> str:
    why = forbidden(ip)
    odd = not ip.is_loopback and (
        ip.is_reserved or ip.is_link_local or ip.is_multicast or ip.is_unspecified
    )
    if odd and why in PLANT_OK:  # Python counts 240/4 (reserved) as private
        why = "is a reserved address"
    if why is not None and why not in PLANT_OK:
        raise SourceRefused(f"{what}: {ip} {why}; brokers and PLCs never have such an address")
    return ip.compressed


def resolve(ep: Endpoint, what: str = "url", resolver: Resolver | None = None) -> str:
    """The checked address to connect to (every address the host resolves to must pass)."""
    ip = _literal(ep.host)
    if ip is not None:
        return _address_ok(ip, what)
    try:
        found = (resolver or tcp_addresses)(ep.host, ep.port)
    except (OSError, UnicodeError) as exc:
        raise SourceRefused(f"{what}: {ep.host} does not resolve ({exc})") from None
    if not found:
        raise SourceRefused(f"{what}: {ep.host} resolves to no address")
    out = []
    for a in found:
        ip = _literal(a.split("%", 1)[0])
        if ip is None:
            raise SourceRefused(f"{what}: {ep.host} resolves to {a[:60]!r}")
        out.append(_address_ok(ip, what))
    return out[0]


Topic = Annotated[str, Field(min_length=1, max_length=200)]
PREFIX = "junkan/sensing"
"""The first levels of every junkan sensing topic (the gateway's and the live lines')."""


def org_slug(org: str) -> str:
    """An organisation's id as a topic level or folder name (letters, digits, ``_``, ``-``)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", org)[:64]


def reads(org: str, line: str, source: MqttSource | OpcuaSource) -> str:
    """What a live line reads from its endpoint: its MQTT topic — by default the
    organisation's own, ``junkan/sensing/<organisation>/<line>/batch`` — or, from an OPC UA
    server, ``Objects/<line>``. No two organisations' live lines read the same on one
    endpoint (:meth:`junkan.sensing.live.Hub.connect`)."""
    if source.kind == "opcua":
        return f"Objects/{line}"
    return source.topic or f"{PREFIX}/{org_slug(org)}/{line}/batch"


class MqttSource(Strict):
    """A broker topic carrying one line's batches (the JSON messages of
    :mod:`junkan.sensing.samples`); backfill requests go to the topic with ``/batch``
    replaced by ``/backfill`` when it ends so. ``url``: ``mqtt://`` or ``mqtts://`` (TLS);
    no credentials here — they are the administrator's (``JUNKAN_SENSING_AUTH``)."""

    kind: Literal["mqtt"] = "mqtt"
    url: str = Field(max_length=500)
    topic: Topic | None = None
    """Default: ``junkan/sensing/<organisation>/<line>/batch`` (:func:`reads`)."""
    protocol: Literal["3.1.1", "5"] = "3.1.1"

    @field_validator("topic")
    @classmethod
    def _topic(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if any(c in v for c in "+#\x00") or v.startswith("$"):
            raise ValueError("give one topic: no wildcards (+, #), no NUL, not starting with $")
        if len(v.encode()) > 200:
            raise ValueError("at most 200 bytes")
        return v


class OpcuaSource(Strict):
    """An OPC UA server whose ``Objects/<line>`` object holds the line's channel variables
    (the address space of :mod:`junkan.sensing.opcua`)."""

    kind: Literal["opcua"] = "opcua"
    url: str = Field(max_length=500)
    publish_ms: int = Field(default=50, ge=10, le=1000)


class LineSource(Strict):
    """A live line fed by a broker or a PLC: the line (id, ratings) and where its samples
    come from."""

    line: LineSpec = Field(default_factory=LineSpec)
    source: MqttSource | OpcuaSource = Field(discriminator="kind")


def connect_url(url: str, ep: Endpoint, address: str) -> str:
    """The URL with its host replaced by the checked address (the connection goes there)."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    return f"{ep.scheme}://{host}:{ep.port}{parts.path}"
