"""Write a fitted scikit-learn ``HistGradientBoostingClassifier`` as an ONNX graph.

skl2onnx 1.20 cannot convert this model with onnx 1.23 (it passes NumPy integer scalars
where ``onnx.helper`` wants Python ints), so the graph is built here with ``onnx.helper``:
one ``ai.onnx.ml`` ``TreeEnsembleClassifier`` whose inputs and outputs are those of a
skl2onnx-converted classifier without ZipMap — input ``X`` (float, samples × features),
outputs ``label`` (int64 or string, samples) and ``probabilities`` (float, samples ×
classes).

Each tree's nodes come from the fitted predictors (``clf._predictors``, one list per boosting
iteration holding one tree per class, or one tree for two classes): a split sends
``x <= num_threshold`` left, and a missing value left when ``missing_go_to_left``; leaves add
their value (already multiplied by the learning rate) to their class's raw score, which
starts from ``clf._baseline_prediction``. scikit-learn turns raw scores into probabilities
with a softmax (more than two classes) or, for two classes, ``p1 = expit(raw)`` and
``p0 = 1 - p1``: the post-transform is SOFTMAX, respectively LOGISTIC on the one score.

The thresholds are float64 in scikit-learn and float32 in ONNX; each is rounded *down* to
the nearest float32, so that for every float32 input ``x <= t`` decides as in scikit-learn.
Only numeric features are supported: categorical splits (bitsets) are refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np

ML_DOMAIN = "ai.onnx.ml"


def _floor32(t: np.ndarray) -> np.ndarray:
    """The largest float32 values not above ``t`` (float64), as float64.

    Parameters
    ----------
    t : numpy.ndarray
        Thresholds (float64; ``inf`` allowed).

    Returns
    -------
    numpy.ndarray
        float32-representable thresholds ``f <= t`` with no float32 strictly between.
    """
    with np.errstate(over="ignore"):
        f = t.astype(np.float32)
    up = f.astype(np.float64) > t
    f[up] = np.nextafter(f[up], np.float32(-np.inf))
    return f.astype(np.float64)


def _splits(nodes: np.ndarray, field: str) -> list[int]:
    """A node field as Python ints (``onnx.helper`` refuses NumPy scalars), 0 at leaves."""
    return [int(v) for v in np.where(nodes["is_leaf"] != 0, 0, nodes[field])]


def _check(clf: Any) -> None:
    """Refuse what this writer cannot express (ValueError naming the reason)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    if not isinstance(clf, HistGradientBoostingClassifier):
        raise TypeError(f"expected a HistGradientBoostingClassifier, got {type(clf).__name__}")
    if not hasattr(clf, "_predictors"):
        raise ValueError("the HistGradientBoostingClassifier is not fitted")
    cat = getattr(clf, "is_categorical_", None)
    if cat is not None and np.any(cat):
        cols = [int(i) for i in np.flatnonzero(cat)]
        raise ValueError(
            f"categorical features are not supported (columns {cols}): their splits are "
            "category bitsets, which a numeric TreeEnsembleClassifier cannot express; "
            "encode them as numbers before fitting"
        )
    if any(p.nodes["is_categorical"].any() for it in clf._predictors for p in it):
        raise ValueError("categorical features are not supported (a tree splits on a bitset)")


