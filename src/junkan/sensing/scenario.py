"""Scenario documents: a shredder line, its operating schedule, scripted events and sensor
faults. Anyone can write one to test the monitor (``examples/sensing/*.yaml``)::

    sensing: 1
    name: jam and gas
    seed: 101
    duration_s: 600
    schedule: [{at_s: 0, state: idle}, {at_s: 30, state: normal, load: 0.55}]
    events:
      - {type: jam, start_s: 120, duration_s: 4, severity: 0.8}
      - {type: gas_cylinder, start_s: 300, severity: 0.6}
    faults:
      - {channel: current, kind: stuck, start_s: 400, duration_s: 20}

Times are seconds from the start of the recording; every number is bounded and finite."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, model_validator

from junkan.core.base import Strict
from junkan.core.documents import parse_document, read_document, validate_with

MAX_DURATION_S = 48 * 3600.0
"""Longest recording one scenario may ask for (48 h)."""


class State(StrEnum):
    """Operating states, in the order of the classifier's attractors."""

    OFF = "off"
    IDLE = "idle"
    NORMAL = "normal"
    OVERLOAD = "overload"
    JAM = "jam"


STATES: tuple[State, ...] = tuple(State)


class EventType(StrEnum):
    OVERLOAD = "overload"  # a surge of hard feed: current above rated for seconds
    JAM = "jam"  # an unbreakable steel piece: torque plateau, rpm sag, metallic ringing
    GAS_CYLINDER = "gas_cylinder"  # impulse, then a fast LEL rise
    BATTERY = "battery"  # sparks, later a slow LEL (VOC) rise
    FUEL_TANK = "fuel_tank"  # slow LEL rise, no impulse
    DECOY = "decoy"  # heavy but shreddable: a short torque hump (a hard negative)
    DOOR_SLAM = "door_slam"  # an acoustic impulse only (a hard negative)


ANOMALIES = frozenset(
    {
        EventType.OVERLOAD,
        EventType.JAM,
        EventType.GAS_CYLINDER,
        EventType.BATTERY,
        EventType.FUEL_TANK,
    }
)
"""Events the monitor must alarm on; decoys and door slams must not raise an alarm."""

DEFAULT_DURATION = {
    EventType.OVERLOAD: 6.0,
    EventType.JAM: 4.0,
    EventType.GAS_CYLINDER: 1.0,
    EventType.BATTERY: 8.0,
    EventType.FUEL_TANK: 25.0,
    EventType.DECOY: 2.0,
    EventType.DOOR_SLAM: 0.1,
}
"""Seconds an event lasts when the scenario does not say (gas events: the release)."""


class Segment(Strict):
    at_s: float = Field(ge=0, le=MAX_DURATION_S)
    state: Literal["off", "idle", "normal"]
    load: float = Field(default=0.55, ge=0, le=1.2)
    """Feed load as a share of rated torque in normal running."""


class Event(Strict):
    type: EventType
    start_s: float = Field(ge=0, le=MAX_DURATION_S)
    severity: float = Field(default=0.7, ge=0.1, le=1.0)
    duration_s: float | None = Field(default=None, gt=0, le=600)

    @property
    def length(self) -> float:
        return self.duration_s if self.duration_s is not None else DEFAULT_DURATION[self.type]


class Fault(Strict):
    channel: Literal["rpm", "current", "lel", "ac_low", "ac_mid", "ac_high", "sparks"]
    kind: Literal["drift", "dropout", "stuck", "noise_burst"]
    start_s: float = Field(ge=0, le=MAX_DURATION_S)
    duration_s: float = Field(gt=0, le=MAX_DURATION_S)
    size: float = Field(default=1.0, ge=0, le=100)
    """Drift: change over the fault in units of the channel's normal spread; noise burst:
    multiplier of its noise."""


class LineSpec(Strict):
    id: str = Field(default="L1", pattern=r"^[A-Za-z0-9_-]{1,40}$")
    rated_current_a: float | None = Field(default=None, gt=0, le=100_000)
    rated_rpm: float | None = Field(default=None, gt=10, le=5000)
    gas_t90_s: float | None = Field(default=None, ge=1, le=120)
    gas_delay_s: float | None = Field(default=None, ge=0, le=60)


class RandomEvents(Strict):
    """Events drawn at random (Poisson) on top of the scripted ones, per hour of running."""

    per_hour: dict[EventType, float] = Field(default_factory=dict, max_length=10)
    min_gap_s: float = Field(default=60, ge=1, le=3600)

    @model_validator(mode="after")
    def _rates(self) -> RandomEvents:
        for k, v in self.per_hour.items():
            if not 0 <= v <= 120:
                raise ValueError(f"per_hour.{k}: give 0 to 120 events per hour, got {v}")
        return self


class Scenario(Strict):
    sensing: Literal[1] = 1
    name: str = Field(default="scenario", max_length=200)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    duration_s: float = Field(gt=1, le=MAX_DURATION_S)
    rate_hz: Literal[100] = 100
    line: LineSpec = Field(default_factory=LineSpec)
    schedule: list[Segment] = Field(
        default_factory=lambda: [Segment(at_s=0, state="idle"), Segment(at_s=20, state="normal")],
        max_length=1000,
    )
    events: list[Event] = Field(default_factory=list, max_length=10_000)
    faults: list[Fault] = Field(default_factory=list, max_length=1000)
    random: RandomEvents | None = None

    @model_validator(mode="after")
    def _times(self) -> Scenario:
        ats = [s.at_s for s in self.schedule]
        if not ats or ats[0] != 0:
            raise ValueError("schedule: the first segment must start at at_s: 0")
        if any(b <= a for a, b in zip(ats, ats[1:], strict=False)):
            raise ValueError("schedule: at_s must increase from one segment to the next")
        for i, e in enumerate(self.events):
            if e.start_s >= self.duration_s:
                raise ValueError(
                    f"events[{i}].start_s: {e.start_s} s is after the end of "
                    f"the recording ({self.duration_s} s)"
                )
        return self


def load_scenario(
    path: str | Path | None = None,
    *,
    text: str | None = None,
    doc: dict[str, Any] | None = None,
    source: str = "<scenario>",
) -> Scenario:
    """Read and check a scenario (YAML or JSON); errors name the file and field."""
    if path is not None:
        doc, source = read_document(path), str(path)
    elif text is not None:
        doc = parse_document(text, source=source)
    if doc is None:
        raise ValueError("give a path, text or doc")
    return validate_with(Scenario, doc, source)


@cache
def reference() -> dict[str, Any]:
    """The shipped reference numbers (``junkan/data/sensing/shredder.yaml``)."""
    text = resources.files("junkan.data").joinpath("sensing/shredder.yaml").read_text("utf-8")
    doc: dict[str, Any] = yaml.safe_load(text)
    return doc


def ref(section: str, key: str) -> float:
    """One reference value, e.g. ``ref("rules", "lel_warn_pct")``."""
    return float(reference()[section][key]["value"])
