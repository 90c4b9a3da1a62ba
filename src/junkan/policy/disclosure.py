"""Disclosure packs: for a company and a year, the ESRS E5 tables (E5-4 resource inflows,
E5-5 resource outflows), the WBCSD CTI and ISO 59020 indicators — all from
:mod:`junkan.indicators` on the company's flow model — with the method notes, and ESRS E5 as
inline XBRL (:mod:`junkan.policy.ixbrl`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache, partial
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from junkan.core.base import Strict
from junkan.core.documents import read_document, validate_with
from junkan.core.errors import ModelError, Problem, refusal
from junkan.core.fields import NOT_IN_XML, CorporateNumber, IsoDate, Lei, printable
from junkan.policy.data import data_document

FRAMEWORKS = ("esrs-e5", "cti", "iso59020")
SCHEMES = {
    "lei": "http://standards.iso.org/iso/17442",
    "corporate_number": "https://www.houjin-bangou.nta.go.jp",
}
"""Identifier schemes of the XBRL entity: the LEI (ISO 17442) or Japan's 法人番号."""


class Company(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200),
                    AfterValidator(partial(printable, not_allowed=NOT_IN_XML))]
    """The company's name, which the inline XBRL's title carries: one XML can hold (a
    vertical tab or U+FFFF made the document not well-formed: review 318)."""
    lei: Lei | None = None
    corporate_number: CorporateNumber | None = None

    @model_validator(mode="after")
    def _one_id(self) -> Company:
        if (self.lei is None) == (self.corporate_number is None):
            raise refusal(
                "lei-or-corporate-number",
                "give the company's lei (20 characters) or corporate_number (13 digits)",
            )
        return self

    @property
    def identifier(self) -> tuple[str, str]:
        """(scheme URI, identifier) of the XBRL entity."""
        if self.lei is not None:
            return SCHEMES["lei"], self.lei
        assert self.corporate_number is not None
        return SCHEMES["corporate_number"], self.corporate_number


PERIOD_DAYS = 550
"""Longest reporting period of a disclosure pack (about a year, with some slack)."""


class Period(Strict):
    start: IsoDate
    end: IsoDate

    @model_validator(mode="after")
    def _order(self) -> Period:
        if self.end <= self.start:
            raise refusal("period-end-not-after-start", "end must be after start")
        if (self.end - self.start).days > PERIOD_DAYS:
            raise refusal("period-too-long", "a reporting period is at most about a year "
                          "({days} days)", days=PERIOD_DAYS)
        return self


class PackRequest(Strict):
    """A disclosure-pack document (``kind: disclosure_pack``)."""

    kind: Literal["disclosure_pack"]
    company: Company
    period: Period
    flows: Annotated[str, Field(min_length=1, max_length=300)] | dict[str, Any]
    """The flow model (``junkan.indicators``): a path relative to this document, or inline."""
    lang: Literal["en", "ja"] = "en"


@dataclass(frozen=True)
class Pack:
    """A loaded pack request with its flow model."""

    request: PackRequest
    flows: Any
    source: str


@lru_cache(maxsize=1)
def xbrl_map() -> dict[str, Any]:
    """``data/policy/esrs_e5_xbrl.yaml``: the taxonomy, units and the facts' concepts."""
    return data_document("esrs_e5_xbrl.yaml")[0]


def load_pack(doc: dict[str, Any], source: str, base: Path | None) -> Pack:
    from junkan import indicators

    req = validate_with(PackRequest, doc, source)
    if isinstance(req.flows, dict):
        flows = indicators.load(doc=req.flows, source=f"{source}:flows")
    else:
        path = (base or Path.cwd()) / req.flows
        if not path.is_file():
            raise ModelError(
                [Problem("flows", f"no file {req.flows!r} next to the document")], source
            )
        flows = indicators.load(doc=read_document(path), source=str(path))
    return Pack(req, flows, source)


