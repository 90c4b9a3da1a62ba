"""The outbound-request policy: every HTTP request junkan makes to another machine (trace
webhooks, PACT callbacks and the token requests before them) goes through
:meth:`OutboundPolicy.post`.

A request is made only when

* the URL's exact origin (scheme, host, port — never a prefix) is one an administrator
  registered for the organisation or partner the request is made for (``allowed``);
* the scheme is ``https`` (``http`` only with ``JUNKAN_OUTBOUND_ALLOW_HTTP=1``, for
  development);
* every address the host resolves to is a public unicast address: loopback, link-local,
  private, shared (CGNAT), multicast, unspecified, reserved and documentation ranges are
  refused, for IPv4 and IPv6 alike, including IPv4 addresses embedded in IPv6 ones
  (IPv4-mapped ``::ffff:a.b.c.d``, 6to4, Teredo, NAT64). ``JUNKAN_OUTBOUND_ALLOW_PRIVATE=1``
  lifts this for tests and closed development networks.

The host is resolved once, the addresses are checked, and the connection goes to a checked
address (the TLS handshake still verifies the certificate against the host name): a DNS
answer that changes between the check and the connection (DNS rebinding) cannot redirect it.
Redirects are never followed (a 3xx is a failed delivery). Failures raise
:class:`DeliveryFailed` whose text is for the server log only: what callers store or show is
"delivery failed", never whether a port was closed, a name did not resolve or a peer timed
out."""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar, NamedTuple
from urllib.parse import urlsplit

from pydantic import Field

from junkan.core.errors import JunkanError
from junkan.core.settings import EnvSettings

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
"""(host, port) → the host's addresses as text (``socket.getaddrinfo`` by default)."""

MAX_RESPONSE_BYTES = 64 * 1024
"""At most this much of an answer is read (a token answer is a few hundred bytes)."""


class OutboundSettings(EnvSettings):
    """``JUNKAN_OUTBOUND_*`` settings (defaults are the production ones)."""

    env_prefix: ClassVar[str] = "JUNKAN_OUTBOUND_"

    allow_private: bool = False
    """Allow loopback, private, link-local … destinations (tests, closed networks only)."""
    allow_http: bool = False
    """Allow plain ``http://`` destinations (development only)."""
    ca_file: str | None = None
    """PEM bundle of certificate authorities to trust besides the system's (e.g. a
    partner's private CA)."""
    timeout_s: float = Field(default=10.0, gt=0, le=60)
    """Connect and read timeout of one attempt, seconds."""


class OutboundRefused(JunkanError):
    """The policy does not allow this destination. The message names the rule broken and the
    setting or registration that would allow it (shown to whoever configured the URL)."""


class DeliveryFailed(Exception):
    """A request the policy allowed did not succeed (network error, timeout, non-2xx). The
    text is detail for the server log, never for the user or the database."""


