"""Documents of :mod:`junkan.policy`: the diagnosis request, the catalogue of measures and
the effect factors (``data/policy/*.yaml``), each validated with the field's path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from junkan.core.base import Strict
from junkan.core.documents import read_document, validate_with
from junkan.core.errors import ModelError, Problem, brief, coded
from junkan.core.fields import Fraction, Year
from junkan.policy.data import data_document
from junkan.policy.industry import Industry, read_industry
from junkan.policy.survey import Survey, read_survey, sample_path

Text = Annotated[str, Field(min_length=1, max_length=200)]
Money = Annotated[float, Field(ge=0, le=1e9)]
"""Yen per tonne."""
Factor = Annotated[float, Field(ge=-100, le=100)]
"""Tonnes CO2e per tonne."""


class Peers(Strict):
    """Who the municipality is compared with: the same population size class (bounds of the
    classes, in persons; default ``data/policy/peers.yaml``) or an explicit list of codes."""

    size_class_bounds: list[Annotated[int, Field(gt=0, le=100_000_000)]] | None = Field(
        None, max_length=50
    )
    codes: list[Annotated[str, Field(pattern=r"^\d{5}$")]] | None = Field(None, max_length=5000)

    @model_validator(mode="after")
    def _one(self) -> Peers:
        if self.size_class_bounds is not None and self.codes is not None:
            raise ValueError("give size_class_bounds or codes, not both")
        b = self.size_class_bounds
        if b is not None and any(x >= y for x, y in zip(b, b[1:], strict=False)):
            raise ValueError("size_class_bounds must increase")
        return self


class Request(Strict):
    """A diagnosis document (``kind: diagnosis``)."""

    kind: Literal["diagnosis"]
    municipality: Annotated[str, Field(pattern=r"^\d{5}$")]
    """The 地方公共団体コード of the municipality diagnosed."""
    fiscal_year: Year
    """The survey's fiscal year (April to March); per-day figures use its days."""
    survey: Text = "sample"
    """A survey table (``.csv``/``.xlsx``, relative to this document) or ``sample``."""
    peers: Peers = Peers()
    quantile: Fraction = 0.75
    """The peers' quantile of per-capita recovery taken as the achievable rate."""
    measures: Text | None = None
    """A measures catalogue (YAML) replacing ``data/policy/measures.yaml``."""
    industry: Text | None = None
    """A table of persons employed per municipality (``.csv``/``.xlsx``, relative to this
    document; :mod:`junkan.policy.industry`): business waste per person employed is then
    ranked among the peers. None: no industry figures."""


Status = Literal["sourced", "derived", "assumption"]


class Stream(Strict):
    en: Text
    route: Literal["incineration", "non_combustible"]
    co2e_t_per_t: Factor
    """Net CO2e avoided per tonne recovered instead of disposed."""
    revenue_JPY_per_t: Money
    status: Status
    """Of ``co2e_t_per_t`` and ``revenue_JPY_per_t`` (copied into each measure's model)."""


class AvoidedCost(Strict):
    national_average_JPY_per_t: Money
    status: Status
    variable_share: Fraction
    variable_share_status: Status


class Factors(Strict):
    date: Text
    avoided_disposal_cost: AvoidedCost
    streams: dict[str, Stream] = Field(max_length=100)


class Measure(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,60}$")]
    ja: Text
    en: Text
    stream: Text
    capture: Fraction
    """Share of the stream's potential the measure realises."""
    cost_JPY_per_t: Money
    co2e_t_per_t: Factor | None = None
    route: Literal["recycling", "reuse"] = "recycling"
    """Where the collected tonnes go in the measure's lifecycle model: a recycling sink
    (material recovered) or product reuse."""


class Catalogue(Strict):
    status: Status
    date: Text
    measures: list[Measure] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _unique(self) -> Catalogue:
        ids = [m.id for m in self.measures]
        if len(set(ids)) != len(ids):
            raise ValueError("measure ids must be unique")
        share: dict[str, float] = {}
        for m in self.measures:
            share[m.stream] = share.get(m.stream, 0.0) + m.capture
        over = [s for s, v in share.items() if v > 1 + 1e-9]
        if over:
            raise ValueError(
                f"captures on stream {over[0]} add up to more than 1 (the "
                "measures would recover more than its potential)"
            )
        return self


@dataclass(frozen=True)
class Diagnosis:
    """A loaded diagnosis: the request, the survey it reads, the peers' default bounds, the
    catalogue of measures and the factors."""

    request: Request
    survey: Survey
    bounds: tuple[int, ...]
    catalogue: Catalogue
    factors: Factors
    source: str
    industry: dict[str, Industry] | None = None
    """Persons employed by municipality code, when the request names a table."""


def _data(name: str) -> tuple[dict[str, object], str]:
    return data_document(name)


