"""What a calibration says of its own limits, in words: the warnings below its table
(:meth:`~.calibration.Calibration.warnings`) and each parameter's source text.

A parameter the observations do not identify is one of two kinds. Either the fitted figures
move only with it and others together (a direction of the weighted Jacobian's null space:
other values, moving together, fit as well), or no fitted figure moves with it at all near
the fitted value though it moved them in the fit (a zero Jacobian column: the figures change
in steps, as with a fixed lifetime, whose cohorts fall due in whole years). Both get their
bounds as their 95 % range, but only the first fits as well anywhere in them: a fixed
lifetime of 4 years against the fitted 10.9 gave 17 t of disposal for the 10 t observed,
while the warning said other values fit as well (review 315)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from junkan.lifecycle.uncertainty.calibration import Calibration

STEPWISE = ("no fitted figure moves with it near the fitted value, though it moved them in "
            "the fit: they change in steps there (a fixed lifetime, whole pieces), so its "
            "range is not worked out from their slope and is shown as its bounds")
"""Why a parameter whose figures change in steps near the fit is not identified."""


def warnings(cal: Calibration) -> list[str]:
    """More informed parameters than fitted observations; parameters the observations do not
    identify, of either kind (above); a start outside a parameter's range."""
    n = len(cal.names)
    informed = cal.informed if cal.informed is not None else np.ones(n, bool)
    ident = cal.identified if cal.identified is not None else np.ones(n, bool)
    step = cal.stepwise if cal.stepwise is not None else np.zeros(n, bool)
    fitted = sum(o.fit for o in cal.observations)
    out = []
    if int(informed.sum()) > fitted:
        out.append(f"{int(informed.sum())} calibrated parameters move the fitted figures "
                   f"but only {fitted} observed figure{'s are' if fitted != 1 else ' is'} "
                   "fitted: the observations cannot pin down every parameter")
    lost = [k for k in range(n) if informed[k] and not ident[k]]
    if joint := [cal.names[k] for k in lost if not step[k]]:
        out.append(f"not identified by the observations: {', '.join(joint)} — other "
                   "values (moving together) fit as well; their 95 % range is their "
                   "bounds. Add observations that depend on them separately, or fix "
                   "some of them")
    if steps := [cal.names[k] for k in lost if step[k]]:
        out.append(f"not identified by the observations: {', '.join(steps)} — {STEPWISE}. "
                   "The fitted value is the one that fits; values far from it need not")
    own = cal.study.nominal()
    for k in np.flatnonzero(cal.outside()):  # the start, and the figures 'at the
        i = cal.study.names.index(cal.names[k])  # start', are not the model's
        what = ("the factor 1 (the model's own value)" if cal.study.parameters[i].relative
                else f"the model's value {float(own[i]):.6g}")
        out.append(f"{cal.names[k]}: {what} lies outside its range "
                   f"[{cal.lower[k]:.6g}, {cal.upper[k]:.6g}]; the fit started from "
                   f"{float(cal.start[k]):.6g}, and the figures at the start are the "
                   "model's at that value")
    return out


def source(informed: bool, identified: bool, fitted: int, stepwise: bool = False) -> str:
    """A calibrated parameter's source text."""
    from junkan.lifecycle.uncertainty.calibration import METHOD

    if not informed:
        return "not calibrated: no fitted figure depends on it; kept at its value in the model"
    text = f"calibrated: {METHOD}; to {fitted} observed figures (see observations)"
    if not identified:
        text += (f"; not identified by them: {STEPWISE}" if stepwise else
                 "; not identified by them: other values fit as well, so the value is one "
                 "of many and its range is its bounds")
    return text
