"""Plan the feed mix and the parts to remove so the aluminium product meets a buyer's window
with a chosen probability, at the best margin.

Variables: x_v vehicles of type v shredded (0 ≤ x_v ≤ stock_v) and y_vp vehicles of type v
whose component p still goes in (0 ≤ y_vp ≤ x_v; x_v − y_vp are removed before shredding).
Components the law requires removed (``dismantling.yaml``: traction-battery cells) are
always removed, at their labour cost, unless the request relaxes the rule (``relax_legal``).
Every contribution to the product is linear in (x, y) (:mod:`junkan.alloys.units`); the
chance constraint is made linear and safe and its κ searched (:mod:`junkan.alloys.chance`);
the LP is solved exactly at any size (:mod:`junkan.alloys.lpcore`), and the plan is made of
whole units — a MILP up to ``lpcore.DIRECT_UNITS`` units, the LP plan rounded and repaired
above — with its gap to the LP bound (:mod:`junkan.alloys.wholeplan`). Stock counts must be
whole vehicles (a fractional count is refused, naming it).

**Objective**: product value at the buyer's 'met' price + the rest of the Al fraction at
the 'not met' price − the sorter's running cost + other fractions' value + value of removed
parts − removal labour − shredding cost (per vehicle, ∝ 1/throughput at the grain size) −
residue cost − purchases. The plan ships at least 1 % of what the stock could give (or
``min_product_kg``); its status is "unprofitable" when the best margin is negative.

**Minima**: a buyer's ``min`` limits enter as the mirrored chance rows (the content's mean −
κ·sd at or above the minimum) and count in P(met), per element as P(min ≤ c ≤ max).

**Infeasible window**: the nearest window the stock can meet (slack per limit in wt % of the
product a plan ships: a maximum raised, a minimum lowered, never below 0), and the cheapest
combination of levers — removals, sorter, grain size, vehicles bought in — that
meets the window (:mod:`junkan.alloys.levers`), or the statement that none in the data does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from junkan.alloys.chance import (
    KappaResult,
    UnitStats,
    chance_bounds,
    loosen,
    nearest_window,
    search_kappa,
    unit_stats,
    unmet_problem,
)
from junkan.alloys.data import Buyer, Library, load_alloy_library
from junkan.alloys.predict import MAX_VEHICLES, TRACKED, FeedLine, FeedPlan, Refused, routing_for
from junkan.alloys.sorter import Sorter
from junkan.alloys.units import Blocks, PlanModel, build_model, product_weights, shredding_cost
from junkan.core.encoding import jsonable
from junkan.core.errors import coded, listed, short

NEAREST_KAPPA_TRIES = 8
"""Windows (κ) the nearest window of an unmet plan tries, at most (:func:`_nearest_met`)."""


class PlanError(Refused):
    """The planning problem is malformed (names what: its coded ``problems``), or no plan
    meets the window."""

    def __init__(self, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.detail = detail or {}


@dataclass(frozen=True)
class Setting:
    """The levers of one plan: grain size, sorter and product bin, which components may be
    removed (None: every dismantling option), vehicles that may be bought in."""

    grain_mm: float
    sorter: Sorter | None
    product: str
    removable: tuple[str, ...] | None
    purchasable: tuple[tuple[str, float], ...] = ()

    def describe(self) -> dict[str, Any]:
        return {"grain_mm": self.grain_mm,
                "sorter": self.sorter.name if self.sorter is not None else None,
                "product": self.product,
                "removable": list(self.removable) if self.removable is not None else "all",
                "buy_in": dict(self.purchasable)}


@dataclass
class Task:
    """What every setting of one planning request shares."""

    lib: Library
    stock: dict[str, float]
    buyer: Buyer
    probability: float
    capacity_vehicles: float | None
    min_product_kg: float
    n: int
    seed: int
    compositions: np.ndarray | None
    relax_legal: tuple[str, ...] = ()
    _routes: dict[float, Any] = field(default_factory=dict)

    def routes(self, grain_mm: float) -> Any:
        if grain_mm not in self._routes:
            self._routes[grain_mm] = routing_for(self.lib, grain_mm, self.n, self.seed,
                                                 self.compositions)
        return self._routes[grain_mm]


@dataclass
class Outcome:
    """A setting solved: the model, its statistics, the extra rows, the κ search."""

    setting: Setting
    model: PlanModel
    stats: UnitStats
    extra_a: np.ndarray
    extra_b: np.ndarray
    floor_kg: float
    kappa: KappaResult


def blocks_for(task: Task, setting: Setting) -> Blocks:
    idx = task.lib.index()
    names = [v for v, c in task.stock.items() if c > 0]
    bought = [(v, c) for v, c in setting.purchasable if c > 0]
    veh = np.array([idx.vehicle_index[v] for v in names] +
                   [idx.vehicle_index[v] for v, _ in bought], dtype=np.int64)
    # whole vehicles: a fractional purchasable count (levers.yaml) is rounded down
    stock = np.floor(np.array([task.stock[v] for v in names] + [c for _, c in bought],
                              dtype=float) + 1e-9)
    price = 0.0
    if bought and task.lib.levers is not None:
        price = task.lib.levers.purchase_JPY_per_kg_curb.value
    extra = np.concatenate([np.zeros(len(names)), price * idx.curb_kg[veh[len(names):]]])
    return Blocks(veh, stock, extra, np.arange(veh.size) >= len(names))


def solve_setting(task: Task, setting: Setting) -> Outcome:
    """Build the model of ``setting`` and search κ."""
    lib = task.lib
    idx = lib.index()
    comp, rt = task.routes(setting.grain_mm)
    w = product_weights(setting.sorter, setting.product)
    allowed = idx.removable.copy()
    if setting.removable is not None:
        allowed[:] = False
        allowed[[idx.component_index[c] for c in setting.removable]] = True
    forced = idx.legal.copy()
    for c in task.relax_legal:
        forced[idx.component_index[c]] = False
    blocks = blocks_for(task, setting)
    m = build_model(lib, blocks, rt, comp, w, task.buyer, setting.sorter, allowed, forced)
    st = unit_stats(m)
    n_u = m.n_units
    rows, rhs = [], []
    is_base = m.part_comp < 0
    if task.capacity_vehicles is not None:
        rows.append(is_base.astype(float))
        rhs.append(float(task.capacity_vehicles))
    # ship at least 1 % of what the stock could give (or the asked minimum): without it
    # "ship nothing" satisfies any window, and an unprofitable window would look infeasible
    on_hand = ~blocks.bought[m.unit_block]
    floor = max(task.min_product_kg,
                0.01 * float(st.mass[on_hand] @ blocks.stock[m.unit_block][on_hand]))
    rows.append(-st.mass)
    rhs.append(-floor)
    extra_a = np.vstack(rows) if rows else np.zeros((0, n_u))
    kr = search_kappa(m, st, extra_a, np.array(rhs), task.probability)
    return Outcome(setting, m, st, extra_a, np.array(rhs), floor, kr)


@dataclass
class PlanResult:
    """A feed plan: vehicles to shred, parts to remove first, the margin, the product and
    the probability that it meets the buyer's window (overall and per element).
    ``to_json()`` is the document the CLI and the API return."""

    status: str
    counts: dict[str, int]
    removals: dict[str, dict[str, int]]
    margin_JPY: float
    product_kg: float
    probability: dict[str, float]
    probability_all: float
    kappa: float
    solves: int
    seconds: float
    composition_mean: dict[str, float]
    detail: dict[str, Any]

    def document(self) -> dict[str, Any]:
        return {"status": self.status, "vehicles": self.counts, "removals": self.removals,
                "margin_JPY": self.margin_JPY, "product_kg": self.product_kg,
                "probability_met": self.probability_all,
                "probability_per_element": self.probability, "kappa": self.kappa,
                "lp_solves": self.solves, "seconds": self.seconds,
                "composition_mean_wt_pct": self.composition_mean, **self.detail}

    def to_json(self) -> dict[str, Any]:
        """The plan's JSON-ready document."""
        return dict(jsonable(self.document()))

    def to_frame(self) -> Any:
        """One row per vehicle: vehicles shredded and, per removable component, how many of
        them have it removed first (column ``remove:<component>``)."""
        import pandas as pd

        rows = [{"vehicle": v, "shredded": c,
                 **{f"remove:{k}": n for k, n in self.removals.get(v, {}).items()}}
                for v, c in self.counts.items()]
        frame = pd.DataFrame(rows)
        counts = [c for c in frame.columns if c != "vehicle"]
        frame[counts] = frame[counts].fillna(0).astype(int)  # whole vehicles, not 31.0
        return frame

    def report(self, out: str | Path) -> Path:
        """Write ``plan.json`` and ``plan.csv`` (the table) into ``out``; returns the JSON
        file's path."""
        return write_files(out, "plan", self.to_json(), self.to_frame())

    def feed_plan(self) -> FeedPlan:
        """The plan as a feed for :func:`~junkan.alloys.predict.predict` (to check it on
        fresh samples): per vehicle type, groups of whole vehicles by which parts were
        removed (the removal counts nested: the vehicles that lose the rarer removal lose the
        commoner ones too; every route is linear, so any split with these counts predicts the
        same), the legally required removals for all, and the grain size."""
        bought = self.detail.get("bought", {})
        lines = []
        for vid in dict.fromkeys([*self.counts, *bought]):
            count = round(self.counts.get(vid, 0) + bought.get(vid, 0))
            removed = self.removals.get(vid, {})
            cuts = sorted({0, *(round(n) for n in removed.values()), count})
            for lo, hi in zip(cuts, cuts[1:], strict=False):
                if hi > lo:
                    lines.append(FeedLine(vehicle=vid, count=hi - lo, remove=[
                        p for p, n in removed.items() if round(n) >= hi]))
        return FeedPlan(vehicles=lines, remove=list(self.detail.get("legal_removals", {})),
                        grain_mm=self.detail.get("grain_mm", 65.0))


