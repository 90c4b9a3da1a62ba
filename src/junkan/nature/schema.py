"""The assessment document: sourcing areas, scenes, band mapping, training polygons,
protected areas, precipitation and weights. Paths are relative to the document's folder
(or to ``root``, outside which none may point, for the service)."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, field_validator, model_validator

from junkan.core.base import Strict
from junkan.core.documents import parse_document, read_document, validate_with
from junkan.nature.geo import NatureInputError
from junkan.nature.indices import DEFAULT_INDICES, SENTINEL2

MAX_SCENES = 50
POLYGON_FIELDS = ("areas", "training", "protected", "kba", "water.stress")
"""The fields naming polygon files (``polygon_crs`` keys)."""
COMPONENTS = ("conversion", "protected_overlap", "vegetation_decline", "water_loss", "drought")


@cache
def reference(name: str) -> dict[str, Any]:
    """A reference file of ``junkan/data/nature`` (weights, thresholds)."""
    text = resources.files("junkan.data").joinpath(f"nature/{name}.yaml").read_text()
    return dict(yaml.safe_load(text))


class Scene(Strict):
    path: str = Field(min_length=1, max_length=500)
    date: dt.date


class WaterSpec(Strict):
    """Inputs of TNFD C3.0 (see junkan.nature.water)."""

    withdrawals: str = Field(min_length=1, max_length=500)
    """CSV: area, water_source, withdrawal_m3 [, discharge_m3, consumption_m3, bws,
    reference]."""
    stress: str | None = Field(default=None, max_length=500)
    """GeoJSON of water-stress polygons (e.g. Aqueduct sub-basins) with a BWS ratio."""
    stress_field: str = Field(default="bws", min_length=1, max_length=100)
    stress_source: str | None = Field(default=None, max_length=500)
    """Where the stress polygons come from (data set, version, date); required with
    ``stress``."""

    @model_validator(mode="after")
    def _source(self) -> WaterSpec:
        if self.stress is not None and not (self.stress_source or "").strip():
            raise ValueError(
                "stress_source: name the water-stress data set, version and date "
                "(e.g. 'WRI Aqueduct 4.0 baseline annual bws_raw, 2023')"
            )
        return self


MAX_LEGEND = 1000


class LandCoverMap(Strict):
    """One of your land-cover maps: a one-band GeoTIFF/COG (or Zarr) of class values."""

    path: str = Field(min_length=1, max_length=500)
    date: dt.date
    source: str | None = Field(default=None, min_length=1, max_length=500)
    """This map's product and version, if not the one of ``landcover.source``."""


class LandCoverSpec(Strict):
    """Your own land-cover maps (e.g. ESA WorldCover tiles), one per date, read instead of
    the random-forest classes (``use: replace``) or to check them (``use: check``)."""

    maps: list[LandCoverMap] = Field(min_length=1, max_length=MAX_SCENES)
    legend: dict[int, str] | str
    """Class value → class name (several values may share a name), or the name of a
    legend in ``junkan/data/nature/landcover_legends.yaml`` (e.g. ``esa-worldcover``)."""
    source: str = Field(min_length=1, max_length=500)
    """Where the maps come from (product, version, date, licence)."""
    use: Literal["replace", "check"] = "replace"
    nodata: list[int] = Field(default_factory=list, max_length=100)
    """Values meaning "no data", besides the file's own nodata value."""
    reproject: bool = False
    """Resample a map on another grid or CRS onto the scenes' grid (nearest neighbour);
    without it such a map is refused."""

    @field_validator("legend")
    @classmethod
    def _legend(cls, v: dict[int, str] | str) -> dict[int, str] | str:
        if isinstance(v, str):
            known = sorted(reference("landcover_legends")["legends"])
            if v not in known:
                raise ValueError(f"unknown legend {v!r}; use one of {known} or give "
                                 "value: class name pairs")
            return v
        if not 1 <= len(v) <= MAX_LEGEND:
            raise ValueError(f"{len(v)} entries; give 1 to {MAX_LEGEND} value: name pairs")
        out = {}
        for value, name in v.items():
            if not -(2**31) <= value < 2**31:
                raise ValueError(f"value {value}: not a class code (a 32-bit integer)")
            if not name.strip() or len(name) > 100:
                raise ValueError(f"value {value}: the class name must be 1–100 characters")
            out[value] = name.strip()
        return out

    @model_validator(mode="after")
    def _maps(self) -> LandCoverSpec:
        dates = [m.date for m in self.maps]
        for i, (d0, d1) in enumerate(zip(dates, dates[1:], strict=False)):
            if d1 <= d0:
                raise ValueError(f"maps[{i + 1}].date: {d1} is not after {d0}; list the "
                                 "maps oldest first, one per date")
        if isinstance(self.legend, dict):
            both = sorted(set(self.legend) & set(self.nodata))
            if both:
                raise ValueError(f"nodata: {both} also in the legend; a value is a class or "
                                 "no data, not both")
        return self


