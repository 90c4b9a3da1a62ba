"""The result of grading: every (item, criteria set) verdict with the failed rules and the
evidence read, and each item's class in ranked families (soil)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from junkan.core.documents import MAX_PROBLEMS
from junkan.core.errors import Problem, coded, short
from junkan.grading.catalogue import Bound, GradingError, properties
from junkan.grading.engine import (
    STATUS,
    Compiled,
    CompiledSet,
    Table,
    Verdicts,
    categorical,
    rule_order,
    unmeasured_unknown,
    unstated_unknown,
)
from junkan.grading.schema import CriteriaSet, Family, Item, Rule, material_key


def _unit(feature: str) -> str:
    spec = properties().get(feature)
    if spec is not None:
        return spec.display
    return "wt %" if feature.startswith("composition.") else "mg/kg"


def _number(v: float) -> str:
    """A limit as a number: up to 10 significant digits, so a conversion's round-off
    (0.9299999999999999 for 930 kg/m³ in g/cm³) is not shown."""
    return f"{v:.10g}"


def _show(feature: str, v: float, bound: Bound | None = None) -> str:
    """``v`` with its unit, in 4 significant digits — or more, as many as it takes for the
    number shown to fall outside ``bound`` as :func:`_limit` shows it when ``v`` does
    (25.0001 against a maximum of 25 is shown ``25.0001``, never ``25``; 19.999 against a
    minimum of 20 ``19.999``, never ``20``)."""
    text = f"{v:.4g}"
    if bound is not None and not bound.lo_ok <= v <= bound.hi_ok:
        lo = float(_number(bound.lo)) if math.isfinite(bound.lo) else bound.lo
        hi = float(_number(bound.hi)) if math.isfinite(bound.hi) else bound.hi
        for digits in range(5, 18):
            if not lo <= float(text) <= hi:
                break
            text = f"{v:.{digits}g}"
    return f"{text} {_unit(feature)}"


def _failure(cs: CriteriaSet, rule_index: int, item: Item, x: dict[str, float],
             bound: Bound | None = None) -> Problem:
    """Why ``item`` failed the set's rule (whose window, merged with the set's other rules on
    the same feature, is ``bound``): its message (in English, as the CLI and the service say
    it) under a code with its parameters, so the page says it in its language
    (``val.<code>``)."""
    rule = cs.rules[rule_index]
    if rule.type == "certificate":
        return coded("", "grade-no-attestation", "no valid {kind} attestation", kind=str(rule.kind))
    if rule.type == "enum":
        if not categorical(item, str(rule.attribute)) and unstated_unknown("enum"):
            return coded("", "grade-unknown-attribute", "{attribute}: not stated, so the grade "
                         "is unknown: state it (one of {allowed} meets the rule)",
                         attribute=str(rule.attribute), allowed=str(sorted(rule.allowed or [])))
        return coded(
            "",
            "grade-not-allowed",
            "{attribute} not in {allowed}",
            attribute=str(rule.attribute),
            allowed=str(sorted(rule.allowed or [])),
        )
    name = rule.property or ""
    feature = (
        f"restricted_max.{name[11:]}"
        if name.startswith("restricted.") and rule.basis == "max"
        else name
    )
    v = x.get(feature, math.nan)
    if math.isnan(v):
        return _unmeasured(name, bound)
    return coded(
        "",
        "grade-outside-range",
        "{property} = {value} outside [{min}, {max}]",
        property=name,
        value=_show(feature, v, bound),
        min=_limit(bound.lo if bound else -math.inf, feature),
        max=_limit(bound.hi if bound else math.inf, feature),
    )


def _other_material(cs: CriteriaSet, item: Item) -> Problem:
    """Why an item of a material the set is not for (its ``materials``) does not meet it:
    the names it has that the set does not take (a blend's inputs each have one: review
    320, a blend of aluminium and PP was "the lot is aluminium" for an aluminium set)."""
    scope = cs.scope() or frozenset()
    names = categorical(item, "material.name")
    odd = sorted(n for n in names if material_key(n) not in scope) or [item.material.name]
    return coded("", "grade-other-material", "the set is for {material}, the lot is {name}",
                 material=(cs.materials or ["?"])[0], name=", ".join(odd))


def _unmeasured(name: str, bound: Bound | None) -> Problem:
    """Why a rule on a value the item does not give is not met: under a minimum it fails
    (``grade-not-measured``); under a maximum only the verdict is unknown
    (:func:`~junkan.grading.engine.unmeasured_unknown`), and the reason says what to write
    — ``PE: 0`` in the composition of a PP lot analysed and found to hold none."""
    if bound is None or not unmeasured_unknown(bound.lo):
        return coded("", "grade-not-measured", "{property}: not measured", property=name)
    head, _, key = name.partition(".")
    if head == "composition":
        return coded("", "grade-unknown-element", "{property}: not measured, so the grade is "
                     "unknown: give {key} in the composition ({key}: 0 if the analysis found "
                     "none)", property=name, key=key)
    if head == "restricted":
        return coded("", "grade-unknown-substance", "{property}: not measured, so the grade "
                     "is unknown: give {key} under restricted ({key}: 0 if the analysis found "
                     "none)", property=name, key=key)
    return coded("", "grade-unknown-property", "{property}: not measured, so the grade is "
                 "unknown: give its measured value under properties", property=name)


def read(rule: Rule) -> str:
    """What a rule reads: its property (``composition.PE``) or attribute
    (``attributes.soil_type``) — an entry of a grade row's ``unmeasured``."""
    return str(rule.property or rule.attribute or rule.kind)