def write_files(out: str | Path, stem: str, doc: dict[str, Any], frame: Any) -> Path:
    """``<out>/<stem>.json`` (indented, UTF-8) and ``<out>/<stem>.csv``; the JSON path."""
    import json

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / f"{stem}.csv", index=False)
    path = out / f"{stem}.json"
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def summarise(task: Task, oc: Outcome) -> dict[str, Any]:
    """Counts, removals (optional and legal), purchases and the cost of each lever of a
    solved setting."""
    assert oc.kappa.best is not None
    z = oc.kappa.best[0]
    m, lib = oc.model, task.lib
    idx = lib.index()
    b = m.blocks
    nb = b.vehicle.size
    counts: dict[str, int] = {}
    bought: dict[str, int] = {}
    for j in range(nb):  # whole units (wholeplan): the counts are integers
        vid = idx.vehicles[b.vehicle[j]]
        target = bought if b.bought[j] else counts
        target[vid] = target.get(vid, 0) + round(float(z[j]))
    removals: dict[str, dict[str, int]] = {}
    parts = np.arange(nb, m.n_units)
    removed = np.round(z[m.unit_block[parts]] - z[parts])
    done = parts[removed > 0]
    gone = removed[removed > 0]
    labour = float(gone @ idx.labour[m.part_comp[done]])
    for u, k in zip(done.tolist(), gone.tolist(), strict=True):
        vid = idx.vehicles[b.vehicle[m.unit_block[u]]]
        comp = idx.components[m.part_comp[u]]
        per = removals.setdefault(vid, {})
        per[comp] = per.get(comp, 0) + round(k)
    legal = _legal_removals(task, oc, z)
    shredded = float(z[:nb].sum())
    al_kg = float(m.al_mass @ z)
    s = oc.setting
    return {"counts": counts, "bought": bought, "removals": removals, "legal": legal,
            "costs": {"removal_labour_JPY": labour,
                      "legal_removal_labour_JPY": sum(r["labour_JPY"] for r in legal.values()),
                      "sorter_JPY": al_kg * (s.sorter.cost_JPY_per_kg if s.sorter else 0.0),
                      "shredding_JPY": shredded * shredding_cost(lib, s.grain_mm),
                      "purchase_JPY": float(b.extra_cost @ z[:nb])},
            "shredded": shredded, "al_fraction_kg": al_kg}