class ChecklistRef(Strict):
    """A site species checklist (CSV or JSON: scientific_name, local_name, group, source)."""

    path: str = Field(min_length=1, max_length=500)
    source: str | None = Field(default=None, min_length=1, max_length=500)
    """The checklist's source, for species whose own ``source`` is empty."""
    areas: list[str] | None = Field(default=None, min_length=1, max_length=1000)
    """Sourcing-area ids it is for; none: every area without its own."""


class SurveySpec(Strict):
    """The field survey: observations and the checklists they are checked against."""

    observations: str = Field(min_length=1, max_length=500)
    """The survey's Darwin Core export (.csv) or observations as JSON (.json)."""
    checklists: list[ChecklistRef] = Field(default_factory=list, max_length=100)
    """Site checklists (none: the bundled example checklist)."""

    @model_validator(mode="after")
    def _one_each(self) -> SurveySpec:
        if sum(c.areas is None for c in self.checklists) > 1:
            raise ValueError("checklists: more than one without 'areas'; only one may serve "
                             "every area without its own")
        seen: dict[str, int] = {}
        for i, c in enumerate(self.checklists):
            for area in c.areas or []:
                if seen.setdefault(area, i) != i:
                    raise ValueError(f"checklists[{i}].areas: {area!r} already has "
                                     f"checklists[{seen[area]}]")
        return self


class EncoreSpec(Strict):
    """Your export of the ENCORE knowledge base (see junkan.nature.encore): its dependency and
    pressure materiality ratings, used for each commodity's ISIC Rev.4 class."""

    dependencies: str | None = Field(default=None, min_length=1, max_length=500)
    """ENCORE's '06. Dependency mat ratings.csv', as downloaded."""
    pressures: str | None = Field(default=None, min_length=1, max_length=500)
    """ENCORE's '07. Pressure mat ratings.csv', as downloaded."""
    source: str | None = Field(default=None, min_length=1, max_length=500)
    """The ENCORE release and the date you downloaded it (default: the file names)."""
    isic: dict[str, str] = Field(default_factory=dict, max_length=1000)
    """Commodity → ISIC Rev.4 class (four digits, e.g. cocoa: "0127"), besides the bundled
    coffee (0127) and rubber (0129)."""
    activity: dict[str, str] = Field(default_factory=dict, max_length=1000)
    """Commodity → ENCORE's 'ISIC Class' name, for a code with several rows."""

    @field_validator("isic")
    @classmethod
    def _classes(cls, v: dict[str, str]) -> dict[str, str]:
        for commodity, code in v.items():
            if not re.fullmatch(r"\d{4}", code):
                raise ValueError(f"{commodity!r}: {code!r}; give the ISIC Rev.4 class as four "
                                 "digits in quotes (e.g. \"0127\")")
        return v

    @model_validator(mode="after")
    def _one_file(self) -> EncoreSpec:
        if self.dependencies is None and self.pressures is None:
            raise ValueError("give dependencies: (06. Dependency mat ratings.csv) and/or "
                             "pressures: (07. Pressure mat ratings.csv)")
        return self


PathText = Annotated[str, Field(min_length=1, max_length=500)]


class PrecipitationRaster(Strict):
    """A monthly precipitation raster series (see junkan.nature.precip_raster): a
    GeoTIFF/COG with one band per month, or a Zarr/NetCDF variable with a ``time``
    dimension."""

    path: str = Field(min_length=1, max_length=500)
    units: str | None = Field(default=None, max_length=40)
    """Unit of the values: millimetres per month (``mm/month``, ``mm``); required here
    unless the raster's ``units`` tag states it."""
    start: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    """Month (YYYY-MM) of the first band, one band per month after it; default: each
    band's date from its description or its ``date`` tag."""
    variable: str | None = Field(default=None, min_length=1, max_length=100)
    """Zarr/NetCDF variable to read (default: the only one with ``time``, ``y``, ``x``)."""


class BankPortfolio(Strict):
    """A bank's or investor's exposure to the companies whose sourcing areas are assessed
    (loans, bonds, equity: one amount per company, in one currency). The LEAP report weights
    each company's integrated indicator by it (see docs/nature.md)."""

    name: str = Field(min_length=1, max_length=200)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    """ISO 4217 code of the amounts (e.g. JPY)."""
    as_of: dt.date
    source: str = Field(min_length=1, max_length=500)
    """Where the amounts come from (system, report, date): they are the user's own figures."""
    exposures: dict[str, float] = Field(min_length=1, max_length=10_000)
    """Company name (as in the areas' ``company`` property) → amount (> 0)."""

    @field_validator("exposures")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        for company, amount in v.items():
            if not company.strip():
                raise ValueError("a company name is empty")
            if amount <= 0:
                raise ValueError(f"{company!r}: {amount:g}; an exposure must be > 0")
        return v


