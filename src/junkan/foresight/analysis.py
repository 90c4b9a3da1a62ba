"""Scenario analysis: groups, branching points and their drivers, transition probabilities,
the inputs that lead to each group, and ratings. The branch-point idea (cluster the ensemble,
then find the year the groups part and the factor behind it) follows Hitachi's patent
application US 2024/0184951 A1; scenario discovery with PRIM follows Bryant & Lempert,
Technological Forecasting and Social Change 77 (2010) 34–49.

* **Groups**: z-scored KPI paths → PCA (≤ 20 components) → k-means (scikit-learn).
  ``k="auto"`` picks k in 6–12 by the largest mean silhouette (Rousseeuw 1987) on a
  2,000-scenario subsample.
* **Branch year** of groups A, B: the earliest year from which some factor's effect size
  (Cohen's d = |μ_A − μ_B| / pooled sd) stays ≥ 1.5 for 5 years running (factors with pooled
  sd < 0.01 are skipped). The **driver** is the factor with the largest d that year, traced up
  the causal graph to the ancestor whose own divergence starts earliest.
* **Transitions**: the state at each year is clustered (same k); P(final group | year cluster).
* **Inputs → groups**: extra-trees feature importances (Geurts, Ernst & Wehenkel 2006); a PRIM
  box (Friedman & Fisher 1999: peeling, α = 0.05, minimum mass 0.05) per group.
* **Ratings**: per KPI family, each group's median final-year score (KPIs oriented by their
  ``better`` direction) ranked into thirds: ◎ top, ○ middle, △ bottom.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from junkan.foresight.engine import Ensemble

D_THRESHOLD = 1.5
PRIM_INPUTS = 20
"""PRIM peels only the inputs with the top extra-trees scores."""
SD_FLOOR = 0.01
MIN_RUN = 5
"""Years the effect size must stay ≥ D_THRESHOLD for a divergence to count as a branch."""


@dataclass
class Analysis:
    """Groups of an ensemble with their shares, branches, transitions, input drivers, PRIM
    boxes and ratings. ``to_frame()`` gives one row per group, ``to_json()`` the analysis
    document of the CLI and the API, ``report(out)`` the HTML report."""

    k: int
    labels: np.ndarray  # (N,)
    silhouette: dict[int, float]
    shares: list[float]
    branches: list[dict[str, Any]]
    transitions: list[dict[str, Any]]
    feature_scores: list[tuple[str, float]]
    boxes: list[dict[str, Any]]
    ratings: list[dict[str, str]]
    medians: list[dict[str, float]] = field(default_factory=list)
    ensemble: Ensemble | None = field(default=None, repr=False, compare=False)
    """The ensemble analysed (set by :func:`analyse`; needed by ``to_json`` and ``report``)."""

    def _ens(self) -> Ensemble:
        if self.ensemble is None:
            raise ValueError("this analysis carries no ensemble; make it with analyse()")
        return self.ensemble

    def to_frame(self) -> Any:
        """One row per group: group (A, B, …), share, and per KPI family its rating (◎ ○ △)
        and median final-year family score (column ``<family>_score``)."""
        import pandas as pd

        from junkan.foresight.report import group_name

        rows = []
        for g in range(self.k):
            row: dict[str, Any] = {"group": group_name(g), "share": self.shares[g]}
            for fam in sorted(self.ratings[g]):
                row[fam] = self.ratings[g][fam]
                row[f"{fam}_score"] = self.medians[g].get(fam, float("nan"))
            rows.append(row)
        return pd.DataFrame(rows)

    def to_json(self, *, median_paths: bool = False) -> dict[str, Any]:
        """The analysis document (:func:`document`), JSON-ready; ``median_paths`` adds each
        group's median path per KPI family (what the service's foresight page draws)."""
        from junkan.core.encoding import jsonable

        ens = self._ens()
        doc = document(ens, self)
        if median_paths:
            doc["group_median_paths"] = group_median_paths(ens, self)
        return dict(jsonable(doc))

    def report(self, out: str | Path) -> Path:
        """Write ``report.html`` (with ``plotly.min.js`` beside it) and ``analysis.json``
        into ``out``; returns the page's path."""
        import json

        from junkan.core.encoding import jsonable
        from junkan.foresight.report import write_report

        ens = self._ens()
        page = write_report(ens, self, Path(out))
        (Path(out) / "analysis.json").write_text(
            json.dumps(jsonable(document(ens, self)), indent=2, ensure_ascii=False))
        return page


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


