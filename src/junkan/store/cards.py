"""The validated summary ("card") of each model version — name, title, scenarios, headline,
editable parameters and the value-network graph — computed once when the version is saved,
so reading a model never validates it again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from junkan.store.db import Database
from junkan.store.tables import Base


class ModelCard(Base):
    __tablename__ = "model_cards"
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"),
                                          primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    schema: Mapped[str] = mapped_column(String(16))
    """Card layout version: a card of another layout is recomputed."""
    card: Mapped[dict[str, Any]] = mapped_column(JSON)


CARD_SCHEMA = "1"


def read_card(db: Database, model_id: str, version: int) -> dict[str, Any] | None:
    """The stored card of a version, or None when there is none of the current layout."""
    with db.session() as s:
        row = s.scalar(select(ModelCard).where(ModelCard.model_id == model_id,
                                               ModelCard.version == version))
        return dict(row.card) if row is not None and row.schema == CARD_SCHEMA else None


def write_card(db: Database, model_id: str, version: int, card: dict[str, Any]) -> None:
    """Store (or replace) the card of a version. Two first reads of a version at once both
    store its card: the second finds the first's row and leaves it (the same card, computed
    from the same content), where it answered 500 (review 273)."""
    try:
        with db.session() as s:
            row = s.get(ModelCard, (model_id, version))
            if row is None:
                s.add(ModelCard(model_id=model_id, version=version, schema=CARD_SCHEMA,
                                card=card))
            else:
                row.schema, row.card = CARD_SCHEMA, card
    except IntegrityError:
        pass
