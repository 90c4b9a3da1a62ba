"""Extracted parts routed with array operations (issue 17, "fast end to end"): the part of
the routing walk (:meth:`~junkan.lifecycle.routing.Router.cascade`) that both the
end-of-life and the maintenance operators share, for every column at once, with the events
the walk records in the order it records them (:mod:`~junkan.lifecycle.routing_eol`,
:mod:`~junkan.lifecycle.routing_repl`).

A *node* is an extracted part instance of one column: the walk routes its pieces through
its part's reuse and remanufacture, then the extracted parts below it, then what is left of
it into its residual mix. It visits a column's nodes depth first, a part's sub-parts last to
first (:meth:`~junkan.lifecycle.routing.Router.nearest`): each event here carries its
column and its place in that walk (:func:`places`), and a :class:`Stream` of events is
sorted by both.

Sort keys. A column's events are ordered by one integer: a node at place ``p`` (with ``s``
instances in its subtree and ``d`` extracted parts above it in its column) records its own
events at ``(p + 1) × 2 × slots + i`` (``i`` < 3: its own process list, then its first and
second route) and what is left of it at ``((p + s) × 2 + 1) × slots + slots − 1 − d``: after
the own events of every node of its subtree (places ``p`` to ``p + s − 1``), a deeper node's
before a shallower one's at the same end, and before the next place. A column's own first
events take keys ``0`` to ``SLOTS − 1`` (below any node's), its last one
:meth:`Nodes.last_key`. ``slots`` is at least :data:`SLOTS` and ``d + 2`` for every node."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, cast

import numpy as np

from junkan.lifecycle.build import Bom
from junkan.lifecycle.compiled import INTO
from junkan.lifecycle.routing_batch import Left, Mixes, Route
from junkan.lifecycle.stages import DISMANTLING, REPROCESSING

if TYPE_CHECKING:
    from junkan.lifecycle.routing import Router

_I = np.int64
SLOTS = 4
"""Keys a column's own first events may take (up to 4 stage edges, 3 process runs), and
the least number of keys per place (a node's own events take 3)."""
ROW, SHARE, PASS, LIST = range(4)
"""Fields of a route in :func:`options`: row in the ``part`` block, share, pass rate and
process list number (-1 where there is no such route or list; the numbers are exact in a
float array)."""


def mix_kinds(router: Router, route: Route, mixes: list[dict[str, float] | None],
              path: Callable[[int], str]) -> np.ndarray | None:
    """The :meth:`Route.kind` of each node's residual mix (checked once per mix, a problem
    named at ``path(node)``); ``None`` if a node has no mix (whether something is left
    to route is then the walk's to say) or a mix has a problem."""
    check = router.check
    kind_of: dict[int, int] = {}
    for i in {id(m): i for i, m in enumerate(mixes)}.values():  # each mix once
        mix = mixes[i]
        if not mix:
            return None
        parsed = check.known_mix(mix) or check.mix(mix, path(i), True)
        if not parsed:
            return None
        kind_of[id(mix)] = route.kind(DISMANTLING, parsed)
    return np.fromiter(map(kind_of.__getitem__, map(id, mixes)), dtype=_I, count=len(mixes))


def options(router: Router, route: Route, types: list[int]) -> np.ndarray:
    """(row in the ``part`` block, share, pass rate, process list number) of the first
    and second route with a share of each part type in ``types`` — reuse, then
    remanufacture, in the walk's order; -1 / 0 where none."""
    n_q, number = len(router.c.parts), route.list_number
    out = np.zeros((len(types), 2, 4))
    out[:, :, ROW] = out[:, :, LIST] = -1
    q = np.array(types, dtype=_I)
    ways = []
    for column in (router.parts.reuse, router.parts.remanufacture):
        opts = [column[t] for t in types]
        there = np.array([o is not None for o in opts], dtype=bool)
        got = [o for o in opts if o is not None]
        way = np.zeros((len(types), 4))
        way[:, ROW] = way[:, LIST] = -1
        if got:
            way[there, ROW] = np.array([INTO.index(o.into) for o in got]) * n_q + q[there]
            way[there, SHARE] = list(map(attrgetter("share"), got))
            way[there, PASS] = list(map(attrgetter("pass_rate"), got))
            lists = list(map(attrgetter("processes"), got))
            distinct = {id(x): x for x in lists}  # equal lists are mostly one object
            numbers = {key: number(x) for key, x in distinct.items()}
            way[there, LIST] = list(map(numbers.__getitem__, map(id, lists)))
        ways.append(way)
    has = [w[:, SHARE] > 0 for w in ways]
    out[:, 0] = np.where(has[0][:, None], ways[0], np.where(has[1][:, None], ways[1],
                                                            out[:, 0]))
    out[:, 1] = np.where((has[0] & has[1])[:, None], ways[1], out[:, 1])
    return out


def places(inst_parent: np.ndarray, levels: list[np.ndarray], inst_product: np.ndarray,
           n_products: int) -> tuple[np.ndarray, np.ndarray]:
    """Each instance's place in its product's walk (depth first, sub-parts last to first:
    the order :meth:`~junkan.lifecycle.routing.Router.nearest` finds them) and the number of
    instances in its subtree. Instances are numbered depth first, sub-parts first to last
    (:func:`~junkan.lifecycle.build.flatten_bom`), so an instance's place is its parent's
    plus one plus the subtrees of its younger siblings: what lies between the end of its
    own subtree and the end of its parent's."""
    n_k = len(inst_parent)
    size = np.ones(n_k, dtype=_I)
    for idx in reversed(levels[1:]):
        np.add.at(size, inst_parent[idx], size[idx])
    counts = np.bincount(inst_product, minlength=n_products)
    first = np.cumsum(counts) - counts
    pre = np.arange(n_k, dtype=_I) - first[inst_product]  # depth first, first to last
    place = np.zeros(n_k, dtype=_I)
    for depth, idx in enumerate(levels):
        if depth == 0:  # under the product: a root at -1 holding all its instances
            place[idx] = counts[inst_product[idx]] - pre[idx] - size[idx]
        else:
            p = inst_parent[idx]
            place[idx] = place[p] + 1 + pre[p] + size[p] - pre[idx] - size[idx]
    return place, size


class Stream:
    """Events of one stream, in any order, each with its column and its place in the
    column's walk (:func:`places`), then sorted by both."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, where: np.ndarray, cols: np.ndarray, key: np.ndarray | int,
            *values: np.ndarray | float) -> None:
        """The events at ``where`` (a mask over ``cols`` and the arrays of ``values``)."""
        n = len(cols)
        self.parts.append((cols[where], np.broadcast_to(key, n)[where],
                           *(np.broadcast_to(v, n)[where] for v in values)))

    def sorted(self) -> list[np.ndarray]:
        """The events' values (without column and place) in the walk's order, and the
        columns first."""
        cols, key, *values = (np.concatenate(a) for a in zip(*self.parts, strict=True))
        order = np.lexsort((key, cols))
        return [cols[order], *(v[order] for v in values)]


@dataclass
class Nodes:
    """The extracted parts of every column: instance, column, mass of a piece (kg), place
    and subtree size (:func:`places`), extracted ancestors (``depth``), pieces routed
    (``x``), inspected or reprocessed by each route (``cand``), recovered by each
    (``put``) and in all (``passed``), what goes on (``rest``), per node or column
    (``-1 - col``) the nearest extracted parts below it with their pieces per item, whether a
    node has any, and its routes (:func:`options`)."""

    inst: np.ndarray
    col: np.ndarray
    mass: np.ndarray
    place: np.ndarray
    size: np.ndarray
    depth: np.ndarray
    x: np.ndarray
    cand: np.ndarray
    put: np.ndarray
    passed: np.ndarray
    rest: np.ndarray
    below: dict[int, list[tuple[int, float]]]
    has_below: np.ndarray
    options: np.ndarray

    @classmethod
    def of(cls, router: Router, inst: np.ndarray, col: np.ndarray, options: np.ndarray,
           top: np.ndarray, scaled: bool) -> Nodes:
        """Nodes ``inst`` of columns ``col`` (no two columns share a part of a product),
        with their routes (:func:`options`), their values computed as the walk computes
        them: a node without an extracted part above it in its column routes ``top``
        pieces, times its pieces per product if ``scaled``."""
        c = router.c
        n, n_k = len(inst), len(c.inst_type)
        chosen = np.zeros(n_k, dtype=bool)
        chosen[inst] = True
        number = np.full(n_k, -1, dtype=_I)
        number[inst] = np.arange(n, dtype=_I)
        up, per, depth = (np.full(n_k, -1, dtype=_I), np.zeros(n_k), np.zeros(n_k, dtype=_I))
        parent, rel = c.inst_parent, c.inst_qty_rel
        for idx in c.levels:  # nearest extracted ancestor, pieces per piece of it
            p = parent[idx]
            root = p < 0
            ps = np.maximum(p, 0)
            near = ~root & chosen[ps]
            up[idx] = np.where(root, -1, np.where(near, p, up[ps]))
            per[idx] = np.where(root | near, rel[idx], per[ps] * rel[idx])
            depth[idx] = np.where(root, 0, depth[ps] + near)
        place, size = places(parent, c.levels, c.inst_product, len(c.products))
        out = cls(inst, col, router.bom.part_mass[c.inst_type[inst]], place[inst], size[inst],
                  depth[inst], np.zeros(n), np.zeros((n, 2)), np.zeros((n, 2)), np.zeros(n),
                  np.zeros(n), {}, np.zeros(n, dtype=bool), options)
        up, per = up[inst], per[inst]
        out.has_below[number[up[up >= 0]]] = True
        for d in range(int(out.depth.max(initial=-1)) + 1):
            sel = np.flatnonzero(out.depth == d)
            above = up[sel]
            x = np.where(above < 0, top[sel] * per[sel] if scaled else top[sel],
                         out.rest[number[np.maximum(above, 0)]] * per[sel])
            cand = x[:, None] * options[sel, :, SHARE]
            put = cand * options[sel, :, PASS]
            have = options[sel, :, ROW] >= 0
            passed = (0.0 + np.where(have[:, 0], put[:, 0], 0.0)) + \
                np.where(have[:, 1], put[:, 1], 0.0)
            out.x[sel], out.cand[sel], out.put[sel], out.passed[sel] = x, cand, put, passed
            out.rest[sel] = x - passed
        key = np.where(up < 0, -1 - col, up)
        order = np.lexsort((out.place, key))
        below = out.below
        for k, i, q in zip(key[order].tolist(), inst[order].tolist(), per[order].tolist(),
                           strict=True):
            below.setdefault(k, []).append((i, q))
        return out

    @property
    def slots(self) -> int:
        """Events at one place of a stream (sorted as a number: place × 2 × slots)."""
        return max(SLOTS, int(self.depth.max(initial=0)) + 2)

    def last_key(self, n_k: int) -> int:
        """The sort key of a column's own last event, after every node's (``n_k``: the
        model's instances)."""
        return (n_k + 2) * 2 * self.slots

    def record(self, router: Router, route: Route, streams: tuple[Stream, Stream, Stream],
               mixes: MixList, lists: np.ndarray, kind: np.ndarray) -> None:
        """The nodes' events into the process run, ``part`` entry and stage edge
        ``streams``, as the walk records them: each node's own process list (``lists``)
        then its routes', each route's parts recovered, the pieces reprocessed along the
        stage edge, and (after the nodes below it) what is left into its mix (``kind``)."""
        acts, parts, edges = streams
        slots = self.slots
        pre = (self.place + 1) * 2 * slots  # a node's own events, then its subtree's
        post = ((self.place + self.size) * 2 + 1) * slots + slots - 1 - self.depth
        opts = self.options
        acts.add(lists >= 0, self.col, pre, lists, self.x, self.x * self.mass)
        for j in range(2):
            number, row = opts[:, j, LIST].astype(_I), opts[:, j, ROW].astype(_I)
            acts.add(number >= 0, self.col, pre + 1 + j, number, self.cand[:, j],
                     self.cand[:, j] * self.mass)
            parts.add((row >= 0) & (self.put[:, j] != 0.0), self.col, pre + j, row,
                      self.put[:, j])
        edges.add(np.ones(len(self.col), dtype=bool), self.col, pre,
                  route.pair(DISMANTLING, REPROCESSING), self.passed * self.mass)
        self.mixes(router, mixes, edges, kind, post)

    def mixes(self, router: Router, mixes: MixList, edges: Stream, kind: np.ndarray,
              post: np.ndarray) -> None:
        """What is left of each node into its mix, as the walk routes it: with extracted
        parts below it, computed with all others at build; else the part's whole row."""
        bom = router.bom
        types = router.c.inst_type[self.inst]
        has_below = self.has_below
        left = has_below & (self.rest > 0)
        lefts: list[Left] = [(bom.q_full[q], self.below[k], float(bom.part_mass[q])) for k, q
                             in zip(self.inst[left].tolist(), types[left].tolist(),
                                    strict=True)]
        edges.add(left, self.col, post, mixes.add_left(left, kind, self.rest, lefts, True),
                  0.0)
        whole = ~has_below & (self.rest > 0)
        kg, total = router.whole_parts(types[whole])
        rest = np.zeros(len(types), dtype=bool)
        rest[whole] = total > 0
        totals = np.zeros(len(types))
        totals[whole] = total
        edges.add(rest, self.col, post, mixes.add(rest, kind, self.rest, list(kg[total > 0]),
                                                  totals), 0.0)


class MixList:
    """Mix events in the order made, numbered in the walk's order once sorted."""

    def __init__(self, bom: Bom) -> None:
        self.bom = bom
        self.kinds: list[np.ndarray] = []
        self.scales: list[np.ndarray] = []
        self.totals: list[np.ndarray] = []
        self.unsummed: list[np.ndarray] = []
        self.rows: list[np.ndarray] = []
        self.left: list[Left | None] = []
        self.if_any: list[bool] = []
        self.order: np.ndarray | None = None

    def add(self, where: np.ndarray, kinds: np.ndarray, scales: np.ndarray,
            rows: list[np.ndarray], totals: np.ndarray | None = None) -> np.ndarray:
        """Mixes at ``where`` (a mask over ``kinds`` and ``scales``) of the kg ``rows`` (one
        per mix), their ``totals`` kg over ``where`` or, if ``None``, the rows' sums (taken
        at build). Returns the events' keys, ``-1 - number``, over ``where``."""
        n = int(where.sum())
        self.totals.append(np.zeros(n) if totals is None else np.asarray(totals)[where])
        self.unsummed.append(np.full(n, totals is None))
        self.rows.extend(rows)
        self.left.extend([None] * n)
        self.if_any.extend([False] * n)
        return self._keys(where, kinds, scales, n)

    def add_left(self, where: np.ndarray, kinds: np.ndarray, scales: np.ndarray,
                 lefts: list[Left], if_any: bool) -> np.ndarray:
        """Mixes at ``where`` of what is left of items (:data:`Left`, one per mix: computed
        with all others at build), dropped where nothing is left if ``if_any``. Returns the
        events' keys, ``-1 - number``, over ``where``."""
        n = int(where.sum())
        self.totals.append(np.zeros(n))
        self.unsummed.append(np.zeros(n, dtype=bool))
        self.rows.extend(left[0] for left in lefts)
        self.left.extend(lefts)
        self.if_any.extend([if_any] * n)
        return self._keys(where, kinds, scales, n)

    def _keys(self, where: np.ndarray, kinds: np.ndarray, scales: np.ndarray, n: int
              ) -> np.ndarray:
        """Note the kinds and scales of the ``n`` mixes just added; their keys."""
        self.kinds.append(np.asarray(kinds)[where])
        self.scales.append(np.asarray(scales)[where])
        n0 = len(self.rows) - n
        keys = np.zeros(len(where), dtype=_I)
        keys[where] = -1 - np.arange(n0, n0 + n, dtype=_I)
        return keys

    def numbered(self, keys: np.ndarray) -> np.ndarray:
        """``keys`` (the edge stream's, sorted) with the mixes numbered in their order."""
        is_mix = keys < 0
        self.order = -1 - keys[is_mix]
        out = keys.copy()
        out[is_mix] = -1 - np.arange(len(self.order), dtype=_I)
        return out

    def sorted(self) -> Mixes:
        """The mixes in the order :meth:`numbered` found."""
        order = self.order if self.order is not None else np.zeros(0, dtype=_I)
        kinds, scales, totals, unsummed = (
            np.concatenate(a)[order] if a else np.zeros(0) for a in
            (self.kinds, self.scales, self.totals, self.unsummed))
        at = order.tolist()
        left = [(j, cast(Left, self.left[i]), self.if_any[i]) for j, i in enumerate(at)
                if self.left[i] is not None]
        return Mixes(kinds.astype(_I), scales, totals, [self.rows[i] for i in at],
                     unsummed.astype(bool), left, self.bom)
