"""When no plan meets a buyer's window: search the levers — which components may be removed,
the sorter and the bin shipped, the grain size, vehicles bought in — for the cheapest
combination that meets it, or say that none in the data does.

The lever space is finite: the grain sizes of ``levers.yaml`` (and the requested one), no
sorter or each shipped sorter with its wrought or cast bin, the requested removals or every
dismantling option, buying in or not (the request's ``purchasable`` vehicles, else
``levers.yaml``'s count of every library type). Every combination is planned exactly as a
request would be (the same LP, chance constraint and κ search; an LP infeasible at Φ⁻¹(α)
costs one solve). A feasible combination's *lever cost* is what its plan spends on levers,
from the data files: optional-removal labour (``dismantling.yaml``), the sorter's running
cost per kg of Al fraction fed (``sorters.yaml``), the extra shredding cost of its grain
size over the requested one (cost per vehicle ∝ 1/throughput), and the vehicles bought
(``levers.yaml``). Within a combination the plan still maximises the margin; the answer is
the combination with the lowest lever cost (ties: the higher margin), with the others that
work behind it.
"""

from __future__ import annotations

from itertools import product as cartesian
from typing import TYPE_CHECKING, Any

from junkan.alloys.sorter import Sorter, shipped_sorters
from junkan.alloys.units import shredding_cost
from junkan.core.errors import Problem, coded

if TYPE_CHECKING:
    from junkan.alloys.plan import Setting, Task

BINS = ("wrought", "cast")


def settings(task: Task, base: Setting, purchasable: dict[str, float] | None
             ) -> list[Setting]:
    """Every combination of levers other than the request's own."""
    from junkan.alloys.plan import Setting

    lv = task.lib.levers
    grains = sorted({base.grain_mm, *(lv.grain_mm if lv is not None else [])})
    sorters: list[tuple[Sorter | None, str]] = [(base.sorter, base.product)]
    if base.sorter is not None:
        sorters.append((None, "al"))
    for srt in shipped_sorters().values():
        sorters += [(srt, b) for b in BINS if not (base.sorter == srt and base.product == b)]
    removals = [base.removable] + ([None] if base.removable is not None else [])
    if purchasable is not None:
        buy = tuple((v, float(c)) for v, c in purchasable.items() if c > 0)
    elif lv is not None:
        buy = tuple((v, lv.purchasable_per_type.value) for v in task.lib.vehicles)
    else:
        buy = ()
    feeds = [base.purchasable] + ([buy] if buy and buy != base.purchasable else [])
    out = []
    for g, (s, p), r, f in cartesian(grains, sorters, removals, feeds):
        st = Setting(g, s, p, r, f)
        if st != base:
            out.append(st)
    return out


def changed(base: Setting, st: Setting) -> dict[str, Any]:
    """The levers ``st`` pulls relative to the request."""
    out: dict[str, Any] = {}
    if st.grain_mm != base.grain_mm:
        out["grain_mm"] = st.grain_mm
    if (st.sorter, st.product) != (base.sorter, base.product):
        out["sorter"] = {"sorter": st.sorter.name if st.sorter else None,
                         "product": st.product}
    if st.removable != base.removable:
        out["removals"] = "every dismantling option"
    if st.purchasable != base.purchasable:
        out["feed"] = "buy in vehicles"
    return out


def _phrase(lever: str, value: Any) -> str:
    """One lever of a combination in words (the message of :func:`_lever_problem`)."""
    return _lever_problem(lever, value).message


def lever_cost(task: Task, base: Setting, sm: dict[str, Any]) -> dict[str, float]:
    """What a plan spends on its levers (JPY), item by item, and the total."""
    c = sm["costs"]
    base_shred = sm["shredded"] * shredding_cost(task.lib, base.grain_mm)
    items = {"removal_labour_JPY": c["removal_labour_JPY"], "sorter_JPY": c["sorter_JPY"],
             "extra_shredding_JPY": c["shredding_JPY"] - base_shred,
             "purchase_JPY": c["purchase_JPY"]}
    return {**items, "total_JPY": float(sum(items.values()))}


