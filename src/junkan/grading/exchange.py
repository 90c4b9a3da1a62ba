"""Passport files of graded records, as ``junkan passport export|import`` and the web page
write and read them: the three formats, their file names, the format of a file found from
its content, and reading one within the document limits.

    grading.passport_format(data)                  # "aas", "batterypass" or "batterypass-aas"
    grading.write_passports(doc, "batterypass")    # [(file name, document)] of graded items
    grading.read_passport(data)                    # PassportRead: item, format, unmapped

The AAS formats need the ``passport`` extra (BaSyx); the Battery Pass format is pure Python."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from importlib import import_module
from typing import Any, Literal

from junkan.core.documents import parse_data
from junkan.core.errors import ModelError, Problem, brief, coded
from junkan.grading.api import run
from junkan.grading.batterypass import attribute_set, batterypass_unmapped
from junkan.grading.catalogue import GradingError
from junkan.grading.schema import GradingDocument, Item

PassportFormat = Literal["aas", "batterypass", "batterypass-aas"]
PASSPORT_FORMATS: tuple[str, ...] = ("aas", "batterypass", "batterypass-aas")
"""The passport formats: the grading record as AAS V3.0, the Battery Pass attribute subset,
and that subset as AAS submodels."""

_SUFFIX = {
    "aas": "aas.json",
    "batterypass": "batterypass.json",
    "batterypass-aas": "batterypass.aas.json",
}
_WRITE = {"aas": "to_aas", "batterypass": "to_batterypass", "batterypass-aas": "to_batterypass_aas"}
_READ = {"aas": "aas_read", "batterypass-aas": "batterypass_aas"}
"""The module of junkan.grading that reads an AAS format (with BaSyx: loaded on first use)."""


def _verb(name: str) -> Callable[..., Any]:
    """A passport function of :mod:`junkan.grading` (the AAS ones load BaSyx on first use)."""
    fn: Callable[..., Any] = getattr(import_module("junkan.grading"), name)
    return fn


def _format(fmt: str) -> str:
    if fmt not in PASSPORT_FORMATS:
        raise ValueError(f"unknown passport format {fmt!r}; one of {', '.join(PASSPORT_FORMATS)}")
    return fmt


def passport_format(data: str | bytes) -> str:
    """The format of a passport file from its content: AAS when the document has shells or
    submodels (``batterypass-aas`` when they hold Battery Pass aspects and no junkan grading
    submodel), else a Battery Pass document (``batterypass``)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if b'"assetAdministrationShells"' not in raw and b'"submodels"' not in raw:
        return "batterypass"
    if b"urn:samm:io.BatteryPass" in raw and b"w3id.org/junkan/grading/v1#GradingRecord" not in raw:
        return "batterypass-aas"
    return "aas"


def passport_file_name(item_id: str, fmt: str) -> str:
    """The file an item's passport is written to: its id with characters other than letters,
    digits, ``-``, ``_`` and ``.`` as ``_``, then the format's suffix (``pack-7.aas.json``,
    ``.batterypass.json``, ``.batterypass.aas.json``)."""
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in item_id)
    return f"{stem}.{_SUFFIX[_format(fmt)]}"


def passport_file_names(ids: list[str], fmt: str) -> list[str]:
    """The file each item's passport is written to (:func:`passport_file_name`), in the
    order of ``ids``; ids giving the same file name (``pack/7`` and ``pack_7``) are refused
    (:class:`GradingError` under code ``passport-name-clash``, naming the items by index and
    id and the file name), by the CLI and the service alike."""
    clashes = _name_clashes(ids, fmt)
    if clashes:
        raise GradingError(clashes)
    return [passport_file_name(i, fmt) for i in ids]


def _name_clashes(ids: list[str], fmt: str) -> list[Problem]:
    """The items whose ids give one file name, each clash naming them by index and id
    (path ``items``, as :func:`passport_file_names` has it)."""
    by_name: dict[str, list[int]] = {}
    for i, it in enumerate(ids):
        by_name.setdefault(passport_file_name(it, fmt), []).append(i)
    return [
        coded(
            "items",
            "passport-name-clash",
            "items whose ids give the same file name: {names}",
            names=" and ".join(f"items[{j}] {brief(ids[j])!r}" for j in js) + f" ({name})",
        )
        for name, js in by_name.items()
        if len(js) > 1
    ][:5]


def _at_item(exc: GradingError, index: int, item_id: str) -> GradingError:
    """``exc`` of one record's writer (paths ``item.…``) with its paths naming the item of
    the document by index and id (``items[2] (pack-9).quantity.mass``)."""
    at = f"items[{index}] ({brief(item_id)})"
    moved = [
        Problem(
            at + p.path[4:] if p.path == "item" or p.path.startswith("item.") else f"{at}.{p.path}",
            p.message,
            p.kind,
            p.limits,
        )
        for p in exc.problems
    ]
    return type(exc)(moved, exc.source)


