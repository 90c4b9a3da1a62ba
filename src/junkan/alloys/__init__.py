"""ELV aluminium: predict the composition of recovered scrap from the feed mix, the parts
removed and the shred size; sort it; plan feed and removal to meet a buyer's window with a
chosen probability; grade and price lots; learn from measured analyses.

    req = alloys.load("feed.yaml")                   # a PredictRequest (a feed plan)
    res = alloys.run(req)                            # PredictResult
    alloys.plan(alloys.load("plan.yaml", kind="plan"))
    alloys.grade(...); alloys.update(...)            # GradeResult, UpdateResult

Every result has ``to_frame()``, ``to_json()`` and ``report(out)``. The verbs ``plan`` and
``grade`` share their names with the modules :mod:`junkan.alloys.plan` and
:mod:`junkan.alloys.grade`: import from those with ``from junkan.alloys.plan import …``.
"""

# importing junkan.alloys.api loads the modules plan and grade first, so the names ``plan``
# and ``grade`` of the package end up meaning the verbs
from junkan.alloys.api import grade, load, plan, run, update
from junkan.alloys.data import Library, load_alloy_library
from junkan.alloys.experiments import run_all as run_hypotheses
from junkan.alloys.feedback import Estimates, chart_figure
from junkan.alloys.grade import GradeError
from junkan.alloys.plan import PlanError, PlanResult
from junkan.alloys.predict import FeedError, FeedPlan, Prediction, predict
from junkan.alloys.requests import GradeRequest, PlanRequest, PredictRequest, UpdateRequest
from junkan.alloys.results import GradeResult, PredictResult, UpdateResult
from junkan.alloys.service import library_document
from junkan.alloys.sorter import Sorter, shipped_sorters

load_library = load_alloy_library  # former name, used by the CLI, tests and benchmarks

__all__ = ["chart_figure", "Estimates", "FeedError", "FeedPlan", "grade", "GradeError",
           "GradeRequest", "GradeResult", "Library", "library_document", "load",
           "load_alloy_library", "plan", "PlanError", "PlanRequest", "PlanResult",
           "predict", "Prediction", "PredictRequest", "PredictResult", "run",
           "run_hypotheses", "shipped_sorters", "Sorter", "update", "UpdateRequest",
           "UpdateResult"]
