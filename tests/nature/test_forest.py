"""The tile predictor (early vote decisions) gives scikit-learn's classes, and ``trees:
auto`` sizes the forest by out-of-bag convergence."""

from __future__ import annotations

import numpy as np
import pytest

from junkan.nature import classify as _unused  # noqa: F401  (the package's import order)
from junkan.nature.forest import VotingForest

sklearn = pytest.importorskip("sklearn.ensemble")


def _forest(trees: int, seed: int = 0, leaf: int = 1) -> tuple[object, np.ndarray]:
    """A forest on overlapping classes (many undecided pixels and near ties) and test rows."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(600, 4)).astype(np.float32)
    y = (x[:, 0] + 0.8 * rng.normal(size=600) > 0).astype(int) + (x[:, 1] > 0.5)
    model = sklearn.RandomForestClassifier(
        n_estimators=trees, max_depth=6, min_samples_leaf=leaf, random_state=seed
    ).fit(x, y)
    rows = rng.normal(size=(8_000, 4)).astype(np.float32)
    rows[:50] = rows[50:100]  # duplicates
    return model, rows


@pytest.mark.parametrize(("trees", "leaf"), [(1, 1), (2, 1), (7, 3), (25, 2)])
def test_voting_forest_gives_sklearns_classes(trees: int, leaf: int) -> None:
    model, rows = _forest(trees, leaf=leaf)
    mine = VotingForest(model).predict(rows)
    assert mine.dtype == model.classes_.dtype
    np.testing.assert_array_equal(mine, model.predict(rows))


def test_voting_forest_breaks_exact_ties_like_sklearn() -> None:
    """Two trees voting for different classes: a tie everywhere, resolved to the first class
    (arg-max), as scikit-learn does."""
    model, rows = _forest(2)
    vf = VotingForest(model)
    proba = model.predict_proba(rows)
    tie = np.isclose(proba.max(axis=1), 0.5) & (np.sort(proba, axis=1)[:, -2] == 0.5)
    assert tie.sum() > 100  # the case is exercised
    np.testing.assert_array_equal(vf.predict(rows[tie]), model.predict(rows[tie]))


def test_classifier_predicts_with_it() -> None:
    from junkan.nature.classify import Classifier, Features

    model, rows = _forest(9, leaf=2)
    model.classes_ = model.classes_ + 1  # class codes 1.. (0 = nodata)
    clf = Classifier(["a", "b", "c"], Features(("B",), (), {}), model, 1.0, 1.0, {}, [])
    good = np.ones(len(rows), bool)
    good[::7] = False
    out = clf.predict_rows(rows, good)
    assert out.dtype == np.uint8 and not out[~good].any()
    np.testing.assert_array_equal(out[good], model.predict(rows[good]))


def test_auto_trees_stop_at_oob_convergence(result) -> None:  # type: ignore[no-untyped-def]
    from junkan.nature.classify import MAX_TREES, OOB_GAIN, TREE_STEP

    f = result.classifier["forest"]
    n = f["trees"]
    assert n % TREE_STEP == 0 and n <= MAX_TREES and f["rule"].startswith("auto")
    oob = list(f["oob_accuracy"].values())
    assert len(oob) == n // TREE_STEP
    assert n == MAX_TREES or oob[-1] - oob[-3] < OOB_GAIN  # stopped at convergence
    assert all(b - a >= OOB_GAIN for a, b in zip(oob[:-3], oob[2:-1], strict=True))