def stated(path: str) -> bool:
    """Whether ``path`` (an entry of ``unmeasured``) is an attribute an enumeration reads
    (:class:`~junkan.grading.schema.Rule`) — a value the item states, never measures."""
    return path == "kind" or path.startswith(("attributes.", "material.", "process.",
                                              "collection."))


def to_give(paths: list[str]) -> str:
    """What an unknown verdict asks for, in words: ``measure restricted.pb``, ``state
    attributes.soil_type``, or both (``measure …; state …``)."""
    said = [p for p in paths if stated(p)]
    measured = [p for p in paths if not stated(p)]
    return "; ".join(f"{verb} {', '.join(ps)}" for verb, ps in (("measure", measured),
                                                               ("state", said)) if ps)


def in_force(cs: CompiledSet) -> list[dict[str, Any]]:
    """The set's rules with a period in force on the day it was compiled for — which limit
    applied, since when and until when, and its source (the EU POPs waste limit of the
    day); empty for a set whose rules hold on every day."""
    out = []
    for i in cs.dated():
        r = cs.cs.rules[i]
        row: dict[str, Any] = {"rule": i, "property": r.property or r.attribute or r.kind}
        row.update({k: str(v) for k in ("min", "max") if (v := getattr(r, k)) is not None})
        row.update({k: v.isoformat() for k in ("since", "until") if (v := getattr(r, k))})
        out.append({**row, "source": r.source or cs.cs.source})
    return out


def said(limit: dict[str, Any]) -> str:
    """A limit of :func:`in_force` in words: ``restricted.pbde_sum max 200 mg/kg, from
    2027-12-30``."""
    bounds = " ".join(f"{k} {limit[k]}" for k in ("min", "max") if k in limit)
    period = ", ".join(f"{w} {limit[k]}" for k, w in (("since", "from"), ("until", "until"))
                       if k in limit)
    return f"{limit['property']} {bounds}, {period}".strip(" ,")


def _limit(merged: float, feature: str) -> str:
    """A window's limit in the unit and spelling the value beside it is shown in (the rule
    may have written it in another: ``25 g/(10 min)``, ``0.035 %``), ``−`` for none; the
    limit of the window the set's rules on the feature make together."""
    return "−" if math.isinf(merged) else f"{_number(merged)} {_unit(feature)}"


