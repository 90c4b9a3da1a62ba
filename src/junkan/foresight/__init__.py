"""Future-scenario simulator (seed 003 grand design): causal models, vectorised Monte Carlo
ensembles, scenario groups and branching points."""

from junkan.foresight.engine import Ensemble, run_ensemble
from junkan.foresight.model import CausalModel, compile_model, load_causal_model

__all__ = ["CausalModel", "Ensemble", "compile_model", "load_causal_model", "run_ensemble"]
