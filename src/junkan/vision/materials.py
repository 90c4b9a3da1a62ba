"""The piece materials the vision capability knows (``data/vision/materials.yaml``): the sorter
group each belongs to, density, the thickness model for mass, and the renderer's appearance.
Every number there carries its source or is marked as an assumption."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal

import numpy as np
import yaml
from pydantic import Field, model_validator

from junkan.core.base import Strict

GROUPS: tuple[str, ...] = ("wrought", "cast", "copper", "other")
"""The alloy model's piece classes (``junkan.alloys`` AL_CLASSES), in its order."""


class Thickness(Strict):
    t0_mm: float = Field(gt=0, le=100)
    per_d: float = Field(ge=0, le=2)
    cv: float = Field(ge=0, le=2)

    def mean_mm(self, d_eq_mm: np.ndarray | float) -> np.ndarray:
        return self.t0_mm + self.per_d * np.asarray(d_eq_mm, dtype=float)


class Appearance(Strict):
    bgr: tuple[float, float, float]
    jitter: float = Field(ge=0, le=128)
    texture: Literal["streak", "granular", "smooth"]
    amplitude: float = Field(ge=0, le=128)
    grain_px: float = Field(gt=0, le=20)
    gloss: float = Field(ge=0, le=1)
    shape: Literal["sheet", "chunk", "wire"]
    colourful: bool = False


class Material(Strict):
    group: Literal["wrought", "cast", "copper", "other"]
    density_g_cm3: float = Field(gt=0, le=25)
    thickness: Thickness
    size_ratio: float = Field(gt=0, le=5)
    alloys: list[str] = Field(default_factory=list)
    composition: dict[str, float] = Field(default_factory=dict)
    appearance: Appearance


class Camera(Strict):
    width: int = Field(ge=64, le=8192)
    height: int = Field(ge=64, le=8192)
    mm_per_px: float = Field(gt=0, le=10)
    belt_speed_m_s: float = Field(gt=0, le=20)
    exposure_ms: float = Field(gt=0, le=100)


class Belt(Strict):
    bgr: tuple[float, float, float]
    noise: float = Field(ge=0, le=50)


class Priors(Strict):
    materials: dict[str, Material]
    mix: dict[str, float]
    camera: Camera
    belt: Belt

    @model_validator(mode="after")
    def _mix(self) -> Priors:
        unknown = set(self.mix) - set(self.materials)
        if unknown:
            raise ValueError(f"mix names unknown materials {sorted(unknown)}")
        if any(v < 0 for v in self.mix.values()) or sum(self.mix.values()) <= 0:
            raise ValueError("mix: shares must be ≥ 0 and not all zero")
        return self

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.materials)

    def group_index(self) -> np.ndarray:
        """(materials,) index of each material's group in :data:`GROUPS`."""
        return np.array([GROUPS.index(m.group) for m in self.materials.values()])


@lru_cache(maxsize=1)
def priors() -> Priors:
    text = (resources.files("junkan.data") / "vision" / "materials.yaml").read_text("utf-8")
    return Priors.model_validate(yaml.safe_load(text))


def group_of(label: str) -> str:
    """The sorter group of a material or group name (ValueError naming it otherwise)."""
    if label in GROUPS:
        return label
    mats = priors().materials
    if label in mats:
        return mats[label].group
    raise ValueError(
        f"unknown class {label!r}: use a material {sorted(mats)} or a group {list(GROUPS)}"
    )


def group_from_composition(comp: dict[str, float]) -> str:
    """The sorter group of a piece from a LIBS / XRF analysis (wt %): Cu-based → copper, Al
    with Si ≥ 4.5 % → cast (the casting alloys of alloy_specs.yaml have Si ≥ 5 %, the wrought
    ones ≤ 1.5 %), other Al → wrought, anything else → other. ValueError for an analysis
    that sums to more than 100.5 % or has a negative value."""
    if any(v < 0 for v in comp.values()) or sum(comp.values()) > 100.5:
        raise ValueError(f"analysis {comp}: values must be ≥ 0 and sum to ≤ 100 wt %")
    named = sum(comp.values())
    al = comp.get("Al", 100.0 - named)
    if comp.get("Cu", 0.0) >= 50:
        return "copper"
    if al >= 80:
        return "cast" if comp.get("Si", 0.0) >= 4.5 else "wrought"
    return "other"


def thickness_density(classes: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per class: t0 (mm), per_d, cv and density (g/cm³). A group name uses the mean of its
    materials in the default mix (weighted by share)."""
    pri = priors()
    out = np.zeros((4, len(classes)))
    for i, c in enumerate(classes):
        mats = [c] if c in pri.materials else [m for m, v in pri.materials.items() if v.group == c]
        w = np.array([pri.mix.get(m, 0.0) for m in mats]) + 1e-9
        w /= w.sum()
        vals = np.array(
            [
                [
                    pri.materials[m].thickness.t0_mm,
                    pri.materials[m].thickness.per_d,
                    pri.materials[m].thickness.cv,
                    pri.materials[m].density_g_cm3,
                ]
                for m in mats
            ]
        )
        out[:, i] = w @ vals
    return out[0], out[1], out[2], out[3]
