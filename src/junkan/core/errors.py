"""The one error hierarchy of junkan.

Every error says *where* (file, document path such as ``products.compressor.bom[2].mass``)
and *what to do*. The CLI maps :class:`JunkanError` to exit code 2 with its message; the API
maps it to a 4xx response with the same text.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Self

from pydantic_core import PydanticCustomError

MAX_PATH = 300
"""Longest document path kept in a :class:`Problem` (longer ones are cut with an ellipsis)."""
MAX_TEXT = 1000
"""Longest message kept in a :class:`Problem`."""
MAX_PARAM = 200
"""Longest text kept among a :class:`Problem`'s ``limits`` (a rule's parameters)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input document.

    Attributes
    ----------
    path:
        Location inside the document, dotted with ``[i]`` list indices, e.g.
        ``products.compressor.bom[2].mass``. Empty for the whole document.
    message:
        What is wrong and how to fix it.
    kind:
        The rule the value broke, set only when ``message`` says no more than that rule, so a
        user interface may show it in its own language; empty otherwise. Either pydantic's
        error type (``greater_than``) or a domain rule's code, which has a hyphen
        (``unknown-actor``, ``shares-above-one``: :data:`DOMAIN_RULE`).
    limits:
        The rule's parameters: a schema rule's limits (e.g. ``{"gt": 0}``), never the
        submitted value; a domain rule's figures and names as its message quotes them
        (shortened, :func:`short`).
    """

    path: str
    message: str
    kind: str = field(default="", compare=False)
    limits: dict[str, int | float | str] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # a message never carries a huge value back to the user (see :func:`short`)
        if len(self.path) > MAX_PATH:
            object.__setattr__(self, "path", self.path[: MAX_PATH - 1] + "…")
        if len(self.message) > MAX_TEXT:
            object.__setattr__(self, "message", self.message[: MAX_TEXT - 1] + "…")
        if self.limits and any(type(v) is str and len(v) > MAX_PARAM
                               for v in self.limits.values()):
            object.__setattr__(self, "limits", {k: _capped(v) for k, v in self.limits.items()})

    def render(self, source: str | None = None) -> str:
        where = ":".join(p for p in (source, self.path) if p)
        return f"{where}: {self.message}" if where else self.message


class JunkanError(Exception):
    """Base class of every error junkan raises on purpose (bad input, bad state)."""


@dataclass
class ModelError(JunkanError):
    """A model document is invalid. Carries every problem found, each with its path."""

    problems: list[Problem] = field(default_factory=list)
    source: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [p.render(self.source) for p in self.problems]
        return "\n".join(lines) if lines else "invalid model"

    def __reduce__(self) -> tuple[object, ...]:
        # pickled by its fields (it crosses process boundaries: junkan.core.budget); the
        # default would call ModelError(message) and take the message for the problems
        return (type(self), (self.problems, self.source), self.__dict__)


def format_path(parts: tuple[int | str, ...] | list[int | str]) -> str:
    """Turn a location tuple such as ``("products", "x", "bom", 2)`` into ``products.x.bom[2]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out



_ITEMS = 6  # container items shown by short()
_DEPTH = 2  # container levels shown by short()


def short(value: object, limit: int = 60) -> str:
    """A repr of ``value`` cut to about ``limit`` characters, for error messages.

    A cut value ends with ``…`` and says how big it was, e.g. ``'xxxxxxxx…' (1,000,000
    characters)`` or ``[1, 2, 3, …] (list of 5,000 items)``. Only the first few items of the first
    two levels of a container are looked at, so quoting a huge, deeply nested or self-referencing
    value (a YAML alias bomb) costs next to nothing.
    """
    limit = max(limit, 8)
    if isinstance(value, str):
        text = repr(value[:limit])
        if len(value) <= limit and len(text) <= limit:
            return text
        return f"{text[: limit - 2]}…{text[0]} ({len(value):,} characters)"
    text, cut = _bounded(value, limit, _DEPTH)
    if len(text) > limit:
        text, cut = text[: limit - 1] + "…", True
    size = _size(value)
    return f"{text} ({size})" if cut and size else text


