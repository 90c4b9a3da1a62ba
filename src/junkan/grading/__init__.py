"""Grading: a common data model for used products, parts and recycled materials (seed 003's
格付けデータモデル) — trace link, properties with units and test methods, composition,
restricted substances, quantity, environmental and social aspects — grade criteria as
versioned, sourced data, vectorised evaluation, and blends whose grade is derived from their
inputs by each property's mixing rule.

    doc = grading.load("lots.yaml")           # a GradingDocument (items + criteria ids)
    res = grading.run(doc)                    # GradeResult: .to_frame(), .to_json(), .report()
    grading.grade(items, ["isri-twitch"])     # the same, from Python objects
    grading.blend(items, masses)              # the blend's record (Item)
    grading.to_aas(item); grading.from_aas(doc)   # AAS submodel (extra 'passport')
    grading.to_batterypass(item); grading.from_batterypass(doc)   # Battery Pass subset (EV)
    grading.to_batterypass_aas(item); grading.from_batterypass_aas(doc)   # the same as AAS
    grading.write_passports(doc, "aas"); grading.read_passport(data)   # passport files
"""

from typing import Any

from junkan.grading.api import (
    attach_environment,
    grade,
    json_schema,
    jsonld_context,
    load,
    resolve,
    run,
)
from junkan.grading.batterypass import (
    BatteryPassError,
    batterypass_unmapped,
    from_batterypass,
    to_batterypass,
)
from junkan.grading.blend import blend, derive_grades, derive_verdicts, linear_terms
from junkan.grading.catalogue import (
    GradingError,
    PropertySpec,
    alloy_buyer_sets,
    families,
    properties,
    shipped_sets,
    substances,
)
from junkan.grading.engine import (
    STATUS,
    YES_NO,
    Compiled,
    CompiledSet,
    Table,
    Verdicts,
    build_table,
    compile_sets,
    evaluate,
    stored_values,
)
from junkan.grading.exchange import (
    PASSPORT_FORMATS,
    PassportRead,
    passport_file_name,
    passport_file_names,
    passport_format,
    read_passport,
    write_passports,
)
from junkan.grading.result import GradeResult, better_said, stated, unclassed_said
from junkan.grading.schema import (
    Attestation,
    CriteriaSet,
    Environment,
    GradingDocument,
    Item,
    PropertyValue,
    Rule,
)

__all__ = [
    "Attestation",
    "BatteryPassError",
    "Compiled",
    "CompiledSet",
    "CriteriaSet",
    "Environment",
    "GradeResult",
    "GradingDocument",
    "GradingError",
    "Item",
    "PASSPORT_FORMATS",
    "PassportError",
    "PassportRead",
    "PropertySpec",
    "PropertyValue",
    "Rule",
    "Table",
    "STATUS",
    "Verdicts",
    "YES_NO",
    "alloy_buyer_sets",
    "attach_environment",
    "batterypass_unmapped",
    "better_said",
    "unclassed_said",
    "blend",
    "build_table",
    "compile_sets",
    "derive_grades",
    "derive_verdicts",
    "from_aas",
    "from_batterypass",
    "from_batterypass_aas",
    "evaluate",
    "families",
    "grade",
    "json_schema",
    "jsonld_context",
    "linear_terms",
    "load",
    "passport_file_name",
    "passport_file_names",
    "passport_format",
    "properties",
    "read_passport",
    "resolve",
    "run",
    "shipped_sets",
    "stated",
    "stored_values",
    "substances",
    "to_aas",
    "to_batterypass",
    "to_batterypass_aas",
    "write_passports",
]

_PASSPORT = ("to_aas", "from_aas", "PassportError")
_BATTERYPASS_AAS = ("to_batterypass_aas", "from_batterypass_aas")


def __getattr__(name: str) -> Any:
    """The AAS passport functions load BaSyx (the ``passport`` extra) on first use."""
    if name in _PASSPORT or name in _BATTERYPASS_AAS:
        from junkan.core.extras import require

        require("passport")
        from importlib import import_module

        where = "passport" if name in _PASSPORT else "batterypass_aas"
        return getattr(import_module(f"junkan.grading.{where}"), name)
    raise AttributeError(name)