def group(ens: Ensemble, k: int | str = 9, seed: int = 0) -> tuple[np.ndarray, int,
                                                                   dict[int, float]]:
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.metrics import silhouette_score

    feats = ens.kpis.transpose(2, 0, 1).reshape(ens.n, -1).astype(np.float64)
    sd = feats.std(axis=0)
    z = (feats - feats.mean(axis=0)) / np.where(sd > 1e-9, sd, 1.0)
    n_comp = int(min(20, z.shape[1], max(1, ens.n - 1)))
    proj = PCA(n_components=n_comp, random_state=seed).fit_transform(z)
    scores: dict[int, float] = {}
    with _limit_threads():
        if k == "auto":
            rng = np.random.default_rng(seed)
            sub = rng.choice(ens.n, size=min(2000, ens.n), replace=False)
            for cand in range(6, 13):
                lab = KMeans(cand, n_init=3, random_state=seed).fit_predict(proj[sub])
                scores[cand] = float(silhouette_score(proj[sub], lab))
            k = max(scores, key=lambda c: scores[c])
        km = KMeans(int(k), n_init=4, random_state=seed).fit(proj)
    # order groups by size (largest first) for stable naming
    order = np.argsort(-np.bincount(km.labels_, minlength=int(k)))
    relabel = np.empty(int(k), dtype=np.int64)
    relabel[order] = np.arange(int(k))
    return relabel[km.labels_], int(k), scores


def _group_stats(states: np.ndarray, labels: np.ndarray, k: int) -> tuple[np.ndarray,
                                                                        np.ndarray]:
    """Means and variances (T, K, G) per group."""
    onehot = np.zeros((labels.size, k), dtype=np.float32)
    onehot[np.arange(labels.size), labels] = 1.0
    counts = onehot.sum(axis=0)
    t_n, k_n, n = states.shape
    flat = states.reshape(t_n * k_n, n)  # BLAS matrix products, chunked over rows
    mean = np.empty((t_n * k_n, k), dtype=np.float64)
    sq = np.empty_like(mean)
    step = 512
    for r in range(0, t_n * k_n, step):
        block = flat[r:r + step]
        mean[r:r + step] = block @ onehot
        sq[r:r + step] = (block * block) @ onehot
    mean = (mean / counts).reshape(t_n, k_n, k)
    sq = (sq / counts).reshape(t_n, k_n, k)
    return mean, np.maximum(sq - mean * mean, 0.0)


def _persistent_year(d: np.ndarray) -> int | None:
    """First index t from which d ≥ threshold holds for MIN_RUN years in a row (or to the
    last year, if fewer remain); None if never. Groups that part and later both saturate
    still branched when they parted."""
    ok = d >= D_THRESHOLD
    n = len(ok)
    for t in range(n):
        if ok[t:min(t + MIN_RUN, n)].all() and (t + MIN_RUN <= n or ok[t:].all()):
            return t
    return None


def branches(ens: Ensemble, labels: np.ndarray, k: int) -> list[dict[str, Any]]:
    c = ens.compiled
    states = ens.states if ens.states is not None else ens.kpis
    ids = c.ids if ens.states is not None else [c.ids[i] for i in c.kpis]
    mean, var = _group_stats(states, labels, k)
    out: list[dict[str, Any]] = []
    for a in range(k):
        for b in range(a + 1, k):
            pooled = np.sqrt((var[:, :, a] + var[:, :, b]) / 2)
            d = np.where(pooled >= SD_FLOOR, np.abs(mean[:, :, a] - mean[:, :, b]) /
                         np.maximum(pooled, SD_FLOOR), 0.0)  # (T, K)
            first = [_persistent_year(d[:, f]) for f in range(d.shape[1])]
            years = [y for y in first if y is not None]
            if not years:
                out.append({"groups": [a, b], "branch_year": None, "driver": None})
                continue
            t_b = min(years)
            cand = [f for f, y in enumerate(first) if y == t_b]
            f_star = max(cand, key=lambda f: d[t_b, f])
            driver = f_star
            if ens.states is not None:
                seen, stack, best = {f_star}, list(c.parents[f_star]), (t_b, -d[t_b, f_star])
                while stack:
                    anc = stack.pop()
                    if anc in seen:
                        continue
                    seen.add(anc)
                    stack.extend(c.parents[anc])
                    y = first[anc]
                    if y is not None and (y, -d[y, anc]) < best:
                        best, driver = (y, -d[y, anc]), anc
            out.append({"groups": [a, b], "branch_year": int(c.years[t_b]),
                        "diverging_factor": ids[f_star], "driver": ids[driver],
                        "effect_size": float(d[t_b, f_star])})
    return out


