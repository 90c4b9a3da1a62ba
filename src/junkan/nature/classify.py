"""Land-cover classification: a random forest (scikit-learn) on bands and spectral indices,
trained on the pixels of training polygons and validated on **held-out polygons** (whole
polygons are held out per class, so neighbouring, correlated pixels never sit on both sides),
with overall accuracy, Cohen's kappa, per-class F1 and the confusion matrix. The trained model
classifies a window or a whole tile block by block (``dask.array.map_blocks``), so a tile
runs on the threaded scheduler or a ``dask.distributed`` cluster with the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from junkan.nature import indices as ix
from junkan.nature.geo import Layer, NatureInputError
from junkan.nature.rasters import Raster, mask, window

TREE_STEP = 10
"""``trees: auto``: trees added per step."""
MAX_TREES = 60
"""``trees: auto``: largest forest (the former fixed default). ASSUMPTION (junkan team),
like ``TREE_STEP``: not calibrated; ``OOB_GAIN`` usually stops the forest earlier."""
OOB_WINDOW = 20
OOB_GAIN = 0.001
"""``trees: auto`` stops once the out-of-bag accuracy gained over the last ``OOB_WINDOW``
trees is below ``OOB_GAIN`` (0.1 percentage point). Calibrated on the generated sample
scene (docs/nature.md, "Forest size"): 40 trees there, the same held-out accuracy as 60
(0.9963) at 2/3 of the prediction time."""
MAX_PIXELS_PER_POLYGON = 5_000
"""Training pixels drawn per polygon at most (seeded), so one large polygon does not
dominate; a held-out polygon's validation uses the same draw. ASSUMPTION (junkan team):
bounds memory and time per polygon; it is not a statistical parameter."""
NODATA_CLASS = 0


@dataclass(frozen=True)
class Features:
    """How a block of digital numbers becomes the feature matrix."""

    bands: tuple[str, ...]
    indices: tuple[str, ...]
    mapping: dict[str, str]
    scale: float = 1e-4
    offset: float = 0.0
    nodata: float | None = None

    @property
    def names(self) -> list[str]:
        return list(self.bands) + list(self.indices)

    def matrix(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pixels × features float32, valid flags) of a (band, y, x) block whose bands are
        ``self.bands`` in order; invalid rows are zeros."""
        x, ok = self.columns(block)
        good = ok & np.isfinite(x).all(axis=1)
        x[~good] = 0.0
        return x, good

    def columns(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pixels × features float32, possibly NaN; flags of pixels with data in every
        band) of a (band, y, x) block."""
        refl = {
            b: block[i].astype(np.float32) * np.float32(self.scale) + np.float32(self.offset)
            for i, b in enumerate(self.bands)
        }
        ok = np.ones(block.shape[1:], dtype=bool)
        for i in range(len(self.bands)):
            ok &= (
                np.isfinite(block[i])
                if self.nodata is None
                else (block[i] != self.nodata) & np.isfinite(block[i])
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            idx = ix.compute(self.indices, refl, self.mapping)
        cols = [refl[b] for b in self.bands] + [
            np.asarray(idx[n], np.float32) for n in self.indices
        ]
        return np.stack([c.reshape(-1) for c in cols], axis=1), ok.reshape(-1)


@dataclass
class Classifier:
    """A trained land-cover model and its held-out validation."""

    classes: list[str]
    """Class names; class code = position + 1 (0 = nodata)."""
    features: Features
    model: Any
    accuracy: float
    kappa: float
    f1: dict[str, float]
    confusion: list[list[int]]
    """Rows: reference class, columns: predicted class (order of ``classes``)."""
    n_train: dict[str, int] = field(default_factory=dict)
    n_test: dict[str, int] = field(default_factory=dict)
    held_out: list[str] = field(default_factory=list)
    forest: dict[str, Any] = field(default_factory=dict)
    """How the forest's size was chosen (``trees``, ``rule``, out-of-bag accuracy per step)."""
    held_out_counts: dict[str, tuple[str, list[int]]] = field(default_factory=dict)
    """Per held-out polygon: its class and its validated pixels per predicted class (order of
    ``classes``), the clusters of :meth:`validation`."""
    _voting: Any = field(default=None, init=False, repr=False, compare=False)

    def user_accuracy(self) -> dict[str, float]:
        cm = np.asarray(self.confusion, float)
        col = cm.sum(axis=0)
        return {
            c: float(cm[i, i] / col[i]) if col[i] else float("nan")
            for i, c in enumerate(self.classes)
        }

    def clusters(self) -> Any:
        """The held-out polygons as a :class:`junkan.nature.clusters.ClusterSample` (None
        without per-polygon counts)."""
        from junkan.nature.clusters import ClusterSample

        if len(self.held_out_counts) < 2:
            return None
        rows = list(self.held_out_counts.values())
        return ClusterSample.of([self.classes.index(c) for c, _ in rows], [n for _, n in rows])

    def validation(self) -> dict[str, Any] | None:
        """95 % intervals of accuracy, kappa, F1, user's and producer's accuracy with the
        held-out polygons as the sampling units (:mod:`junkan.nature.clusters`)."""
        s = self.clusters()
        return None if s is None else s.report(self.classes)

    def predict_block(self, block: np.ndarray) -> np.ndarray:
        """Class codes (uint8, 0 = nodata) of a (band, y, x) block."""
        x, good = self.features.matrix(np.asarray(block))
        return self.predict_rows(x, good).reshape(block.shape[1:])

    def predict_rows(self, x: np.ndarray, good: np.ndarray) -> np.ndarray:
        """Class codes (uint8, 0 where not ``good``) of feature rows: the forest's ``predict``
        with early vote decisions (:class:`junkan.nature.forest.VotingForest`, the same
        classes)."""
        if self._voting is None:
            from junkan.nature.forest import VotingForest

            self._voting = VotingForest(self.model)
        out = np.zeros(x.shape[0], dtype=np.uint8)
        if good.all():
            out[:] = self._voting.predict(x)
        elif good.any():
            out[good] = self._voting.predict(x[good])
        return out

    def classify(self, raster: Raster, win: tuple[slice, slice] | None = None) -> Any:
        """Lazy (y, x) Dask array of class codes of the raster (or a window of it)."""
        data = raster.data.sel(band=list(self.features.bands))
        if win is not None:
            data = data.isel(y=win[0], x=win[1])
        arr = data.data.rechunk({0: -1})
        return arr.map_blocks(self.predict_block, drop_axis=0, dtype=np.uint8)

    def to_json(self) -> dict[str, Any]:
        return {
            "classes": self.classes,
            "features": self.features.names,
            "accuracy": self.accuracy,
            "kappa": self.kappa,
            "f1": self.f1,
            "user_accuracy": self.user_accuracy(),
            "confusion": self.confusion,
            "confusion_axes": "rows: reference, columns: predicted",
            "n_train_pixels": self.n_train,
            "n_test_pixels": self.n_test,
            "held_out_polygons": self.held_out,
            "forest": self.forest,
            "held_out_counts": {
                f: {"class": c, "predicted": n} for f, (c, n) in self.held_out_counts.items()
            },
            "validation": self.validation(),
            "method": "random forest (scikit-learn) on bands + indices; validation on "
            "whole held-out polygons per class, the polygons the sampling units of its "
            "intervals",
        }


