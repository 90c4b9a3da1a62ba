"""The one access rule (junkan.trace.access), without a database: tiny cases checkable by
hand. Organisations: M made the lot, H holds it, S it was shipped to, G a grantee, X no one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from junkan.store.trace_base import GRANTABLE as BASE_GRANTABLE
from junkan.store.trace_base import HOLDER_FIELDS as BASE_HOLDER
from junkan.store.trace_repo import GRANTABLE as REPO_GRANTABLE
from junkan.store.trace_repo import HOLDER_FIELDS as REPO_HOLDER
from junkan.trace.access import GRANTABLE, HOLDER_FIELDS, Grant, visible_fields

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)


def grant(lots: set[str] | None = None, fields: set[str] | None = None, *,
          grantor: str = "M", grantee: str = "G", expires_at: datetime = LATER,
          revoked: bool = False) -> Grant:
    return Grant(grantor=grantor, grantee=grantee,
                 lots=None if lots is None else frozenset(lots),
                 fields=frozenset(fields or {"composition"}), expires_at=expires_at,
                 revoked=revoked)


def seen(viewer: str, *grants: Grant, owner: str = "H", shipped_to: str | None = "S",
         creator: str = "M", lot: str = "L1", now: datetime = NOW) -> frozenset[str] | None:
    return visible_fields(viewer, creator=creator, owner=owner, shipped_to=shipped_to, lot=lot,
                          grants=list(grants), now=now)


def test_the_vocabulary_is_one_and_re_exported_by_the_store() -> None:
    assert GRANTABLE == ("cfp", "recycled", "claims", "composition", "inputs", "site")
    assert frozenset({"cfp", "recycled", "claims"}) == HOLDER_FIELDS
    assert BASE_GRANTABLE is REPO_GRANTABLE is GRANTABLE
    assert BASE_HOLDER is REPO_HOLDER is HOLDER_FIELDS


def test_creator_sees_everything_holder_and_shipped_to_the_holder_fields() -> None:
    assert seen("M") == frozenset(GRANTABLE)
    assert seen("H") == HOLDER_FIELDS
    assert seen("S") == HOLDER_FIELDS
    assert seen("X") is None  # anyone else: not the lot at all
    assert seen("X", shipped_to=None) is None  # nothing shipped: no one is "shipped to"


def test_a_creator_that_still_holds_its_lot_sees_everything() -> None:
    assert seen("M", owner="M", shipped_to=None) == frozenset(GRANTABLE)
    assert seen("H", owner="M", shipped_to=None) is None  # the former holder is nobody


def test_an_active_agreement_grants_its_fields_to_its_grantee_only() -> None:
    g = grant({"L1"}, {"cfp", "composition"})
    assert seen("G", g) == frozenset({"cfp", "composition"})
    assert seen("X", g) is None  # not the grantee
    assert seen("G", g, lot="L2") is None  # another lot of the grantor
    assert seen("G", g, creator="Z") is None  # the same id made by someone else
    assert seen("G", grant({"L1"}, grantor="Z")) is None  # a grantor can grant its lots only


def test_the_holder_gets_granted_fields_on_top() -> None:
    assert seen("H", grant({"L1"}, {"composition"}, grantee="H")) == HOLDER_FIELDS | {
        "composition"}
    assert seen("S", grant(None, {"inputs"}, grantee="S")) == HOLDER_FIELDS | {"inputs"}


def test_a_star_grant_covers_every_lot_of_its_grantor() -> None:
    star = grant(None, {"site"})
    assert seen("G", star, lot="L1") == seen("G", star, lot="anything") == frozenset({"site"})
    assert seen("G", star, creator="Z") is None
    assert Grant.of("M", "G", ["*"], ["site"], LATER, False) == star
    assert Grant.of("M", "G", ["L1", "L2"], ["site"], LATER, False).lots == {"L1", "L2"}


def test_expiry_exactly_now_is_expired_and_a_second_earlier_is_not() -> None:
    assert seen("G", grant({"L1"}, expires_at=NOW)) is None
    assert seen("G", grant({"L1"}, expires_at=NOW - timedelta(days=1))) is None
    assert seen("G", grant({"L1"}, expires_at=NOW + timedelta(microseconds=1))) == {
        "composition"}
    # the holder keeps its own fields whatever happens to an agreement
    assert seen("H", grant({"L1"}, grantee="H", expires_at=NOW)) == HOLDER_FIELDS


def test_a_naive_expiry_is_read_as_utc() -> None:  # SQLite hands back naive datetimes
    naive = NOW.replace(tzinfo=None)
    assert seen("G", grant({"L1"}, expires_at=naive)) is None
    assert seen("G", grant({"L1"}, expires_at=naive + timedelta(seconds=1))) == {
        "composition"}


def test_a_revoked_agreement_grants_nothing() -> None:
    assert seen("G", grant({"L1"}, revoked=True)) is None
    both = [grant({"L1"}, {"cfp"}, revoked=True), grant({"L1"}, {"recycled"})]
    assert seen("G", *both) == frozenset({"recycled"})


def test_several_agreements_add_up() -> None:
    assert seen("G", grant({"L1"}, {"cfp"}), grant(None, {"claims", "cfp"})) == frozenset(
        {"cfp", "claims"})


def test_unknown_field_names_are_never_granted() -> None:
    assert seen("G", grant({"L1"}, {"password"})) is None
    assert seen("G", grant({"L1"}, {"password", "cfp"})) == frozenset({"cfp"})

