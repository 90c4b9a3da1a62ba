"""GeoJSON polygons: sourcing areas (commodity, supplier, volume), protected areas / KBAs
supplied by the user, and training polygons (land-cover class). Every error names the file
and the feature.

GeoJSON (RFC 7946) is in WGS 84 longitude/latitude; a file in another CRS says so with the
legacy ``"crs": {"type": "name", "properties": {"name": "EPSG:32648"}}`` member (what GDAL
writes). Polygons are compared with the raster's CRS, never silently reprojected: a mismatch
is an error unless the assessment asks for ``reproject_polygons: true``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from junkan.core.errors import JunkanError
from junkan.core.limits import limits
from junkan.nature.simple import MAX_PAIRS, Fault, fault

MAX_FEATURES = 10_000
"""Most polygons one file may hold."""
MAX_VERTICES = 1_000_000
"""Most vertices over all polygons of one file."""
WGS84 = "EPSG:4326"


class NatureInputError(JunkanError):
    """A nature input (GeoJSON, raster, series) is unusable; the message names the file and
    what to do."""


@dataclass(frozen=True)
class Polygon:
    """One (multi)polygon feature: GeoJSON ``geometry`` and its ``properties``."""

    fid: str
    geometry: dict[str, Any]
    properties: dict[str, Any] = field(default_factory=dict)

    def bounds(self) -> tuple[float, float, float, float]:
        xs: list[float] = []
        ys: list[float] = []
        for ring in rings(self.geometry):
            xs.extend(p[0] for p in ring)
            ys.extend(p[1] for p in ring)
        return min(xs), min(ys), max(xs), max(ys)


@dataclass(frozen=True)
class Layer:
    """The polygons of one file and its CRS."""

    path: str
    crs: str
    polygons: list[Polygon]


def rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    """Every ring of a Polygon or MultiPolygon."""
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [r for poly in geometry["coordinates"] for r in poly]


def _crs_of(doc: dict[str, Any]) -> str:
    crs = doc.get("crs")
    if not crs:
        return WGS84
    name = str((crs.get("properties") or {}).get("name", ""))
    # urn:ogc:def:crs:EPSG::32648 or EPSG:32648 or OGC CRS84
    if "CRS84" in name:
        return WGS84
    if "EPSG" in name:
        return "EPSG:" + name.rsplit(":", 1)[-1]
    raise NatureInputError(
        f"crs: {name!r} is not an EPSG code; write the file in EPSG:4326 or name an EPSG code"
    )


def _check_ring(ring: Any, where: str) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise NatureInputError(f"{where}: a ring needs at least 4 positions (closed)")
    for k, p in enumerate(ring):
        if not isinstance(p, list | tuple) or len(p) < 2 or not all(map(_finite, p[:2])):
            shown = repr(p) if len(repr(p)) <= 60 else repr(p)[:57] + "..."
            raise NatureInputError(
                f"{where}: position {k} is {shown}; positions must be [x, y] finite numbers"
            )
    if list(ring[0][:2]) != list(ring[-1][:2]):
        raise NatureInputError(f"{where}: ring is not closed (first and last positions differ)")


def _finite(v: Any) -> bool:
    """A finite number (not a boolean); an integer too large for a float is not."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


def _check_geometry(geom: Any, where: str, label: str = "") -> int:
    if not isinstance(geom, dict) or geom.get("type") not in ("Polygon", "MultiPolygon"):
        raise NatureInputError(f"{where}.geometry: must be a Polygon or MultiPolygon")
    coords = geom.get("coordinates")
    polys = [coords] if geom["type"] == "Polygon" else coords
    if not isinstance(polys, list) or not polys:
        raise NatureInputError(f"{where}.geometry.coordinates: empty")
    n = 0
    for i, poly in enumerate(polys):
        if not isinstance(poly, list) or not poly:
            raise NatureInputError(f"{where}.geometry.coordinates[{i}]: empty polygon")
        for j, ring in enumerate(poly):
            _check_ring(ring, f"{where}.geometry ring {i}.{j}")
            n += len(ring)
        found = fault(poly)
        if found is not None:
            raise NatureInputError(_fault_message(found, f"{where}{label}", i))
    return n


