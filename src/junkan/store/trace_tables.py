"""Tables of the traceability ledger (same store as the platform)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    join,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column

from junkan.store.tables import Base, now

lots_table = Table(
    "trace_lots", Base.metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),  # creation order
    Column("lot", String(120), nullable=False),  # id in its creator's namespace
    Column("creator_org", ForeignKey("organisations.id"), index=True, nullable=False),
    Column("owner_org", ForeignKey("organisations.id"), index=True, nullable=False),
    Column("shipped_to", ForeignKey("organisations.id"), index=True, nullable=True),
    Column("received", Boolean, nullable=False, default=False),
    Column("material", String(200), nullable=False),
    Column("mass_kg", Float, nullable=False),
    Column("consumed_kg", Float, nullable=False, default=0.0),
    Column("site", String(200), nullable=False),
    Column("custody", String(40), nullable=False),
    Column("declared", JSON, nullable=False),
    Column("own", JSON, nullable=False),
    Column("own_cfp", Float, nullable=False, default=0.0),  # own process, kg CO2e (fossil)
    Column("mb_period", String(8), nullable=True),
    # mass-balance period its recycled content was credited in (None: not in an account)
    Column("created_at", DateTime(timezone=True), nullable=False, default=now),
    UniqueConstraint("lot", "creator_org", name="uq_trace_lots_lot_creator"),
)
"""Lots are identified by (creating organisation, id) with ``seq`` as the surrogate key:
organisations choose their ids freely, and no id reveals another organisation's."""

values_table = Table(
    "trace_values", Base.metadata,
    Column("seq", ForeignKey("trace_lots.seq"), primary_key=True),
    Column("cfp_total", Float, nullable=False),
    Column("cfp_fossil", Float, nullable=False),
    Column("cfp_biogenic", Float, nullable=False),
    Column("rec_pre", Float, nullable=False),
    Column("rec_post", Float, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, default=now),
)
"""A lot's derived values (kg CO2e; shares) and when it last changed, in a narrow table of
their own: a re-declaration rewrites them for a whole downstream cone (a million rows),
which costs a third of rewriting the wide lot rows."""


class TraceLot(Base):
    """A lot: its record (``trace_lots``) joined with its derived values
    (``trace_values``). ``seq`` is the creation order, a topological order of the graph."""

    __table__ = join(lots_table, values_table, lots_table.c.seq == values_table.c.seq)
    seq = column_property(lots_table.c.seq, values_table.c.seq)

    if TYPE_CHECKING:  # the columns above, for type checkers
        lot: Mapped[str]
        creator_org: Mapped[str]
        owner_org: Mapped[str]
        shipped_to: Mapped[str | None]
        received: Mapped[bool]
        material: Mapped[str]
        mass_kg: Mapped[float]
        consumed_kg: Mapped[float]
        site: Mapped[str]
        custody: Mapped[str]
        declared: Mapped[dict[str, Any]]
        own: Mapped[dict[str, Any]]
        own_cfp: Mapped[float]
        mb_period: Mapped[str | None]
        cfp_total: Mapped[float]
        cfp_fossil: Mapped[float]
        cfp_biogenic: Mapped[float]
        rec_pre: Mapped[float]
        rec_post: Mapped[float]
        created_at: Mapped[datetime]
        updated_at: Mapped[datetime]


class TraceInput(Base):
    __tablename__ = "trace_inputs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dst_seq: Mapped[int] = mapped_column(ForeignKey("trace_lots.seq"), index=True)
    src_seq: Mapped[int] = mapped_column(ForeignKey("trace_lots.seq"), index=True)
    mass_kg: Mapped[float] = mapped_column(Float)


class TraceEvent(Base):
    """One entry of an organisation's append-only log: the signed canonical record."""

    __tablename__ = "trace_events"
    __table_args__ = (UniqueConstraint("org_id", "org_seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    org_seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(20))
    lot: Mapped[str] = mapped_column(String(330), index=True)
    """The event's lot as the organisation wrote it (an id, or ``organisation/id``)."""
    record: Mapped[str] = mapped_column(Text)
    """The RFC 8785 canonical JSON that was hashed and signed, verbatim."""
    leaf_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class TraceKey(Base):
    """An organisation's Ed25519 signing key: the public key raw (base64url), the private key
    encrypted under the master key (:mod:`junkan.trace.keystore`)."""

    __tablename__ = "trace_keys"
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))
    private_key: Mapped[str] = mapped_column(String(200))
    """``v1:<master key id>:<base64url(nonce ‖ AES-GCM ciphertext)>``."""


