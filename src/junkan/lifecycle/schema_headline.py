"""Headline figures and scenarios of the model format: selections of results and named
overrides of the baseline."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from junkan.core.errors import refusal, short
from junkan.core.fields import Year
from junkan.core.quantities import parse_unit
from junkan.core.registry import UnitParseError
from junkan.lifecycle.schema_types import Stage, Strict

__all__ = ["FILTERED", "Headline", "Scenario", "Selection", "checked_section"]

_BY_PROCESS = ("co2e", "energy", "cost", "revenue", "margin", "activity")
FILTERED: dict[str, tuple[str, ...]] = {
    "processes": _BY_PROCESS,
    "actors": _BY_PROCESS,
    "stages": _BY_PROCESS,
    "material": ("virgin_input", "recycled_input", "recycled_share"),
    "part": ("parts_made",),
    "product": ("products_made", "stock"),
}
"""The metrics each filter of a :class:`Selection` applies to. Any other is refused: the
figure would be the whole network's under a name that says otherwise (an outflow "of
aluminium" that was every material's; review 220)."""


class Selection(Strict):
    """A figure computed from results: a ``metric`` filtered and aggregated over years."""

    metric: Literal[
        "co2e",
        "energy",
        "cost",
        "revenue",
        "margin",
        "activity",
        "virgin_input",
        "recycled_input",
        "recycled_share",
        "reused_input",
        "circular_inflow_share",
        "outflow",
        "reuse_rate",
        "recycling_rate",
        "final_disposal",
        "products_made",
        "parts_made",
        "stock",
    ]
    """What is computed (see the user guide, "Headline figures")."""
    processes: list[str] | None = None
    """Only these processes (impact and activity metrics: ``co2e``, ``energy``, ``cost``,
    ``revenue``, ``margin``, ``activity``)."""
    actors: list[str] | None = None
    """Only the processes of these actors (impact and activity metrics)."""
    stages: list[Stage] | None = None
    """Only the processes of these life-cycle stages (impact and activity metrics)."""
    material: str | None = None
    """Only this material (material input metrics: ``virgin_input``, ``recycled_input``,
    ``recycled_share``)."""
    part: str | None = None
    """Only this part (``parts_made``)."""
    product: str | None = None
    """Only this product (``products_made``, ``stock``)."""
    years: tuple[Year, Year] | None = None
    """Inclusive year range (default: the whole horizon)."""
    aggregate: Literal["sum", "mean"] = "sum"
    """Over the years: total, or annual mean."""
    per: Selection | None = None
    """Divide by another selection (e.g. cost per part made)."""

    @model_validator(mode="after")
    def _filters_apply(self) -> Selection:
        for name, metrics in FILTERED.items():
            if getattr(self, name) is not None and self.metric not in metrics:
                raise refusal("headline-filter-not-applicable", "{filter} does not apply to "
                              "{metric}: the figure would be the whole network's; it applies "
                              "to {metrics} (leave it out, or choose one of those)",
                              filter=name, metric=self.metric, metrics=", ".join(metrics))
        return self


class Headline(Selection):
    """A headline figure printed by ``junkan compare`` for each scenario."""

    compare: Literal["value", "change", "reduction", "index", "change_index"] = "value"
    """``change`` = scenario − reference; ``reduction`` = reference − scenario;
    ``index`` = scenario / reference; ``change_index`` = (scenario − baseline) /
    (reference − baseline), e.g. a gain indexed to today's practice."""
    relative_to: str | None = None
    """Reference scenario (default: the baseline)."""
    unit: str | None = None
    """Display unit (e.g. ``t`` for a mass or ``tCO2e`` for CO2e)."""

    @field_validator("unit")
    @classmethod
    def _unit(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                parse_unit(v)
            except UnitParseError as exc:
                raise ValueError(str(exc)) from None
        return v

    scenarios: list[str] | None = None
    """Only for these scenarios (default: all)."""
    description: str | None = None
    """What the figure means (shown with the headline table)."""


class Scenario(Strict):
    """Named overrides of the baseline: ``set`` maps document paths to new values."""

    description: str | None = None
    """What the scenario changes."""
    extends: str | None = None
    """Apply another scenario's overrides first."""
    set: dict[str, Any] = Field(default_factory=dict)
    """Document path → new value, e.g. ``products.ac.eol.collection.rate: 0.6``."""


def checked_section(field: str | None, value: Any, data: dict[str, Any]) -> Any:
    """``value`` of section ``field`` of a model, checked against the fields validated before
    it (``data``): a scenario may not bear the baseline's name (the baseline is the document
    without overrides, implicit — a scenario of that name would be silently never run), and
    every headline figure's ``years`` (and its ``per``'s) lie within the simulated horizon
    (a window partly outside would be clipped to the years simulated, one wholly outside
    would have no value)."""
    if field == "scenarios" and isinstance(value, dict):
        base = str(data.get("baseline_name") or "baseline")
        if base in value:
            raise refusal("scenario-is-baseline", "scenario {name} has the baseline's name "
                          "(baseline_name): the baseline is the document without overrides "
                          "and is always run; rename the scenario, or set baseline_name to "
                          "another name", name=short(base))
    years = data.get("years")
    if field == "headline" and isinstance(value, dict) and years is not None:
        outside = []
        for key, figure in value.items():
            sel: Selection | None = figure
            where = f"headline.{key}.years"
            while sel is not None:
                if (bad := _outside(where, sel.years, years.start, years.end)) is not None:
                    outside.append(InitErrorDetails(type=bad, loc=(), input=sel.years))
                sel, where = sel.per, where.removesuffix("years") + "per.years"
        if outside:  # every window outside, not only the first (review 248)
            raise ValidationError.from_exception_data("headline", outside)
    return value


def _outside(where: str, window: tuple[int, int] | None, start: int,
             end: int) -> PydanticCustomError | None:
    """The refusal of a headline figure's ``window`` at ``where``, if it is not within the
    horizon ``start``–``end`` (first ≤ last)."""
    if window is None:
        return None
    lo, hi = window
    if lo > hi or lo < start or hi > end:
        return refusal("headline-years-outside", "{field}: [{first}, {last}] is not a window "
                       "within the simulated horizon {start}–{end}; give years from {start} "
                       "to {end}, first ≤ last (or extend 'years')", field=short(where),
                       first=lo, last=hi, start=start, end=end)
    return None
