"""Which of a plan's products name a lot: each product's lot patterns (``*``, ``?``, ``[…]``
as :func:`fnmatch.fnmatchcase`) at its site, matched once per lot.

A report tried every product's patterns on every lot (products × patterns × lots); here a
name without wildcards is looked up, and a wildcard pattern is indexed by its literal ends:
the text before its first wildcard (prefix) and after its last (suffix). A lot is tried only
on the patterns whose prefix it starts with and whose suffix it ends with, and then only the
middle (the core, e.g. ``*`` of ``*-2027`` or ``?`` of ``BTL-1?``) is matched, by one regular
expression (:func:`fnmatch.translate`) for a product's cores there, compiled the first time a
lot needs it and shared by every product with the same cores. A pattern wild at both ends
with no ``[…]`` (``*-2027-*``) is indexed by its longest literal run instead, looked up among
the lot's substrings of that length.

Before, one regular expression per product and literal prefix was compiled up front (1,000
products × 100 patterns: seconds), and a pattern with a leading ``*`` (no prefix) had every
lot tried on every product's expression (10,000 lots: 16–20 s).
A lot may match several products; all are returned, in plan order."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence

WILD = re.compile(r"[*?\[]")
"""What makes a pattern more than a name (:mod:`fnmatch`); the text before it is literal."""
LAST = re.compile(r"[*?\[\]][^*?\[\]]*\Z")
"""The pattern's last ``*?[]``: the text after it is literal — no wildcard, and no ``]`` that
could close a class opened before it — so the core a pattern leaves is read by
:func:`fnmatch.translate` as it is within the whole pattern."""
RUN = re.compile(r"[^*?]+")
"""A literal run of a pattern without ``[`` or ``]``: a lot it names holds it as it is."""

Match = Callable[[str, int, int], object]
Owners = list[tuple[int, tuple[str, ...]]]
"""Products, each with the cores of its patterns under one key, in plan order."""
Bucket = tuple[int, dict[str, Owners]]
"""The patterns of one site and prefix: the longest suffix, and the owners by suffix."""
NONE: Bucket = (-1, {})


def _always(lot: str, pos: int, end: int) -> bool:
    """A core of only ``*``: whatever is between the prefix and the suffix."""
    return True


def _own(owners: Owners, k: int, core: str) -> None:
    """Add product ``k``'s ``core`` to ``owners`` (products come in plan order)."""
    if owners and owners[-1][0] == k:
        owners[-1] = (k, (*owners[-1][1], core))
    else:
        owners.append((k, (core,)))


class LotMatcher:
    """The products (indices into ``products``: each its site and its lot patterns) that
    match a lot made or claimed at a site."""

    def __init__(self, products: Sequence[tuple[str, Sequence[str]]]) -> None:
        self._exact: dict[tuple[str, str], list[int]] = {}
        wild: dict[str, dict[str, dict[str, Owners]]] = {}
        self._runs: dict[str, dict[str, Owners]] = {}
        for k, (site, patterns) in enumerate(products):
            for pat in dict.fromkeys(patterns):
                m = WILD.search(pat)
                if m is None:
                    owners = self._exact.setdefault((site, pat), [])
                    if k not in owners:
                        owners.append(k)
                    continue
                start = m.start()
                end = LAST.search(pat, start).start() + 1  # type: ignore[union-attr]
                runs = RUN.findall(pat) if start == 0 and end == len(pat) else ()
                if runs and "[" not in pat and "]" not in pat:
                    _own(self._runs.setdefault(site, {}).setdefault(max(runs, key=len), []),
                         k, pat)
                else:
                    _own(wild.setdefault(site, {}).setdefault(pat[:start], {}).setdefault(
                        pat[end:], []), k, pat[start:end])
        self._wild: dict[str, tuple[int, dict[str, Bucket]]] = {
            site: (max(map(len, buckets)), {
                prefix: (max(map(len, by_suffix)), by_suffix)
                for prefix, by_suffix in buckets.items()})
            for site, buckets in wild.items()}
        self._run_sizes = {site: sorted({len(r) for r in runs})
                           for site, runs in self._runs.items()}
        self._cores: dict[tuple[str, ...], Match] = {}
        self._seen: dict[tuple[str, str], tuple[int, ...]] = {}

    def _core(self, cores: tuple[str, ...]) -> Match:
        """Whether the text between a lot's prefix and suffix matches one of ``cores``: one
        regular expression for them all (a product's patterns there), compiled once."""
        match = self._cores.get(cores)
        if match is None:
            match = self._cores[cores] = _always if any(c.strip("*") == "" for c in cores) \
                else re.compile("|".join(map(fnmatch.translate, cores))).match
        return match

    def _owners(self, site: str, lot: str) -> list[tuple[Owners, int, int]]:
        """The owners a lot at ``site`` may belong to, each with the span of the lot their
        cores must match: by the lot's prefixes and suffixes, and by its substrings."""
        out = []
        longest_prefix, buckets = self._wild.get(site, (-1, {}))
        size = len(lot)
        for n in range(min(size, longest_prefix) + 1):
            longest, by_suffix = buckets.get(lot[:n], NONE)
            for m in range(min(size - n, longest) + 1):
                if owners := by_suffix.get(lot[size - m:]):
                    out.append((owners, n, size - m))
        runs = self._runs.get(site, {})
        for length in self._run_sizes.get(site, ()):
            # each run once, not once per place it occurs in the lot (review 306: '-' in
            # '-x' * 100 tried each product 100 times)
            pieces = {lot[i: i + length] for i in range(size - length + 1)}
            out += [(runs[p], 0, size) for p in pieces if p in runs]
        return out

    def products(self, site: str, lot: str) -> tuple[int, ...]:
        """The indices of the products whose patterns match ``lot`` at ``site``, ascending."""
        key = (site, lot)
        hit = self._seen.get(key)
        if hit is None:
            found = set(self._exact.get(key, ()))
            for owners, pos, end in self._owners(site, lot):
                for k, cores in owners:
                    if k not in found and self._core(cores)(lot, pos, end) is not None:
                        found.add(k)
            hit = self._seen[key] = tuple(sorted(found))
        return hit
