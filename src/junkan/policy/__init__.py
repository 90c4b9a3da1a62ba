"""Policy and disclosure: the municipal circular-economy diagnosis (MOE general-waste survey,
peers, potential, measures and their effects), recycled-content periodic reports computed
from the trace ledger's mass-balance accounts, and green-procurement criteria checked against
a product's declared data and its lots.

    d = policy.load("examples/policy/diagnosis.yaml")   # a Diagnosis (kind: diagnosis)
    res = policy.run(d)                                # DiagnosisResult
    res.to_frame(); res.to_json(); res.report("diagnosis.html", lang="ja")

    plan = policy.load("examples/policy/plan.yaml")      # a Plan (kind: recycled_content_plan)
    rep = policy.run(plan, statement=repo.statement("maker"), period="FY2028")
    rep.to_csv(); rep.to_json(); rep.evidence("bottle-PET")

    chk = policy.load("examples/policy/procurement.yaml")  # kind: procurement_check
    res = policy.run(chk, lots=[repo.show("maker", lot) for lot in chk.product.lots])
"""

from junkan.policy.api import load, run
from junkan.policy.procurement import Check, Criteria, ProcurementResult, check_procurement
from junkan.policy.procurement import default_criteria as procurement_criteria
from junkan.policy.recycled import PeriodicReport, Plan, periodic_report, quarters
from junkan.policy.result import DiagnosisResult, run_diagnosis
from junkan.policy.schema import Catalogue, Diagnosis, Factors, Measure, Request
from junkan.policy.survey import Municipality, Survey, read_survey, sample_path

__all__ = [
    "Catalogue",
    "Check",
    "Criteria",
    "Diagnosis",
    "DiagnosisResult",
    "Factors",
    "Measure",
    "Municipality",
    "PeriodicReport",
    "ProcurementResult",
    "Plan",
    "Request",
    "Survey",
    "check_procurement",
    "load",
    "periodic_report",
    "procurement_criteria",
    "quarters",
    "read_survey",
    "run",
    "run_diagnosis",
    "sample_path",
]
