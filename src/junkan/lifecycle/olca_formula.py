"""openLCA parameters and formulas for :mod:`junkan.lifecycle.olca`: a formula of numbers,
parameters, ``+ - * / ^`` and brackets is evaluated as arithmetic — parsed, never run as
code. openLCA writes a power as ``^`` and a number in decimal (``1000``, ``2.5``, ``1e3``);
the Python spellings ``**``, ``1_000`` or ``0x10`` are not openLCA formulas, so they are
refused (a note, where the import reads a formula) rather than evaluated as Python would.

The formula is parsed with openLCA's own grammar, not Python's, because the two group
powers differently. Source: GreenDelta/olca-formula,
``src/main/java/org/openlca/expressions/FormulaParser.jj`` (package
``org.openlca.expressions``, the JavaCC grammar olca-core's ``FormulaInterpreter`` uses —
olca-modules' ``olca-core/pom.xml`` depends on ``org.openlca:olca-formula``; the file is the
one olca-modules held until commit af821ac). Its rules ``power() := unary() (<POW> unary())*``
and ``unary() := (<MINUS> | <PLUS>) element() | element()`` make ``^`` left-associative —
``2^3^2`` is ``(2^3)^2 = 64`` (Python: 512) — and let a sign bind tighter than ``^``:
``-2^2`` is ``(-2)^2 = 4`` (Python: -4), ``2^-1`` is 0.5, and one sign only (``--2`` is not
an openLCA formula; ``-(-2)`` is). ``*`` ``/`` and ``+`` ``-`` are left-associative there
as in Python."""

from __future__ import annotations

import ast
import math
import operator
import re
import tokenize
from collections.abc import Callable
from typing import Any

from junkan.core.errors import JunkanError


def _olca() -> Any:
    import olca_schema

    return olca_schema


def parameters(docs: Any) -> dict[str, Any]:
    """Parameter name (lower case) → value, or formula for a dependent parameter; a
    :class:`~junkan.core.errors.JunkanError` for two of one name with different values
    (openLCA's names ignore case: ``x`` and ``X`` gave the last one's value, without a
    word; review 249)."""
    out: dict[str, Any] = {}
    for p in docs:
        p = p if not isinstance(p, dict) else _olca().Parameter.from_dict(p)
        if p.name and isinstance(p.name, str):
            dependent = p.is_input_parameter is False and p.formula
            value, key = (p.formula if dependent else p.value), p.name.lower()
            if key in out and out[key] != value:
                raise JunkanError(f"parameter {p.name!r} is given twice, {out[key]!r} and "
                                  f"{value!r} (openLCA's names ignore case); keep one")
            out[key] = value
    return out


_OPS: dict[type, Any] = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
                         ast.Div: operator.truediv, ast.Pow: operator.pow}


_TOKEN = re.compile(
    r"(?P<space>[ \t\r\n\f]+)"
    r"|(?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<name>(?:[^\W\d]|\$)[\w$]*)"
    r"|(?P<op>[-+*/^()])"
)
_GLUED = re.compile(r"[\w.$]+")  # what follows a number directly: part of a bad number


def _python(number: str) -> bool:
    """Whether Python reads ``number`` as a number (``1_000``, ``0x10``, ``1j``)."""
    for read in (lambda t: int(t, 0), float, complex):
        try:
            read(number)
            return True
        except ValueError:
            pass
    return False


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    """The tokens of ``text`` as openLCA's FormulaParser.jj reads them: white space
    (blanks, tabs, line breaks) skipped, decimal numbers (``007``, ``4.``, ``.4``, ``4.e1``),
    names of letters, digits, ``_`` and ``$``, and ``+ - * / ^ ( )``; any other character is
    one ``ERRORTOKEN`` the parser refuses where it stands. Python-only syntax is refused
    first: ``**`` and numbers that are not decimal (``1_000``, ``0x10``, ``1j``)."""
    if "**" in text:
        raise ValueError("'**' is Python's power, not openLCA's; openLCA writes x^2")
    out: list[tokenize.TokenInfo] = []
    pos = 0
    while pos < len(text):
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1)
        m = _TOKEN.match(text, pos)
        if m is None:  # one character no openLCA token begins with
            out.append(tokenize.TokenInfo(tokenize.ERRORTOKEN, text[pos], (line, col),
                                          (line, col + 1), text))
            pos += 1
            continue
        kind, string = m.lastgroup, m.group()
        if kind == "number" and (glued := _GLUED.match(text, m.end())):
            bad = string + glued.group()
            what = "a Python number, not one" if _python(bad) else "not a number"
            raise ValueError(f"{bad[:20]} is {what}"
                             " openLCA writes (decimal digits, without '_')")
        if kind != "space":
            kinds = {"number": tokenize.NUMBER, "name": tokenize.NAME, "op": tokenize.OP}
            out.append(tokenize.TokenInfo(kinds[str(kind)], string, (line, col),
                                          (line, col + len(string)), text))
        pos = m.end()
    return out