_FAULTS = {
    "cross": "crosses",
    "overlap": "runs along (overlaps)",
    "touch": "touches",
    "spike": "folds back along (a spike over)",
}


def _fault_message(f: Fault, where: str, part: int) -> str:
    """Say which rings and edges of polygon ``part`` meet, and where."""
    def ring(r: int) -> str:
        return f"ring {part}.{r} ({'exterior' if r == 0 else 'hole'})"

    def edge(e: tuple[int, int]) -> str:
        return f"edge {e[0]} (positions {e[0]}→{e[1]})"

    at = f"near ({f.x:.8g}, {f.y:.8g})"
    fix = ("a polygon's rings must be simple (OGC Simple Feature Access, 06-103r4), else "
           "what is inside it, its area and its centroid are ill-defined. Fix the outline "
           "(QGIS 'Fix geometries', ogr2ogr -makevalid), or split it into a MultiPolygon")
    if f.kind == "degenerate":
        return (f"{where}.geometry {ring(f.ring_a)}: fewer than 3 distinct positions, so it "
                f"encloses no area; {fix}")
    if f.kind == "intricate":
        return (f"{where}.geometry polygon {part}: too intricate to check that its rings do "
                f"not cross: {f.pairs:,} pairs of edges lie close together (at most "
                f"{MAX_PAIRS:,}), as in a dense comb of long, almost parallel edges. Simplify "
                "it (ogr2ogr -simplify, QGIS 'Simplify') or split it into smaller polygons")
    if f.kind == "touches twice":
        return (f"{where}.geometry {ring(f.ring_a)} and {ring(f.ring_b)} touch at two or more "
                f"points ({edge(f.edge_a)} and {edge(f.edge_b)} meet {at}), which cuts the "
                f"polygon's interior in pieces; {fix}")
    return (f"{where}.geometry {ring(f.ring_a)} is not simple: its {edge(f.edge_a)} "
            f"{_FAULTS[f.kind]} {edge(f.edge_b)} of {ring(f.ring_b)} {at}; {fix}")


def parse_layer(
    doc: Any, source: str, *, required: tuple[str, ...] = (), id_field: str = "id",
    crs: str | None = None, areas: bool = False,
) -> Layer:
    """Check a GeoJSON FeatureCollection of polygons whose features have ``required``
    properties. ``crs`` (the assessment's ``polygon_crs``) says the coordinates' CRS in
    place of the file's ``crs`` member (or GeoJSON's WGS 84 when it has none). With
    ``areas`` (the assessment's sourcing areas) it holds at most ``nature_areas`` features
    (:mod:`junkan.core.limits`), counted before any is checked."""
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise NatureInputError(f"{source}: not a GeoJSON FeatureCollection")
    feats = doc.get("features")
    if not isinstance(feats, list) or not feats:
        raise NatureInputError(f"{source}: no features")
    if len(feats) > MAX_FEATURES:
        raise NatureInputError(f"{source}: {len(feats):,} features; at most {MAX_FEATURES:,}")
    if areas and len(feats) > limits().nature_areas:
        raise NatureInputError(
            f"{source}: {len(feats):,} sourcing areas (the assessment's areas), more than "
            f"the {limits().describe('nature_areas')}; each costs 0.1–0.2 s: assess them in "
            "several assessments (e.g. one per landscape)")
    override = crs is not None
    if crs is None:
        try:
            crs = _crs_of(doc)
        except NatureInputError as exc:
            raise NatureInputError(f"{source}: {exc}") from None
    polys, vertices, seen = [], 0, set()
    for i, f in enumerate(feats):
        where = f"{source}: features[{i}]"
        if not isinstance(f, dict):
            raise NatureInputError(f"{where}: not a Feature")
        vertices += _check_geometry(f.get("geometry"), where, _label(f, id_field))
        props = f.get("properties") or {}
        for key in required:
            if props.get(key) in (None, ""):
                raise NatureInputError(f"{where}.properties.{key}: required; add it")
        fid = str(props.get(id_field, f.get("id", i)))
        if fid in seen:
            raise NatureInputError(f"{where}.properties.{id_field}: {fid!r} is used twice")
        seen.add(fid)
        polys.append(Polygon(fid, f["geometry"], dict(props)))
    if vertices > MAX_VERTICES:
        raise NatureInputError(f"{source}: {vertices:,} vertices; at most {MAX_VERTICES:,}")
    if crs == WGS84:
        said_by = "polygon_crs" if override else "file" if doc.get("crs") else ""
        _check_lonlat(polys, source, said_by=said_by)
    return Layer(source, crs, polys)


