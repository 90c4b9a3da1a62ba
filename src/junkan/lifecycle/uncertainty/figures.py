"""The figures an uncertainty study can observe (calibration) or analyse (sensitivity), by
name: a headline key, ``totals.<key>`` or ``actors.<actor>.<key>`` of one scenario.

Which names a scenario computes is known from its compiled form without simulating it:
the headline figures the model declares for the scenario, the totals and the per-actor keys
of :func:`~junkan.lifecycle.results.figure_units` (the keys :meth:`Result.totals
<junkan.lifecycle.results.Result.totals>` and :meth:`~junkan.lifecycle.results.Result.by_actor`
fill), and the actors of the scenario's processes. So ``junkan validate`` names a misspelt
observed figure as calibration would, before anything runs.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import NamedTuple, Protocol

from junkan.core.errors import Problem, coded, short
from junkan.lifecycle.api import ModelFile
from junkan.lifecycle.results import figure_units
from junkan.lifecycle.uncertainty.spec import Observation

__all__ = ["FigureNames", "Figures", "figure_names", "figure_problem", "observation_path",
           "unknown_scenario"]


class Figures(Protocol):
    """Per scenario, the figures it computes, keyed by name (values of any kind)."""

    @property
    def headline(self) -> Mapping[str, Collection[str]]: ...
    @property
    def totals(self) -> Mapping[str, Collection[str]]: ...
    @property
    def actors(self) -> Mapping[str, Mapping[str, Collection[str]]]: ...


class FigureNames(NamedTuple):
    """Per scenario, the names of the figures it computes (what
    :class:`~junkan.lifecycle.uncertainty.evaluate.Outputs` holds values of)."""

    headline: Mapping[str, Collection[str]]
    """Scenario → its headline figures."""
    totals: Mapping[str, Collection[str]]
    """Scenario → the keys of its totals."""
    actors: Mapping[str, Mapping[str, Collection[str]]]
    """Scenario → actor → the keys of its figures."""


def figure_names(model: ModelFile) -> FigureNames:
    """The figures every scenario of ``model`` computes, from its compiled forms."""
    head, tots, acts = {}, {}, {}
    for s in model.scenarios:
        c = model.compiled[s]
        units = figure_units(c.model.currency)
        head[s] = [k for k, h in model.baseline.headline.items()
                   if h.scenarios is None or s in h.scenarios]
        tots[s] = list(units["totals"])
        acts[s] = dict.fromkeys(c.processes.actor, tuple(units["by_actor"]))
    return FigureNames(head, tots, acts)


def observation_path(prefix: str, j: int, o: Observation, scenarios: list[str]) -> str:
    """Where a problem with observation ``j`` (``o``) of the section at ``prefix`` is: its
    scenario if the model has no such scenario, else the field naming its figure."""
    field = "scenario" if o.scenario not in scenarios else \
        "headline" if o.headline is not None else "total"
    return f"{prefix}observations[{j}].{field}"


def _known(names: Collection[str]) -> str:
    return ", ".join(sorted(names)) or "none"


def figure_problem(names: Figures, scenarios: list[str], s: str, name: str,
                   path: str = "") -> Problem | None:
    """``None`` if scenario ``s`` computes figure ``name`` (``names``: an evaluation's
    :class:`~junkan.lifecycle.uncertainty.evaluate.Outputs` or :func:`figure_names`), else
    the problem at ``path``: what is wrong and what there is instead."""
    if s not in scenarios:
        return unknown_scenario(path, s, scenarios)
    if name.startswith("totals."):
        if name[7:] in names.totals[s]:
            return None
        return coded(path, "unc-unknown-total", "unknown total {name}; totals are: {known}",
                     name=short(name[7:]), known=_known(names.totals[s]))
    if name.startswith("actors."):
        actor, _, key = name[7:].rpartition(".")
        if actor not in names.actors[s]:
            return coded(path, "unc-unknown-actor", "{name}: write actors.<actor>.<key> with "
                         "an actor of the model: {known}", name=short(name),
                         known=_known(names.actors[s]))
        if key in names.actors[s][actor]:
            return None
        return coded(path, "unc-unknown-actor-figure", "unknown actor figure {name}; there "
                     "are: {known}", name=short(key), known=_known(names.actors[s][actor]))
    if name in names.headline[s]:
        return None
    if any(name in d for d in names.headline.values()):
        return coded(path, "unc-headline-not-in-scenario", "headline figure {name} is not "
                     "computed for scenario {scenario} (see its 'scenarios' in the model's "
                     "headline section)", name=short(name), scenario=short(s))
    return coded(path, "unc-unknown-figure", "unknown figure {name}; give a headline figure "
                 "({known}), totals.<key> or actors.<actor>.<key>", name=short(name),
                 known=_known(names.headline[s]))


def unknown_scenario(path: str, name: str, scenarios: list[str]) -> Problem:
    """The refusal of scenario ``name`` (an observation's, an output's), which the model,
    with ``scenarios``, does not have (rule ``unc-unknown-scenario``)."""
    return coded(path, "unc-unknown-scenario", "unknown scenario {name}; the model has: "
                 "{known}", name=short(name), known=", ".join(sorted(scenarios)) or "none")
