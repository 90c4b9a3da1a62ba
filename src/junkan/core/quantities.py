"""Quantities such as ``"12.5 kg"`` or ``"208 gCO2e/(t*km)"``, read by a small grammar.

pint's own string parser evaluates arithmetic: ``"9**9**9 kg"`` makes it compute a
370-million-digit integer. No string from a user reaches that parser. This module reads the
string with the grammar below and builds the unit from pint unit *names* only
(``ureg.Unit("kg")``), combined with pint's unit containers.

Grammar (whitespace between tokens is ignored; writing two factors side by side multiplies
them, as in pint)::

    quantity := [sign] number [unit]
    unit     := factor {[op] factor}                  op: "*" "·" "×" "/"
    factor   := atom [power]
    power    := ("^" | "**") exponent | superscript   e.g. m^2, s**-1, s^(-1), m³
    exponent := [sign] digits | "(" [sign] digits ")"
    atom     := number | name | "%" | "(" unit ")"
    name     := (letter | "_" | "°") {letter | digit | "_" | "°"}    e.g. kg, kgCO2e, °C
    number   := digits ["." [digits]] [("e" | "E") [sign] digits] | "." digits [exponent]

``*``, ``/`` and juxtaposition share one precedence and group left to right, as in pint
(``J / kg K`` is J·K/kg); a power binds tighter and cannot be chained (``9**9**9`` is refused).

Limits (each refused with a message saying which):

* the string is at most ``Limits.quantity_length`` characters (default 200);
* exponents are whole numbers with |n| ≤ :data:`MAX_EXPONENT` (4);
* parentheses nest at most :data:`MAX_PARENTHESES` (8) deep;
* NaN and infinities are refused, including numbers that overflow (``1e999``);
* a quantity converted to the unit a model stores it in lies within
  ±``Limits.quantity_magnitude`` (default 1e15).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

import pint
from pint.util import UnitsContainer

from junkan.core.errors import short
from junkan.core.limits import limits
from junkan.core.registry import Q_, UnitParseError, ureg

MAX_EXPONENT = 4
"""Largest absolute exponent in a unit (``m^4``); quantities never need more."""
MAX_PARENTHESES = 8
"""Deepest nesting of parentheses in a unit string."""

_HINT = "known e.g. kg, t, piece, kgCO2e, MJ, kWh, km, year, JPY"
_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<num>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)
      | (?P<pow>\*\*|\^)
      | (?P<sup>[⁺⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)
      | (?P<op>[*/·⋅×])
      | (?P<open>\()
      | (?P<close>\))
      | (?P<sign>[-+])
      | (?P<pct>%)
      | (?P<name>(?:[^\W\d]|°)(?:[^\W⁰¹²³⁴⁵⁶⁷⁸⁹]|°)*)""",
    re.VERBOSE,
)
_SUPERSCRIPTS = str.maketrans("⁺⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "+-0123456789")
_NOT_FINITE = ("nan", "inf", "infinity")
_ONE = UnitsContainer()
_NUMBER_UNIT = re.compile(
    r"^\s*([-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*(.*?)\s*$")


class _Syntax(Exception):
    """A problem in a unit string (becomes a UnitParseError quoting the whole string);
    ``unknown`` is the name of a unit pint does not know, if that is the problem; ``reason``
    codes the problem (``val.reason.<reason>`` in the web page's catalogues) with the
    figures it quotes (``params``), so that a page says it in its own language."""

    def __init__(self, message: str, unknown: str | None = None, reason: str = "",
                 params: dict[str, int | str] | None = None) -> None:
        super().__init__(message)
        self.unknown, self.reason, self.params = unknown, reason, params or {}


AMBIGUOUS: dict[str, tuple[str, str, str]] = {
    "ton": ("short-ton", "the US short ton (907.185 kg)", "short_ton"),
    "knot": ("knot", "the knot (a speed)", "knot"),
}
"""Units that the unit tables (pint's, after NIST SP 811) reach from names a reader of
material flows means otherwise: ``ton``, ``tons``, ``kton``, ``Mton`` … are the (prefixed)
short ton, not the tonne, and ``kt`` the knot, not a kilotonne (600 ton was read as
544.31 t). A name that reaches one of them without spelling it (``short_ton``, ``knot``) is
refused, with what it means and what to write; ``tonne``, ``t``, ``kt`` … as tonnes are
``t``, ``1000 t``, ``Mt``."""

_TONNES = {"": "t", "kilo": "1000 t", "mega": "Mt", "giga": "Gt"}
"""What to write for a prefixed ton meant as tonnes."""


def _ambiguous(name: str) -> None:
    """Refuse ``name`` if it reaches a unit of :data:`AMBIGUOUS` without spelling it."""
    try:
        readings = ureg.parse_unit_name(name)
    except Exception:
        return
    for prefix, unit, _ in readings:
        if unit in AMBIGUOUS and AMBIGUOUS[unit][2] not in name:
            reason, meaning, _spelt = AMBIGUOUS[unit]
            write = _TONNES.get(prefix, "t") if unit == "ton" else "1000 t"
            raise _Syntax(f"'{name}' is {meaning} in unit tables; write '{write}' if that is "
                          "not what you mean", reason=f"ambiguous-{reason}",
                          params={"name": name, "write": write})


@lru_cache(maxsize=1024)
def _named_unit(name: str) -> UnitsContainer:
    """The unit called ``name`` (a bare name: pint's parser has nothing to evaluate)."""
    if name.lower() in _NOT_FINITE:
        raise _Syntax(f"'{name}' is not a number; write a finite value such as '5 kg'",
                      reason="not-finite")
    _ambiguous(name)
    try:
        return ureg.Unit(name)._units
    except Exception:
        raise _Syntax(f"unknown unit '{name[:40]}'", unknown=name) from None


class _Parser:
    """Recursive descent over the tokens of one string; evaluates as it goes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None and text[pos:pos + 4].lower() in (".inf", ".nan"):  # YAML's
                raise _Syntax("NaN and infinity are not accepted; write a finite value such "
                              "as '5 kg'", reason="not-finite")  # spelling (review 315)
            if m is None:
                raise _Syntax(f"unexpected character {text[pos]!r} at position {pos + 1}",
                              reason="unexpected-character",
                              params={"found": text[pos], "position": pos + 1})
            if m.lastgroup != "ws":
                self.tokens.append((str(m.lastgroup), m.group(), pos))
            pos = m.end()
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self, what: str) -> tuple[str, str]:
        if self.i >= len(self.tokens):
            raise _Syntax(f"expected {what} at the end", reason="ends-early")
        kind, value, pos = self.tokens[self.i]
        self.i += 1
        return kind, value

    def where(self) -> str:
        """Where the parser stands, in words (:meth:`at`'s figures)."""
        _, found = self.at("")
        return f"'{found['found']}' at position {found['position']}" if found else "at the end"

    def at(self, reason: str) -> tuple[str, dict[str, int | str]]:
        """``reason`` and what was found where :meth:`where` says: ``reason-at-end`` at the
        end, else the token (``found``) and its ``position``."""
        if self.i >= len(self.tokens):
            return f"{reason}-at-end", {}
        kind, value, pos = self.tokens[self.i]
        return reason, {"found": value[:20], "position": pos + 1}

    def quantity(self) -> tuple[float, UnitsContainer, bool]:
        sign = 1.0
        if self.peek() == "sign":
            sign = -1.0 if self.take("a sign")[1] == "-" else 1.0
        if self.peek() == "name" and self.tokens[self.i][1].lower() in _NOT_FINITE:
            raise _Syntax("NaN and infinity are not accepted; write a finite value such as "
                          "'5 kg'", reason="not-finite")
        if self.peek() != "num":
            raise _Syntax(f"expected a number first, found {self.where()}",
                          None, *self.at("number-first"))
        f, u, named = self.unit(0)
        return sign * f, u, named

    def unit(self, depth: int) -> tuple[float, UnitsContainer, bool]:
        f, u, named = self.factor(depth)
        while True:
            kind = self.peek()
            if kind == "op":
                op = self.take("an operator")[1]
            elif kind in ("num", "name", "pct", "open"):
                op = "*"
            else:
                return f, u, named
            f2, u2, named2 = self.factor(depth)
            if op == "/":
                if f2 == 0:
                    raise _Syntax("division by zero", reason="division-by-zero")
                f, u = f / f2, u / u2
            else:
                f, u = f * f2, u * u2
            named = named or named2

    def factor(self, depth: int) -> tuple[float, UnitsContainer, bool]:
        f, u, named = self.atom(depth)
        if self.peek() in ("pow", "sup"):
            n = self.exponent()
            try:
                f, u = f**n, u**n
            except (OverflowError, ZeroDivisionError):
                raise _Syntax("the number is out of range", reason="out-of-range") from None
            if self.peek() in ("pow", "sup"):
                raise _Syntax("chained powers such as 9**9**9 are not accepted; write one "
                              "power per unit, e.g. m^2", reason="chained-powers")
        return f, u, named

    def exponent(self) -> int:
        kind, value = self.take("an exponent")
        if kind == "sup":
            n = int(value.translate(_SUPERSCRIPTS))
        else:
            parens = self.peek() == "open"
            if parens:
                self.take("'('")
            sign = 1
            if self.peek() == "sign":
                sign = -1 if self.take("a sign")[1] == "-" else 1
            where, at = self.where(), self.at("exponent-whole")
            kind, value = self.take("an exponent")
            if kind != "num" or not value.isdigit():
                raise _Syntax(f"an exponent is a whole number such as 2 or -1, found {where}",
                              None, *at)
            n = sign * int(value[:6])
            if parens and self.take("')'")[0] != "close":
                raise _Syntax("missing ')' after the exponent", reason="exponent-close")
        if abs(n) > MAX_EXPONENT:
            raise _Syntax(f"exponent {n} is out of range; powers go from -{MAX_EXPONENT} to "
                          f"{MAX_EXPONENT}", reason="exponent-range",
                          params={"n": n, "most": MAX_EXPONENT})
        return n

    def atom(self, depth: int) -> tuple[float, UnitsContainer, bool]:
        where, at = self.where(), self.at("expected-term")
        kind, value = self.take("a number or unit")
        if kind == "num":
            return float(value), _ONE, False
        if kind == "name":
            return 1.0, _named_unit(value), True
        if kind == "pct":
            return 1.0, _named_unit("percent"), True
        if kind == "open":
            if depth >= MAX_PARENTHESES:
                raise _Syntax(f"parentheses nest deeper than {MAX_PARENTHESES}",
                              reason="too-nested", params={"most": MAX_PARENTHESES})
            result = self.unit(depth + 1)
            if self.peek() != "close":
                raise _Syntax(f"expected ')' {self.where()}", None, *self.at("expected-close"))
            self.take("')'")
            return result
        raise _Syntax(f"expected a number or unit, found {where}", None, *at)

    def end(self) -> None:
        if self.i < len(self.tokens):
            raise _Syntax(f"unexpected {self.where()}", None, *self.at("unexpected"))


def _check_length(text: str) -> None:
    lim = limits()
    if len(text) > lim.quantity_length:
        raise UnitParseError(f"{short(text)} is too long for a quantity or unit: more than the "
                             f"{lim.describe('quantity_length')} characters")


@lru_cache(maxsize=4096)
def _parse(text: str, quantity: bool) -> tuple[float, pint.Unit, bool]:
    """(number, unit, whether a unit was named) of a quantity or unit string."""
    try:
        parser = _Parser(text)
        if not parser.tokens:
            raise _Syntax("it is empty", reason="empty")
        f, u, named = parser.quantity() if quantity else parser.unit(0)
        parser.end()
    except _Syntax as exc:
        if exc.unknown is not None:
            raise UnitParseError.coded("unknown-unit", "unknown unit {name} in {value}; "
                                       + _HINT, name=f"'{exc.unknown[:40]}'",
                                       value=short(text)) from None
        said = {"reason_code": exc.reason, **exc.params} if exc.reason else {}
        if quantity:
            raise UnitParseError.coded("quantity-unreadable", "cannot read {value} as a "
                                       "quantity such as '5 kg': {reason}", value=short(text),
                                       reason=str(exc), **said) from None
        raise UnitParseError.coded("unit-unreadable", "cannot read {value} as a unit such as "
                                   "'kg' or 'JPY/(t*km)': {reason}", value=short(text),
                                   reason=str(exc), **said) from None
    if not math.isfinite(f):
        raise UnitParseError(f"{short(text)} is not a finite number; write a value such as "
                             "'5 kg'")
    return f, ureg.Unit(u), named


def parse_unit(text: str) -> pint.Unit:
    """Read a unit string such as ``"kgCO2e/(t*km)"`` or ``"1/year"`` (no other numbers)."""
    if not isinstance(text, str):
        raise UnitParseError(f"expected a unit such as 'kg', got {short(text)}")
    _check_length(text)
    f, u, _ = _parse(text, False)
    if f != 1.0:
        raise UnitParseError(f"{short(text)} is a unit with a number in it; write the unit "
                             "alone, e.g. 'kg'")
    return u


@lru_cache(maxsize=256)
def code_unit(text: str) -> pint.Unit:
    """A unit string written in junkan's code (a target such as ``"kgCO2e/(t*km)"``), read
    once: not a user's text, so not held to the length limit on quantities (a low
    ``JUNKAN_LIMIT_QUANTITY_LENGTH`` would otherwise refuse the code's own units)."""
    f, u, _ = _parse(text, False)
    if f != 1.0:
        raise UnitParseError(f"{short(text)} is a unit with a number in it")
    return u


def check_magnitude(x: float, value: Any, unit: str, what: str = "value") -> float:
    """``x`` (``value`` converted to ``unit``) if finite and within the magnitude limit."""
    if not math.isfinite(x):
        raise UnitParseError.coded("quantity-not-finite", "{what} {value} is not a finite "
                                   "number", what=what, value=short(value))
    lim = limits()
    if abs(x) > lim.quantity_magnitude:
        raise UnitParseError.coded(
            "quantity-too-large", "{what} {value} is {x} {unit}, beyond ±{limit} {unit} "
            "({env}); check the value and unit", what=what, value=short(value), x=f"{x:.4g}",
            unit=unit, limit=f"{lim.quantity_magnitude:g}", env=lim.env("quantity_magnitude"))
    return x


def parse_quantity(value: Any, *, default_unit: str | None = None) -> pint.Quantity:
    """Read ``"12.5 kg"``, ``12.5`` (with ``default_unit``) or a pint quantity.

    A number alone (``12.5`` or ``"12.5"``) takes ``default_unit``; without one it is
    refused (a number) or dimensionless (a string). Raises :class:`UnitParseError` with a
    message fit for the user; the magnitude is finite but not yet bounded (see
    :func:`convert`).
    """
    if isinstance(value, pint.Quantity):
        return value
    if isinstance(value, bool):
        raise UnitParseError(f"expected a quantity such as '5 kg', got {short(value)}")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise UnitParseError(f"{short(value)} is not a finite number")
        if default_unit is None:
            raise UnitParseError.coded("no-unit", "{value} has no unit; write it with one, "
                                       "e.g. '{value} kg'", value=short(value))
        return Q_(float(value), code_unit(default_unit))
    if not isinstance(value, str) or not value.strip():
        raise UnitParseError(f"expected a quantity such as '5 kg', got {short(value)}")
    _check_length(value)
    f, u, named = _parse(value, True)
    if not named and default_unit is not None:
        return Q_(f, code_unit(default_unit))
    return Q_(f, u)


def convert(q: pint.Quantity, unit: str, *, value: Any = None, what: str = "value") -> float:
    """Magnitude of ``q`` in ``unit`` (a unit string from code), finite and within the limit.

    ``value`` is what the user wrote, for messages (default: ``q``)."""
    shown = q if value is None else value
    try:
        x = float(q.to(code_unit(unit)).magnitude)
    except pint.errors.DimensionalityError:
        raise UnitParseError.coded(
            "unit-mismatch", "{what} {value} has unit '{unit}', which cannot be converted to "
            "'{target}'", what=what, value=short(shown), unit=f"{q.units:~}",
            target=unit) from None
    except (pint.errors.PintError, ArithmeticError, ValueError, TypeError) as exc:
        raise UnitParseError(f"{what} {short(shown)} cannot be converted to '{unit}': "
                             f"{short(str(exc), 120)}") from None
    return check_magnitude(x, shown, unit, what)


@lru_cache(maxsize=4096)
def _factor(unit: str, target: str) -> float | None:
    """Multiplier from ``unit`` to ``target`` (None when the fast path does not apply)."""
    if len(unit) > limits().quantity_length:
        return None
    try:
        f, u, _ = _parse(unit, False)
        return f * float(Q_(1.0, u).to(code_unit(target)).magnitude)
    except Exception:  # unknown, incompatible or offset unit: the slow path explains
        return None


def written_unit(text: str) -> str | None:
    """The unit of ``text`` written ``"<number> <unit>"`` as written (``"kg"`` of ``"1.2
    kg"``; ``""`` for a bare number such as ``"0.5"``), or ``None`` when ``text`` does not
    start with a number. The unit is not read: :func:`parse_quantity` reads it."""
    m = _NUMBER_UNIT.match(text)
    return m.group(2) if m else None


def to_unit(value: Any, unit: str, *, what: str = "value") -> float:
    """Read ``value`` and convert it to ``unit`` (from code), returning the magnitude.

    ``"<number> <unit>"`` strings take a cached fast path (one conversion per distinct unit
    string); everything else goes through :func:`parse_quantity`. The result is finite and
    within ±``Limits.quantity_magnitude``."""
    if isinstance(value, str):
        m = _NUMBER_UNIT.match(value)
        if m and m.group(2) and len(value) <= limits().quantity_length:
            factor = _factor(m.group(2), unit)
            if factor is not None:
                return check_magnitude(float(m.group(1)) * factor, value, unit, what)
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise UnitParseError.coded("no-unit-for", "{value} has no unit; write it with one, "
                                   "e.g. '{value} {unit}'", value=short(value), unit=unit)
    return convert(parse_quantity(value), unit, value=value, what=what)