class TraceCheckpoint(Base):
    """A signed Merkle checkpoint (tree size, root) that partners keep as witnesses."""

    __tablename__ = "trace_checkpoints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    tree_size: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    frontier: Mapped[str | None] = mapped_column(Text, nullable=True)
    """Hex roots of the perfect subtrees of the tree at ``tree_size``, space-separated
    (merkle.extend); not signed: the next batch checks it against ``root``."""
    sig_from: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The log size where :attr:`signatures` starts (signed; null on checkpoints made
    before migration 0010, whose events an audit verifies one signature at a time)."""
    signatures: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Hex SHA-256 chain of the signatures of the events ``sig_from`` + 1 … ``tree_size``
    (:func:`junkan.store.trace_base.signature_chain`; signed)."""


class TraceNotification(Base):
    __tablename__ = "trace_notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    lot: Mapped[str] = mapped_column(String(330))
    """The first lot concerned, as the notified organisation refers to it."""
    message: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    read: Mapped[bool] = mapped_column(Boolean, default=False)
    webhook_status: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class TraceBalanceEntry(Base):
    """Mass-balance account entry (:mod:`junkan.trace.balance`): per organisation × site ×
    characteristic × balancing period. ``kind``: credit (receipt), claim, outflow (credited
    material used physically or shipped), adjust (re-valued after a re-declaration;
    signed), carry_out / carry_in (a closed period's balance)."""

    __tablename__ = "trace_balance_entries"
    __table_args__ = (Index("ix_trace_balance_account", "org_id", "site", "characteristic",
                            "period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    site: Mapped[str] = mapped_column(String(200))
    characteristic: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))
    mass_kg: Mapped[float] = mapped_column(Float)
    lot: Mapped[str] = mapped_column(String(120))
    """The lot's id in its creator's namespace ('' for a carry)."""
    lot_seq: Mapped[int | None] = mapped_column(ForeignKey("trace_lots.seq"), index=True,
                                                nullable=True)
    basis_kg: Mapped[float | None] = mapped_column(Float, nullable=True)
    """Lot mass the entry concerns (``mass_kg = basis_kg × share``)."""
    share: Mapped[float | None] = mapped_column(Float, nullable=True)
    uncovered: Mapped[bool] = mapped_column(Boolean, default=False)
    """A claim the account no longer covers (after a supplier's re-declaration)."""
    claim_id: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    """Unused since migration 0009 (a claim is one output lot's entry)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class TracePeriod(Base):
    """A closed mass-balance period of a site (open periods have no row)."""

    __tablename__ = "trace_periods"
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    site: Mapped[str] = mapped_column(String(200), primary_key=True)
    period: Mapped[str] = mapped_column(String(20), primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TraceDataset(Base):
    """A catalogue entry: what an organisation offers to share, with its policy. Other
    organisations see only this metadata."""

    __tablename__ = "trace_datasets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    lots: Mapped[list[str]] = mapped_column(JSON)
    """Lot ids the dataset covers ('*' = every lot the organisation made)."""
    fields: Mapped[list[str]] = mapped_column(JSON)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class TraceAgreement(Base):
    """A bilateral grant: grantor lets grantee read ``fields`` of ``lots`` for ``purpose``
    until ``expires_at``; revocable."""

    __tablename__ = "trace_agreements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    grantor_org: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    grantee_org: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    lots: Mapped[list[str]] = mapped_column(JSON)
    fields: Mapped[list[str]] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class TraceWebhook(Base):
    """Where an organisation wants its notifications POSTed (optional); its origin must be
    one an administrator registered for the organisation (:class:`TraceWebhookOrigin`)."""

    __tablename__ = "trace_webhooks"
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))


class TraceWebhookOrigin(Base):
    """An origin (``https://host[:port]``) an administrator allows an organisation's
    webhook to be sent to: the outbound policy matches it exactly."""

    __tablename__ = "trace_webhook_origins"
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    origin: Mapped[str] = mapped_column(String(300), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class TraceOutbox(Base):
    """An outbound request waiting for delivery (webhook notification, PACT callback): the
    one delivery worker reads this table, so a delivery survives a restart."""

    __tablename__ = "trace_outbox"
    __table_args__ = (Index("ix_trace_outbox_due", "status", "next_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    """``webhook`` or ``pact``: which handler delivers it."""
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    """The organisation the request is made for (its registrations apply)."""
    url: Mapped[str] = mapped_column(String(2000))
    body: Mapped[str] = mapped_column(Text)
    notification_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    """``pending``, ``delivered`` or ``failed`` (attempts exhausted)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    next_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """When it is next due (a claimed delivery moves it past its lease)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
