"""Scenario groups: KPI paths → standardised features → PCA → k-means, the choice of k, and
how decided the future is year by year (clusters of each year's state → final groups).

* **Features**: the KPI paths in the engine's normalised units (every KPI's 0–1 range
  counts the same, so a KPI that moves a lot weighs more than one that jitters), centred;
  then PCA (≤ 20 components, float32). Dividing each (year, KPI) column by its
  own spread instead would give a KPI that hardly moves in 27 years the weight of 27 columns
  and let it outvote a policy that moves another KPI across its range.
* **k-means** (Lloyd, k-means++ starts; scikit-learn) on the components; groups are named by
  size (A the largest).
* **k = "auto"**: k from 2 to 12 with the largest mean silhouette (Rousseeuw 1987) of a
  k-means of a 2,000-scenario subsample, measured in the same components.
* **Transitions**: each year's KPI state (centred the same way) is clustered into k
  clusters by k-means fitted on a 2,000-scenario subsample (one k-means++ start) and every
  scenario assigned to its nearest centre; the table P(final group | year-t cluster) is
  filled year by year and "decided" is the share of scenarios whose year-t cluster predicts
  their final group.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from junkan.foresight.engine import Ensemble

SD_FLOOR = 0.01
"""Smallest spread a state is divided by (normalised units, states live in [0, 1])."""
K_MIN, K_MAX = 2, 12
"""Range of ``k="auto"``."""
SUBSAMPLE = 2000
"""Scenarios the silhouette and the yearly clusterings are fitted on."""
N_COMPONENTS = 20


def _limit_threads() -> Any:
    """One BLAS/OpenMP thread for the clustering and the trees: on a small machine shared
    with other work, oversubscribed threads make k-means several times slower (timings in
    ``benchmarks/README.md``)."""
    try:
        from threadpoolctl import threadpool_limits

        return threadpool_limits(1)
    except ImportError:  # pragma: no cover
        from contextlib import nullcontext

        return nullcontext()


def _kmeans(k: int, seed: int, n_init: int = 1) -> Any:
    from sklearn.cluster import KMeans

    return KMeans(k, n_init=n_init, random_state=seed)


def centred(x: np.ndarray) -> np.ndarray:
    """Columns of (N, d) ``x`` as float32, centred."""
    x = np.asarray(x, dtype=np.float32)
    return x - x.mean(axis=0, dtype=np.float64).astype(np.float32)


def features(ens: Ensemble, seed: int = 0) -> np.ndarray:
    """(N, ≤ 20) float32 principal components of the KPI paths."""
    from sklearn.decomposition import PCA

    z = centred(ens.kpis.transpose(2, 0, 1).reshape(ens.n, -1))
    n_comp = int(min(N_COMPONENTS, z.shape[1], max(1, ens.n - 1)))
    if n_comp >= min(z.shape):
        return z
    # few columns (years × KPIs): the eigenvectors of the covariance matrix, exact and
    # fastest; many columns: randomised SVD
    solver = "covariance_eigh" if z.shape[1] <= 1000 else "randomized"
    with _limit_threads():
        pca = PCA(n_components=n_comp, svd_solver=solver, random_state=seed)
        return np.asarray(pca.fit_transform(z), dtype=np.float32)


def choose_k(proj: np.ndarray, seed: int = 0) -> tuple[int, dict[int, float]]:
    """k in K_MIN…K_MAX with the largest mean silhouette on a subsample; the scores per k."""
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(seed)
    sub = proj[rng.choice(len(proj), size=min(SUBSAMPLE, len(proj)), replace=False)]
    scores: dict[int, float] = {}
    with _limit_threads(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fewer distinct points than clusters
        for cand in range(K_MIN, min(K_MAX, len(sub) - 1) + 1):
            lab = _kmeans(cand, seed, n_init=3).fit_predict(sub)
            if len(np.unique(lab)) > 1:
                scores[cand] = float(silhouette_score(sub, lab))
    if not scores:
        return K_MIN, scores
    return max(scores, key=lambda c: (scores[c], -c)), scores


def group(ens: Ensemble, k: int | str = 9, seed: int = 0
          ) -> tuple[np.ndarray, int, dict[int, float], np.ndarray]:
    """Labels (0 = the largest group), k, the silhouette per candidate k (``"auto"``) and
    the components the groups were made in."""
    proj = features(ens, seed)
    scores: dict[int, float] = {}
    if k == "auto":
        k, scores = choose_k(proj, seed)
    k = int(k)
    with _limit_threads(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = _kmeans(k, seed, n_init=4).fit_predict(proj)
    counts = np.bincount(labels, minlength=k)
    order = np.argsort(-counts, kind="stable")
    k = int((counts > 0).sum())  # fewer distinct paths than k: only the groups that exist
    relabel = np.empty(len(counts), dtype=np.int64)
    relabel[order] = np.arange(len(counts))
    return relabel[labels], k, scores, proj


def transitions(ens: Ensemble, labels: np.ndarray, k: int, seed: int = 0,
                every: int = 1) -> list[dict[str, Any]]:
    """Per year: how decided the future is (the share of scenarios whose year-t cluster
    predicts their final group) and P(final group | year-t cluster)."""
    c = ens.compiled
    rng = np.random.default_rng(seed)
    sub = rng.choice(ens.n, size=min(SUBSAMPLE, ens.n), replace=False)
    out = []
    with _limit_threads(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in range(0, len(c.years), every):
            xt = ens.kpis[t].T
            if not (xt.std(axis=0) >= SD_FLOOR).any():  # nothing has parted yet
                cl = np.zeros(ens.n, dtype=np.int64)
            else:
                z = centred(xt)
                cl = _kmeans(k, seed).fit(z[sub]).predict(z)
            table = np.zeros((k, k))
            np.add.at(table, (cl, labels), 1)
            prob = table / np.maximum(table.sum(axis=1, keepdims=True), 1)
            out.append({"year": int(c.years[t]),
                        "decided": float(table.max(axis=1).sum() / labels.size),
                        "p_final_given_cluster": prob.round(4).tolist()})
    return out
