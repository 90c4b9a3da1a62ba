"""Data sovereignty: the one rule for which fields of a lot an organisation may see.

Pure domain code (no database): the store's reads (``show``, ``genealogy``, exports) and the
PACT host's snapshot all ask :func:`visible_fields`, so the rule exists once.

- The lot's **creator** sees every :data:`GRANTABLE` field.
- The organisation **holding** the lot, or the one it was **shipped to**, sees
  :data:`HOLDER_FIELDS` plus whatever an active agreement grants it.
- The **grantee** of an active agreement (not revoked, not expired: an agreement that expires
  exactly at ``now`` is expired) from the lot's creator, covering the lot (or ``'*'``, every
  lot the grantor made), sees the agreement's fields — the union over such agreements.
- Anyone else may not see the lot at all (``None``), which callers answer with the same
  "not found" as for a lot that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

GRANTABLE: tuple[str, ...] = ("cfp", "recycled", "claims", "composition", "inputs", "site")
"""Fields of a lot an agreement or a catalogue offer can cover."""

HOLDER_FIELDS: frozenset[str] = frozenset({"cfp", "recycled", "claims"})
"""What the organisation holding a lot (or it was shipped to) sees without an agreement."""


@dataclass(frozen=True)
class Grant:
    """One bilateral agreement, as the rule needs it. ``lots``: lot ids of the grantor's lots,
    ``None`` for every lot it made (``'*'``); ``expires_at`` without a time zone is read as
    UTC."""

    grantor: str
    grantee: str
    lots: frozenset[str] | None
    fields: frozenset[str]
    expires_at: datetime
    revoked: bool

    @classmethod
    def of(cls, grantor: str, grantee: str, lots: Iterable[str], fields: Iterable[str],
           expires_at: datetime, revoked: bool) -> Grant:
        """A grant from stored values: ``lots`` containing ``'*'`` covers every lot."""
        lot_set = frozenset(lots)
        return cls(grantor, grantee, None if "*" in lot_set else lot_set, frozenset(fields),
                   expires_at, revoked)

    def active(self, now: datetime) -> bool:
        """Not revoked and not yet expired (expiry exactly at ``now`` is expired)."""
        return not self.revoked and _aware(self.expires_at) > _aware(now)

    def covers(self, creator: str, lot: str) -> bool:
        """Whether the grant is about this lot of ``creator``."""
        return self.grantor == creator and (self.lots is None or lot in self.lots)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def granted_fields(viewer: str, *, creator: str, lot: str, grants: Iterable[Grant],
                   now: datetime) -> frozenset[str]:
    """The fields active agreements from ``creator`` covering ``lot`` grant ``viewer``."""
    out: set[str] = set()
    for g in grants:
        if g.grantee == viewer and g.covers(creator, lot) and g.active(now):
            out |= g.fields
    return frozenset(out & set(GRANTABLE))


def visible_fields(viewer: str, *, creator: str, owner: str, shipped_to: str | None, lot: str,
                   grants: Iterable[Grant], now: datetime) -> frozenset[str] | None:
    """The fields of a lot (made by ``creator``, held by ``owner``, shipped to ``shipped_to``,
    id ``lot``) that ``viewer`` may see, or ``None`` when it may not see the lot at all.
    ``grants`` may hold any agreements: only active ones from the creator to the viewer that
    cover the lot count."""
    if viewer == creator:
        return frozenset(GRANTABLE)
    granted = granted_fields(viewer, creator=creator, lot=lot, grants=grants, now=now)
    if viewer == owner or (shipped_to is not None and viewer == shipped_to):
        return HOLDER_FIELDS | granted
    return granted or None
