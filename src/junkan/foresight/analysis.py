"""Scenario analysis: groups, the scenario tree with branch years and their drivers,
transitions, the inputs that lead to each group, and ratings. The branch-point idea (cluster
the ensemble, then find the year the groups part and the factor behind it) follows Hitachi's
patent application US 2024/0184951 A1; scenario discovery with PRIM follows Bryant & Lempert,
Technological Forecasting and Social Change 77 (2010) 34–49.

* **Groups** (:mod:`~junkan.foresight.grouping`): standardised KPI paths → PCA (≤ 20
  components) → k-means; ``k="auto"`` picks k in 2–12 by the largest mean silhouette.
* **Branches and the tree** (:mod:`~junkan.foresight.branching`): for every pair of groups and
  every node of the tree (Ward's agglomeration of the groups, so the root is the split that
  separates the KPI paths most), whether the two sides really parted, the year they did and
  the factor or lever that drove it; a split whose smaller side has fewer than
  max(5, 5 % of n) scenarios is not reported (:func:`~junkan.foresight.limits.min_side`).
* **Transitions**: year-t clusters → P(final group), how decided the future is by year t.
* **Inputs → groups** (:mod:`~junkan.foresight.discovery`): extra-trees scores, PRIM boxes.
* **Ratings**: per KPI family, each group's median final-year score (KPIs oriented by their
  ``better`` direction) ranked into thirds: ◎ top, ○ middle, △ bottom (:func:`mark`) — all
  ○ where the groups' scores do not differ (Kruskal–Wallis p ≥ 0.05).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from junkan.foresight.branching import (  # noqa: F401  re-exported
    D_THRESHOLD,
    MIN_RUN,
    R2_THRESHOLD,
    SD_FLOOR,
    GroupStats,
    branches,
    group_stats,
)
from junkan.foresight.branching import scenario_tree as _tree
from junkan.foresight.discovery import PRIM_INPUTS, boxes, feature_scores, prim_box  # noqa: F401
from junkan.foresight.engine import Ensemble
from junkan.foresight.grouping import (  # noqa: F401
    K_MAX,
    K_MIN,
    _limit_threads,
    group,
    transitions,
)
from junkan.foresight.limits import MIN_ANALYSE_SCENARIOS, why_least


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
    tree: list[dict[str, Any]] = field(default_factory=list)
    """The scenario tree (:func:`junkan.foresight.branching.scenario_tree`), root last."""
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
    better (a ``better: lower`` KPI counts as 1 − x; a family in ``lower_is_better`` flips).
    The groups are ranked into thirds only where their scores differ: where a Kruskal–Wallis
    test finds no difference between the groups (p ≥ :data:`RATING_ALPHA`), every group is ○
    (thirds of equal groups marked noise as ◎ and △)."""
    medians = [{} for _ in range(k)]  # type: list[dict[str, float]]
    marks = [{} for _ in range(k)]  # type: list[dict[str, str]]
    for fam, path in family_scores(ens).items():
        score = path[-1]
        if fam in lower_is_better:
            score = 1.0 - score
        vals = np.array([float(np.median(score[labels == g])) if (labels == g).any()
                         else np.nan for g in range(k)])
        differ = groups_differ([score[labels == g] for g in range(k)])
        order = np.argsort(-vals)
        for rank, g in enumerate(order):
            medians[g][fam] = float(vals[g])
            marks[g][fam] = mark(rank, k) if differ else "○"
    return marks, medians


def mark(rank: int, k: int) -> str:
    """The rating of the group ranked ``rank`` (0 best) of ``k`` that differ: as many ◎ at
    the top as △ at the bottom, a third of the groups each (rounded, at least one when there
    are two or more groups), ○ between. With two groups the worse is △ (review 283: it was
    ○, the lower third of two being empty), with three ◎ ○ △, with six two of each."""
    edge = max(1, round(k / 3)) if k >= 2 else 0
    return "◎" if rank < edge else "△" if rank >= k - edge else "○"


RATING_ALPHA = 0.05
"""Significance level below which the groups' scores of a KPI family are taken to differ
(Kruskal–Wallis H test, scipy.stats.kruskal); the conventional 5 %, an assumption."""


def groups_differ(samples: list[np.ndarray]) -> bool:
    """Whether the score samples of the groups (two or more non-empty) differ: Kruskal–Wallis
    p < :data:`RATING_ALPHA`; all values equal is no difference."""
    from scipy import stats

    filled = [x for x in samples if x.size]
    if len(filled) < 2:
        return False
    values = np.concatenate(filled)
    if np.all(values == values[0]):  # no difference (scipy ≥ 1.15 says NaN with a warning)
        return False
    try:
        return bool(stats.kruskal(*filled).pvalue < RATING_ALPHA)
    except ValueError:  # every value the same (older scipy)
        return False


def check_k(k: int | str) -> int | str:
    """``k``: a whole number of groups from 2 to 20, or "auto" (a ``ValueError`` otherwise)."""
    if k == "auto":
        return k
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 2 <= int(k) <= 20:
        raise ValueError(f"k: give a whole number of groups from 2 to 20, or 'auto' "
                         f"(got {k!r})")
    return int(k)


def check_ensemble(ens: Ensemble) -> None:
    """Refuse an ensemble that cannot be grouped, naming the rule."""
    if ens.n < MIN_ANALYSE_SCENARIOS:
        raise ValueError(f"n: an analysis needs at least {MIN_ANALYSE_SCENARIOS} scenarios "
                         f"(got {ens.n}): {why_least(MIN_ANALYSE_SCENARIOS)}")
    if not np.isfinite(ens.kpis).all():
        raise ValueError("the ensemble's KPI paths contain NaN or infinite values; a model "
                         "loaded with foresight.load cannot produce them: check how this "
                         "ensemble was made")


def analyse(ens: Ensemble, k: int | str = 9, seed: int = 0,
            lower_is_better: tuple[str, ...] = (), transitions_every: int = 1) -> Analysis:
    """Group the scenarios, find where the groups part and why, and rate them."""
    k = check_k(k)
    check_ensemble(ens)
    if not isinstance(transitions_every, int) or transitions_every < 1:
        raise ValueError(f"transitions_every: give a whole number of years ≥ 1 "
                         f"(got {transitions_every!r})")
    with _limit_threads():  # one BLAS thread: on a shared machine threads only wait
        labels, k_used, sil, proj = group(ens, min(int(k), ens.n - 1) if k != "auto" else k,
                                          seed)
        stats = group_stats(ens, labels, k_used)
        tree = _tree(stats, labels, proj, k_used)
        scores = feature_scores(ens, labels, seed, top=PRIM_INPUTS)
        marks, medians = ratings(ens, labels, k_used, lower_is_better)
        return Analysis(k=k_used, labels=labels, silhouette=sil,
                        shares=(np.bincount(labels, minlength=k_used) / labels.size).tolist(),
                        branches=branches(stats, k_used, tree),
                        transitions=transitions(ens, labels, k_used, seed, transitions_every),
                        feature_scores=scores[:15],
                        boxes=boxes(ens, labels, k_used, scores, seed),
                        ratings=marks, medians=medians, ensemble=ens, tree=tree)


def scenario_tree(res: Analysis, end_year: int | None = None) -> list[dict[str, Any]]:
    """The analysis's scenario tree, root last (``end_year`` is ignored; kept for callers of
    the former signature)."""
    return res.tree


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
