"""The foresight capability's verbs: :func:`load` a causal model, :func:`run` an ensemble
(an :class:`~junkan.foresight.engine.Ensemble`), :func:`analyse` it into groups, branches
and ratings (an :class:`~junkan.foresight.analysis.Analysis`). Both results have
``to_frame()``, ``to_json()`` and ``report(out)``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from junkan.foresight import analysis
from junkan.foresight.analysis import Analysis
from junkan.foresight.engine import CHUNK, Ensemble, run_ensemble
from junkan.foresight.model import Compiled, load_causal_model


def load(path: str | Path | None = None, *, text: str | None = None,
         doc: dict[str, Any] | None = None, source: str = "<model>") -> Compiled:
    """Read (YAML or JSON; ``factors`` and ``links`` may each name a CSV file beside the
    model), validate and compile a causal model. Every problem is reported at once as a
    :class:`junkan.core.errors.ModelError` naming the file, line or document path."""
    return load_causal_model(path, text=text, doc=doc, source=source)


def run(model: Compiled, n: int = 20_000, *, seed: int = 0, chunk: int = CHUNK,
        method: str = "lhs", store_states: bool | str = True,
        lever_override: dict[str, float] | None = None,
        progress: Callable[[int, int], None] | None = None) -> Ensemble:
    """Run ``n`` scenarios in this process, sampled per chunk of ``chunk`` by a Latin
    hypercube (``method="lhs"``) or scrambled Sobol' (``"sobol"``); (seed, chunk) reproduce
    every run. ``store_states=False`` keeps only the KPI paths, ``"float16"`` every factor's
    path in half the memory; ``lever_override`` sets a
    lever's share of 'on' (0–1) instead of sampling it. For millions of scenarios see
    :func:`junkan.foresight.distributed.run_distributed`."""
    return run_ensemble(model, n, seed=seed, chunk=chunk, method=method,
                        store_states=store_states, lever_override=lever_override,
                        progress=progress)


def analyse(ensemble: Ensemble, k: int | str = 9, *, seed: int = 0,
            lower_is_better: tuple[str, ...] = (), transitions_every: int = 1) -> Analysis:
    """Group the scenarios (``k`` groups, or ``"auto"``: 2–12 by silhouette), build the
    scenario tree (the real splits, each with the year the sides part and the factor or
    lever that drives it), how decided the future is year by year, the inputs that lead to
    each group and the groups' ratings per KPI family. The ensemble needs at least
    ``MIN_ANALYSE_SCENARIOS`` (100) scenarios, and a split is reported only when its smaller
    side has at least max(5, 5 % of them) (:func:`junkan.foresight.limits.min_side`)."""
    return analysis.analyse(ensemble, k, seed=seed, lower_is_better=lower_is_better,
                            transitions_every=transitions_every)
