"""The import rules of docs/architecture.md, checked on the source tree (an AST walk, so
function-local imports count too):

- ``junkan.core`` is the kernel: it imports no other junkan package;
- a capability imports ``core``, ``data`` and other capabilities' *public* names only
  (``from junkan.network import plan``, never ``junkan.network.cflp``), and no edge;
- edges (``api``, ``cli``, ``store``, ``web``) may import capabilities (their public names) and
  the kernel; ``store`` imports no other edge, ``api`` not ``cli``. One exception: ``store``
  is the ledger's persistence — it implements the protocols the rules are written against
  (``trace.rules.View``, ``trace.balance.Book``) and stores what ``trace.signing``,
  ``trace.merkle`` and ``trace.propagate`` produce — so it uses ``trace``'s modules; the rules
  themselves never import the store, and no other edge reaches into ``trace``;
- no private name (``_x``) is imported across packages."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "junkan"
KERNEL = {"core"}
DATA = {"data"}
EDGES = {"api", "cli", "store", "web"}
CAPABILITIES = {p.name for p in SRC.iterdir() if (p / "__init__.py").exists()} - KERNEL - DATA \
    - EDGES
"""Every other package is a capability (a new one is covered the day it is added)."""
EDGE_INTERNALS = {("store", "trace")}
"""Edges allowed into a capability's modules, each with its reason in the module docstring."""
EDGE_MAY_NOT = {"store": {"api", "cli", "web"}, "api": {"cli"}, "web": {"api", "cli", "store"}}


def _imports(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """(line, imported module, imported names) of every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg = path.relative_to(SRC.parent).with_suffix("").parts
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = list(pkg[:-node.level])
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield node.lineno, module, [a.name for a in node.names]


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "junkan" and len(parts) > 1 else None


def _violations() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[0] in {"store"} and "migrations" in rel.parts:
            continue
        me = rel.parts[0] if len(rel.parts) > 1 else None
        if me is None:
            continue
        for line, module, names in _imports(path):
            other = _package(module)
            if other is None or other == me:
                continue
            where = f"{rel}:{line} imports {module}"
            if me in KERNEL and other not in KERNEL:
                found.append(f"{where}: the kernel imports no other junkan package")
            if me in CAPABILITIES | DATA:
                if other in EDGES:
                    found.append(f"{where}: a capability never imports an edge")
                elif other in CAPABILITIES and module.count(".") > 1:
                    found.append(f"{where}: use the public names of junkan.{other}")
            if me in EDGES and other in CAPABILITIES and module.count(".") > 1 \
                    and (me, other) not in EDGE_INTERNALS:
                found.append(f"{where}: use the public names of junkan.{other}")
            if me in EDGE_MAY_NOT and other in EDGE_MAY_NOT[me]:
                found.append(f"{where}: {me} may not import {other}")
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private or any(p.startswith("_") and not p.startswith("__")
                              for p in module.split(".")[2:]):
                found.append(f"{where} {private}: private names stay in their package")
    return found


def test_import_rules() -> None:
    problems = _violations()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("snippet, rule", [
    ("from junkan.api import app\n", "never imports an edge"),
    ("from junkan.network.cflp import solve\n", "public names"),
    ("from junkan.network import _secret\n", "private names"),
])
def test_the_checker_catches_each_rule(tmp_path: Path, snippet: str, rule: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules bite: a planted import in a capability is reported."""
    fake = tmp_path / "junkan"
    (fake / "lifecycle").mkdir(parents=True)
    (fake / "lifecycle" / "bad.py").write_text(snippet)
    monkeypatch.setattr(__import__(__name__, fromlist=["SRC"]), "SRC", fake)
    assert any(rule in p for p in _violations())
