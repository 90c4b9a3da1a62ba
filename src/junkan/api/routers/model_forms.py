"""Model forms: a lifecycle model as a structured JSON document for the web editor's forms
(products, BOM tree, loops, processes with unit pickers and sources), its live validation by
the lifecycle loader itself (errors by document path), and saving a form edit as a new version.

The form document *is* the model document (JSON types): every path the loader reports an error
at (``products.atm.bom[2].mass``) is the path of a field in the form. Nothing here judges the
domain: validation is :func:`junkan.lifecycle.load` (through the same worker as an upload), and
the pickers' enumerations come from the model format's JSON Schema."""

from __future__ import annotations

import difflib
import functools
import json
import math
from typing import Annotated, Any

from fastapi import HTTPException, Path
from pydantic import Field, field_validator

from junkan.api.auth import CurrentUser, StoreDep
from junkan.api.common import NOT_FOUND, within_data_limits
from junkan.api.request_json import strict_router
from junkan.api.routers.examples import EXAMPLES, example_text
from junkan.api.routers.models import (
    ModelOut,
    Version,
    model_out,
)
from junkan.api.work import card_job, offload, validate_upload
from junkan.core.base import Strict
from junkan.core.documents import dump_yaml, parse_document
from junkan.core.encoding import jsonable
from junkan.store.cards import write_card

router = strict_router()

MAX_DEPTH = 32
"""A form document nested deeper than this is refused (a model is at most ~10 levels deep)."""
MAX_NODES = 200_000
"""A form document with more values than this is refused before it is serialised."""

MASS_UNITS = ["kg", "g", "t"]
DURATION_UNITS = ["year", "month"]
DISTANCE_UNITS = ["km", "m"]
BASES = ["piece", "kg", "t", "(t*km)", "(piece*year)"]
"""Activity bases of a unit factor: per piece, per kg (or t) handled, per t·km transported,
per piece-year in use (the loader reads the basis from the unit's denominator)."""
NUMERATORS = {"co2e": ["kgCO2e", "gCO2e", "tCO2e"], "energy": ["MJ", "kWh", "GJ"]}
"""The pickers' units are checked against the loader in tests/api/test_model_forms.py: a
model using each one loads."""


def unit_choices(currency: str) -> dict[str, list[str]]:
    """The units the form offers for each kind of quantity (any other unit a document already
    uses is kept and shown as written)."""
    money = [f"{currency}/{b}" for b in BASES]
    return {
        "mass": MASS_UNITS,
        "duration": DURATION_UNITS,
        "distance": DISTANCE_UNITS,
        **{k: [f"{n}/{b}" for n in ns for b in BASES] for k, ns in NUMERATORS.items()},
        "cost": money,
        "revenue": money,
        "supply_co2e": [f"{n}/{b}" for n in NUMERATORS["co2e"] for b in ("kg", "t")],
        "supply_energy": [f"{n}/{b}" for n in NUMERATORS["energy"] for b in ("kg", "t")],
        "supply_cost": [f"{currency}/{b}" for b in ("kg", "t")],
    }


@functools.cache
def enumerations() -> dict[str, list[str]]:
    """The closed choices of the model format (roles, stages, kinds, lifetime distributions,
    currencies, where reused parts go), read from its JSON Schema."""
    from junkan import lifecycle

    schema = lifecycle.LifecycleModel.model_json_schema()
    defs, root = schema["$defs"], schema["properties"]

    def enum(model: str, field: str) -> list[str]:
        return [str(x) for x in defs[model]["properties"][field]["enum"]]

    return {
        "role": enum("Actor", "role"),
        "stage": enum("Process", "stage"),
        "kind": enum("Process", "kind"),
        "distribution": enum("Lifetime", "distribution"),
        "currency": [str(x) for x in root["currency"]["enum"]],
        "into": enum("PartReuseOption", "into"),
    }


@functools.cache
def library() -> dict[str, dict[str, list[str]]]:
    """The library templates a model may import (``uses``), with the names each provides."""
    from junkan.data import library_names, load_library

    return {
        name: {
            k: sorted(map(str, v))
            for k, v in load_library(name).items()
            if isinstance(v, dict) and k != "sources"
        }
        for name in library_names()
    }


def choices(doc: dict[str, Any]) -> dict[str, Any]:
    cur = doc.get("currency")
    currency = cur if isinstance(cur, str) and cur in enumerations()["currency"] else "JPY"
    return {"units": unit_choices(currency), **enumerations(), "library": library()}