def _label(f: dict[str, Any], id_field: str) -> str:
    """" (id 'A', name 'Farm 3')" from the feature's id and name, if it has them."""
    props = f.get("properties")
    if not isinstance(props, dict):
        props = {}
    fid = props.get(id_field, f.get("id"))
    said = [f"{k} {v!r}" for k, v in (("id", fid), ("name", props.get("name"))) if v is not None]
    return f" ({', '.join(said)})" if said else ""


def _check_lonlat(polys: list[Polygon], source: str, *, said_by: str) -> None:
    """Coordinates said (or, with no ``crs`` member, taken) to be WGS 84 must be longitude
    in [-180, 180] and latitude in [-90, 90]; anything else is a projected file missing
    its ``crs`` member, which reprojecting as lon/lat would only turn into PROJ errors."""
    for p in polys:
        x0, y0, x1, y1 = p.bounds()
        if max(abs(x0), abs(x1)) <= 180 and max(abs(y0), abs(y1)) <= 90:
            continue
        said = {
            "file": "its 'crs' member says EPSG:4326 (longitude/latitude)",
            "polygon_crs": "the assessment's polygon_crs says EPSG:4326 (longitude/latitude)",
        }.get(said_by, "it has no 'crs' member, so GeoJSON (RFC 7946) reads it as EPSG:4326 "
              "longitude/latitude")
        raise NatureInputError(
            f"{source}: {said}, but feature {p.fid!r} has coordinates up to "
            f"({max(abs(x0), abs(x1)):.6g}, {max(abs(y0), abs(y1)):.6g}), which cannot be "
            "longitude/latitude: they look projected (metres). Name the file's CRS with "
            'a member such as "crs": {"type": "name", "properties": {"name": '
            '"EPSG:32648"}} (the CRS the coordinates are in, e.g. the scenes\' UTM zone), '
            "or set it in the assessment (polygon_crs: {areas: EPSG:32648}, keyed by the "
            "file's field), or write the file in EPSG:4326 (ogr2ogr -t_srs EPSG:4326 "
            "out.geojson in.…)"
        )


def check_volumes(layer: Layer) -> None:
    """The areas' ``volume_t`` (sourcing volume, t) are numbers > 0 given for every area or
    for none: weights are never made up for the areas that lack one."""
    given = [p for p in layer.polygons if p.properties.get("volume_t") not in (None, "")]
    for p in given:
        v = p.properties["volume_t"]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v <= 0:
            raise NatureInputError(f"{layer.path}: area {p.fid!r}: volume_t {v!r}; give the "
                                   "sourcing volume in tonnes as a number > 0")
    if given and len(given) < len(layer.polygons):
        missing = [p.fid for p in layer.polygons if p not in given]
        raise NatureInputError(f"{layer.path}: volume_t is given for {len(given)} areas but "
                               f"not for {missing[:5]}; give it for every area or for none "
                               "(then the areas weigh equally)")