def _legal_removals(task: Task, oc: Outcome, z: np.ndarray) -> dict[str, dict[str, Any]]:
    lib = task.lib
    idx = lib.index()
    out: dict[str, dict[str, Any]] = {}
    b = oc.model.blocks
    veh_of = idx.vehicle_of_entries()
    for c in lib.legal_removals():
        if c in task.relax_legal:
            continue
        ci = idx.component_index[c]
        has = np.zeros(len(idx.vehicles), dtype=bool)
        has[veh_of[idx.comp == ci]] = True
        n_veh = round(float(z[:b.vehicle.size] @ has[b.vehicle]))
        if n_veh > 0:
            rule = lib.dismantling[c].legal
            assert rule is not None
            out[c] = {"vehicles": n_veh, "labour_JPY": n_veh * float(idx.labour[ci]),
                      "law": rule.law, "requirement": rule.requirement}
    return out


def _result(task: Task, oc: Outcome, t0: float) -> PlanResult:
    assert oc.kappa.best is not None
    z, kappa, margin, _ = oc.kappa.best
    m = oc.model
    mass, el = m.product(z)
    met = m.met(z)
    within = m.met_per_element(met)  # min ≤ content ≤ max per element
    comp_mean = {e: float(np.mean(el[:, j] / np.maximum(mass, 1e-12) * 100))
                 for j, e in enumerate(TRACKED)}
    sm = summarise(task, oc)
    rt = m.routing
    return PlanResult(
        status="optimal" if margin >= 0 else "unprofitable", counts=sm["counts"],
        removals=sm["removals"], margin_JPY=margin, product_kg=float(mass.mean()),
        probability={e: float(ok.mean()) for e, ok in within.items()},
        probability_all=float(met.all(axis=1).mean()), kappa=kappa, solves=oc.kappa.solves,
        seconds=time.perf_counter() - t0, composition_mean=comp_mean,
        detail={"buyer": task.buyer.name, "grain_mm": oc.setting.grain_mm,
                "sorter": oc.setting.describe()["sorter"], "product": oc.setting.product,
                "throughput_t_per_h": rt.throughput_t_per_h, "units": m.n_units,
                "samples": task.n, "bought": sm["bought"], "legal_removals": sm["legal"],
                "relaxed_legal": list(task.relax_legal), "costs": sm["costs"],
                "al_fraction_kg": sm["al_fraction_kg"],
                "whole_units": oc.kappa.whole.gap() if oc.kappa.whole else None})


