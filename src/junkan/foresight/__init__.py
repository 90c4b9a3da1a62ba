"""Future scenarios: causal models of signed, lagged links, run as vectorised Monte Carlo
ensembles, then grouped into futures with the years they branch, what drives them and how
each rates on KPI families.

    model = foresight.load("japan_ce.yaml")
    ens = foresight.run(model, 20_000, seed=0)       # Ensemble: to_frame/to_json/report
    res = foresight.analyse(ens, k=9)                 # Analysis: to_frame/to_json/report
"""

from junkan.foresight.analysis import Analysis
from junkan.foresight.api import analyse, load, run
from junkan.foresight.describe import describe_markdown
from junkan.foresight.distributed import run_distributed
from junkan.foresight.engine import Ensemble, check_scenarios, ensemble_bytes, run_ensemble
from junkan.foresight.limits import (
    MAX_ENSEMBLE_BYTES,
    MAX_LIVE,
    MAX_SCENARIOS,
    MIN_ANALYSE_SCENARIOS,
    MIN_RUN_SCENARIOS,
    min_side,
)
from junkan.foresight.live import analysis_document, lever_run, model_card, shipped, shipped_models
from junkan.foresight.model import (
    CausalModel,
    Compiled,
    compile_causal_model,
    compile_model,  # noqa: F401  former name, used by benchmarks/foresight_bench.py
    load_causal_model,
)

__all__ = ["analyse", "Analysis", "analysis_document", "CausalModel", "check_scenarios",
           "compile_causal_model", "Compiled", "describe_markdown", "Ensemble",
           "ensemble_bytes", "lever_run", "load", "load_causal_model", "MAX_ENSEMBLE_BYTES",
           "MAX_LIVE", "MAX_SCENARIOS", "MIN_ANALYSE_SCENARIOS", "MIN_RUN_SCENARIOS",
           "min_side", "model_card", "run", "run_distributed", "run_ensemble", "shipped",
           "shipped_models"]