def _split(layer: Layer, classes: list[str], share: float, seed: int) -> set[str]:
    rng = np.random.default_rng(seed)
    held: set[str] = set()
    for c in classes:
        fids = sorted(p.fid for p in layer.polygons if str(p.properties["class"]) == c)
        if len(fids) < 2:
            raise NatureInputError(
                f"{layer.path}: class {c!r} has {len(fids)} polygon(s); it needs at least 2 "
                "(one to train on, one held out to validate)"
            )
        k = min(len(fids) - 1, max(1, round(share * len(fids))))
        held.update(rng.choice(fids, size=k, replace=False).tolist())
    return held


def _pixels(
    layer: Layer, raster: Raster, feats: Features, seed: int
) -> list[tuple[str, str, np.ndarray]]:
    """(polygon id, class, feature rows) of every training polygon."""
    import dask

    rng = np.random.default_rng(seed)
    wins = [window(p, raster) for p in layer.polygons]
    data = raster.data.sel(band=list(feats.bands)).data
    blocks = dask.compute(*[data[:, w[0], w[1]] for w in wins if w is not None])
    out = []
    for p, win, block in zip(layer.polygons, wins, blocks, strict=True):
        assert win is not None  # checked by check_layer
        inside = mask([p], raster, win)
        x, good = feats.matrix(block)
        rows = x[good & inside.reshape(-1)]
        if len(rows) == 0:
            raise NatureInputError(
                f"{layer.path}: training polygon {p.fid!r} covers no valid pixel of "
                f"{raster.path}; move it or use a scene without nodata there"
            )
        if len(rows) > MAX_PIXELS_PER_POLYGON:
            rows = rows[rng.choice(len(rows), MAX_PIXELS_PER_POLYGON, replace=False)]
        out.append((p.fid, str(p.properties["class"]), rows))
    return out


