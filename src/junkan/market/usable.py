"""What makes one buyer's condition unusable on its own, and a market without such
conditions.

A condition is checked when it is posted, without lots (:func:`condition_problems` with no
``stated``): its criteria must be one known set and each price premium must read a property
that mixes by mass. What needs the lots — a premium or an inline criterion on a composition
key that is no chemical element and that none of the lots states (a typo: every lot would read
0 wt %) — is known only when a seller matches. A condition stored before a rule was added may
also fail it. Such a condition is the buyer's to correct, not the seller's, so a seller's match
leaves it out and says so (:func:`usable`) instead of failing the seller's whole request."""

from __future__ import annotations

from junkan.core.elements import unstated_key
from junkan.core.errors import ModelError, Problem
from junkan.grading import compile_sets, resolve
from junkan.market.arcs import mixing_problem
from junkan.market.schema import Condition, Market


def _in_criteria(c: Condition, path: str) -> str:
    """A problem's path from :func:`junkan.grading.resolve` as a path in the condition: the
    one id resolved (``criteria[0]``) is the ``criteria`` field itself; an inline set's rules
    (``<set id>.rules[0]``) are under it."""
    own = "criteria[0]" if isinstance(c.criteria, str) else c.criteria.id
    rest = path.removeprefix(own) if path.startswith(own) else (f".{path}" if path else "")
    return "criteria" + (rest if not rest or rest[0] in ".[" else f".{rest}")


def condition_problems(c: Condition, stated: set[str] | None = None) -> list[Problem]:
    """The problems of condition ``c`` on its own, each at its path in the condition: criteria
    that are not one known set (``criteria``), a price premium on a property that does not
    mix by mass (``price.premiums[k].property``) and — given ``stated``, the composition keys
    the lots at hand state — a premium or an inline criterion reading a composition key that is
    no element and that no lot states."""
    problems: list[Problem] = []
    try:
        found = resolve([c.criteria])
        if len(found) != 1:
            problems.append(Problem("criteria", "a condition names one criteria set, not a "
                                    "family"))
        elif stated is not None and not isinstance(c.criteria, str):  # shipped sets: as grade
            bounds = compile_sets(found).sets[0].bounds
            problems += [typo for b in bounds
                         if (typo := unstated_key("criteria", b.feature, stated, "lots"))]
    except ModelError as exc:
        problems += [Problem(_in_criteria(c, p.path), p.message, p.kind, p.limits)
                     for p in exc.problems]
    for k, premium in enumerate(c.price.premiums):
        where = f"price.premiums[{k}].property"
        bad = mixing_problem(where, premium.property)
        if bad is None and stated is not None:
            bad = unstated_key(where, premium.property, stated, "lots")
        if bad is not None:
            problems.append(bad)
    return problems


def usable(market: Market) -> tuple[Market, list[tuple[Condition, list[Problem]]]]:
    """``market`` without the conditions that cannot be matched against its lots
    (:func:`condition_problems`), and those left out, each with its problems."""
    stated = {k for lot in market.lots for k in lot.item.composition}
    keep: list[Condition] = []
    left: list[tuple[Condition, list[Problem]]] = []
    for c in market.conditions:
        problems = condition_problems(c, stated)
        if problems:
            left.append((c, problems))
        else:
            keep.append(c)
    if not left:
        return market, []
    return market.model_copy(update={"conditions": keep}), left
