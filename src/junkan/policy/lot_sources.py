"""The part of each lot a product names that comes from its other named lots.

A procurement check weighs the product's named lots by mass. A lot made (in part) from
another named lot holds material already weighed with that lot: a split's portion holds
nothing new, a blend of a named lot with new material holds the new material only. Review
322: naming P (1,000 kg, 90 %) and Q, made from 100 kg of P and 900 kg of virgin resin, read
0.900 (Q set aside whole); by hand (900 + 0) / (1,000 + 900) = 0.474. A portion of a portion
(A → A1 → A11, naming A and A11) was weighed twice, the link to A running through A1, which
is not named.

The walk follows each named lot's inputs upstream through lots that are not named, as the
viewer sees them (``show``), and stops at a named lot, a lot with no inputs, one the viewer
may not see (or whose inputs it may not see: :func:`unseen_inputs`), or after
:data:`UPSTREAM_MOST` lots. Mass goes through each step in proportion
to the inputs taken (a step's loss shared alike), so a lot's fraction from named lots is the
input-weighted fraction of its inputs, and the recycled share carried with it the
input-weighted share of the named lots reached.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

UPSTREAM_MOST = 2000
"""Lots read upstream of the named ones at most (the rest are taken as new material, and the
check's note says so)."""


def upstream(lots: list[dict[str, Any]], show: Callable[[str], dict[str, Any] | None]
             ) -> tuple[dict[str, dict[str, Any]], bool]:
    """The lots upstream of ``lots`` (as ``TraceRepo.show`` gives them) that are not named,
    by the reference their outputs name them with, read with ``show`` (None: not visible);
    and whether the walk stopped at :data:`UPSTREAM_MOST`."""
    named = {lot.get("lot") for lot in lots}
    found: dict[str, dict[str, Any]] = {}
    todo = [i for lot in lots for i in lot.get("inputs") or ()]
    while todo:
        link = todo.pop()
        ref = link.get("lot")
        if not isinstance(ref, str) or ref in named or ref in found:
            continue
        if len(found) >= UPSTREAM_MOST:
            return found, True
        # an input shown as not visible is not asked for (show would say 'not found')
        lot = show(ref) if link.get("visible", True) else None
        found[ref] = lot or {}
        todo.extend((lot or {}).get("inputs") or ())
    return found, False


def from_named(lots: list[dict[str, Any]], above: dict[str, dict[str, Any]], key: str
               ) -> dict[Any, tuple[float, float, str | None]]:
    """Per named lot: the fraction of its mass from other named lots, the recycled share (of
    its whole mass, characteristic ``key``) that came with it, and the first named lot it
    reached (None if none). ``above``: :func:`upstream`'s lots. Worked out upstream first,
    without recursion, so a chain of any length is followed (review 324: a cut at 200 steps
    weighed a named lot 300 steps below another as new, and left a lot it had reached at
    the cut as new for every lot below it)."""
    by_ref = {lot.get("lot"): lot for lot in lots}
    memo: dict[str, tuple[float, float, str | None]] = {}

    def through(ref: str) -> tuple[float, float, str | None]:
        if ref in by_ref:
            share = (by_ref[ref].get("recycled") or {}).get(key)
            return 1.0, float(share or 0.0), ref
        return memo.get(ref, (0.0, 0.0, None))  # not visible, or beyond the walk: new

    def mix(inputs: Any) -> tuple[float, float, str | None]:
        total = sum(float(i.get("mass_kg") or 0.0) for i in inputs)
        if total <= 0:
            return 0.0, 0.0, None
        part = carried = 0.0
        first: str | None = None
        for i in inputs:
            f, h, src = through(str(i.get("lot")))
            w = float(i.get("mass_kg") or 0.0) / total
            part, carried = part + w * f, carried + w * h
            first = first or src
        return part, carried, first

    def inputs_of(ref: str) -> list[str]:
        return [str(i.get("lot")) for i in (above.get(ref) or {}).get("inputs") or ()]

    for start in above:  # each unnamed lot after the lots it was made from (post-order)
        stack, open_ = [(start, False)], set()
        while stack:
            ref, ready = stack.pop()
            if ready:
                memo[ref] = mix((above.get(ref) or {}).get("inputs") or ())
                open_.discard(ref)
            elif ref not in memo and ref not in by_ref and ref in above and ref not in open_:
                open_.add(ref)  # (a cycle, which a ledger has not, is cut here)
                stack.append((ref, True))
                stack.extend((i, False) for i in inputs_of(ref))
    return {lot.get("lot"): mix(lot.get("inputs") or ()) for lot in lots}


def unseen_inputs(lots: list[dict[str, Any]], above: dict[str, dict[str, Any]]
                  ) -> tuple[list[str], int]:
    """The named lots made from others whose inputs the viewer may not see (a lot it holds
    but did not make: review 324, whether it holds another named lot cannot be told), and
    how many lots upstream it may not see or may not see the inputs of (taken as new)."""
    def made_unseen(lot: dict[str, Any]) -> bool:
        return lot.get("custody") not in (None, "declared") and not lot.get("inputs")

    named = [str(lot.get("lot")) for lot in lots if made_unseen(lot)]
    return named, sum(1 for lot in above.values() if not lot or made_unseen(lot))
