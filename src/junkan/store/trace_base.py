"""The ledger's shared vocabulary: errors, results, lot documents and the fields
organisations may see, and the base of the repository (database, keys, policy)."""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from junkan.core.errors import CodedError, JunkanError, short
from junkan.core.outbound import OutboundPolicy
from junkan.store import trace_outbox
from junkan.store.db import Database
from junkan.store.tables import Organisation
from junkan.store.trace_graph import LotGraph
from junkan.store.trace_tables import TraceKey
from junkan.trace.access import GRANTABLE as GRANTABLE  # re-exported: the rule lives there
from junkan.trace.access import HOLDER_FIELDS as HOLDER_FIELDS
from junkan.trace.keystore import KeyRing, UnknownKeyId, load_keyring
from junkan.trace.pcf import pcf_facts
from junkan.trace.signing import new_key


def lot_view(lot: Any, names: dict[str, str], fields: AbstractSet[str]) -> dict[str, Any]:
    """A lot's stored values as a document, with only the ``fields`` (of GRANTABLE, except
    inputs) the reader may see; ``names`` maps organisation ids to names."""
    doc: dict[str, Any] = {
        "lot": lot.lot, "material": lot.material, "mass_kg": lot.mass_kg,
        "owner": names[lot.owner_org], "creator": names[lot.creator_org],
        "custody": lot.custody, "updated_at": lot.updated_at.isoformat()}
    if "cfp" in fields:
        doc["cfp_kgco2e"] = {"total": lot.cfp_total, "fossil": lot.cfp_fossil,
                             "biogenic": lot.cfp_biogenic, "per_kg": lot.cfp_total / lot.mass_kg}
        doc["pcf_facts"] = pcf_facts(lot)
    if "recycled" in fields:
        doc["recycled"] = {"pre_consumer": lot.rec_pre, "post_consumer": lot.rec_post,
                           "total": lot.rec_pre + lot.rec_post}
    if "claims" in fields:
        doc["claims"] = (lot.declared or {}).get("claims", [])
    if "composition" in fields:
        doc["composition"] = (lot.declared or {}).get("composition", {})
    if "site" in fields:
        doc["site"] = lot.site
    return doc


def checkpoint_body(org_id: str, tree_size: Any, root: Any, sig_from: Any = None,
                    signatures: Any = None) -> dict[str, Any]:
    """What a checkpoint's signature covers: the log's size and Merkle root, and (for
    checkpoints made since migration 0010) the chain of the signatures of its events after
    ``sig_from`` (:func:`signature_chain`)."""
    body: dict[str, Any] = {"org_id": org_id, "tree_size": tree_size, "root": root}
    if sig_from is not None or signatures is not None:
        body["signatures"] = {"from": sig_from, "chain": signatures}
    return body


CHAIN_START = bytes(32)
"""The signature chain before its first event."""


def signature_chain(chain: bytes, signature: Any) -> bytes:
    """The chain after one more event's signature (as stored, base64url text): SHA-256 of
    the chain so far and the signature. A signed checkpoint that holds the chain up to its
    size proves that every signature stored for those events is the one the organisation's
    key committed to when it signed the checkpoint (an audit then needs one SHA-256 per
    event instead of one Ed25519 verification, ~60 µs)."""
    text = signature if isinstance(signature, str) else repr(signature)
    return hashlib.sha256(chain + text.encode("utf-8")).digest()


class TraceError(JunkanError):
    """A rejected event: names the event (index in the batch), the lot and the rule."""


class TraceRefusal(TraceError, CodedError):
    """A refusal of a request's ``field`` under a domain rule's code, so that a client may
    say it in its own language, beside the field: the service answers 422 with the field
    error (the code and the figures the message quotes)."""

    field: str = ""

    @classmethod
    def at(cls, field: str, rule: str, template: str, /,
           **params: int | float | str) -> TraceRefusal:
        """The refusal of ``field`` (``expires_at``) under ``rule``."""
        exc = cls.coded(rule, template, **params)
        exc.field = field
        return exc


class TraceNotFound(TraceError):
    """Something the caller may not see, or that does not exist — the two read the same
    (``<what> '<name>' not found``), so nothing tells another organisation's lots or names
    apart from missing ones."""


def not_found(what: str, name: str) -> TraceNotFound:
    """The one 'not found' text, for lots and organisations alike (a long name cut: a
    5,000-character lot id was echoed whole)."""
    return TraceNotFound(f"{what} {short(name)} not found")


