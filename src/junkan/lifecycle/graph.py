"""The value network of a model's baseline as a graph for drawing: materials → parts →
products (the BOM), then the loop stages in life-cycle columns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from junkan.lifecycle import stages as st
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
    depth = {name: 0 for name in m.parts}
    for _ in range(len(m.parts)):  # longest distance from a material, fine for small BOMs
        for name, part in m.parts.items():
            for line in part.bom:
                if line.part:
                    depth[name] = max(depth[name], depth[line.part] + 1)
    max_depth = max(depth.values(), default=0)
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, str]] = []
    for name in m.materials:
        nodes.append({"id": f"material:{name}", "label": name, "kind": "material", "x": 0.001})
    for name, part in m.parts.items():
        nodes.append({"id": f"part:{name}", "label": part.title or name, "kind": "part",
                      "x": 0.08 + 0.14 * depth[name] / max(max_depth, 1)})
    for name, prod in m.products.items():
        nodes.append({"id": f"product:{name}", "label": prod.title or name, "kind": "product",
                      "x": 0.30})
    for kind, items in (("part", m.parts), ("product", m.products)):
        for name, item in items.items():
            for line in item.bom:
                src = f"part:{line.part}" if line.part else f"material:{line.material}"
                edges.append({"source": src, "target": f"{kind}:{name}", "kind": "bom"})
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
