"""Organisation-scoped data access. Every read takes the caller's organisation and returns
``None`` for records that organisation may not see, so the API answers 404 — never 403 — and
nobody can infer that another organisation's record exists."""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from junkan.core.errors import JunkanError
from junkan.store.db import Database
from junkan.store.tables import (
    ROLES,
    AccessToken,
    ApiClient,
    AuditEvent,
    LoginThrottle,
    ModelRecord,
    ModelShare,
    ModelVersion,
    Organisation,
    Run,
    RunResult,
    RunTable,
    User,
    new_id,
    now,
)

_hasher = PasswordHasher()
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
DELETED_DOMAIN = "deleted.invalid"
"""Deleted users keep their row (records name them) as ``deleted-<id>@deleted.invalid``."""


class AccountError(Exception):
    """An account change that cannot be made; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Lockout:
    """Throttle rule for one kind of key: ``failures`` failed attempts are free; the one that
    reaches it locks the key for ``base_seconds``, each further one doubles that, up to
    ``max_seconds``. Failures are forgotten ``forget_seconds`` after the last one (or the end
    of the last lock)."""

    failures: int
    base_seconds: float
    max_seconds: float
    forget_seconds: float

    def seconds(self, failures: int) -> float:
        if failures < self.failures:
            return 0.0
        return float(min(self.base_seconds * 2.0 ** min(failures - self.failures, 40),
                         self.max_seconds))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(dt: datetime) -> datetime:
    """SQLite returns naive datetimes; they were stored as UTC."""
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class QuotaExceeded(JunkanError):
    """An organisation's stored models and results would exceed its storage quota."""

    http_status = 413


