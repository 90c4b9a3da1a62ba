"""Base of the input schemas shared by every capability."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import InitErrorDetails

from junkan.core.errors import format_path, refusal

_Fields = tuple[tuple[str, str], ...]
_NUMBERS: dict[type, _Fields] = {}
"""Per schema class: for each field that holds plain numbers, a key it may be given by (its
alias and its name, each) and how it holds them (:func:`_holds_numbers`); filled on first
validation."""


class Plain(BaseModel):
    """A schema in which unknown keys are errors (they are usually typos) and NaN or ±infinity
    is refused in every float field (``allow_inf_nan=False``), with the field's path.

    The base of schemas validated by the thousand (a lifecycle model's BOM lines, a trace
    batch's events), where :class:`Strict`'s check of booleans would cost a Python call per
    object (20 ms of a 0.43 s load of the 1,000-product benchmark model, 2026-12-04): their
    number fields refuse ``true`` and ``false`` themselves (``Field(strict=True)`` or a
    validator of their type); ``tests/core/test_boolean_numbers.py`` checks every one."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Strict(Plain):
    """A :class:`Plain` schema that also refuses ``true`` / ``false`` in every field typed
    as a number, with the field's path.

    Pydantic reads a boolean as 1 or 0 where a number is wanted (outside its strict mode,
    which would also refuse ``"1.5"``): ``count: true`` was one installation and
    ``gsd: true`` a gsd of 1, without a word. Checked: fields typed ``float`` or ``int``
    (or either or ``None``), and the items of lists and tuples and the values of mappings
    of them."""

    @model_validator(mode="before")
    @classmethod
    def _no_boolean_numbers(cls, data: Any) -> Any:
        if type(data) is not dict:
            return data
        fields = _NUMBERS.get(cls)
        if fields is None:
            fields = _NUMBERS[cls] = _number_fields(cls)
        for key, how in fields:
            value = data.get(key)
            if value is None:
                continue
            if value is True or value is False:
                raise boolean_number(cls, (key,), value)
            if how == "items" and type(value) in (list, tuple):
                members: Any = enumerate(value)
            elif how == "values" and type(value) is dict:
                members = value.items()
            else:
                continue
            for at, item in members:
                if item is True or item is False:
                    raise boolean_number(cls, (key, at), item)
        return data


def boolean_number(cls: type, loc: tuple[str | int, ...], value: bool) -> ValidationError:
    """The refusal of the boolean ``value`` where schema ``cls`` wants a number, at ``loc``
    (the field's key, then an index or a key), rule ``number-not-boolean``: raised from a
    validator, pydantic puts it at ``loc`` under the object's own path (for a
    :class:`Plain` schema's model validator)."""
    return ValidationError.from_exception_data(cls.__name__, [InitErrorDetails(
        type=refusal("number-not-boolean", "{field} must be a number, not a boolean "
                     "({value})", field=format_path(loc), value=str(value).lower()),
        loc=loc, input=value)])


def _number_fields(cls: type[BaseModel]) -> _Fields:
    """(key, how) of ``cls``'s fields that hold plain numbers (see :class:`Strict`)."""
    out: list[tuple[str, str]] = []
    for name, info in cls.model_fields.items():
        how = _holds_numbers(info.annotation)
        if how:
            out.extend((key, how) for key in dict.fromkeys(k for k in (info.alias, name) if k))
    return tuple(out)


def _holds_numbers(annotation: Any) -> str:
    """``"self"`` for a plain number (:func:`_plain_number`), ``"items"`` for a list or tuple
    of them, ``"values"`` for a mapping to them (each also with ``None``); else ``""``."""
    if _plain_number(annotation):
        return "self"
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        kinds = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _holds_numbers(kinds[0]) if len(kinds) == 1 else ""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (list, tuple) and args and all(
            a is Ellipsis or _plain_number(a) for a in args):
        return "items"
    if origin is dict and len(args) == 2 and _plain_number(args[1]):
        return "values"
    return ""


def _plain_number(annotation: Any) -> bool:
    """``float`` or ``int``, alone or in a union with ``None`` (and without ``bool``)."""
    if annotation in (float, int):
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return bool(args) and all(a in (float, int) for a in args)
    return False
