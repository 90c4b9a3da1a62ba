"""Reuse traceability (リユース品の修理履歴): a serialised product carries its repair and
refurbishment history — who, when, which part was replaced, test results, the grade — that a
buyer of the reused product can read and check.

Each record is signed like a trace event: Ed25519 over the RFC 8785 canonical JSON of the
record without its ``signature``; the record names the product's serial and the SHA-256 of
the previous record (``prev``), so a record can be neither moved to another product nor
dropped, reordered or edited without :func:`verify` saying which and where.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal

import rfc8785
from nacl.bindings import crypto_sign, crypto_sign_open, crypto_sign_seed_keypair
from nacl.exceptions import CryptoError
from pydantic import Field, model_validator

from junkan.core.base import Strict
from junkan.core.documents import validate_with
from junkan.core.errors import ModelError, Problem
from junkan.core.fields import IsoDateTime
from junkan.policy.data import data_document

Text = Annotated[str, Field(min_length=1, max_length=500)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Finite = Annotated[float, Field(ge=-1e12, le=1e12, allow_inf_nan=False)]
B64 = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,200}$")]
GENESIS = "0" * 64
"""``prev`` of the first record."""
MAX_RECORDS = 10_000


class Product(Strict):
    serial: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")]
    category: Name
    maker: Name | None = None
    model: Name | None = None


class Part(Strict):
    part: Name
    part_number: Name | None = None
    reason: Text | None = None


class Test(Strict):
    name: Name
    value: Finite
    unit: Annotated[str, Field(max_length=20)] = ""
    min: Finite | None = None
    max: Finite | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Test:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}: no value passes")
        return self

    @property
    def passed(self) -> bool:
        lo = self.min if self.min is not None else float("-inf")
        hi = self.max if self.max is not None else float("inf")
        return lo <= self.value <= hi


class Grade(Strict):
    scale: Name
    """A scale of ``data/policy/reuse_grades.yaml`` or ``grading:<criteria set id>``."""
    value: Annotated[str, Field(min_length=1, max_length=60)]


class Record(Strict):
    type: Literal["repair", "refurbishment", "inspection", "grading"]
    by: Name
    at: IsoDateTime
    parts_replaced: list[Part] = Field(default_factory=list, max_length=200)
    tests: list[Test] = Field(default_factory=list, max_length=200)
    grade: Grade | None = None
    notes: Text | None = None
    prev: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None
    public_key: B64 | None = None
    signature: B64 | None = None

    @model_validator(mode="after")
    def _aware(self) -> Record:
        if self.at.tzinfo is None:
            raise ValueError("'at' needs a time zone (e.g. 2026-03-01T10:00:00+09:00)")
        return self


class History(Strict):
    """A product's reuse history (``kind: reuse_history``)."""

    kind: Literal["reuse_history"]
    product: Product
    records: list[Record] = Field(default_factory=list, max_length=MAX_RECORDS)


@lru_cache(maxsize=1)
def scales() -> dict[str, Any]:
    doc, _ = data_document("reuse_grades.yaml")
    return dict(doc["scales"])


def _grade_problem(g: Grade) -> str | None:
    if g.scale.startswith("grading:"):
        from junkan.grading import shipped_sets

        sid = g.scale.removeprefix("grading:")
        return None if sid in shipped_sets() else f"no grading criteria set {sid!r}"
    sc = scales().get(g.scale)
    if sc is None:
        return f"unknown scale {g.scale!r} (known: {', '.join(scales())}, grading:<set id>)"
    if g.value not in sc["grades"]:
        return f"grade {g.value!r} is not on scale {g.scale} ({', '.join(sc['grades'])})"
    return None


FUTURE = timedelta(days=1)
"""How far ahead of the clock a record's ``at`` may be when it is signed (time zones and
clocks a day apart); a record dated later is refused."""


def record_problems(rec: Record, now: datetime | None = None) -> list[Problem]:
    """What makes ``rec`` unfit to sign: a grade on no known scale or not on its scale, a
    grading record without a grade, a date in the future (a record is signed once the work
    is done). The history's reader refuses the first two too, but only after signing."""
    out = []
    if rec.grade is not None and (msg := _grade_problem(rec.grade)) is not None:
        out.append(Problem("grade", msg))
    if rec.type == "grading" and rec.grade is None:
        out.append(Problem("grade", "a grading record needs a grade"))
    if rec.at > (now or datetime.now(UTC)) + FUTURE:
        out.append(Problem("at", f"{rec.at.isoformat()} is in the future: a record is signed "
                           "once the work is done"))
    return out


def load_history(doc: dict[str, Any], source: str) -> History:
    """Validate a history: records in time order, grades on a known scale."""
    h = validate_with(History, doc, source)
    problems = []
    for i, r in enumerate(h.records):
        if i and r.at < h.records[i - 1].at:
            problems.append(Problem(f"records[{i}].at", "is earlier than the record before"))
        if r.grade is not None and (msg := _grade_problem(r.grade)) is not None:
            problems.append(Problem(f"records[{i}].grade", msg))
        if r.type == "grading" and r.grade is None:
            problems.append(Problem(f"records[{i}].grade", "a grading record needs a grade"))
    if problems:
        raise ModelError(problems, source)
    return h


