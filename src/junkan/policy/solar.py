"""Solar-panel information sharing (太陽光パネルの情報共有): panel makers register models
(mass, glass share, hazardous substances with contents), owners register installations and
their end-of-business dates, owners hand panels to dismantlers and recyclers, recyclers report
treatment, and every party sees what its role needs — by role, like the trace ledger's data
sovereignty: an installation a party has no role for does not exist for it.

Roles of an organisation for one installation (several may apply; their fields are joined):

- ``owner``: the installation's owner — everything;
- ``municipality``: the organisation registered for the installation's municipality code —
  where, whose, how many, mass, end of business, collection status, which hazardous
  substances (not their contents or the model);
- ``dismantler`` / ``recycler``: an organisation the owner handed panels of it to — the model
  with mass, glass share, composition and substances with contents, the handovers to it; the
  recycler also its own treatment reports;
- ``maker``: the maker of its model — the model, municipality, count, end of business and
  status (take-back planning), not the owner or the address.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr

from junkan.core.base import Strict
from junkan.core.documents import validate_with
from junkan.core.errors import JunkanError, ModelError, Problem, coded, short
from junkan.core.fields import Fraction, IsoDate
from junkan.policy.data import data_document, years_after
from junkan.policy.solar_order import treated_before_handed

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,79}$")]
Org = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(min_length=1, max_length=500)]
Count = Annotated[int, Field(ge=1, le=100_000_000, strict=True)]
Kg = Annotated[float, Field(ge=0, le=1e10, allow_inf_nan=False, strict=True)]
MAX_ITEMS = 100_000
SUBSTANCES = ("Pb", "Cd", "As", "Se", "Sb")


class NotVisible(JunkanError):
    """The installation does not exist, or the organisation has no role for it (the same
    answer: the API's one 404)."""


class Substance(Strict):
    substance: Literal["Pb", "Cd", "As", "Se", "Sb"]
    part: Text
    """frame, screws, cable, laminate, glass, solder ribbon, …"""
    content_wt_pct: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False, strict=True)]
    """Content in the part, weight %."""


class PanelModel(Strict):
    id: Id
    maker: Org
    name: Id | None = None
    """The maker's model number (the stored registry's ``id`` is its record id)."""
    technology: Literal["c-Si", "CIS/CIGS", "CdTe", "other"]
    mass_kg: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)]
    glass_share: Fraction
    substances: list[Substance] = Field(default_factory=list, max_length=50)


class Installation(Strict):
    id: Id
    owner: Org
    name: Id | None = None
    """The owner's name for it (the stored registry's ``id`` is its record id)."""
    municipality: Annotated[str, Field(pattern=r"^\d{5}$")]
    """地方公共団体コード (5 digits, the first two the prefecture)."""
    address: Text | None = None
    model: Id
    count: Count
    commissioned: IsoDate
    end_of_business: IsoDate | None = None
    """Owner's planned end of business; default commissioning + the assumed service years."""


class Handover(Strict):
    installation: Id
    to: Org
    role: Literal["dismantler", "recycler"]
    count: Count
    date: IsoDate


class Treatment(Strict):
    installation: Id
    recycler: Org
    count: Count
    date: IsoDate
    method: Text
    recovered_kg: dict[Annotated[str, Field(max_length=40)], Kg] = Field(max_length=20)
    """Recovered mass by material (glass, aluminium, silver, …)."""
    disposed_kg: Kg = 0.0


class Registry(Strict):
    """A solar-panel registry (``kind: solar_registry``)."""

    kind: Literal["solar_registry"]
    as_of: IsoDate
    municipalities: dict[Org, Annotated[str, Field(pattern=r"^\d{5}$")]] = Field(
        default_factory=dict, max_length=2000
    )
    """Organisation → the municipality code it acts for."""
    models: list[PanelModel] = Field(default_factory=list, max_length=10_000)
    installations: list[Installation] = Field(default_factory=list, max_length=MAX_ITEMS)
    handovers: list[Handover] = Field(default_factory=list, max_length=MAX_ITEMS)
    treatments: list[Treatment] = Field(default_factory=list, max_length=MAX_ITEMS)
    _index: Index | None = PrivateAttr(default=None)

    def index(self) -> Index:
        """Models by id, handovers and treatments by installation up to ``as_of`` (built
        once)."""
        private = self.__pydantic_private__ or {}  # (read directly: pydantic's getattr is slow)
        ix = private.get("_index")
        if ix is None:
            ix = self._index = Index(self)
        return ix


class Index:
    def __init__(self, reg: Registry) -> None:
        self.models = {m.id: m for m in reg.models}
        self.handovers: dict[str, list[Handover]] = defaultdict(list)
        self.treatments: dict[str, list[Treatment]] = defaultdict(list)
        # events after the registry's date have not happened yet as of it: they count
        # neither in the status and volumes nor as a role
        for h in reg.handovers:
            if h.date <= reg.as_of:
                self.handovers[h.installation].append(h)
        for t in reg.treatments:
            if t.date <= reg.as_of:
                self.treatments[t.installation].append(t)


@lru_cache(maxsize=1)
def reference() -> dict[str, Any]:
    """``data/policy/solar.yaml``: the sourced figures and the assumptions."""
    return data_document("solar.yaml")[0]


def _dupes(items: list[Any], what: str) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for i, x in enumerate(items):
        if x.id in seen:
            out.append(
                coded(
                    f"{what}[{i}].id",
                    "registered-twice",
                    "{name} is registered twice",
                    name=short(x.id, 90),
                )
            )
        seen.add(x.id)
    return out


def _check_installations(reg: Registry) -> list[Problem]:
    models = {m.id for m in reg.models}
    out = []
    for i, inst in enumerate(reg.installations):
        if inst.model not in models:
            out.append(
                coded(
                    f"installations[{i}].model",
                    "no-panel-model",
                    "no panel model {name}",
                    name=short(inst.model, 90),
                )
            )
        if inst.end_of_business is not None and inst.end_of_business < inst.commissioned:
            out.append(
                coded(
                    f"installations[{i}].end_of_business",
                    "ends-before-commissioned",
                    "is before commissioned",
                )
            )
    return out


def _registered(
    inst: dict[str, Installation], items: list[Any], what: str, out: list[Problem]
) -> Iterator[tuple[int, Any, Installation]]:
    """``items`` (handovers or treatments) with their installation; a missing installation
    or a date before its commissioning goes to ``out``."""
    for i, item in enumerate(items):
        x = inst.get(item.installation)
        if x is None:
            out.append(
                coded(
                    f"{what}[{i}].installation",
                    "no-installation",
                    "no installation {name}",
                    name=short(item.installation, 90),
                )
            )
            continue
        if item.date < x.commissioned:
            out.append(
                coded(
                    f"{what}[{i}].date",
                    "before-commissioning",
                    "is before the installation's commissioning",
                )
            )
        yield i, item, x


def _check_flows(reg: Registry) -> list[Problem]:
    """Handovers and treatments: of a registered installation, not before it, not more
    panels than it has (handovers per role), and treatment only of panels handed to the
    recycler, with no more mass than they weigh."""
    inst = {x.id: x for x in reg.installations}
    mass = {m.id: m.mass_kg for m in reg.models}
    out: list[Problem] = []
    handed: dict[tuple[str, str], int] = defaultdict(int)
    to_recycler: dict[tuple[str, str], int] = defaultdict(int)
    for i, h, x in _registered(inst, reg.handovers, "handovers", out):
        handed[(h.installation, h.role)] += h.count
        if handed[(h.installation, h.role)] > x.count:
            out.append(
                coded(
                    f"handovers[{i}].count",
                    "handed-too-many",
                    "more panels handed to {role}s than installation {installation} has ({count})",
                    role=h.role,
                    installation=x.id,
                    count=x.count,
                )
            )
        if h.role == "recycler":
            to_recycler[(h.installation, h.to)] += h.count
    treated: dict[tuple[str, str], int] = defaultdict(int)
    for i, t, x in _registered(inst, reg.treatments, "treatments", out):
        treated[(t.installation, t.recycler)] += t.count
        if treated[(t.installation, t.recycler)] > to_recycler[(t.installation, t.recycler)]:
            out.append(
                coded(
                    f"treatments[{i}].count",
                    "treated-too-many",
                    "{recycler} reports more panels than were handed to it as recycler",
                    recycler=t.recycler,
                )
            )
        limit = t.count * mass.get(x.model, 0.0) * 1.001
        total = sum(t.recovered_kg.values()) + t.disposed_kg
        if mass.get(x.model) is not None and total > limit:
            out.append(
                coded(
                    f"treatments[{i}].recovered_kg",
                    "treated-above-mass",
                    "{total} kg recovered and disposed exceeds the panels' mass ({mass} kg)",
                    total=f"{total:,.1f}",
                    mass=f"{limit / 1.001:,.1f}",
                )
            )
    return out


