"""Whole-tile prediction of a scikit-learn random forest that stops each pixel's vote as
soon as its class is decided — the same class as ``RandomForestClassifier.predict`` for
every pixel, at about half the work.

scikit-learn's ``predict`` sums every tree's leaf class proportions (soft vote) in tree
order, divides by the number of trees ``T`` and takes the arg-max. A tree adds at most 1 to
any class (its leaf's proportions sum to 1), so once the leading class's sum exceeds the
runner-up's by more than the number of trees still to come, no remaining tree can change the
arg-max. :class:`VotingForest` therefore

1. sums the first ``T // 2 + 1`` trees for every pixel (fewer can never decide): each
   tree's leaf from scikit-learn's own ``Tree.apply`` (the same float32-against-float64
   split comparisons), its proportions from ``tree_.value`` as ``predict_proba`` reads them;
   trees go in groups whose leaf counts multiply to ≤ ``GROUP_CELLS``, and one table
   look-up per class adds a group's summed proportions;
2. adds the remaining trees one at a time, only for the pixels not yet decided (margin ≤
   trees left + ``MARGIN_EPS``), compacting them as they shrink;
3. takes the arg-max; pixels that got every tree and whose two best classes tie within
   ``MARGIN_EPS`` are summed again in scikit-learn's exact order and divided by ``T``, so
   even exact ties resolve as scikit-learn resolves them.

On the generated 10,980² px tile with 60 trees, about 35 trees per pixel are evaluated and
no pixels × classes array is allocated per tree: 218 CPU-s instead of 438, the same class
counts (``benchmarks/results/nature_trees60_voting.json`` against ``nature_trees60.json``).

Alternatives measured on a 1024² px chunk, 60 trees (load 3–5, ``docs/nature.md``):
scikit-learn ``predict`` 3.1 s; onnxruntime's TreeEnsembleClassifier (skl2onnx, one thread)
3.7 s; NumPy look-up tables of each tree's cell grid 5.3 s (NumPy's per-element cost of
``take``/``searchsorted`` exceeds a compiled node walk).
"""

from __future__ import annotations

from typing import Any

import numpy as np

MARGIN_EPS = 1e-9
"""Safety margin on a decision: the rounding error of summing ≤ 500 proportions in float64,
in any order, is below 1e-12."""
GROUP_CELLS = 4096
"""Largest vote table of a group of trees (product of their leaf counts)."""


class VotingForest:
    """A fitted ``RandomForestClassifier`` that predicts like its ``predict`` with early
    decisions; rows are float32 (pixels × features)."""

    def __init__(self, model: Any) -> None:
        self.classes = np.asarray(model.classes_)
        k = len(self.classes)
        self.trees = [e.tree_ for e in model.estimators_]
        # (classes, nodes): one contiguous row per class, read with 1-D ``take``
        self.proba = [
            np.ascontiguousarray(t.value[:, 0, :k].T, dtype=np.float64) for t in self.trees
        ]
        self.first = min(len(self.trees), len(self.trees) // 2 + 1)
        self.groups = _groups(self.trees[: self.first], self.proba[: self.first])

    def predict(self, rows: np.ndarray) -> np.ndarray:
        """Class labels (``classes_`` values) of the feature ``rows``."""
        return np.asarray(self.classes[self.argmax(rows)])

    def argmax(self, rows: np.ndarray) -> np.ndarray:
        """Class positions (into ``classes_``) of the feature ``rows``; identical to
        ``np.argmax(model.predict_proba(rows), axis=1)``."""
        rows = np.ascontiguousarray(rows, dtype=np.float32)
        n, k, total = rows.shape[0], len(self.classes), len(self.trees)
        if n == 0 or k < 2:
            return np.zeros(n, dtype=np.intp)
        acc = self._first_trees(rows)
        sub, sub_rows, done = np.arange(n), rows, True
        sums = list(acc)  # per class: 1-D arrays (views of acc until compacted)
        for t in range(self.first, total):
            still = _margin(sums) <= total - t + MARGIN_EPS
            if not still.any():
                done = False
                break
            if still.mean() < 0.75:  # compact to the open pixels (decided ones may ride along)
                if sums[0].base is not acc:  # copies: keep the decided pixels' sums
                    drop = ~still
                    for c in range(k):
                        acc[c, sub[drop]] = sums[c][drop]
                sub, sub_rows = sub[still], sub_rows[still]
                sums = [v[still] for v in sums]
            leaves = self.trees[t].apply(sub_rows)
            for c in range(k):
                sums[c] += np.take(self.proba[t][c], leaves, mode="clip")
        if sums[0].base is not acc:
            for c in range(k):
                acc[c, sub] = sums[c]
        out = np.asarray(np.argmax(acc, axis=0))
        if done:  # pixels that got every tree and whose best two classes (nearly) tie
            tie = sub[_margin(sums) <= MARGIN_EPS]
            if len(tie):
                out[tie] = self._exact(rows[tie])
        return out

    def _first_trees(self, rows: np.ndarray) -> np.ndarray:
        """(classes, pixels) vote sums of the first ``first`` trees, a group at a time."""
        n, k = rows.shape[0], len(self.classes)
        acc = np.zeros((k, n))
        buf = np.empty(n)
        code = np.empty(n, dtype=np.intp)
        for members, votes in self.groups:
            code[:] = 0
            for t, leaf_code in members:
                code += np.take(leaf_code, self.trees[t].apply(rows), mode="clip")
            for c in range(k):
                np.take(votes[c], code, out=buf, mode="clip")
                acc[c] += buf
        return acc

    def _exact(self, rows: np.ndarray) -> np.ndarray:
        """scikit-learn's own arithmetic: every tree in order, divided by their number."""
        acc = np.zeros((len(self.classes), rows.shape[0]))
        for tree, proba in zip(self.trees, self.proba, strict=True):
            acc += proba[:, tree.apply(rows)]
        acc /= len(self.trees)
        return np.asarray(np.argmax(acc, axis=0))


Group = tuple[list[tuple[int, np.ndarray]], np.ndarray]


def _groups(trees: list[Any], proba: list[np.ndarray]) -> list[Group]:
    """Consecutive trees whose leaf counts multiply to ≤ ``GROUP_CELLS``: each tree's node →
    its leaf's share of the group's code, and the group's (classes, codes) summed votes."""
    out: list[Group] = []
    i = 0
    while i < len(trees):
        members: list[tuple[int, np.ndarray]] = []
        size = 1
        while i < len(trees):
            leaves = np.flatnonzero(trees[i].children_left < 0)
            if members and size * len(leaves) > GROUP_CELLS:
                break
            leaf_code = np.zeros(trees[i].node_count, dtype=np.intp)
            leaf_code[leaves] = np.arange(len(leaves)) * size
            members.append((i, leaf_code))
            size *= len(leaves)
            i += 1
        code = np.arange(size)
        votes = np.zeros((proba[0].shape[0], size))
        for t, leaf_code in members:
            leaves = np.flatnonzero(trees[t].children_left < 0)
            stride = int(leaf_code[leaves[1]]) if len(leaves) > 1 else 1
            votes += proba[t][:, leaves[(code // stride) % len(leaves)]]
        out.append((members, votes))
    return out


def _margin(acc: list[np.ndarray] | np.ndarray) -> np.ndarray:
    """Leading minus runner-up sum of each pixel, from one sums array per class."""
    first = np.full(len(acc[0]), -np.inf)
    second = first.copy()
    for row in acc:
        np.maximum(second, np.minimum(first, row), out=second)
        np.maximum(first, row, out=first)
    return np.asarray(first - second)