def split_ref(ref: str) -> tuple[str, str]:
    """(organisation name or '', lot id) of a lot reference ``[organisation/]id``."""
    org, _, lot = ref.rpartition("/")
    return org, lot


def check_finite(lot: str, values: tuple[float, ...]) -> None:
    """A derived value must be a finite number (it is stored, signed off and published).
    One test of the sum: a NaN or an infinity makes it non-finite (validated values are
    far too small to overflow it)."""
    if not math.isfinite(sum(values)):
        raise TraceError(f"lot {lot!r}: a derived CFP or recycled share would not be a finite "
                         "number; check the masses and footprints of its inputs")


@dataclass
class IngestResult:
    events: int
    lots_created: int
    recomputed: int
    notified: list[str] = field(default_factory=list)
    tree_size: int = 0
    root: str = ""


@dataclass
class VerifyResult:
    org: str
    ok: bool
    events: int
    problems: list[str]
    checkpoint_size: int | None = None


@dataclass(frozen=True)
class SigningKey:
    """An organisation's key pair, the private half decrypted for this batch."""

    org_id: str
    public_key: str
    private_key: str


class TraceBase:
    """What the ledger's repository mixins share: the database, the master keys the
    signing keys are encrypted with, the outbound-request policy of webhook deliveries,
    the delivery worker and the kept lot graph."""

    def __init__(self, db: Database, *, webhook_retries: int = 6,
                 webhook_backoff_s: float = 2.0, keys: KeyRing | None = None,
                 outbound: OutboundPolicy | None = None) -> None:
        self.db = db
        self.webhook_retries = webhook_retries
        self.webhook_backoff_s = webhook_backoff_s
        self._keys = keys
        self._keys_lock = threading.RLock()
        self.outbound = outbound
        self._worker: trace_outbox.Outbox | None = None
        self._graph: LotGraph | None = None
        self._graph_lock = threading.Lock()

    @staticmethod
    def _org(s: Session, name: str) -> Organisation:
        org = s.scalar(select(Organisation).where(Organisation.name == name))
        if org is None:
            raise not_found("organisation", name)
        return org

    @property
    def keys(self) -> KeyRing:
        """The master keys (loaded on first use)."""
        with self._keys_lock:
            if self._keys is None:
                self._keys = load_keyring(self.db.url)
            return self._keys

    def _decrypt(self, org_id: str, stored: str) -> str:
        """A stored private key, decrypted. A key id not configured (yet) makes the key
        configuration be read again once: a rotation adds the new key to the key file
        while services run."""
        try:
            return self.keys.decrypt(org_id, stored)
        except UnknownKeyId:
            with self._keys_lock:
                self._keys = load_keyring(self.db.url, create=False)
            return self.keys.decrypt(org_id, stored)

    def _key(self, s: Session, org_id: str) -> SigningKey:
        """The organisation's signing key, made (and stored encrypted) on first use.
        Concurrent first uses are safe: the key is inserted only if absent (the primary key
        is the organisation; ON CONFLICT DO NOTHING on SQLite and PostgreSQL) and read back,
        so every caller gets the one key that was stored."""
        key = s.get(TraceKey, org_id)
        if key is None:
            priv, pub = new_key()
            row = {"org_id": org_id, "public_key": pub,
                   "private_key": self.keys.encrypt(org_id, priv)}
            if s.get_bind().dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as pg_insert
                s.execute(pg_insert(TraceKey).values(row).on_conflict_do_nothing())
            else:
                from sqlalchemy.dialects.sqlite import insert as sqlite_insert
                s.execute(sqlite_insert(TraceKey).values(row).on_conflict_do_nothing())
            key = s.get(TraceKey, org_id, populate_existing=True)
            if key is None:  # pragma: no cover - the insert or the other writer stored one
                raise RuntimeError(f"no signing key stored for {org_id}")
            if key.public_key == pub:
                return SigningKey(org_id, pub, priv)
        return SigningKey(org_id, key.public_key, self._decrypt(org_id, key.private_key))

    def policy(self) -> OutboundPolicy:
        """The outbound-request policy (given, else the ``JUNKAN_OUTBOUND_*`` settings)."""
        if self.outbound is None:
            self.outbound = OutboundPolicy.from_env()
        return self.outbound