def _trees(clf: Any) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """The ``nodes_*`` and ``class_*`` attribute lists of every tree of ``clf`` (one tree per
    class and iteration, numbered in that order)."""
    k = int(clf.n_trees_per_iteration_)
    nodes: dict[str, list[Any]] = {
        key: []
        for key in (
            "treeids",
            "nodeids",
            "featureids",
            "values",
            "modes",
            "truenodeids",
            "falsenodeids",
            "missing_value_tracks_true",
        )
    }
    leaves: dict[str, list[Any]] = {key: [] for key in ("treeids", "nodeids", "ids", "weights")}
    tree = 0
    for iteration in clf._predictors:
        for cls, predictor in enumerate(iteration):
            nd = predictor.nodes
            leaf = nd["is_leaf"] != 0
            n = len(nd)
            nodes["treeids"] += [tree] * n
            nodes["nodeids"] += list(range(n))
            nodes["featureids"] += _splits(nd, "feature_idx")
            nodes["values"] += np.where(leaf, 0.0, _floor32(nd["num_threshold"])).tolist()
            nodes["modes"] += np.where(leaf, "LEAF", "BRANCH_LEQ").tolist()
            nodes["truenodeids"] += _splits(nd, "left")
            nodes["falsenodeids"] += _splits(nd, "right")
            nodes["missing_value_tracks_true"] += _splits(nd, "missing_go_to_left")
            ids = np.flatnonzero(leaf)
            leaves["treeids"] += [tree] * len(ids)
            leaves["nodeids"] += ids.tolist()
            leaves["ids"] += [cls] * len(ids)
            leaves["weights"] += nd["value"][ids].astype(np.float64).tolist()
            tree += 1
    if k == 1 and min(leaves["weights"]) >= 0:
        # onnxruntime labels a one-score classifier whose leaf weights are all >= 0 by
        # score > 0.5 (the probabilities are right); a one-leaf tree adding -1e-30 makes
        # the weights mixed, so that the label is sklearn's: raw score > 0
        for key, v in zip(nodes, (tree, 0, 0, 0.0, "LEAF", 0, 0, 0), strict=True):
            nodes[key].append(v)
        for key, v in zip(leaves, (tree, 0, 0, -1e-30), strict=True):
            leaves[key].append(v)
    return nodes, leaves


def hist_to_onnx(clf: Any, *, opset: int = 17, ml_opset: int = 3) -> Any:
    """An ONNX model computing ``clf.predict`` and ``clf.predict_proba``.

    Parameters
    ----------
    clf : sklearn.ensemble.HistGradientBoostingClassifier
        Fitted on numeric features only.
    opset, ml_opset : int
        Versions of the default and the ``ai.onnx.ml`` operator sets.

    Returns
    -------
    onnx.ModelProto
        Input ``X`` (float32, N × ``clf.n_features_in_``); outputs ``label`` (N) and
        ``probabilities`` (float32, N × classes).

    Raises
    ------
    TypeError
        ``clf`` is not a ``HistGradientBoostingClassifier``.
    ValueError
        It is not fitted, or it has categorical features.
    """
    from onnx import TensorProto, helper

    _check(clf)
    k = int(clf.n_trees_per_iteration_)
    nodes, leaves = _trees(clf)
    classes = clf.classes_
    if np.issubdtype(classes.dtype, np.integer):
        labels: dict[str, Any] = {"classlabels_int64s": classes.astype(np.int64).tolist()}
        label_type = TensorProto.INT64
    else:
        labels = {"classlabels_strings": [str(c) for c in classes]}
        label_type = TensorProto.STRING
    attrs: dict[str, Any] = {
        "base_values": np.ravel(clf._baseline_prediction).astype(np.float64).tolist(),
        "post_transform": "SOFTMAX" if k > 1 else "LOGISTIC",
        **{f"nodes_{key}": v for key, v in nodes.items()},
        **{f"class_{key}": v for key, v in leaves.items()},
        **labels,
    }
    node = helper.make_node(
        "TreeEnsembleClassifier",
        ["X"],
        ["label", "probabilities"],
        domain=ML_DOMAIN,
        name="hist_gradient_boosting",
        **attrs,
    )
    n_features = int(clf.n_features_in_)
    graph = helper.make_graph(
        [node],
        "hist_gradient_boosting_classifier",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, n_features])],
        [
            helper.make_tensor_value_info("label", label_type, [None]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, len(classes)]),
        ],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", opset), helper.make_opsetid(ML_DOMAIN, ml_opset)],
        producer_name="junkan.vision.hist_onnx",
    )
    model.ir_version = 8
    return model
