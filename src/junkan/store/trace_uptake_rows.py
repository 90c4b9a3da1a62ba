"""Rule 3's reads and writes of ``trace_lots`` on the raw driver cursor (no SQLAlchemy row
or JSON type processing), ``own`` decoded with orjson and written in the store's form. At a
cone of 1,000,000 rule-3 lots the earlier path (SQLAlchemy rows, ``json`` and a dict per
lot, SQLAlchemy's JSON encoding) spent 15-20 s of the 23-30 s a re-declaration took
(71d5c530's figures; the whole rule-3 step 14.8-16.1 s against 6.2-7.4 s now,
benchmarks/trace_uptake_bench.py, SQLite, before the write in the store's form). Editing
the two facts in SQL instead (SQLite ``json_set``/``json_remove``, reading them with
``json_type``/``->``) was measured and is not faster on SQLite: 8.5 s to read the facts and
9-10 s to write them at 1M lots (2.4 s for a plain ``UPDATE … SET own = ?`` of the same
rows), as each JSON function parses the whole document again.

Numbers: orjson reads a number as Python's ``json`` does (correctly rounded); -0.0 stays
-0.0. What orjson cannot read (``NaN``/``Infinity`` in a stored document, integers beyond 64
bits) goes through the standard library's ``json``. A document is written in the store's own
text form on each database (:func:`junkan.store.trace_rows.stored_json`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson
from sqlalchemy.engine import Connection

from junkan.trace.pcf import UPTAKE_FACTS

ABSENT, NULL, NUMBER, OTHER = 0, 1, 2, 3
"""What a stored fact is: not there, null, a number, something else (not a number)."""

CHUNK = 200_000
"""Lots per read (one JSON array or PostgreSQL array of seqs each)."""

_U, _A = UPTAKE_FACTS


def loads(text: Any) -> Any:
    """A stored JSON column's value (text, or already decoded by the driver)."""
    if not isinstance(text, str | bytes):
        return text
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)  # NaN, Infinity, integers beyond 64 bits


def _fetch(conn: Connection, lite: str, pg: str, seqs: Sequence[int]) -> list[Any]:
    """Rows of ``lite`` (SQLite, ``?``: a JSON array of seqs) or ``pg`` (``%s``: an array)
    for ``seqs``, ``CHUNK`` at a time, on the driver's cursor."""
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    rows: list[Any] = []
    try:
        for k in range(0, len(seqs), CHUNK):
            part = [int(x) for x in seqs[k:k + CHUNK]]
            if conn.dialect.name == "sqlite":
                cur.execute(lite, (json.dumps(part),))
            else:
                cur.execute(pg, (part,))
            rows.extend(cur.fetchall())
    finally:
        cur.close()
    rows.sort(key=lambda r: r[0])
    return rows


def read_own(conn: Connection, seqs: Sequence[int]) -> list[tuple[int, Any]]:
    """(seq, decoded ``own``) of the lots ``seqs`` that are not declared
    and whose ``own`` names ``rules`` (a superset of those made under rule 3, by the
    text)."""
    rows = _fetch(
        conn,
        "SELECT seq, own FROM trace_lots WHERE seq IN (SELECT value FROM json_each(?)) "
        "AND custody != 'declared' AND own LIKE '%\"rules\"%'",
        "SELECT seq, own::text FROM trace_lots WHERE seq = ANY(%s) "
        "AND custody != 'declared' AND own::text LIKE '%%\"rules\"%%'", seqs)
    return [(seq, loads(text)) for seq, text in rows]


def read_facts(conn: Connection, seqs: Sequence[int]) -> list[tuple[int, dict[str, Any]]]:
    """(seq, PcfFacts as stored) of the lots ``seqs``: ``declared``'s if declared, else
    ``own``'s (:func:`junkan.trace.pcf.pcf_facts`)."""
    col = "CASE WHEN custody = 'declared' THEN declared ELSE own END"
    rows = _fetch(
        conn,
        f"SELECT seq, {col} FROM trace_lots WHERE seq IN (SELECT value FROM json_each(?))",
        f"SELECT seq, ({col})::text FROM trace_lots WHERE seq = ANY(%s)", seqs)
    out = []
    for seq, text in rows:
        doc = loads(text)
        out.append((seq, dict((doc or {}).get("pcf") or {})))
    return out


def fact(pcf: dict[str, Any], key: str) -> tuple[int, float]:
    """A stored fact's kind and value (0.0 unless a number; a bool is not one)."""
    v = pcf.get(key, pcf)
    if v is pcf:
        return ABSENT, 0.0
    if v is None:
        return NULL, 0.0
    if type(v) is float or type(v) is int:
        return NUMBER, float(v)
    return OTHER, 0.0


class Facts:
    """Uptake facts of lots, arrays in the order of ``seq``: ``flag`` (per use: other facts
    besides the uptake, or any facts), per fact (uptake, assumed) its kind and value."""

    def __init__(self, seq: list[int], pcfs: list[dict[str, Any]], rest: bool) -> None:
        self.seq = np.array(seq, dtype=np.int64)
        n = len(seq)
        self.flag = np.zeros(n, dtype=bool)
        self.u_type = np.zeros(n, dtype=np.int8)
        self.a_type = np.zeros(n, dtype=np.int8)
        self.u = np.zeros(n)
        self.a = np.zeros(n)
        for k, pcf in enumerate(pcfs):
            if not pcf:
                continue
            self.u_type[k], self.u[k] = fact(pcf, _U)
            self.a_type[k], self.a[k] = fact(pcf, _A)
            self.flag[k] = (len(pcf) > (_U in pcf) + (_A in pcf)) if rest else True


def write(conn: Connection, seqs: Sequence[int], texts: list[str]) -> None:
    """Store ``texts`` as the ``own`` of lots ``seqs``. SQLite: one executemany.
    PostgreSQL: COPY into a temporary table (dropped at commit), then one UPDATE joined on
    ``seq``: an UPDATE from ``unnest`` of 200,000 seqs was planned as a hash join over all
    of ``trace_lots`` per statement, 27-31 s for 900,000 lots at 1M."""
    if not seqs:
        return
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "sqlite":
            cur.executemany("UPDATE trace_lots SET own = ? WHERE seq = ?",
                            list(zip(texts, seqs, strict=True)))
            return
        cur.execute("CREATE TEMPORARY TABLE IF NOT EXISTS junkan_new_own (seq bigint "
                    "PRIMARY KEY, own text NOT NULL) ON COMMIT DROP")
        cur.execute("TRUNCATE junkan_new_own")
        with cur.copy("COPY junkan_new_own (seq, own) FROM STDIN") as copy:
            for row in zip(seqs, texts, strict=True):
                copy.write_row(row)
        cur.execute("ANALYZE junkan_new_own")
        cur.execute("UPDATE trace_lots AS t SET own = v.own::json FROM junkan_new_own AS v "
                    "WHERE t.seq = v.seq")
    finally:
        cur.close()