class AssessmentSpec(Strict):
    """An assessment of sourcing areas (see docs/nature.md)."""

    name: str = Field(default="assessment", max_length=200)
    areas: str = Field(min_length=1, max_length=500)
    """GeoJSON of sourcing areas (properties: id, commodity, supplier; optional company,
    volume_t)."""
    scenes: list[Scene] = Field(min_length=1, max_length=MAX_SCENES)
    bands: dict[str, str] = Field(default_factory=lambda: dict(SENTINEL2), max_length=30)
    """spyndex band code → raster band name."""
    scale: float = Field(default=1e-4, gt=0, le=1)
    offset: float = Field(default=0.0, ge=-1, le=1)
    indices: list[str] = Field(default_factory=lambda: list(DEFAULT_INDICES), max_length=30)
    training: str | None = Field(default=None, max_length=500)
    training_scene: int = Field(default=0, ge=0, lt=MAX_SCENES)
    holdout: float = Field(default=0.3, gt=0, lt=1)
    """Share of each class's training polygons held out to validate (whole polygons, at
    least one). ASSUMPTION (junkan team): 30 %, a common train/test split; the held-out
    polygons are the sampling units of the intervals (:mod:`junkan.nature.clusters`), so
    more polygons give narrower ones."""
    trees: Literal["auto"] | Annotated[int, Field(ge=1, le=500)] = "auto"
    """Random-forest size: ``auto`` (default) grows it 10 trees at a time until the
    out-of-bag accuracy stops improving (see :func:`junkan.nature.classify.train`; at most
    60 trees), or a fixed number."""
    natural_classes: list[str] = Field(default_factory=lambda: ["forest"], max_length=20)
    converted_classes: list[str] = Field(default_factory=lambda: ["cropland"], max_length=20)
    protected: str | None = Field(default=None, max_length=500)
    """Your protected-area polygons (e.g. from WDPA, under its licence; nothing is bundled)."""
    kba: str | None = Field(default=None, max_length=500)
    """Your Key Biodiversity Area polygons (under the KBA data licence), reported apart from
    the protected areas: a KBA need not be protected."""
    precipitation: PathText | PrecipitationRaster | None = None
    """Monthly precipitation: a CSV (``[area,] month, mm``), a raster path (GeoTIFF/COG,
    Zarr, NetCDF; units from its tags) or a :class:`PrecipitationRaster`."""
    spi_scale: int = Field(default=3, ge=1, le=48)
    """SPI accumulation period in months. ASSUMPTION (junkan team): 3 months, which reflects
    short- and medium-term moisture conditions, a seasonal estimate (WMO, Standardized
    Precipitation Index User Guide, WMO-No. 1090, 2012); longer periods for hydrological
    drought."""
    water_threshold: float = Field(default=0.0, ge=-1, le=1)
    """Fixed water-index threshold (water above it): 0, as for MNDWI in Xu (2006, Int. J.
    Remote Sens. 27:3025–3033)."""
    reproject_polygons: bool = False
    polygon_crs: dict[str, str] = Field(default_factory=dict, max_length=5)
    """The CRS of a polygon file's coordinates (EPSG code), per file field, in place of the
    file's ``crs`` member (or GeoJSON's WGS 84 when it has none), e.g.
    ``polygon_crs: {areas: "EPSG:32648"}`` for a file exported without (or with a wrong)
    ``crs`` member."""
    skip_scenes_above: float | None = Field(default=None, ge=0, lt=1)
    """Leave out each scene whose nodata share over the sourcing areas is above this
    (:mod:`junkan.nature.cloudy`); default None: a scene without valid pixels over an area
    stops the run."""
    partial_areas: Literal["refuse", "clip"] = "refuse"
    """A sourcing area reaching past the scenes: refused (default), or ``clip``: assessed
    on the part the scenes cover, every figure of it noted with the covered share."""
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    chunk: int = Field(default=1024, ge=64, le=8192)
    weights: dict[str, float] | None = None
    water: WaterSpec | None = None
    """Withdrawals and water stress for TNFD C3.0 (optional)."""
    portfolio: BankPortfolio | None = None
    """A bank's exposures to the companies, for an exposure-weighted portfolio (optional)."""
    flood_min_years: int = Field(default=5, ge=3, le=100)
    """Fewest annual maxima for the flood-frequency fit. ASSUMPTION (junkan team): fewer
    than 5 hardly constrain even the two-parameter Gumbel; not calibrated."""
    flood_reference: int = Field(default=0, ge=0, lt=MAX_SCENES)
    """Index of the reference scene (a normal, non-flood date) that per-pixel flooding is
    measured against (see junkan.nature.inundation)."""
    risk_thresholds: str | None = Field(default=None, max_length=500)
    """Your risk-rating rule and thresholds (YAML, the shape of
    ``junkan/data/nature/risk_rating.yaml``); default: that file (assumptions)."""
    survey: SurveySpec | None = None
    """Field-survey observations and site checklists (optional; see junkan.nature.fieldwork)."""
    encore: EncoreSpec | None = None
    """Your ENCORE export's materiality ratings (optional; see junkan.nature.encore)."""
    landcover: LandCoverSpec | None = None
    """Your own land-cover maps per date (optional; see junkan.nature.landcover)."""
    water_index: str | None = Field(default=None, max_length=40)
    """Index that separates water from land per pixel (default: MNDWI if computed, else
    NDWI; no per-pixel water without either)."""

    @model_validator(mode="after")
    def _reference(self) -> AssessmentSpec:
        first: dict[dt.date, int] = {}
        for i, sc in enumerate(self.scenes):  # the series' changes are per date
            j = first.setdefault(sc.date, i)
            if j != i:
                raise ValueError(f"scenes[{i}].date: {sc.date} is the date of scenes[{j}] "
                                 "too; give one scene per date (a series compares dates)")
        if self.flood_reference >= len(self.scenes):
            raise ValueError(
                f"flood_reference: {self.flood_reference} but there are {len(self.scenes)} "
                "scenes; give the index (from 0) of a normal, non-flood scene"
            )
        return self

    @field_validator("polygon_crs")
    @classmethod
    def _polygon_crs(cls, v: dict[str, str]) -> dict[str, str]:
        """EPSG codes PROJ knows (``EPSG:32648``; ``OGC:CRS84`` or ``EPSG:4326`` for lon/lat)."""
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        out = {}
        for key, code in v.items():
            if key not in POLYGON_FIELDS:
                raise ValueError(f"{key!r} is not a polygon file's field; use {POLYGON_FIELDS}")
            text = code.strip().upper()
            if text in ("OGC:CRS84", "CRS84"):
                text = "EPSG:4326"
            if not re.fullmatch(r"EPSG:\d{4,6}", text):
                raise ValueError(f"{key}: {code!r}; give an EPSG code such as 'EPSG:32648'")
            try:
                CRS.from_user_input(text)
            except CRSError:
                raise ValueError(f"{key}: {code!r} is not an EPSG code PROJ knows") from None
            out[key] = text
        return out

    @field_validator("weights")
    @classmethod
    def _weights(cls, w: dict[str, float] | None) -> dict[str, float] | None:
        if w is None:
            return w
        bad = sorted(set(w) - set(COMPONENTS))
        if bad:
            raise ValueError(f"unknown component(s) {bad}; use {list(COMPONENTS)}")
        if any(v < 0 for v in w.values()) or sum(w.values()) <= 0:
            raise ValueError("weights must be ≥ 0 and not all zero")
        return w


