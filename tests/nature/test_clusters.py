"""Held-out polygons as the sampling units (junkan.nature.clusters): the linearised
variances against finite differences and the textbook ratio formula, and — the check that
can fail — the coverage of the 95 % intervals over many draws of polygons from a simulated
map whose errors are correlated within polygons: the cluster interval covers about 95 %,
the pixel one (pixels taken as independent, the former method) far less."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.stats import beta

from junkan.nature.clusters import ClusterSample
from junkan.nature.metrics import adjusted_areas, error_rate_bounds

K = 3


def _population(seed: int, n_poly: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    """(reference class, pixels per predicted class) of every polygon of a map: a quarter
    of the polygons are badly mapped (≈ 40 % of their pixels go to one other class), the
    rest well (≈ 1.6 %), so errors cluster in polygons."""
    rng = np.random.default_rng(seed)
    ref = rng.choice(K, size=n_poly, p=[0.5, 0.3, 0.2])
    size = rng.integers(30, 151, size=n_poly)
    bad = rng.random(n_poly) < 0.25
    share = np.where(bad, rng.beta(2, 3, n_poly), rng.beta(1, 60, n_poly))
    wrong = np.round(share * size).astype(int)
    other = (ref + rng.integers(1, K, size=n_poly)) % K
    counts = np.zeros((n_poly, K))
    counts[np.arange(n_poly), ref] = size - wrong
    counts[np.arange(n_poly), other] += wrong
    return ref, counts


def _confusion(ref: np.ndarray, counts: np.ndarray) -> list[list[int]]:
    """Pixel error matrix, reference rows and predicted columns (sklearn's order)."""
    cm = np.zeros((K, K))
    np.add.at(cm, ref, counts)
    return cm.astype(int).tolist()


@pytest.mark.slow  # 1,000 draws: about 0.7 CPU-s
def test_intervals_cover_95_percent_where_the_pixel_ones_do_not() -> None:
    # measured (seeds 7, 11): accuracy 0.941 (pixels 0.233), area of class 1 0.974 (0.189)
    ref, counts = _population(7)
    cm = np.asarray(_confusion(ref, counts), float)
    true_acc = np.trace(cm) / cm.sum()
    mapped = cm.sum(axis=0)  # mapped pixels per class over the whole map
    true_area = cm.sum(axis=1)  # reference pixels per class
    rng = np.random.default_rng(11)
    reps, n = 1000, 40
    hit = {"acc": [0, 0], "area": [0, 0]}
    for _ in range(reps):
        u = rng.choice(len(ref), size=n, replace=False)
        s = ClusterSample.of(ref[u], counts[u])
        acc, se = s.accuracy()
        lo, hi = s.proportion_interval(acc, se, float(counts[u].sum()), s.design_effect())
        hit["acc"][0] += lo <= true_acc <= hi
        npx = counts[u].sum()
        hit["acc"][1] += abs(acc - true_acc) <= 1.96 * np.sqrt(acc * (1 - acc) / npx)
        area, ase = s.adjusted_areas(mapped)
        parea, pse = adjusted_areas(_confusion(ref[u], counts[u]), mapped)
        assert area == pytest.approx(parea)  # same point estimate, another variance
        hit["area"][0] += abs(area[1] - true_area[1]) <= s.t95 * ase[1]
        hit["area"][1] += abs(parea[1] - true_area[1]) <= 1.96 * pse[1]
    cover = {k: (v[0] / reps, v[1] / reps) for k, v in hit.items()}
    for k, (clusters, pixels) in cover.items():
        assert 0.92 <= clusters <= 0.985, (k, cover)
        assert pixels <= 0.75, (k, cover)  # the former method: far too narrow


def _stat_by_weight(s: ClusterSample, w: np.ndarray, f: Any) -> Any:
    """A statistic of the clusters each weighted by ``w`` (pixel counts × w)."""
    return f(ClusterSample.of(s.ref, s.counts * w[:, None]))


def test_linearised_values_are_the_derivatives_by_cluster_weight() -> None:
    ref, counts = _population(3, n_poly=12)
    s = ClusterSample.of(ref, counts)
    mapped = np.array([5.0, 3.0, 2.0])
    cases = {
        "kappa": (lambda c: c.kappa_z()[0], s.kappa_z()[1]),
        "accuracy": (
            lambda c: c.accuracy()[0],
            s.ratio(np.trace(s.totals, axis1=1, axis2=2), s.totals.sum(axis=(1, 2)))[1],
        ),
        "area": (lambda c: c.adjusted_z(mapped)[0], s.adjusted_z(mapped)[1]),
    }
    h = 1e-6
    for name, (f, z) in cases.items():
        for u in range(s.n):
            e = np.ones(s.n)
            e[u] += h
            up = np.asarray(_stat_by_weight(s, e, f))
            e[u] -= 2 * h
            down = np.asarray(_stat_by_weight(s, e, f))
            assert (up - down) / (2 * h) * s.n == pytest.approx(z[u], abs=1e-5), name


def test_ratio_variance_is_the_cluster_sampling_formula() -> None:
    # Brus 2022 ch. 6 / Cochran 1977 ch. 6, ratio estimator: V(R) = Σ(yᵤ − R xᵤ)² / (n (n − 1) x̄²)
    s = ClusterSample.of(
        [0, 0, 1, 1, 2], [[40, 2, 0], [10, 10, 0], [0, 30, 0], [1, 20, 3], [0, 0, 25]]
    )
    y = np.array([40, 10, 30, 20, 25.0])
    x = s.counts.sum(axis=1)
    r = y.sum() / x.sum()
    want = np.sqrt(((y - r * x) ** 2).sum() / (5 * 4 * x.mean() ** 2))
    acc, se = s.accuracy()
    assert acc == pytest.approx(r) and se == pytest.approx(want)


def test_design_effect_widens_the_error_rate_bound() -> None:
    perfect = [[200, 0, 0], [0, 200, 0], [0, 0, 200]]
    one, four = error_rate_bounds(perfect), error_rate_bounds(perfect, deff=4.0)
    # 0 errors in 200 / 4 = 50 effective pixels: Beta(½, 50½) at 0.975
    assert four == pytest.approx(np.full(3, beta.ppf(0.975, 0.5, 50.5)))
    assert (four > 3 * one).all()
    # no error observed anywhere: the design effect is the mean polygon size (ρ = 1)
    s = ClusterSample.of([0, 0, 1, 1], [[50, 0], [30, 0], [0, 20], [0, 60]])
    assert s.design_effect() == pytest.approx(40.0)
    # errors all in one polygon: a design effect well above 1
    s = ClusterSample.of([0, 0, 1, 1], [[40, 10], [50, 0], [0, 50], [0, 50]])
    assert s.design_effect() > 3
    lo, hi = s.proportion_interval(1.0, 0.0, 100.0, s.design_effect())
    assert hi == 1.0 and lo < 0.9  # a class without an observed error still gets a width


def test_sample_run_reports_the_polygon_intervals(result: Any, tmp_path: Any) -> None:
    from junkan.nature.report import summary

    c = result.classifier
    v = c["validation"]
    counts = c["held_out_counts"]
    assert v["clusters"] == len(counts) == len(c["held_out_polygons"])
    assert sum(sum(h["predicted"]) for h in counts.values()) == np.sum(c["confusion"])
    lo, hi = v["accuracy_ci95"]
    assert lo < c["accuracy"] <= hi <= 1 and v["design_effect"] >= 1
    for a in result.areas:
        c11 = a["land_change"]["C1.1"]
        parts = c11["uncertainty_parts_km2"]
        # the polygons give a wider sampling ± than pixels taken as independent
        assert parts["sampling_95"] > parts["sampling_95_if_pixels_were_independent"]
        assert c11["uncertainty_km2_95"] == max(parts["sampling_95"], parts["error_rate_bound"])
        assert c11["validation_units"]["polygons"] == v["clusters"]
    first = result.areas[0]["land_change"]["C1.1"]
    assert summary(result)[0][4] == (
        f"{first['value_km2']:.3g}\n±{first['uncertainty_km2_95']:.2g}"
    )  # the CLI's cell
    html = result.report(tmp_path / "r.html").read_text(encoding="utf-8")
    assert "(95 %: " in html
