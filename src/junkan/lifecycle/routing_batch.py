"""Routing operators recorded as events and expanded with array operations (issue 17, "fast
end to end"): the routing of a large model records millions of process runs, stage edge flows
and material mixes; rather than appending each entry of an operator from Python, a
:class:`Route` records one compact event per call and :meth:`Route.build` expands all events
at once.

Every expansion gives the very entries, in the very order, that appending them call by call
would give (the operators sum duplicate entries in that order, so the order decides the last
bit): ``tests/lifecycle/test_routing_batch.py`` compares them with such a route.

Blocks of an operator: ``prod`` (P, products recovered for reuse), ``part`` (Q, parts
recovered), ``mat`` (M·D, kg of each material into each sink), ``act`` (2N, pieces and kg of
each process) and ``edge`` (E, kg along each stage edge)."""

from __future__ import annotations

from array import array
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from junkan.lifecycle.build import Bom
from junkan.lifecycle.checks import SinkShares
from junkan.lifecycle.compiled import INTO, Compiled
from junkan.lifecycle.ragged import numbered, ragged

_I = np.int64
Left = tuple[np.ndarray, list[tuple[int, float]], float]
"""An item's kg by material (M,), its extracted descendants (instance, pieces per item) and
its mass, kg: what is left of it is routed by :meth:`Route.mix_residual`."""
RawBlocks = dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, int, int]]
"""Per block: rows, columns and values of the entries, number of rows and of columns."""
MIX_CHUNK = 2**20
"""Kilogram values computed at once when the material mixes are built (bounds memory)."""


