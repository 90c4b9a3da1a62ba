"""The lot graph as arrays, read from the store or kept in memory between ingests.

A re-declaration recomputes its downstream cone from the whole graph (masses, links, current
values). Reading a million lots and two million links takes ~5 s, so a long-running process
(the platform service) keeps the arrays and brings them up to date from its own batches.
The arrays are valid for one ledger version, the newest event id: any write the process did
not make itself (another process, a direct edit) moves the version and the graph is read
again. Memory: about 170 MB per million lots with two links each."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from junkan.trace.propagate import Graph

_COLUMNS = ("SELECT l.seq, l.mass_kg, v.cfp_total, v.cfp_fossil, v.cfp_biogenic, v.rec_pre, "
            "v.rec_post, l.own_cfp, CASE WHEN l.custody = 'mass_balance' THEN 1 ELSE 0 END "
            "FROM trace_lots AS l JOIN trace_values AS v ON v.seq = l.seq")


@dataclass
class LotGraph:
    """The graph, the store's ``seq`` of each lot (ascending) and the lots' current values
    (n, 5): CFP total, fossil, biogenic (kg CO2e), recycled pre-, post-consumer (share)."""

    g: Graph
    seqs: np.ndarray
    values: np.ndarray
    version: int = -1
    """Newest event id the arrays reflect (−1: not yet known)."""
    pending: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    """Batches ingested since the arrays were last materialised: (lot rows (k, 9) as read
    by :func:`read`, links (e, 3) as seq of input, seq of output, kg)."""

    @property
    def pending_lots(self) -> int:
        return sum(rows.shape[0] for rows, _ in self.pending)

    def add(self, rows: np.ndarray, links: np.ndarray) -> None:
        """Record a batch's new lots and links, applied at the next :meth:`materialise`."""
        self.pending.append((rows, links))

    def materialise(self) -> LotGraph:
        """Apply the pending batches (new lots come after the known ones: seq ascends)."""
        if not self.pending:
            return self
        rows = np.concatenate([r for r, _ in self.pending])
        links = np.concatenate([e for _, e in self.pending])
        self.pending = []
        if rows.size and self.seqs.size and rows[0, 0] <= self.seqs[-1]:
            raise ValueError("new lots must come after the cached ones")
        old = self.g
        n_old = self.seqs.size
        seqs = np.concatenate([self.seqs, rows[:, 0].astype(np.int64)])
        src = np.searchsorted(seqs, links[:, 0].astype(np.int64))
        dst = np.searchsorted(seqs, links[:, 1].astype(np.int64))
        values = np.concatenate([self.values, rows[:, 2:7]])
        own = np.concatenate([old.own, _own(rows)])
        fixed_old = old.fixed_rec if old.fixed_rec is not None else np.zeros(n_old, bool)
        self.g = Graph(mass=np.concatenate([old.mass, rows[:, 1]]),
                       src=np.concatenate([old.src, src]), dst=np.concatenate([old.dst, dst]),
                       taken=np.concatenate([old.taken, links[:, 2]]), own=own,
                       declared=np.concatenate([old.declared, rows[:, 2:7]]),
                       fixed_rec=np.concatenate([fixed_old, rows[:, 8] > 0]))
        self.seqs, self.values = seqs, values
        return self

    def set_values(self, idx: np.ndarray, values: np.ndarray) -> None:
        """Lots ``idx`` now have ``values`` (re-declared or recomputed)."""
        self.values[idx] = values
        self.g.declared[idx] = values


def read(s: Session) -> LotGraph:
    """The whole graph from the store (raw driver cursor: SQLAlchemy rows cost ~5 µs each
    on a million lots)."""
    s.flush()
    cur = s.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cur.execute(_COLUMNS + " ORDER BY l.seq")
    rows = cur.fetchall()
    arr = np.fromiter(chain.from_iterable(rows), dtype=float, count=9 * len(rows)
                      ).reshape(-1, 9)
    cur.execute("SELECT src_seq, dst_seq, mass_kg FROM trace_inputs")
    erows = cur.fetchall()
    cur.close()
    edges = np.fromiter(chain.from_iterable(erows), dtype=float, count=3 * len(erows)
                        ).reshape(-1, 3)
    empty = LotGraph(Graph(mass=np.zeros(0), src=np.zeros(0, np.int64),
                           dst=np.zeros(0, np.int64), taken=np.zeros(0), own=np.zeros((0, 3)),
                           declared=np.zeros((0, 5)), fixed_rec=np.zeros(0, bool)),
                     np.zeros(0, np.int64), np.zeros((0, 5)))
    empty.add(arr, edges)
    return empty.materialise()


def batch_rows(lots: list[Any], links: list[tuple[Any, Any, float]]) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    """A batch's new lots (objects with the lot columns and their ``seq``) and links
    (output, input, kg) in the layout of :func:`read`."""
    rows = np.array([(n.seq, n.mass_kg, n.cfp_total, n.cfp_fossil, n.cfp_biogenic, n.rec_pre,
                      n.rec_post, n.own_cfp, n.custody == "mass_balance") for n in lots],
                    dtype=float).reshape(-1, 9)
    edges = np.array([(src.seq, dst.seq, m) for dst, src, m in links],
                     dtype=float).reshape(-1, 3)
    return rows, edges


def _own(rows: np.ndarray) -> np.ndarray:
    """Own process emissions (total, fossil, biogenic) of lot rows: process energy is fossil."""
    return np.column_stack([rows[:, 7], rows[:, 7], np.zeros(rows.shape[0])])
