"""Lifecycle simulator: BOM-based value-network models, a vectorised cohort engine, scenario
comparison and reports (seed 003, solution 1).

Functional API::

    from junkan.lifecycle import load_model, simulate, compare
    mf = load_model("examples/compressor_magnet.yaml")
    result = simulate(mf, "B")
    doc = compare(mf)          # {"model": ..., "scenarios": [{"name", "headline", ...}]}
"""

from junkan.lifecycle.api import ModelFile, compare, load_model, simulate
from junkan.lifecycle.results import Result

__all__ = ["ModelFile", "Result", "compare", "load_model", "simulate"]
