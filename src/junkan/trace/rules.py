"""What each event does to the ledger: the one place its rules live.

:func:`apply` takes an event of one organisation and the :class:`View` of the ledger that
organisation has (the store's batch while ingesting, :mod:`junkan.trace.replay` while
auditing) and changes the lots it names: custody, consumed mass, derived values
(:func:`junkan.trace.propagate.combine`), ISO 22095 chain-of-custody rules and the
mass-balance accounts (:mod:`junkan.trace.balance`). Whatever applies the events in the
same order reaches the same state."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Protocol

from junkan.core.errors import JunkanError
from junkan.trace import balance
from junkan.trace.events import (
    MAX_CFP_PER_KG,
    ClosePeriod,
    Combine,
    Create,
    Event,
    Receive,
    Redeclare,
    Ship,
    Split,
)
from junkan.trace.pcf import derived_facts
from junkan.trace.propagate import combine

LOT_FIELDS = ("lot", "creator_org", "owner_org", "shipped_to", "received", "material",
              "mass_kg", "consumed_kg", "site", "custody", "declared", "own", "own_cfp",
              "mb_period", "created_at", "cfp_total", "cfp_fossil", "cfp_biogenic", "rec_pre",
              "rec_post", "updated_at")
"""What a lot is (the store keeps them as columns): identity, custody, mass, what was
declared or how it was made, mass-balance credit, and its derived values."""

VERSION = 3
"""The rules new events are applied under. Where a version changed what an event does, the
event's signed record says which it was applied under (``"rules": 3``; ingest writes it,
never the client), and a record without it replays under version 1, so a log signed before a
change verifies as it was signed. Version 2 (2026-12-07): a lot made from others carries the
biogenic uptake of every input — declared, else the input's negative net biogenic CFP,
recorded as assumed (:func:`junkan.trace.pcf.inputs_uptake`); under 1 it was unknown when
any input declared none, and publication netted the inputs' biogenic CFPs. Version 3
(2026-12-07): that derived uptake (declared and assumed parts) follows later re-declarations
upstream as the CFP does — the lot keeps ``"rules": 3`` in ``own`` and every recompute of
it derives the uptake again from its inputs (:func:`junkan.trace.pcf.rederived`); a lot made
under 1 or 2 keeps the uptake it was made with. Both concern merge, blend, process and
split."""
VERSIONS = frozenset({1, 2, 3})


def signed_version(ev: Event) -> dict[str, int]:
    """What a new event's signed record says of the rules it was applied under: ``{"rules":
    VERSION}`` for the events whose rules changed since version 1, else nothing."""
    return {"rules": VERSION} if VERSION > 1 and isinstance(ev, Combine | Split) else {}


def version_of(record: dict[str, Any]) -> int:
    """The rules a signed record was applied under (1 when it does not say). Raises
    ValueError for a version these rules do not know."""
    version = record.get("rules", 1)
    if type(version) is not int or version not in VERSIONS:
        raise ValueError(f"rules version {version!r} is not one of {sorted(VERSIONS)}")
    return version


class RuleError(JunkanError):
    """An event the rules refuse; the message names the lot and the rule."""


class NotFound(RuleError):
    """Something that does not exist or the organisation may not see: the two read alike."""


class View(Protocol):
    """The ledger as one organisation sees it while its events are applied."""

    org_id: str
    org_name: str

    @property
    def book(self) -> balance.Book:
        """The mass-balance accounts."""

    def lot(self, ref: str) -> Any:
        """The lot ``ref`` names for this organisation (its own id first, then one it holds
        or was shipped, or ``organisation/id``), or None."""

    def own(self, lot_id: str) -> Any:
        """The organisation's own lot with this id, or None."""

    def organisation(self, name: str) -> str | None:
        """An organisation's id by name, or None."""

    def new_lot(self, **fields: Any) -> Any:
        """Make a lot with :data:`LOT_FIELDS` and add it to the ledger."""

    def link(self, dst: Any, src: Any, mass_kg: float) -> None:
        """Record that ``mass_kg`` of ``src`` went into ``dst``."""

    def redeclared(self, lot: Any, facts_moved: bool = False) -> None:
        """``lot`` was re-declared: its downstream cone must be recomputed
        (``facts_moved``: its declared PcfFacts changed)."""


