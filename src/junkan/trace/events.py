"""The event batch format (``junkan trace import``): one JSON document (or CSV) of events,
each with a ``type``. Masses in kg, CFP in kg CO2e for the whole lot, recycled content as
mass shares (0–1) split pre-/post-consumer (ISO 14021 terms).

Numbers are strict (:mod:`junkan.trace.numbers`); how a footprint was made is
:mod:`junkan.trace.pcf`."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, ValidationInfo, model_validator

from junkan.core.base import Plain as Strict  # audits validate millions: see Plain
from junkan.core.fields import IsoDate
from junkan.trace.numbers import (
    MAX_CFP_KG,
    MAX_CFP_PER_KG,
    MAX_ENERGY_KWH,
    MAX_MASS_KG,
    MAX_SAFE_INT,
    MIN_MASS_KG,
    CfpKg,
    EnergyKwh,
    Mass,
    Percent,
    Share,
    SignedCfpKg,
)
from junkan.trace.pcf import DEFAULT_STANDARDS, Country, PcfFacts, Standard

__all__ = ["DEFAULT_STANDARDS", "MAX_CFP_KG", "MAX_CFP_PER_KG", "MAX_ENERGY_KWH", "MAX_MASS_KG",
           "MAX_SAFE_INT", "MIN_MASS_KG", "Batch", "Cfp", "Claim", "ClosePeriod", "Combine",
           "Country", "Create", "Event", "InputRef", "PcfFacts", "Period", "Process", "Receive",
           "Recycled", "Redeclare", "SIGNED", "Ship", "Split", "Standard"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""C0 and C1 control characters and DEL (Unicode category Cc)."""
_CONTROL_IN_PROSE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""The same, less tab and line feed."""
SIGNED = "signed"
"""Validation context key: ``context={SIGNED: True}`` reads an event already signed into a
log (its replay), which may hold control characters from before they were refused; new
events never do."""


def _refuse(found: re.Match[str] | None, what: str, info: ValidationInfo | None) -> None:
    if found is not None and not (info is not None and isinstance(info.context, dict)
                                  and info.context.get(SIGNED)):
        raise ValueError(f"contains the control character U+{ord(found[0]):04X} at character "
                         f"{found.start() + 1}: {what}")


def _one_line(text: str, info: ValidationInfo | None) -> str:
    """``text`` if it holds no control character (a NUL, an escape sequence, a line break)."""
    _refuse(_CONTROL.search(text), "names and ids are one line of printable text", info)
    return text


def _prose(text: str, info: ValidationInfo | None) -> str:
    """``text`` if it holds no control character but tab and line feed."""
    _refuse(_CONTROL_IN_PROSE.search(text), "free text may hold line feeds and tabs, no "
                                            "other control character", info)
    return text


Text = Annotated[str, Field(max_length=200), AfterValidator(_one_line)]
"""A name or id: one line of text, no control characters (they would reach terminals
showing the lot to other organisations, and PostgreSQL stores no NUL)."""
Prose = Annotated[str, AfterValidator(_prose)]
Period = Annotated[str, Field(pattern=r"^\d{4}Q[1-4]$")]
"""A mass-balance period: a calendar quarter such as ``2026Q1`` (ISCC: at most three
months). Events that book into an account take it from their ``period``, else from the
quarter of the batch's time."""


class Cfp(Strict):
    """Carbon footprint of the whole lot (kg CO2e): fossil + biogenic = total."""

    total: CfpKg
    fossil: CfpKg | None = None
    biogenic: SignedCfpKg = 0

    @model_validator(mode="after")
    def _parts(self) -> Cfp:
        if self.fossil is None:  # worked out, it is range-checked as a given one is
            fossil = self.total - self.biogenic
            if fossil < -1e-9 * max(1.0, self.total):
                raise ValueError(f"biogenic ({self.biogenic}) exceeds total ({self.total}): "
                                 f"the fossil part, total − biogenic, would be {fossil:g} "
                                 "kg CO2e, and it must be ≥ 0")
            self.fossil = max(fossil, 0.0)
        if abs(self.fossil + self.biogenic - self.total) > 1e-9 * max(1.0, self.total):
            raise ValueError(f"fossil ({self.fossil}) + biogenic ({self.biogenic}) must equal "
                             f"total ({self.total})")
        return self


