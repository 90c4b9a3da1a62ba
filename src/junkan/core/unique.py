"""Ids that must be unique in a list of a document (items, lots, classes, ...): the one check,
with one message naming each id used more than once and where it stands."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TypeVar

from junkan.core.errors import Problem, short

__all__ = ["repeated", "unique_ids", "unique_problem"]

K = TypeVar("K", bound=Hashable)

SHOWN_IDS = 5
"""Ids used more than once named in a message (then a count of the rest)."""
SHOWN_POSITIONS = 8
"""Positions named per id (then how many times it is used)."""


def repeated(values: Iterable[K]) -> dict[K, list[int]]:
    """Each value given more than once → its positions (0-based), in the order the values
    first appear."""
    at: dict[K, list[int]] = {}
    for i, v in enumerate(values):
        at.setdefault(v, []).append(i)
    return {v: pos for v, pos in at.items() if len(pos) > 1}


def unique_problem(values: Iterable[Hashable], path: str, what: str = "ids",
                   fix: str = "give each entry its own") -> Problem | None:
    """The problem of the list at ``path`` whose ``values`` (one per entry, e.g. each entry's
    id) are not unique, or None if they are. Its message names up to :data:`SHOWN_IDS` such
    values, each with its positions, then ``fix``, e.g. ``item ids used more than once: 'a' at
    items[0, 2]; 'b' at items[1, 3]; give each entry its own``."""
    twice = repeated(values)
    if not twice:
        return None
    shown = []
    for v, pos in list(twice.items())[:SHOWN_IDS]:
        cut = len(pos) > SHOWN_POSITIONS
        where = ", ".join(map(str, pos[:SHOWN_POSITIONS])) + (", …" if cut else "")
        shown.append(f"{short(v)} at {path}[{where}]" + (f" ({len(pos):,} times)" if cut else ""))
    more = f" (and {len(twice) - SHOWN_IDS:,} more)" if len(twice) > SHOWN_IDS else ""
    return Problem(path, f"{what} used more than once: {'; '.join(shown)}{more}; {fix}")


def unique_ids(values: Iterable[Hashable], path: str, what: str = "ids",
               source: str | None = None, fix: str = "give each entry its own") -> None:
    """ValueError when ``values``, one per entry of the list at ``path``, are not unique, its
    message :func:`unique_problem`'s, after ``source`` (a file) if given — raised in a
    pydantic validator it becomes a :class:`Problem` of the document like any other."""
    problem = unique_problem(values, path, what, fix)
    if problem is not None:
        raise ValueError(problem.render(source))
