"""Rule 3 in the store: after a re-declaration, each lot of the downstream cone made under
rule 3 derives its biogenic uptake (declared and assumed parts) again from its inputs'
current CFPs and facts as :func:`junkan.trace.pcf.rederived` does in creation order in the
replay (:func:`junkan.trace.replay.recompute`), here solved over the whole cone at once
(:mod:`junkan.trace.uptake`); lots made under rules 1 and 2 keep the
uptake they were made with. Only ``own`` of the lots whose uptake changed is written."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
from sqlalchemy import Text, cast, select, true
from sqlalchemy.orm import Session

from junkan.store.tables import Base
from junkan.store.trace_graph import LotGraph
from junkan.store.trace_rows import chunks, update_lots
from junkan.trace.pcf import UPTAKE_FACTS, follows_inputs, pcf_facts
from junkan.trace.propagate import downstream
from junkan.trace.uptake import State, derive, same


def _read(s: Session, graph: LotGraph, idx: np.ndarray, into: dict[int, Any],
          derived: bool = False) -> None:
    """Lots ``idx`` (graph indices) not yet in ``into``: custody, the stored column their
    facts are in (``declared`` if declared, else ``own``; ``derived``: all are made from
    others, only ``own`` is read), mass and current net biogenic CFP from the graph."""
    want = [int(i) for i in idx if int(i) not in into]
    if not want:
        return
    table = Base.metadata.tables["trace_lots"]
    at = {int(graph.seqs[i]): i for i in want}
    seqs = sorted(at)
    cols = [table.c.seq, table.c.custody, table.c.own] + ([] if derived else
                                                          [table.c.declared])
    # a lot made under rule 3 says so in ``own`` (pcf.follows_inputs): the others' JSON is
    # not read (a superset by its text: decided by follows_inputs)
    only = cast(table.c.own, Text).like('%"rules"%') if derived else true()
    for chunk in chunks(seqs):
        for seq, custody, own, *declared in s.execute(select(*cols).where(
                table.c.seq.in_(chunk), only)):
            i = at[seq]
            into[i] = SimpleNamespace(seq=seq, custody=custody, own=own,
                                      declared=declared[0] if declared else None,
                                      mass_kg=float(graph.g.mass[i]),
                                      cfp_biogenic=float(graph.values[i, 2]))


def uptake_starts(batch: Any) -> list[int]:
    """``seq`` of the batch's re-declared lots whose downstream uptake may have moved: their
    net biogenic CFP differs from the stored one the batch began with, or a lot made in this
    batch took from them (at a value the batch may have changed since). Downstream of the
    others every input's CFP and facts are as when the uptake was last derived, so deriving
    it again would change nothing (a re-declaration of the total alone costs nothing)."""
    used = {id(src) for _, src, _ in batch.inputs}
    return sorted({x.seq for x in batch.redeclared_lots if id(x) in used or (
        x.loaded_biogenic is not None and x.loaded_biogenic != x.cfp_biogenic)})


def rederive_uptake(s: Session, graph: LotGraph, starts: list[int]) -> int:
    """Derive the uptake of the rule-3 lots downstream of the lots ``starts`` (``seq``;
    ``graph`` holds the recomputed values) again and write those that changed. Returns
    how many changed. The whole cone at once (:func:`junkan.trace.uptake.derive`)."""
    if not starts:
        return 0
    g = graph.g
    cone = downstream(g, np.searchsorted(graph.seqs, starts))
    has_inputs = np.zeros(g.mass.size, dtype=bool)
    has_inputs[g.dst] = True
    lots: dict[int, Any] = {}
    _read(s, graph, cone[has_inputs[cone]], lots, derived=True)
    follow = np.array(sorted(i for i in lots if follows_inputs(lots[i])),
                      dtype=np.int64)  # creation order
    if not follow.size:
        return 0
    mine = np.zeros(g.mass.size, dtype=bool)
    mine[follow] = True
    sel = np.nonzero(mine[g.dst])[0]
    sel = sel[np.argsort(g.dst[sel], kind="stable")]
    sources = np.unique(g.src[sel])
    _read(s, graph, sources[~mine[sources]], lots)
    state = State.empty(g.mass.size)
    for i in sources[~mine[sources]].tolist():
        state.set(i, pcf_facts(lots[i]))
    olds = [dict(lots[i].own.get("pcf") or {}) for i in follow.tolist()]
    rest = np.array([any(k not in UPTAKE_FACTS for k in old) for old in olds], dtype=bool)
    found = derive(g.src[sel], g.dst[sel], g.taken[sel], g.mass, graph.values[:, 2],
                   follow, state, rest)
    changed = []
    for k, (i, old) in enumerate(zip(follow.tolist(), olds, strict=True)):
        new = found.facts(k)
        if not same(old, new):
            pcf = {key: v for key, v in old.items() if key not in UPTAKE_FACTS}
            lots[i].own = {**lots[i].own, "pcf": pcf | new}
            changed.append(lots[i])
    update_lots(s, "trace_lots", ("own",), changed)
    return len(changed)
