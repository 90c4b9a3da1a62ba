"""Recycled content of a product's lots made under a physical chain-of-custody model.

ISO 22095:2020 names five chain-of-custody models. Under the three physical ones (identity
preserved, segregated, controlled blending) the recycled content of an output is physically
in it: the trace ledger derives each lot's recycled shares from the masses and shares of its
inputs, so a product's recycled mass is each output lot's mass × its derived share and its
basis the lot's mass — lots with no recycled content count in the basis too. Under mass
balance the content is a claim booked against the site's credit (the ledger's statement,
:mod:`junkan.policy.recycled`); book and claim is not kept by the ledger.

What counts for a product (its site, its lot patterns, the reporting period's quarters):

* a lot made by the organisation at the site, whose id matches a pattern, recorded in one of
  the quarters (the quarter of the ledger's ``made_at``);
* not a portion of another lot counted for the same product (a split, or a step whose input
  is such a lot): its content was counted with that lot;
* not a portion of a mass-balance lot (identity-preserved steps back to one): its content is
  that lot's claim, counted from the statement where the claim was booked.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from junkan.core.errors import ModelError, Problem
from junkan.trace import period_of

PHYSICAL = ("identity_preserved", "segregated", "controlled_blending")
"""The ISO 22095 models whose recycled content the ledger derives physically."""
MODELS = (*PHYSICAL, "mass_balance")


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

    @property
    def period(self) -> str:
        """The calendar quarter the lot was recorded in (``2028Q2``)."""
        return period_of(self.made_at)


def read_made(lots: Iterable[dict[str, Any]]) -> list[MadeLot]:
    """The ledger's made lots from their documents; a malformed one is named by position."""
    out = []
    for i, d in enumerate(lots):
        try:
            lot = MadeLot(
                str(d["lot"]), str(d["site"]), str(d["custody"]), float(d["mass_kg"]),
                float(d["pre_consumer"]), float(d["post_consumer"]),
                datetime.fromisoformat(str(d["made_at"])), tuple(map(str, d.get("inputs", []))))
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


def physical_entries(
    made: list[MadeLot], site: str, patterns: list[str], quarters: list[str]
) -> tuple[list[dict[str, Any]], set[str]]:
    """A product's evidence entries from lots made under a physical model (one per lot and
    characteristic, with its mass × share and its basis), and every made lot the product's
    patterns match at its site in any period (so the caller can tell the lots apart that a
    product claims under mass balance)."""
    by_id = {x.lot: x for x in made}
    mine = [x for x in made if x.site == site
            and any(fnmatch.fnmatchcase(x.lot, pat) for pat in patterns)]
    ids = {x.lot for x in mine}
    entries = []
    for x in mine:
        if x.period not in quarters or any(i in ids for i in x.inputs):
            continue
        if x.custody not in PHYSICAL or _origin(x, by_id) not in PHYSICAL:
            continue
        for ch, share in (("pre_consumer", x.pre_consumer), ("post_consumer", x.post_consumer)):
            entries.append({
                "site": x.site, "characteristic": ch, "period": x.period, "kind": "made",
                "lot": x.lot, "mass_kg": x.mass_kg * share, "basis_kg": x.mass_kg,
                "share": share, "uncovered": False, "custody": x.custody,
                "booked_at": x.made_at.isoformat()})
    return entries, ids
