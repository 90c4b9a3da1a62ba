"""The chemical elements' symbols, for reading composition keys (``composition.Fe``).

Source: IUPAC Periodic Table of the Elements (version 2022-05-04), elements 1-118."""

from __future__ import annotations

from junkan.core.errors import Problem

SYMBOLS = frozenset((
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S",
    "Cl", "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga",
    "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd",
    "Ag", "Cd", "In", "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm",
    "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os",
    "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa",
    "U", "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db", "Sg",
    "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh", "Fl", "Mc", "Lv", "Ts", "Og"))
"""The 118 element symbols."""

__all__ = ["SYMBOLS", "complete", "unstated_key"]

WHOLE = 100.0 - 1e-6
"""A composition whose shares add up to at least this (wt %) is whole: what it leaves out is
0 wt %, not unmeasured (review 288: Al 99.6 + Si 0.4 failed a limit on Fe as 'not
measured'). The 1e-6 is rounding, not an allowance for trace elements."""


def complete(composition: dict[str, float]) -> bool:
    """Whether ``composition`` (wt %) accounts for the whole mass (:data:`WHOLE`)."""
    return sum(composition.values()) >= WHOLE


def unstated_key(path: str, feature: str, stated: set[str], whose: str) -> Problem | None:
    """The problem at ``path`` when ``feature`` (``composition.Fee``) reads a composition key
    that is neither an element symbol nor stated in any of the compositions at hand
    (``stated``, of the ``whose``: lots, items): most likely a typo, which none of them would
    have measured (a limit on it would fail them all, a premium price none of them);
    ``None`` for any other feature."""
    key = feature.removeprefix("composition.")
    if key == feature or key in SYMBOLS or key in stated:
        return None
    return Problem(path, f"{feature!r}: {key!r} is no chemical element and no {whose[:-1]} "
                   f"states it in its composition, so no {whose[:-1]} has it measured; "
                   "stated: " + (", ".join(sorted(stated)) or "none") + f"; if {key!r} is "
                   f"meant, write it where it was analysed ('{key}: 0' when none was found)")