def write_passports(
    model: GradingDocument, fmt: str, *, as_of: date | None = None, item: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """Grade the document's items and write each graded record in ``fmt``: (file name,
    document) per item, or for the item whose id is ``item`` only (unknown: an error naming
    ``item``), graded alone (an item's verdicts and classes read its own values only).
    A document whose ids give the same file name is refused, naming the items by index and
    id; a record the format cannot hold too, its paths naming the item (``items[2] (pack-9).
    quantity.mass``)."""
    write = _verb(_WRITE[_format(fmt)])
    ids = [it.id for it in model.items]
    clashes = _name_clashes(ids, fmt)
    if clashes:
        raise GradingError(clashes)
    if item is not None:
        if all(it.id != item for it in model.items):
            some = ", ".join(repr(it.id) for it in model.items[:10])
            raise GradingError(
                [Problem("item", f"no item {item!r} in the document; its items: {some}")]
            )
        model = model.model_copy(update={"items": [it for it in model.items if it.id == item]})
    graded = run(model, as_of=as_of).graded_items()
    out = []
    for r in graded:
        try:
            out.append((passport_file_name(str(r["id"]), fmt), write(Item.model_validate(r))))
        except GradingError as exc:
            raise _at_item(exc, ids.index(str(r["id"])), str(r["id"])) from None
    return out


@dataclass(frozen=True)
class PassportRead:
    """A passport file read back: the grading record, the format it was read as and what the
    record was not read from (ignored): a Battery Pass document's attribute paths outside
    junkan's subset (also in aspect submodels, then other submodels' ids), an AAS grading
    submodel's other elements (``JunkanGrading.VendorExtra``)."""

    item: Item
    format: str
    unmapped: list[str] = field(default_factory=list)


def read_passport(
    data: str | bytes,
    fmt: str = "auto",
    *,
    submodel_id: str | None = None,
    source: str = "<passport>",
) -> PassportRead:
    """The grading record of a passport file (``fmt`` ``auto``: :func:`passport_format`).
    The text is first read as JSON within the document limits (size, nesting, numbers,
    string lengths: :func:`junkan.core.limits.limits`): text that is not JSON is refused
    under the rule ``json-syntax`` (line, column), not with the parser's own English words;
    every refusal is a :class:`GradingError` naming the field or attribute path."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise GradingError(
                [Problem("", f"the document is not UTF-8 text (byte {exc.start})")], source
            ) from None
    else:
        text = data
    kind = passport_format(text) if fmt == "auto" else _format(fmt)
    try:  # JSON within the limits (a coded rule, said in the page's language, for text
        # that is not JSON); the readers keep their own checks, and name what else it is
        parse_data(text, source=source, as_json=True)
    except ModelError as exc:
        raise GradingError(exc.problems, source) from None
    if submodel_id is not None and kind != "aas":
        raise GradingError(
            [
                coded(
                    "submodel",
                    "submodel-not-read",
                    "a {format} file has no grading submodels to choose from: "
                    "give submodel only for format aas",
                    format=kind,
                )
            ],
            source,
        )
    try:
        item, unmapped = _read(kind, text, submodel_id)
    except GradingError as exc:
        if fmt == "auto" and [p.kind for p in exc.problems] in (["pass-no-aspect"],
                                                                ["pass-not-object"]):
            raise GradingError([_neither()], source) from None
        exc.source = exc.source or source
        raise
    return PassportRead(item, kind, unmapped)


def _neither() -> Problem:
    """A document read as a Battery Pass (no shells or submodels) that is no JSON object or
    holds no aspect: what either kind of passport has at its top level."""
    return coded(
        "",
        "passport-unknown-kind",
        "neither an AAS V3.0 environment nor a Battery Pass document: an AAS environment is a "
        "JSON object with 'assetAdministrationShells' or 'submodels' at its top level, a "
        "Battery Pass document one with at least one of the aspects {aspects} there",
        aspects=", ".join(attribute_set()["aspects"]),
    )


def _read(kind: str, text: str, submodel_id: str | None) -> tuple[Item, list[str]]:
    if kind == "batterypass":
        return _verb("from_batterypass")(text), batterypass_unmapped(text)
    _verb("from_aas")  # the passport extra, or the error naming it
    module = import_module(f"junkan.grading.{_READ[kind]}")
    if kind == "aas":
        found: tuple[Item, list[str]] = module.read_aas(text, submodel_id=submodel_id)
    else:
        found = module.read_batterypass_aas(text)
    return found
