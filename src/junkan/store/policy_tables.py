"""Tables of the solar-panel registry (:mod:`junkan.policy.registry`): panel models (their
maker's), installations (their owner's), handovers, treatment reports, and the roles an
operator grants organisations (acting for a municipality, certified recycler)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from junkan.store.tables import Base, new_id, now


class SolarModel(Base):
    """A panel model; ``doc`` holds technology, mass, glass share and substances."""

    __tablename__ = "solar_models"
    __table_args__ = (UniqueConstraint("maker_org_id", "name"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    maker_org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    doc: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class SolarInstallation(Base):
    __tablename__ = "solar_installations"
    __table_args__ = (UniqueConstraint("owner_org_id", "name"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    municipality: Mapped[str] = mapped_column(String(5), index=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("solar_models.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)
    count: Mapped[int] = mapped_column(Integer)
    commissioned: Mapped[date] = mapped_column(Date)
    end_of_business: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class SolarHandover(Base):
    __tablename__ = "solar_handovers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("solar_installations.id"), index=True)
    to_org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(Integer)
    date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class SolarTreatment(Base):
    """A treatment report; ``doc`` holds method, recovered and disposed mass."""

    __tablename__ = "solar_treatments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    installation_id: Mapped[str] = mapped_column(ForeignKey("solar_installations.id"), index=True)
    recycler_org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    count: Mapped[int] = mapped_column(Integer)
    date: Mapped[date] = mapped_column(Date)
    doc: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class SolarOrgRole(Base):
    """A role an operator granted: ``municipality`` (value: its code) or
    ``certified_recycler`` (value: the certificate)."""

    __tablename__ = "solar_org_roles"
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