def apply(view: View, ev: Event, at: datetime, *, signed: bool = False,
          version: int | None = None) -> int:
    """Apply one event; returns how many lots it created. Raises :class:`RuleError`.

    ``signed``: the event is replayed from a signed log, so the refusals of what may be
    *written* (a period that has ended, a re-declaration of nothing: 2026-12-03) are not
    applied again — a log signed before them replays as it was signed. ``version``: the
    rules it is applied under (default :data:`VERSION`; a replay: its record's,
    :func:`version_of`)."""
    version = VERSION if version is None else version
    named = getattr(ev, "period", None)  # else the quarter of ``at``, which has not ended
    period = balance.check_period(named or balance.period_of(at))
    try:
        if named is not None and not signed and not isinstance(ev, ClosePeriod):
            balance.check_not_ended(period, at)  # close_period closes ended periods
        if isinstance(ev, Create):
            return _create(view, ev, at, period, signed)
        if isinstance(ev, Combine):
            return _combine(view, ev, at, period, version)
        if isinstance(ev, Split):
            return _split(view, ev, at, version)
        if isinstance(ev, Ship):
            _ship(view, ev, at, period)
        elif isinstance(ev, Receive):
            _receive(view, ev, at, period)
        elif isinstance(ev, Redeclare):
            _redeclare(view, ev, at, signed)
        elif isinstance(ev, ClosePeriod):
            balance.close(view.book, view.org_id, ev.site, ev.period, at)
        return 0
    except balance.MassBalanceError as exc:
        raise RuleError(str(exc)) from None


def _new_id(view: View, lot_id: str) -> None:
    if view.own(lot_id) is not None:
        raise RuleError(f"lot {lot_id!r} exists already; your lot ids are unique")


def _create(view: View, ev: Create, at: datetime, period: str, signed: bool = False) -> int:
    _new_id(view, ev.lot)
    if ev.pcf is not None and not signed:  # a record signed before the bound replays
        _uptake_per_kg(ev.lot, ev.pcf.biogenic_uptake_kg, ev.mass_kg)
    declared: dict[str, Any] = {
        "cfp": ev.cfp.model_dump(), "recycled": ev.recycled.model_dump(),
        "claims": [c.model_dump(mode="json") for c in ev.claims],
        "composition": ev.composition}
    if ev.pcf is not None:
        declared["pcf"] = ev.pcf.model_dump()
    lot = view.new_lot(
        lot=ev.lot, creator_org=view.org_id, owner_org=view.org_id, shipped_to=None,
        received=True, material=ev.material, mass_kg=ev.mass_kg, consumed_kg=0.0,
        site=ev.site, custody="declared", declared=declared, own={}, own_cfp=0.0,
        mb_period=None, created_at=at, cfp_total=ev.cfp.total,
        cfp_fossil=float(ev.cfp.fossil or 0), cfp_biogenic=ev.cfp.biogenic,
        rec_pre=ev.recycled.pre_consumer, rec_post=ev.recycled.post_consumer, updated_at=at)
    balance.credit(view.book, view.org_id, lot, ev.mass_kg, period, at)
    return 1


def held(view: View, ref: str) -> Any:
    """The lot ``ref`` names, which must be in the organisation's custody."""
    lot = view.lot(ref)
    if lot is None or lot.owner_org != view.org_id or not lot.received:
        raise RuleError(f"lot {ref!r} is not in {view.org_name!r}'s custody (unknown, "
                        "someone else's, or shipped and not yet received)")
    return lot


