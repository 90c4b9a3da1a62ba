"""The solar-panel registry kept by the service (:mod:`junkan.store.policy_repo`): what each
party may send, and the rules a new entry must pass before it is stored.

The stored registry is the document registry of :mod:`junkan.policy.solar` split into
records: a panel model is its maker's, an installation its owner's, a handover is made by the
owner, a treatment is reported by a certified recycler the panels were handed to. The
repository reads the records an organisation has a role for, builds a
:class:`~junkan.policy.solar.Registry` of them (:func:`registry_of`) and shows it with the same
rules as a sent document (:func:`junkan.policy.solar.view`), so the two never differ. Every
write is checked here by adding the new entry to the slice of the registry it touches and
validating that slice with :func:`junkan.policy.solar.load_registry`; a problem of the new
entry is reported with the request's field names.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field

from junkan.core.base import Strict
from junkan.core.documents import validate_with
from junkan.core.errors import ModelError, Problem, coded
from junkan.core.fields import Fraction, IsoDate
from junkan.policy.solar import (
    Count,
    Id,
    Kg,
    Org,
    Registry,
    Substance,
    Text,
    load_registry,
)

ORG_ROLES = ("municipality", "certified_recycler")
"""Roles an operator grants an organisation in the registry (never self-declared): acting for
a municipality (the value is its 5-digit code) and certified recycler (the value is the
certificate, e.g. the permit number under the Waste Management Act)."""
Code = Annotated[str, Field(pattern=r"^\d{5}$")]


class ModelIn(Strict):
    """A panel model a maker registers (the maker is the caller)."""

    name: Id
    """The model number, as on the panel's nameplate."""
    technology: Literal["c-Si", "CIS/CIGS", "CdTe", "other"]
    mass_kg: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False, strict=True)]
    glass_share: Fraction
    substances: list[Substance] = Field(default_factory=list, max_length=50)


class InstallationIn(Strict):
    """An installation an owner registers (the owner is the caller); ``maker`` and
    ``model`` name the panel model by its maker and model number."""

    name: Id
    maker: Org
    model: Id
    municipality: Code
    address: Text | None = None
    count: Count
    commissioned: IsoDate
    end_of_business: IsoDate | None = None


class EndOfBusinessIn(Strict):
    """The owner's (new) end-of-business date; ``null`` returns to the default."""

    end_of_business: IsoDate | None


class HandoverIn(Strict):
    """Panels of an installation its owner hands to a dismantler or a recycler."""

    to: Org
    role: Literal["dismantler", "recycler"]
    count: Count
    date: IsoDate


class TreatmentIn(Strict):
    """A certified recycler's treatment report for panels handed to it."""

    count: Count
    date: IsoDate
    method: Text
    recovered_kg: dict[Annotated[str, Field(max_length=40)], Kg] = Field(max_length=20)
    disposed_kg: Kg = 0.0


def parse(cls: type[Any], doc: Any, source: str) -> Any:
    """``doc`` validated as ``cls`` (a mapping; problems name their fields)."""
    if not isinstance(doc, dict):
        raise ModelError([Problem("", "expected a mapping")], source)
    return validate_with(cls, doc, source)


def registry_of(
    as_of: date,
    municipalities: dict[str, str],
    models: list[dict[str, Any]],
    installations: list[dict[str, Any]],
    handovers: list[dict[str, Any]] | None = None,
    treatments: list[dict[str, Any]] | None = None,
) -> Registry:
    """A registry of stored records (already checked when they were written)."""
    return Registry.model_validate(
        {
            "kind": "solar_registry",
            "as_of": as_of.isoformat(),
            "municipalities": municipalities,
            "models": models,
            "installations": installations,
            "handovers": handovers or [],
            "treatments": treatments or [],
        }
    )


def _document(reg: Registry) -> dict[str, Any]:
    doc: dict[str, Any] = reg.model_dump(mode="json")
    return doc


def _check_new(doc: dict[str, Any], section: str, source: str) -> None:
    """Validate ``doc`` (a registry whose ``section`` ends with the new entry); the new
    entry's problems are raised with its own field names."""
    index = len(doc[section]) - 1
    prefix = f"{section}[{index}]"
    try:
        load_registry(doc, source)
    except ModelError as exc:
        mine = [
            Problem(p.path.removeprefix(prefix).lstrip("."), p.message)
            for p in exc.problems
            if p.path == prefix or p.path.startswith(prefix + ".")
        ]
        raise ModelError(mine or exc.problems, source) from None


def check_model(maker: str, model: ModelIn, record_id: str) -> dict[str, Any]:
    """The stored form of a new panel model (its document, without id and maker)."""
    doc = model.model_dump(mode="json", exclude={"name"})
    reg = {
        "kind": "solar_registry",
        "as_of": date.today().isoformat(),
        "models": [{"id": record_id, "maker": maker, "name": model.name, **doc}],
    }
    _check_new(reg, "models", "model")
    return doc


def check_installation(reg: Registry, inst: InstallationIn, record_id: str, owner: str) -> None:
    """``inst`` against its model (the only one in ``reg``): dates in order."""
    doc = _document(reg)
    doc["installations"].append(installation_doc(inst, record_id, owner, reg.models[0].id))
    _check_new(doc, "installations", "installation")


def installation_doc(
    inst: InstallationIn, record_id: str, owner: str, model_id: str
) -> dict[str, Any]:
    body = inst.model_dump(mode="json", exclude={"maker", "model"})
    return {**body, "id": record_id, "owner": owner, "model": model_id}


def check_end_of_business(reg: Registry, installation: str, new: date | None) -> None:
    """The installation of ``reg`` with its end of business changed: not before its
    commissioning."""
    doc = _document(reg)
    for x in doc["installations"]:
        if x["id"] == installation:
            x["end_of_business"] = None if new is None else new.isoformat()
    try:
        load_registry(doc, "end_of_business")
    except ModelError as exc:
        raise ModelError(
            [Problem("end_of_business", p.message, p.kind, p.limits) for p in exc.problems],
            "end_of_business",
        ) from None


def _not_future(day: date, source: str) -> None:
    """A handover or treatment is recorded once it has happened: not after today (today
    anywhere: UTC+14 at most)."""
    if day > (datetime.now(UTC) + timedelta(hours=14)).date():
        raise ModelError(
            [coded("date", "date-after-today", "{date} is after today: record it once it "
                   "happened", date=day.isoformat())],
            source,
        )


def check_handover(reg: Registry, installation: str, h: HandoverIn) -> dict[str, Any]:
    """A handover of ``installation`` (of ``reg``, with its handovers and treatments): not
    before commissioning, not after today, not more panels to a role than it has. Returns
    the entry."""
    _not_future(h.date, "handover")
    entry = {"installation": installation, **h.model_dump(mode="json")}
    doc = _document(reg)
    doc["handovers"].append(entry)
    _check_new(doc, "handovers", "handover")
    return entry


def check_treatment(
    reg: Registry, installation: str, recycler: str, t: TreatmentIn
) -> dict[str, Any]:
    """A treatment report: only of panels handed to ``recycler`` as recycler, no more mass
    than they weigh. Returns the entry."""
    _not_future(t.date, "treatment")
    entry = {"installation": installation, "recycler": recycler, **t.model_dump(mode="json")}
    doc = _document(reg)
    doc["treatments"].append(entry)
    _check_new(doc, "treatments", "treatment")
    return entry
