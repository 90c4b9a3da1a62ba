"""The event batch format (``junkan trace import``): one JSON document (or CSV) of events,
each with a ``type``. Masses in kg, CFP in kg CO2e for the whole lot, recycled content as
mass shares (0–1) split pre-/post-consumer (ISO 14021 terms)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, model_validator

from junkan.core.base import Strict

Number = int | float
"""A quantity as given: an integer stays an integer (it signs and hashes as written)."""


class Cfp(Strict):
    """Carbon footprint of the whole lot (kg CO2e): fossil + biogenic = total."""

    total: Number = Field(ge=0)
    fossil: Number | None = Field(default=None, ge=0)
    biogenic: Number = 0

    @model_validator(mode="after")
    def _parts(self) -> Cfp:
        if self.fossil is None:
            self.fossil = self.total - self.biogenic
        if abs(self.fossil + self.biogenic - self.total) > 1e-9 * max(1.0, self.total):
            raise ValueError(f"fossil ({self.fossil}) + biogenic ({self.biogenic}) must equal "
                             f"total ({self.total})")
        return self


class Recycled(Strict):
    """Recycled content as mass shares of the lot (0–1)."""

    pre_consumer: Number = Field(default=0, ge=0, le=1)
    post_consumer: Number = Field(default=0, ge=0, le=1)

    @model_validator(mode="after")
    def _sum(self) -> Recycled:
        if self.pre_consumer + self.post_consumer > 1 + 1e-12:
            raise ValueError("pre_consumer + post_consumer must not exceed 1")
        return self


class Claim(Strict):
    """An attached claim, e.g. a due-diligence certificate."""

    type: str
    issuer: str
    id: str
    valid_from: date | None = None
    valid_until: date | None = None


class InputRef(Strict):
    lot: str
    mass_kg: Number = Field(gt=0)


class Process(Strict):
    """The lot's own processing: emissions (fossil) and energy."""

    cfp_kgco2e: Number = Field(default=0, ge=0)
    energy_kwh: Number = Field(default=0, ge=0)


LotId = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.:\-]+$")]


Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
"""ISO 3166-1 alpha-2 country code."""

Standard = Literal["ISO14067", "ISO14083", "ISO14040-44", "GHGP-Product", "PEF", "PACT-1.0",
                   "PACT-2.0", "PACT-3.0", "PAS2050"]
"""PACT v3 ``crossSectoralStandards`` values."""
DEFAULT_STANDARDS: tuple[Standard, ...] = ("ISO14067",)
"""What a footprint is taken to follow when its maker does not say."""


class PcfFacts(Strict):
    """What the declarer states about how its footprint was made, passed on in PACT v3
    ProductFootprints (all optional; see docs/trace.md for what is assumed without them)."""

    country: Country | None = None
    """Where the lot was produced (PACT ``geographyCountry``)."""
    fossil_carbon_kg: Number | None = Field(default=None, ge=0)
    """Fossil carbon contained in the whole lot, kg C (PACT ``fossilCarbonContent`` per
    kg). Metals contain none; plastics and coatings do."""
    standards: list[Standard] = Field(default_factory=lambda: list(DEFAULT_STANDARDS),
                                      min_length=1)
    exempted_percent: Number = Field(default=0, ge=0, le=100)
    """Share of emissions left out of the footprint, % (PACT ``exemptedEmissionsPercent``)."""
    packaging_included: bool = False


class Create(Strict):
    type: Literal["create"]
    lot: LotId
    material: str
    mass_kg: Number = Field(gt=0)
    cfp: Cfp
    recycled: Recycled = Recycled()
    composition: dict[str, float] = Field(default_factory=dict)
    """wt % per element or material (confidential unless an agreement grants it)."""
    claims: list[Claim] = Field(default_factory=list)
    site: str = "default"
    pcf: PcfFacts | None = None
    """How the footprint was made (country, fossil carbon content, standards)."""

    @model_validator(mode="after")
    def _comp(self) -> Create:
        if any(v < 0 for v in self.composition.values()):
            raise ValueError("composition: negative wt %")
        if sum(self.composition.values()) > 100 + 1e-9:
            raise ValueError("composition: adds up to more than 100 wt %")
        return self


class Combine(Strict):
    """merge / blend / process: a new lot made from input lots (plus its own process)."""

    type: Literal["merge", "blend", "process"]
    lot: LotId
    inputs: list[InputRef] = Field(min_length=1)
    mass_kg: Number = Field(gt=0)
    """Output mass; below the inputs' sum for a process with yield < 1."""
    material: str | None = None
    process: Process = Process()
    site: str = "default"
    custody: Literal["identity_preserved", "segregated", "controlled_blending",
                     "mass_balance"] = "controlled_blending"
    """ISO 22095 chain-of-custody model of this step."""
    claim: Recycled | None = None
    """Mass balance only: the recycled shares claimed for the output, debited from the
    site's credit account."""
    country: Country | None = None
    """Where this step ran; by default the inputs' country when they all share one."""

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
        return self


class SplitOut(Strict):
    lot: LotId
    mass_kg: Number = Field(gt=0)


class Split(Strict):
    type: Literal["split"]
    lot: LotId
    outputs: list[SplitOut] = Field(min_length=2)


class Ship(Strict):
    type: Literal["ship"]
    lot: LotId
    to: str
    """Receiving organisation's name."""


class Receive(Strict):
    type: Literal["receive"]
    lot: LotId
    site: str = "default"


class Redeclare(Strict):
    """The owner revises a declared lot; every downstream lot is recomputed."""

    type: Literal["redeclare"]
    lot: LotId
    cfp: Cfp | None = None
    recycled: Recycled | None = None
    claims: list[Claim] | None = None
    reason: str = ""


Event = Annotated[Create | Combine | Split | Ship | Receive | Redeclare,
                  Field(discriminator="type")]


class Batch(Strict):
    events: list[Event] = Field(min_length=1)
