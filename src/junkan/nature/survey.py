"""Field-survey observations (species, count, GPS point, time, observer, photo) and their
export as a Darwin Core occurrence table (TDWG Darwin Core terms,
https://dwc.tdwg.org/terms/; ``basisOfRecord`` HumanObservation), with species richness per
sourcing area. The Nature page's survey form records them offline on the device and syncs
them to the service (``/api/nature/survey``, kept by junkan.store.nature_survey); photos
are checked by junkan.nature.photo and exported as the Darwin Core archive's Simple
Multimedia extension (GBIF, http://rs.gbif.org/terms/1.0/Multimedia)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from xml.sax.saxutils import quoteattr

from pydantic import Field, field_validator

from junkan.core.base import Strict
from junkan.nature.checklist import BUNDLED, Checklists
from junkan.nature.geo import NatureInputError

DWC_TERMS = (
    "occurrenceID",
    "basisOfRecord",
    "eventDate",
    "scientificName",
    "vernacularName",
    "individualCount",
    "decimalLatitude",
    "decimalLongitude",
    "geodeticDatum",
    "coordinateUncertaintyInMeters",
    "recordedBy",
    "associatedMedia",
    "locationID",
    "occurrenceRemarks",
    "identificationReferences",
)
"""Columns of the export, in order (Darwin Core term names); ``identificationReferences``
is the source of the species on the survey's checklist, when a checklist is given."""
MAX_OBSERVATIONS = 1_000_000


class Observation(Strict):
    """One species observation in the field."""

    id: str = Field(min_length=1, max_length=100)
    species: str = Field(min_length=1, max_length=200)
    """Scientific name, as in the survey's checklist."""
    vernacular: str | None = Field(default=None, max_length=200)
    count: int = Field(ge=1, le=1_000_000)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, gt=0, le=100_000)
    time: dt.datetime
    observer: str = Field(min_length=1, max_length=200)
    photo: str | None = Field(default=None, max_length=2000)
    area: str | None = Field(default=None, max_length=100)
    remarks: str | None = Field(default=None, max_length=2000)

    @field_validator("count", "lat", "lon", "accuracy_m", mode="before")
    @classmethod
    def _not_bool(cls, v: object) -> object:
        if isinstance(v, bool):
            raise ValueError("give a number, not true/false")
        return v

    @field_validator("time")
    @classmethod
    def _aware(cls, t: dt.datetime) -> dt.datetime:
        if t.tzinfo is None:
            raise ValueError("give the time with its UTC offset, e.g. 2024-05-01T07:30:00+07:00")
        return t


def check_species(obs: Iterable[Observation], checklist: Iterable[str] | Checklists) -> None:
    """Every observation's species is on the checklist (names compared exactly): one list
    of names, or :class:`Checklists` (each area's own checklist, else the default)."""
    lists = checklist if isinstance(checklist, Checklists) else None
    names = set() if lists is not None else set(checklist)  # type: ignore[arg-type]
    for o in obs:
        if lists is not None:
            cl = lists.for_area(o.area)
            if cl is None or o.species in cl.names:
                continue
            if cl.path == BUNDLED:
                raise NatureInputError(
                    f"observation {o.id!r}: species {o.species!r} is not on the bundled "
                    "example checklist, which serves when you give no checklist of your own; "
                    "correct the species, or give your site checklist (a CSV/JSON file: "
                    "'survey: checklists:' in the assessment; in the service: PUT "
                    "/api/nature/survey/checklist)"
                )
            where = f"the checklist of area {o.area!r}" if o.area in lists.by_area else (
                "the survey's checklist")
            raise NatureInputError(
                f"observation {o.id!r}: species {o.species!r} is not on {where} "
                f"({cl.path}); correct it or add it there"
            )
        if o.species not in names:
            raise NatureInputError(
                f"observation {o.id!r}: species {o.species!r} is not on "
                "the survey's checklist; correct it or add it there"
            )


def darwin_core(
    obs: Iterable[Observation],
    media: Mapping[str, Mapping[str, Any]] | None = None,
    checklists: Checklists | None = None,
) -> str:
    """The observations as a Darwin Core occurrence CSV (UTF-8 text, header of DWC terms).
    ``associatedMedia``: with ``media`` (per observation id: the stored photo's
    ``identifier`` URL, as the service keeps them) that URL or nothing; without it, the
    observation's own ``photo`` reference. With ``checklists`` (each area's checklist),
    every species must be on its area's checklist, ``vernacularName`` falls back to the
    checklist's local (else English) name and ``identificationReferences`` is the
    species' source on it (else the checklist's)."""
    return "".join(darwin_core_chunks(obs, media, checklists))


CHUNK_ROWS = 1000
"""Rows of the occurrence table in each piece :func:`darwin_core_chunks` yields."""


