"""Grading: a common data model for used products, parts and recycled materials (seed 003's
格付けデータモデル) — trace link, properties with units and test methods, composition,
restricted substances, quantity, environmental and social aspects — grade criteria as
versioned, sourced data, vectorised evaluation, and blends whose grade is derived from their
inputs by each property's mixing rule.

    doc = grading.load("lots.yaml")           # a GradingDocument (items + criteria ids)
    res = grading.run(doc)                    # GradeResult: .to_frame(), .to_json(), .report()
    grading.grade(items, ["isri-twitch"])     # the same, from Python objects
    grading.blend(items, masses)              # the blend's record (Item)
"""

from junkan.grading.api import (
    attach_environment,
    grade,
    json_schema,
    jsonld_context,
    load,
    resolve,
    run,
)
from junkan.grading.blend import blend, derive_grades, linear_terms
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
    Compiled,
    CompiledSet,
    Table,
    Verdicts,
    build_table,
    compile_sets,
    evaluate,
    stored_values,
)
from junkan.grading.result import GradeResult
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
    "Compiled",
    "CompiledSet",
    "CriteriaSet",
    "Environment",
    "GradeResult",
    "GradingDocument",
    "GradingError",
    "Item",
    "PropertySpec",
    "PropertyValue",
    "Rule",
    "Table",
    "Verdicts",
    "alloy_buyer_sets",
    "attach_environment",
    "blend",
    "build_table",
    "compile_sets",
    "derive_grades",
    "evaluate",
    "families",
    "grade",
    "json_schema",
    "jsonld_context",
    "linear_terms",
    "load",
    "properties",
    "resolve",
    "run",
    "shipped_sets",
    "stored_values",
    "substances",
]
