"""The ``uncertainty`` section of a model document: which parameters are uncertain (with a
distribution and its source), which share a source (correlated draws), which are fitted to
observations, and the observed figures.

::

    uncertainty:
      groups:
        grid: {correlation: 0.8, source: "one grid factor behind every kWh-based factor"}
      parameters:
        - parameter: products.room_ac.eol.collection.rate
          distribution: triangular
          min: 0.3
          mode: 0.4
          max: 0.5
          source: "assumption: formal route 30–50 %"
          calibrate: true
        - parameter: processes.magnet_making.co2e      # "1.5 kgCO2e/piece": the number 1.5
          distribution: lognormal
          median: 1.5
          pedigree: [2, 3, 2, 1, 3]                    # ecoinvent-style, widens gsd
          gsd: 1.1
          group: grid
          source: "assumption"
      observations:
        - {headline: co2_reduction_t, scenario: B, value: 521, source: "seed003 table"}

This module imports only the kernel and pydantic, so the root schema can refer to it.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, PrivateAttr, field_validator, model_validator

from junkan.core.base import Strict as BaseStrict
from junkan.core.errors import Problem, refusal
from junkan.core.quantities import written_unit

__all__ = ["Group", "Observation", "UncertainParameter", "UncertaintySection",
           "REPEATED", "REPEAT_TEMPLATE", "repeat_params", "repeated_observations"]

Distribution = Literal["normal", "lognormal", "triangular", "uniform", "beta", "fixed"]
MAX_PARAMETERS = 200
MAX_OBSERVATIONS = 500

_NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    # each alternative set of fields that defines the distribution
    "normal": (("mean", "std"),),
    "lognormal": (("median", "gsd"), ("mean", "std"), ("median", "pedigree")),
    "triangular": (("min", "mode", "max"),),
    "uniform": (("min", "max"),),
    "beta": (("alpha", "beta", "min", "max"), ("alpha", "beta")),
    "fixed": ((),),
}
_PARAMS = ("mean", "std", "median", "gsd", "min", "mode", "max", "alpha", "beta")
SCALE_PARAMS = tuple(p for p in _PARAMS if p not in ("gsd", "alpha", "beta"))
"""The distribution fields in the parameter's own scale (``gsd``, ``alpha``, ``beta`` and
the pedigree scores are shapes): multiplying the parameter multiplies these."""
Finite = float

Score = Annotated[int, Field(ge=1, le=5)]
"""A pedigree score: 1 (best) … 5 (worst)."""


class Strict(BaseStrict):
    """Unknown keys are errors; the docstring under each field is its JSON Schema
    description."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


NOT_QUANTITIES = frozenset({"junkan", "name", "title", "description", "currency", "years",
                            "uses", "baseline_name", "headline", "scenarios", "sources",
                            "uncertainty"})
"""Sections of a model document that describe the model (its format, horizon, scenarios,
figures and sources), not quantities of its loops: no parameter is drawn or decided in
them."""


def describing(path: str) -> str | None:
    """The section of ``path`` if it describes the model itself (:data:`NOT_QUANTITIES`:
    its horizon, currency, scenarios…) rather than its loops, else ``None``."""
    section = re.split(r"[.\[]", path, maxsplit=1)[0]
    return section if section in NOT_QUANTITIES else None


_LEADING_ZEROS = re.compile(r"\[0+(?=\d)")
"""Leading zeros of a list position in a document path (``[007]``)."""