def form_out(doc: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {**extra, "document": jsonable(doc), "choices": choices(doc)}


# ---- the document: checked, written as text ------------------------------------------------
def checked(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` if it is finite, not too deep and not too large (walked without recursion);
    else ValueError naming what is wrong."""
    todo: list[tuple[Any, int]] = [(doc, 0)]
    seen = 0
    while todo:
        x, depth = todo.pop()
        seen += 1
        if seen > MAX_NODES:
            raise ValueError(f"the document has more than {MAX_NODES:,} values")
        if depth > MAX_DEPTH:
            raise ValueError(f"the document is nested more than {MAX_DEPTH} levels deep")
        if isinstance(x, float) and not math.isfinite(x):
            raise ValueError("values must be finite numbers")
        if isinstance(x, int) and not isinstance(x, bool) and abs(x) > 10**15:
            raise ValueError("whole numbers must be at most 10^15 in size")
        if isinstance(x, dict):
            todo.extend((v, depth + 1) for v in x.values())
        elif isinstance(x, list):
            todo.extend((v, depth + 1) for v in x)
    return doc


def header_comments(text: str) -> str:
    """The comment lines at the top of a YAML document (its description of the model)."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return "\n".join(lines) + "\n" if lines else ""


def document_text(doc: dict[str, Any], fmt: str, previous: str = "") -> str:
    """The text stored for a form document: JSON for a JSON model, else YAML (keys in the
    document's order) under the previous version's header comments. Comments inside a YAML
    document are not kept (the form has no place for them)."""
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    body = dump_yaml(doc, width=100)
    return header_comments(previous) + str(body)


def stored_document(text: str, source: str) -> dict[str, Any]:
    return parse_document(text, source=source)


class FormIn(Strict):
    """A form document to check or save."""


    document: dict[Annotated[str, Field(max_length=100)], Any] = Field(max_length=40)
    """The model document (JSON types), as ``GET /api/models/{id}/form`` returned it."""
    comment: str | None = Field(default=None, max_length=500)
    """For the version history (saving only)."""
    base_version: int | None = Field(default=None, ge=1, le=2**31 - 1, strict=True)
    """The version the edits were made on: saving is refused (409) if a newer one exists;
    checking reports the changed lines against it."""

    @field_validator("document")
    @classmethod
    def _sane(cls, v: dict[str, Any]) -> dict[str, Any]:
        # the document limits too (a 15 MB text of long strings passed, then took seconds
        # to write as YAML): string lengths, nesting and numbers, as for an uploaded file
        return dict(within_data_limits(checked(v)))


def form_check_job(text: str, source: str) -> dict[str, Any]:
    """In a worker: the model's card (validated by the loader, raises ModelError) and the mass
    per piece of each product and part in the baseline, as the loader computes it from the BOM
    tree (kg)."""
    from junkan import lifecycle

    card = card_job(text, source)
    mf = lifecycle.load(text=text, source=source)  # the same document: from the loader's cache
    c = mf.compiled[mf.baseline.baseline_name]
    masses = {
        "products": {n: float(m) for n, m in zip(c.products, c.product_mass, strict=True)},
        "parts": {n: float(m) for n, m in zip(c.parts, c.part_mass, strict=True)},
    }
    return {**card, "masses": masses}


def card_summary(card: dict[str, Any]) -> dict[str, Any]:
    return {
        "valid": True,
        "name": card["name"],
        "title": card["title"],
        "scenarios": card["scenarios"],
        "parameters": len(card["parameters"]),
        **({"masses": card["masses"]} if "masses" in card else {}),
    }


def form_document_job(doc: dict[str, Any]) -> dict[str, Any]:
    """In a worker: :func:`form_check_job` of the form document (written as text there)."""
    return form_check_job(form_json(doc), "form")


def form_changes_job(doc: dict[str, Any], fmt: str, previous: str) -> dict[str, int]:
    """In a worker: the lines saving ``doc`` over the version ``previous`` would change
    (the text written and the diff cost time in the document's size: not on the event
    loop, where a large one stalled every other request)."""
    return changed_lines(previous, document_text(doc, fmt, previous))


def changed_lines(a: str, b: str) -> dict[str, int]:
    lines = list(difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0))
    return {
        "added": sum(1 for x in lines if x.startswith("+") and not x.startswith("+++")),
        "removed": sum(1 for x in lines if x.startswith("-") and not x.startswith("---")),
    }


# ---- routes --------------------------------------------------------------------------------
TemplateName = Annotated[str, Path(max_length=100)]


@router.get("/api/forms/templates", tags=["models"])
def templates(user: CurrentUser) -> list[dict[str, str]]:
    """The shipped lifecycle models a new model can start from in the form editor."""
    out = []
    for name, kind in EXAMPLES.items():
        if kind == "lifecycle":
            title = stored_document(example_text(name), name).get("title") or name
            if isinstance(title, dict):  # {en: …, ja: …}
                title = title.get("en") or name
            out.append({"name": name, "title": str(title)})
    return out


@router.get("/api/forms/templates/{name}", tags=["models"])
def template(name: TemplateName, user: CurrentUser) -> dict[str, Any]:
    """A shipped lifecycle model as a form document (the start of a new model)."""
    if EXAMPLES.get(name) != "lifecycle":
        raise NOT_FOUND
    return form_out(stored_document(example_text(name), name), template=name)


@router.get("/api/models/{model_id}/form", tags=["models"])
def read_form(
    model_id: str, user: CurrentUser, s: StoreDep, version: Version = None
) -> dict[str, Any]:
    """A version of a model (default: the latest) as a form document, with the form's
    choices: units per kind of quantity, roles, stages, kinds, distributions, currencies and
    the library templates with the names they provide."""
    rec, mv = s.get_model(user.org_id, model_id), s.get_version(user.org_id, model_id, version)
    if rec is None or mv is None:
        raise NOT_FOUND
    return form_out(
        stored_document(mv.content, model_id),
        model_id=model_id,
        version=mv.version,
        latest_version=rec.latest_version,
        format=mv.format,
        owner=rec.org_id == user.org_id,
    )


def form_json(doc: dict[str, Any]) -> str:
    """The text the loader checks (JSON is YAML; the loader's paths are the form's)."""
    return json.dumps(doc, ensure_ascii=False, allow_nan=False)


@router.post("/api/forms/validate", tags=["models"])
async def validate_form(body: FormIn, user: CurrentUser) -> dict[str, Any]:
    """Check a form document with the lifecycle loader (every scenario): its name, title,
    scenarios and number of parameters, or 422 with each problem's document path."""
    card = await offload(form_document_job, body.document)
    return card_summary(card)


@router.post("/api/models/{model_id}/form/validate", tags=["models"])
async def validate_model_form(
    model_id: str, body: FormIn, user: CurrentUser, s: StoreDep
) -> dict[str, Any]:
    """Check a form document as the next version of a model you may read: as ``POST
    /api/forms/validate``, plus the lines saving it would change against ``base_version``
    (default: the latest), as the version diff will count them."""
    mv = s.get_version(user.org_id, model_id, body.base_version)
    if mv is None:
        raise NOT_FOUND
    card = await offload(form_document_job, body.document)
    return {
        **card_summary(card),
        "base_version": mv.version,
        "changes": await offload(form_changes_job, body.document, mv.format, mv.content),
    }


@router.put("/api/models/{model_id}/form", tags=["models"])
async def save_form(model_id: str, body: FormIn, user: CurrentUser, s: StoreDep) -> ModelOut:
    """Save a form document as a new version of a model your organisation owns (checked
    first: 422 with each problem's path; 409 if ``base_version`` is no longer the latest)."""
    rec = s.get_model(user.org_id, model_id)
    mv = s.get_version(user.org_id, model_id, None)
    if rec is None or mv is None or rec.org_id != user.org_id:
        raise NOT_FOUND
    if body.base_version is not None and body.base_version != rec.latest_version:
        raise HTTPException(
            409,
            f"the model has a newer version (v{rec.latest_version}) than "
            f"the one edited (v{body.base_version}); reload the form",
        )
    text = await offload(document_text, body.document, mv.format, mv.content)
    card = await validate_upload(text)
    saved = s.add_version(
        user,
        model_id,
        card["name"],
        card["title"],
        text,
        mv.format,
        comment=body.comment or f"edited in the form from v{mv.version}",
        base=mv.version,  # still the latest when written, or 409 (review 273)
    )
    if saved is None:
        raise NOT_FOUND
    write_card(s.db, saved.id, saved.latest_version, card)
    return model_out(saved, user.org_id)


@router.post("/api/forms", tags=["models"], status_code=201)
async def create_from_form(body: FormIn, user: CurrentUser, s: StoreDep) -> ModelOut:
    """A new model of your organisation from a form document (e.g. a template's, renamed):
    checked first, 422 with each problem's path."""
    text = await offload(document_text, body.document, "yaml")
    card = await validate_upload(text)
    rec = s.create_model(
        user,
        card["name"],
        card["title"],
        text,
        "yaml",
        comment=body.comment or "created in the form",
    )
    write_card(s.db, rec.id, rec.latest_version, card)
    return model_out(rec, user.org_id)
