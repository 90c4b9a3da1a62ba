"""Tables of the market: buyers' conditions and sellers' offers, each owned by an
organisation; documents are stored as validated by :mod:`junkan.market`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from junkan.store.tables import Base, new_id, now


class MarketCondition(Base):
    """A buyer's condition; ``grantees`` are the organisation names it is granted to (the
    ODRL access policy is derived from the document and enforced on every read)."""

    __tablename__ = "market_conditions"
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    doc: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class MarketOffer(Base):
    """A seller's lot offered on the market (visible to its owner only)."""

    __tablename__ = "market_offers"
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    doc: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
