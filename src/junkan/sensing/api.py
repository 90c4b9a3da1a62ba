"""The sensing capability's verbs: :func:`load` a scenario, :func:`run` it through the
monitor (a :class:`~junkan.sensing.results.MonitorRun`), :func:`evaluate` every detector on
held-out scenarios (an :class:`~junkan.sensing.results.Evaluation`), :func:`train` the
detectors on tuning scenarios."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from junkan.core.errors import ModelError, Problem
from junkan.sensing.evaluate import evaluate_recordings
from junkan.sensing.generator import generate
from junkan.sensing.modelcache import ModelCache
from junkan.sensing.monitor import Models, monitor_recording
from junkan.sensing.monitor import train as train_models
from junkan.sensing.results import Evaluation, MonitorRun
from junkan.sensing.scenario import EventType, Scenario, load_scenario

TUNING_SEEDS = (0, 1, 2, 3, 4)
"""Seeds of the tuning scenarios; evaluation scenarios must use others."""


def load(
    path: str | Path | None = None,
    *,
    text: str | None = None,
    doc: dict[str, Any] | None = None,
    source: str = "<scenario>",
) -> Scenario:
    """Read and check a scenario document (YAML or JSON)."""
    return load_scenario(path, text=text, doc=doc, source=source)


def tuning_scenario(seed: int, duration_s: float = 900.0) -> Scenario:
    """A tuning scenario: idle start, normal running, every event type and decoy at random
    times and severities (drawn from ``seed``)."""
    rng = np.random.default_rng(10_000 + seed)
    kinds = [*EventType] * max(1, int(duration_s // 700))
    slots = np.sort(rng.choice(np.arange(40, duration_s - 60, 60), len(kinds), replace=False))
    order = rng.permutation(len(kinds))
    events = [
        {
            "type": kinds[i].value,
            "start_s": float(s + rng.uniform(0, 20)),
            "severity": float(rng.uniform(0.4, 1.0)),
        }
        for i, s in zip(order, slots, strict=False)
    ]
    return Scenario(name=f"tuning-{seed}", seed=seed, duration_s=duration_s, events=events)


@lru_cache(maxsize=4)
def train(
    seeds: tuple[int, ...] = TUNING_SEEDS, duration_s: float = 900.0, cache: str | None = None
) -> Models:
    """Detectors trained and calibrated on the tuning scenarios of ``seeds`` (kept per
    process). ``cache``: a directory of trained models
    (:class:`~junkan.sensing.modelcache.ModelCache`) read first and written after training,
    so other processes and later starts reuse them."""
    recs = [generate(tuning_scenario(s, duration_s)) for s in seeds]
    if cache is None:
        return train_models(recs)
    return ModelCache(cache).trained(recs)


def run(
    scenario: Scenario,
    models: Models | None = None,
    *,
    progress: Callable[[float], None] | None = None,
) -> MonitorRun:
    """Generate the scenario's recording and run the monitor over it (``progress`` hears the
    share of the recording monitored, 0–1)."""
    rec = generate(scenario)
    mon = monitor_recording(models or train(), rec, progress=progress)
    return MonitorRun(scenario.name, rec, mon)


def evaluate(
    scenarios: list[Scenario],
    models: Models | None = None,
    *,
    tuning_seeds: tuple[int, ...] = TUNING_SEEDS,
) -> Evaluation:
    """Score the monitor and every detector on ``scenarios`` (seeds must not be tuning
    seeds)."""
    bad = [
        Problem(
            f"scenarios[{i}].seed", f"seed {s.seed} was used for tuning; evaluate on other seeds"
        )
        for i, s in enumerate(scenarios)
        if s.seed in tuning_seeds
    ]
    if bad:
        raise ModelError(bad)
    recs = [generate(s) for s in scenarios]
    systems = evaluate_recordings(models or train(tuning_seeds), recs)
    return Evaluation(
        [s.name for s in scenarios], list(tuning_seeds), [s.seed for s in scenarios], systems
    )