def _combine(view: View, ev: Combine, at: datetime, period: str, version: int,
             keep_credit: bool = False) -> int:
    _new_id(view, ev.lot)
    inputs = [(held(view, ref.lot), ref.mass_kg) for ref in ev.inputs]
    for lot, m in inputs:
        if m > lot.mass_kg - lot.consumed_kg + 1e-9:
            raise RuleError(f"input {lot.lot!r}: {m} kg asked, only "
                            f"{lot.mass_kg - lot.consumed_kg:g} kg left")
    if ev.custody == "identity_preserved" and len(inputs) != 1:
        raise RuleError("ISO 22095 identity preserved: a lot has a single source; "
                        f"{len(inputs)} inputs given")
    if ev.custody == "segregated":
        shares = {(round(x.rec_pre, 9), round(x.rec_post, 9)) for x, _ in inputs}
        if len(shares) > 1:
            raise RuleError("ISO 22095 segregated: inputs with different characteristics "
                            "(recycled shares) may not be mixed; use controlled blending "
                            "or mass balance")
    total, fossil, biogenic, pre, post = combine(ev.process.cfp_kgco2e, inputs)
    values = (total, fossil, biogenic, pre, post, total / ev.mass_kg)
    if not math.isfinite(sum(values)):
        raise RuleError(f"lot {ev.lot!r}: a derived CFP or recycled share would not be a "
                        "finite number; check the masses and footprints of its inputs")
    m_in = sum(m for _, m in inputs)
    if ev.custody == "mass_balance":
        assert ev.claim is not None
        for lot, _ in inputs:
            if lot.site != ev.site:
                raise RuleError(f"mass balance: input {lot.lot!r} is booked at site "
                                f"{lot.site!r}, not {ev.site!r}; only material received at "
                                "the site may be booked")
        pre, post = ev.claim.pre_consumer, ev.claim.post_consumer
    elif not keep_credit:
        for lot, m in inputs:
            balance.outflow(view.book, view.org_id, lot, m, period, at,
                            f"using {m:g} kg of")
    for lot, m in inputs:
        lot.consumed_kg += m
    new = view.new_lot(
        lot=ev.lot, creator_org=view.org_id, owner_org=view.org_id, shipped_to=None,
        received=True, material=ev.material or inputs[0][0].material, mass_kg=ev.mass_kg,
        consumed_kg=0.0, site=ev.site, custody=ev.custody,
        declared={"claim": ev.claim.model_dump() if ev.claim else None},
        own=ev.process.model_dump() | {"pcf": derived_facts(
            inputs, ev.country, ev.mass_kg, assume_uptake=version >= 2)} | (
            {"rules": version} if version >= 3 else {}),
        own_cfp=ev.process.cfp_kgco2e,
        mb_period=inputs[0][0].mb_period if keep_credit else None, created_at=at,
        cfp_total=float(total), cfp_fossil=float(fossil), cfp_biogenic=float(biogenic),
        rec_pre=float(pre), rec_post=float(post), updated_at=at)
    for lot, m in inputs:
        view.link(new, lot, m)
    if ev.claim is not None:
        balance.claim(view.book, view.org_id, ev.site, ev.claim.model_dump(), m_in, new,
                      period, at)
    return 1


def _split(view: View, ev: Split, at: datetime, version: int) -> int:
    """Outputs of one lot, identity preserved: each keeps the lot's mass-balance credit."""
    src = held(view, ev.lot)
    total = sum(o.mass_kg for o in ev.outputs)
    if total > src.mass_kg - src.consumed_kg + 1e-9:
        raise RuleError(f"split of {total} kg exceeds the {src.mass_kg - src.consumed_kg} kg "
                        f"left in lot {ev.lot!r}")
    for out in ev.outputs:
        step = Combine(type="process", lot=out.lot, inputs=[
            {"lot": ev.lot, "mass_kg": out.mass_kg}], mass_kg=out.mass_kg,
            material=src.material, site=src.site, custody="identity_preserved")
        _combine(view, step, at, balance.period_of(at), version, keep_credit=True)
    return len(ev.outputs)


def _ship(view: View, ev: Ship, at: datetime, period: str) -> None:
    lot = held(view, ev.lot)
    to = view.organisation(ev.to)
    if to is None:
        raise NotFound(f"organisation {ev.to!r} not found")
    balance.outflow(view.book, view.org_id, lot, lot.mass_kg - lot.consumed_kg, period, at,
                    "shipping")
    lot.shipped_to, lot.received, lot.mb_period = to, False, None


def _receive(view: View, ev: Receive, at: datetime, period: str) -> None:
    lot = view.lot(ev.lot)
    if lot is None or lot.shipped_to != view.org_id:
        raise RuleError(f"lot {ev.lot!r} was not shipped to {view.org_name!r}")
    lot.owner_org, lot.shipped_to, lot.received, lot.site = view.org_id, None, True, ev.site
    balance.credit(view.book, view.org_id, lot, lot.mass_kg - lot.consumed_kg, period, at)