def _size(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return f"{len(value):,} bytes"
    if isinstance(value, dict | list | tuple | set | frozenset):
        n = len(value)
        return f"{type(value).__name__} of {n:,} item{'' if n == 1 else 's'}"
    return ""


def _bounded(value: object, budget: int, depth: int) -> tuple[str, bool]:
    """(repr of ``value`` of about ``budget`` characters at most, whether it was cut)."""
    if isinstance(value, str):
        return (repr(value), False) if len(value) <= budget else \
            (repr(value[:budget])[:-1] + "…", True)
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        return f"<integer of about {int(value.bit_length() * 0.30103):,} digits>", False
    if value is None or isinstance(value, bool | int | float):
        return repr(value), False
    if isinstance(value, dict | list | tuple | set | frozenset):
        opening, closing = {list: ("[", "]"), tuple: ("(", ")")}.get(type(value), ("{", "}"))
        if not value:
            return opening + closing, False
        if depth <= 0:
            return f"{opening}…{closing}", True
        parts: list[str] = []
        used, cut = 2, False
        pairs = iter(value.items()) if isinstance(value, dict) else iter(value)
        for i, item in enumerate(pairs):
            if i >= _ITEMS or used >= budget:
                parts.append("…")
                cut = True
                break
            if isinstance(value, dict):
                k, v = item
                key, cut_k = _bounded(k, budget - used, depth - 1)
                val, cut_v = _bounded(v, budget - used - len(key), depth - 1)
                piece, cut_i = f"{key}: {val}", cut_k or cut_v
            else:
                piece, cut_i = _bounded(item, budget - used, depth - 1)
            parts.append(piece)
            used += len(piece) + 2
            cut = cut or cut_i
        return opening + ", ".join(parts) + closing, cut
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__}>"
    return (text, False) if len(text) <= budget else (text[:budget] + "…", True)


LIMIT_KEYS = ("gt", "ge", "lt", "le", "multiple_of", "min_length", "max_length", "expected",
              "pattern")
"""Context entries of a pydantic error that state the schema's limit (never the input)."""


CUSTOM = ("value_error", "assertion_error")
"""Error types whose message is a validator's own words (no rule to translate)."""

def _capped(value: int | float | str) -> int | float | str:
    """A rule's parameter as kept: a text cut to :data:`MAX_PARAM` characters (ellipsis)."""
    if isinstance(value, str) and len(value) > MAX_PARAM:
        return value[: MAX_PARAM - 1] + "…"
    return value


DOMAIN_RULE = "-"
"""What a domain rule's code has and pydantic's error types do not (``unknown-actor``):
its parameters are the ones its message quotes, all kept (:func:`rule_of`)."""


_FIELD = re.compile(r"\{(\w+)\}")


def fill_in(template: str, params: dict[str, int | float | str]) -> str:
    """``template`` with its ``{name}`` fields replaced by ``params``, in one pass (a
    parameter's own text is never read as a field: a part named ``{kind}`` stays so), other
    braces left as written (``{landfill: 1}``), as the web page fills its catalogue's."""
    return _FIELD.sub(lambda m: str(params[m[1]]) if m[1] in params else m[0], template)


def brief(name: object, width: int = 40) -> str:
    """A name as an error message lists it: as written, unless it holds characters that
    would not show as themselves (control or direction marks: then escaped), cut to about
    ``width`` characters."""
    text = str(name)
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= width else text[: width - 1] + "…"


def listed(names: Iterable[object], most: int = 12) -> str:
    """``a, b, c …``: at most ``most`` names, each :func:`brief` (for "known: …")."""
    names = list(names)
    return ", ".join(brief(n) for n in names[:most]) + (" …" if len(names) > most else "")


def nearest(name: str, known: Iterable[str], cutoff: float = 0.8) -> str | None:
    """The name in ``known`` spelled most like ``name`` (difflib's ratio at least
    ``cutoff``), for a "did you mean …?"; ``None`` if none is that close."""
    near = difflib.get_close_matches(name, list(known), 1, cutoff)
    return near[0] if near else None


def _code(code: str) -> str:
    """``code``, checked to be a domain rule's (with a hyphen, :data:`DOMAIN_RULE`)."""
    if DOMAIN_RULE not in code:
        raise ValueError(f"a domain rule's code has a hyphen: {code!r}")
    return code