def search_levers(task: Task, base: Setting, purchasable: dict[str, float] | None
                  ) -> dict[str, Any]:
    """Plan every combination of levers; the cheapest that meets the window."""
    from junkan.alloys.plan import solve_setting, summarise

    found = []
    combos = settings(task, base, purchasable)
    for st in combos:
        oc = solve_setting(task, st)
        if oc.kappa.best is None:
            continue
        sm = summarise(task, oc)
        z, _, margin, _ = oc.kappa.best
        met = oc.model.met(z).all(axis=1).mean()
        found.append({"levers": changed(base, st), "setting": st.describe(),
                      "lever_cost": lever_cost(task, base, sm), "margin_JPY": margin,
                      "probability_met": float(met), "product_kg": float(
                          oc.model.product(z)[0].mean()),
                      "vehicles": {v: c for v, c in sm["counts"].items() if c > 1e-6},
                      "bought": {v: c for v, c in sm["bought"].items() if c > 1e-6},
                      "removals": sm["removals"]})
    found.sort(key=lambda f: (f["lever_cost"]["total_JPY"], -f["margin_JPY"]))
    space = {"grain_mm": sorted({s.grain_mm for s in combos} | {base.grain_mm}),
             "sorters": sorted({s.sorter.name if s.sorter else "none" for s in combos}),
             "removals": sorted({"all" if s.removable is None else "as requested"
                                 for s in combos}),
             "buy_in": any(s.purchasable for s in combos)}
    if found:
        best = found[0]
        what = ", ".join(_phrase(k, v) for k, v in best["levers"].items())
        summary = (f"cheapest levers that meet it: {what} — lever cost "
                   f"{best['lever_cost']['total_JPY']:,.0f} JPY, margin "
                   f"{best['margin_JPY']:,.0f} JPY, P(met) {best['probability_met']:.3f} "
                   f"({len(found)} of {len(combos)} combinations work)")
    else:
        summary = (f"no combination of levers in the data meets the window "
                   f"({len(combos)} combinations of grain size, sorter, removals and "
                   f"buying in searched)")
    return {"searched": len(combos), "feasible": len(found), "space": space,
            "cheapest": found[0] if found else None, "alternatives": found[1:5],
            "summary": summary}


def lever_problems(found: dict[str, Any]) -> list[Problem]:
    """The lever search's answer (:func:`search_levers`) as coded problems: the cheapest
    combination's cost and margin, then each lever it pulls; or that none meets the window."""
    best = found["cheapest"]
    if best is None:
        return [coded("", "levers-none", "no combination of levers in the data meets the "
                      "window ({searched} combinations of grain size, sorter, removals and "
                      "buying in searched)", searched=found["searched"])]
    out = [coded("", "levers-cheapest", "cheapest levers that meet it (lever cost {cost} JPY, "
                 "margin {margin} JPY, P(met) {p}; {feasible} of {searched} combinations "
                 "work):", cost=f"{best['lever_cost']['total_JPY']:,.0f}",
                 margin=f"{best['margin_JPY']:,.0f}", p=f"{best['probability_met']:.3f}",
                 feasible=found["feasible"], searched=found["searched"])]
    return out + [_lever_problem(k, v) for k, v in best["levers"].items()]


def _lever_problem(lever: str, value: Any) -> Problem:
    """One lever of a combination (:func:`changed`), coded; a sorter also by its id
    (``sorter_id``, for the page's own name of it)."""
    if lever == "grain_mm":
        return coded("", "lever-grain", "grain {grain} mm", grain=f"{value:g}")
    if lever == "sorter" and value["sorter"] is None:
        return coded("", "lever-no-sorter", "no sorter")
    if lever == "sorter":
        ids = [k for k, s in shipped_sorters().items() if s.name == value["sorter"]]
        return coded("", "lever-sorter", "sort with {sorter} and ship the {bin} bin",
                     sorter=value["sorter"], bin=value["product"],
                     sorter_id=ids[0] if ids else "")
    if lever == "removals":
        return coded("", "lever-all-removals", "allow every removal")
    return coded("", "lever-buy-in", "buy in vehicles")
