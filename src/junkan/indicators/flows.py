"""The flow quantities every framework shares — linear inflow, recovered outflow by route — and
ISO 59020's mass balance of inflows and outflows.

One reading of the input model throughout: an inflow's linear mass is what is neither reused,
recycled nor renewable; an outflow's recovered mass is ``mass × recovery_potential ×
actual_recovery`` (actual recovery is a share of the recoverable part), whichever framework
asks."""

from __future__ import annotations

import math
from dataclasses import dataclass

from junkan.indicators.inputs import FlowModel, Inflow, Outflow
from junkan.indicators.values import REL_TOL, IndicatorInputError, snap

CTI_RECOVERY = ("reuse", "refurbish", "remanufacture", "recycling", "composting", "digestion")
"""Routes that can make an outflow circular under CTI: recovery "at a functional equivalence"
in the technical cycle, or return to the biological cycle (ctitool.com, "Circular economy
according to CTI": recovery potential). Energy recovery, incineration, landfill, "other
recovery" (e.g. backfilling) and export with unknown treatment are not."""

ISO_REUSED = ("reuse", "refurbish", "remanufacture")
"""ISO 59020:2024 A.3.3: actual reused products and components derived from the outflow."""
ISO_RECYCLED = ("recycling",)
"""ISO 59020:2024 A.3.4: actual recycled material derived from the outflow."""
ISO_BIOLOGICAL = ("composting", "digestion")
"""ISO 59020:2024 A.3.5: actual recirculation of the outflow in the biological cycle."""


def linear_mass(i: Inflow) -> float:
    """kg of ``i`` that is virgin and non-renewable; 0 when it is a rounding residue (the
    shares 0.6 + 0.3 + 0.1 leave 1.1e-16 of the mass)."""
    return snap(i.mass * (1.0 - i.reused - i.recycled - i.renewable), i.mass)


def linear_inflow(fm: FlowModel) -> float:
    """Σ linear kg over all inflows."""
    return math.fsum(linear_mass(i) for i in fm.inflows)


def recovered_mass(o: Outflow) -> float:
    """kg of ``o`` demonstrably recovered: mass × recovery potential × actual recovery."""
    return o.mass * o.recovery_potential * o.actual_recovery


def recovered(fm: FlowModel, routes: tuple[str, ...]) -> float:
    """Σ recovered kg over the outflows on ``routes``."""
    return math.fsum(recovered_mass(o) for o in fm.outflows if o.route in routes)


def unrecognised_recovery(fm: FlowModel, routes: tuple[str, ...]) -> dict[str, float]:
    """t reported as recovered on routes outside ``routes``, by route (for the notes)."""
    out: dict[str, float] = {}
    for o in fm.outflows:
        if o.route not in routes and recovered_mass(o) > 0:
            out[o.route] = out.get(o.route, 0.0) + recovered_mass(o) / 1000
    return out


@dataclass(frozen=True)
class MassBalance:
    """ISO 59020:2024 A.2.1 and A.3.1: each side's circular parts and its linear remainder, in
    kg, adding up to 100 % of that side."""

    inflow_total: float
    inflow_reused: float
    inflow_recycled: float
    inflow_renewable: float
    inflow_linear: float
    outflow_total: float
    outflow_reused: float
    outflow_recycled: float
    outflow_biological: float
    outflow_linear: float

    def as_t(self) -> dict[str, float]:
        return {k: v / 1000 for k, v in self.__dict__.items()}

    def check(self) -> None:
        """Every part ≥ 0 and each side's parts sum to its total (within rounding); raise
        naming the side that does not balance."""
        sides = {
            "inflows": (self.inflow_total, (self.inflow_reused, self.inflow_recycled,
                                            self.inflow_renewable, self.inflow_linear)),
            "outflows": (self.outflow_total, (self.outflow_reused, self.outflow_recycled,
                                              self.outflow_biological, self.outflow_linear)),
        }
        for side, (total, parts) in sides.items():
            if min(parts) < -REL_TOL * max(total, 1.0):
                raise IndicatorInputError(f"{side}: a circular part exceeds the total mass "
                                          "(ISO 59020:2024 A.2.1 / A.3.1)")
            if abs(math.fsum(parts) - total) > REL_TOL * max(total, 1.0):
                raise IndicatorInputError(
                    f"{side}: reused + recycled + renewable/biological + linear = "
                    f"{math.fsum(parts) / 1000:.9g} t ≠ total {total / 1000:.9g} t "
                    "(ISO 59020:2024 A.2.1 / A.3.1)")


def mass_balance(fm: FlowModel) -> MassBalance:
    """The balance of ``fm``'s inflows and outflows, checked (:meth:`MassBalance.check`)."""
    m_in = math.fsum(i.mass for i in fm.inflows)
    m_out = math.fsum(o.mass for o in fm.outflows)
    reused_out = recovered(fm, ISO_REUSED)
    recycled_out = recovered(fm, ISO_RECYCLED)
    bio_out = recovered(fm, ISO_BIOLOGICAL)
    bal = MassBalance(
        inflow_total=m_in,
        inflow_reused=math.fsum(i.mass * i.reused for i in fm.inflows),
        inflow_recycled=math.fsum(i.mass * i.recycled for i in fm.inflows),
        inflow_renewable=math.fsum(i.mass * i.renewable for i in fm.inflows),
        inflow_linear=linear_inflow(fm),
        outflow_total=m_out, outflow_reused=reused_out, outflow_recycled=recycled_out,
        outflow_biological=bio_out,
        outflow_linear=snap(m_out - reused_out - recycled_out - bio_out, m_out))
    bal.check()
    return bal