@dataclass(frozen=True, order=True)
class Origin:
    """A normalised origin: lower-case scheme and host (IDNA, no trailing dot), explicit
    port."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = {"https": 443, "http": 80}[self.scheme]
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")


def _split(url: str, what: str) -> tuple[Origin, str]:
    """(origin, path with query) of an http(s) URL; refuses user info and odd hosts."""
    if not isinstance(url, str) or not url or len(url) > 2000:
        raise OutboundRefused(f"{what}: give an http(s) URL of at most 2000 characters")
    if any(c.isspace() or ord(c) < 0x20 for c in url):
        raise OutboundRefused(f"{what}: the URL contains white space or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:
        raise OutboundRefused(f"{what}: not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise OutboundRefused(f"{what}: the scheme must be https (http only in development)")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise OutboundRefused(f"{what}: user information (user@host) is not allowed in the URL")
    if not host:
        raise OutboundRefused(f"{what}: the URL has no host")
    host = host.rstrip(".")
    host = normal_host(host, what)
    origin = Origin(scheme, host, port if port is not None else
                    (443 if scheme == "https" else 80))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return origin, path


def normal_host(host: str, what: str) -> str:
    """A host normalised: an address literal compressed, a name IDNA-encoded, lower case."""
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        pass
    try:
        name = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise OutboundRefused(f"{what}: the host name is not valid") from None
    if not name or any(not (c.isalnum() or c in "-.") for c in name):
        raise OutboundRefused(f"{what}: the host name is not valid")
    return name


def parse_origin(text: str, what: str = "origin") -> Origin:
    """An origin as an administrator registers it: ``https://host[:port]`` (a trailing
    ``/`` is tolerated; a path, query or fragment is refused)."""
    origin, path = _split(text, what)
    parts = urlsplit(text)
    if path not in ("/",) or parts.fragment or text.rstrip("/").count("/") > 2:
        raise OutboundRefused(f"{what}: give an origin only (scheme://host[:port]), without "
                              f"a path: {str(origin)!r}")
    return origin


_NUMERIC_LABEL = re.compile(r"0[xX][0-9a-fA-F]*|[0-9]+")


def numeric_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a host written in numbers stands for, in the forms ``inet_aton``
    resolvers and browsers (WHATWG URL Standard, IPv4 parser) accept: one to four labels,
    each decimal, octal (leading ``0``) or hexadecimal (``0x``), the last filling the
    remaining bytes — ``2130706433``, ``0x7f.1``, ``127.1`` and ``0177.0.0.1`` are all
    127.0.0.1. None for a name (or numbers that are no address)."""
    labels = host.split(".")
    if not 1 <= len(labels) <= 4 or not all(_NUMERIC_LABEL.fullmatch(x) for x in labels):
        return None
    try:
        values = [int(x[2:] or "0", 16) if x[:2].lower() == "0x"
                  else int(x, 8) if len(x) > 1 and x[0] == "0" else int(x) for x in labels]
    except ValueError:  # 08, 09: not octal
        return None
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (5 - len(values)):
        return None
    number = last
    for i, v in enumerate(head):
        number += v << (8 * (3 - i))
    return ipaddress.IPv4Address(number)


def url_origin(url: str, what: str = "url") -> Origin:
    """The origin of a full http(s) URL."""
    return _split(url, what)[0]


def _as_origins(allowed: Iterable[Origin | str]) -> set[Origin]:
    return {a if isinstance(a, Origin) else parse_origin(a) for a in allowed}


_SPECIAL = tuple((ipaddress.ip_network(net), why) for net, why in (
    # IANA IPv4 and IPv6 Special-Purpose Address Registries: blocks that hold no ordinary
    # public host, named here because ipaddress's answer depends on the Python version
    # (3.11 lets 192.0.0.8 and 3fff::/20 through)
    # RFC 6890 (192.0.0.8 dummy RFC 7600, .9 PCP anycast RFC 7723, .10 TURN anycast RFC 8155,
    # .170/31 NAT64 discovery RFC 8880)
    ("192.0.0.0/24", "is in the IETF protocol assignments block (RFC 6890)"),
    ("192.31.196.0/24", "is the AS112 reverse-DNS sink (RFC 7535)"),
    ("192.52.193.0/24", "is the AMT relay anycast block (RFC 7450)"),
    ("192.88.99.0/24", "is the deprecated 6to4 relay anycast block (RFC 7526)"),
    ("192.175.48.0/24", "is the AS112 direct-delegation sink (RFC 7534)"),
    ("100.64.0.0/10", "is shared address space (CGNAT, RFC 6598)"),
    ("100::/64", "is the discard-only prefix (RFC 6666)"),
    ("100:0:0:1::/64", "is the dummy IPv6 prefix (RFC 9780)"),
    # RFC 2928 (PCP/TURN/DNS-SD anycast RFC 7723/8155/9665, benchmarking RFC 5180, AMT
    # RFC 7450, AS112 RFC 7535, ORCHIDv2 RFC 7343, drone remote ID RFC 9374)
    ("2001::/23", "is in the IETF protocol assignments block (RFC 2928)"),
    ("2001:db8::/32", "is a documentation address (RFC 3849)"),
    ("3fff::/20", "is a documentation address (RFC 9637)"),
    ("2620:4f:8000::/48", "is the AS112 direct-delegation sink (RFC 7534)"),
    ("5f00::/16", "is an SRv6 SID block (RFC 9602)"),
))
"""Special-purpose blocks refused explicitly, with the RFC that assigns each."""


