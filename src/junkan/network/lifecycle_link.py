"""Supply from a lifecycle run, and the network's transport footprint back to it.

A lifecycle :class:`junkan.lifecycle.Result` (read only through its public tables,
``result.to_frame(table)``) gives, per year, the end-of-life outflow the network must carry:
a :class:`Outflow` picks it — flows between two stages (``Use`` → ``End-of-life
collection``), a process or stage's activity, or a material's column. The national yearly
series is split over the 47 prefectures by a stated proxy (the shipped population, or weights
the caller gives with their source) and becomes the network scenario's supply: one year
(:func:`supply_from_lifecycle` with ``year``) or a ``periods`` section that follows the
series (``years``): supply factors, or — when the proxy changes over the years
(``proxy_by_year``) or the series starts at 0 — the run's value per year and prefecture
(``supply_by_year``).

The network's answer goes back as a :class:`TransportFootprint` per lifecycle scenario (cost
and CO2e per year and per tonne); :meth:`TransportFootprints.indicator_hook` is a callable
``junkan.lifecycle.compare(model, indicator_hook=…)`` accepts, adding a
``network_transport`` entry to each scenario of the comparison."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from junkan.core.errors import JunkanError, short
from junkan.network.geo import prefecture_code, prefectures
from junkan.network.proxy import ProxyTable, read_proxy_table
from junkan.network.scenario import NetworkScenario, Periods, Supply

TABLE_COLUMNS = {"flows": "mass_kg", "processes": "activity_kg", "materials": "secondary_output_kg"}
"""The lifecycle tables an outflow can be read from and their default mass column (kg)."""


@dataclass(frozen=True)
class Outflow:
    """Which part of a lifecycle result is a commodity's supply: rows of ``table`` whose
    columns equal ``match`` (e.g. ``{"source": "Use", "target": "End-of-life collection"}``
    or ``{"stage": "collection"}``), summed per year over ``column`` (kg, default the table's
    mass column), times ``factor`` (e.g. a material's share of the product)."""

    table: Literal["flows", "processes", "materials"]
    match: Mapping[str, str]
    column: str | None = None
    factor: float = 1.0


def outflow_series(result: Any, outflow: Outflow) -> tuple[np.ndarray, np.ndarray]:
    """(years, t per year) of ``outflow`` in a lifecycle result (its public tables only)."""
    if outflow.table not in TABLE_COLUMNS:
        raise JunkanError(f"outflow table {short(outflow.table)}: use one of "
                          f"{', '.join(TABLE_COLUMNS)}")
    if not (np.isfinite(outflow.factor) and 0 <= outflow.factor <= 1e3):
        raise JunkanError(f"outflow factor {outflow.factor!r} must be finite, 0 to 1000")
    frame = result.to_frame(outflow.table)
    col = outflow.column or TABLE_COLUMNS[outflow.table]
    for key in (*outflow.match, col):
        if key not in frame.columns:
            raise JunkanError(f"the lifecycle table '{outflow.table}' has no column "
                              f"{short(key)}; it has {', '.join(map(str, frame.columns))}")
    mask = np.ones(len(frame), dtype=bool)
    for key, value in outflow.match.items():
        mask &= (frame[key] == value).to_numpy()
    if not mask.any():
        known = sorted({str(v) for k in outflow.match for v in frame[k].unique()})
        raise JunkanError(f"no rows of '{outflow.table}' match {dict(outflow.match)}; values "
                          f"there: {', '.join(known[:20])}")
    by_year = frame[mask].groupby("year")[col].sum()
    years = np.asarray(sorted(frame["year"].unique()))
    tonnes = np.array([float(by_year.get(y, 0.0)) for y in years]) * outflow.factor / 1000
    return years, tonnes


@dataclass(frozen=True)
class Proxy:
    """How a national tonnage is split by prefecture: ``weights`` per prefecture (name or
    code) with their ``source``; the default is the shipped population (2024 estimates,
    ``data/japan_prefectures.yaml``)."""

    weights: Mapping[str | int, float] | None = None
    source: str = "population by prefecture, 2024-10-01 estimates (data/japan_prefectures.yaml)"

    @classmethod
    def from_table(cls, table: ProxyTable | str | Path) -> Proxy:
        """The proxy of a :class:`junkan.network.proxy.ProxyTable` (vehicle registrations,
        installed solar capacity, …: all 47 prefectures, with source and date), or of a file
        holding one (:func:`junkan.network.proxy.read_proxy_table`)."""
        t = table if isinstance(table, ProxyTable) else read_proxy_table(table)
        weights: dict[str | int, float] = {k: v for k, v in t.by_prefecture.items()}
        return cls(weights=weights, source=t.describe())

    def shares(self) -> np.ndarray:
        """(47,) shares summing to 1."""
        w = np.zeros(47)
        if self.weights is None:
            w = np.array([p.population for p in prefectures()], dtype=float)
        else:
            for key, value in self.weights.items():
                if not (np.isfinite(value) and value >= 0):
                    raise JunkanError(f"proxy weight for {short(key)} must be finite and ≥ 0")
                try:
                    w[prefecture_code(key) - 1] += value
                except KeyError as exc:
                    raise JunkanError(f"proxy: {exc.args[0]}") from None
        if w.sum() <= 0:
            raise JunkanError("proxy weights sum to 0")
        return w / w.sum()


def supply_from_lifecycle(scenario: NetworkScenario, result: Any,
                          outflows: Mapping[str, Outflow], *, year: int | None = None,
                          years: list[int] | None = None, proxy: Proxy | None = None,
                          proxy_by_year: Mapping[int, Proxy] | None = None,
                          by_area: bool = False) -> NetworkScenario:
    """A copy of ``scenario`` whose commodities' supply is the lifecycle outflow: at
    ``year`` (single period), or with ``years`` a ``periods`` section (other settings of an
    existing one kept) that follows the series.

    The national series is split by ``proxy`` (default: population), or by
    ``proxy_by_year`` — the proxy in force from each year on (e.g. installed solar capacity
    by prefecture as published for 2020 and 2030), so the spread changes over the years.
    With one proxy and outflow in the first year, the periods follow the series as
    ``supply_factor`` (× the first year's spread); otherwise the lifecycle's per-year values
    go in per area as ``supply_by_year`` (t/yr per prefecture and year, the first years may
    be 0) and the commodity's ``supply`` is the first year with outflow. ``by_area``: always
    ``supply_by_year`` (per prefecture and year; :func:`junkan.network.year_table_csv` writes
    it as the CSV file ``junkan network periods`` reads beside a scenario)."""
    if (year is None) == (years is None):
        raise JunkanError("give one of year (single period) or years (multi-period)")
    if proxy is not None and proxy_by_year is not None:
        raise JunkanError("give one of proxy or proxy_by_year")
    plan_years: list[int] = list(years) if years is not None else [int(year or 0)]
    proxies = {y: _proxy_for(y, proxy, proxy_by_year) for y in plan_years}
    shares = {y: p.shares() for y, p in proxies.items()}
    names = [p.name for p in prefectures()]
    commodities = dict(scenario.commodities)
    factors: dict[str, list[float]] = {}
    tables: dict[str, dict[str, list[float]]] = {}
    for cname, outflow in outflows.items():
        if cname not in scenario.commodities:
            raise JunkanError(f"outflow for unknown commodity {short(cname)}; the scenario "
                              f"has {', '.join(scenario.commodities)}")
        ys, t = outflow_series(result, outflow)
        series = dict(zip(ys.tolist(), t.tolist(), strict=True))
        missing = [y for y in plan_years if y not in series]
        if missing:
            raise JunkanError(f"the lifecycle run covers {ys[0]}–{ys[-1]}, not {missing}")
        spread_moves = any(not np.allclose(shares[y], shares[plan_years[0]]) for y in plan_years)
        per_area = years is not None and (by_area or spread_moves
                                          or series[plan_years[0]] <= 0)
        if per_area:
            base_year = next((y for y in plan_years if series[y] > 0), None)
            if base_year is None:
                raise JunkanError(f"{cname}: the lifecycle outflow is 0 in every year planned")
        else:
            base_year = plan_years[0]
            if series[base_year] <= 0:
                raise JunkanError(f"{cname}: the lifecycle outflow in {base_year} is 0; start "
                                  "at a year with outflow")
        base = series[base_year]
        supply = Supply.model_validate({
            "by_prefecture": {n: f"{base * s:.6g} t" for n, s in
                              zip(names, shares[base_year], strict=True) if s > 0},
            "source": f"lifecycle run '{result.scenario}', {base_year}: {_describe(outflow)}; "
                      f"split by {proxies[base_year].source}"})
        commodities[cname] = commodities[cname].model_copy(update={"supply": supply})
        if per_area:
            tables[cname] = _per_area(names, [series[y] * shares[y] for y in plan_years])
        elif years is not None:
            factors[cname] = [series[y] / base for y in years]
    update: dict[str, Any] = {"commodities": commodities}
    if years is not None:
        per = scenario.periods.model_dump() if scenario.periods is not None else {}
        split = "; ".join(sorted({f"from {y}: {p.source}" if proxy_by_year else p.source
                                  for y, p in _first_years(proxies).items()}))
        per.update(years=years, supply_factor=factors, supply_by_year=tables,
                   source=f"lifecycle run '{result.scenario}' end-of-life outflows; split by "
                          f"{split}")
        update["periods"] = Periods.model_validate(per)
    return scenario.model_copy(update=update)


def _proxy_for(year: int, proxy: Proxy | None,
               proxy_by_year: Mapping[int, Proxy] | None) -> Proxy:
    """The proxy in force in ``year``: the one of ``proxy_by_year`` with the latest year not
    after it, else ``proxy`` (default: population)."""
    if proxy_by_year is None:
        return proxy or Proxy()
    if not proxy_by_year:
        raise JunkanError("proxy_by_year is empty; give a proxy per year it applies from")
    known = [y for y in sorted(proxy_by_year) if y <= year]
    if not known:
        raise JunkanError(f"proxy_by_year starts in {min(proxy_by_year)}; give a proxy for "
                          f"{year} or earlier")
    return proxy_by_year[known[-1]]


def _first_years(proxies: dict[int, Proxy]) -> dict[int, Proxy]:
    """Each distinct proxy with the first planned year it is used in."""
    out: dict[int, Proxy] = {}
    for y in sorted(proxies):
        if all(p != proxies[y] for p in out.values()):
            out[y] = proxies[y]
    return out


def _per_area(names: list[str], by_year: list[np.ndarray]) -> dict[str, list[float]]:
    """Prefecture → t per year (areas with supply in some year only); an area-year under
    1 kg (the planner refuses such a supply: within its solver's tolerance of 0) is 0."""
    from junkan.network.periods_data import MIN_SUPPLY_T

    grid = np.vstack(by_year)  # (T, 47)
    grid = np.where(grid < MIN_SUPPLY_T, 0.0, grid)
    return {n: [float(f"{v:.6g}") for v in grid[:, k]] for k, n in enumerate(names)
            if grid[:, k].any()}


def _describe(o: Outflow) -> str:
    what = ", ".join(f"{k}={v}" for k, v in o.match.items())
    return f"{o.table} [{what}] {o.column or TABLE_COLUMNS[o.table]}" + \
        (f" × {o.factor:g}" if o.factor != 1 else "")


@dataclass(frozen=True)
class TransportFootprint:
    """The network's transport of one lifecycle scenario, per year: cost (JPY/yr, hub fixed
    costs included), CO2e (t/yr), tonnes carried and the per-tonne figures."""

    scenario: str
    year: int | None
    tonnes: float
    cost_JPY: float
    co2e_t: float
    cost_breakdown: Mapping[str, float] = field(default_factory=dict)
    tonnes_by_year: Mapping[int, float] | None = None
    """The tonnes to carry in each year of the lifecycle run (e.g. the outflow series of
    :func:`outflow_series`): the horizon totals then scale the per-tonne figures by them;
    without it every year of the run carries this year's tonnes."""

    def over(self, years: Any) -> tuple[float, float]:
        """(CO2e t, cost JPY) of the transport over the lifecycle run's ``years``."""
        ys = [int(y) for y in years]
        if self.tonnes_by_year is None:
            return self.co2e_t * len(ys), self.cost_JPY * len(ys)
        t = sum(float(self.tonnes_by_year.get(y, 0.0)) for y in ys)
        if not self.tonnes:
            return 0.0, 0.0
        return self.co2e_kg_per_t * t / 1000, self.cost_per_t * t

    @property
    def cost_per_t(self) -> float:
        return self.cost_JPY / self.tonnes if self.tonnes else float("nan")

    @property
    def co2e_kg_per_t(self) -> float:
        return 1000 * self.co2e_t / self.tonnes if self.tonnes else float("nan")

    def to_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "year": self.year, "tonnes": self.tonnes,
                "cost_JPY": self.cost_JPY, "co2e_t": self.co2e_t,
                "cost_per_t_JPY": self.cost_per_t, "co2e_kg_per_t": self.co2e_kg_per_t,
                "cost_breakdown": dict(self.cost_breakdown)}