@lru_cache(maxsize=1)
def default_factors() -> Factors:
    doc, src = _data("factors.yaml")
    return validate_with(Factors, doc, src)


@lru_cache(maxsize=1)
def default_bounds() -> tuple[int, ...]:
    doc, src = _data("peers.yaml")
    bounds = doc.get("size_class_bounds")
    peers = validate_with(Peers, {"size_class_bounds": bounds}, src)
    return tuple(peers.size_class_bounds or ())


def default_catalogue() -> Catalogue:
    doc, src = _data("measures.yaml")
    return validate_with(Catalogue, doc, src)


FIRST_FISCAL_YEAR = 1998
"""The earliest fiscal year a diagnosis accepts (a sane bound for the MOE general-waste
survey, 一般廃棄物処理実態調査, not a sourced first year); the latest is the current year."""


def _streams_have_factors(catalogue: Catalogue, survey: Survey, known: list[str],
                          measures: str) -> None:
    """Refuse a measure or a survey stream without factors (``data/policy/factors.yaml``),
    naming the file that holds it: the measures' catalogue or the survey table (its
    column ``資源化量/<stream>``), not the diagnosis document."""
    def missing(path: str, stream: str) -> Problem:
        return coded(path, "policy-stream-no-factors", "stream {stream} has no factors in "
                     "data/policy/factors.yaml (known: {known})", stream=stream,
                     known=", ".join(known))

    for problems, source in (
        ([missing(f"measures[{i}].stream", m.stream)
          for i, m in enumerate(catalogue.measures) if m.stream not in known], measures),
        ([missing(f"資源化量/{s}", s) for s in survey.streams if s not in known],
         survey.source)):
        if problems:
            raise ModelError(problems, source)


def _peer_code_problems(codes: list[str], me: str, known: set[str]) -> list[Problem]:
    """Peer codes not in the survey, given twice (counted once: the list was not what the
    user meant), or none but the municipality itself (ranks "1 of 1", no potential)."""
    out = [coded(f"peers.codes[{i}]", "peer-code-unknown", "code {code} is not in the survey",
                 code=c) for i, c in enumerate(codes) if c not in known]
    first: dict[str, int] = {}
    for i, c in enumerate(codes):
        if c in first:
            out.append(coded(f"peers.codes[{i}]", "peer-code-repeated", "code {code} is "
                             "already peers.codes[{first}]", code=c, first=first[c]))
        first.setdefault(c, i)
    if not set(codes) - {me}:
        out.append(coded("peers.codes", "no-peers", "no municipality but {code} itself to "
                         "compare with; list its peers' codes", code=me))
    return out


def load_diagnosis(
    doc: dict[str, object], source: str, base: Path | None, names: dict[str, str] | None = None
) -> Diagnosis:
    """Validate a diagnosis document and read what it names (paths relative to ``base``);
    ``names`` gives the ``survey`` or ``industry`` table the name its errors use (an upload's
    field rather than the temporary file the service wrote it to)."""
    req = validate_with(Request, doc, source)
    names = names or {}
    if req.survey == "sample":
        survey = read_survey(sample_path())
    else:
        survey = read_survey((base or Path.cwd()) / req.survey, names.get("survey"))
    if req.measures is None:
        catalogue = default_catalogue()
    else:
        path = (base or Path.cwd()) / req.measures
        catalogue = validate_with(Catalogue, read_document(path), str(path))
    factors = default_factors()
    _streams_have_factors(catalogue, survey, list(factors.streams),
                          str(path) if req.measures is not None else "measures")
    problems: list[Problem] = []
    known = {m.code for m in survey.municipalities}
    if req.municipality not in known:  # the document's field, not the survey's column
        problems.append(
            Problem(
                "municipality",
                f"code {req.municipality!r} is not in the survey {survey.source} "
                f"({len(known)} municipalities)",
            )
        )
    if not FIRST_FISCAL_YEAR <= req.fiscal_year <= date.today().year:
        problems.append(
            Problem(
                "fiscal_year",
                f"{req.fiscal_year} is outside the survey's years "
                f"({FIRST_FISCAL_YEAR}–{date.today().year})",
            )
        )
    if req.peers.codes is not None:
        problems += _peer_code_problems(req.peers.codes, req.municipality, known)
    industry = None
    if req.industry is not None:
        industry = read_industry((base or Path.cwd()) / req.industry, names.get("industry"))
        if req.municipality in known and req.municipality not in industry:
            problems.append(coded("industry", "industry-no-row", "the table {table} has no row "
                                  "for code {code}",  # named as sent, not the service's file
                                  table=brief(names.get("industry") or req.industry, 200),
                                  code=req.municipality))
    if problems:
        raise ModelError(problems, source)
    bounds = tuple(req.peers.size_class_bounds or default_bounds())
    return Diagnosis(req, survey, bounds, catalogue, factors, source, industry)
