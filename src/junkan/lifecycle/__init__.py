"""Lifecycle simulator: BOM-based value-network models, a vectorised cohort engine, scenario
comparison and reports.

The verbs::

    from junkan import lifecycle
    model = lifecycle.load("examples/compressor_magnet.yaml")   # checks every scenario
    result = lifecycle.run(model, "B")
    result.to_frame()                 # network indicators per year (pandas)
    result.to_frame("products")       # or any table of lifecycle.TABLES
    result.to_json()                  # the run summary, JSON types
    comparison = lifecycle.compare(model)
    comparison.to_frame()             # headline figures and totals per scenario
    comparison.report("out/report")   # HTML: charts and a Sankey per scenario

``load_model`` and ``simulate`` remain as the earlier names of ``load`` and ``run``.
"""

from junkan.lifecycle import cache, stages
from junkan.lifecycle.api import ModelFile, compare, compile_scenario, load, run
from junkan.lifecycle.api import load_model as load_model  # earlier name of load
from junkan.lifecycle.api import simulate as simulate  # earlier name of run
from junkan.lifecycle.comparison import Comparison
from junkan.lifecycle.engine import Runs, simulate_compiled
from junkan.lifecycle.results import TABLES, Result
from junkan.lifecycle.schema import LifecycleModel, Stage

__all__ = ["cache", "compare", "Comparison", "compile_scenario", "LifecycleModel", "load",
           "load_model", "ModelFile", "Result", "run", "Runs", "simulate_compiled", "Stage",
           "stages", "TABLES"]