def transport_footprint(plan: Any, scenario: str, year: int | None = None, *,
                        tonnes_by_year: Mapping[int, float] | None = None
                        ) -> TransportFootprint:
    """The footprint of a solved :class:`junkan.network.Plan` for lifecycle ``scenario``
    (``tonnes_by_year``: see :attr:`TransportFootprint.tonnes_by_year`)."""
    net = plan.network
    tonnes = float(net.collected.sum()) if net is not None else 0.0
    by_year = None
    if tonnes_by_year is not None:
        by_year = {int(y): float(t) for y, t in tonnes_by_year.items()}
        if not all(np.isfinite(t) and t >= 0 for t in by_year.values()):
            raise JunkanError("tonnes_by_year must be finite and ≥ 0")
    return TransportFootprint(scenario=scenario, year=year, tonnes=tonnes, cost_JPY=plan.cost,
                              co2e_t=plan.co2_t, cost_breakdown=dict(plan.cost_breakdown),
                              tonnes_by_year=by_year)


def with_transport(totals: Mapping[str, float], fp: TransportFootprint, years: Any,
                   currency: str) -> dict[str, float]:
    """The lifecycle ``totals`` with the network's transport over the run's ``years`` added:
    ``co2e_t`` always; ``cost_JPY`` (and ``margin_JPY`` less it) when the run counts in JPY,
    the network's currency (another currency is left as it is: no exchange rate is
    assumed). Adds ``network_transport_co2e_t`` and ``network_transport_cost_JPY``."""
    co2, cost = fp.over(years)
    out = dict(totals)
    out["co2e_t"] = out.get("co2e_t", 0.0) + co2
    if currency == "JPY":
        out["cost_JPY"] = out.get("cost_JPY", 0.0) + cost
        if "margin_JPY" in out:
            out["margin_JPY"] -= cost
    out["network_transport_co2e_t"] = co2
    out["network_transport_cost_JPY"] = cost
    return out