def darwin_core_chunks(
    obs: Iterable[Observation],
    media: Mapping[str, Mapping[str, Any]] | None = None,
    checklists: Checklists | None = None,
) -> Iterator[str]:
    """:func:`darwin_core`'s table in pieces of :data:`CHUNK_ROWS` rows (the header first),
    for a service to send as it writes. The species are checked against ``checklists``
    before the header is yielded, so a refusal comes before any row; a repeated id or too
    many observations is refused when reached."""
    if checklists is not None:
        obs = list(obs)
        check_species(obs, checklists)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(DWC_TERMS)
    seen: set[str] = set()
    for n, o in enumerate(obs):
        if n >= MAX_OBSERVATIONS:
            raise NatureInputError(f"more than {MAX_OBSERVATIONS:,} observations")
        if o.id in seen:
            raise NatureInputError(f"observation id {o.id!r} is used twice")
        seen.add(o.id)
        if n % CHUNK_ROWS == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
        w.writerow(_dwc_row(o, media, checklists))
    yield buf.getvalue()


def _dwc_row(
    o: Observation, media: Mapping[str, Mapping[str, Any]] | None, checklists: Checklists | None
) -> list[Any]:
    cl = None if checklists is None else checklists.for_area(o.area)
    sp = None if cl is None else cl.get(o.species)
    return [
        o.id,
        "HumanObservation",
        o.time.isoformat(),
        o.species,
        o.vernacular or (sp and (sp.local or sp.en)) or "",
        o.count,
        f"{o.lat:.6f}",
        f"{o.lon:.6f}",
        "EPSG:4326",
        "" if o.accuracy_m is None else f"{o.accuracy_m:g}",
        o.observer,
        (o.photo or "") if media is None else media.get(o.id, {}).get("identifier", ""),
        o.area or "",
        o.remarks or "",
        "" if cl is None else (sp and sp.source) or cl.source,
    ]


def richness(obs: Iterable[Observation]) -> dict[str, dict[str, int]]:
    """Per area: species richness (distinct species) and individuals counted."""
    return richness_of((o.area, o.species, o.count) for o in obs)


def richness_of(tallies: Iterable[tuple[str | None, str, int]]) -> dict[str, dict[str, int]]:
    """:func:`richness` from ``(area, species, individuals)`` tallies (one per observation,
    or already summed per area and species, as a store can count them)."""
    out: dict[str, tuple[set[str], int]] = {}
    for area, species, count in tallies:
        key = area or "—"
        names, total = out.get(key, (set(), 0))
        names.add(species)
        out[key] = (names, total + int(count))
    return {k: {"species": len(s), "individuals": n} for k, (s, n) in sorted(out.items())}


DWC = "http://rs.tdwg.org/dwc/terms/"
DC = "http://purl.org/dc/terms/"
MULTIMEDIA_TERMS = ("coreid", "type", "format", "identifier", "created", "creator", "title")
"""Columns of the Simple Multimedia extension (``coreid`` = occurrenceID; the rest are
Dublin Core terms, as GBIF's extension defines them)."""


def multimedia(obs: Iterable[Observation], media: Mapping[str, Mapping[str, Any]]) -> str:
    """One row per stored photo (Simple Multimedia extension, CSV): ``StillImage``, its
    media type (sniffed from its bytes), URL, the observation's time and observer, and the
    file name the device gave it."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(MULTIMEDIA_TERMS)
    for o in obs:
        m = media.get(o.id)
        if m:
            row = [o.id, "StillImage", m["format"], m["identifier"], o.time.isoformat()]
            w.writerow([*row, o.observer, o.photo or ""])
    return buf.getvalue()


def _meta_xml() -> str:
    def fields(terms: tuple[str, ...], ns: str, first: int) -> str:
        return "".join(
            f'<field index="{i}" term={quoteattr((DWC if t in DWC_TERMS else ns) + t)}/>'
            for i, t in enumerate(terms)
            if i >= first
        )

    opts = (
        'encoding="UTF-8" fieldsTerminatedBy="," linesTerminatedBy="\\n" '
        'fieldsEnclosedBy="&quot;" ignoreHeaderLines="1"'
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<archive xmlns="http://rs.tdwg.org/dwc/text/">'
        f'<core {opts} rowType="{DWC}Occurrence"><files><location>occurrence.csv</location>'
        f'</files><id index="0"/>{fields(DWC_TERMS, DWC, 0)}</core>'
        f'<extension {opts} rowType="http://rs.gbif.org/terms/1.0/Multimedia"><files>'
        '<location>multimedia.csv</location></files><coreid index="0"/>'
        f"{fields(MULTIMEDIA_TERMS, DC, 1)}</extension></archive>\n"
    )


def darwin_core_archive(
    obs: Iterable[Observation],
    media: Mapping[str, Mapping[str, Any]],
    checklists: Checklists | None = None,
) -> bytes:
    """A Darwin Core Archive (zip): ``meta.xml``, ``occurrence.csv`` (the core) and
    ``multimedia.csv`` (the photos, Simple Multimedia extension)."""
    items = list(obs)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("meta.xml", _meta_xml())
        with z.open("occurrence.csv", "w") as f:  # written as it goes: never whole in memory
            for piece in darwin_core_chunks(items, media, checklists):
                f.write(piece.encode())
        z.writestr("multimedia.csv", multimedia(items, media))
    return buf.getvalue()
