"""Accounts: organisations, users, roles, passwords, API clients, tokens and sign-in
throttling. Reads are organisation-scoped like every repository."""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from junkan.store.passwords import hasher, needs_rehash
from junkan.store.repo_base import RepoBase, get_for_update
from junkan.store.tables import (
    ROLES,
    AccessToken,
    ApiClient,
    LoginThrottle,
    Organisation,
    User,
    new_id,
    now,
)

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



class AccountsRepo(RepoBase):
    """Organisations, users, credentials and sign-in throttling."""

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
                            password_hash=hasher().hash(password), role=role)
                s.add(user)
                s.flush()
                self.audit(s, org_id, actor_id or user.id, "user.create", "user", user.id,
                           {"role": role, **self._by(actor_id)})
                return user
        except IntegrityError:  # a concurrent create of the same address
            raise AccountError("that e-mail address is already registered") from None


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

    def _user_of_locked_org(self, s: Session, user_id: str, org_id: str | None
                            ) -> User | None:
        """:meth:`_user`, its organisation locked first (review 273: two admins demoting
        each other at once both passed the last-admin check; PostgreSQL could deadlock)."""
        org = s.scalar(select(User.org_id).where(User.id == user_id))  # never changes
        if org is not None:
            get_for_update(s, Organisation, org)
        return self._user(s, user_id, org_id, lock=True)

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
            user = self._user_of_locked_org(s, user_id, org_id)
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
            user = self._user_of_locked_org(s, user_id, org_id)
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
        digest = hasher().hash(password)
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
                hasher().hash(password)
                return False
            return self._verify(user.password_hash, password) and user.active

    @staticmethod
    def _verify(digest: str, password: str) -> bool:
        try:
            return bool(hasher().verify(digest, password))
        except (VerificationError, InvalidHashError):
            return False

    def authenticate(self, email: str, password: str) -> User | None:
        """The active user with this e-mail and password. Unknown addresses cost one Argon2
        hash too, and a disabled user answers exactly like a wrong password."""
        with self.db.session() as s:
            user = s.scalar(select(User).where(User.email == email.strip().lower(),
                                               User.deleted_at.is_(None)))
            if user is None:
                hasher().hash(password)  # same cost whether or not the user exists
                return None
            if not self._verify(user.password_hash, password) or not user.active:
                return None
            if needs_rehash(user.password_hash):
                user.password_hash = hasher().hash(password)
            return user

    def create_client(self, user_id: str, name: str) -> tuple[str, str]:
        """A client-credentials pair for ``user_id``; the secret is shown once."""
        client_id = "jk_" + secrets.token_hex(12)
        secret = secrets.token_urlsafe(32)
        with self.db.session() as s:
            s.add(ApiClient(id=client_id, user_id=user_id, name=name[:200],
                            secret_hash=hasher().hash(secret)))
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
                hasher().hash(secret)
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