def transitions(ens: Ensemble, labels: np.ndarray, k: int, seed: int = 0,
                every: int = 1) -> list[dict[str, Any]]:
    """P(final group | state cluster at year t), and how decided the future is by year t
    (the share of scenarios whose year-t cluster predicts their final group)."""
    from sklearn.cluster import KMeans

    c = ens.compiled
    out = []
    with _limit_threads():
        for t in range(0, len(c.years), every):
            xt = ens.kpis[t].T.astype(np.float64)
            sd = xt.std(axis=0)
            if not (sd > 1e-9).any():
                out.append({"year": int(c.years[t]), "decided": float(np.bincount(labels).max()
                                                                      / labels.size)})
                continue
            cl = KMeans(k, n_init=2, random_state=seed).fit_predict(
                (xt - xt.mean(axis=0)) / np.where(sd > 1e-9, sd, 1.0))
            table = np.zeros((k, k))
            np.add.at(table, (cl, labels), 1)
            prob = table / np.maximum(table.sum(axis=1, keepdims=True), 1)
            out.append({"year": int(c.years[t]), "decided": float(table.max(axis=1).sum() /
                                                                  labels.size),
                        "p_final_given_cluster": prob.round(4).tolist()})
    return out


def feature_scores(ens: Ensemble, labels: np.ndarray, seed: int = 0,
                   top: int = 15) -> list[tuple[str, float]]:
    from sklearn.ensemble import ExtraTreesClassifier

    if ens.inputs.shape[1] == 0:
        return []
    with _limit_threads():
        et = ExtraTreesClassifier(n_estimators=100, random_state=seed, n_jobs=1,
                                  min_samples_leaf=5).fit(ens.inputs, labels)
    order = np.argsort(-et.feature_importances_)[:top]
    return [(ens.compiled.input_names[i], float(et.feature_importances_[i])) for i in order]


def prim_box(x: np.ndarray, y: np.ndarray, names: list[str], alpha: float = 0.05,
             mass_min: float = 0.05) -> dict[str, Any]:
    """PRIM peeling (Friedman & Fisher 1999): repeatedly cut the α-tail of one input that
    raises the box's density of ``y`` most, while the box keeps ≥ mass_min of the points.
    Returns the box with the best density (coverage and density reported)."""
    inside = np.ones(len(y), dtype=bool)
    lo, hi = x.min(axis=0).copy(), x.max(axis=0).copy()
    total = max(int(y.sum()), 1)
    best = {"density": float(y.mean()), "coverage": 1.0, "limits": {}}
    while inside.mean() > mass_min:
        cand = None
        for j in range(x.shape[1]):
            xj = x[inside, j]
            for side in ("lo", "hi"):
                q = np.quantile(xj, alpha if side == "lo" else 1 - alpha)
                keep = inside & ((x[:, j] >= q) if side == "lo" else (x[:, j] <= q))
                if keep.sum() < mass_min * len(y) or keep.sum() == inside.sum():
                    continue
                dens = y[keep].mean()
                if cand is None or dens > cand[0]:
                    cand = (dens, j, side, q, keep)
        if cand is None or cand[0] <= y[inside].mean():
            break
        dens, j, side, q, keep = cand
        inside = keep
        if side == "lo":
            lo[j] = q
        else:
            hi[j] = q
        if dens > best["density"]:
            limits = {names[i]: [float(lo[i]), float(hi[i])] for i in range(x.shape[1])
                      if lo[i] > x[:, i].min() or hi[i] < x[:, i].max()}
            best = {"density": float(dens), "coverage": float(y[inside].sum() / total),
                    "mass": float(inside.mean()), "limits": limits}
    return best


def family_scores(ens: Ensemble) -> dict[str, np.ndarray]:
    """Per KPI family, the mean of its KPIs oriented so that higher is better (a
    ``better: lower`` KPI counts as 1 − x): (T, N) arrays in [0, 1]."""
    c = ens.compiled
    kpi_pos = {int(f): i for i, f in enumerate(c.kpis)}
    out = {}
    for fam, members in c.families.items():
        parts = [ens.kpis[:, kpi_pos[m], :].astype(np.float64) for m in members]
        parts = [1.0 - v if c.model.factors[m].better == "lower" else v
                 for v, m in zip(parts, members, strict=True)]
        out[fam] = np.mean(parts, axis=0)
    return out


def fan(values: np.ndarray, quantiles: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
        ) -> dict[str, list[float]]:
    """Quantile bands over scenarios of a (T, N) array: {"q05": [...T], ...}."""
    q = np.quantile(values, quantiles, axis=1) if values.shape[1] else np.full(
        (len(quantiles), values.shape[0]), np.nan)
    return {f"q{round(100 * p):02d}": q[i].round(5).tolist() for i, p in enumerate(quantiles)}


