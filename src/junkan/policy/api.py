"""The verbs of :mod:`junkan.policy`: ``load`` reads a diagnosis request or a
recycled-content plan (by its ``kind``), ``run`` computes its result."""

from __future__ import annotations

from pathlib import Path
from typing import Any, overload

from junkan.core.documents import parse_document, read_document
from junkan.core.errors import ModelError, Problem
from junkan.policy.procurement import Check, ProcurementResult, check_procurement, load_check
from junkan.policy.recycled import PeriodicReport, Plan, load_plan, periodic_report
from junkan.policy.result import DiagnosisResult, run_diagnosis
from junkan.policy.schema import Diagnosis, load_diagnosis

KINDS = ("diagnosis", "recycled_content_plan", "procurement_check")


def load(path: str | Path | None = None, *, text: str | None = None) -> Diagnosis | Plan | Check:
    """Read a policy document; ``kind`` says which: ``diagnosis`` (paths in it are relative
    to the document) or ``recycled_content_plan``. Errors name the file, path and field."""
    if (path is None) == (text is None):
        raise ValueError("give a path or text")
    source = str(path) if path is not None else "<text>"
    doc = read_document(path) if path is not None else parse_document(text or "", source=source)
    if not isinstance(doc, dict):
        raise ModelError([Problem("", "expected a mapping with a 'kind'")], source)
    kind = doc.get("kind")
    if kind == "diagnosis":
        base = Path(path).parent if path is not None else None
        return load_diagnosis(doc, source, base)
    if kind == "recycled_content_plan":
        return load_plan(doc, source)
    if kind == "procurement_check":
        return load_check(doc, source)
    raise ModelError([Problem("kind", f"must be one of {', '.join(KINDS)}")], source)


@overload
def run(model: Diagnosis) -> DiagnosisResult: ...
@overload
def run(model: Plan, *, statement: Any, period: str) -> PeriodicReport: ...
@overload
def run(model: Check, *, lots: list[dict[str, Any]] | None = None) -> ProcurementResult: ...
def run(
    model: Diagnosis | Plan | Check,
    *,
    statement: Any = None,
    period: str | None = None,
    lots: list[dict[str, Any]] | None = None,
) -> DiagnosisResult | PeriodicReport | ProcurementResult:
    """Diagnose (a :class:`Diagnosis`) or compute a periodic report (a :class:`Plan`, with the
    ledger's ``statement`` — :meth:`junkan.store.trace_repo.TraceRepo.statement` or its
    ``to_json()`` — and the reporting ``period``: ``FY2028``, ``2028`` or ``2028Q2``), or check
    procurement criteria (a :class:`Check`, with the product's trace ``lots`` as
    ``TraceRepo.show`` returns them)."""
    if isinstance(model, Diagnosis):
        return run_diagnosis(model)
    if isinstance(model, Check):
        return check_procurement(model, lots)
    if statement is None or period is None:
        raise ValueError("a periodic report needs the ledger's statement and a period")
    return periodic_report(model, statement, period)
