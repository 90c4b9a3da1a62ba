"""Block-wise reductions: one NumPy function turns a chunk of every scene (plus the
polygon's mask and pixel areas) into a fixed-length vector of sums; Dask runs one task per
chunk and adds the vectors in a fixed order, so the threaded scheduler and a
``dask.distributed`` cluster give bit-identical numbers, and the graph stays small (a handful
of tasks per chunk, whatever the number of indices)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from junkan.nature.classify import Classifier, Features


@dataclass(frozen=True)
class Layout:
    """Positions in the statistics vector."""

    indices: tuple[str, ...]
    classes: int
    scenes: int
    water: bool

    @property
    def per_scene(self) -> int:
        return 2 + 3 * len(self.indices) + 1 + self.classes

    @property
    def size(self) -> int:
        k = self.classes + 1
        return self.scenes * self.per_scene + (k * k if self.classes and self.scenes > 1 else 0)

    def scene(self, vec: np.ndarray, s: int) -> dict[str, Any]:
        v = vec[s * self.per_scene : (s + 1) * self.per_scene]
        out: dict[str, Any] = {"n_valid": v[0], "valid_km2": v[1]}
        for i, name in enumerate(self.indices):
            out[f"{name}:n"], out[f"{name}:sum"], out[f"{name}:sum2"] = v[2 + 3 * i : 5 + 3 * i]
        j = 2 + 3 * len(self.indices)
        if self.water:
            out["water_km2"] = v[j]
        for k in range(self.classes):
            out[f"class:{k + 1}"] = v[j + 1 + k]
        return out

    def transitions(self, vec: np.ndarray) -> np.ndarray | None:
        if not self.classes or self.scenes < 2:
            return None
        k = self.classes + 1
        return vec[self.scenes * self.per_scene :].reshape(k, k)


def _scene_part(
    block: np.ndarray,
    inside: np.ndarray,
    w: np.ndarray,
    feats: Features,
    clf: Classifier | None,
    thr: float,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Sums of one scene's chunk; the feature columns (bands, then indices) are computed
    once and serve both the index statistics and the classifier."""
    x, band_ok = feats.columns(block)
    ok = inside.reshape(-1) & band_ok
    wf = w.reshape(-1)
    parts = [float(ok.sum()), float(wf[ok].sum())]
    water = 0.0
    nb = len(feats.bands)
    for i, name in enumerate(feats.indices):
        arr = x[:, nb + i]
        good = ok & np.isfinite(arr)
        v = arr[good].astype(np.float64)
        parts += [float(good.sum()), float(v.sum()), float((v * v).sum())]
        if name == "MNDWI":
            water = float(wf[good & (arr > thr)].sum())
    parts.append(water)
    cls = None
    if clf is not None:
        if clf.features == feats:
            rows = ok & np.isfinite(x).all(axis=1)
            cls = clf.predict_rows(x, rows)  # only the ``rows`` are read
        else:
            cls = clf.predict_block(block).reshape(-1)
            cls[~ok] = 0
        parts += [float(wf[cls == k].sum()) for k in range(1, len(clf.classes) + 1)]
        cls = cls.reshape(block.shape[1:])
    return np.asarray(parts), cls


def stats_vector(
    stack: np.ndarray,
    inside: np.ndarray | None,
    w: np.ndarray | float,
    feats: Features,
    clf: Classifier | None,
    thr: float,
) -> np.ndarray:
    """The statistics vector (see :class:`Layout`) of a (scene, band, y, x) chunk
    (``inside`` None: every pixel; ``w`` a constant: the same area for every pixel)."""
    shape = stack.shape[2:]
    inside = np.ones(shape, bool) if inside is None else inside
    w = np.full(shape, w) if isinstance(w, int | float) else np.asarray(w)
    out: list[np.ndarray] = []
    maps: list[Any] = []
    for s in range(stack.shape[0]):
        vec, cls = _scene_part(stack[s], inside, w, feats, clf, thr)
        out.append(vec)
        maps.append(cls)
    if clf is not None and stack.shape[0] > 1:
        k = len(clf.classes) + 1
        code = maps[0].astype(np.int64) * k + maps[-1]
        out.append(np.bincount(code.ravel(), weights=w.ravel(), minlength=k * k))
    return np.concatenate(out)


def reduce(
    arrays: list[Any],
    inside: np.ndarray | None,
    w: np.ndarray | float,
    feats: Features,
    clf: Classifier | None,
    thr: float,
) -> Any:
    """A delayed statistics vector of the (band, y, x) Dask arrays ``arrays`` (one per
    scene, same grid): one task per chunk, summed in chunk order. ``inside`` None = every
    pixel; ``w`` per-pixel km² (array of the arrays' shape) or a constant."""
    import dask

    first = arrays[0]
    rows, cols = first.chunks[1], first.chunks[2]
    parts, y0 = [], 0
    fn = dask.delayed(stats_vector, pure=True)
    for h in rows:
        x0 = 0
        for wd in cols:
            ys, xs = slice(y0, y0 + h), slice(x0, x0 + wd)
            stack = [a[:, ys, xs] for a in arrays]
            ins = None if inside is None else inside[ys, xs]
            wk = w if np.isscalar(w) else np.asarray(w)[ys, xs]
            parts.append(fn(dask.delayed(np.stack)(stack), ins, wk, feats, clf, thr))
            x0 += wd
        y0 += h
    return dask.delayed(_sum, pure=True)(parts)


def _sum(parts: list[np.ndarray]) -> np.ndarray:
    total = np.zeros_like(parts[0])
    for p in parts:
        total = total + p
    return total
