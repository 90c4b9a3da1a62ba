"""ISO 22095 mass balance (credit method, as ISCC EU 203 applies it): one account per
organisation × site × characteristic × balancing period.

* **Receipt credits.** A lot entering a site's account — received from another organisation
  or declared (created) there — credits ``mass × share`` for each recycled characteristic
  (pre-/post-consumer) at once, in the period of the event.
* **Claims debit.** A ``mass_balance`` step claims shares for its output; the claim is
  converted back to input terms by the step's conversion factor (yield = output / input
  mass), so it debits ``share × input mass``. No account may go negative.
* **Physical use debits too.** A credited lot consumed by any other step (or shipped away)
  passes its characteristic on physically, so its share of what is used leaves the account
  (``outflow``): otherwise the same recycled kilogram would be claimed twice. A split keeps
  the credit with its outputs (the same material, identity preserved).
* **Re-declaration adjusts.** When a supplier revises a lot (or a lot upstream of it), every
  entry booked from it is re-valued at the new share in the period it was booked in, if that
  period is open; claims no longer covered are flagged (``uncovered``), oldest covered first.
* **Periods are explicit** (``2026Q1``) and never end before the event's time (the batch's:
  events carry none of their own); a closed period takes no new bookings of its own
  organisation and carries its positive balance to the next period. A closed period's
  balance never changes again: a correction of it is booked in the first open period after
  it (where its carry went), whose claims are re-checked; a deficit that is not explained by
  claims flagged there is carried on when that period closes, never forgiven.

The functions here are the rules; the store (or a replay) hands in the :class:`Book`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

CHARACTERISTICS = (("pre_consumer", "rec_pre"), ("post_consumer", "rec_post"))
"""(characteristic, lot attribute holding its share)."""
SIGN = {"credit": 1, "carry_in": 1, "adjust": 1, "claim": -1, "outflow": -1, "carry_out": -1}
"""How an entry's mass moves its account's balance (masses are non-negative, except an
``adjust`` and the carry of a deficit, :func:`close`)."""
EPS = 1e-9
PERIOD = re.compile(r"^(\d{4})Q([1-4])$")


class MassBalanceError(ValueError):
    """A booking the rules refuse (negative balance, closed period, wrong site)."""


def period_of(at: datetime) -> str:
    """The calendar quarter of ``at`` (ISCC: a balancing period is at most three months)."""
    return f"{at.year}Q{(at.month - 1) // 3 + 1}"


def check_period(period: str) -> str:
    if not PERIOD.match(period):
        raise MassBalanceError(f"period {period!r}: write a calendar quarter like 2026Q1")
    return period


def _quarter(period: str) -> tuple[int, int]:
    m = PERIOD.match(check_period(period))
    if m is None:  # check_period refused it already
        raise MassBalanceError(f"period {period!r}: write a calendar quarter like 2026Q1")
    return int(m.group(1)), int(m.group(2))


def next_period(period: str) -> str:
    year, q = _quarter(period)
    if (year, q) == (9999, 4):
        raise MassBalanceError("period 9999Q4 is the last one; nothing can be carried beyond it")
    return f"{year + q // 4:04d}Q{q % 4 + 1}"


def period_end(period: str) -> datetime:
    """The instant ``period`` ends (UTC): the start of the next quarter; for the quarters of
    year 0, which no calendar of ``datetime`` holds, its earliest instant (they have ended),
    and for 9999Q4 its latest."""
    year, q = _quarter(period)
    if year < 1:
        return datetime.min.replace(tzinfo=UTC)
    if q == 4:
        return datetime.max.replace(tzinfo=UTC) if year == 9999 else \
            datetime(year + 1, 1, 1, tzinfo=UTC)
    return datetime(year, 3 * q + 1, 1, tzinfo=UTC)


def check_not_ended(period: str, at: datetime) -> None:
    """A booking made at ``at`` may not go into a period that ended before it (quarters of
    UTC): credit received today cannot cover an earlier quarter's claims, nor a claim made
    today draw on an earlier quarter's credit. (Later periods are allowed.)"""
    at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    end = period_end(period)
    if at >= end:
        raise MassBalanceError(
            f"period: {period} ended at {end.isoformat()}, before the event's time "
            f"{at.astimezone(UTC).isoformat()} (an event's time is its batch's, when it was "
            f"ingested); book it into {period_of(at.astimezone(UTC))} or a later period")


