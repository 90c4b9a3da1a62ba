"""Lifetimes computed per family at once equal, bit for bit, the one-lifetime functions
(issue 17, item 1: compiling without a per-product loop must not change a result)."""

from __future__ import annotations

import numpy as np
import pytest

from junkan.lifecycle.exposure import exposure_kernels
from junkan.lifecycle.lifetime_batch import Lifetimes
from junkan.lifecycle.lifetimes import end_of_year_ratios, mid_year_ratios
from junkan.lifecycle.schema import Lifetime


def _lifetimes(seed: int) -> list[Lifetime]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(60):
        kind = ("fixed", "normal", "lognormal", "weibull")[i % 4]
        mean = float(rng.uniform(0.3, 40))
        if kind == "fixed":
            out.append(Lifetime(distribution="fixed", mean=f"{mean} year"))
        elif kind == "weibull":
            # shapes that numpy's scalar power treats specially (1, 2, 0.5) among random ones
            shape = [0.5, 1.0, 2.0][i % 3] if i % 8 == 3 else float(rng.uniform(0.3, 9))
            out.append(Lifetime(distribution="weibull", scale=f"{mean} year", shape=shape))
        else:
            out.append(
                Lifetime(
                    distribution=kind,
                    mean=f"{mean} year",
                    std=f"{float(rng.uniform(0.05, 1.5)) * mean} year",
                )
            )
    rng.shuffle(out)  # type: ignore[arg-type, unused-ignore]
    return out


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("n_years", [1, 7, 60])
def test_every_family_equals_the_one_lifetime_functions(seed: int, n_years: int) -> None:
    lts = _lifetimes(seed)
    batch = Lifetimes(lts)
    first, mid = batch.mid_year_ratios(n_years)
    first_end, end = batch.end_of_year_ratios(n_years)
    entry, new = batch.exposure_kernels(n_years, 0.5)
    entry0, reused = batch.exposure_kernels(n_years, 0.0)
    for i, lt in enumerate(lts):
        f, m = mid_year_ratios(lt, n_years)
        assert first[i] == f and np.array_equal(mid[i], m), lt
        f0, r0 = end_of_year_ratios(lt, n_years)
        assert first_end[i] == f0 and np.array_equal(end[i], r0), lt
        e, x = exposure_kernels(lt, n_years, 0.5)
        assert entry[i] == e and np.array_equal(new[i], x), lt
        e0, x0 = exposure_kernels(lt, n_years, 0.0)
        assert entry0[i] == e0 == 0.0 and np.array_equal(reused[i], x0), lt


def test_no_lifetimes() -> None:
    batch = Lifetimes([])
    assert batch.mid_year_ratios(5)[1].shape == (0, 5)
    assert batch.exposure_kernels(5, 0.5)[0].shape == (0,)
