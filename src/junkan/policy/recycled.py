"""Recycled-content plans and periodic reports (資源有効利用促進法, 2025 amendment): a maker
declares its designated products, the lots that are each product's output, and targets; the
periodic report is computed from the trace ledger's mass-balance statement — the figures are
never typed a second time — and exported in a filing layout (CSV / JSON), with gaps against
the plan flagged and every figure traceable to the ledger's entries (lots).

Each lot counts under the chain-of-custody model (ISO 22095) its step was recorded with:

* **mass balance** (credit method): the **claims** booked for the product's lots (share ×
  input mass), basis the input mass. The statement is
  :meth:`junkan.store.trace_repo.TraceRepo.statement` (or its ``to_json()``);
* **identity preserved, segregated, controlled blending**: the content is physically in the
  lot, as the ledger derived it from its inputs: mass × derived share, basis the lot's mass
  (:mod:`junkan.policy.custody`; the lots are
  :meth:`junkan.store.trace_repo.TraceRepo.made`).

share = recycled ÷ basis over the product's lots of the period; each row and each evidence
entry names the models it rests on."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from junkan.core.base import Strict
from junkan.core.documents import validate_with
from junkan.core.errors import ModelError, Problem, coded, refusal, short
from junkan.core.fields import Fraction, Mass
from junkan.policy.custody import (
    CHARS,
    Char,
    MadeLot,
    boundary_notes,
    claim_entries,
    claimed_parts,
    physical_entries,
    read_made,
    unclaimed_entries,
)
from junkan.policy.lotmatch import LotMatcher

PERIOD = re.compile(r"^(?:FY(\d{4})|(\d{4})|(\d{4})Q([1-4]))$")
CUSTODY = {
    "mass_balance": "mass_balance (ISO 22095 credit method; claims booked in the trace ledger)",
    "controlled_blending": "controlled_blending (ISO 22095; content derived from the inputs)",
    "segregated": "segregated (ISO 22095; inputs of one characteristic, content derived)",
    "identity_preserved": "identity_preserved (ISO 22095; one source, content derived)",
}
"""The chain-of-custody models a report's figures rest on, as the filing names them."""
FILING = (
    "報告期間/period",
    "事業者/maker",
    "製品区分/category",
    "製品/product",
    "再生材の区分/characteristic",
    "再生材利用量_kg/recycled_kg",
    "投入量_kg/basis_kg",
    "再生材利用率/share",
    "目標利用率/target_share",
    "目標利用量_kg/target_kg",
    "差_ポイント/gap_points",
    "未充足クレーム/uncovered_claims",
    "ロット数/lots",
    "管理方式/chain_of_custody",
    "指摘/gap",
)
"""Columns of the filing CSV. The ministry's field-level 様式 is unverified (references A3):
the layout carries what the plan and report must contain — product, recycled mass, share,
target, gap and the chain-of-custody model."""
Name = Annotated[str, Field(min_length=1, max_length=200)]


def quarters(period: str) -> list[str]:
    """The ledger's balancing periods (calendar quarters) of a reporting period: ``FY2028``
    (Japanese fiscal year, 2028Q2–2029Q1), ``2028`` (calendar year) or ``2028Q2``."""
    m = PERIOD.fullmatch(period)  # not match: its $ also matches before a final newline
    if m is None:
        raise ModelError([coded("period", "period-format", "{value}: write FY2028, 2028 or "
                                "2028Q2", value=short(period))])
    if m.group(1):
        y = int(m.group(1))
        return [f"{y}Q2", f"{y}Q3", f"{y}Q4", f"{y + 1}Q1"]
    if m.group(2):
        return [f"{m.group(2)}Q{q}" for q in range(1, 5)]
    return [period]


class Target(Strict):
    period: Annotated[str, Field(pattern=PERIOD.pattern)]
    characteristic: Literal["pre_consumer", "post_consumer", "total"] = "total"
    """What the target counts: one characteristic, or both together (``total``; recycled
    plastic counts pre- and post-consumer material alike)."""
    share: Fraction | None = None
    """Minimum recycled share (claimed ÷ basis) over the period."""
    mass: Mass | None = None
    """Minimum recycled mass over the period (with a unit: `5 t`; stored in kg)."""

    @model_validator(mode="after")
    def _some(self) -> Target:
        if self.share is None and self.mass is None:
            raise ValueError("a target needs a share, a mass or both")
        return self