class UncertainParameter(Strict):
    """One uncertain parameter: a numeric field of the model by its document path, a
    distribution, and where the distribution comes from.

    The field may be a number (a share, a rate) or a quantity with a unit
    (``"1.5 kgCO2e/piece"``, ``"14 year"``): the distribution is then of the *number*, in the
    unit written in the model. With ``relative: true`` the draw is a factor applied to each
    scenario's own value (e.g. a lognormal with median 1)."""

    parameter: str = Field(min_length=1, max_length=300)
    """Document path, e.g. ``products.room_ac.lifetime.scale`` or
    ``processes.ac_assembly.co2e``."""
    distribution: Distribution
    """``normal`` (mean, std), ``lognormal`` (median and gsd or pedigree, or mean and std),
    ``triangular`` (min, mode, max), ``uniform`` (min, max), ``beta`` (alpha, beta, and min
    and max together, or neither: on 0 … 1) or ``fixed`` (not drawn; calibration only,
    within ``range``)."""
    mean: Finite | None = None
    """Mean (normal; lognormal with ``std``)."""
    std: Finite | None = Field(default=None, json_schema_extra={"exclusiveMinimum": 0})
    """Standard deviation (normal; lognormal with ``mean``), above 0."""
    median: Finite | None = Field(default=None, gt=0)
    """Median (lognormal with ``gsd`` and/or ``pedigree``)."""
    gsd: Finite | None = Field(default=None, gt=1)
    """Geometric standard deviation (lognormal), above 1: exp(σ of ln x); the 95 % interval
    is median ÷ gsd^1.96 … median × gsd^1.96 (÷ gsd² … × gsd², ecoinvent's "SD²", holds
    95.4 %). A gsd of 1 is no spread at all: give the value in the
    model, or ``distribution: fixed``, instead."""
    pedigree: tuple[Score, Score, Score, Score, Score] | None = None
    """ecoinvent pedigree scores (reliability, completeness, temporal, geographical,
    technological; 1 best … 5 worst), added to ``gsd`` (the basic uncertainty; without it
    the basic variance 0.0006 on the log scale, a gsd of 1.025) as ecoinvent v3 does
    (:mod:`~junkan.lifecycle.uncertainty.distributions`)."""
    min: Finite | None = None
    """Lower bound (triangular, uniform, beta)."""
    mode: Finite | None = None
    """Most likely value (triangular)."""
    max: Finite | None = None
    """Upper bound (triangular, uniform, beta)."""
    alpha: Finite | None = Field(default=None, gt=0)
    """First shape parameter (beta)."""
    beta: Finite | None = Field(default=None, gt=0)
    """Second shape parameter (beta)."""
    range: tuple[Finite, Finite] | None = None
    """Plausible range: every distribution's draws are truncated to it; calibration keeps
    the fitted value inside it (required with ``calibrate: true`` unless the distribution is
    bounded)."""
    relative: bool = False
    """The draw multiplies each scenario's own value (instead of replacing it)."""
    source: str = Field(min_length=1, max_length=2000)
    """Where the distribution comes from (citation), or ``assumption: …``."""
    group: str | None = Field(default=None, min_length=1, max_length=100)
    """Parameters naming the same group share a source: their draws are correlated
    (``groups.<name>.correlation``, default 1 — fully dependent)."""
    calibrate: bool = False
    """Fit this parameter to ``observations`` (``junkan calibrate``)."""

    @field_validator("parameter")
    @classmethod
    def _one_spelling(cls, path: str) -> str:
        """The path with its list positions written as the document reads them
        (``maintenance[00]`` is ``maintenance[0]``): one field has one spelling, so the same
        field given twice is found, and a scenario setting it is recognised. A path into a
        section that describes the model rather than its loops (:data:`NOT_QUANTITIES`) is
        refused: drawing ``years.start`` or ``junkan`` failed later as an out-of-range draw."""
        if (section := describing(path)) is not None:
            raise refusal("unc-parameter-not-quantity", "{parameter} is not an uncertain "
                          "quantity: the section '{section}' describes the model itself; "
                          "draw a share, rate, yield, mass, unit factor, price or lifetime "
                          "of its actors, modes, processes, materials, parts or products",
                          parameter=path[:300], section=section)
        return _LEADING_ZEROS.sub("[", path)

    @field_validator(*_PARAMS, mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        """A distribution field is a number, in the unit the model writes the parameter in
        (review 315: ``mean: "2 kgCO2e/kg"`` was told pydantic's "Input should be a valid
        number, unable to parse string as a number"); number text is left to pydantic."""
        if isinstance(value, str) and written_unit(value):
            raise ValueError(f"expected a number, got {value!r}: a distribution's fields are "
                             "numbers in the unit the model writes the parameter in (the "
                             "distribution is of the number), without the unit")
        return value

    @field_validator("gsd", mode="before")
    @classmethod
    def _spread(cls, value: Any) -> Any:
        """A gsd of 1 or below is refused saying why, before the bound's bare message."""
        if isinstance(value, int | float) and not isinstance(value, bool) and value <= 1:
            raise refusal(
                "unc-gsd-not-above-1", "gsd must be above 1, got {value}: a gsd of 1 means no "
                "uncertainty (and below 1 is no geometric standard deviation); for a known "
                "value leave the parameter out or use 'distribution: fixed'",
                value=f"{value:g}")
        return value

    @model_validator(mode="after")
    def _complete(self) -> UncertainParameter:
        given = {p for p in _PARAMS if getattr(self, p) is not None}
        if self.pedigree is not None:
            given.add("pedigree")
        extra = {"gsd", "pedigree"} if self.distribution == "lognormal" else set()
        options = _NEEDS[self.distribution]
        if not any(
            set(o) <= given <= set(o) | (extra if "median" in o else set()) for o in options
        ):
            need = " or ".join(", ".join(o) for o in options if o)
            raise refusal(
                "unc-distribution-takes", "a {distribution} distribution takes {need}; given: "
                "{given}", distribution=self.distribution, need=need or "no parameters",
                given=", ".join(sorted(given)) or "nothing")
        lo, hi = self.min, self.max
        if lo is not None and hi is not None and not lo < hi:
            raise refusal("unc-min-not-below-max", "min ({min}) must be below max ({max})",
                          min=lo, max=hi)
        if (
            self.mode is not None
            and lo is not None
            and hi is not None
            and not lo <= self.mode <= hi
        ):
            raise refusal("unc-mode-outside", "mode ({mode}) must lie within min … max",
                          mode=self.mode)
        if self.range is not None and not self.range[0] < self.range[1]:
            raise refusal("unc-range-order", "range: the low bound (first) must be below the "
                          "high bound (second)")
        unbounded = self.distribution in ("normal", "lognormal", "fixed")
        if self.calibrate and self.range is None and unbounded:
            raise refusal("unc-calibrate-needs-range", "a calibrated parameter needs a "
                          "plausible 'range' (its low and high bound)")
        if self.distribution in ("normal", "lognormal") and self.std is not None \
                and self.std <= 0:  # -1 and 0 told alike (review 280)
            raise refusal(
                "unc-std-zero", "a {distribution} distribution needs std above 0 (for a "
                "constant, leave the parameter out or use 'distribution: fixed')",
                distribution=self.distribution)
        return self


class Group(Strict):
    """A source shared by several parameters."""

    correlation: float = Field(default=1.0, ge=0, le=1)
    """Correlation of the parameters' draws (on the normal scale of a Gaussian copula)."""
    source: str | None = Field(default=None, max_length=2000)
    """The shared source."""


SMALLEST_ERROR = 1e-12
"""The smallest standard error an observation may give, as a share of its value (of 1 for a
value below 1): a fit weighs each residual by 1 / error, and ``sigma: 1e-200`` overflowed
the fit's arithmetic (an assumption: no measurement is known to a trillionth)."""


class Observation(Strict):
    """An observed figure to calibrate against: a headline figure of the model for one
    scenario (or a whole-horizon total, ``total: co2e_t``)."""

    headline: str | None = Field(default=None, max_length=100)
    """A headline figure of the model (as ``junkan compare`` prints it)."""
    total: str | None = Field(default=None, max_length=100)
    """A key of the scenario's totals (``co2e_t``, ``virgin_input_t`` …)."""
    scenario: str = Field(min_length=1, max_length=100)
    """The scenario the figure was observed in."""
    value: float
    """The observed value, in the figure's unit."""
    sigma: float | None = Field(default=None, gt=0)
    """Standard error of the observation (default: ``rel_sigma`` × |value|)."""
    rel_sigma: float = Field(default=0.1, gt=0, le=10)
    """Relative standard error when ``sigma`` is not given (default 10 %)."""
    source: str = Field(min_length=1, max_length=2000)
    """Where the observed figure comes from."""
    fit: bool = True
    """``false``: not fitted, only reported against the fitted model with the range the model
    can give (e.g. a figure shown to lie outside that range, or defined otherwise than the
    model's: fitting it would pull the others away)."""

    @field_validator("value", mode="before")
    @classmethod
    def _not_percent(cls, value: Any) -> Any:
        """A percentage written with its sign (``"35.8%"``) is refused saying how to write
        it: a share's value is a number from 0 to 1 (review 259: "unable to parse")."""
        if isinstance(value, str) and value.strip().endswith("%"):
            number = value.strip()[:-1].strip()
            share = f"{float(number) / 100:g}" if _is_number(number) else "a number"
            raise refusal("unc-observation-percent", "{value}: write the observed value as a "
                          "number in the figure's unit (a share from 0 to 1: {share})",
                          value=value[:40], share=share)
        return value

    @model_validator(mode="after")
    def _one(self) -> Observation:
        if (self.headline is None) == (self.total is None):
            raise refusal("unc-observation-one-figure",
                          "an observation names exactly one of 'headline' or 'total'")
        if self.sigma is not None and "rel_sigma" in self.model_fields_set:
            raise refusal(
                "unc-observation-error-twice", "an observation gives its error once: 'sigma' "
                "({sigma}, in the figure's unit) or 'rel_sigma' ({rel_sigma}, a share of the "
                "value), not both; remove one", sigma=f"{self.sigma:g}",
                rel_sigma=f"{self.rel_sigma:g}")
        if self.value == 0 and self.sigma is None:
            raise refusal("unc-observation-zero-needs-sigma", "an observed value of 0 has no "
                          "relative error: give 'sigma', its standard error in the figure's "
                          "unit")
        if self.error < SMALLEST_ERROR * max(1.0, abs(self.value)):
            raise refusal("unc-observation-error-tiny", "a standard error of {error} for the "
                          "observed {value} is no measurement's (at least {least}): the fit "
                          "divides by it, and its weights would overflow; give the figure's "
                          "real error", error=f"{self.error:g}", value=f"{self.value:g}",
                          least=f"{SMALLEST_ERROR * max(1.0, abs(self.value)):g}")
        return self

    @property
    def figure(self) -> str:
        return self.headline if self.headline is not None else f"totals.{self.total}"

    @property
    def error(self) -> float:
        return (
            self.sigma if self.sigma is not None else self.rel_sigma * max(abs(self.value), 1e-12)
        )


MISSING_SECTION = Problem(
    "uncertainty", "the model declares no uncertain parameters; add an 'uncertainty' section "
    "(see the user guide, chapter 'Uncertainty'), or give the settings apart (--spec FILE on "
    "the command line, 'spec' in a request to the service, the Settings box on the web page)",
    "uncertainty-missing")
"""An analysis of a model without an ``uncertainty`` section and without settings given
apart (refused by :func:`~.study.resolve`, and by the service before it accepts a job)."""

_GroupsIn = Annotated[dict[str, Group], Field(max_length=MAX_PARAMETERS)] | None
_ObservationsIn = Annotated[list[Observation], Field(max_length=MAX_OBSERVATIONS)] | None
"""What ``groups:`` and ``observations:`` take as written: nothing under them is none."""


class UncertaintySection(Strict):
    """The root ``uncertainty`` section of a model document."""

    parameters: list[UncertainParameter] = Field(min_length=1, max_length=MAX_PARAMETERS)
    """The uncertain parameters (at most 200)."""
    groups: dict[str, Group] = Field(default_factory=dict, max_length=MAX_PARAMETERS)
    """Shared sources by name, with the correlation of their parameters' draws."""
    observations: list[Observation] = Field(default_factory=list, max_length=MAX_OBSERVATIONS)
    """Observed figures for calibration."""
    _origin: str | None = PrivateAttr(default=None)

    @field_validator("groups", mode="before", json_schema_input_type=_GroupsIn)
    @classmethod
    def _groups_left_empty(cls, value: Any) -> Any:
        """``groups:`` with nothing under it is no groups (see :meth:`_left_empty`)."""
        return {} if value is None else value

    @field_validator("observations", mode="before",
                     json_schema_input_type=_ObservationsIn)
    @classmethod
    def _left_empty(cls, value: Any) -> Any:
        """A section written with nothing under it (``observations:``) is an empty one, as
        left out (review 259: "Input should be a valid list"); the published schema says
        so too (``null`` allowed; review 262: it still required a list)."""
        return [] if value is None else value

    def located(self, source: str) -> UncertaintySection:
        """This section, read from a file of its own (``--spec``): errors name ``source``
        and paths inside it, instead of the model's ``uncertainty`` section."""
        self._origin = source
        return self

    @property
    def origin(self) -> str | None:
        """The file the section was read from, if not the model's own section."""
        return self._origin

    @model_validator(mode="after")
    def _refs(self) -> UncertaintySection:
        seen: dict[str, int] = {}
        for i, p in enumerate(self.parameters):
            if (j := seen.setdefault(p.parameter, i)) != i:  # both named (review 280)
                raise refusal("unc-parameter-twice", "parameter {parameter} is listed twice: "
                              "parameters[{first}] and parameters[{second}]",
                              parameter=p.parameter, first=j, second=i)
        unknown = sorted({p.group for p in self.parameters if p.group is not None}
                         - set(self.groups))
        if unknown:
            raise refusal(
                "unc-group-undeclared", "parameters name the group {names}, which 'groups' "
                "does not declare (declared: {known}); declare it under 'groups' with its "
                "correlation and source, or correct the name", names=", ".join(unknown),
                known=", ".join(sorted(self.groups)) or "none")
        if twice := repeated_observations(self.observations):
            j, k = twice[0]
            raise refusal(REPEATED, REPEAT_TEMPLATE, **repeat_params(self.observations[j], j, k))
        return self


def repeated_observations(observations: list[Observation]) -> list[tuple[int, int]]:
    """(first, repeat) indices of fitted observations of the same figure in the same scenario:
    each would count in the fit with its own weight, so one figure given twice would weigh
    double."""
    first: dict[tuple[str, str], int] = {}
    out = []
    for k, o in enumerate(observations):
        if not o.fit:
            continue
        key = (o.figure, o.scenario)
        if key in first:
            out.append((first[key], k))
        else:
            first[key] = k
    return out


REPEATED = "unc-observation-repeated"
"""The rule of two fitted observations of one figure in one scenario."""
REPEAT_TEMPLATE = (
    "observations[{first}] and observations[{repeat}] both observe {figure} in scenario "
    "{scenario}: fitting both would weigh that figure double; keep one (with a sigma that "
    "covers both sources) or mark the other 'fit: false'")
"""What is said of them (:func:`repeat_params` fills it in)."""


def repeat_params(o: Observation, j: int, k: int) -> dict[str, int | float | str]:
    """The parameters of :data:`REPEAT_TEMPLATE` for observations ``j`` and ``k`` observing
    the same figure (``o``'s)."""
    return {"first": j, "repeat": k, "figure": o.figure, "scenario": o.scenario}


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False
