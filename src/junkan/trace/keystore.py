"""The organisations' Ed25519 signing keys at rest: encrypted with AES-256-GCM under a master
key, bound to their organisation (the organisation id is the associated data, so a key
copied to another organisation's row does not decrypt).

The master key is a secret of at least 32 characters (``junkan admin`` / :func:`new_secret`
make 43-character ones), given by

1. ``JUNKAN_SECRET_KEY`` — one secret, or several separated by commas: the first encrypts,
   all decrypt (that is what a rotation needs for a while);
2. else ``JUNKAN_KEY_FILE`` — a file with one secret per line, the same order (``#``
   comments allowed), readable by its owner only;
3. else, in development only, a key file made next to a SQLite database
   (``var/junkan.db`` → ``var/junkan.db.key``, mode 0600) or ``var/junkan.key`` for other
   databases. Production mode refuses to start without 1 or 2 (:func:`master_key_problem`).

The AES key is HKDF-SHA256 of the secret (info ``junkan trace signing keys v1``), so the same
secret can serve other purposes without the keys being related. A stored key reads
``v1:<key id>:<base64url(nonce ‖ ciphertext)>``; the key id (8 hex digits of a hash of the
derived key) tells which master key it needs. Rotation: see ``docs/security-trace.md``."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from junkan.core.errors import JunkanError
from junkan.trace.signing import b64, unb64

log = logging.getLogger(__name__)

PREFIX = "v1"
MIN_SECRET_CHARS = 32
ENV_SECRET = "JUNKAN_SECRET_KEY"
ENV_FILE = "JUNKAN_KEY_FILE"


class KeyStoreError(JunkanError):
    """The master key is missing, malformed or not the one a stored key needs."""


def new_secret() -> str:
    """A fresh master secret (256 random bits, base64url)."""
    return secrets.token_urlsafe(32)


def _aes_key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"junkan trace signing keys v1").derive(secret.encode("utf-8"))


def _check_secret(secret: str, where: str) -> str:
    secret = secret.strip()
    if len(secret) < MIN_SECRET_CHARS:
        raise KeyStoreError(f"{where}: a master key needs at least {MIN_SECRET_CHARS} "
                            f"characters (got {len(secret)}); make one with "
                            "'python -c \"import secrets; print(secrets.token_urlsafe(32))\"'")
    return secret


class KeyRing:
    """Master keys: the first encrypts, every one decrypts (by key id)."""

    def __init__(self, secrets_: Sequence[str], source: str = "master key") -> None:
        if not secrets_:
            raise KeyStoreError(f"{source}: no master key given")
        self.source = source
        self._secrets = [_check_secret(s, source) for s in secrets_]
        self._keys: dict[str, AESGCM] = {}
        self._order: list[str] = []
        for s in self._secrets:
            raw = _aes_key(s)
            kid = hashlib.sha256(b"junkan key id" + raw).hexdigest()[:8]
            if kid not in self._keys:
                self._keys[kid] = AESGCM(raw)
                self._order.append(kid)

    @property
    def current_kid(self) -> str:
        return self._order[0]

    @property
    def kids(self) -> list[str]:
        return list(self._order)

    @property
    def secrets(self) -> list[str]:
        return list(self._secrets)

    def encrypt(self, org_id: str, private: str) -> str:
        """The stored form of ``org_id``'s private key (base64url raw Ed25519)."""
        nonce = os.urandom(12)
        ct = self._keys[self.current_kid].encrypt(nonce, private.encode("ascii"),
                                                  _aad(org_id))
        return f"{PREFIX}:{self.current_kid}:{b64(nonce + ct)}"

    def decrypt(self, org_id: str, stored: str) -> str:
        """The private key from its stored form; :class:`KeyStoreError` says why not."""
        kid = key_id(stored)
        if kid is None:
            raise KeyStoreError(f"the signing key of organisation {org_id} is stored "
                                "unencrypted; run the migrations (junkan's store encrypts "
                                "keys from revision 0006)")
        aes = self._keys.get(kid)
        if aes is None:
            raise UnknownKeyId(f"the signing key of organisation {org_id} was encrypted with "
                               f"master key {kid}, which is not among the configured ones "
                               f"({', '.join(self._order)}; {self.source}): give that key in "
                               f"{ENV_SECRET} or {ENV_FILE}")
        blob = unb64(stored.split(":", 2)[2])
        try:
            return aes.decrypt(blob[:12], blob[12:], _aad(org_id)).decode("ascii")
        except Exception:  # InvalidTag: wrong key, other organisation's row, or changed
            raise KeyStoreError(f"the signing key of organisation {org_id} does not decrypt "
                                f"with master key {kid} (altered, or copied from another "
                                "organisation)") from None