@dataclass
class TransportFootprints:
    """Footprints by lifecycle scenario name."""

    by_scenario: dict[str, TransportFootprint] = field(default_factory=dict)
    baseline: str | None = None
    """The lifecycle comparison's baseline scenario: with its footprint known, each scenario
    also gets its change against the baseline with transport included."""

    def add(self, fp: TransportFootprint) -> None:
        self.by_scenario[fp.scenario] = fp

    def indicator_hook(self) -> Callable[[Any, dict[str, float], dict[str, float]],
                                        Mapping[str, Any]]:
        """A hook for ``junkan.lifecycle.compare(model, indicator_hook=…)``: to each scenario
        it knows it adds ``network_transport`` (the footprint, per year and over the run),
        ``totals_with_network_transport`` (:func:`with_transport`) and, when the baseline's
        footprint is known, ``change_vs_baseline_with_network_transport``."""
        def hook(result: Any, totals: dict[str, float], baseline: dict[str, float]
                 ) -> Mapping[str, Any]:
            fp = self.by_scenario.get(result.scenario)
            if fp is None:
                return {}
            co2, cost = fp.over(result.years)
            tot = with_transport(totals, fp, result.years, result.currency)
            out: dict[str, Any] = {
                "network_transport": {**fp.to_json(), "horizon_co2e_t": co2,
                                      "horizon_cost_JPY": cost},
                "totals_with_network_transport": tot}
            base_fp = self.by_scenario.get(self.baseline) if self.baseline else None
            if base_fp is not None:
                base = with_transport(baseline, base_fp, result.years, result.currency)
                out["change_vs_baseline_with_network_transport"] = {
                    k: tot[k] - base[k] for k in tot if k in base}
            return out
        return hook
