"""The BOM graph of a model as arrays: every sub-part line of the parts and every line of the
products, with each part type's height and the instances below it, settled level by level
with numpy (issue 17: the compile on columns, not part by part in Python).

A part's *height* counts the part levels from it down, itself included (a part without
sub-parts has height 1); *below* counts the part instances its subtree expands to, itself
excluded (a part used by two parents is two instances, see
:func:`~junkan.lifecycle.checks.check_bom_size`). Both are what the size check and the
material content need; the walk in :func:`~junkan.lifecycle.checks.check_bom_graph` stays
for the messages when a line is wrong or the graph has a cycle."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np

from junkan.lifecycle.part_table import PartTable
from junkan.lifecycle.schema import LifecycleModel

__all__ = ["COUNT_CAP", "NARROW", "BomLines", "PartGraph", "ProductLines", "bom_lines",
           "codes", "line_codes", "part_graph", "product_lines"]

NARROW = 16
"""Below this many parts settled at once, the rest of the graph is settled node by node
(:func:`_settle_rest`): a chain of 100,000 parts would otherwise take 100,000 levels of numpy
calls."""
COUNT_CAP = float(2**53)
"""Instance counts are kept as floats and capped here (exact below it; the size limit is far
lower), so a deep BOM whose tree would have more instances than an int64 holds cannot
overflow."""


@dataclass(frozen=True)
class BomLines:
    """The parts' BOM lines (:class:`~junkan.lifecycle.part_table.PartTable` columns) as
    codes, read once for the checks, the graph and the material content."""

    owner: np.ndarray  # (G,) int64: the part whose BOM holds the line
    part: np.ndarray  # (G,) int64: the part it names; -1 on a material line, -2 unknown
    material: np.ndarray  # (G,) int64: the material it names; -1 on a part line, -2 unknown
    qty: np.ndarray  # (G,) pieces per parent
    mass: np.ndarray  # (G,) kg per parent on a material line, 0 elsewhere

    def known(self) -> bool:
        """Whether every line names a known part or material, each part at most once in a
        BOM."""
        if (self.part == -2).any() or (self.material == -2).any():
            return False
        sub = np.flatnonzero(self.part >= 0)
        pairs = self.owner[sub] * (int(self.part.max(initial=0)) + 1) + self.part[sub]
        return np.unique(pairs).size == sub.size


def codes(names: list[str | None], index: dict[Any, int]) -> np.ndarray:
    """(N,) int64: the position in ``index`` of each name, -2 for a name not in it — in one
    C-level pass (``map`` of ``dict.get`` into a list: ``np.fromiter`` over the map takes
    three times as long)."""
    return np.array(list(map(index.get, names, repeat(-2))), dtype=np.int64)


def line_codes(part: list[str | None], material: list[str | None], parts: dict[str, int],
               materials: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """The :func:`codes` of BOM lines that each name a part or a material (a schema rule):
    the part and the material of each line, -1 where it names the other kind, -2 where
    the name is unknown. (The few materials are looked up with ``None`` added; the many
    parts are not copied to add it: a line naming a material names no part.)"""
    m = codes(material, {**materials, None: -1})
    q = codes(part, parts)
    q[m != -1] = -1
    return q, m


def _masses(values: list[float | None], on: np.ndarray) -> np.ndarray:
    """The values as floats, ``None`` as 0, and 0 where ``on`` is False."""
    out = np.array(values, dtype=float)  # None reads as NaN
    out[~on] = 0.0
    return np.nan_to_num(out, copy=False, nan=0.0)


def bom_lines(parts: PartTable, m_index: dict[str, int]) -> BomLines:
    """The :class:`BomLines` of ``parts``, materials numbered by ``m_index``."""
    part, material = line_codes(parts.line_part, parts.line_material, parts.index, m_index)
    start = parts.bom_start
    owner = np.repeat(np.arange(len(parts.names), dtype=np.int64), np.diff(start)) \
        if len(start) > 1 else np.zeros(0, dtype=np.int64)
    return BomLines(owner=owner, part=part, material=material,
                    qty=np.asarray(parts.line_qty, dtype=float),
                    mass=_masses(parts.line_mass, material >= 0))


@dataclass(frozen=True)
class PartGraph:
    """The sub-part lines of the parts' BOMs (in document order, so ``owner`` never
    decreases) and, per part type, its height and the instances below it."""

    owner: np.ndarray  # (L,) int64: the part whose BOM holds the line
    child: np.ndarray  # (L,) int64: the sub-part it names
    qty: np.ndarray  # (L,) pieces per parent
    line: np.ndarray  # (L,) int64: the line's position in its BOM
    start: np.ndarray  # (Q + 1,) int64: part q's sub-part lines are start[q] … start[q + 1]
    height: np.ndarray  # (Q,) int64
    below: np.ndarray  # (Q,) float, capped at COUNT_CAP
    bom: BomLines  # every line of the parts' BOMs, as read

    def order(self, names: list[str]) -> list[str]:
        """The part names parents first (by height, highest first; document order within a
        height): a topological order of the graph."""
        return [names[q] for q in np.argsort(-self.height, kind="stable").tolist()]


def part_graph(parts: PartTable, codes: BomLines | None = None) -> PartGraph | None:
    """The :class:`PartGraph` of ``parts``, whose BOM lines name known parts only; ``None``
    if the graph has a cycle (then :func:`~junkan.lifecycle.checks.check_bom_graph` reports
    it).

    Kahn's algorithm by levels: the parts whose sub-parts are all settled are settled
    together, and the lines naming them pass their height and count to their owners — each
    line is visited once, so the cost is linear in the lines plus a few numpy calls per
    level. ``codes``: :func:`bom_lines` of ``parts``, if known."""
    n_q = len(parts.names)
    codes = codes or bom_lines(parts, {})
    bom_start = np.asarray(parts.bom_start, dtype=np.int64)
    g_sub = np.flatnonzero(codes.part >= 0)
    owner, child, qty = codes.owner[g_sub], codes.part[g_sub], codes.qty[g_sub]
    height = np.ones(n_q, dtype=np.int64)
    below = np.zeros(n_q)
    remaining = np.bincount(owner, minlength=n_q)
    by_child = np.argsort(child, kind="stable")
    child_start = np.searchsorted(child[by_child], np.arange(n_q + 1))
    frontier = np.flatnonzero(remaining == 0)
    settled = frontier.size
    while frontier.size and settled < n_q:
        if frontier.size < NARROW:  # a deep, narrow graph: node by node from here
            settled += _settle_rest(frontier, remaining, height, below, owner, by_child,
                                    child_start)
            break
        counts = child_start[frontier + 1] - child_start[frontier]
        total = int(counts.sum())
        if not total:
            break
        first = np.repeat(child_start[frontier] - np.cumsum(counts) + counts, counts)
        lines = by_child[first + np.arange(total)]
        own, kid = owner[lines], child[lines]
        np.maximum.at(height, own, height[kid] + 1)
        np.add.at(below, own, 1.0 + below[kid])
        np.minimum(below, COUNT_CAP, out=below)
        remaining -= np.bincount(own, minlength=n_q)
        frontier = np.unique(own[remaining[own] == 0])
        settled += frontier.size
    if settled < n_q:
        return None  # a cycle: its parts never settle
    return PartGraph(owner=owner, child=child, qty=qty, line=g_sub - bom_start[owner],
                     start=np.searchsorted(owner, np.arange(n_q + 1)), height=height,
                     below=below, bom=codes)


def _settle_rest(frontier: np.ndarray, remaining: np.ndarray, height: np.ndarray,
                 below: np.ndarray, owner: np.ndarray, by_child: np.ndarray,
                 child_start: np.ndarray) -> int:
    """Kahn's algorithm node by node in Python from ``frontier`` (settled parts whose lines
    have not been passed on), updating ``height`` and ``below`` in place; the parts it
    settles. The same results as the levels (heights and counts are whole numbers, exact in
    any order of addition below :data:`COUNT_CAP`), in time linear in the lines, where a
    level of numpy calls per part of a long chain would cost ~60 µs each."""
    rem, h, b = remaining.tolist(), height.tolist(), below.tolist()
    own, lines, start = owner.tolist(), by_child.tolist(), child_start.tolist()
    stack, settled = frontier.tolist(), 0
    while stack:
        c = stack.pop()
        for j in lines[start[c]:start[c + 1]]:
            o = own[j]
            if h[c] + 1 > h[o]:
                h[o] = h[c] + 1
            b[o] = min(b[o] + 1.0 + b[c], COUNT_CAP)
            rem[o] -= 1
            if not rem[o]:
                stack.append(o)
                settled += 1
    height[:], below[:] = h, b
    return settled


@dataclass(frozen=True)
class ProductLines:
    """The products' BOM lines, read once: per line naming a part (in document order) its
    product, the part type and the pieces per product; per product the kg of each material
    listed directly; and whether a BOM names a part twice (the checker reports it)."""

    product: np.ndarray  # (L,) int64, never decreasing
    part: np.ndarray  # (L,) int64
    qty: np.ndarray  # (L,) pieces per product
    direct: np.ndarray  # (P, M) kg of materials listed directly
    repeated: bool

    def tops(self, n_products: int) -> np.ndarray:
        """(P + 1,) int64: product p's part lines are ``tops[p]`` … ``tops[p + 1]``."""
        return np.searchsorted(self.product, np.arange(n_products + 1))