class Store:
    """The repositories, over one :class:`Database`.

    ``quota_bytes`` caps what one organisation stores (model versions plus run result
    tables; 0 = no cap); ``keep_versions`` keeps only the newest N versions of each model
    (0 = all), never deleting a version that a run refers to."""

    def __init__(self, db: Database, *, quota_bytes: int = 0, keep_versions: int = 0) -> None:
        self.db = db
        self.quota_bytes = quota_bytes
        self.keep_versions = keep_versions

    # ---- organisations, users, credentials -------------------------------------------------
    def create_organisation(self, name: str) -> Organisation:
        with self.db.session() as s:
            org = Organisation(name=name)
            s.add(org)
            return org

    def organisation_by_name(self, name: str) -> Organisation | None:
        with self.db.session() as s:
            return s.scalar(select(Organisation).where(Organisation.name == name))

    def list_organisations(self) -> list[Organisation]:
        with self.db.session() as s:
            return list(s.scalars(select(Organisation).order_by(Organisation.name)))

    def create_user(self, org_id: str, email: str, password: str, display_name: str,
                    role: str = "member", actor_id: str | None = None) -> User:
        """A new user. Raises :class:`AccountError` for a malformed e-mail address or role
        (422) and for an address that is taken (409). The password policy is the caller's
        (``junkan.api.passwords.check_password``)."""
        email = email.strip().lower()
        if not _EMAIL.fullmatch(email) or len(email) > 320:
            raise AccountError("not an e-mail address", 422)
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}", 422)
        display_name = display_name.strip() or email.split("@")[0]
        try:
            with self.db.session() as s:
                if s.scalar(select(User.id).where(User.email == email)) is not None:
                    raise AccountError("that e-mail address is already registered")
                user = User(org_id=org_id, email=email, display_name=display_name[:200],
                            password_hash=_hasher.hash(password), role=role)
                s.add(user)
                s.flush()
                self.audit(s, org_id, actor_id or user.id, "user.create", "user", user.id,
                           {"role": role, **self._by(actor_id)})
                return user
        except IntegrityError:  # a concurrent create of the same address
            raise AccountError("that e-mail address is already registered") from None

    @staticmethod
    def _by(actor_id: str | None) -> dict[str, str]:
        return {} if actor_id else {"by": "operator"}

    def user_by_email(self, email: str) -> User | None:
        """The user (active or disabled, not deleted) with this address."""
        with self.db.session() as s:
            return s.scalar(select(User).where(User.email == email.strip().lower(),
                                               User.deleted_at.is_(None)))

    def get_user(self, user_id: str, org_id: str | None = None) -> User | None:
        """A user that is not deleted; with ``org_id``, only one of that organisation."""
        with self.db.session() as s:
            return self._user(s, user_id, org_id)

    @staticmethod
    def _user(s: Session, user_id: str, org_id: str | None, lock: bool = False
              ) -> User | None:
        q = select(User).where(User.id == user_id, User.deleted_at.is_(None))
        if org_id is not None:
            q = q.where(User.org_id == org_id)
        return s.scalar(q.with_for_update() if lock else q)

    def list_users(self, org_id: str | None = None) -> list[User]:
        with self.db.session() as s:
            q = select(User).where(User.deleted_at.is_(None))
            if org_id is not None:
                q = q.where(User.org_id == org_id)
            return list(s.scalars(q.order_by(User.email)))

    @staticmethod
    def _keep_an_admin(s: Session, user: User) -> None:
        """Refuse a change that leaves ``user``'s organisation without an active admin."""
        if user.role != "admin" or not user.active:
            return
        others = s.scalars(select(User.id).where(
            User.org_id == user.org_id, User.role == "admin", User.id != user.id,
            User.disabled_at.is_(None), User.deleted_at.is_(None)).with_for_update())
        if not list(others):
            raise AccountError("an organisation needs at least one active administrator")

    def set_role(self, user_id: str, role: str, *, org_id: str | None = None,
                 actor_id: str | None = None, keep_admin: bool = False) -> User | None:
        """None: no such user (in ``org_id``). ``keep_admin``: refuse to demote the last
        active admin (:class:`AccountError`)."""
        return self.update_user(user_id, role=role, org_id=org_id, actor_id=actor_id,
                                keep_admin=keep_admin)

    def set_disabled(self, user_id: str, disabled: bool, *, org_id: str | None = None,
                     actor_id: str | None = None, keep_admin: bool = False) -> User | None:
        """Disable (every token is revoked at once; clients and password stop working) or
        enable a user. None: no such user (in ``org_id``)."""
        return self.update_user(user_id, disabled=disabled, org_id=org_id,
                                actor_id=actor_id, keep_admin=keep_admin)

    def update_user(self, user_id: str, *, role: str | None = None,
                    disabled: bool | None = None, org_id: str | None = None,
                    actor_id: str | None = None, keep_admin: bool = False) -> User | None:
        """Change role and/or status in one transaction (see :meth:`set_role`,
        :meth:`set_disabled`). None: no such user (in ``org_id``)."""
        if role is not None and role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}", 422)
        with self.db.session() as s:
            user = self._user(s, user_id, org_id, lock=True)
            if user is None:
                return None
            if keep_admin and (role not in (None, "admin") or disabled):
                self._keep_an_admin(s, user)
            by = self._by(actor_id)
            if role is not None and user.role != role:
                user.role = role
                self.audit(s, user.org_id, actor_id, "user.role", "user", user.id,
                           {"role": role, **by})
            if disabled and user.disabled_at is None:
                user.disabled_at = now()
                s.execute(delete(AccessToken).where(AccessToken.user_id == user.id))
                self.audit(s, user.org_id, actor_id, "user.disable", "user", user.id, by)
            elif disabled is False and user.disabled_at is not None:
                user.disabled_at = None
                self.audit(s, user.org_id, actor_id, "user.enable", "user", user.id, by)
            return user

    def delete_user(self, user_id: str, *, org_id: str | None = None,
                    actor_id: str | None = None, keep_admin: bool = False) -> bool:
        """Delete a user: tokens and API clients go; the row stays (models, runs and audit
        events refer to it) with e-mail, name and password erased, so the address can be
        registered again. False: no such user (in ``org_id``)."""
        with self.db.session() as s:
            user = self._user(s, user_id, org_id, lock=True)
            if user is None:
                return False
            if keep_admin:
                self._keep_an_admin(s, user)
            s.execute(delete(AccessToken).where(AccessToken.user_id == user.id))
            s.execute(delete(ApiClient).where(ApiClient.user_id == user.id))
            user.deleted_at = now()
            user.email = f"deleted-{user.id}@{DELETED_DOMAIN}"
            user.display_name = "deleted user"
            user.password_hash = "!"
            self.audit(s, user.org_id, actor_id, "user.delete", "user", user.id,
                       self._by(actor_id))
            return True

    def set_password(self, user_id: str, password: str, *, org_id: str | None = None,
                     actor_id: str | None = None, keep_token: str | None = None) -> bool:
        """Set a new password (policy is the caller's) and revoke the user's tokens but
        ``keep_token``. False: no such user (in ``org_id``)."""
        digest = _hasher.hash(password)
        with self.db.session() as s:
            user = self._user(s, user_id, org_id, lock=True)
            if user is None:
                return False
            user.password_hash = digest
            q = delete(AccessToken).where(AccessToken.user_id == user.id)
            if keep_token is not None:
                q = q.where(AccessToken.token_hash != _digest(keep_token))
            s.execute(q)
            self.audit(s, user.org_id, actor_id, "user.password", "user", user.id,
                       self._by(actor_id))
            return True

    def check_password(self, user_id: str, password: str) -> bool:
        """True if ``password`` is the (active) user's."""
        with self.db.session() as s:
            user = self._user(s, user_id, None)
            if user is None:
                _hasher.hash(password)
                return False
            return self._verify(user.password_hash, password) and user.active

    @staticmethod
    def _verify(digest: str, password: str) -> bool:
        try:
            return bool(_hasher.verify(digest, password))
        except (VerificationError, InvalidHashError):
            return False

    def authenticate(self, email: str, password: str) -> User | None:
        """The active user with this e-mail and password. Unknown addresses cost one Argon2
        hash too, and a disabled user answers exactly like a wrong password."""
        with self.db.session() as s:
            user = s.scalar(select(User).where(User.email == email.strip().lower(),
                                               User.deleted_at.is_(None)))
            if user is None:
                _hasher.hash(password)  # same cost whether or not the user exists
                return None
            if not self._verify(user.password_hash, password) or not user.active:
                return None
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            return user

    def create_client(self, user_id: str, name: str) -> tuple[str, str]:
        """A client-credentials pair for ``user_id``; the secret is shown once."""
        client_id = "jk_" + secrets.token_hex(12)
        secret = secrets.token_urlsafe(32)
        with self.db.session() as s:
            s.add(ApiClient(id=client_id, user_id=user_id, name=name[:200],
                            secret_hash=_hasher.hash(secret)))
            user = s.get(User, user_id)
            if user is not None:
                self.audit(s, user.org_id, user_id, "client.create", "client", client_id,
                           {"name": name[:200]})
        return client_id, secret

    def client_user(self, client_id: str, secret: str) -> User | None:
        """The active user acting through this client, if the secret is right."""
        with self.db.session() as s:
            client = s.get(ApiClient, client_id)
            if client is None:
                _hasher.hash(secret)
                return None
            if not self._verify(client.secret_hash, secret):
                return None
            user = s.get(User, client.user_id)
            if user is None or not user.active:
                return None
            client.last_used_at = now()
            return user

    def list_clients(self, *, org_id: str | None = None, user_id: str | None = None
                     ) -> list[tuple[ApiClient, User]]:
        """API clients with their users, of an organisation and/or a user (all without)."""
        with self.db.session() as s:
            q = select(ApiClient, User).join(User, User.id == ApiClient.user_id)
            if org_id is not None:
                q = q.where(User.org_id == org_id)
            if user_id is not None:
                q = q.where(ApiClient.user_id == user_id)
            return [(c, u) for c, u in s.execute(q.order_by(ApiClient.created_at))]

    def revoke_client(self, client_id: str, *, org_id: str | None = None,
                      user_id: str | None = None, actor_id: str | None = None) -> bool:
        """Delete a client and the tokens issued to it. False: no such client (of
        ``org_id`` / ``user_id``)."""
        with self.db.session() as s:
            q = select(ApiClient, User).join(User, User.id == ApiClient.user_id).where(
                ApiClient.id == client_id)
            if org_id is not None:
                q = q.where(User.org_id == org_id)
            if user_id is not None:
                q = q.where(ApiClient.user_id == user_id)
            row = s.execute(q).first()
            if row is None:
                return False
            client, user = row
            s.execute(delete(AccessToken).where(AccessToken.client_id == client.id))
            s.delete(client)
            self.audit(s, user.org_id, actor_id, "client.revoke", "client", client.id,
                       {"user": user.id, **self._by(actor_id)})
            return True

    def issue_token(self, user_id: str, kind: str, ttl_seconds: int,
                    client_id: str | None = None) -> str:
        token = secrets.token_urlsafe(32)
        with self.db.session() as s:
            s.add(AccessToken(token_hash=_digest(token), id=new_id(), user_id=user_id,
                              kind=kind, client_id=client_id,
                              expires_at=now() + timedelta(seconds=ttl_seconds)))
        return token

    def token_user(self, token: str, kind: str) -> User | None:
        grant = self.token_grant(token, kind)
        return None if grant is None else grant[0]

    def token_grant(self, token: str, kind: str) -> tuple[User, datetime] | None:
        """The active user of a valid ``token`` of ``kind`` and when the token expires
        (UTC)."""
        with self.db.session() as s:
            row = s.get(AccessToken, _digest(token))
            if row is None or row.kind != kind or _aware(row.expires_at) < now():
                return None
            user = s.get(User, row.user_id)
            if user is None or not user.active:
                return None
            return user, _aware(row.expires_at)

    def token_id(self, token: str) -> str | None:
        """The public handle of a token."""
        with self.db.session() as s:
            row = s.get(AccessToken, _digest(token))
            return None if row is None else row.id

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

    def list_tokens(self, user_id: str) -> list[AccessToken]:
        """The user's unexpired tokens and sessions, newest first."""
        with self.db.session() as s:
            return list(s.scalars(select(AccessToken).where(
                AccessToken.user_id == user_id, AccessToken.expires_at >= now())
                .order_by(AccessToken.created_at.desc())))

    def revoke_token_id(self, user_id: str, token_id: str) -> bool:
        with self.db.session() as s:
            res = s.execute(delete(AccessToken).where(AccessToken.user_id == user_id,
                                                      AccessToken.id == token_id))
            return bool(getattr(res, "rowcount", 0))

    def revoke_user_tokens(self, user_id: str, *, org_id: str | None = None,
                           actor_id: str | None = None, keep_token: str | None = None
                           ) -> int | None:
        """Revoke every token and session of a user but ``keep_token``; the count, or None
        for no such user (in ``org_id``)."""
        with self.db.session() as s:
            user = self._user(s, user_id, org_id)
            if user is None:
                return None
            q = delete(AccessToken).where(AccessToken.user_id == user.id)
            if keep_token is not None:
                q = q.where(AccessToken.token_hash != _digest(keep_token))
            n = int(getattr(s.execute(q), "rowcount", 0) or 0)
            self.audit(s, user.org_id, actor_id, "user.revoke_tokens", "user", user.id,
                       {"count": n, **self._by(actor_id)})
            return n

    # ---- login throttling ------------------------------------------------------------------
    def throttle_retry_after(self, keys: list[str]) -> float | None:
        """Seconds until every key is unlocked, or None if none is locked (read only)."""
        at = now()
        with self.db.session() as s:
            until = s.scalars(select(LoginThrottle.locked_until).where(
                LoginThrottle.key.in_(keys), LoginThrottle.locked_until.is_not(None)))
            waits = [(_aware(u) - at).total_seconds() for u in until if u is not None]
        wait = max(waits, default=0.0)
        return wait if wait > 0 else None

    def throttle_begin(self, rules: dict[str, Lockout]) -> float | None:
        """Start a sign-in attempt under every key: if one is locked, the seconds it stays
        locked (nothing counted); else each key's count goes up by one *before* the password
        is checked — so concurrent guesses cannot slip past the limit — and a key reaching its
        rule's limit is locked. :meth:`throttle_success` undoes the count."""
        at = now()
        keys = sorted(rules)
        with self.db.session() as s:
            self._throttle_rows(s, keys, at)
            rows = {r.key: r for r in s.scalars(select(LoginThrottle).where(
                LoginThrottle.key.in_(keys)).with_for_update())}
            waits = [(_aware(r.locked_until) - at).total_seconds() for r in rows.values()
                     if r.locked_until is not None]
            wait = max(waits, default=0.0)
            if wait > 0:
                return wait
            for key in keys:
                row, rule = rows[key], rules[key]
                last = max(_aware(row.updated_at), _aware(row.locked_until or row.updated_at))
                if (at - last).total_seconds() > rule.forget_seconds:
                    row.failures = 0
                row.failures += 1
                row.updated_at = at
                lock = rule.seconds(row.failures)
                row.locked_until = at + timedelta(seconds=lock) if lock else None
        self._prune_throttle(at)
        return None

    def throttle_success(self, reset: list[str], undo: list[str]) -> None:
        """A sign-in succeeded: the ``reset`` keys (the account) start again from zero; the
        ``undo`` keys (the address) lose the count and lock this attempt added."""
        with self.db.session() as s:
            if reset:
                s.execute(update(LoginThrottle).where(LoginThrottle.key.in_(reset)).values(
                    failures=0, locked_until=None))
            if undo:
                s.execute(update(LoginThrottle).where(
                    LoginThrottle.key.in_(undo), LoginThrottle.failures > 0).values(
                    failures=LoginThrottle.failures - 1, locked_until=None))

    def throttle_clear(self, keys: list[str]) -> int:
        """Forget the failures and locks of these keys; how many were there."""
        with self.db.session() as s:
            res = s.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys),
                                                        LoginThrottle.failures > 0))
            return int(getattr(res, "rowcount", 0) or 0)

    def _throttle_rows(self, s: Session, keys: list[str], at: datetime) -> None:
        """Make sure a row exists for each key (concurrent creators do not collide)."""
        dialect = self.db.dialect
        values = [{"key": k, "failures": 0, "locked_until": None, "updated_at": at}
                  for k in keys]
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            s.execute(sqlite_insert(LoginThrottle).values(values).on_conflict_do_nothing())
            return
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            s.execute(pg_insert(LoginThrottle).values(values).on_conflict_do_nothing())
            return
        for v in values:  # pragma: no cover - other databases
            if s.get(LoginThrottle, v["key"]) is None:
                with contextlib.suppress(IntegrityError), s.begin_nested():
                    s.execute(insert(LoginThrottle).values(**v))

    _pruned = 0.0

    def _prune_throttle(self, at: datetime) -> None:
        """Drop rows idle for a day (at most every 5 minutes)."""
        if time.monotonic() - self._pruned < 300:
            return
        self._pruned = time.monotonic()
        with self.db.session() as s:
            s.execute(delete(LoginThrottle).where(
                LoginThrottle.updated_at < at - timedelta(days=1),
                or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < at)))

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
                    content: str, fmt: str, comment: str | None = None) -> ModelRecord | None:
        """Save a new version; the previous ones are kept. Only the owner may."""
        with self.db.session() as s:
            rec = self._owned(s, user.org_id, model_id, lock=True)
            if rec is None:
                return None
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
                     "created_at": _aware(at)}
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
                   overrides: dict[str, Any]) -> Run:
        with self.db.session() as s:
            self._check_quota(s, user.org_id, 0)
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