@dataclass
class DisclosurePack:
    """The pack: indicators by framework, the ESRS tables, the XBRL facts and the notes."""

    pack: Pack
    indicators: Any
    """The :class:`junkan.indicators.IndicatorResult`."""
    facts: list[dict[str, Any]]
    waste_table: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def company(self) -> Company:
        return self.pack.request.company

    @property
    def period(self) -> Period:
        return self.pack.request.period

    def rows(self, framework: str) -> list[dict[str, Any]]:
        """The framework's indicators: key, value, unit, status, formula, source, notes."""
        return [
            {
                "key": i.key,
                "value": i.value,
                "unit": i.unit,
                "status": i.status,
                "formula": i.formula,
                "source": i.source,
                "reason": i.reason,
                **({"reason_code": i.reason_code, "reason_params": dict(i.reason_params)}
                   if i.reason_code else {}),
                "notes": list(i.notes),
            }
            for i in self.indicators.indicators.get(framework, [])
        ]

    def to_frame(self) -> Any:
        return self.indicators.to_frame()

    def to_json(self) -> dict[str, Any]:
        from junkan.core.encoding import jsonable

        return dict(
            jsonable(
                {
                    "kind": "disclosure_pack",
                    "company": self.company.model_dump(exclude_none=True),
                    "period": {
                        "start": self.period.start.isoformat(),
                        "end": self.period.end.isoformat(),
                    },
                    "esrs_e5": self.rows("esrs-e5"),
                    "esrs_e5_5_waste": self.waste_table,
                    "cti": self.rows("cti"),
                    "iso59020": self.rows("iso59020"),
                    "xbrl_facts": self.facts,
                    "taxonomy": {
                        k: xbrl_map()["taxonomy"][k]
                        for k in ("name", "version", "entry_point", "namespace", "status")
                    },
                    "notes": self.notes,
                }
            )
        )

    def ixbrl(self, concepts: dict[str, str] | None = None, namespace: str | None = None) -> str:
        """ESRS E5 as an inline XBRL 1.1 document (XHTML); ``concepts`` (key → local name)
        and ``namespace`` from :func:`junkan.policy.ixbrl.resolve_taxonomy` when the
        taxonomy package is supplied."""
        from junkan.policy.ixbrl import render

        return render(self, concepts, namespace)

    def report(self, path: str | Path, *, lang: str = "ja") -> Path:
        from junkan.policy.pages import disclosure_page

        return disclosure_page(self, lang).write(path)


def _found(ind: Any, key: str) -> Any:
    """The indicator ``key`` of ``ind``, or None when the flow model gave none (E5-5's
    indicators are not computed for a model without waste outflows)."""
    try:
        return ind[key]
    except KeyError:
        return None


def _waste_table(ind: Any) -> dict[str, Any]:
    total = _found(ind, "esrs_e5.5.waste_total")
    return dict((total.inputs.get("table") if total is not None else None) or {})


def _facts(ind: Any) -> tuple[list[dict[str, Any]], list[str]]:
    facts: list[dict[str, Any]] = []
    notes = []
    table = _waste_table(ind)
    for spec in xbrl_map()["facts"]:
        key = spec["key"]
        share = key == "esrs_e5.4.secondary_t"
        found = _found(ind, "esrs_e5.4.secondary_share" if share else key)
        value = None if found is None else (
            found.inputs.get("secondary_t") if share else found.value)
        if value is None:
            why = "the flow model has no waste outflows" if found is None else found.reason
            notes.append(f"{spec['dr']} {spec['label']}: not computable ({why}); left untagged")
            continue
        facts.append(
            {
                "key": key,
                "dr": spec["dr"],
                "label": spec["label"],
                "concept": spec["concept"],
                "type": spec["type"],
                "value": float(value),
            }
        )
        if table:
            facts += breakdown_facts(spec, table)
    return facts, notes