def expand_act(cols: np.ndarray, lists: np.ndarray, pieces: np.ndarray, kg: np.ndarray,
               flat: np.ndarray, offsets: np.ndarray, lengths: np.ndarray, n_procs: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and values of the ``act`` block for events "run process list
    ``lists[i]`` on ``pieces[i]`` pieces (count) and ``kg[i]`` kilograms in column
    ``cols[i]``": per event and per process of its list (process indices in ``flat``),
    the pieces in row ``i`` then the kg in row ``n_procs + i``, each only if not zero."""
    event, item = ragged(offsets, lengths, lists)
    proc = flat[item]
    rows = np.stack([proc, proc + n_procs], axis=1).ravel()
    vals = np.stack([pieces[event], kg[event]], axis=1).ravel()
    out_cols = np.repeat(cols[event], 2)
    keep = vals != 0.0
    return rows[keep], out_cols[keep], vals[keep]


def expand_edges(cols: np.ndarray, keys: np.ndarray, kg: np.ndarray, mix_kind: np.ndarray,
                 mix_scale: np.ndarray, mix_total: np.ndarray, kinds: tuple[np.ndarray, ...]
                 ) -> tuple[np.ndarray, ...]:
    """Expand a stream of stage edge events: ``keys[i] >= 0`` is one edge (pair id) carrying
    ``kg[i]`` kilograms; ``keys[i] = -1 - m`` is material mix ``m`` of kind
    ``mix_kind[m]`` — one edge per sink share, carrying ``(scale × share) × total`` kg.

    ``kinds`` is (offsets, lengths, pair ids, sinks, shares) of the mix kinds' share lists.
    Returns the edge uses in order (columns, pair ids, kg) and the mix pairs in order (mix
    row, sink, column, ``scale × share``)."""
    offsets, lengths, pairs, sinks, shares = kinds
    is_mix = keys < 0
    mix_of = np.where(is_mix, -1 - keys, 0)
    ids = np.where(is_mix, mix_kind[mix_of] if len(mix_kind) else 0, 0)
    n_kinds = len(lengths)
    # single edges are a "kind" of one item at the end of the flat arrays
    all_off = np.append(offsets, len(pairs)).astype(_I)
    all_len = np.append(lengths, 1).astype(_I)
    ids = np.where(is_mix, ids, n_kinds)
    event, item = ragged(all_off, all_len, ids)
    mixed = is_mix[event]
    pair_flat = np.append(pairs, -1).astype(_I)
    share_flat = np.append(shares, 0.0)
    sink_flat = np.append(sinks, -1).astype(_I)
    m = mix_of[event]
    f = mix_scale[m[mixed]] * share_flat[item[mixed]] if mixed.any() else np.zeros(0)
    out_pair = np.where(mixed, pair_flat[item], keys[event])
    out_kg = kg[event].copy()
    out_kg[mixed] = f * mix_total[m[mixed]]
    out_cols = cols[event]
    mix_pairs = (m[mixed], sink_flat[item[mixed]], out_cols[mixed], f)
    return out_cols, out_pair, out_kg, *mix_pairs


def first_registration(pairs: np.ndarray) -> np.ndarray:
    """The distinct values of ``pairs`` in the order they first occur."""
    if not len(pairs):
        return np.zeros(0, _I)
    uniq, first = np.unique(pairs, return_index=True)
    return uniq[np.argsort(first, kind="stable")]


def uses_by_column(cols: np.ndarray, edges: np.ndarray, n_cols: int) -> list[list[int]]:
    """The distinct edges of each column in the order first used: the loop ``for (col, e)
    in uses: if new, out[col].append(e)``, on arrays."""
    out: list[list[int]] = [[] for _ in range(n_cols)]
    if not len(cols):
        return out
    n_edges = int(edges.max()) + 1
    key = first_registration(cols * n_edges + edges)  # first uses, in order of use
    key = key[np.argsort(key // n_edges, kind="stable")]  # by column, order kept
    key_cols = key // n_edges
    bounds = np.flatnonzero(np.diff(key_cols)) + 1
    starts = np.concatenate([[0], bounds]).tolist()
    stops = np.concatenate([bounds, [len(key)]]).tolist()
    values = (key % n_edges).tolist()
    for col, lo, hi in zip(key_cols[starts].tolist(), starts, stops, strict=True):
        out[col] = values[lo:hi]
    return out


def residuals(fulls: list[np.ndarray] | np.ndarray, descs: list[list[tuple[int, float]]],
              masses: list[float], q_full: np.ndarray, types: list[int]
              ) -> tuple[np.ndarray, np.ndarray]:
    """Kilograms by material left of each item (row of ``fulls``, kg by material) once its
    extracted descendants (instance, pieces per item) are taken out, and their totals; values
    below 1e-15 of the item's mass (kg) are rounding noise, set to 0.

    Row by row the operations of ``full - (a + b + …)`` with ``a = pieces × q_full[type]``:
    the same values, bit for bit, as computing each item alone."""
    out = np.array(fulls, dtype=float).reshape(len(fulls), q_full.shape[1])
    lengths = np.array([len(d) for d in descs], dtype=np.int64)
    taken = np.zeros_like(out)
    if lengths.any():  # every descendant: its item, place in the item's list, type, pieces
        kd, qd = zip(*(t for d in descs for t in d), strict=True)
        item = np.repeat(np.arange(len(descs)), lengths)
        place = np.arange(len(item)) - (np.cumsum(lengths) - lengths)[item]
        kind = np.array([types[k] for k in kd], dtype=np.int64)
        pieces = np.array(qd, dtype=float)
    for j in range(int(lengths.max(initial=0))):  # a + b + …, in order
        at = np.flatnonzero(place == j)
        rows = item[at]
        term = pieces[at, None] * q_full[kind[at]]
        taken[rows] = term if j == 0 else taken[rows] + term
    has = lengths > 0
    out[has] = out[has] - taken[has]
    tol = 1e-15 * np.maximum(np.array(masses, dtype=float), 1e-300)
    out[np.abs(out) < tol[:, None]] = 0.0
    return out, out.sum(axis=1)


def stacked(rows: list[np.ndarray]) -> np.ndarray:
    """``np.stack(rows)`` of equally long 1-D rows (at least one), by one concatenation:
    ``np.stack`` makes a view of every row first (the benchmark's 14,000 mix rows: 1.4
    against 4.6 ms, 2026-12-05)."""
    return np.concatenate(rows).reshape(len(rows), len(rows[0]))


def mat_entries(pairs: list[np.ndarray], mix_rows: list[np.ndarray], n_sinks: int,
                chunk: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and values of the ``mat`` block: for each (kg row, sink, column, scale)
    pair in order, ``scale × kg`` of each material with a non-zero result, materials in order
    (the entries a loop over the pairs would append); ``chunk`` kg values at a time."""
    rows, sinks, cols, scales = pairs
    if not len(rows):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    out_r, out_c, out_v = [], [], []
    step = max(1, chunk // max(len(mix_rows[0]), 1))  # pairs per chunk
    for lo in range(0, len(rows), step):
        sl = slice(lo, lo + step)
        first = int(rows[lo])  # rows ascend: the chunk's kg rows, stacked
        kg = stacked(mix_rows[first:int(rows[sl][-1]) + 1])
        mass = scales[sl, None] * kg[rows[sl] - first]
        pair, mat = np.nonzero(mass)  # pair by pair, materials ascending
        out_r.append(mat * n_sinks + sinks[sl][pair])
        out_c.append(cols[sl][pair])
        out_v.append(mass[pair, mat])
    return np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_v)


@dataclass
class Mixes:
    """Material mix events for :meth:`Route.extend`, in order: each mix's kind
    (:meth:`Route.kind`), scale and total kg (0 where summed later), its kg row by material,
    whether its total is the row's sum (then 0 in ``totals``), and which are what is left of
    an item (mix number, :data:`Left`, only if some is left) with the BOMs they refer to."""

    kinds: np.ndarray
    scales: np.ndarray
    totals: np.ndarray
    rows: list[np.ndarray]
    unsummed: np.ndarray
    left: list[tuple[int, Left, bool]]
    bom: Bom | None


class Route:
    """Collects a linear routing operator column by column: each call records one event;
    :meth:`build` expands them all at once into the entries, in the order, that appending
    them call by call would give. Record every column first: the first :meth:`build` or
    :meth:`edges_by_column` fixes the events (and registers the new stage edges in ``c``)."""

    def __init__(self, c: Compiled) -> None:
        self.c = c
        # ``prod`` and ``part`` entries (few): rows, columns and values, unboxed
        self.data: dict[str, tuple[array[int], array[int], array[float]]] = defaultdict(
            lambda: (array("q"), array("q"), array("d")))
        self.sink_nodes = [c.sink_node(d) for d in range(len(c.sinks))]
        # process runs: column, process list, pieces, kg; the lists by identity (kept, so
        # an id is not reused) → list number
        self.acts = (array("q"), array("q"), array("d"), array("d"))
        self._lists: dict[int, tuple[list[str], int]] = {}
        # stage edge events: column, pair number (or -1 - mix number), kg; the pairs
        self.edges = (array("q"), array("q"), array("d"))
        self._pairs: dict[tuple[str, str], int] = {}
        # material mixes: the kg rows routed, and per mix its kind, scale and total; the
        # kinds: (source node, shares) by identity → kind number
        self.mix_rows: list[np.ndarray] = []
        self.mixes = (array("q"), array("d"), array("d"))
        self._kinds: dict[tuple[str, int], tuple[SinkShares, int]] = {}
        self._kind_items: list[tuple[list[int], list[int], list[float]]] = []
        self._built: tuple[np.ndarray, ...] | None = None
        self._left: list[tuple[int, Left, bool]] = []  # see mix_residual
        self._unsummed: list[int] = []  # mixes whose total is not known yet
        self._bom: Bom | None = None

    def put(self, block: str, row: int, col: int, value: float) -> None:
        """One entry of the ``prod`` or ``part`` block (if not zero)."""
        if value != 0.0:
            rows, cols, vals = self.data[block]
            rows.append(row)
            cols.append(col)
            vals.append(value)

    def act(self, col: int, procs: list[str], pieces: float, kg: float) -> None:
        """Run each process of ``procs`` on ``pieces`` pieces and ``kg`` kilograms."""
        if not procs:
            return
        cols, lists, p, k = self.acts
        cols.append(col)
        lists.append(self.list_number(procs))
        p.append(pieces)
        k.append(kg)

    def list_number(self, procs: list[str]) -> int:
        """The number :meth:`act` records for the process list ``procs`` (-1: an empty list,
        which runs nothing)."""
        if not procs:
            return -1
        hit = self._lists.get(id(procs))
        if hit is None or hit[0] is not procs:
            hit = self._lists[id(procs)] = (procs, len(self._lists))
        return hit[1]

    def pair(self, src: str, dst: str) -> int:
        """The number :meth:`edge` records for the stage edge ``src`` → ``dst``."""
        pair = self._pairs.get((src, dst))
        if pair is None:
            pair = self._pairs[(src, dst)] = len(self._pairs)
        return pair

    def edge(self, col: int, src: str, dst: str, kg: float) -> None:
        """``kg`` kilograms along the stage edge ``src`` → ``dst`` (registered if new)."""
        cols, keys, kgs = self.edges
        cols.append(col)
        keys.append(self.pair(src, dst))
        kgs.append(kg)

    def kind(self, src: str, mix: SinkShares) -> int:
        """The number :meth:`mix` records for the sink shares ``mix`` (not empty) from
        ``src``; their stage edges are registered."""
        hit = self._kinds.get((src, id(mix)))
        if hit is None or hit[0] is not mix:
            hit = self._kinds[(src, id(mix))] = (mix, len(self._kind_items))
            nodes = self.sink_nodes
            pairs = [self.pair(src, nodes[d]) for d, _ in mix]
            self._kind_items.append((pairs, [d for d, _ in mix], [s for _, s in mix]))
        return hit[1]

    def mix(self, col: int, src: str, mix: SinkShares, materials: np.ndarray,
            scale: float, total: float | None = None) -> None:
        """``scale`` times ``materials`` (kg by material, (M,); ``total``: its sum, if known)
        into the sinks of ``mix``, along the stage edges from ``src`` (keep ``materials``
        unchanged until :meth:`build`)."""
        if not mix:
            return
        if total is None:  # summed with the others at build (each row as numpy sums it)
            self._unsummed.append(len(self.mix_rows))
            total = 0.0
        kind = self.kind(src, mix)
        kinds, scales, totals = self.mixes
        m = len(self.mix_rows)
        self.mix_rows.append(materials)
        kinds.append(kind)
        scales.append(scale)
        totals.append(total)
        cols, keys, kgs = self.edges
        cols.append(col)
        keys.append(-1 - m)
        kgs.append(0.0)

    def mix_residual(self, col: int, src: str, mix: SinkShares, left: Left, scale: float,
                     if_any: bool, bom: Bom) -> None:
        """:meth:`mix` of the kg by material ``left`` describes — (kg by material (M,),
        extracted (instance, pieces per item), item mass kg), see :func:`residuals` —
        computed with all others at :meth:`build`; with ``if_any``, only if some is left."""
        if mix:
            self._bom = bom
            self._left.append((len(self.mix_rows), left, if_any))
            self.mix(col, src, mix, left[0], scale, 0.0)

    def extend(self, acts: tuple[np.ndarray, ...], edges: tuple[np.ndarray, ...],
               mixes: Mixes, puts: dict[str, tuple[np.ndarray, ...]]) -> None:
        """Record many events at once, as the calls they stand for would in their order:
        ``acts`` (columns, :meth:`list_number`, pieces, kg), ``edges`` (columns, key, kg:
        a key ``>= 0`` is a :meth:`pair`, ``-1 - j`` the ``j``-th mix of ``mixes``) and
        ``puts`` (rows, columns, non-zero values of the ``prod`` and ``part`` blocks)."""
        m0 = len(self.mix_rows)
        for out, new in zip(self.acts, acts, strict=True):
            _append(out, new)
        cols, keys, kg = edges
        for out, new in zip(self.edges, (cols, np.where(keys < 0, keys - m0, keys), kg),
                            strict=True):
            _append(out, new)
        for out, new in zip(self.mixes, (mixes.kinds, mixes.scales, mixes.totals),
                            strict=True):
            _append(out, new)
        self.mix_rows.extend(mixes.rows)
        self._unsummed.extend((m0 + np.flatnonzero(mixes.unsummed)).tolist())
        if mixes.left:
            self._bom = mixes.bom
        self._left.extend((m0 + j, left, if_any) for j, left, if_any in mixes.left)
        for block, entries in puts.items():
            for out, new in zip(self.data[block], entries, strict=True):
                _append(out, new)

    def _resolve_left(self, totals: np.ndarray) -> None:
        """Fill in the kg and ``totals`` (per mix) of :meth:`mix_residual`; drop those with
        nothing left."""
        if not self._left:
            return
        assert self._bom is not None
        where, lefts, if_any = zip(*self._left, strict=True)
        fulls, descs, masses = zip(*lefts, strict=True)
        kg, left = residuals(list(fulls), list(descs), list(masses), self._bom.q_full,
                             self._bom.inst_type)
        rows = self.mix_rows
        for m, row in zip(where, kg, strict=True):
            rows[m] = row
        at = np.array(where, dtype=np.int64)
        totals[at] = left
        drop = -1 - at[np.array(if_any) & ~(left > 0)]
        if len(drop):  # as if never added: no stage edge use, no mix pair
            cols, keys, kgs = (_arr(a) for a in self.edges)
            keep = ~np.isin(keys, drop)
            self.edges = (array("q", cols[keep].tobytes()), array("q", keys[keep].tobytes()),
                          array("d", kgs[keep].tobytes()))

    def _expand(self) -> tuple[np.ndarray, ...]:
        """The edge uses (columns, edge indices, kg) and mix pairs (row, sink, column,
        scale), the new stage edges registered in ``c`` in the order first used."""
        if self._built is None:
            m_kind, m_scale, m_total = (_arr(a) for a in self.mixes)
            if self._unsummed:
                rows = self._unsummed
                m_total[rows] = stacked([self.mix_rows[m] for m in rows]).sum(axis=1)
            self._resolve_left(m_total)
            items = self._kind_items
            lengths = np.array([len(p) for p, _, _ in items], dtype=np.int64)
            flat = [np.array([x for it in items for x in it[j]], dtype=dt)
                    for j, dt in ((0, np.int64), (1, np.int64), (2, float))]
            kinds = (np.cumsum(lengths) - lengths, lengths, *flat)
            e_cols, e_keys, e_kg = (_arr(a) for a in self.edges)
            cols, pairs, kg, *pairs_out = expand_edges(e_cols, e_keys, e_kg, m_kind, m_scale,
                                                       m_total, kinds)
            names = list(self._pairs)
            index = np.zeros(len(names), dtype=np.int64)
            for p in first_registration(pairs).tolist():  # new edges in order first used
                index[p] = self.c.edge(*names[p])
            self._built = (cols, index[pairs], kg, *pairs_out)
        return self._built

    def edges_by_column(self, n_cols: int) -> list[list[int]]:
        """The stage edges each column registered, in the order first registered (what
        decides the order of ``Compiled.edges``, see :class:`EdgeUse`)."""
        cols, edges = self._expand()[:2]
        return uses_by_column(cols, edges, n_cols)

    def _act_block(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, columns and values of the ``act`` block, as :meth:`act` calls in order
        would append them (processes unknown to the table are skipped: the checker reports
        them and compilation stops before anything runs)."""
        index = self.c.processes.index
        known = [[index[n] for n in procs if n in index] for procs, _ in self._lists.values()]
        offsets, lengths, flat = numbered(known)
        cols, lists, pieces, kg = (_arr(a) for a in self.acts)
        return expand_act(cols, lists, pieces, kg, flat, offsets, lengths, len(self.c.processes))

    def build(self, n_cols: int) -> RawBlocks:
        """The entries of every block (rows, columns, values, rows, columns); the edge
        block's row count is set by :func:`finish` once every stage edge is known."""
        c = self.c
        cols, edges, kg, *pairs = self._expand()
        out: RawBlocks = {}
        for block, n_rows in (("prod", len(c.products)), ("part", len(INTO) * len(c.parts))):
            rows, bcols, vals = self.data[block]
            out[block] = (_arr(rows), _arr(bcols), _arr(vals), n_rows, n_cols)
        out["mat"] = (*mat_entries(pairs, self.mix_rows, len(self.sink_nodes), MIX_CHUNK),
                      len(c.materials) * len(c.sinks), n_cols)
        out["act"] = (*self._act_block(), 2 * len(c.processes), n_cols)
        keep = kg != 0.0
        out["edge"] = (edges[keep], cols[keep], kg[keep], 0, n_cols)
        return out


    def release(self) -> None:
        """Drop the recorded events once the blocks and the edges by column are taken
        (they are a large model's biggest temporary: on the 1,000-product benchmark the
        load's memory peaks while the operators are built)."""
        self.data.clear()
        self.acts = self.mixes = ()  # type: ignore[assignment]
        self.edges = ()  # type: ignore[assignment]
        self.mix_rows, self._left, self._built = [], [], None


def _append(out: Any, new: np.ndarray) -> None:
    """Append numpy values to an unboxed array of the same kind."""
    out.frombytes(np.ascontiguousarray(new, dtype=np.int64 if out.typecode == "q" else float)
                  .tobytes())


def _arr(a: array[int] | array[float]) -> np.ndarray:
    """An unboxed array as numpy (a copy: the array may grow after)."""
    return np.array(a, dtype=np.int64 if a.typecode == "q" else float)
