"""Your own land-cover maps (e.g. ESA WorldCover tiles), one per date, with a legend (class
value → class name): read lazily like the scenes (``rioxarray``, Dask), checked against the
scenes' grid (refused, or resampled by nearest neighbour with ``reproject: true``), and
summed per sourcing area: class areas per map, transitions first → last map, TNFD C1.1 and
the forest-loss rate from them (``use: replace``), or the per-pixel agreement of the
random-forest classes with them (``use: check``). A value in a map that the legend does not
name is an error that names it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from junkan.nature.classify import Classifier
from junkan.nature.geo import Layer, NatureInputError, Polygon
from junkan.nature.rasters import Raster, _same_crs, mask, open_raster, window
from junkan.nature.schema import Assessment, LandCoverSpec, reference

MAX_REPROJECT_PIXELS = 250_000_000
"""Largest map (or scene grid) ``reproject: true`` resamples; it is done in memory."""
COVERAGE_TOLERANCE = 0.01
"""Maps whose valid (not nodata) shares of an area differ by more than this are flagged.
ASSUMPTION (junkan team): one percentage point, not calibrated."""
WIDER = {1: np.int16, 2: np.int32, 4: np.int64}
"""The signed type a resampled map is widened to when its own type has no free fill value."""


@dataclass(frozen=True)
class Lookup:
    """Raw map values → class codes (uint16: 0 nodata, 1..K the classes, K + 1 a value the
    legend does not name); small and picklable, so a Dask worker gets it cheaply."""

    keys: np.ndarray
    codes: np.ndarray
    nodata: np.ndarray
    unknown: int

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        v = np.asarray(raw).astype(np.int64)
        pos = np.clip(np.searchsorted(self.keys, v), 0, len(self.keys) - 1)
        out = np.where(self.keys[pos] == v, self.codes[pos], np.uint16(self.unknown))
        out[np.isin(v, self.nodata)] = 0
        return out.astype(np.uint16)


@dataclass
class LandCover:
    """The opened maps, their legend (class value → name), the nodata values, the class
    names (code = position + 1) and where the maps come from."""

    spec: LandCoverSpec
    maps: list[Raster]
    legend: dict[int, str]
    nodata: frozenset[int]
    classes: list[str]
    source: str
    note: dict[str, str]
    map_nodata: list[frozenset[int]] = field(default_factory=list)
    """Per map, its own nodata values besides ``nodata`` (the file's nodata value, the fill
    value of resampled pixels): they are nodata in that map only."""

    @property
    def codes(self) -> Lookup:
        return self.lookup(None)

    def lookup(self, i: int | None) -> Lookup:
        """Raw values → class codes of map ``i`` (its own nodata values included)."""
        keys = sorted(self.legend)
        code = {c: k for k, c in enumerate(self.classes, start=1)}
        own = self.map_nodata[i] if i is not None and i < len(self.map_nodata) else set()
        return Lookup(
            np.array(keys, dtype=np.int64),
            np.array([code[self.legend[k]] for k in keys], dtype=np.uint16),
            np.array(sorted(self.nodata | own), dtype=np.int64),
            len(self.classes) + 1,
        )

    def map_source(self, i: int) -> str:
        return self.spec.maps[i].source or self.source


def _legend(spec: LandCoverSpec) -> tuple[dict[int, str], set[int], str, dict[str, str]]:
    if isinstance(spec.legend, dict):
        return dict(spec.legend), set(spec.nodata), spec.source, {}
    ref = reference("landcover_legends")["legends"][spec.legend]
    legend = {int(k): str(v) for k, v in ref["classes"].items()}
    src = f"{spec.source} (legend: {ref['source']})"
    note = {k: str(ref[k]) for k in ("note", "note_ja") if ref.get(k)}
    return legend, set(spec.nodata) | {int(v) for v in ref.get("nodata", [])}, src, note


def _on_grid(a: Assessment, i: int, r: Raster, scene0: Raster, used: set[int]
             ) -> tuple[Raster, int | None]:
    """The map on the scenes' grid: as it is, resampled (nearest) with ``reproject``, or
    refused with what to do; with the value that fills the resampled pixels outside it
    (nodata for this map only; ``used``: the legend's and the nodata values)."""
    same_crs = _same_crs(r.crs, scene0.crs)
    if same_crs and r.shape == scene0.shape and r.transform.almost_equals(scene0.transform):
        return r, None
    where = f"{a.source}: landcover.maps[{i}]: {r.path}"
    if not a.spec.landcover or not a.spec.landcover.reproject:
        what = (f"its CRS {r.crs} differs from the scenes' ({scene0.crs}, {scene0.path})"
                if not same_crs else
                f"its grid (shape {r.shape}, origin {r.transform.c:.6g}, {r.transform.f:.6g}, "
                f"pixel {r.transform.a:.6g}) differs from the scenes' ({scene0.shape}, "
                f"{scene0.transform.c:.6g}, {scene0.transform.f:.6g}, {scene0.transform.a:.6g})")
        raise NatureInputError(
            f"{where}: {what}; warp it onto the scenes' grid (gdalwarp -r near -t_srs "
            f"{scene0.crs} -tr … -te …) or set 'landcover: reproject: true' (nearest neighbour)"
        )
    big = max(r.shape[0] * r.shape[1], scene0.shape[0] * scene0.shape[1])
    if big > MAX_REPROJECT_PIXELS:
        raise NatureInputError(
            f"{where}: {big:,} pixels to resample in memory (at most "
            f"{MAX_REPROJECT_PIXELS:,}); warp it onto the scenes' grid beforehand (gdalwarp "
            f"-r near -t_srs {scene0.crs} -tr … -te …)"
        )
    from rasterio.enums import Resampling

    src, fill = r.data, _own_nodata(r)
    if fill is None:
        fill = _free_value(src.dtype, used)
        if fill is None and src.dtype.itemsize in WIDER:
            src = src.astype(WIDER[src.dtype.itemsize])
            fill = _free_value(src.dtype, used)
        if fill is None:
            raise NatureInputError(
                f"{where}: every {r.data.dtype} value is a legend class or nodata: none is "
                "left to mark the resampled pixels outside the map; warp it onto the scenes' "
                f"grid beforehand (gdalwarp -r near -dstnodata N -t_srs {scene0.crs} …)"
            )
    da = src.rio.write_nodata(fill).rio.reproject_match(
        scene0.data.isel(band=slice(0, 1)), resampling=Resampling.nearest
    )
    da = da.chunk({"band": -1, "y": a.spec.chunk, "x": a.spec.chunk})
    return Raster(r.path, da, scene0.crs, scene0.transform, float(fill)), fill


def _own_nodata(r: Raster) -> int | None:
    """The file's nodata value, if it is an integer of the map's type."""
    if r.nodata is None or not math.isfinite(r.nodata) or r.nodata != int(r.nodata):
        return None
    info = np.iinfo(r.data.dtype)
    return int(r.nodata) if info.min <= r.nodata <= info.max else None


def _free_value(dtype: np.dtype[Any], used: set[int]) -> int | None:
    """A value of ``dtype`` not in ``used`` (its maximum, minimum or 0 if free), or None."""
    info = np.iinfo(dtype)
    lo, hi = int(info.min), int(info.max)
    free = next((v for v in (hi, lo, 0) if v not in used), None)
    if free is not None or hi - lo + 1 <= len(used):
        return free
    return next(v for v in range(hi, hi - len(used) - 1, -1) if v not in used)


def open_maps(a: Assessment, scene0: Raster) -> LandCover | None:
    """The assessment's land-cover maps, opened lazily and checked: one band of integer
    class values each, on the scenes' grid (or resampled onto it)."""
    spec = a.spec.landcover
    if spec is None:
        return None
    legend, nodata, source, note = _legend(spec)
    clash = sorted(set(legend) & nodata)
    if clash:
        raise NatureInputError(
            f"{a.source}: landcover: value(s) {', '.join(map(str, clash))} are both nodata "
            "and legend classes; remove them from 'nodata:' or from the legend"
        )
    maps, own = [], []
    for i, m in enumerate(spec.maps):
        r = open_raster(a.path(m.path, f"landcover.maps[{i}].path"), chunks=a.spec.chunk)
        if r.data.sizes["band"] != 1:
            raise NatureInputError(
                f"{r.path}: {r.data.sizes['band']} bands; a land-cover map "
                f"(landcover.maps[{i}]) has one band of class values"
            )
        if not np.issubdtype(r.data.dtype, np.integer):
            raise NatureInputError(
                f"{r.path}: values are {r.data.dtype}; a land-cover map holds integer class "
                "codes (convert it: gdal_translate -ot Byte or UInt16)"
            )
        mine = {v for v in (_own_nodata(r),) if v is not None}
        bad = sorted(mine & set(legend))
        if bad:
            raise NatureInputError(
                f"{r.path}: its nodata value {bad[0]} is the legend class "
                f"{legend[bad[0]]!r} (landcover.maps[{i}]): those pixels would be neither; "
                "correct the file's nodata (gdal_edit.py -a_nodata N, or -unsetnodata) or "
                "the legend"
            )
        r, fill = _on_grid(a, i, r, scene0, set(legend) | nodata | mine)
        maps.append(r)
        own.append(frozenset(mine | ({fill} if fill is not None else set())))
    classes = list(dict.fromkeys(legend.values()))
    return LandCover(spec, maps, legend, frozenset(nodata), classes, source, note, own)


def check_classes(a: Assessment, lc: LandCover, clf: Classifier | None) -> None:
    """``replace``: the natural and converted classes are legend names; ``check``: a
    classifier and a scene per map's date, and class names in common."""
    if lc.spec.use == "replace":
        for field in ("natural_classes", "converted_classes"):
            missing = [c for c in getattr(a.spec, field) if c not in lc.classes]
            if missing:
                raise NatureInputError(
                    f"{a.source}: {field}: {missing} not in the land-cover legend "
                    f"({', '.join(lc.classes)}); name the legend's classes"
                )
        return
    if clf is None:
        raise NatureInputError(
            f"{a.source}: landcover.use: check compares the maps with the random-forest "
            "classes; give 'training' polygons, or use: replace"
        )
    if not set(clf.classes) & set(lc.classes):
        raise NatureInputError(
            f"{a.source}: landcover.legend: no class in common with the training classes "
            f"({', '.join(clf.classes)}); name the legend's classes as the training polygons do"
        )
    dates = [s.date for s in a.spec.scenes]
    for i, m in enumerate(lc.spec.maps):
        if m.date not in dates:
            raise NatureInputError(
                f"{a.source}: landcover.maps[{i}].date: {m.date} is no scene's date; to check "
                "the classifier, each map needs the scene of its date"
            )


def area_graphs(
    a: Assessment, lc: LandCover, scenes: list[Raster], areas: Layer, clf: Classifier | None
) -> list[dict[str, Any]]:
    """Per area, lazy (Dask) pixel-area sums: ``classes`` per map (codes 0..K+1), the
    transitions first → last map, and (``check``) map × classifier per map."""
    import dask.array as da

    k = len(lc.classes) + 2
    out = []
    for poly in areas.polygons:
        win = window(poly, scenes[0])
        assert win is not None
        inside = mask([poly], scenes[0], win)
        w = inside * (scenes[0].pixel_area_m2(win[0]) / 1e6)[:, None]
        codes = [
            m.data.isel(band=0, y=win[0], x=win[1]).data.map_blocks(lc.lookup(i),
                                                                      dtype=np.uint16)
            for i, m in enumerate(lc.maps)
        ]
        wd = da.from_array(w, chunks=codes[0].chunks).ravel()
        g: dict[str, Any] = {
            "classes": [da.bincount(c.ravel(), weights=wd, minlength=k) for c in codes]
        }
        if len(codes) > 1:
            pair = codes[0].astype(np.int64) * k + codes[-1]
            g["transitions"] = da.bincount(pair.ravel(), weights=wd, minlength=k * k)
        if lc.spec.use == "check" and clf is not None:
            kc = len(clf.classes) + 1
            dates = [s.date for s in a.spec.scenes]
            g["check"] = []
            for m, c in zip(lc.spec.maps, codes, strict=True):
                pred = clf.classify(scenes[dates.index(m.date)], win).rechunk(c.chunks)
                pair = c.astype(np.int64) * kc + pred
                g["check"].append(da.bincount(pair.ravel(), weights=wd, minlength=k * kc))
        out.append(g)
    return out


def unknown_values(lc: LandCover, i: int, poly: Polygon, scene0: Raster) -> list[int]:
    """The values of map ``i`` inside ``poly`` that are neither in the legend nor nodata."""
    win = window(poly, scene0)
    assert win is not None
    raw = np.asarray(lc.maps[i].data.isel(band=0, y=win[0], x=win[1]).values)
    bad = mask([poly], scene0, win) & (lc.lookup(i)(raw) == len(lc.classes) + 1)
    return [int(v) for v in np.unique(raw[bad])]


def check_values(lc: LandCover, done: list[dict[str, Any]], areas: Layer, scene0: Raster) -> None:
    """Refuse a map with values the legend does not name, or with no data over an area."""
    k = len(lc.classes)
    for poly, g in zip(areas.polygons, done, strict=True):
        for i, v in enumerate(g["classes"]):
            if v[k + 1] > 0:
                vals = unknown_values(lc, i, poly, scene0)
                raise NatureInputError(
                    f"{lc.maps[i].path}: value(s) {', '.join(map(str, vals[:20]))} in sourcing "
                    f"area {poly.fid!r} are not in the legend ({_legend_text(lc)}); add them "
                    "to 'landcover: legend:' (or to 'nodata:')"
                )
            if v[1 : k + 1].sum() <= 0:
                raise NatureInputError(
                    f"{lc.maps[i].path}: every pixel of sourcing area {poly.fid!r} is nodata; "
                    "use a map that covers it, or check its nodata value"
                )


def _legend_text(lc: LandCover) -> str:
    items = sorted(lc.legend.items())
    text = ", ".join(f"{v}: {n}" for v, n in items[:15])
    return text + (f", … ({len(items)} values)" if len(items) > 15 else "")


def _km2(lc: LandCover, v: np.ndarray) -> dict[str, float]:
    return {c: float(v[i]) for i, c in enumerate(lc.classes, start=1)}


def _map_doc(lc: LandCover, i: int, v: np.ndarray) -> dict[str, Any]:
    m, k = lc.spec.maps[i], len(lc.classes)
    valid, total = float(np.sum(v[1 : k + 1])), float(np.sum(v))
    return {"date": m.date.isoformat(), "path": m.path, "source": lc.map_source(i),
            "classes_km2": _km2(lc, v), "nodata_km2": float(v[0]), "valid_km2": valid,
            "valid_share": valid / total if total > 0 else None}


def _coverage(maps: list[dict[str, Any]]) -> dict[str, Any]:
    """A note when a map leaves part of the area nodata, and the maps whose valid share
    differs from the best-covered one's by more than :data:`COVERAGE_TOLERANCE`."""
    shares = [m["valid_share"] or 0.0 for m in maps]
    if min(shares) >= 1 - 1e-9:
        return {}
    best = max(shares)
    return {
        "coverage_note": "part of the area is nodata in some maps (valid_share per map): "
        "class areas count valid pixels only, class trends use each class's share of the "
        "valid area (× the area), and C1.1 counts only pixels valid in both maps",
        "coverage_differs": [m["date"] for m, x in zip(maps, shares, strict=True)
                             if best - x > COVERAGE_TOLERANCE],
        "coverage_tolerance": COVERAGE_TOLERANCE,
    }


def land_change(a: Assessment, lc: LandCover, g: dict[str, Any]) -> dict[str, Any]:
    """Class areas per map and, with two maps or more, TNFD C1.1 (natural in the first map,
    converted in the last), the forest-loss rate and the transitions: pixel areas of your
    maps, with no error adjustment (the maps' accuracy is their producer's)."""
    spec, k = lc.spec, len(lc.classes) + 2
    out: dict[str, Any] = {
        "from": "landcover",
        "source": lc.source,
        "maps": [_map_doc(lc, i, v) for i, v in enumerate(g["classes"])],
    }
    out |= lc.note | _coverage(out["maps"])
    if "transitions" not in g:
        return out
    t = np.asarray(g["transitions"]).reshape(k, k)
    nat = [lc.classes.index(c) + 1 for c in a.spec.natural_classes]
    conv = [lc.classes.index(c) + 1 for c in a.spec.converted_classes]
    lost = float(sum(t[i, j] for i in nat for j in conv))
    natural_first = float(sum(t[i, 1 : k - 1].sum() for i in nat))
    first, last = spec.maps[0], spec.maps[-1]
    years = (last.date - first.date).days / 365.25
    valid, total = float(t[1 : k - 1, 1 : k - 1].sum()), float(t.sum())
    out["C1.1"] = {
        "value_km2": lost,
        "valid_km2": valid,
        "valid_share": valid / total if total > 0 else None,
        "uncertainty_km2_95": None,
        "uncertainty_note": "not estimated: your maps carry no confusion matrix here; see "
        "their producer's accuracy assessment",
        "method": f"Σ pixel area mapped {'/'.join(a.spec.natural_classes)} in the land-cover "
        f"map of {first.date} and {'/'.join(a.spec.converted_classes)} in that of "
        f"{last.date} (your maps, classes by their legend), over the pixels valid (not "
        f"nodata) in both maps: {valid:.4g} of {total:.4g} km²",
        "inputs": [first.path, last.path],
    }
    out["forest_loss_rate_per_year"] = (
        lost / natural_first / years if natural_first > 0 and years > 0 else None
    )
    names = ["nodata", *lc.classes]
    out["transitions_km2"] = {
        f"{names[i]}→{names[j]}": float(t[i, j])
        for i in range(1, k - 1) for j in range(1, k - 1) if i != j and t[i, j] > 0
    }
    out["conversion_share"] = lost / valid if valid > 0 else None
    if lc.map_source(0) != lc.map_source(len(spec.maps) - 1):
        # a change of product or version: part of the change may be one of method
        out["sources_differ"] = [lc.map_source(0), lc.map_source(len(spec.maps) - 1)]
    return out


def agreement(a: Assessment, lc: LandCover, clf: Classifier, g: dict[str, Any]
              ) -> list[dict[str, Any]]:
    """Per map: the share of the area (where both have a class) on which the random-forest
    class and the map's class have the same name, and the km² of each pair."""
    k, kc = len(lc.classes) + 2, len(clf.classes) + 1
    out = []
    for m, v in zip(lc.spec.maps, g["check"], strict=True):
        cm = np.asarray(v).reshape(k, kc)[1 : k - 1, 1:]
        both = float(cm.sum())
        same = sum(float(cm[i, clf.classes.index(c)]) for i, c in enumerate(lc.classes)
                   if c in clf.classes)
        out.append({
            "date": m.date.isoformat(),
            "map": m.path,
            "compared_km2": both,
            "agreement": same / both if both > 0 else None,
            "km2": {c: {p: float(cm[i, j]) for j, p in enumerate(clf.classes) if cm[i, j] > 0}
                    for i, c in enumerate(lc.classes)},
            "method": "pixel-area share where the map's class and the random-forest class "
            "have the same name (classes of one only are disagreement)",
        })
    return out


def series(lc: LandCover, g: dict[str, Any]) -> tuple[list[float], dict[str, list[float]]]:
    """Decimal years of the maps and each class's km² per map (for the trend tests), as its
    share of the map's valid (not nodata) area times the area: a map with nodata over part
    of the area does not make every class seem to shrink."""
    years = [m.date.year + (m.date.timetuple().tm_yday - 1) / 365.25 for m in lc.spec.maps]
    k = len(lc.classes)
    per = []
    for v in g["classes"]:
        valid, total = float(np.sum(v[1 : k + 1])), float(np.sum(v))
        scale = total / valid if valid > 0 else math.nan
        per.append({c: x * scale for c, x in _km2(lc, v).items()})
    return years, {f"{c}_km2": [p[c] for p in per] for c in lc.classes}
