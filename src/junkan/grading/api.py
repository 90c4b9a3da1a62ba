"""The verbs of :mod:`junkan.grading`: ``load``, ``run``, ``grade``, plus the criteria
catalogue, environmental aspects from the trace ledger and the published schema."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from junkan.core.documents import MAX_PROBLEMS, parse_document, read_document, validate_with
from junkan.core.elements import unstated_key
from junkan.core.errors import JunkanError, ModelError, Problem, coded
from junkan.grading.catalogue import GradingError, check_periods, families, shipped_sets
from junkan.grading.engine import Compiled, build_table, compile_sets, evaluate, stored_values
from junkan.grading.result import GradeResult, classify
from junkan.grading.schema import CriteriaSet, GradingDocument, Item


def load(path: str | Path | None = None, *, text: str | None = None) -> GradingDocument:
    """Read a grading document (items and criteria); errors name the file, path and field —
    unknown properties and unit mismatches included. Once the document has its shape, the
    items' values and the criteria are checked together, every item and every set, and all
    their problems come in one error (at most :data:`MAX_PROBLEMS`, then a count)."""
    if (path is None) == (text is None):
        raise ValueError("give a path or text")
    source = str(path) if path is not None else "<text>"
    doc = (read_document(path) if path is not None
           else parse_document(text or "", source=source))
    model = validate_with(GradingDocument, doc, source)
    problems: list[Problem] = []
    for i, item in enumerate(model.items):
        try:
            stored_values(item, f"items[{i}]")
        except ModelError as exc:
            problems.extend(exc.problems)
    try:  # the criteria do not depend on the items' values: checked whatever these gave
        resolve(model.criteria)
    except ModelError as exc:
        problems.extend(exc.problems)
    if problems:
        raise GradingError(capped(problems), source)
    return model


def capped(problems: list[Problem]) -> list[Problem]:
    """``problems``, the first :data:`MAX_PROBLEMS` of them and then their count, as a
    document's schema problems are listed (:func:`junkan.core.documents.problems_of`)."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    return [*problems[:MAX_PROBLEMS], coded("", "more-problems", "… and more problems ({count} "
                                            "errors in all); fix the ones above first",
                                            count=f"{len(problems):,}")]


def resolve(criteria: Sequence[str | CriteriaSet]) -> list[CriteriaSet]:
    """Criteria sets from ids of shipped sets (``isri-twitch``; a family id such as
    ``soil-mlit`` brings all its ranks) or inline sets; each is checked, and the problems of
    every entry come in one :class:`GradingError`."""
    shipped = shipped_sets()
    fams = families()
    out: list[CriteriaSet] = []
    problems: list[Problem] = []
    for i, c in enumerate(criteria):
        if isinstance(c, CriteriaSet):
            try:
                check_periods(c)  # the checks, naming the set, in every period of its rules
            except ModelError as exc:
                problems.extend(exc.problems)
            out.append(c)
        elif c in fams:
            out.extend(s for s in shipped.values() if s.family == c)
        elif c in shipped:
            out.append(shipped[c])
        else:
            problems.append(
                Problem(
                    f"criteria[{i}]",
                    f"unknown criteria set {c!r}; shipped: {', '.join(sorted(shipped))}",
                )
            )
    ids = [c.id for c in out]
    dup = sorted({x for x in ids if ids.count(x) > 1})
    if dup:
        problems.append(Problem("criteria", f"criteria set(s) named twice: {dup}"))
    if problems:
        raise GradingError(capped(problems))
    return out


def grade(
    items: Sequence[Item], criteria: Sequence[str | CriteriaSet], *, as_of: date | None = None
) -> GradeResult:
    """Evaluate every item against every criteria set (vectorised)."""
    sets = resolve(criteria)
    when = as_of or date.today()
    compiled = compile_sets(sets, when)
    _known_elements(compiled, [c for c in criteria if isinstance(c, CriteriaSet)], items)
    table = build_table(compiled, items, when)
    verdicts = evaluate(compiled, table)
    result = GradeResult(list(items), compiled, table, verdicts, when)
    fams = families()
    for fam in sorted({c.family for c in sets if c.family is not None}):
        if fam in fams:
            result.classes[fam], result.better_unknown[fam] = classify(
                fam, fams[fam], compiled, verdicts, list(items))
    return result


def _known_elements(compiled: Compiled, own: Sequence[CriteriaSet],
                    items: Sequence[Item]) -> None:
    """A criterion of one's own on ``composition.<X>`` where X is no chemical element and no
    item states it is most likely a typo (``composition.Fee``): no item would have it
    measured (it used to read 0, and a maximum was met by all). Refused, naming the set
    (the shipped sets are left alone: a polymer they read may simply be absent from these
    items)."""
    stated = {k for it in items for k in it.composition}
    mine = {id(c) for c in own}
    typos = [
        typo
        for cs in compiled.sets
        if id(cs.cs) in mine
        for b in cs.bounds
        if (typo := unstated_key(f"criteria {cs.cs.id}", b.feature, stated, "items")) is not None
    ]
    if typos:
        raise GradingError(capped(typos))


def run(model: GradingDocument, *, as_of: date | None = None) -> GradeResult:
    """Grade a loaded document."""
    return grade(model.items, model.criteria, as_of=as_of)


def attach_environment(items: Sequence[Item], lots: Sequence[dict[str, Any]]) -> list[Item]:
    """Items with their environmental aspects taken from their trace lots: ``lots`` as
    :meth:`junkan.trace.ChainResult.lots` gives them (creator, lot, cfp_per_kg,
    recycled_post, recycled_pre). An item whose lot is not among them is an error."""
    by_ref = {f"{x['creator']}/{x['lot']}": x for x in lots}
    out = []
    for i, it in enumerate(items):
        if it.trace is None:
            out.append(it)
            continue
        lot = by_ref.get(it.trace.lot)
        if lot is None:
            raise JunkanError(
                f"items[{i}].trace.lot: lot {it.trace.lot!r} is not in the trace chain"
            )
        env = {
            "cfp_kgco2e_per_kg": float(lot["cfp_per_kg"]),
            "recycled_post": float(lot["recycled_post"]),
            "recycled_pre": float(lot["recycled_pre"]),
            "source": f"trace:{it.trace.lot}",
        }
        out.append(Item.model_validate({**it.model_dump(exclude_none=True), "environment": env}))
    return out


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a grading record (an :class:`Item`)."""
    schema = Item.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://w3id.org/junkan/grading/v1/item.schema.json"
    return schema


def jsonld_context() -> dict[str, Any]:
    """The JSON-LD context shipped with the schema (``data/grading/context.jsonld``)."""
    text = (resources.files("junkan.data") / "grading" / "context.jsonld").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc
