"""The grading data model (seed 003's 格付けデータモデル): what a used product, part or recycled
material carries — identity and trace link, material / process / collection information,
measured properties with units and test methods, composition, restricted substances,
quantity, environmental and social aspects — and the grades evaluated on it.

The JSON Schema published in ``junkan/data/grading/item.schema.json`` is generated from these
classes (:func:`junkan.grading.json_schema`); the JSON-LD context beside it maps the same
terms to IRIs."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    TypeAdapter,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
    field_validator,
    model_validator,
)

from junkan.core.base import Strict
from junkan.core.errors import refusal, short
from junkan.core.fields import Fraction, IsoDate, quantity_converter
from junkan.core.quantities import written_unit
from junkan.core.unique import unique_ids

_to_kg = quantity_converter("kg", "mass")


def _kg(value: Any) -> float:
    """A mass: a number is kg (so a dumped record loads again), a string has its unit — or
    names none (``"1e30"``, which YAML reads as text) and is the number it spells, in kg."""
    if isinstance(value, str) and written_unit(value) == "":
        return _to_kg(f"{value.strip()} kg")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _to_kg(f"{float(value)!r} kg")
    return _to_kg(value)


Kg = Annotated[
    float,
    BeforeValidator(_kg),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "description": "kg"},
                {"type": "string", "description": "a mass with its unit, e.g. '12 t'"},
            ]
        }
    ),
]

def _given(value: Any) -> str:
    """What a field was given, for its error: the value (cut short) and what it is."""
    kind = {bool: "true/false", int: "a number", float: "a number", str: "text",
            list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)
    return f"{short(value, 40)} ({kind})"


def _text(value: Any) -> Any:
    """Text, or an error saying what was given instead (pydantic's own named neither)."""
    if isinstance(value, str):
        return value
    raise ValueError(f"expected text, got {_given(value)}")


def _number_or_text(what: str) -> BeforeValidator:
    """A field that is a number or text (a quantity with its unit): anything else is told
    so, once — not once per member of the union, nor under pydantic's names for them."""

    def check(value: Any) -> Any:
        if isinstance(value, int | float | str):  # true/false is read (and refused) later
            return value
        raise ValueError(f"expected {what}, got {_given(value)}")

    return BeforeValidator(check)


def _attribute(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """An attribute: text of at most 200 characters or a list of texts, told as one problem
    (pydantic told a wrong one twice, once under ``constrained-str``)."""
    if isinstance(value, str) and len(value) > 200:
        raise ValueError(f"an attribute's text has at most 200 characters, got {len(value):,}")
    if isinstance(value, list):
        bad = next((v for v in value if not isinstance(v, str)), None)
        if bad is not None:
            raise ValueError(f"expected a list of texts, but one entry is {_given(bad)}")
    elif not isinstance(value, str):
        raise ValueError(f"expected text or a list of texts, got {_given(value)}")
    return handler(value)


Name = Annotated[str, Field(min_length=1, max_length=200), BeforeValidator(_text)]
Key = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_.\-]*$"),
                BeforeValidator(_text)]
Text = Annotated[str, Field(max_length=2000), BeforeValidator(_text)]
QUANTITY = "a number or a quantity with its unit, such as '14 g/(10 min)'"
CONCENTRATION = "a number (mg/kg) or a concentration with its unit, such as '120 mg/kg'"
Measured = Annotated[float | str, _number_or_text(QUANTITY)]
Concentration = Annotated[float | str, _number_or_text(CONCENTRATION)]
Attribute = Annotated[Annotated[str, Field(max_length=200)] | list[str],
                      WrapValidator(_attribute)]
LOT_REF = re.compile(r"^[^/\s]{1,200}/[^/\s]{1,200}$")

MAX_ITEMS = 1_000_000
"""Most items one document may hold."""


class PropertyValue(Strict):
    """A measured property: a quantity with its unit (``"14 g/(10 min)"``), the test method
    and, optionally, its standard uncertainty in the same unit."""

    value: Measured
    method: Text | None = None
    uncertainty: Measured | None = None


class Material(Strict):
    name: Name
    """Material name (``PP``, ``ABS``, ``aluminium``, ``soil``)."""
    family: Name | None = None
    """A coarser class used by criteria (``cast``, ``wrought``, ``polyolefin``)."""
    use: Text | None = None
    """Intended or previous use (``bumper``, ``injection moulding``)."""


