"""The verbs of :mod:`junkan.policy`: ``load`` reads a diagnosis request or a
recycled-content plan (by its ``kind``), ``run`` computes its result."""

from __future__ import annotations

from pathlib import Path
from typing import Any, overload

from junkan.core.documents import parse_document, read_document
from junkan.core.errors import ModelError, coded, listed
from junkan.policy.disclosure import DisclosurePack, Pack, build_pack, load_pack
from junkan.policy.procurement import (
    Check,
    Criteria,
    ProcurementResult,
    check_procurement,
    load_check,
)
from junkan.policy.recycled import PeriodicReport, Plan, load_plan, periodic_report
from junkan.policy.result import DiagnosisResult, run_diagnosis
from junkan.policy.reuse import History, load_history
from junkan.policy.schema import Diagnosis, load_diagnosis
from junkan.policy.sharing import ReuseResult, SolarView, read_history, solar_view
from junkan.policy.solar import Registry, load_registry

KINDS = (
    "diagnosis",
    "recycled_content_plan",
    "procurement_check",
    "solar_registry",
    "reuse_history",
    "disclosure_pack",
)
Model = Diagnosis | Plan | Check | Registry | History | Pack


def load(path: str | Path | None = None, *, text: str | None = None) -> Model:
    """Read a policy document; ``kind`` says which: ``diagnosis`` (paths in it are relative
    to the document) or ``recycled_content_plan``. Errors name the file, path and field."""
    if (path is None) == (text is None):
        raise ValueError("give a path or text")
    source = str(path) if path is not None else "<text>"
    doc = read_document(path) if path is not None else parse_document(text or "", source=source)
    if not isinstance(doc, dict):
        raise ModelError([coded("", "kind-mapping-needed", "expected a mapping with a 'kind'")],
                         source)
    kind = doc.get("kind")
    if kind == "diagnosis":
        base = Path(path).parent if path is not None else None
        return load_diagnosis(doc, source, base)
    if kind == "recycled_content_plan":
        return load_plan(doc, source)
    if kind == "procurement_check":
        return load_check(doc, source)
    if kind == "solar_registry":
        return load_registry(doc, source)
    if kind == "reuse_history":
        return load_history(doc, source)
    if kind == "disclosure_pack":
        return load_pack(doc, source, Path(path).parent if path is not None else None)
    raise ModelError([coded("kind", "unknown-kind", "must be one of {known}",
                            known=listed(KINDS))], source)


@overload
def run(model: Diagnosis) -> DiagnosisResult: ...
@overload
def run(model: Plan, *, statement: Any, period: str,
        lots: list[dict[str, Any]] | None = None) -> PeriodicReport: ...
@overload
def run(model: Check, *, lots: list[dict[str, Any]] | None = None,
        criteria: Criteria | None = None,
        upstream: tuple[dict[str, dict[str, Any]], bool] | None = None
        ) -> ProcurementResult: ...
@overload
def run(model: Registry, *, org: str) -> SolarView: ...
@overload
def run(model: History, *, trusted: dict[str, str] | None = None) -> ReuseResult: ...
@overload
def run(model: Pack) -> DisclosurePack: ...
def run(
    model: Model,
    *,
    statement: Any = None,
    period: str | None = None,
    lots: list[dict[str, Any]] | None = None,
    org: str | None = None,
    trusted: dict[str, str] | None = None,
    criteria: Criteria | None = None,
    upstream: tuple[dict[str, dict[str, Any]], bool] | None = None,
) -> (
    DiagnosisResult | PeriodicReport | ProcurementResult | SolarView | ReuseResult | DisclosurePack
):
    """Diagnose (a :class:`Diagnosis`) or compute a periodic report (a :class:`Plan`, with the
    ledger's ``statement`` — :meth:`junkan.store.trace_repo.TraceRepo.statement` or its
    ``to_json()`` —, the reporting ``period``: ``FY2028``, ``2028`` or ``2028Q2``, and the
    ``lots`` the maker made, :meth:`~junkan.store.trace_repo.TraceRepo.made`, for the
    physical chain-of-custody models, the basis of lots that claimed nothing and each lot's
    quarter), or check
    procurement criteria (a :class:`Check`, with the product's trace ``lots`` as
    ``TraceRepo.show`` returns them and ``upstream``, :func:`procurement_upstream` of them;
    ``criteria``: a set of your own, :func:`read_procurement_criteria`), or show a
    solar-panel registry as organisation ``org`` sees it (a :class:`Registry`), or read a
    reuse history as its buyer (a :class:`History`; ``trusted``: organisation → public
    key), or build a disclosure pack (a :class:`Pack`)."""
    if isinstance(model, Diagnosis):
        return run_diagnosis(model)
    if isinstance(model, Check):
        return check_procurement(model, lots, criteria, upstream)
    if isinstance(model, Registry):
        if org is None:
            raise ValueError("a solar-panel view needs the viewing organisation (org=…)")
        return solar_view(model, org)
    if isinstance(model, History):
        return read_history(model, trusted)
    if isinstance(model, Pack):
        return build_pack(model)
    if statement is None or period is None:
        raise ValueError("a periodic report needs the ledger's statement and a period")
    return periodic_report(model, statement, period, lots)