def _cell(side: dict[str, Any], axes: list[str], pick: dict[str, str]) -> float:
    """The mass (t) of one side of the §37 table (``side[hazard][operation]``) over the members
    ``pick`` chooses (axis key → member key); an axis not picked is summed over."""
    first, second = axes
    return sum(
        float(ops[op])
        for h, ops in side.items()
        if h != "total" and pick.get(first, h) == h
        for op in ops
        if op != "total" and pick.get(second, op) == op
    )


def breakdown_facts(spec: dict[str, Any], table: dict[str, Any]) -> list[dict[str, Any]]:
    """The E5-5 §37 breakdowns of the fact ``spec`` (diverted from / directed to disposal) as
    dimensional facts: every hazard class × operation cell, then each hazard class and each
    operation alone (the other axis at its default), in t. Each carries ``dims`` (axis →
    member, local names of ``data/policy/esrs_e5_xbrl.yaml``) and ``breakdown`` (junkan's
    keys). Empty when the fact has no breakdown there."""
    dims = xbrl_map()["dimensions"]
    out = []
    for b in (b for b in dims["breakdowns"] if b["fact"] == spec["key"]):
        axes = [dims["axes"][a] for a in b["axes"]]
        first = [{b["axes"][0]: m} for m in axes[0]["members"]]
        second = [{b["axes"][1]: m} for m in axes[1]["members"]]
        picks = [{**x, **y} for x in first for y in second] + first + second
        for pick in picks:
            named = {
                dims["axes"][a]["axis"]: dims["axes"][a]["members"][m] for a, m in pick.items()
            }
            words = ", ".join(m.replace("_", " ") for m in pick.values())
            out.append(
                {
                    "key": spec["key"],
                    "dr": spec["dr"],
                    "label": f"{spec['label']}: {words}",
                    "concept": spec["concept"],
                    "type": spec["type"],
                    "value": _cell(table[b["table"]], b["axes"], pick),
                    "dims": named,
                    "breakdown": pick,
                }
            )
    return out


def _concept_note(doc: dict[str, Any]) -> str:
    """What the pack says about its XBRL concept names (verified or not, and from where)."""
    facts = doc["facts"]
    unverified = [f["concept"] for f in facts if f["concept_status"] != "verified"]
    dims = doc.get("dimensions") or {}
    axes = ", ".join(a["axis"] for a in (dims.get("axes") or {}).values())
    left = dims.get("untagged") or []
    tail = (
        f"; the E5-5 breakdowns are tagged with the explicit dimensions {axes} (checked "
        f"{str(dims.get('verified', '')).split(':')[0]})"
        + (": untagged, no member in the taxonomy: " + ", ".join(left) if left else "")
        + "."
    )
    if unverified:
        return (
            f"XBRL concept names: {len(unverified)} of {len(facts)} are derived from the "
            "taxonomy's labels and unverified (data/policy/esrs_e5_xbrl.yaml) unless the "
            "taxonomy package was supplied: " + ", ".join(unverified) + tail
        )
    tax = doc["taxonomy"]
    return (
        f"XBRL concept names: all {len(facts)} checked against the {tax['name']} "
        f"{tax['version']} on {doc['date']} (data/policy/esrs_e5_xbrl.yaml); with the "
        "taxonomy package supplied they are resolved from its labels instead" + tail
    )


def build_pack(pack: Pack) -> DisclosurePack:
    """Compute the pack's indicators and facts."""
    from junkan import indicators

    ind = indicators.run(pack.flows, list(FRAMEWORKS))
    facts, notes = _facts(ind)
    table = _waste_table(ind)
    summary = [i.key for fw in FRAMEWORKS for i in ind.indicators.get(fw, []) if i.status != "text"]
    if summary:
        notes.append(
            "checked against a summary only or junkan's reading (status ≠ text), "
            "check before disclosing: " + ", ".join(summary)
        )
    notes.append(_concept_note(xbrl_map()))
    if date.today() <= pack.request.period.end:  # the end day is in the period (XBRL's too)
        notes.append("the reporting period has not ended yet")
    return DisclosurePack(pack, ind, facts, table, notes)