class Recycled(Strict):
    """Recycled content as mass shares of the lot (0–1)."""

    pre_consumer: Share = 0
    post_consumer: Share = 0

    @model_validator(mode="after")
    def _sum(self) -> Recycled:
        if self.pre_consumer + self.post_consumer > 1 + 1e-12:
            raise ValueError("pre_consumer + post_consumer must not exceed 1")
        return self


class Claim(Strict):
    """An attached claim, e.g. a due-diligence certificate."""

    type: Text
    issuer: Text
    id: Text
    valid_from: IsoDate | None = None
    valid_until: IsoDate | None = None


class Process(Strict):
    """The lot's own processing: emissions (fossil) and energy."""

    cfp_kgco2e: CfpKg = 0
    energy_kwh: EnergyKwh = 0


LotId = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.:\-]+$")]
"""A lot's id in its creator's namespace: ids are scoped per organisation, so two
organisations may both have a lot "L1"."""

LotRef = Annotated[str, Field(min_length=1, max_length=330,
                              pattern=r"^(?:[^/]{1,200}/)?[A-Za-z0-9_.:\-]{1,120}$"),
                  AfterValidator(_one_line)]
"""A reference to a lot as the referring organisation sees it: its id (an own lot first,
else the one lot with that id in its custody or shipped to it), or ``organisation/id`` when
the id alone is ambiguous."""


class InputRef(Strict):
    lot: LotRef
    mass_kg: Mass


Element = Annotated[str, Field(min_length=1, max_length=60), AfterValidator(_one_line)]


def _printable_facts(facts: PcfFacts, info: ValidationInfo) -> PcfFacts:
    """``facts`` if its texts hold no control character (tab and line feed in
    ``verification.comments`` only)."""
    for path, text in _texts(facts, ""):
        try:
            (_prose if path == "verification.comments" else _one_line)(text, info)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
    return facts


def _texts(value: Any, path: str) -> list[tuple[str, str]]:
    """Every string within ``value`` (a model, list or string) and its path."""
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, BaseModel):
        return [t for name in type(value).model_fields
                for t in _texts(getattr(value, name), f"{path}.{name}".lstrip("."))]
    if isinstance(value, list):
        return [t for i, v in enumerate(value) for t in _texts(v, f"{path}[{i}]")]
    return []


def _per_kg(what: str, value: float, mass: float) -> None:
    """A CFP (or part of one) must stay within MAX_CFP_PER_KG per kg of the lot."""
    if abs(value) > MAX_CFP_PER_KG * mass:
        raise ValueError(f"{what}: {value:g} kg CO2e for {mass:g} kg is more than "
                         f"{MAX_CFP_PER_KG:g} kg CO2e per kg")


class Create(Strict):
    type: Literal["create"]
    lot: LotId
    material: Text
    mass_kg: Mass
    cfp: Cfp
    recycled: Recycled = Field(default_factory=Recycled)
    composition: dict[Element, Percent] = Field(default_factory=dict, max_length=200)
    """wt % per element or material (confidential unless an agreement grants it)."""
    claims: list[Claim] = Field(default_factory=list, max_length=100)
    site: Text = "default"
    pcf: Annotated[PcfFacts, AfterValidator(_printable_facts)] | None = None
    """How the footprint was made (country, fossil carbon content, standards)."""
    period: Period | None = None
    """Mass-balance period the declared recycled content is credited in."""

    @model_validator(mode="after")
    def _comp(self) -> Create:
        if sum(self.composition.values()) > 100 + 1e-9:
            raise ValueError("composition: adds up to more than 100 wt %")
        _per_kg("cfp.total", self.cfp.total, self.mass_kg)
        _per_kg("cfp.biogenic", self.cfp.biogenic, self.mass_kg)
        carbon = self.pcf.fossil_carbon_kg if self.pcf is not None else None
        if carbon is not None and carbon > self.mass_kg * (1 + 1e-9):
            raise ValueError(f"pcf.fossil_carbon_kg: {carbon:g} kg of carbon in a "
                             f"{self.mass_kg:g} kg lot")
        uptake = self.pcf.biogenic_uptake_kg if self.pcf is not None else None
        if uptake is not None and uptake > min(0.0, self.cfp.biogenic) + 1e-9 * max(
                1.0, abs(self.cfp.biogenic)):
            raise ValueError(f"pcf.biogenic_uptake_kg: {uptake:g} kg CO2e is part of "
                             f"cfp.biogenic ({self.cfp.biogenic:g}): it must be ≤ 0 and ≤ "
                             "cfp.biogenic (biogenic emissions = cfp.biogenic − uptake cannot "
                             "be negative)")
        return self


