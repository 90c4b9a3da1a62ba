"""What an optimisation did, in words and figures: the ``method`` of its result."""

from __future__ import annotations

from typing import Any

from junkan.lifecycle.optimise.spec import OptimiseSpec


def stepped(checks: dict[str, Any], said: bool = False) -> list[str]:
    """The ranges taken at their levels only (non-linear, or bent within their block); ``said``:
    each with the options it bends with, where it is continuous with the others."""
    return [r["decision"] + (f" (with the {r['with']} of its {r['of']} joint options it bends "
                             "with)" if said and "with" in r else "")
            for k in ("nonlinear_ranges", "ranges_at_levels") for r in checks.get(k, ())]


def describe(checks: dict[str, Any], spec: OptimiseSpec, simulations: int, deviation: float,
             ratio: bool, checked: int = 0, two_away: bool = False) -> dict[str, Any]:
    """The method of an optimum: its name, its text and the checks behind it. ``checked``:
    the combinations simulated to compare with the additive model (the solution, those one
    choice away and ``spec.verify`` drawn at random). Without every combination simulated,
    "exact" holds as far as those show the effects to add up, and the text says so."""
    checks = dict(checks)
    two = " or two" if two_away else ""
    exact = deviation <= spec.tolerance
    levels = checks["nonlinear_ranges"] or checks.get("ranges_at_levels")
    text = (
        ((("exact over the options and the ranges' levels" if levels else "exact")
          + " where the options' effects add up, as they did at every combination checked")
         if exact else "approximate (the effects of the options do not add up)")
        + ": mixed-integer linear program (HiGHS) over the simulated effects of the options"
        + (", ratio by Dinkelbach's method where its denominator is above 1e-5 of its "
           "largest magnitude" if ratio else "")
        + f"; additivity checked on {checks['pairs_tested']} pairs and {checked} "
        f"combinations (the solution, those one choice away{two} and {spec.verify} at random; "
        f"largest deviation {deviation:.2g}, tolerance {spec.tolerance:g})"
    )
    if checks["interactions"]:
        text += "; interacting decisions enumerated jointly: " + "; ".join(
            " × ".join(i["decisions"]) for i in checks["interactions"]
        )
    if checks.get("ranges_continuous_in_blocks"):  # linear with each joint option
        text += "; ranges kept continuous with each joint option of the decisions they " \
            "interact with: " + ", ".join(checks["ranges_continuous_in_blocks"])
    if checks["nonlinear_ranges"]:
        text += "; non-linear ranges taken at their levels: " + ", ".join(
            n["decision"] for n in checks["nonlinear_ranges"]
        )
    if checks.get("ranges_at_levels"):  # exact over those levels, not between them
        text += "; ranges taken at their levels only (their effect bends with an option of " \
            "the decisions they interact with, or they interact with another range): " + \
            ", ".join(f"{r['decision']} ({r['levels']} levels" + (
                f" with {r['with']} of its {r['of']} joint options, continuous with the others)"
                if "with" in r else ")") for r in checks["ranges_at_levels"])
    if not exact:
        text += "; higher-order interactions remain: the optimum is not guaranteed"
    return {
        "name": "milp" if exact else "milp (approximate)",
        "text": text,
        "deviation": deviation,
        "simulations": simulations,
        **checks,
    }
