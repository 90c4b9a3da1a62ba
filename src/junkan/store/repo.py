"""Organisation-scoped data access. Every read takes the caller's organisation and returns
``None`` for records that organisation may not see, so the API answers 404 — never 403 — and
nobody can infer that another organisation's record exists."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from junkan.store.db import Database
from junkan.store.tables import (
    AccessToken,
    ApiClient,
    AuditEvent,
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

_hasher = PasswordHasher()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(dt: datetime) -> datetime:
    """SQLite returns naive datetimes; they were stored as UTC."""
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class Store:
    """The repositories, over one :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- organisations, users, credentials -------------------------------------------------
    def create_organisation(self, name: str) -> Organisation:
        with self.db.session() as s:
            org = Organisation(name=name)
            s.add(org)
            return org

    def organisation_by_name(self, name: str) -> Organisation | None:
        with self.db.session() as s:
            return s.scalar(select(Organisation).where(Organisation.name == name))

    def create_user(self, org_id: str, email: str, password: str, display_name: str) -> User:
        with self.db.session() as s:
            user = User(org_id=org_id, email=email.lower(), display_name=display_name,
                        password_hash=_hasher.hash(password))
            s.add(user)
            s.flush()
            self.audit(s, org_id, user.id, "user.create", "user", user.id)
            return user

    def authenticate(self, email: str, password: str) -> User | None:
        with self.db.session() as s:
            user = s.scalar(select(User).where(User.email == email.lower()))
            if user is None:
                _hasher.hash(password)  # same cost whether or not the user exists
                return None
            try:
                _hasher.verify(user.password_hash, password)
            except (VerificationError, InvalidHashError):
                return None
            return user

    def create_client(self, user_id: str, name: str) -> tuple[str, str]:
        """A client-credentials pair for ``user_id``; the secret is shown once."""
        client_id = "jk_" + secrets.token_hex(12)
        secret = secrets.token_urlsafe(32)
        with self.db.session() as s:
            s.add(ApiClient(id=client_id, user_id=user_id, name=name,
                            secret_hash=_hasher.hash(secret)))
        return client_id, secret

    def client_user(self, client_id: str, secret: str) -> User | None:
        with self.db.session() as s:
            client = s.get(ApiClient, client_id)
            if client is None:
                _hasher.hash(secret)
                return None
            try:
                _hasher.verify(client.secret_hash, secret)
            except (VerificationError, InvalidHashError):
                return None
            return s.get(User, client.user_id)

    def issue_token(self, user_id: str, kind: str, ttl_seconds: int) -> str:
        token = secrets.token_urlsafe(32)
        with self.db.session() as s:
            s.add(AccessToken(token_hash=_digest(token), user_id=user_id, kind=kind,
                              expires_at=now() + timedelta(seconds=ttl_seconds)))
        return token

    def token_user(self, token: str, kind: str) -> User | None:
        grant = self.token_grant(token, kind)
        return None if grant is None else grant[0]

    def token_grant(self, token: str, kind: str) -> tuple[User, datetime] | None:
        """The user of a valid ``token`` of ``kind`` and when the token expires (UTC)."""
        with self.db.session() as s:
            row = s.get(AccessToken, _digest(token))
            if row is None or row.kind != kind or _aware(row.expires_at) < now():
                return None
            user = s.get(User, row.user_id)
            return None if user is None else (user, _aware(row.expires_at))

    def token_expired(self, token: str, kind: str) -> bool:
        """True if ``token`` was issued (of ``kind``) and has expired."""
        with self.db.session() as s:
            row = s.get(AccessToken, _digest(token))
            return row is not None and row.kind == kind and _aware(row.expires_at) < now()

    def revoke_token(self, token: str) -> None:
        with self.db.session() as s:
            row = s.get(AccessToken, _digest(token))
            if row is not None:
                s.delete(row)

    # ---- audit -----------------------------------------------------------------------------
    @staticmethod
    def audit(s: Session, org_id: str, user_id: str | None, action: str, target_type: str,
              target_id: str, detail: dict[str, Any] | None = None) -> None:
        s.add(AuditEvent(org_id=org_id, user_id=user_id, action=action,
                         target_type=target_type, target_id=target_id, detail=detail or {}))

    def audit_events(self, org_id: str, limit: int = 100) -> list[AuditEvent]:
        with self.db.session() as s:
            return list(s.scalars(select(AuditEvent).where(AuditEvent.org_id == org_id)
                                  .order_by(AuditEvent.id.desc()).limit(limit)))

    # ---- models ----------------------------------------------------------------------------
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

    def create_model(self, user: User, name: str, title: str | None, content: str,
                     fmt: str, comment: str | None = None) -> ModelRecord:
        with self.db.session() as s:
            rec = ModelRecord(org_id=user.org_id, name=name, title=title, latest_version=1)
            s.add(rec)
            s.flush()
            s.add(ModelVersion(model_id=rec.id, version=1, content=content, format=fmt,
                               created_by=user.id, comment=comment))
            self.audit(s, user.org_id, user.id, "model.create", "model", rec.id,
                       {"name": name})
            return rec

    def add_version(self, user: User, model_id: str, name: str, title: str | None,
                    content: str, fmt: str, comment: str | None = None) -> ModelRecord | None:
        """Save a new version; the previous ones are kept. Only the owner may."""
        with self.db.session() as s:
            rec = self._owned(s, user.org_id, model_id, lock=True)
            if rec is None:
                return None
            rec.latest_version += 1
            rec.name, rec.title, rec.updated_at = name, title, now()
            s.add(ModelVersion(model_id=rec.id, version=rec.latest_version, content=content,
                               format=fmt, created_by=user.id, comment=comment))
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

    # ---- runs ------------------------------------------------------------------------------
    def create_run(self, user: User, model_id: str, version: int, scenario: str,
                   overrides: dict[str, Any]) -> Run:
        with self.db.session() as s:
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