def ratings(ens: Ensemble, labels: np.ndarray, k: int,
            lower_is_better: tuple[str, ...] = ()) -> tuple[list[dict[str, str]],
                                                            list[dict[str, float]]]:
    """◎/○/△ per group and KPI family, and the family score behind it: the group's median
    over scenarios of the mean final-year KPI value, each KPI oriented so that higher is
    better (a ``better: lower`` KPI counts as 1 − x; a family in ``lower_is_better`` flips)."""
    medians = [{} for _ in range(k)]  # type: list[dict[str, float]]
    marks = [{} for _ in range(k)]  # type: list[dict[str, str]]
    for fam, path in family_scores(ens).items():
        score = path[-1]
        if fam in lower_is_better:
            score = 1.0 - score
        vals = np.array([float(np.median(score[labels == g])) if (labels == g).any()
                         else np.nan for g in range(k)])
        order = np.argsort(-vals)
        for rank, g in enumerate(order):
            medians[g][fam] = float(vals[g])
            marks[g][fam] = "◎" if rank < k / 3 else "○" if rank < 2 * k / 3 else "△"
    return marks, medians


def analyse(ens: Ensemble, k: int | str = 9, seed: int = 0,
            lower_is_better: tuple[str, ...] = (), transitions_every: int = 1) -> Analysis:
    labels, k_used, sil = group(ens, k, seed)
    scores = feature_scores(ens, labels, seed, top=PRIM_INPUTS)
    boxes = []
    if scores:
        # PRIM on the inputs that matter (the top extra-trees scores): peeling every one of
        # hundreds of inputs at each step costs minutes and yields the same boxes
        cols = [ens.compiled.input_names.index(name) for name, _ in scores]
        names = [name for name, _ in scores]
        for g in range(k_used):
            boxes.append({"group": g, **prim_box(ens.inputs[:, cols],
                                                  (labels == g).astype(float), names)})
    marks, medians = ratings(ens, labels, k_used, lower_is_better)
    return Analysis(k=k_used, labels=labels, silhouette=sil,
                    shares=(np.bincount(labels, minlength=k_used) / labels.size).tolist(),
                    branches=branches(ens, labels, k_used),
                    transitions=transitions(ens, labels, k_used, seed, transitions_every),
                    feature_scores=scores[:15], boxes=boxes,
                    ratings=marks, medians=medians, ensemble=ens)


def scenario_tree(res: Analysis, end_year: int) -> list[dict[str, Any]]:
    """The groups' scenario tree: complete linkage on (end_year + 1 − branch year), so groups
    that part late join first and a clade joins at the earliest year any of its members
    parted from the other side (read: "these futures stay together until that year"). Each
    merge lists its members, that branch year and the driver of that pair; a pair that never
    parts joins at ``end_year + 1`` (branch_year None). Merges are ordered root last."""
    from scipy.cluster.hierarchy import linkage

    k = res.k
    if k < 2:
        return []
    year = np.full((k, k), end_year + 1.0)
    pair: dict[tuple[int, int], dict[str, Any]] = {}
    for b in res.branches:
        a, c = b["groups"]
        if b["branch_year"] is not None:
            year[a, c] = year[c, a] = b["branch_year"]
        pair[(a, c)] = pair[(c, a)] = b
    dist = (end_year + 1.0) - year
    condensed = dist[np.triu_indices(k, 1)]
    z = linkage(condensed, method="complete")
    members: dict[int, list[int]] = {g: [g] for g in range(k)}
    out = []
    for i, (left, right, height, _) in enumerate(z):
        lm, rm = members[int(left)], members[int(right)]
        a, c = min(((x, y) for x in lm for y in rm), key=lambda xy: year[xy])
        b = pair.get((a, c), {})
        members[k + i] = lm + rm
        out.append({"node": k + i, "children": [int(left), int(right)],
                    "groups": sorted(lm + rm), "branch_year": int(round(end_year + 1 - height))
                    if height > 0 else None, "driver": b.get("driver"),
                    "diverging_factor": b.get("diverging_factor")})
    return out


def document(ens: Ensemble, res: Analysis) -> dict[str, Any]:
    """The JSON document of an analysis: groups, ratings, branches, the scenario tree, how
    decided the future is by year, the inputs that lead to each group."""
    c = ens.compiled
    return {"model": c.model.name, "scenarios": ens.n, "seed": ens.seed, "k": res.k,
            "years": c.years.tolist(), "silhouette": res.silhouette,
            "group_shares": res.shares, "branches": res.branches,
            "scenario_tree": scenario_tree(res, int(c.years[-1])),
            "decided_by_year": [{"year": t["year"], "decided": t["decided"]}
                                for t in res.transitions],
            "input_drivers": res.feature_scores, "prim_boxes": res.boxes,
            "ratings": res.ratings, "family_scores_final_year": res.medians}


def group_median_paths(ens: Ensemble, res: Analysis) -> list[dict[str, list[float]]]:
    """Per group, the median path of every KPI family's score (rounded to 4 digits)."""
    scores = family_scores(ens)
    return [{f: np.median(v[:, res.labels == g], axis=1).round(4).tolist()
             for f, v in scores.items()} for g in range(res.k)]