class Assessment(Strict):
    """A checked assessment with its paths resolved."""

    spec: AssessmentSpec
    base: str
    source: str
    confined: bool = False
    """Refuse paths outside ``base`` (the service's raster folder)."""

    def path(self, rel: str, field: str) -> Path:
        base = Path(self.base).resolve()
        p = (base / rel).resolve()
        if self.confined and not p.is_relative_to(base):
            raise NatureInputError(
                f"{self.source}: {field}: {rel!r} points outside {base}; use a path inside it"
            )
        return p

    def weights(self) -> dict[str, float]:
        return dict(self.spec.weights or reference("weights")["weights"])


def load(
    path: str | Path | None = None,
    *,
    text: str | None = None,
    doc: dict[str, Any] | None = None,
    base: str | Path | None = None,
    source: str | None = None,
    confine: bool = False,
) -> Assessment:
    """Read an assessment (file, text or parsed document); relative paths resolve against
    ``base`` (default: the file's folder, else the working directory); with ``confine``,
    no path may point outside ``base``."""
    if path is not None:
        p = Path(path)
        raw = read_document(p)
        src, folder = source or str(p), base or p.parent
    elif text is not None:
        raw = parse_document(text, source=source or "<assessment>")
        src, folder = source or "<assessment>", base or Path.cwd()
    elif doc is not None:
        raw, src, folder = doc, source or "<assessment>", base or Path.cwd()
    else:
        raise ValueError("give a path, text or doc")
    spec = validate_with(AssessmentSpec, raw, src)
    return Assessment(spec=spec, base=str(folder), source=src, confined=confine)