class Combine(Strict):
    """merge / blend / process: a new lot made from input lots (plus its own process)."""

    type: Literal["merge", "blend", "process"]
    lot: LotId
    inputs: list[InputRef] = Field(min_length=1, max_length=10_000)
    mass_kg: Mass
    """Output mass; below the inputs' sum for a process with yield < 1."""
    material: Text | None = None
    process: Process = Field(default_factory=Process)
    site: Text = "default"
    custody: Literal["identity_preserved", "segregated", "controlled_blending",
                     "mass_balance"] = "controlled_blending"
    """ISO 22095 chain-of-custody model of this step."""
    claim: Recycled | None = None
    """Mass balance only: the recycled shares claimed for the output, debited from the
    site's credit account."""
    country: Country | None = None
    """Where this step ran; by default the inputs' country when they all share one."""
    period: Period | None = None
    """Mass-balance period of the claim (and of credit leaving with used inputs)."""

    @model_validator(mode="after")
    def _mass(self) -> Combine:
        total = sum(i.mass_kg for i in self.inputs)
        if self.mass_kg > total * (1 + 1e-9):
            raise ValueError(f"output mass {self.mass_kg} kg exceeds the inputs' {total} kg")
        if self.type in ("merge", "blend") and abs(self.mass_kg - total) > 1e-6 * total:
            raise ValueError("a merge/blend keeps mass: mass_kg must equal the inputs' sum "
                             "(use type 'process' for a yield below 1)")
        if len({i.lot for i in self.inputs}) != len(self.inputs):
            raise ValueError("an input lot is listed twice")
        if (self.claim is not None) != (self.custody == "mass_balance"):
            raise ValueError("a claim goes with custody 'mass_balance' (and needs one)")
        _per_kg("process.cfp_kgco2e", self.process.cfp_kgco2e, self.mass_kg)
        return self


class SplitOut(Strict):
    lot: LotId
    mass_kg: Mass


class Split(Strict):
    type: Literal["split"]
    lot: LotRef
    outputs: list[SplitOut] = Field(min_length=2, max_length=10_000)


class Ship(Strict):
    type: Literal["ship"]
    lot: LotRef
    to: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_one_line)]
    """Receiving organisation's name."""
    period: Period | None = None
    """Mass-balance period the credit leaving with the lot is debited in."""


class Receive(Strict):
    type: Literal["receive"]
    lot: LotRef
    site: Text = "default"
    period: Period | None = None
    """Mass-balance period the received recycled content is credited in."""


class Redeclare(Strict):
    """The owner revises a declared lot; every downstream lot is recomputed."""

    type: Literal["redeclare"]
    lot: LotRef
    cfp: Cfp | None = None
    recycled: Recycled | None = None
    claims: list[Claim] | None = Field(default=None, max_length=100)
    pcf: Annotated[PcfFacts, AfterValidator(_printable_facts)] | None = None
    """How the footprint was made, replacing the declared facts whole (a fact left out is
    no longer declared): as a create's, checked against the lot's mass and its net biogenic
    CFP (the re-declared one, if given)."""
    reason: Annotated[Prose, Field(max_length=2000)] = ""


class ClosePeriod(Strict):
    """Close a mass-balance period at a site: no more bookings of the organisation's own;
    the positive balance is carried to the next period."""

    type: Literal["close_period"]
    site: Text
    period: Period

    @property
    def lot(self) -> str:
        """No lot: the log's lot column holds ``site@period``."""
        return f"{self.site}@{self.period}"


Event = Annotated[Create | Combine | Split | Ship | Receive | Redeclare | ClosePeriod,
                  Field(discriminator="type")]


class Batch(Strict):
    events: list[Event] = Field(min_length=1)