def load_registry(doc: dict[str, Any], source: str) -> Registry:
    """Validate a registry; every problem names its path."""
    reg = validate_with(Registry, doc, source)
    problems = _dupes(reg.models, "models") + _dupes(reg.installations, "installations")
    problems += _check_installations(reg)
    if not problems:
        problems += _check_flows(reg) + treated_before_handed(reg)
    if problems:
        raise ModelError(problems, source)
    return reg


# ---- the records and what each role sees ---------------------------------------------------
_PLACE = frozenset({"id", "name", "municipality", "prefecture"})
_MUNICIPALITY = _PLACE | {
    "owner",
    "address",
    "count",
    "commissioned",
    "end_of_business",
    "status",
    "collected",
    "treated",
    "mass_t",
    "glass_t",
    "hazardous",
}
_DISMANTLER = _PLACE | {"address", "model", "handovers"}
FIELDS: dict[str, frozenset[str]] = {
    "owner": _MUNICIPALITY | {"model", "handovers", "treatments"},
    "municipality": _MUNICIPALITY,
    "dismantler": _DISMANTLER,
    "recycler": _DISMANTLER | {"treatments"},
    "maker": _PLACE | {"model", "count", "end_of_business", "status"},
}
"""The fields of an installation each role sees (:func:`view` joins them over roles)."""
OWN_ONLY = frozenset({"handovers", "treatments"})
"""Lists that a dismantler or recycler sees only its own entries of."""


def end_of_business(inst: Installation) -> date:
    if inst.end_of_business is not None:
        return inst.end_of_business
    return years_after(inst.commissioned, int(reference()["default_service_years"]["value"]))


def roles(reg: Registry, org: str, inst: Installation) -> set[str]:
    """The roles ``org`` has for ``inst``."""
    out = set()
    if inst.owner == org:
        out.add("owner")
    if reg.municipalities.get(org) == inst.municipality:
        out.add("municipality")
    ix = reg.index()
    out |= {h.role for h in ix.handovers.get(inst.id, ()) if h.to == org}
    if ix.models[inst.model].maker == org:
        out.add("maker")
    return out


def _collected(ix: Index, installation: str) -> int:
    """Panels handed over: to dismantlers, or to recyclers, whichever is more."""
    to = {"dismantler": 0, "recycler": 0}
    for h in ix.handovers.get(installation, ()):
        to[h.role] += h.count
    return max(to.values())


def status(reg: Registry, inst: Installation) -> dict[str, Any]:
    """Collected (handed to a dismantler or recycler), treated, and the status: ``treated``,
    ``collected``, ``overdue`` (past its end of business — after the day —, not all collected:
    the abandonment risk), ``approaching`` (up to the same date the horizon's years after
    ``as_of``, ``data/policy/solar.yaml``) or ``operating``."""
    ix = reg.index()
    collected = _collected(ix, inst.id)
    treated = sum(t.count for t in ix.treatments.get(inst.id, ()))
    end = end_of_business(inst)
    horizon = int(reference()["approaching_years"]["value"])
    if treated >= inst.count:
        state = "treated"
    elif collected >= inst.count:
        state = "collected"
    elif end < reg.as_of:  # past it: on the day itself it is not yet
        state = "overdue"
    elif end <= years_after(reg.as_of, horizon):
        state = "approaching"
    else:
        state = "operating"
    return {"collected": collected, "treated": treated, "status": state}


def _model_doc(m: PanelModel) -> dict[str, Any]:
    doc = m.model_dump(mode="json")
    typical = reference()["typical_csi_composition"]
    if m.technology == "c-Si":
        rest = 1 - m.glass_share
        others = {k: v for k, v in typical["shares"].items() if k != "glass"}
        tot = sum(others.values())
        doc["composition"] = {
            "glass": m.glass_share,
            **{k: round(rest * v / tot, 6) for k, v in others.items()},
        }
        doc["composition_note"] = (
            f"glass as declared; the rest split as the typical c-Si panel ({typical['source']})"
        )
    threshold = float(reference()["registered_substances"]["threshold_wt_pct"])
    doc["above_threshold"] = sorted(
        {s.substance for s in m.substances if s.content_wt_pct >= threshold}
    )
    return doc


def record(reg: Registry, inst: Installation) -> dict[str, Any]:
    """Every field of an installation (what the owner sees)."""
    ix = reg.index()
    model = ix.models[inst.model]
    prefs = _prefecture_names()
    doc: dict[str, Any] = {
        "id": inst.id,
        "name": inst.name,
        "owner": inst.owner,
        "municipality": inst.municipality,
        "prefecture": prefs.get(int(inst.municipality[:2])),
        "address": inst.address,
        "model": _model_doc(model),
        "count": inst.count,
        "commissioned": inst.commissioned.isoformat(),
        "end_of_business": end_of_business(inst).isoformat(),
        "mass_t": inst.count * model.mass_kg / 1000,
        "glass_t": inst.count * model.mass_kg * model.glass_share / 1000,
        "hazardous": sorted({s.substance for s in model.substances if s.content_wt_pct > 0}),
        "handovers": [h.model_dump(mode="json") for h in ix.handovers.get(inst.id, ())],
        "treatments": [t.model_dump(mode="json") for t in ix.treatments.get(inst.id, ())],
    }
    doc.update(status(reg, inst))
    return doc