def forbidden(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public unicast address (None when it is)."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_v4(ip)
        if embedded is not None:
            why = forbidden(embedded)
            return f"embeds {embedded}, which {why}" if why else None
        if ip.is_site_local:
            return "is a site-local address"
    for net, why in _SPECIAL:
        if ip in net:
            return why
    for test, why in (("is_unspecified", "is the unspecified address"),
                      ("is_loopback", "is a loopback address"),
                      ("is_link_local", "is a link-local address"),
                      ("is_multicast", "is a multicast address"),
                      ("is_private", "is a private address"),
                      ("is_reserved", "is a reserved address")):
        if getattr(ip, test):
            return why
    if not ip.is_global:
        return "is not a globally routable address"
    return None


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, Teredo client, NAT64)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def tcp_addresses(host: str, port: int) -> list[str]:
    """The distinct addresses a TCP connection to ``host:port`` may go to (the system resolver)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class Response(NamedTuple):
    status: int
    body: bytes
    """At most :data:`MAX_RESPONSE_BYTES` of the answer."""


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to a fixed, already checked address (Host header: the name)."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An HTTPS connection to a fixed, already checked address; the certificate is verified
    against the host name (SNI too)."""

    def __init__(self, host: str, port: int, address: str, timeout: float,
                 context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._ctx = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        try:
            self.sock = self._ctx.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


_PUBLIC_ONLY = ("outbound requests go to public addresses only "
                "(JUNKAN_OUTBOUND_ALLOW_PRIVATE=1 lifts this for tests)")


class OutboundPolicy:
    """The checks and the one way of making an outbound request (see the module text)."""

    def __init__(self, *, allow_private: bool = False, allow_http: bool = False,
                 ca_file: str | None = None, timeout_s: float = 10.0,
                 resolver: Resolver | None = None) -> None:
        self.allow_private = allow_private
        self.allow_http = allow_http
        self.ca_file = ca_file
        self.timeout_s = timeout_s
        self.resolver = resolver or tcp_addresses
        self._context: ssl.SSLContext | None = None

    @classmethod
    def from_env(cls, resolver: Resolver | None = None) -> OutboundPolicy:
        """The policy of the ``JUNKAN_OUTBOUND_*`` settings."""
        s = OutboundSettings()
        return cls(allow_private=s.allow_private, allow_http=s.allow_http, ca_file=s.ca_file,
                   timeout_s=s.timeout_s, resolver=resolver)

    # ---- checks without the network --------------------------------------------------------
    def check_origin(self, origin: Origin, what: str = "origin") -> Origin:
        """What can be checked before any request: the scheme and, for an address literal,
        the address. For registrations and configured URLs (messages meant for their
        author)."""
        if origin.scheme == "http" and not self.allow_http:
            raise OutboundRefused(f"{what}: {origin} uses http; outbound requests need https "
                                  "(JUNKAN_OUTBOUND_ALLOW_HTTP=1 allows http in development)")
        ip: IPAddress | None
        try:
            ip = ipaddress.ip_address(origin.host)
        except ValueError:
            ip = numeric_ipv4(origin.host)
        if ip is None:
            return origin
        why = forbidden(ip)
        if why and not self.allow_private:
            named = origin.host if str(ip) == origin.host else f"{origin.host} ({ip})"
            raise OutboundRefused(f"{what}: {named} {why}; {_PUBLIC_ONLY}")
        return origin

    def check_registration(self, text: str, what: str = "origin") -> Origin:
        """An origin an administrator registers (a webhook origin), checked as the sender
        will check it: parsed (:func:`parse_origin`), :meth:`check_origin`, then its host
        resolved and every address it stands for checked (:meth:`addresses`). A name that
        does not resolve yet is accepted (it is checked again at every delivery). The one
        check of ``junkan admin webhook allow``, the admin API and
        ``TraceRepo.allow_webhook_origin``; raises :class:`OutboundRefused` with a message
        for the administrator."""
        origin = self.check_origin(parse_origin(text, what), what)
        try:
            self.addresses(origin)
        except OutboundRefused as exc:
            raise OutboundRefused(f"{what}: {exc}; {_PUBLIC_ONLY}") from None
        except DeliveryFailed:
            pass  # does not resolve (yet): every delivery resolves and checks it again
        return origin

    def check_url(self, url: str, allowed: Iterable[Origin | str], what: str = "url") -> Origin:
        """The URL's origin if it is registered (exactly) and passes :meth:`check_origin`."""
        origin = self.check_origin(url_origin(url, what), what)
        if origin not in _as_origins(allowed):
            raise OutboundRefused(f"{what}: origin {origin} is not registered for this "
                                  "organisation or partner (an administrator registers the "
                                  "exact scheme://host:port)")
        return origin

    def addresses(self, origin: Origin) -> list[str]:
        """The checked addresses to connect to (all the host resolves to must be public)."""
        try:
            ip = ipaddress.ip_address(origin.host)
            found = [ip.compressed]
        except ValueError:
            try:
                found = self.resolver(origin.host, origin.port)
            except (OSError, UnicodeError) as exc:
                raise DeliveryFailed(f"{origin}: name resolution failed: {exc}") from None
        if not found:
            raise DeliveryFailed(f"{origin}: the name resolves to no address")
        out = []
        for text in found:
            try:
                ip = ipaddress.ip_address(text.split("%", 1)[0])
            except ValueError:
                raise DeliveryFailed(f"{origin}: resolver gave {text!r}") from None
            why = forbidden(ip)
            if why and not self.allow_private:
                raise OutboundRefused(f"{origin.host} resolves to {ip}, which {why}")
            out.append(ip.compressed)
        return out

    def _ssl(self) -> ssl.SSLContext:
        if self._context is None:
            ctx = ssl.create_default_context()
            if self.ca_file:
                ctx.load_verify_locations(cafile=self.ca_file)
            self._context = ctx
        return self._context

    # ---- the request -------------------------------------------------------------------------
    def post(self, url: str, body: bytes, headers: dict[str, str],
             allowed: Iterable[Origin | str]) -> Response:
        """POST ``body`` to ``url`` under the policy; the answer if it is a 2xx. Raises
        :class:`OutboundRefused` (policy) or :class:`DeliveryFailed` (anything else)."""
        origin, path = _split(url, "url")
        self.check_url(url, allowed)
        last: Exception | None = None
        deadline = time.monotonic() + self.timeout_s  # for the whole attempt (review 267)
        for address in self.addresses(origin):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            conn: http.client.HTTPConnection
            if origin.scheme == "https":
                conn = _PinnedHTTPS(origin.host, origin.port, address, left, self._ssl())
            else:
                conn = _PinnedHTTP(origin.host, origin.port, address, left)
            cut = _Cutter(conn, left)
            try:
                try:
                    conn.connect()
                except OSError as exc:  # this address does not answer: try the next one
                    last = exc
                    continue
                conn.request("POST", path, body=body, headers={
                    **headers, "Content-Length": str(len(body))})
                resp = conn.getresponse()
                data = resp.read(MAX_RESPONSE_BYTES)
            except (OSError, http.client.HTTPException) as exc:
                if cut.done:
                    raise DeliveryFailed(f"{origin}: no whole answer within "
                                         f"{self.timeout_s:g} s") from None
                raise DeliveryFailed(f"{origin}: {type(exc).__name__}: {exc}") from None
            finally:
                cut.cancel()
                conn.close()
            if cut.done and not (resp.chunked or resp.length is not None):
                # cut as an answer read to the connection's end ended: it may be cut short. One
                # of known length or chunked was read whole (http.client raises otherwise), so
                # it stands: failing it had the peer's 2xx delivered again (review 277)
                raise DeliveryFailed(f"{origin}: no whole answer within {self.timeout_s:g} s")
            if not 200 <= resp.status < 300:  # 3xx included: redirects are not followed
                raise DeliveryFailed(f"{origin}: answered HTTP {resp.status}")
            return Response(resp.status, data)
        if last is None:
            raise DeliveryFailed(f"{origin}: no address answered within {self.timeout_s:g} s")
        raise DeliveryFailed(f"{origin}: no address answered ({type(last).__name__}: {last})")


class _Cutter:
    """Shuts a connection's socket down ``after`` seconds, so that an attempt ends then:
    the socket's own timeout bounds each read only, and a peer sending its answer a byte at
    a time (up to :data:`MAX_RESPONSE_BYTES`) held the one delivery worker for hours
    (review 267: 26 s for a timeout of 1 s)."""

    def __init__(self, conn: http.client.HTTPConnection, after: float) -> None:
        self.conn, self.done = conn, False
        self._timer = threading.Timer(after, self._cut)
        self._timer.daemon = True
        self._timer.start()

    def _cut(self) -> None:
        self.done = True
        sock = self.conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # the plain socket's: TLS state is left alone
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()