@dataclass(eq=False)
class Entry:
    """One booking. ``lot`` is the lot object it was booked from (None for carries);
    ``basis_kg`` the lot mass it concerns and ``share`` the share applied (credit, outflow,
    adjust), so ``mass_kg = basis_kg × share`` (an adjustment: basis × change of share)."""

    org: str
    site: str
    characteristic: str
    period: str
    kind: str
    mass_kg: float
    at: datetime
    lot: Any = None
    basis_kg: float | None = None
    share: float | None = None
    uncovered: bool = False
    id: int | None = None
    """The store's row id (None until stored)."""

    @property
    def signed(self) -> float:
        return SIGN[self.kind] * self.mass_kg

    def account(self) -> tuple[str, str, str, str]:
        return self.org, self.site, self.characteristic, self.period


class Book(Protocol):
    """The mass-balance accounts as the rules see them."""

    def balance(self, org: str, site: str, characteristic: str, period: str) -> float: ...
    def entries(self, org: str, site: str, characteristic: str,
                period: str) -> list[Entry]: ...
    def entries_from(self, lot: Any) -> list[Entry]: ...
    def add(self, entry: Entry) -> None: ...
    def flag(self, entry: Entry, uncovered: bool) -> None: ...
    def closed(self, org: str, site: str, period: str) -> bool: ...
    def close(self, org: str, site: str, period: str, at: datetime) -> None: ...


def _open(book: Book, org: str, site: str, period: str) -> None:
    if book.closed(org, site, period):
        raise MassBalanceError(f"mass balance: period {period} of site {site!r} is closed; "
                               "book into an open period")


def credit(book: Book, org: str, lot: Any, mass: float, period: str, at: datetime) -> None:
    """``mass`` kg of ``lot`` entered ``org``'s account at the lot's site."""
    _open(book, org, lot.site, period)
    for char, attr in CHARACTERISTICS:
        share = float(getattr(lot, attr))
        if share > 0:
            book.add(Entry(org, lot.site, char, period, "credit", mass * share, at, lot, mass,
                           share))
    lot.mb_period = period


def outflow(book: Book, org: str, lot: Any, mass: float, period: str, at: datetime,
            why: str) -> None:
    """``mass`` kg of a credited ``lot`` leave the account physically (used by a step that
    is not mass balance, or shipped away): its share of them is debited from the period it
    was credited in, or from ``period`` once that one is closed (its balance was carried)."""
    if lot.mb_period is None:
        return
    if not book.closed(org, lot.site, lot.mb_period):
        period = lot.mb_period
    _open(book, org, lot.site, period)
    for char, attr in CHARACTERISTICS:
        share = float(getattr(lot, attr))
        if share <= 0:
            continue
        debit = mass * share
        left = book.balance(org, lot.site, char, period)
        if debit > left + EPS * max(1.0, debit):
            raise MassBalanceError(
                f"mass balance: {why} lot {lot.lot!r} would take {debit:g} kg {char} out of "
                f"account ({lot.site}, {char}, {period}), which holds {left:g} kg: that "
                "credit was already claimed (the same recycled mass cannot pass on twice)")
        book.add(Entry(org, lot.site, char, period, "outflow", debit, at, lot, mass, share))


