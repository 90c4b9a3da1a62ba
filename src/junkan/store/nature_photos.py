"""Survey photos (junkan.nature.photo), one per synced observation, kept per organisation.

A photo lives in its own table, not in the observation's JSON document: observations are
listed, exported and compared on every sync, and none of that should read image bytes; the
bytes are read only when the photo itself is served. The row refers to the observation
(``observation_id``), so a photo never exists without its observation, and carries the
organisation for scoping: another organisation's photo is "not found", like trace records.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    delete,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from junkan.core.errors import JunkanError
from junkan.store.db import Database
from junkan.store.nature_survey import SurveyObservation
from junkan.store.repo_base import get_for_update
from junkan.store.tables import Base, Organisation, new_id, now

if TYPE_CHECKING:  # junkan.nature needs the 'nature' extra; the store does not
    from junkan.nature import Photo


class PhotoQuota(JunkanError):
    http_status = 413


class PhotoBusy(JunkanError):
    http_status = 409


class SurveyPhoto(Base):
    """The checked image bytes of one observation, with what the check found."""

    __tablename__ = "nature_photos"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    observation_id: Mapped[str] = mapped_column(
        ForeignKey("nature_observations.id", ondelete="CASCADE"), unique=True
    )
    media_type: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    exif_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    exif_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


META = ("media_type", "size", "width", "height", "sha256", "exif_lat", "exif_lon")
"""The columns described by :meth:`PhotoRepo.meta` (everything but the bytes)."""


class PhotoRepo:
    """Photos of an organisation's observations; ``quota_bytes`` caps their total per
    organisation (0: no cap)."""

    def __init__(self, db: Database, quota_bytes: int = 0) -> None:
        self.db, self.quota_bytes = db, quota_bytes

    def put(
        self, org_id: str, user_id: str, obs_id: str, photo: Photo, sha256: str
    ) -> dict[str, Any] | None:
        """Store (or replace) the photo of observation ``obs_id``; None when the
        organisation has no such observation. Returns the observation (``doc``) and the
        stored photo's description."""
        with self.db.session() as s:
            get_for_update(s, Organisation, org_id)  # quota summed and added at once (273)
            obs = s.scalar(
                select(SurveyObservation).where(
                    SurveyObservation.org_id == org_id, SurveyObservation.obs_id == obs_id
                )
            )
            if obs is None:
                return None
            old = s.scalar(select(SurveyPhoto).where(SurveyPhoto.observation_id == obs.id))
            if self.quota_bytes:
                used = s.scalar(
                    select(func.coalesce(func.sum(SurveyPhoto.size), 0)).where(
                        SurveyPhoto.org_id == org_id
                    )
                )
                if int(used or 0) - (old.size if old else 0) + len(photo.data) > self.quota_bytes:
                    raise PhotoQuota(
                        f"your organisation's photos would exceed {self.quota_bytes:,} bytes "
                        "(JUNKAN_ORG_QUOTA_BYTES); remove photos or ask the administrator"
                    )
            row = old or SurveyPhoto(org_id=org_id, observation_id=obs.id)
            row.media_type, row.size = photo.media_type, len(photo.data)
            row.width, row.height, row.sha256 = photo.width, photo.height, sha256
            row.exif_lat, row.exif_lon = photo.exif_lat, photo.exif_lon
            row.data, row.uploaded_by, row.created_at = photo.data, user_id, now()
            try:
                with s.begin_nested():
                    s.add(row)
            except IntegrityError:  # the same photo sent twice at once: one of them is kept
                raise PhotoBusy(
                    f"observation {obs_id!r}: another upload of its photo arrived at the "
                    "same time; send it again"
                ) from None
            return {"observation": dict(obs.doc), **{k: getattr(row, k) for k in META}}

    def has_observation(self, org_id: str, obs_id: str) -> bool:
        with self.db.session() as s:
            found = s.scalar(
                select(SurveyObservation.id).where(
                    SurveyObservation.org_id == org_id, SurveyObservation.obs_id == obs_id
                )
            )
            return found is not None

    def get(self, org_id: str, obs_id: str) -> tuple[str, bytes] | None:
        """(media type, bytes) of the photo, or None (no such observation or photo in the
        organisation)."""
        with self.db.session() as s:
            row = s.execute(
                select(SurveyPhoto.media_type, SurveyPhoto.data)
                .join(SurveyObservation, SurveyObservation.id == SurveyPhoto.observation_id)
                .where(SurveyPhoto.org_id == org_id, SurveyObservation.obs_id == obs_id)
            ).first()
            return None if row is None else (str(row[0]), bytes(row[1]))

    def remove(self, org_id: str, obs_id: str) -> bool:
        with self.db.session() as s:
            oid = s.scalar(
                select(SurveyObservation.id).where(
                    SurveyObservation.org_id == org_id, SurveyObservation.obs_id == obs_id
                )
            )
            if oid is None:
                return False
            n = s.execute(delete(SurveyPhoto).where(SurveyPhoto.observation_id == oid))
            return bool(getattr(n, "rowcount", 0))

    def meta(self, org_id: str, ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """Per observation id (all, or those in ``ids``): the description of its photo (no
        bytes are read)."""
        cols = [getattr(SurveyPhoto, k) for k in META]
        q = (
            select(SurveyObservation.obs_id, *cols)
            .join(SurveyObservation, SurveyObservation.id == SurveyPhoto.observation_id)
            .where(SurveyPhoto.org_id == org_id)
        )
        if ids is not None:
            q = q.where(SurveyObservation.obs_id.in_(ids))
        with self.db.session() as s:
            return {r[0]: dict(zip(META, r[1:], strict=True)) for r in s.execute(q)}
