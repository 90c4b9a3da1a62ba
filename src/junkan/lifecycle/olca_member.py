"""One JSON entity of an openLCA JSON-LD zip, read for :mod:`.olca_read`: within its size limit,
within the zip's budget of values, parsed with finite numbers only and no key given twice.

The byte limits alone let a small zip take gigabytes once parsed: an entity of 16 MiB made of
``{},{},…`` is 5.6 million objects (~0.4 GB as Python dicts), fifteen of them compressed to a
249 KB zip took 6 GB and 20 s (review 249). So the values an entity may hold are counted
before it is parsed — every object, array and comma: an upper bound (a comma inside a
string counts, an empty object counts twice) — against
:attr:`~junkan.core.limits.Limits.olca_values` for the whole zip, since the import holds every
entity until it ends."""

from __future__ import annotations

import json
import math
import zipfile
import zlib
from typing import Any

from junkan.core.documents import loads_with_repeat, repeated_key
from junkan.core.errors import JunkanError, short
from junkan.core.limits import limits

__all__ = ["ValueBudget", "member"]


class ValueBudget:
    """The values the entities read so far may still hold (:func:`member` takes from it)."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.used = 0

    def take(self, raw: bytes, where: str) -> None:
        """Count the values ``raw`` may hold (an upper bound); refuse the entity at
        ``where`` if they bring the zip above its budget."""
        self.used += raw.count(b",") + raw.count(b"{") + raw.count(b"[") + 1
        if self.used > self.most:
            raise JunkanError(
                f"{where}: with the entities before it, more than {self.most:,} JSON values "
                f"(objects, arrays, numbers, strings), the {limits().describe('olca_values')}; "
                "export fewer processes from openLCA at a time")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{short(text)} is not a finite number")
    return value


def _small_int(text: str) -> int:
    if len(text) > 309:
        raise ValueError(f"{short(text)} is not a finite number")
    return int(text)


def member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, budget: ValueBudget) -> Any:
    """One JSON member of the zip, read within its size limit and the zip's ``budget`` of
    values, and parsed finite."""
    most = limits().olca_member_bytes
    if info.flag_bits & 0x1:  # was "the zip is damaged (File <ZipInfo …> is encrypted …)"
        raise JunkanError(f"{where}: is encrypted; openLCA writes no password, so export the "
                          "zip again from openLCA (or zip the entries without one)")
    try:
        with zf.open(info) as fh:
            raw = fh.read(most + 1)
    except (OSError, EOFError, RuntimeError, NotImplementedError, zipfile.BadZipFile,
            zlib.error) as exc:
        raise JunkanError(f"{where}: cannot be read ({exc}); the zip is damaged") from None
    if len(raw) > most:
        raise JunkanError(f"{where}: more than {most:,} bytes unpacked, the "
                          f"{limits().describe('olca_member_bytes')}")
    budget.take(raw, where)
    repeats: list[str] = []
    try:
        doc = json.loads(raw, parse_constant=_no_constant, parse_float=_finite,
                         parse_int=_small_int, object_pairs_hook=_noting_repeats(repeats))
    except RecursionError:
        raise JunkanError(f"{where}: not JSON an import reads (nested too deeply)") from None
    except ValueError as exc:  # UnicodeDecodeError is one
        raise JunkanError(f"{where}: not JSON ({exc})") from None
    if repeats:  # read again only to name where: the path and the key
        _, problem = loads_with_repeat(raw)
        said = (f"{problem.path + ': ' if problem.path else ''}{problem.message}"
                if problem is not None else f"the key {short(repeats[0])} is given twice")
        raise JunkanError(f"{where}: {said}, so the import refuses it (json-duplicate-key); "
                          "keep the one you mean and export it again")
    return doc


def _noting_repeats(repeats: list[str]) -> Any:
    """A ``json.loads`` object hook building each object as ``json.loads`` does and noting
    in ``repeats`` each key an object gives twice (core's :func:`repeated_key`)."""

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            repeats.append(str(repeated_key(pairs)))
        return obj

    return hook