@dataclass
class GradeResult:
    """Verdicts of ``items`` against ``compiled`` sets (``met`` is (n items, n sets))."""

    items: list[Item]
    compiled: Compiled
    table: Table
    verdicts: Verdicts
    as_of: date
    classes: dict[str, list[str | None]] = field(default_factory=dict)
    """Per family, per item: its class, or ``None`` when it is of a material the family's
    sets are not for (:func:`classify`, :func:`unclassed_said`)."""
    better_unknown: dict[str, list[list[dict[str, Any]]]] = field(default_factory=dict)
    """Per family, per item: the better classes whose verdict is unknown (:func:`classify`)."""

    @property
    def met(self) -> np.ndarray:
        return self.verdicts.met

    def rows(self, *, codes: bool = False) -> list[dict[str, Any]]:
        """A row per (item, set): met, and the rules failed (``failed``: what they say;
        with ``codes``, also ``reasons``: each one's code and parameters)."""
        out = []
        feats = self.compiled.features
        for s, cs in enumerate(self.compiled.sets):
            order = rule_order(cs)
            ok = self.verdicts.rule_ok[s]
            windows = {b.index: b for b in cs.bounds}
            dated = in_force(cs)
            for i, item in enumerate(self.items):
                x = {f: float(self.table.x[i, j]) for j, f in enumerate(feats)}
                why = [_failure(cs.cs, order[k], item, x, windows.get(order[k]))
                       for k in np.flatnonzero(~ok[i])]
                if self.verdicts.outside[i, s]:  # what its rules read does not matter
                    why = [_other_material(cs.cs, item)]
                verdict = self.verdicts.verdict(i, s)
                row: dict[str, Any] = {
                    "item": item.id,
                    "criteria": cs.cs.id,
                    "version": cs.cs.version,
                    "status": cs.cs.status,
                    "met": verdict,
                    "verdict": STATUS[verdict],
                    "failed": [p.message for p in why],
                }
                unmeasured = [read(cs.cs.rules[order[k]])
                              for k in np.flatnonzero(self.verdicts.rule_unknown[s][i])
                              if not self.verdicts.outside[i, s]]
                if unmeasured:  # what to measure or state to know (the verdict may be "no")
                    row["unmeasured"] = unmeasured
                if dated:  # which limit of the day applied, and from when
                    row["limits"] = dated
                if codes:
                    row["reasons"] = [{"code": p.kind, "params": p.limits or {}} for p in why]
                out.append(row)
        return out

    def evidence(self, i: int) -> dict[str, Any]:
        """The values a verdict read, with their test methods."""
        item = self.items[i]
        out: dict[str, Any] = {}
        for j, f in enumerate(self.compiled.features):
            v = float(self.table.x[i, j])
            if not math.isnan(v):
                pv = item.properties.get(f)
                out[f] = {"value": _show(f, v), "method": pv.method if pv else None}
        return out

    def graded_items(self) -> list[dict[str, Any]]:
        """The items with their ``grades`` filled in (the grading record)."""
        rows, n = self.rows(), len(self.items)  # set-major: row s·n + i is item i, set s
        out = []
        for i, item in enumerate(self.items):
            grades = [
                {**r, "evaluated": self.as_of.isoformat(), "evidence": self.evidence(i)}
                for r in rows[i::n]
            ]
            for fam, cls in self.classes.items():
                better = self.better_unknown.get(fam, [[]] * n)[i]
                if cls[i] is None:
                    grades.append({"family": fam, "class": None,
                                   "note": unclassed_said(fam, self.compiled, item)})
                    continue
                grades.append({"family": fam, "class": cls[i], **(
                    {"better_unknown": better, "note": better_said(fam, cls[i] or "", better)}
                    if better else {})})
            out.append(
                item.model_copy(update={"grades": grades}).model_dump(
                    mode="json", exclude_none=True
                )
            )
        return out

    def passport_files(self) -> list[dict[str, str]]:
        """Each item's passport file name per format (:data:`PASSPORT_FORMATS`), as
        :func:`write_passports` names them: a document whose ids give the same file name is
        refused, as the CLI refuses it."""
        from junkan.grading.exchange import PASSPORT_FORMATS, passport_file_names

        ids = [it.id for it in self.items]
        names = {f: passport_file_names(ids, f) for f in PASSPORT_FORMATS}
        return [{f: names[f][i] for f in PASSPORT_FORMATS} for i in range(len(ids))]

    def class_notes(self) -> list[str]:
        """Each item's unknown better classes in words, ``<item>: <better_said>`` — the class
        given is the best met; measured, the item may meet a better one."""
        return [f"{it.id}: {unclassed_said(fam, self.compiled, it)}" if cls[i] is None
                else f"{it.id}: {better_said(fam, cls[i] or '', b)}"
                for fam, cls in self.classes.items()
                for i, (it, b) in enumerate(zip(self.items, self.better_unknown.get(fam, []),
                                                strict=True)) if b or cls[i] is None]

    def limits_said(self) -> list[str]:
        """Each limit of the day that applied (:func:`in_force`) in words, with its set, the
        day and its source."""
        return [f"{c.cs.id} on {self.as_of.isoformat()}: {said(lim)} ({lim['source']})"
                for c in self.compiled.sets for lim in in_force(c)]

    def to_frame(self) -> Any:
        import pandas as pd

        frame = pd.DataFrame(self.rows())
        frame["failed"] = frame["failed"].map("; ".join)
        if "limits" in frame:
            frame["limits"] = frame["limits"].map(
                lambda v: "; ".join(map(said, v)) if isinstance(v, list) else "")
        return frame

    def to_json(self, *, codes: bool = False) -> dict[str, Any]:
        """The result as JSON (with ``codes``, each failure's code too: :meth:`rows`)."""
        return {
            "as_of": self.as_of.isoformat(),
            "criteria": [
                {
                    "id": c.cs.id,
                    "version": c.cs.version,
                    "title": c.cs.title,
                    "status": c.cs.status,
                    "source": c.cs.source,
                    **({"limits": lim} if (lim := in_force(c)) else {}),
                }
                for c in self.compiled.sets
            ],
            "grades": self.rows(codes=codes),
            "classes": self.classes,
            "better_unknown": self.better_unknown,
            "class_notes": self.class_notes(),
        }

    def report(self, path: str | Path, title: str = "Grades") -> Path:
        from junkan.core.report import Page

        page = Page(title, subtitle=f"evaluated {self.as_of.isoformat()}")
        page.table(
            [[c.cs.id, c.cs.version, c.cs.status, c.cs.source] for c in self.compiled.sets],
            columns=["criteria", "version", "status", "source"],
            caption="Criteria sets (assumption = values not from a public source)",
        )
        page.table(self.to_frame(), caption="Verdicts: met, or the rules that failed")
        if self.classes:
            page.table(
                [
                    [it.id, *[self.classes[f][i] or "–" for f in self.classes],
                     "; ".join([*(better_said(f, self.classes[f][i] or "", b[i])
                                  for f, b in self.better_unknown.items() if b[i]),
                                *(unclassed_said(f, self.compiled, it)
                                  for f in self.classes if self.classes[f][i] is None)])]
                    for i, it in enumerate(self.items)
                ],
                columns=["item", *self.classes, "better class unknown / no class"],
                caption="Classes in ranked families (the best met; a better class whose "
                        "verdict is unknown is named with what to measure; – : the item "
                        "is of a material the family is not for)",
            )
        return page.write(path)


