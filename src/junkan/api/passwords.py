"""Password policy, shared by the API and ``junkan admin``.

A password is refused (:class:`PasswordRejected`, naming the rule) when it

* ``min_length``: has fewer than 12 characters (:data:`MIN_LENGTH`);
* ``max_length``: has more than 1024 (:data:`MAX_LENGTH`; a bound on the work of hashing);
* ``common``: is, ignoring case, one of the 19,640 common passwords of the shipped breached-
  password list (``junkan/data/common-passwords.txt``: source and licence in its header), or
  is one of them with only digits, punctuation or spaces around it (``Sunshine2024!``);
* ``email``: equals the account's e-mail address or the part before the ``@``, ignoring case.

Nothing else (no composition rules, no expiry), following NIST SP 800-63B §3.1.1.2.
"""

from __future__ import annotations

import re
import secrets
from functools import lru_cache
from importlib import resources

MIN_LENGTH = 12
MAX_LENGTH = 1024
LIST_FILE = "common-passwords.txt"
_AFFIX = re.compile(r"^[\W\d_]+|[\W\d_]+$")


class PasswordRejected(ValueError):
    """The password breaks ``rule`` (``min_length``, ``max_length``, ``common``, ``email``)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"password rejected ({rule}): {message}")
        self.rule = rule


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list, lower case (the file's header ends at its first empty line)."""
    text = (resources.files("junkan.data") / LIST_FILE).read_text("utf-8")
    _, _, body = text.partition("\n\n")
    return frozenset(line.strip() for line in body.splitlines() if line.strip())


def check_password(password: str, email: str | None = None) -> None:
    """Raise :class:`PasswordRejected` if ``password`` breaks the policy (module doc)."""
    n = len(password)
    if n < MIN_LENGTH:
        raise PasswordRejected("min_length", f"use at least {MIN_LENGTH} characters "
                                             f"(this one has {n})")
    if n > MAX_LENGTH:
        raise PasswordRejected("max_length", f"use at most {MAX_LENGTH} characters")
    lower = password.lower()
    if email:
        address = email.strip().lower()
        if lower.strip() in (address, address.split("@")[0]):
            raise PasswordRejected("email", "it must not be your e-mail address")
    common = common_passwords()
    core = _AFFIX.sub("", lower)
    if lower in common or lower.strip() in common or (core and core in common):
        raise PasswordRejected("common", "it is on the list of common breached passwords; "
                                         "choose a longer phrase of unrelated words")


def generate_password() -> str:
    """A random password that meets the policy (20 URL-safe characters, 120 bits)."""
    while True:
        password = secrets.token_urlsafe(15)
        try:
            check_password(password)
        except PasswordRejected:  # pragma: no cover - practically never
            continue
        return password
