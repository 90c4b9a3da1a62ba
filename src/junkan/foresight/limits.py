"""The foresight capability's bounds on ensemble sizes, in one place for the library, the CLI
and the service (``junkan.api`` imports them from :mod:`junkan.foresight`); listed with
their reasons in ``docs/security.md`` and ``docs/foresight.md``.

* **Fewest scenarios.** A run needs ``MIN_RUN_SCENARIOS`` (10): fewer cannot draw the 5 %
  and 95 % fan bands from more than one scenario each. An analysis needs
  ``MIN_ANALYSE_SCENARIOS`` (100), the size at which the smallest side a split may have
  (:func:`min_side`) is the same whether read as the floor of 5 scenarios or as 5 % of the
  ensemble (5 / 0.05 = 100): below it a split of two 5 % sides rests on fewer than 5
  scenarios each.
* **Smallest side of a split** (:func:`min_side`): max(5, ⌈5 % of n⌉) scenarios. A split
  whose smaller side has fewer is not reported as a branch: k-means readily puts one or two
  outlying scenarios in a group of their own, and a side of one scenario has no spread, so
  any difference of its mean (above about 0.04 of the range) looks like a perfect
  separation. The 5 % share is the convention of scenario discovery (a PRIM box must keep
  5 % of the cases, Friedman & Fisher 1999; Bryant & Lempert 2010; ``discovery.prim_box``'s
  ``mass_min``); the floor of 5 scenarios is an assumption (a variance from fewer than 5
  values has fewer than 4 degrees of freedom).
* **Most scenarios.** ``MAX_LIVE`` (20,000) per request of the service: 20,000 scenarios of
  the Japan model run in 1.3 s and are analysed in 2.6 s, peaking at 531 MiB
  (``benchmarks/results/foresight.json``), inside a request's budgets (20 s CPU, 2 GiB).
  ``MAX_SCENARIOS`` (10 million) for any run, the Dask backend's included: 10 times the
  documented Dask example; beyond it the KPI and input parts alone pass 30 GB for the Japan
  model (about 3.5 KB a scenario) — an assumption that such a count is a typing mistake.
  ``MAX_ENSEMBLE_BYTES`` (2 GiB) for the arrays an in-process run keeps (inputs, KPI paths,
  levers and, when stored, every factor's path: ``engine.ensemble_bytes``), checked before
  any is allocated, so a large ``n`` is refused with its size instead of ending in a
  ``MemoryError``. An analysis peaks at about 2.3 times its ensemble's arrays (531 MiB for
  226 MiB, the benchmark above), so 2 GiB of arrays is about 5 GB at the peak: about 180,000
  scenarios of the Japan model with its factor paths in float16 (what ``foresight analyse``
  keeps), 600,000 without (``foresight run``). The bound is an assumption sized for a 16 GB
  workstation; larger ensembles belong on the Dask backend, which keeps one chunk per worker.
"""

from __future__ import annotations

import math

MIN_RUN_SCENARIOS = 10
"""Fewest scenarios of a run (library, CLI, service)."""
MIN_ANALYSE_SCENARIOS = 100
"""Fewest scenarios of an analysis (library, CLI, service): MIN_SIDE_SCENARIOS /
MIN_SIDE_SHARE."""
MAX_LIVE = 20_000
"""Most scenarios the service runs or analyses inside one request."""
MAX_SCENARIOS = 10_000_000
"""Most scenarios of any run, the Dask backend's included."""
MAX_ENSEMBLE_BYTES = 2 * 2**30
"""Most bytes of the arrays an in-process run keeps (:func:`ensemble_bytes`)."""
MIN_SIDE_SCENARIOS = 5
"""Fewest scenarios the smaller side of a reported split may have (an assumption)."""
MIN_SIDE_SHARE = 0.05
"""Smallest share of the ensemble the smaller side of a reported split may have (the
5 % minimum mass of scenario discovery)."""


def min_side(n: int) -> int:
    """The fewest scenarios the smaller side of a split of ``n`` scenarios must have to be
    reported as a branch: max(5, ⌈5 % of n⌉)."""
    return max(MIN_SIDE_SCENARIOS, math.ceil(MIN_SIDE_SHARE * n - 1e-9))


def why_least(least: int) -> str:
    """Why a run or an analysis needs at least ``least`` scenarios (for error messages)."""
    if least == MIN_ANALYSE_SCENARIOS:
        return (f"an analysis reports a split only when its smaller side has max("
                f"{MIN_SIDE_SCENARIOS}, {100 * MIN_SIDE_SHARE:g} % of n) scenarios, and below "
                f"{MIN_ANALYSE_SCENARIOS} scenarios a 5 % side holds fewer than "
                f"{MIN_SIDE_SCENARIOS}")
    if least == MIN_RUN_SCENARIOS:
        return "fewer cannot draw the 5 % and 95 % fan bands from more than one scenario each"
    return "the fewest this needs"
