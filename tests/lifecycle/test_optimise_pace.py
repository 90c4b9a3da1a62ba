"""An optimisation in a budgeted worker that cannot end in time stops at once (review 244).

Its progress counts the most simulations there may be, not their number, so the pace
forecast of uncertainty and sensitivity did not apply: testing 1,521 pairs of options of two
decisions held a worker to its CPU budget, then failed. Each loop of known length (the pairs
tested, every combination, every joint option) is now paced."""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest

from junkan.api.work import analysis_job
from junkan.core.budget import Budget, BudgetExceeded, BudgetPool, BudgetSettings
from tests.lifecycle.test_optimise import MODEL

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not hasattr(signal, "SIGXCPU"), reason="POSIX rlimits")]

BUDGET = Budget(cpu_s=4, memory_mb=1024, wall_s=60, subject="optimisation",
                settings=("JUNKAN_BUDGET_RUN_CPU_S", "M", "W"))


def spec(levels: int) -> dict[str, Any]:
    """Two interacting decisions (collection × reuse) of ``levels`` values each."""
    return {"objective": "co2e", "decisions": [
        {"name": "collection", "parameter": "products.kettle.eol.collection.rate",
         "values": [round(0.3 + 0.6 * i / (levels - 1), 4) for i in range(levels)]},
        {"name": "reuse", "parameter": "products.kettle.eol.reuse.share",
         "values": [round(0.2 * i / (levels - 1), 4) for i in range(levels)]}]}


@pytest.fixture(scope="module")
def pool() -> Iterator[BudgetPool]:
    p = BudgetPool(BudgetSettings(workers=1, cpu_s=4, memory_mb=1024, wall_s=60, queue=2),
                   name="test-optimise-pace")
    assert p.wait_ready(120), "workers did not start"
    yield p
    p.shutdown()


def test_an_optimisation_that_cannot_end_in_its_budget_stops_early(pool: BudgetPool) -> None:
    t0 = time.monotonic()
    with pytest.raises(BudgetExceeded) as info:
        pool.run(analysis_job, "optimise", MODEL, "model", {"spec": spec(40)}, budget=BUDGET)
    assert time.monotonic() - t0 < 3.5  # not the 4 s of CPU of the budget
    text = str(info.value)
    assert text.startswith("the optimisation cannot end within its CPU-time budget of 4 s "
                           "(JUNKAN_BUDGET_RUN_CPU_S): "), text
    assert re.search(r": \d+ of [\d,]+ combinations took [\d.]+ s of CPU, about [\d,]+ s ", text)
    assert text.endswith("ask for fewer decisions, options or steps, or raise the budget"), text
    # one that can end is not stopped
    done = pool.run(analysis_job, "optimise", MODEL, "model", {"spec": spec(8)}, budget=BUDGET)
    assert done["method"]["name"] == "enumeration"
