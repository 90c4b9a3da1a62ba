"""The capability's verbs: ``load``, ``run``, ``classify`` and ``classify_tile``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from junkan.nature.assess import features, open_scenes, train_classifier
from junkan.nature.blocks import Layout, reduce
from junkan.nature.classify import Classifier
from junkan.nature.engine import run
from junkan.nature.geo import NatureInputError
from junkan.nature.rasters import Raster
from junkan.nature.schema import Assessment, load

__all__ = ["classify", "classify_tile", "load", "run"]


def classify(
    a: Assessment, *, scene: int | None = None, out: str | Path | None = None
) -> Classifier:
    """Train the land-cover model on the assessment's training polygons (validated on
    held-out polygons); with ``out``, write the class map of ``scene`` (default: the
    training scene) as a tiled GeoTIFF (uint8, 0 = nodata), computed block by block."""
    scenes = open_scenes(a)
    feats = features(a, scenes)
    clf = train_classifier(a, scenes, feats)
    if clf is None:
        raise NatureInputError(
            f"{a.source}: training: required to classify; give a GeoJSON "
            "of training polygons with a 'class' property"
        )
    if out is not None:
        write_classes(clf, scenes[a.spec.training_scene if scene is None else scene], out)
    return clf


def write_classes(clf: Classifier, raster: Raster, out: str | Path) -> Path:
    import xarray as xr

    cls = clf.classify(raster)
    da = xr.DataArray(cls, dims=("y", "x"), coords={"y": raster.data["y"], "x": raster.data["x"]})
    da = da.rio.write_crs(raster.crs).rio.write_transform(raster.transform)
    da = da.rio.write_nodata(0)
    da.attrs["classes"] = ",".join(clf.classes)
    da.rio.to_raster(out, tiled=True, compress="deflate", lock=False)
    return Path(out)


def classify_tile(raster: Raster, clf: Classifier, *, scheduler: Any = None) -> dict[str, Any]:
    """Indices and classes over a whole raster, block by block (the same reduction as
    :func:`run`'s): each index's mean and standard deviation over valid pixels, and each
    class's pixel count; nothing of the tile's size is held in memory."""
    import dask

    f = clf.features
    data = raster.data.sel(band=list(f.bands)).data.rechunk({0: -1})
    lay = Layout(tuple(f.indices), len(clf.classes), 1, "MNDWI" in f.indices)
    (vec,) = dask.compute(
        reduce([data], None, 1.0, f, clf, 0.0), **({"scheduler": scheduler} if scheduler else {})
    )
    s = lay.scene(vec, 0)
    out: dict[str, Any] = {
        "pixels": int(np.prod(raster.shape)),
        "valid": int(s["n_valid"]),
        "indices": {},
    }
    for name in f.indices:
        n, tot, tot2 = float(s[f"{name}:n"]), float(s[f"{name}:sum"]), float(s[f"{name}:sum2"])
        m = tot / n if n else float("nan")
        out["indices"][name] = {
            "n": int(n),
            "mean": m,
            "sd": float(np.sqrt(max(0.0, tot2 / n - m * m))) if n else None,
        }
    out["classes"] = {c: int(s[f"class:{k}"]) for k, c in enumerate(clf.classes, start=1)}
    return out