def claim(book: Book, org: str, site: str, shares: dict[str, float], inputs_kg: float,
          out: Any, period: str, at: datetime) -> None:
    """A mass-balance step claims ``shares`` (characteristic → share) for its output
    ``out``, made from ``inputs_kg``: debits ``share × inputs_kg`` (the claim converted back
    by the conversion factor output/input) from the site's accounts."""
    _open(book, org, site, period)
    for char, _ in CHARACTERISTICS:
        share = shares.get(char, 0.0)
        if share <= 0:
            continue
        debit = share * inputs_kg
        left = book.balance(org, site, char, period)
        if debit > left + EPS * max(1.0, debit):
            raise MassBalanceError(
                f"mass balance: claiming {debit:g} kg {char} exceeds the {left:g} kg credit "
                f"of account ({site}, {char}, {period}); no negative balance is allowed")
        book.add(Entry(org, site, char, period, "claim", debit, at, out, inputs_kg, share))


def adjust(book: Book, lot: Any, at: datetime) -> list[Entry]:
    """Re-value every entry booked from ``lot`` at its current shares (after a
    re-declaration upstream), in the period each concerns or the first open one after it;
    then re-check the claims of the accounts that moved. Returns the claims whose
    ``uncovered`` flag changed."""
    return recheck_all(book, revalue(book, lot, at))


def first_open(book: Book, org: str, site: str, period: str) -> str:
    """``period`` if it is open at ``site``, else the first open period after it: where its
    balance went (a close carries it into the next period, open then; if that one was closed
    since, its close carried it on)."""
    while book.closed(org, site, period):
        period = next_period(period)
    return period


def revalue(book: Book, lot: Any, at: datetime) -> set[tuple[str, str, str, str]]:
    """The adjustments of :func:`adjust` without the re-check; returns the accounts that
    moved (re-check them once with :func:`recheck_all` after re-valuing many lots).

    A closed period's balance is final: what ``lot`` booked there is re-valued together with
    what it booked in the first open period after it (:func:`first_open`), and the
    difference is booked in that open period — the one its carry reached."""
    groups: dict[tuple[str, str, str, str], tuple[float, float]] = {}
    for e in book.entries_from(lot):
        if e.kind not in ("credit", "outflow", "adjust"):
            continue
        key = (e.org, e.site, e.characteristic, first_open(book, e.org, e.site, e.period))
        basis, booked = groups.get(key, (0.0, 0.0))
        if e.kind != "adjust":
            basis += SIGN[e.kind] * float(e.basis_kg or 0.0)
        groups[key] = (basis, booked + e.signed)
    moved: set[tuple[str, str, str, str]] = set()
    attrs = dict(CHARACTERISTICS)
    for key, (basis, booked) in groups.items():
        org, site, char, period = key
        share = float(getattr(lot, attrs[char]))
        delta = basis * share - booked
        if abs(delta) <= EPS * max(1.0, abs(basis)):
            continue
        book.add(Entry(org, site, char, period, "adjust", delta, at, lot, basis, share))
        moved.add(key)
    return moved


def recheck_all(book: Book, accounts: set[tuple[str, str, str, str]]) -> list[Entry]:
    """:func:`recheck` each account once (in a stable order)."""
    changed: list[Entry] = []
    for key in sorted(accounts):
        changed += recheck(book, *key)
    return changed


def recheck(book: Book, org: str, site: str, char: str, period: str) -> list[Entry]:
    """Flag the claims of one account that its credit no longer covers: claims are covered
    oldest first; one that does not fit is ``uncovered`` (a later, smaller one may still
    fit). Returns the claims whose flag changed."""
    entries = book.entries(org, site, char, period)
    available = sum(e.signed for e in entries if e.kind != "claim")
    used = 0.0
    changed = []
    for e in entries:
        if e.kind != "claim":
            continue
        fits = used + e.mass_kg <= available + EPS * max(1.0, available)
        if fits:
            used += e.mass_kg
        if e.uncovered == fits:
            book.flag(e, not fits)
            changed.append(e)
    return changed


