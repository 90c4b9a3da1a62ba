"""Which of a plan's products name a lot: each product's lot patterns (``*``, ``?``, ``[…]``
as :func:`fnmatch.fnmatchcase`) at its site, matched once per lot.

A report tried every product's patterns on every lot (products × patterns × lots); here a
name without wildcards is looked up, and a product's wildcard patterns that share the literal
text before their first wildcard are one regular expression, tried only on the lots that
start with that text. A lot may match several products; all are returned, in plan order."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence

WILD = re.compile(r"[*?\[]")
"""What makes a pattern more than a name (:mod:`fnmatch`); the text before it is literal."""

Match = Callable[[str], object]


class LotMatcher:
    """The products (indices into ``products``: each its site and its lot patterns) that
    match a lot made or claimed at a site."""

    def __init__(self, products: Sequence[tuple[str, Sequence[str]]]) -> None:
        self._exact: dict[tuple[str, str], list[int]] = {}
        self._wild: dict[str, dict[str, list[tuple[int, Match]]]] = {}
        self._longest: dict[str, int] = {}
        self._seen: dict[tuple[str, str], tuple[int, ...]] = {}
        for k, (site, patterns) in enumerate(products):
            by_prefix: dict[str, list[str]] = {}
            for pat in dict.fromkeys(patterns):
                m = WILD.search(pat)
                if m is None:
                    owners = self._exact.setdefault((site, pat), [])
                    if k not in owners:
                        owners.append(k)
                else:
                    by_prefix.setdefault(pat[: m.start()], []).append(pat)
            buckets = self._wild.setdefault(site, {}) if by_prefix else {}
            for prefix, pats in by_prefix.items():
                rx = re.compile("|".join(fnmatch.translate(p) for p in pats))
                buckets.setdefault(prefix, []).append((k, rx.match))
                self._longest[site] = max(self._longest.get(site, 0), len(prefix))

    def products(self, site: str, lot: str) -> tuple[int, ...]:
        """The indices of the products whose patterns match ``lot`` at ``site``, ascending."""
        key = (site, lot)
        hit = self._seen.get(key)
        if hit is None:
            found = set(self._exact.get(key, ()))
            buckets = self._wild.get(site)
            if buckets:
                for n in range(min(len(lot), self._longest[site]) + 1):
                    for k, match in buckets.get(lot[:n], ()):
                        if k not in found and match(lot) is not None:
                            found.add(k)
            hit = self._seen[key] = tuple(sorted(found))
        return hit
