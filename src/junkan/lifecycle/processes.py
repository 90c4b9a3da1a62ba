"""The process table: every process's actor, stage, kind and unit factors (原単位) in base
units per piece and per kg, read from the quantity strings of the model.

Besides the model's own processes the table holds implicit ones: ``virgin:<material>`` and
``recycled:<material>`` (material supply, per kg) and ``purchase:<part>`` (the price of a new
part). Every factor that cannot be read is reported with its document path."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from typing_extensions import TypeIs

from junkan.core.errors import short
from junkan.core.quantities import code_unit, convert, parse_quantity
from junkan.core.registry import UnitParseError
from junkan.lifecycle.checks import Problems, Rule, rule, said, unknown
from junkan.lifecycle.compiled import BASES, FACTOR_KEYS, ProcessTable
from junkan.lifecycle.part_table import part_table
from junkan.lifecycle.schema import LifecycleModel

_COST = FACTOR_KEYS.index("cost")
_DEN = {"piece": "piece", "kg": "kg", "kg_km": "kg*km", "piece_year": "piece*year"}


def _parse_factor(value: object, numerator: str, path: str, currency: str,
                  problems: Problems) -> tuple[float, str] | None:
    ok_type = isinstance(value, str | int | float) and not isinstance(value, bool)
    # a number is never a factor (it has no unit): read it uncached, so that its message
    # says it as written (0.0 and -0.0, 1 and 1.0 are one key of the cache; review 228)
    read = _factor_value if isinstance(value, str) else _factor_value.__wrapped__
    parsed = read(value, numerator, currency) if ok_type else None
    if _read(parsed):
        return parsed
    problems.add(path, parsed or rule("factor-unreadable", "expected a factor such as "
                                      "'1.2 kgCO2e/piece', got {value}", value=short(value)))
    return None


@lru_cache(maxsize=8192)
def _factor_value(value: str | float, numerator: str, currency: str
                  ) -> tuple[float, str] | str | Rule:
    """(magnitude, basis) of a unit-factor string, or what is wrong with it: a domain rule
    (:class:`~junkan.lifecycle.checks.Rule`) or a message (cached: large models repeat the
    same strings thousands of times)."""
    try:
        q = parse_quantity(value)
    except UnitParseError as exc:
        return said(exc)
    for basis in BASES:
        target = f"{numerator}/({_DEN[basis]})"
        if q.dimensionality != _dimensionality(target):
            continue
        try:
            return convert(q, target, value=value, what="factor"), basis
        except UnitParseError as exc:
            return said(exc)
    hint = {"kgCO2e": "'1.2 kgCO2e/piece', '0.5 kgCO2e/kg' or '208 gCO2e/(t*km)'",
            "MJ": "'8.8 kWh/piece' or '3 MJ/kg'"}.get(numerator, f"'1200 {currency}/piece'")
    other = [c for c in ("JPY", "USD", "EUR") if c != currency and c in str(q.units)]
    if other:
        return rule("factor-currency", "{value} is in {other} but the model currency is "
                    "{currency}; convert it or set 'currency: {other}'", value=short(value),
                    other=other[0], currency=currency)
    found = _per_basis(q.dimensionality)
    if found is not None:  # per piece, kg or t*km indeed: the amount is of the wrong kind
        return rule("factor-numerator", "{value} is {kind} per {basis}; this field takes "
                    "{wanted} per piece, kg, t*km or piece-year: write e.g. {hint}",
                    value=short(value),
                    kind=found[0], basis=found[1],
                    wanted=_KINDS.get(numerator, f"an amount in {currency}"), hint=hint)
    return rule("factor-basis", "{value} has unit '{unit}', which is not a factor per piece, kg "
                "or t*km; write e.g. {hint}", value=short(value), unit=f"{q.units:~}",
                hint=hint)


_KINDS = {"kgCO2e": "a CO2e mass (kgCO2e, tCO2e)", "MJ": "an energy (MJ, kWh)",
          "kg": "a mass (kg, t)"}
"""What an amount of each kind is called in a message (a currency: 'an amount in JPY')."""


def _per_basis(dims: object) -> tuple[str, str] | None:
    """(kind of amount, basis) when ``dims`` is an amount of a known kind — CO2e, energy,
    mass or any currency — per piece, kg, t*km or piece-year: '3 kWh/kg' for a CO2e factor
    is an energy per kg (review 315: it was told it is not per piece, kg or t*km)."""
    for basis in BASES:
        amount = dims * _dimensionality(_DEN[basis])  # type: ignore[operator]
        for unit, kind in _KINDS.items():
            if amount == _dimensionality(unit):
                return kind, _DEN[basis].replace("kg*km", "t*km")
        names = list(getattr(amount, "keys", list)())
        if len(names) == 1 and str(names[0]).startswith("[currency_"):
            return f"an amount in {str(names[0])[10:-1]}", _DEN[basis].replace("kg*km", "t*km")
    return None


def _read(parsed: object) -> TypeIs[tuple[float, str]]:
    """Whether :func:`_factor_value` read its value (a :class:`Rule` is a tuple too)."""
    return isinstance(parsed, tuple) and not isinstance(parsed, Rule)


@lru_cache(maxsize=64)
def _dimensionality(unit: str) -> object:
    return code_unit(unit).dimensionality


class _TableBuilder:
    """Collects the rows of the process table, reading each factor string once."""

    def __init__(self, model: LifecycleModel, problems: Problems) -> None:
        self.cur = model.currency
        self.nums = {"co2e": "kgCO2e", "energy": "MJ", "cost": self.cur, "revenue": self.cur}
        self.problems = problems
        self.names: list[str] = []
        self.actor: list[str] = []
        self.stage: list[str] = []
        self.kind: list[str] = []
        self.rows: list[list[float]] = []
        self.block: np.ndarray | None = None  # rows after ``rows`` (:meth:`add_purchases`)

    def add(self, name: str, proc_actor: str, proc_stage: str, proc_kind: str,
            values: dict[str, object], distance: float | None, path: str,
            per_kg_only: bool = False) -> None:
        row = [0.0] * 8  # [per piece, per kg] × factor, flat
        for i, key in enumerate(FACTOR_KEYS):
            v = values.get(key)
            if v is None:
                continue
            parsed = _parse_factor(v, self.nums[key], f"{path}.{key}", self.cur, self.problems)
            if parsed is None:
                continue
            mag, b = parsed
            if b == "kg_km":
                if distance is None:
                    self.problems.add(f"{path}.distance", rule(
                        "distance-needed", "{factor} is per t*km, so the process needs a "
                        "'distance' (e.g. '150 km')", factor=key))
                    continue
                mag, b = mag * distance, "kg"
            if per_kg_only and b != "kg":
                self.problems.add(f"{path}.{key}", rule(
                    "supply-not-per-kg", "{value}: material supply factors are per kg (e.g. "
                    "'30 kgCO2e/kg')", value=short(v)))
                continue
            row[(0 if b in ("piece", "piece_year") else 4) + i] += mag
        self.names.append(name)
        self.actor.append(proc_actor)
        self.stage.append(proc_stage)
        self.kind.append(proc_kind)
        self.rows.append(row)

    def add_purchase(self, part: str, buyer: str, price: object) -> None:
        """The row ``purchase:<part>``: :meth:`add` of the price as a cost, with a shortcut
        for a price read before (a large model repeats a few prices many times) that is per
        piece or per kg."""
        parsed = _factor_value(price, self.cur, self.cur) if type(price) is str else None
        if not _read(parsed) or parsed[1] not in ("piece", "piece_year", "kg"):
            self.add(f"purchase:{part}", buyer, "manufacturing", "activity", {"cost": price},
                     None, f"parts.{part}.price")
            return
        row = [0.0] * 8
        row[(0 if parsed[1] != "kg" else 4) + _COST] += parsed[0]
        self.names.append(f"purchase:{part}")
        self.actor.append(buyer)
        self.stage.append("manufacturing")
        self.kind.append("activity")
        self.rows.append(row)

    def add_purchases(self, parts: list[str], buyers: list[str],
                      prices: list[str | float | None]) -> bool:
        """The rows ``purchase:<part>`` of all ``parts`` at once, as :meth:`add_purchase`
        gives them, when every price is per piece or per kg (each distinct price read once);
        ``False``, with nothing added, when one is not (then add them one by one)."""
        read: dict[str | float | None, tuple[float, str]] = {}
        for price in dict.fromkeys(prices):
            parsed = (0.0, "piece") if price is None else \
                _factor_value(price, self.cur, self.cur) if type(price) is str else None
            if not _read(parsed) or parsed[1] not in ("piece", "piece_year", "kg"):
                return False
            read[price] = parsed
        n = len(parts)
        got = [read[p] for p in prices]
        block = np.zeros((n, 8))
        block[np.arange(n), [4 + _COST if b == "kg" else _COST for _, b in got]] = \
            np.array([m for m, _ in got], dtype=float) + 0.0  # as 0.0 += m (no -0.0)
        self.names += [f"purchase:{p}" for p in parts]
        self.actor += buyers
        self.stage += ["manufacturing"] * n
        self.kind += ["activity"] * n
        self.block = block
        return True

    def table(self) -> ProcessTable:
        index = {n: i for i, n in enumerate(self.names)}
        factors = np.array(self.rows, dtype=float).reshape(-1, 8)
        if self.block is not None:
            factors = np.concatenate([factors, self.block])
        return ProcessTable(self.names, self.actor, self.stage, self.kind,
                            factors.reshape(-1, 2, 4), index)


def process_table(model: LifecycleModel, problems: Problems) -> ProcessTable:
    """The model's processes, then material supply, then part purchases, in document order."""
    rows = _TableBuilder(model, problems)
    _model_processes(model, rows, problems)
    for m_name, m in model.materials.items():
        buyer = m.buyer or default_actor(model, ("part_maker", "product_maker"))
        if m.buyer is not None and m.buyer not in model.actors:
            problems.add(f"materials.{m_name}.buyer", unknown("actor", m.buyer, model.actors))
        for which in ("virgin", "recycled"):
            supply = getattr(m, which)
            vals = {k: getattr(supply, k) for k in ("co2e", "energy", "cost")} if supply else {}
            rows.add(f"{which}:{m_name}", buyer or "", "material", "activity", vals, None,
                     f"materials.{m_name}.{which}", per_kg_only=True)
    part_buyer = default_actor(model, ("product_maker",))  # once, not once per part
    parts = part_table(model)
    if model.actors.keys() >= set(parts.buyer) - {None} and rows.add_purchases(
            parts.names, [b or part_buyer or "" for b in parts.buyer], parts.price):
        return rows.table()
    for q_name, own_buyer, price in zip(parts.names, parts.buyer, parts.price, strict=True):
        buyer = own_buyer or part_buyer
        if own_buyer is not None and own_buyer not in model.actors:
            problems.add(f"parts.{q_name}.buyer", unknown("actor", own_buyer, model.actors))
        rows.add_purchase(q_name, buyer or "", price)
    return rows.table()


