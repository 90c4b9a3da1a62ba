"""The assessment engine: open the scenes lazily, check the inputs, train the land-cover
model, and compute each sourcing area's indicators per scene in one Dask graph."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from junkan.core.errors import short
from junkan.nature import indices as ix
from junkan.nature.blocks import Layout, reduce
from junkan.nature.checklist import csv_rows
from junkan.nature.classify import Classifier, Features, train
from junkan.nature.cloudy import OPTION_HINT
from junkan.nature.geo import Layer, NatureInputError, read_layer, reproject
from junkan.nature.rasters import (
    Raster,
    check_layer,
    check_same_grid,
    mask,
    nodata_error,
    open_raster,
    window,
)
from junkan.nature.schema import Assessment

MAX_MONTHS = 12 * 200


def layer(a: Assessment, rel: str, field: str, raster: Raster, required: tuple[str, ...]) -> Layer:
    lay = read_layer(a.path(rel, field), required=required, crs=a.spec.polygon_crs.get(field),
                     areas=field == "areas")
    if a.spec.reproject_polygons:
        lay = reproject(lay, raster.crs)
    check_layer(lay, raster)
    return lay


def open_scenes(a: Assessment) -> list[Raster]:
    rev = {v: v for v in a.spec.bands.values()}
    scenes = [
        open_raster(a.path(s.path, f"scenes[{i}].path"), chunks=a.spec.chunk, bands=rev)
        for i, s in enumerate(a.spec.scenes)
    ]
    check_same_grid(scenes)
    return scenes


def features(a: Assessment, scenes: list[Raster]) -> Features:
    """Bands (every mapped band the first scene has, in mapping order) and the indices; every
    scene must have the bands the indices need and the bands the classifier reads."""
    raster = scenes[0]
    needed = ix.needed_bands(a.spec.indices, a.spec.bands)
    for scene in scenes:
        for b in needed:
            scene.band(b)
    bands = [b for b in dict.fromkeys(a.spec.bands.values()) if b in raster.bands]
    for scene in scenes[1:]:
        missing = [b for b in bands if b not in scene.bands]
        if missing:
            raise NatureInputError(
                f"{scene.path}: no band {', '.join(map(repr, missing))}, which {raster.path} "
                "has; every scene needs the same bands (the land-cover model reads them all): "
                "add them, or drop them from 'bands:'"
            )
    return Features(
        tuple(bands),
        tuple(a.spec.indices),
        dict(a.spec.bands),
        a.spec.scale,
        a.spec.offset,
        raster.nodata,
    )


def read_precipitation(path: Path) -> dict[str, tuple[list[str], np.ndarray]]:
    """Monthly precipitation CSV (``month`` as YYYY-MM, ``mm``), consecutive months; with an
    ``area`` column, one series per sourcing area (an empty ``area`` is the series of every
    area without its own). Keyed by area id, ``""`` for the shared series."""
    rows_by: dict[str, list[tuple[int, int, float, str]]] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:  # Excel writes a BOM
            rows = csv.DictReader(fh)
            if rows.fieldnames is None or not {"month", "mm"} <= set(rows.fieldnames):
                raise NatureInputError(f"{path}: needs columns 'month' (YYYY-MM) and 'mm' "
                                       "(and optionally 'area')")
            for i, r in enumerate(csv_rows(rows, str(path)), start=2):
                try:
                    y, m = (int(v) for v in str(r["month"]).split("-"))
                    v = float(r["mm"]) if r["mm"] not in ("", None) else float("nan")
                    if not 1 <= m <= 12:
                        raise ValueError(m)
                except ValueError:
                    raise NatureInputError(
                        f"{path}: line {i}: month {short(r['month'])}, mm {short(r['mm'])}: "
                        "month must be YYYY-MM (MM 01 to 12) and mm a number"
                    ) from None
                if v < 0 or v > 10_000 or v != v and r["mm"] not in ("", None):
                    raise NatureInputError(
                        f"{path}: line {i}: mm={short(r['mm'])} is not a "
                        "monthly precipitation (0–10,000 mm)"
                    )
                group = rows_by.setdefault(str(r.get("area") or "").strip(), [])
                group.append((i, y * 12 + m, v, str(r["month"])))
                if sum(len(g) for g in rows_by.values()) > MAX_MONTHS * 50:
                    raise NatureInputError(f"{path}: more than {MAX_MONTHS * 50:,} rows")
    except OSError as exc:
        raise NatureInputError(f"{path}: cannot read ({exc.strerror})") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise NatureInputError(f"{path}: not a UTF-8 CSV file ({exc})") from None
    return {area: _series(path, area, g) for area, g in rows_by.items()}


def _series(path: Path, area: str, rows: list[tuple[int, int, float, str]]
            ) -> tuple[list[str], np.ndarray]:
    """One area's consecutive monthly series (at least 2 years, at most ``MAX_MONTHS``)."""
    where = f"{path}" + (f" (area {area!r})" if area else "")
    for (_, prev, _, _), (line, k, _, _) in zip(rows, rows[1:], strict=False):
        if k != prev + 1:
            raise NatureInputError(f"{where}: line {line}: months must be consecutive")
    if len(rows) > MAX_MONTHS:
        raise NatureInputError(f"{where}: more than {MAX_MONTHS} months")
    if len(rows) < 24:
        raise NatureInputError(f"{where}: {len(rows)} months; SPI needs at least 2 years")
    labels = [f"{(k - 1) // 12}-{(k - 1) % 12 + 1:02d}" for _, k, _, _ in rows]
    return labels, np.asarray([v for _, _, v, _ in rows])


