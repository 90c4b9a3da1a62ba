"""Values of one Battery Pass record that contradict each other, each within its own range:
refused on import (naming both attribute paths) and on export (naming both fields of the
record), so junkan neither reads nor writes a passport that cannot describe one battery.

The rules follow the property descriptions of Battery Pass Data Model v1.2.0 (github.com/
batterypass/BatteryPassDataModel, ``BatteryPass/io.BatteryPass.Performance/1.2.0/
PerformanceAndDurability.ttl`` at commit 10d5f593 and ``io.BatteryPass.Circularity/1.2.0/
Circularity.ttl`` at commit 20e69d3f, read 2026-12-03; docs/grading.md, "Values that
contradict each other"):

- ``minimumVoltage`` ≤ ``maximumVoltage``, and ``nominalVoltage`` between them ("minimum /
  nominal / maximum voltage the battery is rated for");
- per metal, ``preConsumerShare`` + ``postConsumerShare`` ≤ 100 %: both are shares "of the
  active material", from pre-consumer and from post-consumer waste;
- ``remainingEnergy`` / ``ratedEnergy`` ≤ the SOCE bound of the data file (120 %, an
  assumption): ``ratedEnergy`` is the certified usable battery energy, ``remainingEnergy``
  the usable battery energy measured (UN GTR No. 22) and SOCE their ratio.

Not a rule: ``capacityFade`` against the SOCE. The fade is charge (Ah) lost relative to the
rated capacity, the SOCE usable energy relative to the certified usable energy — another
quantity against another reference, with no relation published between them."""

from __future__ import annotations

from collections.abc import Mapping

from junkan.core.errors import Problem, coded

SLACK = 1e-9
"""Relative slack of the comparisons: values written in other units (``0.3 kV``) and
converted must not be refused for rounding."""

Found = Mapping[str, tuple[float, str]]
"""A record's Battery Pass values: property name -> (value in the published unit, the path
that names it: the attribute path on import, the record's field on export)."""

METALS = ("cobalt", "nickel", "lithium", "lead")


def note(found: dict[str, tuple[float, str]], junkan: str, v: object, path: str) -> None:
    """Keep an accepted value of a property (``properties.<name>``, a number in the published
    unit) for :func:`contradictions`, with the path that names it."""
    if junkan.startswith("properties.") and isinstance(v, int | float):
        found[junkan.split(".", 1)[1]] = (float(v), path)


def _above(found: Found, low: str, high: str, unit: str) -> Problem | None:
    """``low`` above ``high`` (both given): a problem at ``low`` naming ``high``."""
    if low not in found or high not in found:
        return None
    (v, at), (w, other) = found[low], found[high]
    if v <= w + SLACK * abs(w):
        return None
    return coded(
        at,
        "pass-above-other",
        "{value} {unit} is above {other} ({other_value} {unit}), which bounds it from above",
        value=f"{v:g}",
        unit=unit,
        other=other,
        other_value=f"{w:g}",
    )


def _below(found: Found, high: str, low: str, unit: str) -> Problem | None:
    """``high`` below ``low`` (both given): a problem at ``high`` naming ``low``."""
    if low not in found or high not in found:
        return None
    (v, at), (w, other) = found[high], found[low]
    if v >= w - SLACK * abs(w):
        return None
    return coded(
        at,
        "pass-below-other",
        "{value} {unit} is below {other} ({other_value} {unit}), which bounds it from below",
        value=f"{v:g}",
        unit=unit,
        other=other,
        other_value=f"{w:g}",
    )


def _shares(found: Found, metal: str) -> Problem | None:
    pre, post = f"recycled_{metal}_pre", f"recycled_{metal}_post"
    if pre not in found or post not in found:
        return None
    (v, at), (w, other) = found[post], found[pre]
    if v + w <= 100 * (1 + SLACK):
        return None
    return coded(
        at,
        "pass-shares-sum",
        "{value} % with {other} ({other_value} %) makes {total} % of the active material; "
        "pre- and post-consumer shares together are at most 100 %",
        value=f"{v:g}",
        other=other,
        other_value=f"{w:g}",
        total=f"{v + w:g}",
    )


def _energy(found: Found, soce_max: float) -> Problem | None:
    if "remaining_energy" not in found or "rated_energy" not in found:
        return None
    (v, at), (w, other) = found["remaining_energy"], found["rated_energy"]
    if v <= w * soce_max / 100 * (1 + SLACK):
        return None
    return coded(
        at,
        "pass-remaining-above-rated",
        "{value} kWh is {ratio} % of {other} ({other_value} kWh); remaining over rated "
        "(certified usable) energy is the state of certified energy, at most {limit} %",
        value=f"{v:g}",
        ratio=f"{100 * v / w:.4g}",
        other=other,
        other_value=f"{w:g}",
        limit=f"{soce_max:g}",
    )


def contradictions(found: Found, soce_max: float) -> list[Problem]:
    """Why the values ``found`` cannot describe one battery (see the module), ``soce_max``
    being the data file's upper bound of the state of certified energy in %."""
    swapped = _above(found, "minimum_voltage", "maximum_voltage", "V")
    checks = [  # with the bounds swapped, the nominal voltage is not compared to them
        swapped,
        *(() if swapped else (_below(found, "nominal_voltage", "minimum_voltage", "V"),)),
        *(() if swapped else (_above(found, "nominal_voltage", "maximum_voltage", "V"),)),
        *(_shares(found, m) for m in METALS),
        _energy(found, soce_max),
    ]
    return [p for p in checks if p is not None]
