"""openLCA parameters and formulas for :mod:`junkan.lifecycle.olca`: a formula of numbers,
parameters, ``+ - * / ^`` and brackets is evaluated as arithmetic — parsed, never run as
code. openLCA writes a power as ``^`` and a number in decimal (``1000``, ``2.5``, ``1e3``);
the Python spellings ``**``, ``1_000`` or ``0x10`` are not openLCA formulas, so they are
refused (a note, where the import reads a formula) rather than evaluated as Python would."""

from __future__ import annotations

import ast
import io
import math
import operator
import re
import tokenize
from typing import Any


def _olca() -> Any:
    import olca_schema

    return olca_schema


def parameters(docs: Any) -> dict[str, Any]:
    """Parameter name (lower case) → value, or formula for a dependent parameter."""
    out: dict[str, Any] = {}
    for p in docs:
        p = p if not isinstance(p, dict) else _olca().Parameter.from_dict(p)
        if p.name and isinstance(p.name, str):
            dependent = p.is_input_parameter is False and p.formula
            out[p.name.lower()] = p.formula if dependent else p.value
    return out


_OPS: dict[type, Any] = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
                         ast.Div: operator.truediv, ast.Pow: operator.pow}
_DECIMAL = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _openlca_syntax(text: str) -> str:
    """``text`` with openLCA's ``^`` as Python's power, after refusing Python-only syntax:
    ``**`` and numbers that are not decimal (``1_000``, ``0x10``, ``1j``)."""
    if "**" in text:
        raise ValueError("'**' is Python's power, not openLCA's; openLCA writes x^2")
    text = text.replace("^", "**")
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise ValueError(f"SyntaxError: {exc}") from None
    for tok in tokens:
        if tok.type == tokenize.NUMBER and not _DECIMAL.fullmatch(tok.string):
            raise ValueError(f"{tok.string[:20]} is a Python number, not one openLCA writes "
                             "(decimal digits, without '_')")
    return text


def formula(
    text: str, params: dict[str, Any], depth: int = 0, memo: dict[str, float] | None = None
) -> float:
    """The value of an openLCA formula of numbers, parameters, + - * / ^ and brackets —
    parsed, never run as code; ``ValueError`` when it is anything else (a function call,
    an unknown parameter, a cycle, Python's ``**`` or ``1_000``) or not finite."""
    if depth > 20 or len(text) > 1000:
        raise ValueError("too long or too deeply dependent")
    memo = {} if memo is None else memo

    def name(key: str) -> float:
        value = params.get(key)
        if value is None:
            raise ValueError(f"unknown parameter {key!r}")
        if key not in memo:  # each dependent parameter is evaluated once
            memo[key] = (formula(value, params, depth + 1, memo) if isinstance(value, str)
                         else float(value))
        return memo[key]

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return float(node.value)  # type: ignore[arg-type]
        if isinstance(node, ast.Name):
            return name(node.id.lower())
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return float(_OPS[type(node.op)](ev(node.left), ev(node.right)))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            return -ev(node.operand) if isinstance(node.op, ast.USub) else ev(node.operand)
        raise ValueError(f"{ast.dump(node)[:40]} is not arithmetic junkan evaluates")

    try:
        value = ev(ast.parse(_openlca_syntax(text), mode="eval").body)
    except OverflowError as exc:
        raise Overflowed(f"{type(exc).__name__}: {exc}") from None
    except (SyntaxError, ZeroDivisionError, RecursionError, TypeError) as exc:
        raise ValueError(f"{type(exc).__name__}: {exc}") from None
    if not math.isfinite(value):
        raise Overflowed("not a finite number")
    return value


class Overflowed(ValueError):
    """A formula whose value is beyond a float (``1e200 * 1e200``): an absurd amount, which
    the import refuses (``olca_read.within``), not an expression it cannot read."""