def close(book: Book, org: str, site: str, period: str, at: datetime) -> None:
    """Close ``period`` at ``site``: no more bookings of its own; a positive balance of each
    characteristic is carried to the next period (which must be open). So is a deficit a
    supplier's correction left (the balance below zero beyond the claims flagged uncovered,
    which stay flagged here): the next period must make it up before it covers a claim."""
    _open(book, org, site, period)
    nxt = next_period(period)
    _open(book, org, site, nxt)
    for char, _ in CHARACTERISTICS:
        left = book.balance(org, site, char, period)
        if left < -EPS:
            left += sum(e.mass_kg for e in book.entries(org, site, char, period)
                        if e.kind == "claim" and e.uncovered)
            left = min(left, 0.0)
        if abs(left) > EPS:
            book.add(Entry(org, site, char, period, "carry_out", left, at))
            book.add(Entry(org, site, char, nxt, "carry_in", left, at))
    book.close(org, site, period, at)


class MemoryBook:
    """A :class:`Book` in memory. Subclasses read what is already stored on first use
    (``_load_sum``, ``_load_account``, ``_load_lot``, ``_load_closed``); :attr:`added`,
    :attr:`flagged` and :attr:`closed_now` are what changed since. Balances are kept as
    running sums: an account's entries are read only when its claims are re-checked."""

    def __init__(self) -> None:
        self._sums: dict[tuple[str, str, str, str], float] = {}
        self._accounts: dict[tuple[str, str, str, str], list[Entry]] = {}
        self._by_lot: dict[int, list[Entry]] = {}
        self._closed: dict[tuple[str, str, str], bool] = {}
        self.flagged: dict[int, Entry] = {}
        """Stored entries (by id) whose flag changed."""
        self.closed_now: list[tuple[str, str, str, datetime]] = []
        self.forget_added()

    def forget_added(self) -> None:
        """Start a new list of :attr:`added` entries (those before are stored)."""
        self.added: list[Entry] = []
        # the added entries by account and by lot, for the first read of either (review
        # 282: each scanned every entry added so far, 32,000 re-declarations took 74 s)
        self._added_in: dict[tuple[str, str, str, str], list[Entry]] = {}
        self._added_from: dict[int, list[Entry]] = {}

    def _load_sum(self, key: tuple[str, str, str, str]) -> float:
        return 0.0

    def _load_account(self, key: tuple[str, str, str, str]) -> list[Entry]:
        return []

    def _load_lot(self, lot: Any) -> list[Entry]:
        return []

    def _load_closed(self, org: str, site: str, period: str) -> bool:
        return False

    def balance(self, org: str, site: str, characteristic: str, period: str) -> float:
        key = (org, site, characteristic, period)
        if key not in self._sums:
            self._sums[key] = self._load_sum(key)
        return self._sums[key]

    def entries(self, org: str, site: str, characteristic: str,
                period: str) -> list[Entry]:
        key = (org, site, characteristic, period)
        if key not in self._accounts:
            self._accounts[key] = self._load_account(key) + self._added_in.get(key, [])
        return self._accounts[key]

    def entries_from(self, lot: Any) -> list[Entry]:
        if id(lot) not in self._by_lot:
            self._by_lot[id(lot)] = self._load_lot(lot) + self._added_from.get(id(lot), [])
        return self._by_lot[id(lot)]

    def add(self, entry: Entry) -> None:
        key = entry.account()
        self._sums[key] = self.balance(*key) + entry.signed
        if key in self._accounts:
            self._accounts[key].append(entry)
        if entry.lot is not None and id(entry.lot) in self._by_lot:
            self._by_lot[id(entry.lot)].append(entry)
        self.added.append(entry)
        self._added_in.setdefault(key, []).append(entry)
        if entry.lot is not None:
            self._added_from.setdefault(id(entry.lot), []).append(entry)

    def flag(self, entry: Entry, uncovered: bool) -> None:
        entry.uncovered = uncovered
        if entry.id is not None:
            self.flagged[entry.id] = entry

    def closed(self, org: str, site: str, period: str) -> bool:
        key = (org, site, period)
        if key not in self._closed:
            self._closed[key] = self._load_closed(org, site, period)
        return self._closed[key]

    def close(self, org: str, site: str, period: str, at: datetime) -> None:
        self._closed[(org, site, period)] = True
        self.closed_now.append((org, site, period, at))
