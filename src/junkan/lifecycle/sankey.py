"""Sankey layout of a result's mass flows, shared by the HTML report and the web UI.

Nodes sit in life-cycle columns (supply → manufacturing → use → collection → dismantling →
recycling → sinks). Recovered items re-enter supply the next year, so each inventory is drawn
as a "recovered" node on the right and a "re-supplied" node on the left: the diagram stays
acyclic and loops read as flows back to the start. What is still held at the end of the
horizon (in use, in inventories) gets its own node, so every node's mass is accounted for.
"""

from __future__ import annotations

from typing import TypedDict

from junkan.lifecycle import stages as st
from junkan.lifecycle.compiled import Compiled
from junkan.lifecycle.results import Result

STOCK_LABEL = "Held at end of horizon"
_FIXED = {st.VIRGIN: 0.001, st.MANUFACTURING: 0.18, st.USE: 0.36,
          st.EOL_COLLECTION: 0.54, st.MAINT_COLLECTION: 0.54, st.DISMANTLING: 0.70,
          st.SECOND_HAND: 0.999, st.SECONDARY_MARKET: 0.999}


def _column(node: str, recycling: set[str]) -> float:
    if node in _FIXED:
        return _FIXED[node]
    if node.startswith(STOCK_LABEL):
        return 0.54 if "(use)" in node else 0.999
    if node.endswith("(re-supplied)"):
        return 0.001
    if node.endswith("(recovered)"):
        return 0.85 if node.startswith(st.SECONDARY) else 0.70
    return 0.85 if node in recycling else 0.999


def layout_positions(labels: list[str], compiled: Compiled) -> dict[str, float]:
    """Column (x in [0, 1]) of each stage-node label."""
    recycling = {compiled.sink_node(d) for d in range(len(compiled.sinks))
                 if compiled.processes.kind[compiled.sinks[d]] == "recycling"}
    return {n: _column(n, recycling) for n in labels}


class SankeyNode(TypedDict):
    label: str
    x: float
    """Column in [0, 1]."""
    y: float
    """Position in the column, in [0, 1]."""


class SankeyLink(TypedDict):
    source: int
    """Index into the nodes."""
    target: int
    value: float
    """Mass in t, summed over the horizon."""


class SankeyData(TypedDict):
    nodes: list[SankeyNode]
    links: list[SankeyLink]


def sankey_data(result: Result) -> SankeyData:
    """Nodes (label, x, y in [0, 1]) and links (source, target index, value in t) summed over
    the horizon."""
    raw, c = result.raw, result.raw.compiled
    totals = (raw.edges.sum(axis=0) / 1000.0).tolist()

    def split(a: str, b: str) -> tuple[str, str]:
        if a in st.INVENTORY_NODES:
            a = f"{a} (re-supplied)"
        if b in st.INVENTORY_NODES:
            b = f"{b} (recovered)"
        return a, b

    held = {st.USE: raw.use_stock_mass[-1], st.REFURBISHMENT: raw.inventory[-1, 0],
            st.REPROCESSING: raw.inventory[-1, 1], st.SECONDARY: raw.inventory[-1, 2]}
    links = [(split(a, b), v) for (a, b), v in zip(c.edges, totals, strict=True)]
    links += [((node if node == st.USE else f"{node} (recovered)",
                f"{STOCK_LABEL} ({node.lower()})"), float(kg) / 1000.0)
              for node, kg in held.items()]
    labels: list[str] = []
    index: dict[str, int] = {}
    out_links: list[SankeyLink] = []
    for (a, b), v in links:
        if v <= 1e-9:
            continue
        for n in (a, b):
            if n not in index:
                index[n] = len(labels)
                labels.append(n)
        out_links.append({"source": index[a], "target": index[b], "value": v})
    columns = layout_positions(labels, c)
    xs = [columns[n] for n in labels]
    ys = [0.0] * len(labels)
    for x in set(xs):
        members = [i for i, xi in enumerate(xs) if xi == x]
        for rank, i in enumerate(members):
            ys[i] = (rank + 0.5) / len(members)
    return {"nodes": [{"label": n, "x": x, "y": y} for n, x, y in zip(labels, xs, ys,
                                                                        strict=True)],
            "links": out_links}