def read_layer(
    path: str | Path, *, required: tuple[str, ...] = (), id_field: str = "id",
    crs: str | None = None, areas: bool = False,
) -> Layer:
    """Read and check a GeoJSON file (size limited by ``JUNKAN_DOCUMENT_BYTES``); ``crs``
    overrides its ``crs`` member, ``areas`` limits its features (see :func:`parse_layer`)."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise NatureInputError(f"{p}: cannot read ({exc.strerror})") from None
    if size > limits().document_bytes:
        raise NatureInputError(f"{p}: {size:,} bytes; at most {limits().document_bytes:,}")
    try:
        doc = json.loads(
            p.read_text(encoding="utf-8"), parse_constant=lambda c: _bad_constant(c, p)
        )
    except (ValueError, UnicodeDecodeError) as exc:
        raise NatureInputError(f"{p}: not valid JSON ({exc})") from None
    except RecursionError:
        raise NatureInputError(f"{p}: not GeoJSON: nested too deeply (polygon coordinates "
                               "are 3 levels deep, a MultiPolygon's 4)") from None
    return parse_layer(doc, str(p), required=required, id_field=id_field, crs=crs,
                       areas=areas)


def _bad_constant(c: str, p: Path) -> None:
    raise NatureInputError(f"{p}: {c} is not a number; GeoJSON coordinates must be finite")


def reproject(layer: Layer, crs: str) -> Layer:
    """The layer in ``crs`` (rasterio's ``transform_geom``)."""
    from rasterio.warp import transform_geom

    polys = []
    for p in layer.polygons:
        try:
            geom = dict(transform_geom(layer.crs, crs, p.geometry))
        except Exception as exc:  # PROJ / GDAL errors: name the file and the feature
            raise NatureInputError(
                f"{layer.path}: feature {p.fid!r} cannot be reprojected from {layer.crs} to "
                f"{crs} ({exc}); check that its coordinates are in {layer.crs}"
            ) from None
        polys.append(Polygon(p.fid, geom, p.properties))
    return Layer(layer.path, crs, polys)


def feature_collection(polys: list[Polygon], crs: str | None = None) -> dict[str, Any]:
    """A GeoJSON document of ``polys`` (with the legacy ``crs`` member unless WGS 84)."""
    doc: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": p.properties, "geometry": p.geometry} for p in polys
        ],
    }
    if crs and crs != WGS84:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return doc


def to_wgs84(crs: str | None, xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    """Coordinates in ``crs`` as WGS 84 longitude/latitude (degrees), by rasterio (PROJ);
    unchanged when ``crs`` is None or already EPSG:4326."""
    if crs is None or crs == WGS84:
        return xs, ys
    from rasterio.warp import transform

    lon, lat = transform(crs, WGS84, xs, ys)
    return [float(v) for v in lon], [float(v) for v in lat]


def centroid(poly: Polygon, crs: str) -> dict[str, Any]:
    """The polygon's area centroid (shoelace over its rings, holes subtracted) and bounding
    box, in WGS 84 longitude/latitude (``lon``, ``lat``, ``bbox`` = [west, south, east,
    north]) for drawing the area on a map."""
    a = cx = cy = 0.0
    g = poly.geometry
    for part in [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]:
        for k, ring in enumerate(part):  # ring 0 outer, the rest holes, whatever the winding
            ra = rx = ry = 0.0
            for (x0, y0), (x1, y1) in zip(
                (p[:2] for p in ring[:-1]), (p[:2] for p in ring[1:]), strict=True
            ):
                c = x0 * y1 - x1 * y0
                ra, rx, ry = ra + c, rx + (x0 + x1) * c, ry + (y0 + y1) * c
            sign = (1.0 if k == 0 else -1.0) * (1.0 if ra >= 0 else -1.0)
            a, cx, cy = a + sign * ra, cx + sign * rx, cy + sign * ry
    x0, y0, x1, y1 = poly.bounds()
    if abs(a) > 0:
        cx, cy = cx / (3 * a), cy / (3 * a)
    else:
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    xs, ys = to_wgs84(crs, [cx, x0, x1, x0, x1], [cy, y0, y0, y1, y1])
    return {
        "lon": float(xs[0]),
        "lat": float(ys[0]),
        "bbox": [float(v) for v in (min(xs[1:]), min(ys[1:]), max(xs[1:]), max(ys[1:]))],
    }
