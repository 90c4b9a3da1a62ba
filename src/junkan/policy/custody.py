"""Recycled content of a product's lots made under a physical chain-of-custody model.

ISO 22095:2020 names five chain-of-custody models. Under the three physical ones (identity
preserved, segregated, controlled blending) the recycled content of an output is physically
in it: the trace ledger derives each lot's recycled shares from the masses and shares of its
inputs, so a product's recycled mass is each output lot's mass × its derived share and its
basis the lot's mass — lots with no recycled content count in the basis too. Under mass
balance the content is a claim booked against the site's credit (the ledger's statement,
:mod:`junkan.policy.recycled`); book and claim is not kept by the ledger.

What counts for a product (its site, its lot patterns, the reporting period's quarters):

* a lot made by the organisation at the site, whose id matches a pattern, made in one of
  the quarters: the quarter the ledger booked its step in (``period`` of
  :meth:`~junkan.store.trace_repo.TraceRepo.made`: the one its event names, else the
  quarter, of UTC, of its batch's time — that of its mass-balance bookings);
* not a portion of another lot counted for the same product (a split, or a step whose input
  is such a lot): its content was counted with that lot;
* not a portion of a mass-balance lot (identity-preserved steps back to one): its content is
  that lot's claim, counted from the statement where the claim was booked; nor, in a lot of
  another physical step, the part of its shares that the ledger handed on from a
  mass-balance lot among its inputs (:func:`claimed_parts`), nor the content it took from
  another product's lot (counted with that product; the lot's mass stays in the basis).

A mass-balance claim counts what its inputs did not carry already, on the input mass not
from the product's own lots (:func:`claim_entries`; review 322).

A mass-balance lot whose step claimed nothing (a claim of 0) has no entry in the statement;
it is still one of the product's lots and its input mass is in the basis
(:func:`unclaimed_entries`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

from junkan.core.errors import ModelError, Problem
from junkan.trace import period_of

JST = timezone(timedelta(hours=9), "JST")
"""Japan Standard Time (no daylight saving): the clock of the fiscal years the report is for."""

PHYSICAL = ("identity_preserved", "segregated", "controlled_blending")
"""The ISO 22095 models whose recycled content the ledger derives physically."""
MODELS = (*PHYSICAL, "mass_balance")
QUARTER = re.compile(r"^\d{4}Q[1-4]$")
"""A ledger period (a calendar quarter, ``2028Q2``)."""


Char = Literal["pre_consumer", "post_consumer"]
CHARS: tuple[Char, ...] = ("pre_consumer", "post_consumer")
"""The characteristics of recycled content the report counts."""

@dataclass(frozen=True)
class MadeLot:
    """A lot the organisation made, as the ledger holds it
    (:meth:`junkan.store.trace_repo.TraceRepo.made`)."""

    lot: str
    site: str
    custody: str
    mass_kg: float
    pre_consumer: float
    post_consumer: float
    made_at: datetime
    inputs: tuple[str, ...]
    period: str
    """The quarter the ledger booked the lot's step in (``2028Q2``): the one its event names,
    else that (UTC) of ``made_at``."""
    period_named: bool = True
    """False: ``period`` was derived from ``made_at`` alone."""
    input_kg: float | None = None
    """The mass of its inputs used (a mass-balance claim's basis); None: not given."""
    inputs_kg: tuple[float, ...] = ()
    """The mass used of each input (as ``inputs``); empty: not given."""


def read_made(lots: Iterable[dict[str, Any]]) -> list[MadeLot]:
    """The ledger's made lots from their documents; a malformed one is named by position."""
    out = []
    for i, d in enumerate(lots):
        try:
            at = datetime.fromisoformat(str(d["made_at"]))
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
            named = d.get("period") is not None
            period = str(d["period"]) if named else period_of(at.astimezone(UTC))
            if not QUARTER.match(period):
                raise ValueError(f"period {period!r}: a calendar quarter like 2028Q2")
            lot = MadeLot(
                str(d["lot"]), str(d["site"]), str(d["custody"]), float(d["mass_kg"]),
                float(d["pre_consumer"]), float(d["post_consumer"]), at,
                tuple(map(str, d.get("inputs", []))), period,
                bool(d.get("period_named", named)),
                None if d.get("input_kg") is None else float(d["input_kg"]),
                tuple(map(float, d.get("inputs_kg") or ())))
            if lot.inputs_kg and len(lot.inputs_kg) != len(lot.inputs):
                raise ValueError(f"{len(lot.inputs_kg)} masses in inputs_kg for "
                                 f"{len(lot.inputs)} inputs")
        except (KeyError, TypeError, ValueError) as e:
            raise ModelError([Problem(f"lots[{i}]", f"not a made lot of the ledger: {e}")]) from e
        if lot.custody not in MODELS:
            raise ModelError([Problem(f"lots[{i}].custody",
                                      f"{lot.custody!r}: one of {', '.join(MODELS)}")])
        out.append(lot)
    return out


def _origin(lot: MadeLot, by_id: dict[str, MadeLot]) -> str:
    """The model the content of ``lot`` comes under: identity-preserved steps with one input
    of the organisation's own are followed back to the step that set the content."""
    seen = {lot.lot}
    while lot.custody == "identity_preserved" and len(lot.inputs) == 1:
        parent = by_id.get(lot.inputs[0])
        if parent is None or parent.lot in seen:
            break
        seen.add(parent.lot)
        lot = parent
    return lot.custody


def claimed_parts(lots: list[MadeLot], owner: dict[str, int] | None = None,
                  reports: dict[int, tuple[bool, bool]] | None = None
                  ) -> dict[str, tuple[float, float]]:
    """Per made lot, the part of its recycled shares (pre-, post-consumer) that is counted
    elsewhere, not with the lot: a mass-balance lot's whole shares (its claim); a lot of
    another step the mass-weighted part of its inputs' (those the organisation made, earlier
    in ``lots``, the ledger's order; a lot it declared or received carries material). The
    ledger hands a claimed share on to what is made from the lot: a controlled blend of a
    mass-balance lot counted the claim again as content physically in it — twice in the
    report when the mass-balance lot is another product's. With ``owner`` (made lot → the
    product whose patterns match it), an input that is another product's lot hands on its
    whole shares too: they were counted with that product (review 322) — those of the
    characteristics it reports (``reports``: product → whether it reports pre-, post-
    consumer; review 324: a bottle blend of an aircon lot dropped its pre-consumer content,
    which the aircon product does not report, so no row counted it). Without ``inputs_kg``
    (a caller's own list), none."""
    owner, reports = owner or {}, reports or {}
    by_id = {x.lot: x for x in lots}
    out: dict[str, tuple[float, float]] = {}
    for x in lots:
        if x.custody == "mass_balance":
            out[x.lot] = (x.pre_consumer, x.post_consumer)
            continue
        used = sum(x.inputs_kg)
        pre = post = 0.0
        for i, kg in zip(x.inputs, x.inputs_kg, strict=False):
            if i in owner and owner[i] != owner.get(x.lot):
                counts = reports.get(owner[i], (True, True))
                own = out.get(i, (0.0, 0.0))  # its claims, counted where they were booked
                pre += kg * (by_id[i].pre_consumer if counts[0] else own[0])
                post += kg * (by_id[i].post_consumer if counts[1] else own[1])
            elif i in out:
                pre, post = pre + kg * out[i][0], post + kg * out[i][1]
        out[x.lot] = (pre / used, post / used) if used > 0 else (0.0, 0.0)
    return out


def physical_entries(
    mine: list[MadeLot], by_id: dict[str, MadeLot], quarters: list[str],
    claimed: dict[str, tuple[float, float]] | None = None,
    claims: dict[str, tuple[float, float]] | None = None,
) -> tuple[list[dict[str, Any]], set[str]]:
    """A product's evidence entries from lots made under a physical model (one per lot and
    characteristic, with its mass × share and its basis), and every made lot the product's
    patterns match at its site in any period (so the caller can tell the lots apart that a
    product claims under mass balance). ``mine``: the made lots the product's patterns match
    at its site, in any period, in the ledger's order
    (:class:`~junkan.policy.lotmatch.LotMatcher`); ``by_id``: every made lot by its id;
    ``claimed``: :func:`claimed_parts` — the share a lot carries from mass-balance claims is
    not counted (``claim_share`` in its entry): it is the claim's, counted where it was
    booked; nor, with :func:`claimed_parts` given the products' lots, the content taken from
    another product's lots (``other_product_share``: counted with that product) — ``claims``,
    the parts of claims alone, tells the two apart."""
    ids = {x.lot for x in mine}
    claimed = claimed or {}
    claims = claimed if claims is None else claims
    entries = []
    for x in mine:
        if x.period not in quarters or x.custody not in PHYSICAL \
                or _origin(x, by_id) not in PHYSICAL:
            continue
        new = _new_part(x, ids, by_id, claimed)
        if new is None:
            continue
        kept, shares, parts = new
        cl = claims.get(x.lot, (0.0, 0.0))
        for ch, share, part, c in zip(CHARS, shares, parts, cl, strict=True):
            entries.append({
                "site": x.site, "characteristic": ch, "period": x.period, "kind": "made",
                "lot": x.lot, "mass_kg": x.mass_kg * kept * share,
                "basis_kg": x.mass_kg * kept, "share": share, "uncovered": False,
                "custody": x.custody, "booked_at": x.made_at.isoformat(),
                **({"claim_share": c} if c > 0 else {}),
                **({"other_product_share": part - c} if part - c > 1e-12 else {}),
                **({"counted_share": 1 - kept} if kept < 1 else {})})
    return entries, ids



def _new_part(x: MadeLot, ids: set[str], by_id: dict[str, MadeLot],
              claimed: dict[str, tuple[float, float]]
              ) -> tuple[float, tuple[float, ...], tuple[float, ...]] | None:
    """What lot ``x`` adds to its product: the share of its mass not from the product's own
    lots (``ids``, counted with them), the recycled shares of that part (material: less the
    part handed on from mass-balance claims, ``claimed``) and those claimed parts. None when
    nothing is new: a split's portion, a repack, or a lot whose input masses are not known.
    A blend of a product lot with new material (rework of a lot into the next batch) was
    left out whole: its new material was in no period's basis and its recycled content
    never counted (review 318)."""
    part = claimed.get(x.lot, (0.0, 0.0))
    own = [(kg, by_id[i]) for i, kg in zip(x.inputs, x.inputs_kg, strict=False) if i in ids]
    if not own:
        if any(i in ids for i in x.inputs):  # no masses given: as before, not counted
            return None
        return 1.0, tuple(max(0.0, s - c) if c > 0 else s for s, c in
                          zip((x.pre_consumer, x.post_consumer), part, strict=True)), part
    used = sum(x.inputs_kg)
    kept = 1.0 - sum(kg for kg, _ in own) / used if used > 0 else 0.0
    if kept <= 1e-9:
        return None
    shares = []
    for k, (ledger, c) in enumerate(zip((x.pre_consumer, x.post_consumer), part, strict=True)):
        counted = sum(kg * (_share(lot, k) - claimed.get(lot.lot, (0.0, 0.0))[k])
                      for kg, lot in own) / used
        shares.append(max(0.0, ledger - c - counted) / kept)
    return kept, tuple(shares), part


def _share(lot: MadeLot, k: int) -> float:
    return lot.pre_consumer if k == 0 else lot.post_consumer


def unclaimed_entries(
    mine: list[MadeLot], quarters: list[str], claimed: set[str]
) -> list[dict[str, Any]]:
    """Entries of 0 kg for the product's mass-balance lots of the quarters that claimed
    nothing (no entry in the statement: ``claimed`` are the lots with a claim entry), one per
    characteristic, basis the input mass as for a claim (the lot's mass if not given): the
    lot is the product's, so it is in the basis. What a lot takes from another of the
    product's lots is not counted again, as under the physical models: a split's portion or a
    repack not at all, a blend of one with new material by the new material's mass (it was
    left out whole; review 318). ``mine`` as for :func:`physical_entries`."""
    ids = {x.lot for x in mine}
    entries = []
    for x in mine:
        if x.custody != "mass_balance" or x.lot in claimed or x.period not in quarters:
            continue
        reworked = sum(kg for i, kg in zip(x.inputs, x.inputs_kg, strict=False) if i in ids)
        if any(i in ids for i in x.inputs) and (not x.inputs_kg
                                                or reworked >= sum(x.inputs_kg) - 1e-9):
            continue
        basis = (x.mass_kg if x.input_kg is None else x.input_kg) * (
            1 - reworked / sum(x.inputs_kg) if reworked else 1)
        for ch in CHARS:
            entries.append({
                "site": x.site, "characteristic": ch, "period": x.period, "kind": "made",
                "lot": x.lot, "mass_kg": 0.0, "basis_kg": basis, "share": 0.0,
                "uncovered": False, "custody": x.custody,
                "booked_at": x.made_at.isoformat()})
    return entries


def claim_entries(
    claims: list[dict[str, Any]], mine: list[MadeLot], by_id: dict[str, MadeLot],
    parts: dict[str, tuple[float, float]], owner: dict[str, int],
    reports: dict[int, tuple[bool, bool]] | None = None,
) -> list[dict[str, Any]]:
    """The product's claim entries (the statement's) as the report counts them, with the
    convention of the physical models (review 322): a mass-balance lot made from the
    product's own lots (rework, a repack) has as basis its input mass less theirs (they are
    in the basis already), and counts of its claim what the lot's inputs did not carry
    already — their content in the ledger × the mass used, where it was counted: with the
    product's lots or another product's (their whole shares), with the claim of a
    mass-balance lot among the inputs, or the part :func:`claimed_parts` (``parts``) says an
    input lot no product matches handed on. So the claim counts once what the output
    carries: ``booked_kg`` the claim as booked, ``counted_kg`` what was counted before.
    ``owner``: made lot → product whose patterns match it; ``mine`` as for
    :func:`physical_entries`; ``reports`` as for :func:`claimed_parts` (a characteristic the
    owning product does not report was counted nowhere: its content carries nothing)."""
    ids = {x.lot for x in mine}
    reports = reports or {}
    out = []
    for c in claims:
        x = by_id.get(c["lot"])
        if x is None or not x.inputs_kg or c["characteristic"] not in CHARS:
            out.append(c)
            continue
        k = CHARS.index(c["characteristic"])
        pairs = list(zip(x.inputs, x.inputs_kg, strict=False))
        carried = sum(kg * (_share(by_id[i], k) if i in owner and reports.get(
            owner[i], (True, True))[k] else parts.get(i, (0.0, 0.0))[k])
                      for i, kg in pairs if i in by_id)
        reworked = sum(kg for i, kg in pairs if i in ids)
        if carried <= 0 and reworked <= 0:
            out.append(c)
            continue
        booked, used = float(c["mass_kg"]), sum(x.inputs_kg)
        kg = max(0.0, booked - carried)
        basis = float(c["basis_kg"]) * (1 - reworked / used) if used > 0 else 0.0
        # the entry's share is what it counts (review 324: it kept the claim's 0.3 beside
        # 2,400 kg on 6,000); the claim's own share stays as booked_share
        out.append({**c, "mass_kg": kg, "basis_kg": basis, "booked_share": c.get("share"),
                    "share": kg / basis if basis > 0 else c.get("share"),
                    **({"booked_kg": booked, "counted_kg": booked - kg} if kg < booked else {}),
                    **({"reworked_kg": reworked} if reworked > 0 else {})})
    return out


def boundary_notes(mine: list[MadeLot], quarters: list[str]) -> list[str]:
    """Notes on the product's lots whose quarter was derived from the time they were recorded
    (their event named none) and differs from that time's quarter in Japan: the ledger's
    quarters are of UTC (its mass-balance accounts, which a report cannot move), so a lot
    recorded from 00:00 to 08:59 JST on the first day of a quarter is in the one before.
    ``mine`` as for :func:`physical_entries`."""
    notes = []
    for x in mine:
        local = x.made_at.astimezone(JST)
        jst = period_of(local)
        if x.period_named or jst == x.period or not {jst, x.period} & set(quarters):
            continue
        notes.append(
            f"lot {x.lot} was recorded at {local:%Y-%m-%d %H:%M} JST and its event names no "
            f"period: the ledger books it in {x.period} (quarters of UTC, as its mass-balance "
            f"accounts), not {jst}; name the period in the event (period: {jst}) or import "
            f"with --period {jst} to count it there")
    return notes