def _redeclare(view: View, ev: Redeclare, at: datetime, signed: bool = False) -> None:
    if ev.cfp is None and ev.recycled is None and ev.claims is None and ev.pcf is None \
            and not signed:
        raise RuleError(f"redeclare of lot {ev.lot!r} changes nothing: give cfp, recycled, "
                        "claims or pcf (a reason alone re-declares nothing)")
    lot = view.lot(ev.lot)
    if lot is None or lot.creator_org != view.org_id or lot.custody != "declared":
        raise RuleError(f"only the organisation that declared lot {ev.lot!r} can re-declare "
                        "it (derived lots follow their inputs)")
    declared = dict(lot.declared)
    old_facts = declared.get("pcf") or {}
    if ev.pcf is not None:
        declared["pcf"] = _facts_within(ev, lot.mass_kg)
    if ev.cfp is not None:
        for what, value in (("cfp.total", ev.cfp.total), ("cfp.biogenic", ev.cfp.biogenic)):
            if abs(value) > MAX_CFP_PER_KG * lot.mass_kg:
                raise RuleError(f"{what}: {value:g} kg CO2e for the {lot.mass_kg:g} kg of lot "
                                f"{ev.lot!r} is more than {MAX_CFP_PER_KG:g} kg CO2e per kg")
        declared["cfp"] = ev.cfp.model_dump()
    if not signed and (ev.cfp is not None or ev.pcf is not None):
        _uptake_within(ev, (declared.get("pcf") or {}).get("biogenic_uptake_kg"),
                       ev.cfp.biogenic if ev.cfp is not None else lot.cfp_biogenic)
    if ev.cfp is not None:
        lot.cfp_total, lot.cfp_fossil = ev.cfp.total, float(ev.cfp.fossil or 0)
        lot.cfp_biogenic = ev.cfp.biogenic
    if ev.recycled is not None:
        declared["recycled"] = ev.recycled.model_dump()
        lot.rec_pre, lot.rec_post = ev.recycled.pre_consumer, ev.recycled.post_consumer
    if ev.claims is not None:
        declared["claims"] = [c.model_dump(mode="json") for c in ev.claims]
    lot.declared = declared
    lot.updated_at = at
    view.redeclared(lot, facts_moved=(declared.get("pcf") or {}) != old_facts)


def _facts_within(ev: Redeclare, mass_kg: float) -> dict[str, Any]:
    """The re-declared PcfFacts as stored, if the fossil carbon fits in the lot's mass (as
    a create's must: :class:`~junkan.trace.events.Create`)."""
    assert ev.pcf is not None
    carbon = ev.pcf.fossil_carbon_kg
    if carbon is not None and carbon > mass_kg * (1 + 1e-9):
        raise RuleError(f"pcf.fossil_carbon_kg: {carbon:g} kg of carbon re-declared for lot "
                        f"{ev.lot!r} of {mass_kg:g} kg")
    _uptake_per_kg(ev.lot, ev.pcf.biogenic_uptake_kg, mass_kg)
    return ev.pcf.model_dump()


def _uptake_per_kg(lot_id: str, uptake: float | None, mass_kg: float) -> None:
    """A declared biogenic uptake stays within MAX_CFP_PER_KG per kg of the lot, as the CFP
    does (review 320: -1e12 kg CO2e on a 1 kg lot was taken, the uptake only having to be
    ≤ cfp.biogenic, and the lot and its blends published 1e12 kg CO2e/kg excluding it)."""
    if uptake is not None and -uptake > MAX_CFP_PER_KG * mass_kg:
        raise RuleError(f"pcf.biogenic_uptake_kg: {uptake:g} kg CO2e for the {mass_kg:g} kg "
                        f"of lot {lot_id!r} is more than {MAX_CFP_PER_KG:g} kg CO2e per kg")


def _uptake_within(ev: Redeclare, uptake: float | None, bio: float) -> None:
    """A re-declared lot's net biogenic CFP ``bio`` must still hold its declared biogenic
    ``uptake`` (either may be the re-declared one), as a create's must
    (:class:`~junkan.trace.events.Create`): uptake ≤ cfp.biogenic, else the biogenic
    emissions (cfp.biogenic − uptake) are negative. It was accepted, and the lot (and every
    lot made from it) could then not be published as a PACT footprint. A record already
    signed is replayed as it was."""
    if uptake is None or uptake <= bio + 1e-9 * max(1.0, abs(bio)):
        return
    if ev.pcf is not None and ev.cfp is None:
        raise RuleError(f"pcf.biogenic_uptake_kg: {uptake:g} kg CO2e re-declared for lot "
                        f"{ev.lot!r} is above its net biogenic CFP ({bio:g} kg CO2e, "
                        "cfp.biogenic), of which it is part: biogenic emissions (cfp.biogenic "
                        "− uptake) cannot be negative; re-declare cfp with it")
    said = "re-declared" if ev.pcf is not None else "declared"
    raise RuleError(f"cfp.biogenic: {bio:g} kg CO2e re-declared for lot {ev.lot!r} is "
                    f"below its {said} biogenic uptake ({uptake:g} kg CO2e, "
                    "pcf.biogenic_uptake_kg): biogenic emissions (cfp.biogenic − uptake) "
                    "cannot be negative; the uptake is part of cfp.biogenic")