# ---- signatures ----------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key() -> tuple[str, str]:
    """A new (private, public) Ed25519 key pair, raw bytes in base64url (as trace keys)."""
    seed = os.urandom(32)
    return _b64(seed), _b64(crypto_sign_seed_keypair(seed)[0])


def _payload(serial: str, rec: Record) -> dict[str, Any]:
    doc = rec.model_dump(mode="json", exclude_none=True, exclude={"signature"})
    doc["serial"] = serial
    return doc


def record_hash(serial: str, rec: Record) -> str:
    """SHA-256 (hex) of the canonical record, signature included: the next record's
    ``prev``."""
    doc = _payload(serial, rec)
    if rec.signature is not None:
        doc["signature"] = rec.signature
    return hashlib.sha256(rfc8785.dumps(doc)).hexdigest()


def sign(history: History, record: Record, private_key: str) -> History:
    """``history`` with ``record`` appended: chained to the last record and signed with
    ``private_key`` (base64url, 32 bytes)."""
    try:
        seed = _unb64(private_key)
    except (binascii.Error, ValueError):
        raise ValueError("the private key is not base64url") from None
    if len(seed) != 32:
        raise ValueError("an Ed25519 private key has 32 bytes")
    public, secret = crypto_sign_seed_keypair(seed)
    if problems := record_problems(record):
        raise ModelError(problems, "record")
    if history.records and record.at < history.records[-1].at:
        raise ValueError("the record is earlier than the last record of the history")
    serial = history.product.serial
    prev = record_hash(serial, history.records[-1]) if history.records else GENESIS
    rec = record.model_copy(update={"prev": prev, "public_key": _b64(public), "signature": None})
    sig = crypto_sign(rfc8785.dumps(_payload(serial, rec)), secret)[:64]
    rec = rec.model_copy(update={"signature": _b64(sig)})
    return history.model_copy(update={"records": [*history.records, rec]})


def _signature_ok(serial: str, rec: Record) -> bool:
    if rec.public_key is None or rec.signature is None:
        return False
    try:
        key, sig = _unb64(rec.public_key), _unb64(rec.signature)
        if len(key) != 32 or len(sig) != 64:
            return False
        crypto_sign_open(sig + rfc8785.dumps(_payload(serial, rec)), key)
        return True
    except (CryptoError, ValueError, binascii.Error):
        return False


def _same_key(key: str | None, known: str) -> bool:
    """Whether a record's key is the trusted one, by their bytes: a trusted key written with
    padding (``…=``) or in standard base64 (``+``, ``/``), which :func:`trusted_problems`
    accepts, was compared as text and every record of its author read "signed with a key
    that is not …'s", as if forged (review 318)."""
    if key is None:
        return False
    try:
        return _unb64(key) == _unb64(known)
    except (binascii.Error, ValueError):
        return False


def trusted_problems(trusted: dict[str, str]) -> list[Problem]:
    """Each organisation of ``trusted`` whose key is not an Ed25519 public key (base64url of
    32 bytes). Before, such a key only made every record of its author "DOES NOT VERIFY",
    as if the history had been forged."""
    problems = []
    for org, key in trusted.items():
        try:
            size = len(_unb64(key))
        except (binascii.Error, ValueError):
            size = -1
        if size != 32:
            problems.append(Problem(org, "is not an Ed25519 public key (base64url of 32 bytes, "
                                         "as `junkan policy reuse-key` prints)"))
    return problems


def verify(history: History, trusted: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Per record: ``signed`` (the signature holds for its content and key), ``chained``
    (``prev`` is the previous record's hash), ``key`` (``trusted``: the author's known public
    key matches — ``None`` when no key is known for it) and the ``problem`` in words.
    :class:`ModelError` when a trusted key is malformed (:func:`trusted_problems`)."""
    if trusted is not None and (bad := trusted_problems(trusted)):
        raise ModelError(bad, "trusted")
    out = []
    prev = GENESIS
    serial = history.product.serial
    for i, rec in enumerate(history.records):
        signed = _signature_ok(serial, rec)
        chained = rec.prev == prev
        key: bool | None = None
        if trusted is not None and rec.by in trusted:
            key = _same_key(rec.public_key, trusted[rec.by])
        problems = []
        if not signed:
            problems.append("unsigned" if rec.signature is None else "signature does not hold")
        if not chained:
            problems.append("not chained to the record before (dropped, reordered or edited)")
        if key is False:
            problems.append(f"signed with a key that is not {rec.by}'s")
        out.append(
            {
                "record": i,
                "by": rec.by,
                "signed": signed,
                "chained": chained,
                "key": key,
                "problem": "; ".join(problems),
            }
        )
        prev = record_hash(serial, rec)
    return out
