"""The field survey in an assessment (``survey:``): observations (the service's Darwin
Core export, or observations as JSON) checked against each sourcing area's checklist (its
own site checklist, else the survey's, else the bundled example), and species-richness
indicators per area: species observed, individuals, species per group, the share of the
checklist observed and the Chao1 estimate of richness."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from junkan.core.documents import validate_with
from junkan.core.errors import ModelError
from junkan.nature.checklist import Checklist, Checklists, bundled, csv_rows, read_checklist
from junkan.nature.geo import WGS84, Layer, NatureInputError, Polygon, rings
from junkan.nature.schema import Assessment
from junkan.nature.survey import MAX_OBSERVATIONS, Observation, check_species

MAX_BYTES = 512 * 1024 * 1024
DWC = {
    "occurrenceID": "id",
    "scientificName": "species",
    "vernacularName": "vernacular",
    "individualCount": "count",
    "decimalLatitude": "lat",
    "decimalLongitude": "lon",
    "coordinateUncertaintyInMeters": "accuracy_m",
    "eventDate": "time",
    "recordedBy": "observer",
    "associatedMedia": "photo",
    "locationID": "area",
    "occurrenceRemarks": "remarks",
}
"""Darwin Core term → observation field (the columns junkan's export writes)."""
NUMBERS = {"count": int, "lat": float, "lon": float, "accuracy_m": float}


def _validated(raw: dict[str, Any], where: str) -> Observation:
    """``raw`` as an observation, or NatureInputError naming ``where`` (file and line or
    item) and each field that is wrong."""
    try:
        return validate_with(Observation, raw, where)
    except ModelError as exc:
        raise NatureInputError("\n".join(
            f"{where}: {p.path}: {p.message}" if p.path else f"{where}: {p.message}"
            for p in exc.problems)) from None


def _from_csv(text: str, path: str) -> list[Observation]:
    rows = csv.DictReader(io.StringIO(text))
    try:
        header = rows.fieldnames or []
    except csv.Error as exc:
        raise NatureInputError(f"{path}: line 1: not valid CSV ({exc})") from None
    missing = [t for t in ("occurrenceID", "scientificName", "eventDate", "decimalLatitude",
                           "decimalLongitude", "recordedBy") if t not in header]
    if missing:
        raise NatureInputError(f"{path}: line 1: no column {', '.join(missing)}; give a Darwin "
                               "Core occurrence table (e.g. the survey's export.csv)")
    out = []
    for r in csv_rows(rows, path):
        where = f"{path}: line {rows.line_num}"
        raw: dict[str, Any] = {}
        for term, f in DWC.items():
            v = (r.get(term) or "").strip()
            if not v:
                continue
            try:
                raw[f] = NUMBERS[f](v) if f in NUMBERS else v
            except ValueError:
                raise NatureInputError(f"{where}: {term}: {v!r} is not a number") from None
        raw.setdefault("count", 1)
        out.append(_validated(raw, where))
        if len(out) > MAX_OBSERVATIONS:
            raise NatureInputError(f"{where}: more than {MAX_OBSERVATIONS:,} observations")
    return out


def _from_json(text: str, path: str) -> list[Observation]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise NatureInputError(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise NatureInputError(f"{path}: not observations: nested too deeply") from None
    if isinstance(doc, dict):
        doc = doc.get("observations")
    if not isinstance(doc, list) or len(doc) > MAX_OBSERVATIONS:
        raise NatureInputError(f"{path}: give a list of observations (at most "
                               f"{MAX_OBSERVATIONS:,}), or the survey's /observations answer")
    out = []
    for i, item in enumerate(doc):
        if isinstance(item, dict) and isinstance(item.get("observation"), dict):
            item = item["observation"]  # an item of the service's listing
        if not isinstance(item, dict):
            raise NatureInputError(f"{path}: [{i}]: give an observation object")
        out.append(_validated(item, f"{path}: [{i}]"))
    return out


def read_observations(path: Path) -> list[Observation]:
    """Observations of a Darwin Core CSV (.csv) or JSON (.json); ids must be unique."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise NatureInputError(f"{path}: larger than {MAX_BYTES // 2**20} MiB")
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise NatureInputError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise NatureInputError(f"{path}: not UTF-8 text") from None
    if path.suffix.lower() not in (".csv", ".json"):
        raise NatureInputError(f"{path}: observations are .csv (Darwin Core) or .json")
    obs = (_from_csv if path.suffix.lower() == ".csv" else _from_json)(text, str(path))
    ids = Counter(o.id for o in obs)
    twice = [k for k, n in ids.items() if n > 1]
    if twice:
        raise NatureInputError(f"{path}: observation id {twice[0]!r} is used twice")
    return obs


def checklists(a: Assessment, ids: list[str]) -> Checklists:
    """Each area's checklist as the survey names them: its own, else the one without
    ``areas``, else the bundled example."""
    spec = a.spec.survey
    assert spec is not None
    out = Checklists(default=bundled())
    for i, ref in enumerate(spec.checklists):
        cl = read_checklist(a.path(ref.path, f"survey.checklists[{i}].path"), source=ref.source)
        if ref.areas is None:
            out.default = cl
            continue
        for area in ref.areas:
            if area not in ids:
                raise NatureInputError(f"{a.source}: survey.checklists[{i}].areas: {area!r} is "
                                       f"not a sourcing area ({', '.join(ids[:10])})")
            out.by_area[area] = cl
    return out


def _inside(x: np.ndarray, y: np.ndarray, poly: Polygon) -> np.ndarray:
    """Which points lie in ``poly``: even-odd rule over every ring (holes and parts
    included), vectorised over the points (one pass per edge, points outside the polygon's
    bounding box skipped)."""
    hit = np.zeros(len(x), bool)
    rs = [np.asarray([p[:2] for p in ring], float) for ring in rings(poly.geometry)]
    if not rs or not len(x):
        return hit
    allv = np.concatenate(rs)
    box = ((x >= allv[:, 0].min()) & (x <= allv[:, 0].max()) & (y >= allv[:, 1].min())
           & (y <= allv[:, 1].max()))
    idx = np.flatnonzero(box)
    px, py, inner = x[idx], y[idx], np.zeros(len(idx), bool)
    for ring in rs:
        for (x0, y0), (x1, y1) in zip(ring[:-1], ring[1:], strict=True):
            cross = (y0 > py) != (y1 > py)
            if not cross.any():
                continue
            with np.errstate(divide="ignore", invalid="ignore"):
                at = x0 + (py - y0) * (x1 - x0) / (y1 - y0)
            inner ^= cross & (px < at)
    hit[idx] = inner
    return hit


def locate(obs: list[Observation], areas: Layer, path: str) -> list[Observation]:
    """Each observation with its sourcing area: as given (which must be an area's id), else
    the area its GPS point lies in (None if in none)."""
    from rasterio.warp import transform

    ids = {p.fid for p in areas.polygons}
    bad = next((o for o in obs if o.area and o.area not in ids), None)
    if bad is not None:
        raise NatureInputError(f"{path}: observation {bad.id!r}: area {bad.area!r} is not a "
                               f"sourcing area ({', '.join(sorted(ids)[:10])})")
    todo = [o for o in obs if not o.area]
    if not todo:
        return obs
    xs, ys = [o.lon for o in todo], [o.lat for o in todo]
    if areas.crs != WGS84:
        xs, ys = (list(v) for v in transform(WGS84, areas.crs, xs, ys))
    x, y = np.asarray(xs, float), np.asarray(ys, float)
    where: list[str | None] = [None] * len(todo)
    left = np.ones(len(todo), bool)  # the first area a point lies in, as before
    for p in areas.polygons:
        hit = _inside(x, y, p) & left
        for j in np.flatnonzero(hit):
            where[j] = p.fid
        left &= ~hit
    found = {o.id: w for o, w in zip(todo, where, strict=True)}
    return [o if o.area else o.model_copy(update={"area": found[o.id]}) for o in obs]


def chao1(counts: list[int]) -> float:
    """Bias-corrected Chao1 richness: S + F1(F1 − 1) / (2(F2 + 1)), F1 and F2 the species
    seen once and twice (Chao 1987, Biometrics 43:783, as in EstimateS)."""
    f1, f2 = sum(c == 1 for c in counts), sum(c == 2 for c in counts)
    return len(counts) + f1 * (f1 - 1) / (2 * (f2 + 1))


def indicators(obs: list[Observation], cl: Checklist | None) -> dict[str, Any]:
    """Species-richness indicators of one area's observations against its checklist."""
    per = Counter[str]()
    for o in obs:
        per[o.species] += o.count
    groups = Counter(sp.group for sp in (cl.get(s) if cl else None for s in per) if sp)
    out: dict[str, Any] = {
        "observations": len(obs),
        "species": len(per),
        "individuals": sum(per.values()),
        "species_by_group": dict(sorted(groups.items())),
        "chao1": chao1(list(per.values())) if per else None,
        "chao1_method": "bias-corrected Chao1 on individual counts (Chao 1987); a lower "
        "bound of richness, unreliable with few observations",
    }
    if cl is not None:
        out |= {"checklist": cl.path, "checklist_source": cl.source,
                "checklist_species": len(cl.species),
                "checklist_share": len(per) / len(cl.species) if cl.species else None}
    return out


def assess_survey(a: Assessment, areas: Layer) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Per area: its richness indicators; overall: the observations, those in no area, and
    the checklists used. None without a ``survey``."""
    if a.spec.survey is None:
        return None
    ids = [p.fid for p in areas.polygons]
    lists = checklists(a, ids)
    path = a.path(a.spec.survey.observations, "survey.observations")
    obs = locate(read_observations(path), areas, str(path))
    try:
        check_species(obs, lists)
    except NatureInputError as exc:
        raise NatureInputError(f"{a.spec.survey.observations}: {exc}") from None
    in_area: dict[str, list[Observation]] = {i: [] for i in ids}  # one pass, not one per area
    for o in obs:
        if o.area is not None and o.area in in_area:
            in_area[o.area].append(o)
    per = {i: indicators(in_area[i], lists.for_area(i)) for i in ids}
    outside = [o for o in obs if not o.area]
    total = {"observations": len(obs), "outside_areas": len(outside),
             "input": a.spec.survey.observations,
             "checklists": sorted({c.path for c in [lists.default, *lists.by_area.values()]
                                   if c is not None})}
    return per, total
