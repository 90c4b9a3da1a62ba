"""Uncertainty, sensitivity and calibration of lifecycle models.

A model declares uncertain parameters in its optional ``uncertainty`` section
(:mod:`~.spec`); the verbs::

    from junkan import lifecycle
    from junkan.lifecycle import uncertainty
    model = lifecycle.load("examples/compressor_magnet.yaml")
    mc = uncertainty.propagate(model, runs=1000, seed=1)     # percentiles, P(B beats A)
    sa = uncertainty.sensitivity(model, method="sobol", n=512)
    fit = uncertainty.calibrate(model)                         # bounded least squares
    doc = uncertainty.calibrated_document(fit)                 # the model, values fitted

Each result has ``to_json()``, ``to_frame()`` and ``report(path)``. Names are loaded on
first use, so the root schema can import :mod:`~.spec` without the rest.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

PAGES = {"uncertainty": "uncertainty.html", "sensitivity": "sensitivity.html",
         "calibrate": "calibration.html"}
"""The page each analysis's ``report(folder)`` writes (``plotly.min.js`` beside it), by the
command that runs it."""

_NAMES = {
    "UncertaintySection": "spec",
    "UncertainParameter": "spec",
    "Observation": "spec",
    "Group": "spec",
    "MISSING_SECTION": "spec",
    "Study": "study",
    "resolve": "study",
    "check": "study",
    "draw": "sampling",
    "Evaluator": "evaluate",
    "Outputs": "evaluate",
    "propagate": "montecarlo",
    "Ensemble": "montecarlo",
    "sensitivity": "gsa",
    "METHODS": "gsa",
    "Sensitivity": "gsa",
    "analyse": "gsa",
    "calibrate": "calibration",
    "Calibration": "calibration",
    "calibrated_document": "calibrated_model",
    "calibrated_text": "calibrated_model",
    "CALIBRATED_HEAD": "calibrated_model",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        return getattr(import_module(f"{__name__}.{_NAMES[name]}"), name)
    raise AttributeError(name)