def classify(
    family_id: str, family: Family, compiled: Compiled, verdicts: Verdicts, items: list[Item]
) -> tuple[list[str | None], list[list[dict[str, Any]]]]:
    """Each item's class in a ranked family: the best rank met, lowered by the family's
    down-ranking attribute (rain / seepage one rank, underwater two), else the fallback —
    and the better classes whose verdict is unknown (:func:`_better_unknown`): the class
    given stays the best one met, the one a lot can be sold as. An item of a material
    none of the family's sets is for (each ``outside``: an aluminium lot among the soil
    classes) has no class, ``None`` (:func:`unclassed_said`): the fallback is for a
    material of the family that meets no class (soil that is mud), not for any lot."""
    ranked = sorted(
        [
            (c.cs.rank or 0, s, c.cs.id)
            for s, c in enumerate(compiled.sets)
            if c.cs.family == family_id
        ]
    )
    ids = [r[2] for r in ranked]
    down = family.downrank or {}
    attr = str(down.get("attribute", "")).removeprefix("attributes.")
    steps = down.get("ranks", {})
    unknown = [Problem(f"items[{i}].attributes.{attr}", f"{short(item.attributes[attr])} is "
                       f"not one of {', '.join(map(repr, steps))} (leave it out when the soil "
                       "is not down-ranked)")
               for i, item in enumerate(items) if attr and steps
               and item.attributes.get(attr) not in (None, *steps)]
    if unknown:  # a value the family does not know was taken as no down-ranking (review 269)
        raise GradingError(unknown[:MAX_PROBLEMS])
    scoped = [s for _, s, _ in ranked]
    out: list[str | None] = []
    better: list[list[dict[str, Any]]] = []
    for i, item in enumerate(items):
        if scoped and verdicts.outside[i, scoped].all():  # not of the family's material
            out.append(None)
            better.append([])
            continue
        met = next((k for k, (_, s, _) in enumerate(ranked) if verdicts.met[i, s]), None)
        step = int(steps.get(str(item.attributes.get(attr, "")), 0))
        best = None if met is None else met + step
        out.append(ids[best] if best is not None and best < len(ids) else family.fallback)
        better.append(_better_unknown(ranked, compiled, verdicts, i, met, step))
    return out, better