def _model_processes(model: LifecycleModel, rows: _TableBuilder, problems: Problems) -> None:
    for name, p in model.processes.items():
        path = f"processes.{name}"
        if p.actor not in model.actors:
            problems.add(f"{path}.actor", unknown("actor", p.actor, model.actors))
        values: dict[str, object] = {}
        if p.mode is not None:
            mode = model.modes.get(p.mode)
            if mode is None:
                problems.add(f"{path}.mode", unknown("transport mode", p.mode, model.modes,
                                                     code="mode"))
            else:
                values.update({k: getattr(mode, k) for k in ("co2e", "energy", "cost")
                               if getattr(mode, k) is not None})
                if p.distance is None:
                    problems.add(f"{path}.distance", rule(
                        "mode-distance-needed", "transport mode {mode} is per t*km, so the "
                        "process needs a 'distance' (e.g. '150 km')", mode=short(p.mode)))
        # the mode gives per-t*km factors; a factor the process gives itself replaces the mode's
        values.update({k: getattr(p, k) for k in FACTOR_KEYS if getattr(p, k) is not None})
        rows.add(name, p.actor, p.stage, p.kind, values, p.distance, path)


def default_actor(model: LifecycleModel, roles: tuple[str, ...]) -> str | None:
    """The first actor with the first of ``roles`` that any actor has."""
    for role in roles:
        for name, a in model.actors.items():
            if a.role == role:
                return name
    return None