class Product(Strict):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,80}$")]
    name: Name
    category: Name
    """The designated category (e.g. 容器包装, 家電4品目, 自動車)."""
    site: Name
    lots: list[Name] = Field(min_length=1, max_length=100)
    """Patterns (``*``, ``?``) of the ledger's lot ids that are this product's output."""
    characteristics: list[Char] = Field(default_factory=lambda: list(CHARS), min_length=1)
    targets: list[Target] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _targets_apply(self) -> Product:
        """A characteristic listed twice doubled its rows in the filing; a second target for
        the same period and characteristic, or one on a characteristic the product does not
        report, was never checked, without a word."""
        if len(set(self.characteristics)) != len(self.characteristics):
            raise refusal("characteristic-repeated", "characteristics {given} name one twice",
                          given=", ".join(self.characteristics))
        seen: dict[tuple[str, str], int] = {}
        for i, t in enumerate(self.targets):
            if t.characteristic not in (*self.characteristics, "total"):
                raise refusal("target-characteristic-unreported", "targets[{i}]: "
                              "{characteristic} is not among the product's characteristics "
                              "({known}); its target would never be checked", i=i,
                              characteristic=t.characteristic,
                              known=", ".join((*self.characteristics, "total")))
            key = (t.period, t.characteristic)
            if key in seen:
                raise refusal("target-repeated", "targets[{first}] and targets[{second}] are "
                              "both for {period} {characteristic}; give one", first=seen[key],
                              second=i, period=t.period, characteristic=t.characteristic)
            seen[key] = i
        return self


class Plan(Strict):
    """A maker's recycled-content plan (``kind: recycled_content_plan``)."""

    kind: Literal["recycled_content_plan"]
    maker: Name
    """The organisation's name in the trace ledger."""
    products: list[Product] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _unique(self) -> Plan:
        ids = [p.id for p in self.products]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"product ids must be unique: {sorted(dup)[0]} repeats")
        return self


def load_plan(doc: dict[str, Any], source: str) -> Plan:
    return validate_with(Plan, doc, source)


@dataclass
class PeriodicReport:
    """A periodic report: products against the plan and the accounts it rests on."""

    org: str
    period: str
    quarters: list[str]
    products: list[dict[str, Any]]
    accounts: list[dict[str, Any]]
    """The ledger's accounts of the period, totals per kind summed from their entries."""
    claims: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Evidence: the claim entries behind each product."""
    unassigned_claims: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> Any:
        import pandas as pd

        cols = [
            "product",
            "characteristic",
            "recycled_kg",
            "basis_kg",
            "share",
            "target_share",
            "target_kg",
            "uncovered_claims",
            "lots",
        ]
        rows = [{**{k: p[k] for k in cols}, "chain_of_custody": ", ".join(p["custody"])}
                for p in self.products]
        return pd.DataFrame(rows, columns=[*cols, "chain_of_custody"])

    def evidence(self, product: str) -> list[dict[str, Any]]:
        """The ledger entries (claims, with their lots) behind ``product``'s figures."""
        if product not in self.claims:
            raise ModelError([Problem("product", f"{product!r} is not in the plan")])
        return self.claims[product]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "recycled_content_report",
            "maker": self.org,
            "period": self.period,
            "quarters": self.quarters,
            "chain_of_custody": sorted({m for p in self.products for m in p["custody"]}),
            "products": self.products,
            "accounts": self.accounts,
            "evidence": self.claims,
            "unassigned_claims": self.unassigned_claims,
            "notes": self.notes,
        }

    def to_csv(self) -> str:
        """The filing layout (:data:`FILING`), one row per product and characteristic."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(FILING)
        for p in self.products:
            w.writerow(
                [
                    self.period,
                    _text(self.org),
                    _text(p["category"]),
                    _text(p["product"]),
                    p["characteristic"],
                    _n(p["recycled_kg"]),
                    _n(p["basis_kg"]),
                    _n(p["share"]),
                    _n(p["target_share"]),
                    _n(p["target_kg"]),
                    _n(p["gap_points"]),
                    p["uncovered_claims"],
                    p["lots"],
                    "; ".join(CUSTODY[m] for m in p["custody"]),
                    p["gap"],
                ]
            )
        return buf.getvalue()

    def report(self, path: str | Path, *, lang: str = "ja") -> Path:
        from junkan.policy.report import periodic_page

        return periodic_page(self, lang).write(path)


FORMULA = ("=", "+", "-", "@", "\t", "\r")
"""How a cell a spreadsheet would run as a formula starts (OWASP "CSV Injection")."""


def _text(v: str) -> str:
    """A text cell of the filing: one a spreadsheet would run as a formula (a category
    ``=HYPERLINK(…)``, an id ``-1+1``) gets a leading apostrophe and shows as written, as
    the service's other CSV tables do."""
    return "'" + v if v.startswith(FORMULA) else v


