"""Password and client-secret hashing: Argon2id.

The default is argon2-cffi's own (RFC 9106, section 4, second recommended option: time cost 3,
64 MiB, parallelism 4; about 0.2 s per hash on one core). A hash records its parameters, so
verification works whatever the setting was when it was made.

``JUNKAN_PASSWORD_HASHING=insecure-fast-for-tests`` switches to argon2-cffi's ``CHEAPEST``
profile (8 KiB, one pass) for test suites that create thousands of users and sign-ins. It
gives no protection to a stolen database: the service logs a warning at every start while it
is set (:func:`warn_if_insecure`). Anything other than the two names is refused."""

from __future__ import annotations

import logging
import os
from functools import lru_cache

from argon2 import PasswordHasher, profiles

ENV = "JUNKAN_PASSWORD_HASHING"
STANDARD = "standard"
INSECURE = "insecure-fast-for-tests"

log = logging.getLogger(__name__)


def setting() -> str:
    """The hashing setting in force (``JUNKAN_PASSWORD_HASHING``; ``standard`` when unset)."""
    value = os.environ.get(ENV, "").strip() or STANDARD
    if value not in (STANDARD, INSECURE):
        raise ValueError(f"{ENV}={value!r}: use {STANDARD!r} (the default) or {INSECURE!r}")
    return value


@lru_cache(maxsize=2)
def _hasher(kind: str) -> PasswordHasher:
    if kind == INSECURE:
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher()


def hasher() -> PasswordHasher:
    """The Argon2id hasher of the current setting."""
    return _hasher(setting())


def warn_if_insecure() -> bool:
    """Log a warning when the insecure test setting is on; True then."""
    if setting() != INSECURE:
        return False
    log.warning("%s=%s: passwords and client secrets are hashed with almost no cost; "
                "never use this outside a test suite", ENV, INSECURE)
    return True


def needs_rehash(digest: str) -> bool:
    """True when ``digest`` was made with other parameters than the standard ones (it is then
    hashed again at the next sign-in); never under the test setting, which would weaken it."""
    return setting() == STANDARD and hasher().check_needs_rehash(digest)
