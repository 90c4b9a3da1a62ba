"""The value network of a model's baseline as a graph for drawing: materials → parts →
products (the BOM), then the loop stages in life-cycle columns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from junkan.lifecycle import stages as st
from junkan.lifecycle.part_table import PartTable, part_table
from junkan.lifecycle.sankey import layout_positions

if TYPE_CHECKING:
    from junkan.lifecycle.api import ModelFile


class ValueNetwork(TypedDict):
    nodes: list[dict[str, Any]]
    """``id`` (``material:x``, ``part:x``, ``product:x`` or ``stage:x``), ``label``, ``kind``
    and the position ``x``, ``y`` in [0, 1]."""
    edges: list[dict[str, str]]
    """``source`` and ``target`` node ids, ``kind`` ``bom`` or ``flow``."""


def value_network(mf: ModelFile) -> ValueNetwork:
    """Nodes (with x, y positions) and edges of the baseline's value network: materials →
    parts → products (the BOM) on the left, then the loop stages in life-cycle columns."""
    c = mf.compiled[mf.baseline.baseline_name]
    m = c.model
    parts = part_table(m)  # columns: no Part objects built for 20,000 parts
    depth = part_depths(parts)
    max_depth = max(depth.values(), default=0)
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, str]] = []
    for name in m.materials:
        nodes.append({"id": f"material:{name}", "label": name, "kind": "material", "x": 0.001})
    for name, title in zip(parts.names, parts.title, strict=True):
        nodes.append({"id": f"part:{name}", "label": title or name, "kind": "part",
                      "x": 0.08 + 0.14 * depth[name] / max(max_depth, 1)})
    for name, prod in m.products.items():
        nodes.append({"id": f"product:{name}", "label": prod.title or name, "kind": "product",
                      "x": 0.30})
    for q, name in enumerate(parts.names):
        for g in parts.lines_of(q):
            sub = parts.line_part[g]
            edges.append({"source": f"part:{sub}" if sub else f"material:{parts.line_material[g]}",
                          "target": f"part:{name}", "kind": "bom"})
    for name, prod in m.products.items():
        for line in prod.bom:
            src = f"part:{line.part}" if line.part else f"material:{line.material}"
            edges.append({"source": src, "target": f"product:{name}", "kind": "bom"})
    flows = []
    for a, b in c.edges:
        if st.MANUFACTURING in (a, b) or st.VIRGIN in (a, b):
            if a in st.INVENTORY_NODES:  # recovered items feed new products
                flows += [(f"{a} (re-supplied)", f"product:{p}") for p in m.products]
            continue
        flows.append((f"{a} (re-supplied)" if a in st.INVENTORY_NODES else a,
                      f"{b} (recovered)" if b in st.INVENTORY_NODES else b))
    flows += [(f"product:{p}", st.USE) for p in m.products]
    stage_labels = sorted({n for f in flows for n in f if not n.startswith("product:")})
    xs = layout_positions(stage_labels, c)
    for label in stage_labels:
        x = xs[label]
        nodes.append({"id": f"stage:{label}", "label": label, "kind": "stage",
                      "x": 0.001 if x < 0.01 else 0.38 + 0.62 * x})
    for a, b in flows:
        edges.append({"source": a if a.startswith("product:") else f"stage:{a}",
                      "target": b if b.startswith("product:") else f"stage:{b}",
                      "kind": "flow"})
    columns: dict[float, list[dict[str, Any]]] = {}
    for n in nodes:
        columns.setdefault(n["x"], []).append(n)
    for members in columns.values():
        for rank, n in enumerate(members):
            n["y"] = (rank + 0.5) / len(members)
    return {"nodes": nodes, "edges": edges}


def part_depths(parts: PartTable) -> dict[str, int]:
    """Each part's longest distance from a material, in BOM levels (0: made of materials
    only; otherwise one more than its deepest sub-part): one pass, sub-parts first (the
    BOM has no cycles: compilation refuses them). It was a pass over every BOM line per
    part, cubic in effect — a 200-product model's upload ran out of its CPU budget."""
    start, line_part, index = parts.bom_start, parts.line_part, parts.index
    depth: dict[str, int] = {}
    for root in parts.names:
        stack = [(root, False)]
        while stack:
            name, ready = stack.pop()
            if name in depth:
                continue
            q = index[name]
            subs = [p for p in line_part[start[q]:start[q + 1]] if p is not None]
            if ready:
                depth[name] = max((depth[p] + 1 for p in subs), default=0)
            else:
                stack.append((name, True))
                stack.extend((p, False) for p in subs if p not in depth)
    return depth