def _checked(lib: Library, stock: dict[str, float], buyer: Buyer | str, probability: float,
             removable: list[str] | None, relax_legal: list[str]) -> Buyer:
    """The buyer; PlanError naming what is wrong."""
    if isinstance(buyer, str):
        if buyer not in lib.buyers:
            raise PlanError.of(coded("", "unknown-buyer", "unknown buyer {name}; known: "
                                     "{known}", name=short(buyer),
                                     known=listed(sorted(lib.buyers))))
        buyer = lib.buyers[buyer]
    if not 0.5 <= probability < 1:
        raise PlanError.of(coded("", "probability-range", "probability must be in [0.5, 1)"))
    bad = [v for v in stock if v not in lib.vehicles]
    if bad:
        raise PlanError.of(coded("stock", "unknown-vehicles", "unknown vehicle(s) {names}; "
                                 "known: {known}", names=listed(bad),
                                 known=listed(sorted(lib.vehicles))))
    neg = {v: c for v, c in stock.items() if c < 0}
    if neg:
        raise PlanError.of(coded("stock", "counts-negative", "negative counts {counts}",
                                 counts=listed(f"{v}: {c:g}" for v, c in neg.items())))
    many = {v: c for v, c in stock.items() if c > MAX_VEHICLES}
    if many:
        raise PlanError.of(coded("stock", "counts-too-many", "at most {limit} vehicles of a "
                                 "type; got {counts}", limit=f"{MAX_VEHICLES:,}",
                                 counts=listed(f"{v}: {c:g}" for v, c in many.items())))
    part = {v: c for v, c in stock.items() if not float(c).is_integer()}
    if part:
        raise PlanError.of(coded("stock", "counts-not-whole", "counts must be whole vehicles "
                                 "(a plan shreds and dismantles whole vehicles); got {counts}",
                                 counts=listed(f"{v}: {c:g}" for v, c in part.items())))
    unknown = [c for c in removable or [] if c not in lib.dismantling]
    if unknown:
        raise PlanError.of(coded("removable", "no-dismantling-option", "no dismantling option "
                                 "for {names}; options: {options}", names=listed(unknown),
                                 options=listed(sorted(lib.dismantling))))
    not_legal = [c for c in relax_legal if c not in lib.legal_removals()]
    if not_legal:
        raise PlanError.of(coded("relax_legal", "not-legal-removal", "{names} is not a legally "
                                 "required removal; those are {legal}", names=listed(not_legal),
                                 legal=listed(lib.legal_removals())))
    if not any(c > 0 for c in stock.values()):
        raise PlanError.of(coded("stock", "no-vehicles-on-hand", "no vehicles on hand"))
    return buyer