_SUMS: dict[str, type[ast.operator]] = {"+": ast.Add, "-": ast.Sub}
_TERMS: dict[str, type[ast.operator]] = {"*": ast.Mult, "/": ast.Div}
_POWERS: dict[str, type[ast.operator]] = {"^": ast.Pow}


MAX_BRACKETS = 50
"""Brackets nested deeper than this are refused (each level costs the parser ~8 Python frames;
~125 reached Python's recursion limit)."""


def _parse(tokens: list[tokenize.TokenInfo]) -> ast.expr:
    """A tree of ``tokens`` grouped by openLCA's grammar (``FormulaParser.jj``, see the
    module docstring), restricted to ``+ - * / ^``, brackets, numbers and names: every
    binary operator left-associative, ``^`` above ``* /`` above ``+ -``, and one optional
    sign bound to the number, name or bracket after it (tighter than ``^``). The tree is
    only walked by :func:`formula`, never compiled."""
    pos = depth = 0

    def op() -> str:
        here = tokens[pos] if pos < len(tokens) else None
        return here.string if here is not None and here.type == tokenize.OP else ""

    def binary(operand: Callable[[], ast.expr], ops: dict[str, type[ast.operator]]
               ) -> ast.expr:  # openLCA's `operand() (op operand())*`, grouped to the left
        nonlocal pos
        node = operand()
        while (sym := op()) in ops:
            pos += 1
            node = ast.BinOp(left=node, op=ops[sym](), right=operand())
        return node

    def unary() -> ast.expr:
        nonlocal pos
        sign = op()
        if sign in ("+", "-"):
            pos += 1
            return ast.UnaryOp(op=ast.USub(), operand=element()) if sign == "-" else element()
        return element()

    def element() -> ast.expr:
        nonlocal pos
        if pos >= len(tokens):
            raise ValueError("the formula ends where a number, parameter or '(' is due")
        tok, pos = tokens[pos], pos + 1
        if tok.type == tokenize.NUMBER:
            return ast.Constant(value=float(tok.string))
        if tok.type == tokenize.NAME and op() != "(":
            return ast.Name(id=tok.string)
        if tok.type == tokenize.NAME:
            raise ValueError(f"the function {tok.string[:20]}(...) is not arithmetic junkan "
                             "evaluates")
        if tok.type == tokenize.OP and tok.string == "(":
            nonlocal depth
            depth += 1
            if depth > MAX_BRACKETS:
                raise ValueError(f"brackets nested more than {MAX_BRACKETS} deep")
            node = expr()
            depth -= 1
            if op() != ")":
                raise _unexpected(tokens[pos] if pos < len(tokens) else None, "')'")
            pos += 1
            return node
        raise _unexpected(tok, "a number, parameter or '('")

    def expr() -> ast.expr:
        return binary(lambda: binary(lambda: binary(unary, _POWERS), _TERMS), _SUMS)

    node = expr()
    if pos < len(tokens):
        raise _unexpected(tokens[pos], "an operator")
    return node


def _unexpected(tok: tokenize.TokenInfo | None, due: str) -> ValueError:
    found = "the end" if tok is None else f"{tok.string[:20]!r} at column {tok.start[1] + 1}"
    return ValueError(f"{found} is not arithmetic junkan evaluates ({due} is due there)")


def formula(
    text: str, params: dict[str, Any], depth: int = 0, memo: dict[str, float] | None = None,
    path: tuple[str, ...] = (),
) -> float:
    """The value of an openLCA formula of numbers, parameters, + - * / ^ and brackets —
    parsed, never run as code; ``ValueError`` when it is anything else (a function call,
    an unknown parameter, a cycle, Python's ``**`` or ``1_000``) or not finite. ``path``:
    the dependent parameters being evaluated, outermost first."""
    if depth > 20 or len(text) > 1000:
        raise ValueError("too long or too deeply dependent")
    memo = {} if memo is None else memo

    def name(key: str) -> float:
        value = params.get(key)
        if value is None:
            raise ValueError(f"unknown parameter {key!r}")
        if key in path:  # review 253: a cycle was said to be "too deeply dependent"
            cycle = " → ".join((*path[path.index(key):], key))
            raise ValueError(f"parameters that depend on each other in a cycle ({cycle})")
        if key not in memo:  # each dependent parameter is evaluated once
            memo[key] = (formula(value, params, depth + 1, memo, (*path, key))
                         if isinstance(value, str) else float(value))
        return memo[key]

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return float(node.value)  # type: ignore[arg-type]
        if isinstance(node, ast.Name):
            return name(node.id.lower())
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, right = ev(node.left), ev(node.right)
            value = _OPS[type(node.op)](left, right)
            if isinstance(value, complex):  # Python's (-8) ** (1/3); Java's Math.pow: NaN
                raise ValueError(f"({left:g})^{right:g} has no real value (a negative number "
                                 "to a fractional power)")
            return float(value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            return -ev(node.operand) if isinstance(node.op, ast.USub) else ev(node.operand)
        raise ValueError(f"{ast.dump(node)[:40]} is not arithmetic junkan evaluates")

    try:
        value = ev(_parse(_tokens(text)))
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