def view(reg: Registry, org: str, installation: str | None = None) -> list[dict[str, Any]]:
    """The installations ``org`` has a role for, each with the fields its roles see (and a
    ``roles`` list). With ``installation``: that one only, or :class:`NotVisible` when it
    does not exist or ``org`` has no role for it."""
    out = []
    for inst in reg.installations:
        if installation is not None and inst.id != installation:
            continue
        rs = roles(reg, org, inst)
        if not rs:
            continue
        allowed = frozenset().union(*(FIELDS[r] for r in rs))
        doc = {k: v for k, v in record(reg, inst).items() if k in allowed}
        if "owner" not in rs:
            for k in OWN_ONLY & doc.keys():
                doc[k] = [e for e in doc[k] if org in (e.get("to"), e.get("recycler"))]
        if "maker" in rs and rs <= {"maker", "municipality"} and "model" in doc:
            doc["model"] = {k: doc["model"][k] for k in ("id", "name", "maker", "technology")}
        doc["roles"] = sorted(rs)
        out.append(doc)
    if installation is not None and not out:
        raise NotVisible(f"installation {installation!r} not found")
    return out


def models_of(reg: Registry, maker: str) -> list[dict[str, Any]]:
    """The panel models ``maker`` registered (with their derived composition)."""
    return [_model_doc(m) for m in reg.models if m.maker == maker]


@lru_cache(maxsize=1)
def _prefecture_names() -> dict[int, str]:
    from junkan.network import prefectures

    return {p.prefecture: p.name for p in prefectures()}


def eol_volumes(
    reg: Registry, municipality: str | None = None, ids: set[str] | None = None
) -> list[dict[str, Any]]:
    """End-of-life volumes by municipality and year of end of business: panels not yet
    collected, their mass and glass (t). These are what the network planner's
    ``solar_panels`` category takes as supply (:func:`network_supply`)."""
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    ix = reg.index()
    for inst in reg.installations:
        if municipality is not None and inst.municipality != municipality:
            continue
        if ids is not None and inst.id not in ids:
            continue
        left = inst.count - _collected(ix, inst.id)
        if left <= 0:
            continue
        m = ix.models[inst.model]
        key = (inst.municipality, end_of_business(inst).year)
        r = rows.setdefault(
            key,
            {"municipality": key[0], "year": key[1], "panels": 0, "mass_t": 0.0, "glass_t": 0.0},
        )
        r["panels"] += left
        r["mass_t"] += left * m.mass_kg / 1000
        r["glass_t"] += left * m.mass_kg * m.glass_share / 1000
    return [rows[k] for k in sorted(rows)]


def network_supply(reg: Registry, year: int, ids: set[str] | None = None) -> dict[str, Any]:
    """The panels reaching end of business in ``year``, by prefecture, as the network
    planner's supply section (``commodities.<c>.supply``: ``by_prefecture`` in t/yr, with
    its source) for the ``solar_panels`` category; ``ids``: only these installations."""
    names = _prefecture_names()
    by: dict[str, float] = defaultdict(float)
    for r in eol_volumes(reg, ids=ids):
        if r["year"] != year:
            continue
        pref = names.get(int(r["municipality"][:2]))
        if pref is None:  # placed nowhere: refused rather than dropped from the supply
            i = next(i for i, x in enumerate(reg.installations)
                     if x.municipality == r["municipality"])
            raise ModelError([coded(
                f"installations[{i}].municipality", "supply-no-prefecture",
                "municipality {code} is in no prefecture (its first two digits, {pref}, are "
                "not 01–47): its {mass} t of panels reaching end of business in {year} "
                "cannot be placed in the supply by prefecture", code=r["municipality"],
                pref=r["municipality"][:2], mass=f"{r['mass_t']:.6g}", year=year)])
        by[pref] += r["mass_t"]
    return {
        "by_prefecture": {k: f"{v:.6g} t" for k, v in sorted(by.items())},
        "source": f"solar-panel registry as of {reg.as_of.isoformat()}: installations "
        f"reaching end of business in {year}, not yet collected",
    }