def plan_feed(stock: dict[str, float], buyer: Buyer | str, *, probability: float = 0.9,
              grain_mm: float = 65.0, capacity_vehicles: float | None = None,
              removable: list[str] | None = None, sorter: Sorter | None = None,
              product: str = "al", min_product_kg: float = 0.0, n: int = 1000, seed: int = 0,
              lib: Library | None = None, compositions: np.ndarray | None = None,
              relax_legal: list[str] | None = None,
              purchasable: dict[str, float] | None = None, levers: bool = True) -> PlanResult:
    """Best feed and removals for ``stock`` (vehicle id → count on hand). ``compositions``
    (n, K, E+1) replaces the sampled part compositions — posterior samples from
    :class:`junkan.alloys.feedback.Estimates` to re-plan after lot analyses. When no plan
    meets the window, :class:`PlanError` carries the nearest window and (``levers``) the
    cheapest combination of levers that would meet it; ``purchasable`` (vehicle → count)
    are the vehicles the feed lever may buy in (default: ``levers.yaml``)."""
    t0 = time.perf_counter()
    lib = lib or load_alloy_library()
    relax = list(relax_legal or [])
    buyer_ = _checked(lib, stock, buyer, probability, removable, relax)
    try:
        product_weights(sorter, product)
    except Refused as exc:
        raise PlanError.of(*exc.problems) from None
    task = Task(lib, stock, buyer_, probability, capacity_vehicles, min_product_kg, n, seed,
                compositions, tuple(relax))
    setting = Setting(grain_mm, sorter, product,
                      tuple(removable) if removable is not None else None)
    oc = solve_setting(task, setting)
    if oc.kappa.best is None:
        raise infeasible(task, oc, purchasable, levers)
    return _result(task, oc, t0)


plan = plan_feed
"""Former name of :func:`plan_feed` (kept for callers outside the package)."""


def infeasible(task: Task, oc: Outcome, purchasable: dict[str, float] | None,
               levers: bool) -> PlanError:
    """The refusal of an infeasible plan: binding limits, nearest window and the lever
    search, as its message, its ``detail`` and its coded ``problems`` (rule code and figures,
    so that a page says them in its own language)."""
    from junkan.alloys.levers import lever_problems, search_levers

    slack = _nearest_met(task, oc)
    # (no "status" here: the API sends these as problem+json members, where it is the HTTP one)
    detail: dict[str, Any] = {"binding": [], "nearest_window": {}}
    if oc.model.lower:
        detail.update(binding_min=[], nearest_window_min={})
    if slack is None:
        problems = [coded("", "plan-nothing-to-plan", "no feed from this stock meets the "
                          "window (the capacity or minimum product constraint leaves nothing "
                          "to plan)")]
    else:
        problems = [unmet_problem(task.probability, oc.model, slack, detail)]
    msg = problems[0].message
    if levers:
        found = search_levers(task, oc.setting, purchasable)
        detail["levers"] = found
        msg += "; " + found["summary"]
        problems += lever_problems(found)
    exc = PlanError(msg, detail)
    exc.problems = tuple(problems)
    return exc


def _nearest_met(task: Task, oc: Outcome
                 ) -> tuple[dict[str, float], dict[str, float]] | None:
    """The slack per maximum and per minimum of the nearest window a plan meets on the
    samples. The window is the least loosening that makes the linearised rows feasible at a
    κ (:func:`~junkan.alloys.chance.nearest_window`): at Φ⁻¹(α) it is the nearest, but its
    plan may miss the probability on the samples; at a larger κ it is wider and met. So it
    is found at Φ⁻¹(α), then halfway to the Bonferroni κ, then at the κ search's last κ,
    until the κ search plans it; then κ is bisected between the last window not planned and
    the first planned (to 0.01, at most :data:`NEAREST_KAPPA_TRIES` windows). A window no κ
    gives a plan for is the widest tried. (Only Φ⁻¹(α) and halfway were tried, so a window
    exact at Φ⁻¹(α) but missed on the samples jumped to the halfway κ's.)"""
    k_lo, k_hi = chance_bounds(task.probability, len(oc.model.els))
    top = max(oc.kappa.kappa, k_hi)
    lo, hi, found = k_lo, None, None
    kappa = k_lo
    for _ in range(NEAREST_KAPPA_TRIES):
        slack = nearest_window(oc.model, oc.stats, kappa, oc.extra_a, oc.extra_b)
        if slack is None:
            return found
        if _planned(task, oc, slack):
            hi, found = kappa, slack
        else:
            lo = kappa
        if found is None:
            if kappa >= top:
                return slack
            kappa = (k_lo + k_hi) / 2 if kappa < (k_lo + k_hi) / 2 else top
        elif hi is None or hi <= k_lo or hi - lo < 0.01:
            return found
        else:
            kappa = (lo + hi) / 2
    return found


def _planned(task: Task, oc: Outcome, slack: tuple[dict[str, float], dict[str, float]]
             ) -> bool:
    """Whether the κ search plans the window loosened by ``slack``."""
    loosened = {"max": {**task.buyer.max, **loosen(oc.model.limits, slack[0])},
                "min": {**task.buyer.min, **loosen(oc.model.lower, slack[1], lower=True)}}
    trial = replace(task, buyer=task.buyer.model_copy(update=loosened))
    return solve_setting(trial, oc.setting).kappa.best is not None
