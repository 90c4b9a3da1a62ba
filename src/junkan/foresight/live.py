"""What the platform's foresight page needs: the shipped causal models, a quick lever run
(fan bands per KPI family, e.g. 2,000 scenarios re-run as a slider moves) and a full
analysis as a JSON document."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from junkan.foresight.analysis import analyse, document, family_scores, fan, group_median_paths
from junkan.foresight.engine import run_ensemble
from junkan.foresight.limits import MAX_LIVE, MIN_ANALYSE_SCENARIOS, MIN_RUN_SCENARIOS
from junkan.foresight.model import Compiled, load_causal_model


def shipped_models() -> dict[str, Path]:
    """Causal models shipped with junkan (name → path)."""
    root = Path(str(resources.files("junkan.data") / "examples"))
    out = {}
    for p in sorted(root.glob("*.yaml")):
        head = p.read_text("utf-8")[:4000]
        if "junkan_foresight:" in head:
            out[p.stem] = p
    return out


@lru_cache(maxsize=8)
def shipped(name: str) -> Compiled:
    """A shipped model, compiled once per process (``KeyError`` if unknown)."""
    return load_causal_model(shipped_models()[name])


def model_card(c: Compiled, name: str | None = None) -> dict[str, Any]:
    """Summary of a model for pickers: ``name`` is the id routes use (file stem)."""
    m = c.model
    return {"name": name or m.name, "title": m.title or m.name, "factors": len(m.factors),
            "links": len(m.links), "years": [m.years.start, m.years.end],
            "families": sorted(c.families),
            "levers": [{"id": lv.id, "name": lv.name or lv.id, "factor": lv.factor,
                        "effect": lv.effect, "start": lv.start} for lv in m.levers]}


def lever_run(c: Compiled, levers: dict[str, float], n: int = 2000,
              seed: int = 0) -> dict[str, Any]:
    """Run ``n`` scenarios with each given lever switched on in that share of them (0–1);
    return fan bands (5/25/50/75/95 %) of every KPI family's score and each KPI's median."""
    unknown = sorted(set(levers) - {lv.id for lv in c.model.levers})
    if unknown:
        raise ValueError(f"unknown lever(s) {unknown}; this model has "
                         f"{[lv.id for lv in c.model.levers]}")
    bad = {k: v for k, v in levers.items() if not 0 <= v <= 1}
    if bad:
        raise ValueError(f"lever shares must be between 0 and 1: {bad}")
    if not MIN_RUN_SCENARIOS <= n <= MAX_LIVE:
        raise ValueError(f"n must be between {MIN_RUN_SCENARIOS} and {MAX_LIVE}")
    t0 = time.perf_counter()
    ens = run_ensemble(c, n, seed=seed, store_states=False, lever_override=levers)
    fams = {f: fan(v) for f, v in family_scores(ens).items()}
    med = np.median(ens.kpis, axis=2)
    return {"model": c.model.name, "scenarios": n, "seed": seed, "levers": levers,
            "years": c.years.tolist(), "families": fams,
            "kpi_median": {c.ids[i]: med[:, j].round(4).tolist()
                           for j, i in enumerate(c.kpis)},
            "seconds": time.perf_counter() - t0}


def analysis_document(c: Compiled, n: int = 5000, k: int | str = 9, seed: int = 0,
                      levers: dict[str, float] | None = None,
                      progress: Callable[[str, int, int], None] | None = None
                      ) -> dict[str, Any]:
    """Run and analyse; the JSON document of groups, tree, branches, drivers, ratings and a
    median path per group and family. ``progress(stage, done, of)`` hears of each chunk of
    scenarios run (stage ``"ensemble"``) and of the start of the grouping (``"analyse"``)."""
    if not MIN_ANALYSE_SCENARIOS <= n <= MAX_LIVE:
        raise ValueError(f"n must be between {MIN_ANALYSE_SCENARIOS} and {MAX_LIVE}")
    ens = run_ensemble(c, n, seed=seed, store_states="float16", lever_override=levers,
                       progress=None if progress is None else
                       (lambda done, of: progress("ensemble", done, of)))
    if progress is not None:
        progress("analyse", 0, 1)
    res = analyse(ens, k, seed=seed, transitions_every=3)
    doc = document(ens, res)
    doc["group_median_paths"] = group_median_paths(ens, res)
    return doc
