"""The partners a PACT host calls back: loaded from a file, matched by exact origin, and the
bearer tokens this host gets at their token endpoints."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.parse
from typing import Any, NamedTuple

from junkan.core.outbound import (
    DeliveryFailed,
    Origin,
    OutboundPolicy,
    OutboundRefused,
    parse_origin,
    url_origin,
)

AUTH_FIELDS = ("auth_url", "client_id", "client_secret")


class Partner(NamedTuple):
    """A registered PACT partner: callbacks go to its origin only."""

    origin: Origin
    auth_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    organisation: str | None = None
    """If set, only requests of this organisation (by name) are answered at the partner."""


def load_partners(path: str | None) -> dict[Origin, Partner]:
    """The partners this host calls back: a YAML/JSON file (``JUNKAN_PACT_PARTNERS``) mapping
    each partner's origin (``https://host[:port]``, matched exactly: scheme, host and port,
    never a prefix) to ``auth_url``, ``client_id`` and ``client_secret`` (the credentials this
    host uses at the partner's token endpoint; all three or none) and optionally
    ``organisation`` (answer only that organisation's requests there). Missing file → no
    partners: no callbacks at all."""
    import os
    from pathlib import Path

    from junkan.core.documents import parse_data
    from junkan.core.errors import JunkanError

    path = path or os.environ.get("JUNKAN_PACT_PARTNERS")
    if not path:
        return {}
    try:  # YAML 1.2 types, as every junkan document: a secret written 0123 stays that text
        doc = parse_data(Path(path).read_text("utf-8"), source=str(path)) or {}
    except JunkanError as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: map each partner origin to its credentials")
    return partners_from(doc, path)


def partners_from(doc: dict[str, Any], source: str = "partners") -> dict[Origin, Partner]:
    """Partners from a mapping as in :func:`load_partners` (checked, with clear errors)."""
    out: dict[Origin, Partner] = {}
    for key, cred in doc.items():
        cred = dict(cred or {})
        try:
            origin = parse_origin(str(key), f"{source}: partner {key!r}")
        except OutboundRefused as exc:
            raise ValueError(str(exc)) from None
        unknown = set(cred) - {*AUTH_FIELDS, "organisation"}
        if unknown:
            raise ValueError(f"{source}: partner {key!r}: unknown keys {sorted(unknown)}")
        given = [f for f in AUTH_FIELDS if f in cred]
        if given and len(given) != len(AUTH_FIELDS):
            missing = sorted(set(AUTH_FIELDS) - set(given))
            raise ValueError(f"{source}: partner {key!r} lacks {missing}")
        if given:
            try:
                url_origin(str(cred["auth_url"]), f"{source}: partner {key!r}: auth_url")
            except OutboundRefused as exc:
                raise ValueError(str(exc)) from None
        if origin in out:
            raise ValueError(f"{source}: partner {origin} is listed twice")
        out[origin] = Partner(origin, *(str(cred[f]) if f in cred else None
                                        for f in (*AUTH_FIELDS, "organisation")))
    return out


def events_url(source: str) -> str | None:
    """Where the answer to an event goes: the ``/3/events`` endpoint of its ``source``.
    PACT v3 writes the source as ``//host[:port]/3/events`` (HTTPS implied); a base URL
    (``https://host[/prefix]``) gets ``/3/events`` appended; a URL ending in ``/3/events`` is
    kept. None if ``source`` is not such a URL."""
    text = source.strip() if isinstance(source, str) else ""
    if text.startswith("//"):
        text = "https:" + text
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    path = parts.path.rstrip("/")
    if not path.endswith("/3/events"):
        path += "/3/events"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def partner_for(partners: dict[Origin, Partner], url: str) -> Partner | None:
    """The partner whose origin is exactly ``url``'s (scheme, host, port), or None."""
    try:
        return partners.get(url_origin(url))
    except OutboundRefused:
        return None


class TokenCache:
    """Bearer tokens this host got from its partners, until shortly before they expire."""

    def __init__(self) -> None:
        self._tokens: dict[Origin, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def token(self, partner: Partner, policy: OutboundPolicy) -> str | None:
        """A bearer token from ``partner``'s token endpoint (client credentials with HTTP
        Basic), through the outbound policy; None for a partner without credentials."""
        if partner.auth_url is None:
            return None
        now = time.monotonic()
        with self._lock:
            hit = self._tokens.get(partner.origin)
        if hit is not None and now < hit[0]:
            return hit[1]
        basic = base64.b64encode(f"{partner.client_id}:{partner.client_secret}".encode())
        resp = policy.post(partner.auth_url, urllib.parse.urlencode(
            {"grant_type": "client_credentials"}).encode(), {
            "Authorization": f"Basic {basic.decode()}",
            "Content-Type": "application/x-www-form-urlencoded"},
            allowed=[url_origin(partner.auth_url)])
        try:
            doc = json.loads(resp.body)
            tok = str(doc["access_token"])
            ttl = float(doc.get("expires_in", 300))
        except (ValueError, KeyError, TypeError):
            raise DeliveryFailed(f"{partner.origin}: the token answer is not a token") from None
        with self._lock:
            self._tokens[partner.origin] = (now + max(0.0, min(ttl - 30, 3600)), tok)
        return tok

