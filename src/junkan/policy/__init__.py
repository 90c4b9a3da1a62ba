"""Policy and disclosure: the municipal circular-economy diagnosis (MOE general-waste survey,
peers, potential, measures and their effects), recycled-content periodic reports computed
from the trace ledger's mass-balance accounts, green-procurement criteria checked against
a product's declared data and its lots, solar-panel information sharing by role, signed
reuse (repair) histories, and disclosure packs (ESRS E5, CTI, ISO 59020; inline XBRL).

    d = policy.load("examples/policy/diagnosis.yaml")   # a Diagnosis (kind: diagnosis)
    res = policy.run(d)                                # DiagnosisResult
    res.to_frame(); res.to_json(); res.report("diagnosis.html", lang="ja")

    plan = policy.load("examples/policy/plan.yaml")      # a Plan (kind: recycled_content_plan)
    rep = policy.run(plan, statement=repo.statement("maker"), period="FY2028")
    rep.to_csv(); rep.to_json(); rep.evidence("bottle-PET")

    chk = policy.load("examples/policy/procurement.yaml")  # kind: procurement_check
    res = policy.run(chk, lots=[repo.show("maker", lot) for lot in chk.product.lots])

    reg = policy.load("solar.yaml")                 # kind: solar_registry
    policy.run(reg, org="city-chiyoda")             # SolarView: what that organisation sees
    h = policy.load("history.yaml")                 # kind: reuse_history
    policy.run(h, trusted={"repairer": "<public key>"})   # ReuseResult: records and checks
    pack = policy.run(policy.load("pack.yaml"))     # kind: disclosure_pack
    pack.ixbrl()                                    # ESRS E5 as inline XBRL

The solar-panel registry kept by the service (``junkan.store.policy_repo``) checks every
write with ``check_solar_*`` and shows what it stores with the same rules (``solar_registry_of``
builds the slice an organisation may see).
"""

from junkan.policy.api import KINDS, load, run
from junkan.policy.disclosure import DisclosurePack, Pack
from junkan.policy.ixbrl import check_structure as check_ixbrl
from junkan.policy.ixbrl import read_facts as ixbrl_facts
from junkan.policy.ixbrl import resolve_taxonomy
from junkan.policy.lot_sources import upstream as procurement_upstream
from junkan.policy.procurement import Check, Criteria, ProcurementResult, check_procurement
from junkan.policy.procurement import criteria_item as procurement_item
from junkan.policy.procurement import default_criteria as procurement_criteria
from junkan.policy.procurement import read_criteria as read_procurement_criteria
from junkan.policy.recycled import PeriodicReport, Plan, periodic_report, quarters
from junkan.policy.registry import ORG_ROLES as SOLAR_ORG_ROLES
from junkan.policy.registry import EndOfBusinessIn as SolarEndOfBusinessIn
from junkan.policy.registry import HandoverIn as SolarHandoverIn
from junkan.policy.registry import InstallationIn as SolarInstallationIn
from junkan.policy.registry import ModelIn as SolarModelIn
from junkan.policy.registry import TreatmentIn as SolarTreatmentIn
from junkan.policy.registry import check_end_of_business as check_solar_end_of_business
from junkan.policy.registry import check_handover as check_solar_handover
from junkan.policy.registry import check_installation as check_solar_installation
from junkan.policy.registry import check_model as check_solar_model
from junkan.policy.registry import check_treatment as check_solar_treatment
from junkan.policy.registry import parse as parse_entry
from junkan.policy.registry import registry_of as solar_registry_of
from junkan.policy.result import DiagnosisResult, run_diagnosis
from junkan.policy.reuse import History, Record, new_key, record_problems, trusted_problems
from junkan.policy.reuse import sign as sign_record
from junkan.policy.schema import Catalogue, Diagnosis, Factors, Measure, Request, load_diagnosis
from junkan.policy.sharing import ReuseResult, SolarView
from junkan.policy.solar import NotVisible, Registry, network_supply
from junkan.policy.solar import view as installation_view
from junkan.policy.survey import Municipality, Survey, read_survey, sample_path

__all__ = [
    "KINDS",
    "SOLAR_ORG_ROLES",
    "SolarEndOfBusinessIn",
    "SolarHandoverIn",
    "SolarInstallationIn",
    "SolarModelIn",
    "SolarTreatmentIn",
    "check_solar_end_of_business",
    "check_solar_handover",
    "check_solar_installation",
    "check_solar_model",
    "check_solar_treatment",
    "parse_entry",
    "solar_registry_of",
    "DisclosurePack",
    "History",
    "NotVisible",
    "Pack",
    "Record",
    "Registry",
    "ReuseResult",
    "SolarView",
    "check_ixbrl",
    "installation_view",
    "ixbrl_facts",
    "load_diagnosis",
    "network_supply",
    "new_key",
    "resolve_taxonomy",
    "sign_record",
    "trusted_problems",
    "record_problems",
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
    "procurement_upstream",
    "read_procurement_criteria",
    "procurement_item",
    "quarters",
    "read_survey",
    "run",
    "run_diagnosis",
    "sample_path",
]
