"""SPI against the reference implementation (climate_indices, NOAA/NCEI), VCI, the
Mann–Kendall test and the minimum detectable change by hand."""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest
from scipy import stats

from junkan.nature.climate import mann_kendall, min_detectable_change, spi, vci


def _series(seed: int, years: int = 30, zeros: float = 0.08) -> np.ndarray:
    rng = np.random.default_rng(seed)
    clim = np.array([5, 10, 35, 90, 220, 260, 280, 300, 320, 210, 80, 20], float)
    x = rng.gamma(2.0, np.tile(clim, years) / 2.0)
    x[rng.random(len(x)) < zeros] = 0.0
    return x


@pytest.mark.parametrize("scale", [1, 3, 6, 12])
@pytest.mark.parametrize("seed", [0, 7])
def test_spi_matches_climate_indices(scale: int, seed: int) -> None:
    ci = pytest.importorskip("climate_indices.indices")
    from climate_indices import compute

    logging.getLogger("climate_indices").setLevel(logging.ERROR)
    x = _series(seed)
    ref = ci.spi(x, scale, ci.Distribution.gamma, 1991, 1991, 2020, compute.Periodicity.monthly)
    mine = spi(x, scale)
    assert np.array_equal(np.isnan(ref), np.isnan(mine))
    assert np.nanmax(np.abs(ref - mine)) < 1e-6


def test_spi_is_standard_normal_over_the_calibration_period() -> None:
    s = spi(_series(3, years=60, zeros=0.0), 1)
    assert abs(np.nanmean(s)) < 0.05 and abs(np.nanstd(s) - 1) < 0.05
    with pytest.raises(ValueError):
        spi(np.ones(2), 3)


def test_vci_per_period() -> None:
    v = vci(np.array([0.2, 0.6, 0.4, 0.5, 0.5]), np.array([6, 6, 6, 7, 7]))
    assert v[:3] == pytest.approx([0.0, 100.0, 50.0])
    assert np.isnan(v[3:]).all()  # no range in July


def test_mann_kendall_by_hand() -> None:
    tr = mann_kendall(np.arange(5), np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    var = 5 * 4 * 15 / 18
    assert tr.s == 10 and math.isclose(tr.z, 9 / math.sqrt(var))
    assert tr.slope == 1.0 and tr.intercept == 1.0 and tr.residual_sd == 0.0
    assert tr.direction == "increasing"
    # with ties: S = 4, var reduced by the tie group of two
    tie = mann_kendall(np.arange(4), np.array([1.0, 1.0, 2.0, 3.0]))
    assert tie.s == 5 and math.isclose(tie.z, 4 / math.sqrt((4 * 3 * 13 - 2 * 1 * 9) / 18))


def test_mann_kendall_agrees_with_kendall_tau() -> None:
    rng = np.random.default_rng(4)
    y = rng.normal(size=25) + 0.05 * np.arange(25)
    tr = mann_kendall(np.arange(25), y)
    tau = stats.kendalltau(np.arange(25), y)
    assert math.isclose(tr.tau, tau.statistic, rel_tol=1e-12)
    with pytest.raises(ValueError):
        mann_kendall(np.arange(2), np.arange(2))


def test_min_detectable_change() -> None:
    assert math.isclose(
        min_detectable_change(1.0), (1.959964 + 0.841621) * math.sqrt(2), rel_tol=1e-6
    )
    assert min_detectable_change(2.0) == 2 * min_detectable_change(1.0)
