"""Models, their versions and shares, the storage quota and version retention, and runs
with their results. Reads take the caller's organisation and answer ``None`` for records it
may not see."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from junkan.core.errors import JunkanError
from junkan.store.repo_base import RepoBase, aware, get_for_update
from junkan.store.tables import (
    ModelRecord,
    ModelShare,
    ModelVersion,
    Organisation,
    Run,
    RunResult,
    RunTable,
    User,
    now,
)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
DELETED_DOMAIN = "deleted.invalid"
"""Deleted users keep their row (records name them) as ``deleted-<id>@deleted.invalid``."""



class QuotaExceeded(JunkanError):
    """An organisation's stored models and results would exceed its storage quota."""

    http_status = 413


class VersionMoved(JunkanError):
    """A new version saved on a base that is no longer the latest (HTTP 409)."""

    http_status = 409


class TooManyRuns(JunkanError):
    """The user has as many simulation runs queued or running as allowed (HTTP 429)."""

    http_status = 429
    http_headers = {"Retry-After": "10"}
    problem_code = "too-many-runs"


class ModelsRepo(RepoBase):
    """Models, versions, shares, quota and retention, runs."""

    quota_bytes: int
    keep_versions: int

    @staticmethod
    def _visible(s: Session, org_id: str, model_id: str) -> ModelRecord | None:
        shared = select(ModelShare.model_id).where(ModelShare.org_id == org_id)
        return s.scalar(select(ModelRecord).where(
            ModelRecord.id == model_id, ModelRecord.deleted_at.is_(None),
            or_(ModelRecord.org_id == org_id, ModelRecord.id.in_(shared))))

    @staticmethod
    def _owned(s: Session, org_id: str, model_id: str, lock: bool = False
               ) -> ModelRecord | None:
        """The model if ``org_id`` owns it (shares grant read and run, not write)."""
        q = select(ModelRecord).where(ModelRecord.id == model_id,
                                      ModelRecord.org_id == org_id,
                                      ModelRecord.deleted_at.is_(None))
        return s.scalar(q.with_for_update() if lock else q)

    def list_models(self, org_id: str) -> list[ModelRecord]:
        with self.db.session() as s:
            shared = select(ModelShare.model_id).where(ModelShare.org_id == org_id)
            return list(s.scalars(select(ModelRecord).where(
                ModelRecord.deleted_at.is_(None),
                or_(ModelRecord.org_id == org_id, ModelRecord.id.in_(shared)))
                .order_by(ModelRecord.created_at)))

    def get_model(self, org_id: str, model_id: str) -> ModelRecord | None:
        with self.db.session() as s:
            return self._visible(s, org_id, model_id)

    def get_version(self, org_id: str, model_id: str,
                    version: int | None = None) -> ModelVersion | None:
        with self.db.session() as s:
            rec = self._visible(s, org_id, model_id)
            if rec is None:
                return None
            return s.scalar(select(ModelVersion).where(
                ModelVersion.model_id == model_id,
                ModelVersion.version == (version or rec.latest_version)))

    def list_versions(self, org_id: str, model_id: str) -> list[ModelVersion] | None:
        with self.db.session() as s:
            if self._visible(s, org_id, model_id) is None:
                return None
            return list(s.scalars(select(ModelVersion).where(ModelVersion.model_id == model_id)
                                  .order_by(ModelVersion.version)))

    # ---- storage quota and version retention -----------------------------------------------
    @staticmethod
    def storage_used(s: Session, org_id: str) -> int:
        """Bytes an organisation stores: its model versions' text and its runs' tables."""
        text = s.scalar(select(func.coalesce(func.sum(func.length(ModelVersion.content)), 0))
                        .join(ModelRecord, ModelRecord.id == ModelVersion.model_id)
                        .where(ModelRecord.org_id == org_id)) or 0
        tables = s.scalar(select(func.coalesce(func.sum(func.length(RunTable.parquet)), 0))
                          .join(Run, Run.id == RunTable.run_id)
                          .where(Run.org_id == org_id)) or 0
        return int(text) + int(tables)

    def _check_quota(self, s: Session, org_id: str, adding: int) -> None:
        if self.quota_bytes and self.storage_used(s, org_id) + adding > self.quota_bytes:
            raise QuotaExceeded(
                f"your organisation's storage quota of {self.quota_bytes:,} bytes would be "
                "exceeded (JUNKAN_ORG_QUOTA_BYTES); delete models or ask the operator")

    def _apply_retention(self, s: Session, model_id: str, latest: int) -> None:
        if not self.keep_versions:
            return
        used = select(Run.version).where(Run.model_id == model_id)
        old = select(ModelVersion.version).where(
            ModelVersion.model_id == model_id,
            ModelVersion.version <= latest - self.keep_versions,
            ModelVersion.version.not_in(used))
        from junkan.store.cards import ModelCard

        s.execute(delete(ModelCard).where(ModelCard.model_id == model_id,
                                          ModelCard.version.in_(old)))
        s.execute(delete(ModelVersion).where(ModelVersion.model_id == model_id,
                                             ModelVersion.version.in_(old)))

    def create_model(self, user: User, name: str, title: str | None, content: str,
                     fmt: str, comment: str | None = None) -> ModelRecord:
        with self.db.session() as s:
            get_for_update(s, Organisation, user.org_id)  # quota: summed and added at once
            self._check_quota(s, user.org_id, len(content))
            rec = ModelRecord(org_id=user.org_id, name=name, title=title, latest_version=1)
            s.add(rec)
            s.flush()
            s.add(ModelVersion(model_id=rec.id, version=1, content=content, format=fmt,
                               created_by=user.id, comment=comment))
            self.audit(s, user.org_id, user.id, "model.create", "model", rec.id,
                       {"name": name})
            return rec

    def add_version(self, user: User, model_id: str, name: str, title: str | None,
                    content: str, fmt: str, comment: str | None = None,
                    base: int | None = None) -> ModelRecord | None:
        """Save a new version; the previous ones are kept. Only the owner may. With
        ``base``, the version the content was made from: :class:`VersionMoved` if another
        version was saved since (its change would be lost from the newest: review 273)."""
        with self.db.session() as s:
            get_for_update(s, Organisation, user.org_id)  # one version number per writer
            rec = self._owned(s, user.org_id, model_id, lock=True)
            if rec is None:
                return None
            if base is not None and rec.latest_version != base:
                raise VersionMoved(f"the model has a newer version (v{rec.latest_version}) "
                                   f"than the one edited (v{base}); reload it and save again")
            self._check_quota(s, user.org_id, len(content))
            rec.latest_version += 1
            rec.name, rec.title, rec.updated_at = name, title, now()
            s.add(ModelVersion(model_id=rec.id, version=rec.latest_version, content=content,
                               format=fmt, created_by=user.id, comment=comment))
            s.flush()
            self._apply_retention(s, rec.id, rec.latest_version)
            self.audit(s, user.org_id, user.id, "model.version", "model", rec.id,
                       {"version": rec.latest_version})
            return rec

    def delete_model(self, user: User, model_id: str) -> bool:
        """Soft delete (versions and results are kept for audit)."""
        with self.db.session() as s:
            rec = self._owned(s, user.org_id, model_id)
            if rec is None:
                return False
            rec.deleted_at = now()
            self.audit(s, user.org_id, user.id, "model.delete", "model", rec.id)
            return True

    def share_model(self, user: User, model_id: str, org_name: str) -> bool | None:
        """Share with another organisation. None: no such model for the caller; False: no
        such organisation."""
        with self.db.session() as s:
            get_for_update(s, Organisation, user.org_id)  # two shares at once: one row
            rec = self._owned(s, user.org_id, model_id)
            if rec is None:
                return None
            org = s.scalar(select(Organisation).where(Organisation.name == org_name))
            if org is None:
                return False
            if s.get(ModelShare, (model_id, org.id)) is None:
                s.add(ModelShare(model_id=model_id, org_id=org.id))
            self.audit(s, user.org_id, user.id, "model.share", "model", rec.id,
                       {"with": org_name})
            return True

    def list_shares(self, *, owner_org_id: str | None = None, model_id: str | None = None
                    ) -> list[dict[str, Any]]:
        """Shares of models (not deleted) owned by ``owner_org_id`` (every organisation's
        without), optionally of one model."""
        with self.db.session() as s:
            owner = Organisation.__table__.alias("owner")
            q = (select(ModelShare.model_id, ModelRecord.name, owner.c.name,
                        Organisation.name, ModelShare.created_at)
                 .join(ModelRecord, ModelRecord.id == ModelShare.model_id)
                 .join(owner, owner.c.id == ModelRecord.org_id)
                 .join(Organisation, Organisation.id == ModelShare.org_id)
                 .where(ModelRecord.deleted_at.is_(None)))
            if owner_org_id is not None:
                q = q.where(ModelRecord.org_id == owner_org_id)
            if model_id is not None:
                q = q.where(ModelShare.model_id == model_id)
            return [{"model_id": mid, "model": name, "owner": oname, "organisation": with_,
                     "created_at": aware(at)}
                    for mid, name, oname, with_, at in s.execute(
                        q.order_by(ModelRecord.name, Organisation.name))]

    def withdraw_share(self, model_id: str, org_name: str, *, owner_org_id: str | None = None,
                       actor_id: str | None = None) -> bool:
        """Stop sharing a model with an organisation (its runs of the model stay its own).
        False when the model (owned by ``owner_org_id``) is not shared with an organisation of
        that name — the same answer whether or not the organisation exists."""
        with self.db.session() as s:
            q = select(ModelRecord).where(ModelRecord.id == model_id,
                                          ModelRecord.deleted_at.is_(None))
            if owner_org_id is not None:
                q = q.where(ModelRecord.org_id == owner_org_id)
            rec = s.scalar(q)
            if rec is None:
                return False
            share = s.scalar(select(ModelShare).join(
                Organisation, Organisation.id == ModelShare.org_id).where(
                ModelShare.model_id == model_id, Organisation.name == org_name))
            if share is None:
                return False
            s.delete(share)
            self.audit(s, rec.org_id, actor_id, "model.unshare", "model", rec.id,
                       {"with": org_name, **self._by(actor_id)})
            return True

    # ---- runs ------------------------------------------------------------------------------
    def create_run(self, user: User, model_id: str, version: int, scenario: str,
                   overrides: dict[str, Any], *, max_active: int | None = None) -> Run:
        """A queued run; refuses (:class:`TooManyRuns`) a user with ``max_active`` runs
        queued or running (one user's queue would delay every organisation's runs)."""
        with self.db.session() as s:
            get_for_update(s, Organisation, user.org_id)  # quota and active runs, at once
            self._check_quota(s, user.org_id, 0)
            if max_active is not None:
                active = s.scalar(select(func.count()).select_from(Run).where(
                    Run.created_by == user.id, Run.status.in_(("queued", "running")))) or 0
                if active >= max_active:
                    raise TooManyRuns(f"you have {active} simulation runs queued or running, "
                                      f"the most one user may have; wait for one to finish")
            run = Run(org_id=user.org_id, model_id=model_id, version=version,
                      scenario=scenario, overrides=overrides, created_by=user.id)
            s.add(run)
            s.flush()
            self.audit(s, user.org_id, user.id, "run.create", "run", run.id,
                       {"model": model_id, "scenario": scenario})
            return run

    @staticmethod
    def _own_run(s: Session, org_id: str, run_id: str) -> Run | None:
        """The run if it belongs to ``org_id`` (runs are never shared)."""
        return s.scalar(select(Run).where(Run.id == run_id, Run.org_id == org_id))

    def get_run(self, org_id: str, run_id: str) -> Run | None:
        with self.db.session() as s:
            return self._own_run(s, org_id, run_id)

    def list_runs(self, org_id: str, model_id: str | None = None, limit: int = 200) -> list[Run]:
        with self.db.session() as s:
            q = select(Run).where(Run.org_id == org_id)
            if model_id is not None:
                q = q.where(Run.model_id == model_id)
            return list(s.scalars(q.order_by(Run.created_at.desc()).limit(limit)))

    def run_content(self, run_id: str) -> tuple[Run, ModelVersion] | None:
        """Internal (job runner): the run and the model version it simulates."""
        with self.db.session() as s:
            run = s.get(Run, run_id)
            if run is None:
                return None
            mv = s.scalar(select(ModelVersion).where(ModelVersion.model_id == run.model_id,
                                                     ModelVersion.version == run.version))
            return (run, mv) if mv is not None else None

    def mark_started(self, run_id: str) -> None:
        with self.db.session() as s:
            s.execute(update(Run).where(Run.id == run_id).values(status="running",
                                                                  started_at=now()))

    def set_progress(self, run_id: str, progress: float) -> None:
        with self.db.session() as s:
            s.execute(update(Run).where(Run.id == run_id).values(progress=progress))

    def finish_run(self, run_id: str, summary: dict[str, Any], tables: dict[str, bytes]) -> None:
        """Store the result and mark the run succeeded, in one transaction."""
        with self.db.session() as s:
            s.add(RunResult(run_id=run_id, summary=summary))
            for name, blob in tables.items():
                s.add(RunTable(run_id=run_id, name=name, parquet=blob))
            s.execute(update(Run).where(Run.id == run_id).values(
                status="succeeded", progress=1.0, finished_at=now()))

    def fail_run(self, run_id: str, message: str) -> None:
        with self.db.session() as s:
            s.execute(update(Run).where(Run.id == run_id).values(
                status="failed", error=message, finished_at=now()))

    def fail_interrupted(self) -> int:
        """At start-up: runs left queued or running by a stopped server are failed."""
        with self.db.session() as s:
            res = s.execute(update(Run).where(Run.status.in_(("queued", "running"))).values(
                status="failed", error="interrupted: the server stopped during the run; "
                                       "start it again", finished_at=now()))
            return int(getattr(res, "rowcount", 0) or 0)

    def run_result(self, org_id: str, run_id: str) -> dict[str, Any] | None:
        with self.db.session() as s:
            run = self._own_run(s, org_id, run_id)
            if run is None:
                return None
            res = s.get(RunResult, run_id)
            return res.summary if res is not None else None

    def run_table(self, org_id: str, run_id: str, name: str) -> bytes | None:
        with self.db.session() as s:
            run = self._own_run(s, org_id, run_id)
            if run is None:
                return None
            row = s.get(RunTable, (run_id, name))
            return row.parquet if row is not None else None
