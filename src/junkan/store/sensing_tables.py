"""Tables of the shredder monitor (:mod:`junkan.sensing`): the operator's labels of live
alarms, per organisation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from junkan.store.tables import Base, now


class SensingLabel(Base):
    """One label of one alarm of a live line's stream (a relabel adds a row; the newest row
    of an alarm counts). ``sources`` are the alarm's evidence sources, ``evidence`` its
    evidence as the monitor gave it."""

    __tablename__ = "sensing_labels"
    __table_args__ = (Index("ix_sensing_labels_org_alarm", "org_id", "stream", "alarm"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    line: Mapped[str] = mapped_column(String(40))
    stream: Mapped[str] = mapped_column(String(32))
    alarm: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(16))
    state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    by_user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    model_version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    sources: Mapped[list[str]] = mapped_column(JSON)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