class Process(Strict):
    route: Literal["mechanical", "chemical", "reuse", "remanufacture", "none"] = "mechanical"
    steps: list[Annotated[str, Field(max_length=100), BeforeValidator(_text)]] = Field(
        default_factory=list, max_length=50
    )
    """Steps in order (``shredding``, ``sorting``, ``hand_picking``, ``washing``)."""
    operator: Name | None = None


class Collection(Strict):
    source: Literal["shop", "municipality", "business", "dismantler", "site", "other"] = "other"
    place: Name | None = None
    date: IsoDate | None = None


class TraceLink(Strict):
    """The junkan lot this record describes (``organisation/lot``, as in the trace ledger)."""

    lot: str = Field(max_length=401)

    @field_validator("lot")
    @classmethod
    def _ref(cls, v: str) -> str:
        if not LOT_REF.match(v):
            raise ValueError("write the lot as 'organisation/lot' (as in the trace ledger)")
        return v


class Quantity(Strict):
    mass: Annotated[Kg, Field(gt=0)]
    """Mass of this lot (``"12 t"``; a bare number is kg; more than nothing)."""
    stock: Kg | None = None
    """Further stock of the same material the holder can supply."""


class Environment(Strict):
    """Environmental aspects. With a trace link these are taken from the lot's derived CFP and
    recycled shares (:func:`junkan.grading.attach_environment`), never typed again."""

    cfp_kgco2e_per_kg: Annotated[float, Field(ge=0, le=1e6)]
    recycled_post: Fraction = 0.0
    recycled_pre: Fraction = 0.0
    source: Name = "declared"


class Attestation(Strict):
    """A certificate or attestation (due diligence, EN 15343 traceability, magnet
    separation …) with its issuer and validity."""

    kind: Key
    scheme: Name | None = None
    issuer: Name | None = None
    valid_until: IsoDate | None = None
    evidence: Text | None = None


class Item(Strict):
    """One graded record: a used product, a part or a recycled material."""

    id: Name
    kind: Literal["used_product", "part", "recycled_material"]
    material: Material
    trace: TraceLink | None = None
    process: Process | None = None
    collection: Collection | None = None
    properties: dict[Key, PropertyValue] = Field(default_factory=dict, max_length=100)
    composition: dict[Key, Annotated[float, Field(ge=0, le=100)]] = Field(
        default_factory=dict, max_length=100
    )
    """Composition in wt % (elements for metals, polymers for plastics)."""
    restricted: dict[Key, Concentration] = Field(default_factory=dict, max_length=100)
    """Restricted substances, e.g. ``pbde_sum: "120 mg/kg"``."""
    restricted_max: dict[Key, Concentration] = Field(default_factory=dict, max_length=100)
    """For blends: the worst input's concentration (set by :func:`junkan.grading.blend`)."""
    attributes: dict[Key, Attribute] = Field(
        default_factory=dict, max_length=100
    )
    """Categorical facts criteria may test (``soil_type``, ``separation``, ``media``)."""
    quantity: Quantity
    environment: Environment | None = None
    social: list[Attestation] = Field(default_factory=list, max_length=100)
    """Due-diligence and other social attestations."""
    certificates: list[Attestation] = Field(default_factory=list, max_length=100)
    grades: list[dict[str, Any]] = Field(default_factory=list, max_length=1000)
    """Grades evaluated on this record, with evidence (filled by :func:`junkan.grading.run`)."""

    @model_validator(mode="after")
    def _env_from_trace(self) -> Item:
        if (
            self.trace is not None
            and self.environment is not None
            and self.environment.source == "declared"
        ):
            raise ValueError(
                "environment: this item is linked to lot "
                f"{self.trace.lot!r}; its CFP and recycled shares come from the "
                "trace ledger — remove the environment block"
            )
        total = sum(self.composition.values())
        if total > 100 + 1e-6:
            raise refusal("composition-above-100", "composition: adds up to {total} wt %, "
                          "above 100", total=f"{total:.3g}")
        return self