def train(
    layer: Layer,
    raster: Raster,
    feats: Features,
    *,
    holdout: float = 0.3,
    seed: int = 0,
    trees: int | str = "auto",
    max_depth: int | None = 16,
) -> Classifier:
    """Train on the training polygons' pixels and validate on held-out polygons."""
    from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix, f1_score

    classes = sorted({str(p.properties["class"]) for p in layer.polygons})
    if len(classes) < 2:
        raise NatureInputError(f"{layer.path}: training needs at least 2 classes")
    held = _split(layer, classes, holdout, seed)
    code = {c: i + 1 for i, c in enumerate(classes)}
    parts = _pixels(layer, raster, feats, seed)
    xtr = np.concatenate([r for f, _, r in parts if f not in held])
    ytr = np.concatenate([np.full(len(r), code[c]) for f, c, r in parts if f not in held])
    test = [(f, c, r) for f, c, r in parts if f in held]
    xte = np.concatenate([r for _, _, r in test])
    yte = np.concatenate([np.full(len(r), code[c]) for _, c, r in test])
    model, forest = _fit_forest(xtr, ytr, trees, max_depth, seed)
    pred = model.predict(xte)
    ends = np.cumsum([len(r) for _, _, r in test])[:-1]
    per = {
        f: (c, np.bincount(p, minlength=len(classes) + 1)[1:].tolist())
        for (f, c, _), p in zip(test, np.split(np.asarray(pred, int), ends), strict=True)
    }
    labels = list(code.values())
    f1 = f1_score(yte, pred, labels=labels, average=None, zero_division=0)
    return Classifier(
        classes,
        feats,
        model,
        float(accuracy_score(yte, pred)),
        float(cohen_kappa_score(yte, pred, labels=labels)),
        {c: float(v) for c, v in zip(classes, f1, strict=True)},
        confusion_matrix(yte, pred, labels=labels).tolist(),
        {c: int((ytr == code[c]).sum()) for c in classes},
        {c: int((yte == code[c]).sum()) for c in classes},
        sorted(held),
        forest,
        per,
    )


def _fit_forest(
    x: np.ndarray, y: np.ndarray, trees: int | str, max_depth: int | None, seed: int
) -> tuple[Any, dict[str, Any]]:
    """The fitted forest and how its size was chosen: ``trees`` fixed, or ``"auto"``: grown
    ``TREE_STEP`` trees at a time (``warm_start``: the first n trees are those of an n-tree
    forest) until the out-of-bag accuracy gained over the last ``OOB_WINDOW`` trees is below
    ``OOB_GAIN``, at most ``MAX_TREES``."""
    import warnings

    from sklearn.ensemble import RandomForestClassifier

    kw: dict[str, Any] = {
        "max_depth": max_depth, "random_state": seed, "n_jobs": 1, "min_samples_leaf": 2
    }
    if trees != "auto":
        model = RandomForestClassifier(n_estimators=int(trees), **kw).fit(x, y)
        return model, {"trees": int(trees), "rule": "fixed"}
    model = RandomForestClassifier(n_estimators=TREE_STEP, warm_start=True, oob_score=True, **kw)
    steps: list[tuple[int, float]] = []
    back = OOB_WINDOW // TREE_STEP
    for n in range(TREE_STEP, MAX_TREES + 1, TREE_STEP):
        model.set_params(n_estimators=n)
        with warnings.catch_warnings():  # "some inputs do not have OOB scores" (few trees)
            warnings.simplefilter("ignore", UserWarning)
            model.fit(x, y)
        steps.append((n, float(model.oob_score_)))
        if len(steps) > back and steps[-1][1] - steps[-1 - back][1] < OOB_GAIN:
            break
    return model, {
        "trees": steps[-1][0],
        "rule": f"auto: out-of-bag accuracy gain over the last {OOB_WINDOW} trees < "
        f"{OOB_GAIN:g} (at most {MAX_TREES} trees)",
        "oob_accuracy": {str(n): a for n, a in steps},
    }
