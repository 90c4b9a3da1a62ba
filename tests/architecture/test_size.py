"""Modules stay short enough to hold in one's head: at most 500 lines per module and 80 per
function, outside generated migrations, unless docs/architecture.md gives the reason in its
"Size exceptions" table (``| `path` or `path:function` | reason |``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "junkan"
MODULE_LINES = 500
FUNCTION_LINES = 80


def _exceptions() -> dict[str, str]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Size exceptions", 1)[-1] if "## Size exceptions" in text else ""
    rows = re.findall(r"^\|\s*`([^`]+)`\s*\|\s*([^|]+?)\s*\|", section, flags=re.M)
    return {where: why for where, why in rows if why and not why.startswith("---")}


def _too_long() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if "/migrations/" in rel:
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n") + 1
        if lines > MODULE_LINES:
            found.append((rel, f"{rel}: {lines} lines"))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > FUNCTION_LINES:
                    found.append((f"{rel}:{node.name}", f"{rel}:{node.name}: {n} lines"))
    allowed = _exceptions()
    return [msg for key, msg in found if key not in allowed]


def test_modules_and_functions_are_short() -> None:
    problems = _too_long()
    assert not problems, ("over the size limits without a reason in docs/architecture.md:\n"
                          + "\n".join(problems))


def test_every_exception_still_applies() -> None:
    """A reason for a module or function that is short again (or gone) is removed."""
    import ast as _ast

    stale = []
    for where in _exceptions():
        rel, _, func = where.partition(":")
        path = SRC / rel
        if not path.exists():
            stale.append(where)
            continue
        text = path.read_text(encoding="utf-8")
        if not func:
            if text.count("\n") + 1 <= MODULE_LINES:
                stale.append(where)
            continue
        spans = [(n.end_lineno or n.lineno) - n.lineno + 1 for n in _ast.walk(_ast.parse(text))
                 if isinstance(n, _ast.FunctionDef | _ast.AsyncFunctionDef) and n.name == func]
        if not spans or max(spans) <= FUNCTION_LINES:
            stale.append(where)
    assert not stale, f"stale size exceptions in docs/architecture.md: {stale}"