class Rule(Strict):
    """One criterion. ``range``: a property (``mfr``), a composition entry
    (``composition.Fe``, wt %) or a restricted substance (``restricted.pbde_sum``) within
    [min, max]; ``enum``: an attribute (``material.name``, ``material.family``,
    ``process.route``, ``collection.source``, ``attributes.<key>``) among ``allowed``;
    ``certificate``: an attestation of that ``kind`` (in certificates or social).
    ``basis`` (restricted substances): ``max`` gates on the worst input of a blend (the
    default: each input must comply), ``mean`` on the mass-weighted mean. ``since`` /
    ``until``: the rule applies from ``since`` (that day included) and before ``until``
    (that day excluded: it is the next limit's ``since``) — a limit that changes by date,
    such as the EU POPs waste limits, is one rule per period, each with its ``source``;
    an item is graded by the rules in force on the evaluation day."""

    type: Literal["range", "enum", "certificate"]
    property: Annotated[str, Field(max_length=80), BeforeValidator(_text)] | None = None
    min: Measured | None = None
    max: Measured | None = None
    basis: Literal["max", "mean"] = "max"
    attribute: Annotated[str, Field(max_length=80), BeforeValidator(_text)] | None = None
    allowed: list[Annotated[str, Field(max_length=200), BeforeValidator(_text)]] | None = Field(
        default=None, max_length=1000
    )
    kind: Key | None = None
    since: IsoDate | None = None
    until: IsoDate | None = None
    source: Text | None = None

    @model_validator(mode="after")
    def _period(self) -> Rule:
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise refusal("rule-period-empty", "since {since} is not before until {until}: the "
                          "rule would apply on no day", since=self.since.isoformat(),
                          until=self.until.isoformat())
        return self

    def in_force(self, day: date) -> bool:
        """Whether the rule applies on ``day`` (``since`` ≤ day < ``until``)."""
        return ((self.since is None or self.since <= day)
                and (self.until is None or day < self.until))


class CriteriaSet(Strict):
    """A versioned, sourced set of rules (a grade)."""

    id: Key
    version: Annotated[str, Field(min_length=1, max_length=40), BeforeValidator(_text)]
    title: Name
    status: Literal["sourced", "partial", "assumption"]
    source: Text
    assumption_reason: Text | None = None
    note: Text | None = None
    family: Key | None = None
    rank: Annotated[int, Field(ge=1, le=100)] | None = None
    materials: list[Name] | None = Field(default=None, min_length=1, max_length=50)
    """The set's material scope: the names a lot's ``material.name`` may have (any case),
    the first the one a reason names. A lot of another material is not met — the set is
    for that material — whatever its rules read; none: the set reads any material."""
    rules: list[Rule] = Field(min_length=1, max_length=500)

    def scope(self) -> frozenset[str] | None:
        """The names :attr:`materials` accepts, as :func:`material_key` spells them."""
        return None if self.materials is None else frozenset(map(material_key, self.materials))

    @model_validator(mode="after")
    def _reason(self) -> CriteriaSet:
        if self.status == "assumption" and not self.assumption_reason:
            raise ValueError("assumption_reason: a set marked assumption must say why")
        if (self.family is None) != (self.rank is None):
            raise ValueError("family and rank go together")
        return self


def material_key(name: str) -> str:
    """A material name as a scope compares it: NFKC (full-width letters), case-folded,
    its spaces collapsed (``Aluminium``, ``ＡＬＵＭＩＮＩＵＭ`` and ``aluminium`` alike)."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


class Family(Strict):
    """A ranked family of sets (soil classes): the best rank met, lowered by ``downrank``."""

    title: Name
    downrank: dict[str, Any] | None = None
    fallback: Name


def _criteria_entry(value: Any, handler: ValidatorFunctionWrapHandler) -> str | CriteriaSet:
    """A criteria entry: a shipped set's id (text) or a set (a mapping) — validated as the one
    its form says, so a set with a wrong field is told about that field only, not also that
    it is no valid string (``criteria[0].constrained-str: …``)."""
    if isinstance(value, CriteriaSet):
        return value
    if isinstance(value, dict):
        return CriteriaSet.model_validate(value)
    if isinstance(value, str):
        return _SET_ID.validate_python(value)
    raise refusal("criteria-entry", "a criteria entry is the id of a shipped set (e.g. "
                  "'rpp-injection') or a set: a mapping with id, version, title, status, "
                  "source and rules")


_SET_ID: TypeAdapter[str] = TypeAdapter(Key)
CriteriaEntry = Annotated[Key | CriteriaSet, WrapValidator(_criteria_entry)]


class GradingDocument(Strict):
    """``junkan grade`` input: items and the criteria to evaluate (ids of shipped sets, or
    sets given inline)."""

    items: list[Item] = Field(min_length=1, max_length=MAX_ITEMS)
    criteria: list[CriteriaEntry] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _unique_items(self) -> GradingDocument:
        """Each item id once: a record (and its grades) is found by its id, so a second item
        with the same id would be merged with the first."""
        unique_ids((it.id for it in self.items), "items", "item ids")
        return self