def _n(x: float | None) -> str:
    return "" if x is None else f"{x:.12g}"


def _statement_doc(statement: Any) -> dict[str, Any]:
    doc = statement.to_json() if hasattr(statement, "to_json") else statement
    if not isinstance(doc, dict) or not isinstance(doc.get("accounts"), list):
        raise ModelError(
            [
                Problem(
                    "statement",
                    "expected the ledger's mass-balance statement "
                    "(TraceRepo.statement or its to_json())",
                )
            ]
        )
    return doc


def _accounts(
    doc: dict[str, Any], qs: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """The statement's accounts of the quarters ``qs`` (totals per kind summed from their
    entries), their claim entries, and notes on periods not yet closed."""
    accounts: list[dict[str, Any]] = []
    claims: list[dict[str, Any]] = []
    notes: list[str] = []
    for a in doc["accounts"]:
        if a["period"] not in qs:
            continue
        totals: dict[str, float] = {}
        for e in a["entries"]:
            totals[e["kind"]] = totals.get(e["kind"], 0.0) + float(e["mass_kg"])
            if e["kind"] == "claim":
                claims.append(
                    {
                        "site": a["site"],
                        "characteristic": a["characteristic"],
                        "period": a["period"],
                        **e,
                        "custody": "mass_balance",
                    }
                )
        accounts.append(
            {
                "site": a["site"],
                "characteristic": a["characteristic"],
                "period": a["period"],
                "closed": a["closed"],
                "totals_kg": totals,
                "balance_kg": a["balance_kg"],
                "uncovered_claims": a["uncovered_claims"],
            }
        )
        if not a["closed"]:
            notes.append(
                f"{a['site']} {a['characteristic']} {a['period']}: period not closed; "
                "figures may still change"
            )
    return accounts, claims, notes


def periodic_report(
    plan: Plan, statement: Any, period: str, made: list[dict[str, Any]] | None = None
) -> PeriodicReport:
    """Compute ``plan``'s periodic report for ``period`` from the ledger's ``statement``
    (mass-balance claims) and the lots the maker ``made`` (the physical models; ``None``:
    claims only, and the report says so)."""
    qs = quarters(period)
    made_lots = None if made is None else read_made(made)
    doc = _statement_doc(statement)
    if doc.get("org") not in (None, plan.maker):
        raise ModelError(
            [
                Problem(
                    "maker", f"the statement is {doc.get('org')!r}'s, the plan is {plan.maker!r}'s"
                )
            ]
        )
    accounts, claims, notes = _accounts(doc, qs)
    if made_lots is None:
        notes.append("lots made under the physical chain-of-custody models were not read: "
                     "only mass-balance claims count (and a mass-balance lot that claimed "
                     "nothing is not in the basis)")
    rep = PeriodicReport(plan.maker, period, qs, [], accounts, notes=notes)
    claims_of, made_of = _assign(plan, claims, made_lots)
    by_id = {} if made_lots is None else {x.lot: x for x in made_lots}
    product_of = {x.lot: k for k, xs in enumerate(made_of) for x in xs}
    reports = {k: ("pre_consumer" in p.characteristics, "post_consumer" in p.characteristics)
               for k, p in enumerate(plan.products)}
    parts = {} if made_lots is None else claimed_parts(made_lots, product_of, reports)
    only_claims = {} if made_lots is None else claimed_parts(made_lots)
    used: set[int] = set()
    owner: dict[str, str] = {}
    for p, mine_i, mine_made in zip(plan.products, claims_of, made_of, strict=True):
        mine = [(i, claims[i]) for i in mine_i]
        phys: list[dict[str, Any]] = []
        if made_lots is not None:
            phys = _made(mine_made, by_id, p, qs, {c["lot"] for _, c in mine}, owner,
                         (parts, only_claims))
            rep.notes += boundary_notes(mine_made, qs)
            mine = list(zip((i for i, _ in mine), claim_entries(
                [c for _, c in mine], mine_made, by_id, parts, product_of, reports),
                strict=True))
        evidence = [c for _, c in mine] + phys
        rep.claims[p.id] = evidence
        for i, _ in mine:
            if i in used:
                raise ModelError(
                    [
                        Problem(
                            f"products.{p.id}.lots",
                            f"lot {claims[i]['lot']} "
                            "matches two products; make the patterns disjoint",
                        )
                    ]
                )
            used.add(i)
        reported = [c for c in evidence if c["characteristic"] in p.characteristics]
        for ch in (*p.characteristics, "total"):
            mine_ch = reported if ch == "total" else [c for c in reported
                                                      if c["characteristic"] == ch]
            rep.products.append(_row(p, ch, mine_ch, period, evidence))
    rep.unassigned_claims = [c for i, c in enumerate(claims) if i not in used]
    return rep


def _assign(plan: Plan, claims: list[dict[str, Any]], made: list[MadeLot] | None
            ) -> tuple[list[list[int]], list[list[MadeLot]]]:
    """Per product (in plan order): the indices of the claims and the made lots its patterns
    match at its site, each in the ledger's order; every lot matched once, whatever the
    number of products and patterns (:class:`~junkan.policy.lotmatch.LotMatcher`)."""
    match = LotMatcher([(p.site, p.lots) for p in plan.products]).products
    claims_of: list[list[int]] = [[] for _ in plan.products]
    made_of: list[list[MadeLot]] = [[] for _ in plan.products]
    for i, c in enumerate(claims):
        for k in match(c["site"], c["lot"]):
            claims_of[k].append(i)
    for x in made or ():
        for k in match(x.site, x.lot):
            made_of[k].append(x)
    return claims_of, made_of


def _made(mine: list[MadeLot], by_id: dict[str, MadeLot], p: Product, qs: list[str],
          claimed: set[str], owner: dict[str, str],
          parts: tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float]]]
          ) -> list[dict[str, Any]]:
    """``p``'s evidence entries from the made lots its patterns match (``mine``): those of the
    physical models and the mass-balance lots with no claim entry (``claimed``: the lots with
    one), each lot owned by one product (``owner``, filled in)."""
    entries = physical_entries(mine, by_id, qs, *parts)[0]
    entries += unclaimed_entries(mine, qs, claimed)
    for lot in dict.fromkeys(e["lot"] for e in entries):
        if lot in owner:
            raise ModelError([Problem(
                f"products.{p.id}.lots",
                f"lot {lot} matches two products ({owner[lot]}, {p.id}); "
                "make the patterns disjoint")])
        owner[lot] = p.id
    return entries


