"""Green-procurement criteria (グリーン購入法 特定調達品目) as data, checked against a product's
declared data and its trace lots: a pass / fail / unknown report citing the evidence of
every verdict (the declaration, or the lots with their mass and recycled share)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PrivateAttr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)

from junkan.core.base import Strict
from junkan.core.documents import parse_document, read_document, validate_with
from junkan.core.errors import ModelError, Problem, brief, nearest, refusal
from junkan.policy.lot_sources import UPSTREAM_MOST, from_named, unseen_inputs

Name = Annotated[str, Field(min_length=1, max_length=200)]
Key = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,60}$")]
MAX_VALUE = 1e12
"""The largest magnitude of a declared or required number."""


def _value(v: Any, handler: ValidatorFunctionWrapHandler) -> bool | float:
    """A declared or required value, true/false or a number; any other is refused in plain
    words, as one problem of the field (not one per member of the type union, named by
    pydantic's type names)."""
    try:
        out: bool | float = handler(v)
    except ValidationError:
        raise refusal("declared-value-invalid", "must be true or false, or a number from "
                      "{low} to {high}; got {got}",
                      low="-10¹²", high="10¹²", got=brief(repr(v))) from None
    return out


Value = Annotated[bool | Annotated[float, Field(ge=-MAX_VALUE, le=MAX_VALUE)],
                  WrapValidator(_value)]
TOLERANCE = 0.005
"""A declared share may differ from the lots' by half a point before it is flagged."""


class Criterion(Strict):
    id: Key
    ja: Name
    en: Name
    property: Key
    lot_property: (
        Literal["recycled.total", "recycled.post_consumer", "recycled.pre_consumer"] | None
    ) = None
    op: Literal[">=", "<=", "=="]
    value: Value
    share_of: Literal["mass", "plastic_weight"] = "mass"
    """What the criterion's share is of: the product's mass, or its plastic weight. A trace
    lot's recycled share is of the lot's whole mass (the ledger holds no plastic part of a
    lot), so where the lots decide a ``plastic_weight`` criterion the verdict says so."""


PLASTIC_NOTE = ("the criterion is of the plastic weight, the lots' recycled share of their "
                "whole mass (the ledger does not hold a lot's plastic part): it is the "
                "plastic's share only if the lots named are the product's plastic alone")
"""The note of a ``plastic_weight`` criterion the lots decide."""


class Item(Strict):
    ja: Name
    en: Name
    source: Annotated[str, Field(min_length=1, max_length=1000)]
    criteria: list[Criterion] = Field(min_length=1, max_length=50)


class Criteria(Strict):
    date: Name
    items: dict[Key, Item] = Field(min_length=1, max_length=500)


class Product(Strict):
    name: Name
    maker: Name
    declared: dict[Key, Value] = Field(default_factory=dict, max_length=200)
    evidence: dict[Key, Name] = Field(default_factory=dict, max_length=200)
    """A citation (document, certificate) per declared property."""
    lots: list[Name] = Field(default_factory=list, max_length=1000)
    """The trace lots of the product's material (as the maker refers to them), each once."""

    @model_validator(mode="after")
    def _lots_once(self) -> Product:
        """A lot named twice would weigh twice in the lots' recycled share (enough to turn
        a fail into a pass)."""
        first: dict[str, int] = {}
        for i, lot in enumerate(self.lots):
            if lot in first:
                raise refusal("product-lot-repeated", "lot {lot} is named twice: lots[{first}] "
                              "and lots[{second}]; each lot counts once by its mass",
                              lot=brief(lot, 60), first=first[lot], second=i)
            first[lot] = i
        return self


class Check(Strict):
    """A procurement check (``kind: procurement_check``)."""

    kind: Literal["procurement_check"]
    item: Key
    product: Product
    _source: str = PrivateAttr(default="procurement check")
    """The file the check was read from (for the errors found against the criteria)."""


@lru_cache(maxsize=1)
def default_criteria() -> Criteria:
    text = (resources.files("junkan.data") / "policy" / "procurement.yaml").read_text("utf-8")
    src = "data/policy/procurement.yaml"
    return validate_with(Criteria, parse_document(text, source=src), src)


def read_criteria(path: str | Path) -> Criteria:
    """A criteria set of your own (the layout of ``data/policy/procurement.yaml``: ``date``
    and per item its names, ``source`` and criteria), e.g. with take-back or reparability
    criteria the shipped set does not carry."""
    return validate_with(Criteria, read_document(path), str(path))


def load_check(doc: dict[str, Any], source: str) -> Check:
    """A checked procurement check (its ``item`` is looked up in the criteria set it is run
    against: :func:`check_procurement`)."""
    check = validate_with(Check, doc, source)
    check._source = source
    return check


def criteria_item(check: Check, criteria: Criteria | None = None,
                  source: str = "procurement check") -> Item:
    """The item ``check`` names in ``criteria`` (the shipped set by default); a
    :class:`ModelError` naming ``item`` and the items known there when it is not one."""
    criteria = criteria or default_criteria()
    if check.item not in criteria.items:
        known = ", ".join(sorted(criteria.items))
        raise ModelError([Problem("item", f"unknown item; known: {known}")], source)
    item = criteria.items[check.item]
    problems = _declared_problems(item, check.product)
    if problems:
        raise ModelError(problems, source)
    return item


def _declared_problems(item: Item, p: Product) -> list[Problem]:
    """What is wrong with ``p``'s declarations for ``item``: a share (a criterion on a
    ``*_share`` property compared with a fraction) outside [0, 1] — ``72`` for 72 % passed
    ``>= 0.7`` —, a number where the criteria ask true or false or the other way round
    (``refillable: 1`` passed ``== true``, as 1 == True) and a key spelt almost like a
    property the criteria read, which was only reported as that property being unknown."""
    out: list[Problem] = []
    read = {c.property for c in item.criteria}
    flag = {c.property: isinstance(c.value, bool) for c in item.criteria}
    shares = {c.property for c in item.criteria if c.property.endswith("_share")
              and not isinstance(c.value, bool) and 0 <= c.value <= 1}
    for key, v in p.declared.items():
        where = f"product.declared.{key}"
        if key in shares and (isinstance(v, bool) or not 0 <= v <= 1):
            out.append(Problem(where, f"{v!r} is not a share: give a fraction between 0 and 1 "
                               "(72 % is 0.72)"))
        elif key in flag and isinstance(v, bool) != flag[key]:
            want = "true or false" if flag[key] else "a number"
            out.append(Problem(where, f"{v!r}: the criteria compare {key} with {want}; "
                               f"give {want}"))
        elif key not in read and (near := nearest(key, read)):
            out.append(Problem(where, f"no criterion of this item reads {key!r}; did you "
                               f"mean {near!r}?"))
    return out


def _holds(actual: Any, op: str, value: Any) -> bool:
    if op == "==":
        return bool(actual == value)
    if isinstance(actual, bool) or isinstance(value, bool):
        return False
    return bool(actual >= value - 1e-12 if op == ">=" else actual <= value + 1e-12)


def _from_lots(c: Criterion, lots: list[dict[str, Any]],
               above: dict[str, dict[str, Any]] | None = None) -> tuple[float | None, list[Any]]:
    """The mass-weighted figure of ``c.lot_property`` over ``lots`` and the evidence rows;
    None unless every lot's share is visible (a share of some of the lots is not the
    product's: the hidden lots could hold any share). What a lot holds of another lot named
    (through the lots upstream of it, ``above``: :func:`~junkan.policy.lot_sources.upstream`;
    its own inputs without) is not weighed again: a split's portion not at all
    (``counted_with``), a blend of a named lot with new material by the new material
    (``counted_share``, the part left out), as the periodic report counts a product's lots
    (:mod:`~junkan.policy.lot_sources`; reviews 318, 322)."""
    assert c.lot_property is not None
    key = c.lot_property.split(".")[1]
    rows, mass, acc = [], 0.0, 0.0
    came = from_named(lots, above or {}, key)
    for lot in lots:
        part, carried, parent = came[lot.get("lot")]
        if part >= 1.0 - 1e-9 and parent is not None:  # a portion of a lot named too
            rows.append({"lot": lot.get("lot"), "mass_kg": lot.get("mass_kg"),
                         key: (lot.get("recycled") or {}).get(key), "counted_with": parent})
            continue
        share = (lot.get("recycled") or {}).get(key)
        if share is None:
            rows.append(
                {
                    "lot": lot.get("lot"),
                    "mass_kg": lot.get("mass_kg"),
                    key: None,
                    "note": "recycled share not visible to the checker",
                }
            )
            continue
        m = float(lot["mass_kg"])
        mass += m * (1.0 - part)
        acc += m * max(0.0, float(share) - carried)
        rows.append({"lot": lot.get("lot"), "mass_kg": m, key: float(share),
                     **({"counted_share": part, "counted_with": parent} if part > 0 else {})})
    hidden = sum(1 for r in rows if r.get("note"))
    return (acc / mass if mass > 0 and not hidden else None), rows


def _lot_notes(rows: list[dict[str, Any]], within: list[str], cut: bool, far: int
               ) -> list[str]:
    """What a verdict's note says of the lots counted with others (:func:`_from_lots`) and
    of the walk upstream of them (:mod:`~junkan.policy.lot_sources`)."""
    partly = [f"{r['lot']} ({r['counted_share']:.0%} from {r['counted_with']})"
              for r in rows if "counted_share" in r]
    return [x for x in (
        within and "counted with the lot it was made from, also named: " + ", ".join(within),
        partly and "made partly from lots also named, only the rest weighed: "
        + ", ".join(partly),
        cut and f"the lots upstream were read up to {UPSTREAM_MOST}",
        far and f"{far} lots upstream (or their inputs) are not visible to the checker: "
        "taken as new material") if x]


@dataclass
class ProcurementResult:
    check: Check
    item: Item
    verdicts: list[dict[str, Any]]
    criteria_date: str = ""
    """The date of the criteria set checked against."""

    @property
    def passed(self) -> bool:
        return all(v["verdict"] == "pass" for v in self.verdicts)

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(
            [
                {k: v[k] for k in ("criterion", "required", "value", "basis", "verdict", "note")}
                for v in self.verdicts
            ]
        )

    def to_json(self) -> dict[str, Any]:
        p = self.check.product
        return {
            "kind": "procurement_result",
            "item": self.check.item,
            "item_ja": self.item.ja,
            "item_en": self.item.en,
            "criteria_source": self.item.source,
            "criteria_date": self.criteria_date,
            "product": p.name,
            "maker": p.maker,
            "passed": self.passed,
            "verdicts": self.verdicts,
        }

    def report(self, path: str | Path, *, lang: str = "ja") -> Path:
        from junkan.policy.report import procurement_page

        return procurement_page(self, lang).write(path)


def check_procurement(check: Check, lots: list[dict[str, Any]] | None = None,
                      criteria: Criteria | None = None,
                      upstream: tuple[dict[str, dict[str, Any]], bool] | None = None
                      ) -> ProcurementResult:
    """Check ``check.product`` against its item's criteria (``criteria``: a set of your own,
    :func:`read_criteria`; the shipped set by default). ``lots``: the product's trace lots
    as :meth:`junkan.store.trace_repo.TraceRepo.show` returns them; where a criterion has a
    ``lot_property`` and lots are given, the lots decide and the declaration is compared.
    ``upstream``: :func:`~junkan.policy.lot_sources.upstream` of the lots (what of them
    comes from one another, through lots not named; without it, their own inputs only)."""
    above, cut = upstream or ({}, False)
    unseen, far = unseen_inputs(lots or [], above) if upstream is not None else ([], 0)
    criteria = criteria or default_criteria()
    item = criteria_item(check, criteria, check._source)
    p = check.product
    unread = (f"the product's {len(p.lots)} lots were not read (no trace ledger given; "
              "the CLI's --database)")
    unread = unread if lots is None and p.lots else ""
    lots = lots or []
    out = []
    for c in item.criteria:
        declared = p.declared.get(c.property)
        v: dict[str, Any] = {
            "criterion": c.id,
            "ja": c.ja,
            "en": c.en,
            "required": f"{c.op} {c.value}",
            "declared": declared,
            "evidence": [],
            "note": "",
        }
        value: Any = declared
        basis = "declared"
        if c.lot_property is not None and unread:
            v["note"] = f"{unread}; the declaration decides"
        if c.lot_property is not None and lots:
            derived, rows = _from_lots(c, lots, above)
            v["evidence"] = rows
            hidden = sum(1 for r in rows if r.get("note"))
            if hidden:
                v["note"] = (f"the recycled share of {hidden} of {len(rows)} lots is not "
                             "visible to the checker; the lots cannot decide")
            elif unseen and len(lots) > 1:  # review 324: a holder counted a blend of P and P
                derived = None
                v["note"] = (f"the inputs of {', '.join(unseen)} are not visible to the "
                             "checker: whether the lots hold one another cannot be told; the "
                             "lots cannot decide")
            within = [f"{r['lot']} ({r['counted_with']})" for r in rows
                      if "counted_with" in r and "counted_share" not in r]
            if derived is not None:
                value, basis = derived, f"trace lots ({len(rows) - len(within)})"
                if (
                    isinstance(declared, int | float)
                    and not isinstance(declared, bool)
                    and abs(declared - derived) > TOLERANCE
                ):
                    v["note"] = (
                        f"declared {declared:g} but the lots give {derived:.4g}; the lots decide"
                    )
                if c.share_of == "plastic_weight":
                    v["note"] = "; ".join(filter(None, (v["note"], PLASTIC_NOTE)))
            v["note"] = "; ".join(filter(None, (v["note"], *_lot_notes(rows, within, cut,
                                                                       far))))
        if basis == "declared" and c.property in p.evidence:
            v["evidence"] = [{"document": p.evidence[c.property]}, *v["evidence"]]
        if value is None:
            verdict = "unknown"
            v["note"] = v["note"] or f"{c.property} is neither declared nor derivable from lots"
        else:
            verdict = "pass" if _holds(value, c.op, c.value) else "fail"
        if verdict == "pass" and not v["evidence"]:
            v["note"] = v["note"] or "declared without cited evidence"
        v.update(value=value, basis=basis, verdict=verdict)
        out.append(v)
    return ProcurementResult(check, item, out, criteria.date)
