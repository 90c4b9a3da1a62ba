"""The ONNX writer for HistGradientBoostingClassifier (junkan.vision.hist_onnx)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("sklearn")

import onnxruntime as ort  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402

from junkan.vision.hist_onnx import _floor32, hist_to_onnx  # noqa: E402


def _run(model, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    label, proba = sess.run(None, {"X": x})
    return np.asarray(label), np.asarray(proba, float)


def _data(classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(400, 6)).astype(np.float32)
    x[:, 2] = np.round(x[:, 2], 1)  # repeated values: many rows sit on a threshold
    score = x[:, 0] + 2 * x[:, 1] - x[:, 2] + rng.normal(size=400)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1]))
    x[rng.random(x.shape) < 0.15] = np.nan
    x[:40, 3] = np.nan  # a column with a block of missing values
    return x, y


def _fit(x: np.ndarray, y: np.ndarray, **kw) -> HistGradientBoostingClassifier:  # type: ignore[no-untyped-def]
    args = {"max_iter": 20, "max_leaf_nodes": 15, "max_bins": 31, "random_state": 0} | kw
    return HistGradientBoostingClassifier(**args).fit(x, y)


@pytest.mark.parametrize("classes", [2, 4])
@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_probabilities_and_labels_match_sklearn(classes: int, class_weight: str | None) -> None:
    x, y = _data(classes)
    clf = _fit(x, y, class_weight=class_weight)
    x_new, _ = _data(classes, seed=1)  # other rows, NaNs included
    for rows in (x, x_new):
        label, proba = _run(hist_to_onnx(clf), rows)
        assert proba.shape == (len(rows), classes)
        assert np.abs(proba - clf.predict_proba(rows)).max() <= 1e-5
        assert (label == clf.predict(rows)).all()


def test_graph_has_the_inputs_and_outputs_of_the_skl2onnx_export() -> None:
    x, y = _data(4)
    model = hist_to_onnx(_fit(x, y))
    assert [i.name for i in model.graph.input] == ["X"]
    assert [o.name for o in model.graph.output] == ["label", "probabilities"]
    (node,) = model.graph.node
    assert node.op_type == "TreeEnsembleClassifier" and node.domain == "ai.onnx.ml"
    assert {o.domain: o.version for o in model.opset_import} == {"": 17, "ai.onnx.ml": 3}


def test_string_classes_give_string_labels() -> None:
    x, y = _data(2)
    clf = _fit(x, np.array(["cast", "wrought"])[y])
    label, proba = _run(hist_to_onnx(clf), x)
    assert (label == clf.predict(x)).all()
    assert np.abs(proba - clf.predict_proba(x)).max() <= 1e-5


def test_binary_labels_when_every_leaf_weight_is_positive() -> None:
    x, y = _data(2)
    clf = _fit(x, y, max_iter=2, max_depth=2)
    for it in clf._predictors:  # shift every leaf up: onnxruntime's 0.5 rule would differ
        for p in it:
            leaf = p.nodes["is_leaf"] == 1
            p.nodes["value"][leaf] = np.abs(p.nodes["value"][leaf]) + 0.1
    label, proba = _run(hist_to_onnx(clf), x)
    assert np.abs(proba - clf.predict_proba(x)).max() <= 1e-5
    assert (label == clf.predict(x)).all()


def test_a_tampered_threshold_changes_the_output() -> None:
    x, y = _data(4)
    clf = _fit(x, y)
    model = hist_to_onnx(clf)
    values = next(a for a in model.graph.node[0].attribute if a.name == "nodes_values")
    values.floats[0] = 1e30  # tree 0's root now sends every value left
    _, proba = _run(model, x)
    assert np.abs(proba - clf.predict_proba(x)).max() > 1e-3


def test_thresholds_round_down_to_float32() -> None:
    t = np.array([1.0 - 1e-9, 1.0 + 1e-9, 0.1, np.inf, 1e300])
    f = _floor32(t)
    assert (f <= t).all() and (f.astype(np.float32).astype(float) == f).all()
    assert f[0] < 1.0 and f[1] == 1.0 and f[3] == np.inf and np.isfinite(f[4])
    # a float32 input equal to 1.0 must not pass `x <= 1 - 1e-9`
    assert not np.float32(1.0) <= f[0]


def test_categorical_features_are_refused() -> None:
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.integers(0, 4, 300), rng.normal(size=300)])
    y = (x[:, 0] == 2).astype(int)
    clf = HistGradientBoostingClassifier(max_iter=5, categorical_features=[0]).fit(x, y)
    with pytest.raises(ValueError, match=r"categorical features are not supported \(columns \[0\]"):
        hist_to_onnx(clf)


def test_unfitted_and_other_models_are_refused() -> None:
    with pytest.raises(ValueError, match="not fitted"):
        hist_to_onnx(HistGradientBoostingClassifier())
    with pytest.raises(TypeError, match="HistGradientBoostingClassifier"):
        hist_to_onnx(object())