def _area_weights(raster: Raster, win: tuple[slice, slice], inside: np.ndarray) -> np.ndarray:
    """km² of each pixel of the window inside the polygon (0 outside)."""
    rows = raster.pixel_area_m2(win[0]) / 1e6
    return np.asarray(inside * rows[:, None], dtype=np.float64)


def compute_areas(
    a: Assessment,
    scenes: list[Raster],
    areas: Layer,
    feats: Features,
    clf: Classifier | None,
    scheduler: Any = None,
) -> list[dict[str, Any]]:
    """Per area: the per-scene statistics and the class transitions first → last, all
    computed in one ``dask.compute`` (``scheduler``: None = the default: threads, or the
    active ``dask.distributed`` Client)."""
    import dask

    lay = Layout(
        tuple(feats.indices), len(clf.classes) if clf else 0, len(scenes), "MNDWI" in feats.indices
    )
    graphs, meta = [], []
    for poly in areas.polygons:
        win = window(poly, scenes[0])
        assert win is not None
        inside = mask([poly], scenes[0], win)
        w = _area_weights(scenes[0], win, inside)
        arrays = [
            r.data.sel(band=list(feats.bands)).isel(y=win[0], x=win[1]).data.rechunk({0: -1})
            for r in scenes
        ]
        graphs.append(reduce(arrays, inside, w, feats, clf, a.spec.water_threshold))
        meta.append((int(inside.sum()), float(w.sum())))
    done = dask.compute(*graphs, **({"scheduler": scheduler} if scheduler else {}))
    out = []
    for poly, vec, (n_in, km2) in zip(areas.polygons, done, meta, strict=True):
        per = [lay.scene(vec, i) | {"n_inside": n_in, "area_km2": km2} for i in range(len(scenes))]
        for i, s in enumerate(per):
            if int(s["n_valid"]) == 0:
                err = nodata_error(scenes[i], f"sourcing area {poly.fid!r}")
                raise NatureInputError(str(err) + OPTION_HINT)
        g: dict[str, Any] = {"scenes": per}
        t = lay.transitions(vec)
        if t is not None:
            g["transitions"] = t
        out.append(g)
    return out


def train_classifier(a: Assessment, scenes: list[Raster], feats: Features) -> Classifier | None:
    if a.spec.training is None:
        return None
    if a.spec.training_scene >= len(scenes):
        raise NatureInputError(
            f"{a.source}: training_scene: {a.spec.training_scene} but "
            f"there are {len(scenes)} scenes"
        )
    r = scenes[a.spec.training_scene]
    lay = layer(a, a.spec.training, "training", r, ("class",))
    return train(lay, r, feats, holdout=a.spec.holdout, seed=a.spec.seed, trees=a.spec.trees)
