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

__all__ = ["classify", "classify_tile", "load", "run", "service_job", "shown_paths"]


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
    path = Path(out)
    part = path.with_name(f".{path.name}.part")
    try:
        da.rio.to_raster(part, driver="GTiff", tiled=True, compress="deflate", lock=False)
        if not _any_class(part):
            raise NatureInputError(
                f"{raster.path}: no pixel has a valid value (not nodata {raster.nodata}) in "
                "every band the classifier reads, so the class map would be all nodata; "
                f"nothing written to {path}. Map a scene that covers the area without "
                "clouds, or check the nodata value in the file"
            )
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)
    return path


def _any_class(path: Path) -> bool:
    """Whether the written class map has a classified pixel (read block by block)."""
    import rasterio

    with rasterio.open(path) as src:
        return any(bool(src.read(1, window=w).any()) for _, w in src.block_windows(1))


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


def shown_paths(msg: str, bases: dict[str, str]) -> str:
    """``msg`` without a server's absolute paths: each folder of ``bases`` (as given and
    resolved) is dropped before the files under it (shown relative to it, as a request names
    them) and named by its value where it stands alone (e.g. ``$JUNKAN_NATURE_ROOT``)."""
    pairs: list[tuple[str, str]] = []
    for base, name in bases.items():
        for form in {base.rstrip("/"), str(Path(base).resolve())}:
            if form:
                pairs.append((form, name))
    for form, name in sorted(pairs, key=lambda p: -len(p[0])):  # longest first
        msg = msg.replace(form + "/", "" if name.startswith("$") else name + "/")
        msg = msg.replace(form, name)
    return msg


def service_job(kind: str, doc: dict[str, Any] | None, root: str | None,
                sample: dict[str, int] | None, *, max_pixels: int, root_name: str
                ) -> dict[str, Any]:
    """The service's job (in its worker): load the assessment ``doc`` (paths under ``root``)
    or write the generated ``sample`` to a temporary folder, and run it (``kind``
    ``classify`` or ``assess``); the JSON document. Its errors name files as the request
    does (relative to ``root``, which is shown as ``$root_name``), never the server's
    absolute paths (:func:`shown_paths`)."""
    import tempfile

    from junkan.core.errors import JunkanError

    with tempfile.TemporaryDirectory(prefix="junkan-nature-") as tmp:
        try:
            return _job(kind, doc, root, sample, tmp, max_pixels)
        except (JunkanError, ValueError, KeyError) as exc:  # shown to the user
            msg = str(exc.args[0] if exc.args else exc)
            bases = {tmp: "sample"} | ({root: f"${root_name}"} if root else {})
            raise NatureInputError(shown_paths(msg, bases)) from None


def _job(kind: str, doc: dict[str, Any] | None, root: str | None,
         sample: dict[str, int] | None, tmp: str, max_pixels: int) -> dict[str, Any]:
    from junkan.core.encoding import jsonable
    from junkan.nature.rasters import open_raster
    from junkan.nature.sample import write_sample

    if sample is not None:
        a = load(write_sample(tmp, size=sample["size"], seed=sample["seed"]))
    else:
        assert doc is not None and root is not None
        a = load(doc=doc, base=root, source="assessment", confine=True)
    scenes = [open_raster(a.path(s.path, "scenes")) for s in a.spec.scenes]
    pixels = sum(r.shape[0] * r.shape[1] for r in scenes)
    if pixels > max_pixels:
        raise NatureInputError(
            f"scenes: {pixels:,} pixels; the service reads at most "
            f"{max_pixels:,} per job (use 'junkan nature' for more)"
        )
    if kind == "classify":
        return dict(jsonable(classify(a).to_json()))
    return dict(jsonable(run(a).to_json()))