class UnknownKeyId(KeyStoreError):
    """A stored key needs a master key that is not configured (yet)."""


def _aad(org_id: str) -> bytes:
    return b"junkan-trace-key:" + org_id.encode("utf-8")


def key_id(stored: str) -> str | None:
    """The master key id a stored key needs, or None for an unencrypted (legacy) key."""
    parts = stored.split(":", 2)
    if len(parts) == 3 and parts[0] == PREFIX:
        return parts[1]
    return None


def public_of(private: str) -> str:
    """The base64url public key of a base64url raw Ed25519 private key."""
    key = Ed25519PrivateKey.from_private_bytes(unb64(private))
    return b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


# ---- where the master key comes from ----------------------------------------------------------
def default_key_file(database_url: str | None) -> Path:
    """Where development keeps an automatically made key file: next to a SQLite database
    file, else ``var/junkan.key``."""
    if database_url and database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            p = Path(path)
            return p.with_name(p.name + ".key")
    return Path("var/junkan.key")


def configured(env: dict[str, str] | None = None) -> bool:
    """Whether a master key is configured explicitly (environment or key file)."""
    env = dict(os.environ) if env is None else env
    return bool(env.get(ENV_SECRET, "").strip() or env.get(ENV_FILE, "").strip())


def master_key_problem(database_url: str | None = None,
                       env: dict[str, str] | None = None) -> str | None:
    """Why the service must not start in production as configured (None: it may). For
    ``junkan serve --production``: the signing keys need an explicit master key."""
    env = dict(os.environ) if env is None else env
    if not configured(env):
        return (f"no master key for the trace signing keys: set {ENV_SECRET} (a secret of "
                f"≥ {MIN_SECRET_CHARS} characters) or {ENV_FILE} (a file holding it, mode "
                "0600)")
    try:
        load_keyring(database_url, env=env, create=False)
    except KeyStoreError as exc:
        return str(exc)
    return None


def read_key_file(path: Path) -> list[str]:
    """The secrets of a key file, in order (refuses one that others may read)."""
    try:
        mode = path.stat().st_mode
        text = path.read_text("utf-8")
    except OSError as exc:
        raise KeyStoreError(f"{ENV_FILE} {path}: cannot read it ({exc.strerror})") from None
    if mode & 0o077:
        raise KeyStoreError(f"key file {path} may be read by others (mode "
                            f"{oct(mode & 0o777)}): chmod 600 {path}")
    lines = [ln.strip() for ln in text.splitlines()]
    return [ln for ln in lines if ln and not ln.startswith("#")]


def write_key_file(path: Path, secrets_: Sequence[str]) -> None:
    """Write (atomically, mode 0600) a key file holding ``secrets_`` (first: current)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# junkan master key(s): the first encrypts, all decrypt\n")
        fh.write("\n".join(secrets_) + "\n")
    os.replace(tmp, path)


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return  # made by another process meanwhile
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# junkan master key (made automatically for development)\n"
                 f"{new_secret()}\n")
    log.warning("made a development master key file %s: keep it with the database (the "
                "signing keys cannot be decrypted without it)", path)


def key_file_path(database_url: str | None, env: dict[str, str] | None = None) -> Path | None:
    """The key file in use: ``JUNKAN_KEY_FILE``, else the development default (None when
    ``JUNKAN_SECRET_KEY`` is set)."""
    env = dict(os.environ) if env is None else env
    if env.get(ENV_SECRET, "").strip():
        return None
    if env.get(ENV_FILE, "").strip():
        return Path(env[ENV_FILE].strip())
    return default_key_file(database_url)


def load_keyring(database_url: str | None, *, env: dict[str, str] | None = None,
                 create: bool = True) -> KeyRing:
    """The master keys as configured (see the module text); with ``create``, a development
    key file is made when nothing is configured."""
    env = dict(os.environ) if env is None else env
    text = env.get(ENV_SECRET, "").strip()
    if text:
        return KeyRing([s for s in (x.strip() for x in text.split(",")) if s], ENV_SECRET)
    if env.get(ENV_FILE, "").strip():
        path = Path(env[ENV_FILE].strip())
        return KeyRing(read_key_file(path), f"{ENV_FILE} {path}")
    if database_url and database_url.startswith("sqlite") and ":memory:" in database_url:
        return KeyRing([new_secret()], "in-memory database key")
    path = default_key_file(database_url)
    if not path.exists():
        if not create:
            raise KeyStoreError(f"no master key: set {ENV_SECRET} or {ENV_FILE}")
        _create_key_file(path)
    return KeyRing(read_key_file(path), f"key file {path}")
