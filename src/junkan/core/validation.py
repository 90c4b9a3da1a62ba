"""Validating parsed documents against a pydantic schema: every error becomes a
:class:`~junkan.core.errors.Problem` with its document path and a message in junkan's words
(split from :mod:`junkan.core.documents`, which re-exports :func:`validate_with`)."""

from __future__ import annotations

import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from junkan.core.errors import ModelError, Problem, coded, format_path, rule_of

M = TypeVar("M", bound=BaseModel)

MAX_PROBLEMS = 100
"""At most this many problems are listed for one document (the rest are counted)."""
MAX_MESSAGE = 300
"""Longest message kept from a validator (longer ones are cut with an ellipsis)."""


def short_key(key: int | str) -> int | str:
    """A document key as a path names it (a long key cut to 60 characters)."""
    return key if isinstance(key, int) or len(key) <= 60 else key[:59] + "…"



def message(err: Any) -> str:
    """A user-facing message for one pydantic error (``exc.errors()`` item), ≤ MAX_MESSAGE."""
    msg = str(err.get("msg", "invalid"))
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if err.get("type") == "missing":
        return "required field is missing; add it"
    if err.get("type") == "extra_forbidden":
        return "unknown field; check the spelling"
    if err.get("type") == "literal_error":
        msg = msg.replace("Input should be", "must be one of")
    if err.get("type") == "finite_number":
        msg = "must be a finite number (not NaN or infinity)"
    if err.get("type") in ("too_long", "too_short"):  # not pydantic's "List should have
        ctx = err.get("ctx") or {}                    # at most 64 items after validation"
        most = err["type"] == "too_long"
        n, got = ctx.get("max_length" if most else "min_length"), ctx.get("actual_length")
        if isinstance(n, int):
            msg = f"give at {'most' if most else 'least'} {n:,} " \
                f"{'entry' if n == 1 else 'entries'}" + (f", not {got:,}" if isinstance(
                    got, int) else "")
    return msg if len(msg) <= MAX_MESSAGE else msg[: MAX_MESSAGE - 1] + "…"


def validate_with(cls: type[M], doc: dict[str, Any], source: str,
                  scenario: str | None = None) -> M:
    """Validate ``doc`` as ``cls``; every pydantic error becomes a problem with its path (at
    most :data:`MAX_PROBLEMS`, then a count of the rest). An unknown field's problem names
    the fields allowed where it stands."""
    try:
        return cls.model_validate(doc)
    except ValidationError as exc:
        raise ModelError(problems_of(exc, scenario, cls), source) from None


def _known_fields(cls: type[BaseModel], loc: tuple[int | str, ...]) -> list[str] | None:
    """The field names of the model at ``loc`` under ``cls`` (None where the path passes a
    union of several models or leaves the models)."""
    t: Any = cls
    for part in loc:
        t = _inner(t, part)
        if t is None:
            return None
    t = _inner(t, None)
    if isinstance(t, type) and issubclass(t, BaseModel):
        return [f.alias or name for name, f in t.model_fields.items()]
    return None


def _inner(t: Any, part: int | str | None) -> Any:
    """The type one step (``part``: a field, list index or mapping key; None: none) into
    ``t``, through Optional and Annotated."""
    while True:
        origin, args = typing.get_origin(t), typing.get_args(t)
        if origin is typing.Annotated:
            t = args[0]
        elif origin in (typing.Union, types.UnionType):
            inner = [a for a in args if a is not type(None)]
            if len(inner) != 1:
                return None
            t = inner[0]
        else:
            break
    if part is None:
        return t
    if isinstance(t, type) and issubclass(t, BaseModel):
        field = t.model_fields.get(str(part)) or next(
            (f for f in t.model_fields.values() if f.alias == part), None)
        return None if field is None else field.annotation
    if origin is tuple and isinstance(part, int) and args and args[-1] is not Ellipsis:
        return args[part] if 0 <= part < len(args) else None  # tuple[A, B]: each its own
    if origin in (list, tuple, set, frozenset) and isinstance(part, int) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def problems_of(exc: ValidationError, scenario: str | None = None,
                model: type[BaseModel] | None = None) -> list[Problem]:
    """The problems of a pydantic :class:`ValidationError`, each with its document path; with
    the ``model`` validated, an unknown field's problem names the fields known there."""
    problems: list[Problem] = []
    seen = set()
    errors = exc.errors(include_input=False, include_url=False, include_context=True)
    for err in errors:
        loc = [p for p in err["loc"] if not (isinstance(p, str) and (
            p.startswith("function-") or p in ("constant",)))]
        # drop pydantic's union / validator tags
        loc = [p for p in loc if not (isinstance(p, str) and ("[" in p or p in (
            "str", "float", "int", "dict[str,float]")))]
        path = format_path([short_key(p) for p in loc])
        msg = message(err)
        known = (_known_fields(model, tuple(err["loc"][:-1]))
                 if model is not None and err["type"] == "extra_forbidden" else None)
        if known:
            msg += f" (known here: {', '.join(known)})"
            msg = msg if len(msg) <= MAX_MESSAGE else msg[: MAX_MESSAGE - 2] + "…)"
        if (path, msg) in seen:
            continue
        seen.add((path, msg))
        if len(problems) == MAX_PROBLEMS:
            problems.append(coded("", "more-problems", "… and more problems ({count} errors in "
                                  "all); fix the ones above first", count=f"{len(errors):,}"))
            break
        # the rule of the message (an unknown field with the fields known there is its own);
        kind, limits = ("unknown-field", dict[str, int | float | str](known=", ".join(
            known))) if known else rule_of(err)  # a scenario's names it too (the page adds it)
        if scenario is not None:
            msg, limits = msg + f" (in scenario '{scenario}')", {**(limits or {}), "scenario":
                                                                 scenario} if kind else None
        problems.append(Problem(path, msg, kind, limits))
    return problems