def product_lines(model: LifecycleModel, parts: PartTable, m_index: dict[str, int]
                  ) -> ProductLines | None:
    """The :class:`ProductLines` of ``model``, or ``None`` if a line names an unknown part or
    material (the checker's walk then reports it, with its path)."""
    index = parts.index
    prod: list[int] = []
    part: list[int] = []
    qty: list[float] = []
    mats: list[tuple[int, int, float]] = []
    repeated = False
    for pi, entry in enumerate(model.products.values()):
        n_before = len(part)
        for item in entry.bom:
            if item.part is not None:
                q = index.get(item.part)
                if q is None:
                    return None
                prod.append(pi)
                part.append(q)
                qty.append(item.quantity)
            else:
                m = m_index.get(item.material)  # type: ignore[arg-type]
                if m is None:
                    return None
                mats.append((pi, m, item.mass or 0.0))
        if len(part) - n_before > 1 and len(set(part[n_before:])) != len(part) - n_before:
            repeated = True
    direct = np.zeros((len(model.products), len(m_index)))
    if mats:  # one unbuffered sum in document order, as a loop of += would do
        rows, cols, kg = zip(*mats, strict=True)
        np.add.at(direct, (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)),
                  np.array(kg, dtype=float))
    return ProductLines(product=np.array(prod, dtype=np.int64),
                        part=np.array(part, dtype=np.int64), qty=np.array(qty, dtype=float),
                        direct=direct, repeated=repeated)