def _better_unknown(ranked: list[tuple[int, int, str]], compiled: Compiled, verdicts: Verdicts,
                    i: int, met: int | None, step: int) -> list[dict[str, Any]]:
    """The sets ranked above the best one item ``i`` meets (``met``; all of them when it
    meets none) whose verdict is unknown, each with the class it would give once met (after
    the down-ranking ``step``) and what to measure — only those that would give a better
    class than the one given (review 307: the lot was silently given the lower class, as if
    the better one had been failed)."""
    given = len(ranked) if met is None else met + step
    out = []
    for k, (_, s, set_id) in enumerate(ranked[: len(ranked) if met is None else met]):
        if not verdicts.unknown[i, s] or k + step >= min(given, len(ranked)):
            continue
        order = rule_order(compiled.sets[s])
        what = [read(compiled.sets[s].cs.rules[order[r]])
                for r in np.flatnonzero(verdicts.rule_unknown[s][i])]
        out.append({"criteria": set_id, "class": ranked[k + step][2], "unmeasured": what})
    return out


def unclassed_said(family_id: str, compiled: Compiled, item: Item) -> str:
    """Why an item has no class in a family (:func:`classify`): ``no soil-mlit class: its
    classes are for soil and the lot is aluminium``."""
    scope = list(dict.fromkeys(c.cs.materials[0] for c in compiled.sets  # each named once
                               if c.cs.family == family_id and c.cs.materials)) or ["?"]
    return (f"no {family_id} class: its classes are for {' or '.join(scope)} and the lot is "
            f"{item.material.name}")


def better_said(family_id: str, given: str, better: list[dict[str, Any]]) -> str:
    """An item's unknown better classes (:func:`classify`) in words: ``soil-class-1 unknown:
    measure restricted.lead (soil-mlit class given: soil-class-2, the best met)``; empty
    when there are none."""
    if not better:
        return ""
    parts = "; ".join(f"{b['criteria']} unknown: {to_give(b['unmeasured'])}"
                      + (f" (it would give {b['class']})" if b["class"] != b["criteria"]
                         else "") for b in better)
    return f"{parts} ({family_id} class given: {given}, the best met)"


def family_sets(family_id: str, sets: dict[str, CriteriaSet]) -> list[CriteriaSet]:
    return [c for c in sets.values() if c.family == family_id]
