"""Rule 3 in the store: after a re-declaration, each lot of the downstream cone made under
rule 3 derives its biogenic uptake (declared and assumed parts) again from its inputs'
current CFPs and facts as :func:`junkan.trace.pcf.rederived` does in creation order in the
replay (:func:`junkan.trace.replay.recompute`), here solved over the whole cone at once
(:mod:`junkan.trace.uptake`); lots made under rules 1 and 2 keep the
uptake they were made with. Only ``own`` of the lots whose uptake changed is written, read
(orjson) and written on the driver's cursor (:mod:`junkan.store.trace_uptake_rows`): at
a cone of 1,000,000 rule-3 lots that all change this step took 14.8-16.1 s through
SQLAlchemy rows and ``json``, 6.2-7.4 s so on SQLite (8.8-9.6 s in an instrumented run:
read and decode ~2-2.6 s, the lots' facts ~0.9 s, the solve ~1.4 s, encode ~0.6-0.8 s,
write ~2.3-2.9 s; benchmarks/trace_uptake_bench.py, shared machine, load 3-5)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from junkan.store import trace_uptake_rows as rows
from junkan.store.trace_graph import LotGraph
from junkan.store.trace_rows import stored_json
from junkan.trace.pcf import UPTAKE_FACTS as UPTAKE
from junkan.trace.propagate import downstream
from junkan.trace.uptake import SAME_RTOL, Derived, State, derive


def uptake_starts(batch: Any) -> list[int]:
    """``seq`` of the batch's re-declared lots whose downstream uptake may have moved: their
    net biogenic CFP differs from the stored one the batch began with, their declared
    PcfFacts were re-declared otherwise, or a lot made in this batch took from them (at a
    value the batch may have changed since). Downstream of the others every input's CFP and
    facts are as when the uptake was last derived, so deriving it again would change nothing
    (a re-declaration of the total alone costs nothing)."""
    used = {id(src) for _, src, _ in batch.inputs} | batch.facts_moved
    return sorted({x.seq for x in batch.redeclared_lots if id(x) in used or (
        x.loaded_biogenic is not None and x.loaded_biogenic != x.cfp_biogenic)})


def _state(n: int, graph: LotGraph, facts: rows.Facts) -> State:
    """The uptake state of the lots read (``facts`` of sources, by seq) over all n lots: a
    stored uptake that is not a number is taken as unknown."""
    state = State.empty(n)
    i = np.searchsorted(graph.seqs, facts.seq)
    state.facts[i] = facts.flag
    state.known[i] = facts.u_type == rows.NUMBER
    state.uptake[i] = np.where(state.known[i], facts.u, 0.0)
    state.assumed_known[i] = state.known[i] & (facts.a_type == rows.NUMBER)
    state.assumed[i] = np.where(state.assumed_known[i], facts.a, 0.0)
    return state


def _close(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    return np.abs(old - new) <= SAME_RTOL * np.maximum(1.0, np.abs(old))


def _unchanged(old: rows.Facts, new: Derived) -> np.ndarray:
    """Which lots' stored facts are the derived ones (:func:`junkan.trace.uptake.same`, over
    arrays): the same keys, null where null, numbers to :data:`SAME_RTOL`."""
    known, guessed = new.known, new.known & new.assumed_known
    same_u = np.where(known, (old.u_type == rows.NUMBER) & _close(old.u, new.uptake),
                      np.where(new.any_facts, old.u_type == rows.NULL,
                               old.u_type == rows.ABSENT))
    same_a = np.where(guessed, (old.a_type == rows.NUMBER) & _close(old.a, new.assumed),
                      old.a_type == rows.ABSENT)
    return same_u & same_a


def _texts(new: Derived, idx: np.ndarray, owns: list[Any], postgres: bool) -> list[str]:
    """The new ``own`` of lots ``idx`` (of ``follow``; ``owns`` as stored, decoded: edited in
    place) as JSON text in the store's form on the database (``postgres`` or SQLite):
    ``pcf``'s other facts as they are, then the derived ones, as
    :func:`junkan.trace.pcf.rederived` builds it."""
    out = []
    for k, known, guessed, anyf, x, y in zip(
            idx.tolist(), new.known[idx].tolist(), new.assumed_known[idx].tolist(),
            new.any_facts[idx].tolist(), new.uptake[idx].tolist(),
            new.assumed[idx].tolist(), strict=True):
        own = owns[k]
        pcf = own.get("pcf")
        pcf = own["pcf"] = pcf if isinstance(pcf, dict) else {}
        pcf.pop(UPTAKE[0], None)
        pcf.pop(UPTAKE[1], None)
        if known:
            pcf[UPTAKE[0]] = x
            if guessed:
                pcf[UPTAKE[1]] = y
        elif anyf:
            pcf[UPTAKE[0]] = None
        out.append(stored_json(own, postgres))
    return out


def _follow(conn: Any, graph: LotGraph, cand: np.ndarray
            ) -> tuple[np.ndarray, list[Any], rows.Facts]:
    """The lots of ``cand`` made under rule 3 (:func:`junkan.trace.pcf.follows_inputs`;
    graph indices, creation order), their stored ``own`` and their uptake facts (flag:
    other facts)."""
    seqs, owns, pcfs = [], [], []
    for seq, own in rows.read_own(conn, graph.seqs[cand].tolist()):
        rules = own.get("rules") if isinstance(own, dict) else None
        if type(rules) is int and rules >= 3:
            pcf = own.get("pcf")
            seqs.append(seq)
            owns.append(own)
            pcfs.append(pcf if isinstance(pcf, dict) else {})
    return (np.searchsorted(graph.seqs, np.array(seqs, dtype=np.int64)), owns,
            rows.Facts(seqs, pcfs, rest=True))


def rederive_uptake(s: Session, graph: LotGraph, starts: list[int]) -> list[int]:
    """Derive the uptake of the rule-3 lots downstream of the lots ``starts`` (``seq``;
    ``graph`` holds the recomputed values) again and write those that changed. Returns
    their ``seq``. The whole cone at once (:func:`junkan.trace.uptake.derive`), read
    and written on the driver's cursor (:mod:`junkan.store.trace_uptake_rows`)."""
    if not starts:
        return []
    g = graph.g
    s.flush()
    conn = s.connection()
    cone = downstream(g, np.searchsorted(graph.seqs, starts))
    has_inputs = np.zeros(g.mass.size, dtype=bool)
    has_inputs[g.dst] = True
    follow, owns, old = _follow(conn, graph, np.sort(cone[has_inputs[cone]]))
    if not follow.size:
        return []
    mine = np.zeros(g.mass.size, dtype=bool)
    mine[follow] = True
    sel = np.nonzero(mine[g.dst])[0]
    sel = sel[np.argsort(g.dst[sel], kind="stable")]
    sources = np.unique(g.src[sel])
    read = rows.read_facts(conn, graph.seqs[sources[~mine[sources]]].tolist())
    state = _state(g.mass.size, graph, rows.Facts([r[0] for r in read], [r[1] for r in read],
                                                 rest=False))
    found = derive(g.src[sel], g.dst[sel], g.taken[sel], g.mass, graph.values[:, 2],
                   follow, state, old.flag)
    idx = np.nonzero(~_unchanged(old, found))[0]
    changed = old.seq[idx].tolist()
    rows.write(conn, changed, _texts(found, idx, owns, conn.dialect.name == "postgresql"))
    return changed