def coded(path: str, code: str, template: str, /, **params: int | float | str) -> Problem:
    """A :class:`Problem` under a domain rule's ``code`` (with a hyphen,
    :data:`DOMAIN_RULE`): its message is ``template`` filled in with ``params``
    (:func:`fill_in`), which it keeps as its ``limits`` so that a user interface may say it
    in its own language (``val.<code>`` in the web page's catalogues)."""
    return Problem(path, fill_in(template, params), _code(code), params or None)


_BRACE = "{"
"""The one entry of a refusal's context that is not a parameter: pydantic replaces a
``{name}`` in the message by the entry ``name``, so a filled-in message whose text holds
``{name}`` has its braces written ``{{}`` and this entry turns them back (:func:`refusal`)."""


def refusal(kind: str, template: str, /, **params: int | float | str) -> PydanticCustomError:
    """A validator's refusal under a domain rule's code (with a hyphen, :data:`DOMAIN_RULE`):
    ``template`` names its ``params`` as ``{name}``; a user interface may show the message in
    its own language from the code and the parameters (:func:`rule_of`).

    The message is filled in here, once (:func:`fill_in`), as :func:`coded` does: pydantic
    would fill the fields one after another and read a parameter's text that holds
    ``{other}`` as a field. Its context keeps the parameters."""
    text = fill_in(template, params)
    ctx: dict[str, int | float | str] = dict(params)
    if any(f"{{{name}}}" in text for name in params):  # pydantic would fill these again
        text, ctx[_BRACE] = text.replace("{", "{{}"), "{"  # the last entry pydantic fills
    return PydanticCustomError(_code(kind), text, ctx or None)


def rule_of(err: Any) -> tuple[str, dict[str, int | float | str] | None]:
    """The schema rule a pydantic error (an ``exc.errors()`` item) broke, for a translated
    message: its type and the limits its context names (never the input) — for a domain
    rule (:func:`refusal`), every parameter its message quotes; ``("", None)`` for a
    validator's own words (:data:`CUSTOM`)."""
    kind = str(err.get("type") or "")
    if not kind or kind in CUSTOM:
        return "", None
    keep = (lambda _: True) if DOMAIN_RULE in kind else LIMIT_KEYS.__contains__
    ctx = {k: v for k, v in (err.get("ctx") or {}).items()
           if keep(k) and k != _BRACE
           and isinstance(v, (int, float, str)) and not isinstance(v, bool)}
    return kind, {k: _capped(v) for k, v in ctx.items()} or None


class CodedError(Exception):
    """An error whose message may be a domain rule's, mixed into the exception type its
    callers catch (``class UnitParseError(CodedError, ValueError)``).

    Made by :meth:`coded`, its message (``args[0]``) is ``template`` filled in with
    ``params`` (:func:`fill_in`) and ``rule`` names the rule (a code with a hyphen); made
    with a message alone, as its exception type is, it has no rule (``rule == ""``). Either
    way :meth:`problem` and :meth:`refusal` say it, with its rule where it has one."""

    rule: str = ""
    template: str = ""
    params: Mapping[str, int | float | str] = MappingProxyType({})

    @classmethod
    def coded(cls, rule: str, template: str, /, **params: int | float | str) -> Self:
        """The error of rule ``rule`` whose message is ``template`` filled with ``params``."""
        exc = cls(fill_in(template, params))
        exc.rule, exc.template, exc.params = _code(rule), template, params
        return exc

    @property
    def message(self) -> str:
        """What the error says (its first argument: a ``KeyError``'s ``str`` quotes it)."""
        return str(self.args[0]) if self.args else ""

    def problem(self, path: str) -> Problem:
        """The problem at document ``path``, with its rule's code and parameters (:func:`coded`)."""
        if not self.rule:
            return Problem(path, self.message)
        return coded(path, self.rule, self.template, **self.params)

    def refusal(self) -> ValueError:
        """What a pydantic validator raises for it: a refusal under its rule (:func:`refusal`),
        or a ``ValueError`` with its message."""
        if not self.rule:
            return ValueError(self.message)
        return refusal(self.rule, self.template, **self.params)