def _basis(entries: list[dict[str, Any]]) -> float:
    """The basis (kg) of ``entries``: each lot's once (one entry per lot and characteristic,
    on the same basis). Given all the product's entries, whatever characteristics it
    reports: a lot that claimed only one the product does not report is still its lot."""
    per_lot: dict[tuple[str, str], float] = {}
    for c in entries:
        key = (c["lot"], c["period"])
        per_lot[key] = max(per_lot.get(key, 0.0), float(c["basis_kg"] or 0.0))
    return sum(per_lot.values())


def _row(p: Product, ch: str, claims: list[dict[str, Any]], period: str,
         evidence: list[dict[str, Any]]) -> dict[str, Any]:
    """One row: ``claims`` are the evidence entries (mass-balance claims and lots made under
    a physical model) of the product and characteristic in the period (the row's lots and
    models are theirs); ``evidence`` all the product's entries of the period: the basis is
    that of all its lots — a characteristic's share is of the whole product, not of the lots
    that happen to carry it."""
    kg = sum(float(c["mass_kg"]) for c in claims)
    basis = _basis(evidence)
    share = kg / basis if basis > 0 else None
    uncovered = sum(bool(c["uncovered"]) for c in claims)
    target = next((t for t in p.targets if t.period == period and t.characteristic == ch), None)
    gaps = []
    gap_points = None
    if not claims and (target is not None or ch == "total"):
        gaps.append("nothing recorded in the period: no mass-balance claim booked and no lot "
                    "made under a physical chain-of-custody model")
    if target is not None and target.share is not None:
        gap_points = 100 * (target.share - (share or 0.0))
        if gap_points > 1e-9:
            gaps.append(
                f"share {100 * (share or 0.0):.1f} % below the planned "
                f"{100 * target.share:.1f} % ({gap_points:.1f} points)"
            )
    if target is not None and target.mass is not None and kg < target.mass - 1e-9:
        gaps.append(f"recycled {kg:,.0f} kg below the planned {target.mass:,.0f} kg")
    if uncovered:
        gaps.append(f"{uncovered} claim(s) no longer covered by credit")
    return {
        "product": p.id,
        "name": p.name,
        "category": p.category,
        "site": p.site,
        "characteristic": ch,
        "recycled_kg": kg,
        "basis_kg": basis,
        "share": share,
        "target_share": None if target is None else target.share,
        "target_kg": None if target is None else target.mass,
        "gap_points": gap_points,
        "uncovered_claims": uncovered,
        "lots": len({c["lot"] for c in claims}),
        "custody": sorted({c["custody"] for c in claims}),
        "gap": "; ".join(gaps),
    }
