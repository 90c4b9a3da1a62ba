"""WBCSD Circular Transition Indicators (CTI) v4.0 (2023).

Definitions, as published by the CTI tool (ctitool.com, "Circular economy according to CTI",
read): circular inflow = renewable (used at a rate in line with natural cycles of
renewability) **or** non-virgin; linear inflow = virgin, non-renewable; circular outflow =
designed and treated so that products and materials have a full recovery potential (technical
recovery at a functional equivalence, or biodegradable) **and** demonstrably recovered, over
products, by-products and waste; % circularity = weighted average of % circular inflow and
% circular outflow. The calculation pages of the CTI v4.0 report (part 2, §4 "Calculate",
pp. 43–74) were not read; indicators resting on them say so in their ``notes``.
"""

from __future__ import annotations

import math

from junkan.indicators.flows import (
    CTI_RECOVERY,
    linear_inflow,
    linear_mass,
    recovered,
    unrecognised_recovery,
)
from junkan.indicators.inputs import FlowModel
from junkan.indicators.notes import note
from junkan.indicators.values import Indicator, negative_revenue, ratio

VERSION = "WBCSD, Circular Transition Indicators v4.0 (May 2023)"
SOURCE = f"{VERSION}; definitions: ctitool.com 'Circular economy according to CTI'"
CALC = f"{VERSION}, part 2 §4 'Calculate' (pp. 43–74)"
NOT_READ = note("cti-not-read")


def _outflow_notes(fm: FlowModel) -> tuple[str, ...]:
    other = unrecognised_recovery(fm, CTI_RECOVERY)
    if not other:
        return ()
    listed = ", ".join(f"{r} {t:.6g} t" for r, t in sorted(other.items()))
    return (note("cti-not-circular", routes=listed),)


def close_the_loop(fm: FlowModel) -> list[Indicator]:
    """% circular inflow, % circular outflow, % circularity and % critical inflow."""
    m_in = math.fsum(i.mass for i in fm.inflows)
    circ_in = math.fsum(i.mass * (i.reused + i.recycled + i.renewable) for i in fm.inflows)
    m_out = math.fsum(o.mass for o in fm.outflows)
    circ_out = recovered(fm, CTI_RECOVERY)
    linear = linear_inflow(fm)
    crit = math.fsum(linear_mass(i) for i in fm.inflows if i.critical)
    ci = ratio("cti.circular_inflow", circ_in, m_in, source=SOURCE, status="text",
               formula="Σ m_i (reused_i + recycled_i + renewable_i) / Σ m_i",
               inputs={"circular_inflow_t": circ_in / 1000, "inflow_t": m_in / 1000},
               what="total inflow mass")
    co = ratio("cti.circular_outflow", circ_out, m_out, source=SOURCE, status="text",
               formula="Σ m_j RP_j AR_j over recovery routes (reuse, refurbish, remanufacture, "
                       "recycling, composting, digestion) / Σ m_j",
               inputs={"circular_outflow_t": circ_out / 1000, "outflow_t": m_out / 1000},
               what="total outflow mass", notes=_outflow_notes(fm))
    return [ci, co, _circularity(ci, co, circ_in + circ_out, m_in, m_out), ratio(
        "cti.critical_material", crit, linear, source=f"{CALC}, % critical inflow",
        formula="critical mass in the linear inflow / linear-inflow mass",
        inputs={"critical_linear_t": crit / 1000, "linear_inflow_t": linear / 1000},
        what="linear inflow", scale=m_in,
        notes=(note("cti-critical-inflow"), NOT_READ))]


def _circularity(ci: Indicator, co: Indicator, circular: float, m_in: float,
                 m_out: float) -> Indicator:
    """% circularity, the mass-weighted average of % circular inflow and % circular outflow
    (``circular`` = circular inflow + circular outflow mass): null with the reason when either
    side is not defined (no inflow or no outflow mass)."""
    formula = "(M_in %CI + M_out %CO) / (M_in + M_out)"
    inputs = {"inflow_t": m_in / 1000, "outflow_t": m_out / 1000}
    missing = [f"{i.key} is not defined ({i.reason})" for i in (ci, co) if i.value is None]
    if missing:
        return Indicator("cti.circularity", None, "fraction", formula, SOURCE, inputs,
                         reason="the average of circular inflow and outflow needs both: "
                                + "; ".join(missing), status="text",
                         reason_code="circularity-needs-both", reason_params={
                             "missing": ", ".join(i.key for i in (ci, co) if i.value is None)})
    return Indicator("cti.circularity", circular / (m_in + m_out), "fraction", formula, SOURCE,
                     inputs, status="text")


def optimize_the_loop(fm: FlowModel) -> list[Indicator]:
    """% recovery type by CTI route, and actual lifetime per product."""
    circ_out = recovered(fm, CTI_RECOVERY)
    out = []
    for route in sorted({o.route for o in fm.outflows} & set(CTI_RECOVERY)):
        part = recovered(fm, (route,))
        out.append(ratio(f"cti.recovery_type.{route}", part, circ_out,
                         source=f"{CALC}, % recovery type",
                         formula="circular outflow by recovery route / circular outflow",
                         inputs={"route_t": part / 1000}, what="circular outflow",
                         notes=(NOT_READ,)))
    for p in fm.products:
        if p.lifetime is not None and p.industry_lifetime is not None:
            out.append(ratio(f"cti.actual_lifetime.{p.name}", p.lifetime, p.industry_lifetime,
                             unit="ratio", formula="L_actual / L_industry-average",
                             source=f"{CALC}, actual lifetime",
                             inputs={"lifetime_years": p.lifetime,
                                     "industry_lifetime_years": p.industry_lifetime,
                                     "industry_source": p.industry_lifetime_source},
                             notes=(NOT_READ,)))
    return out


def water(fm: FlowModel) -> list[Indicator]:
    """The three water indicators (CTI v2.0 on): circular withdrawal, circular discharge and
    onsite water circulation (a number of cycles, total water use ÷ withdrawal)."""
    if fm.water is None:
        return []
    w = fm.water
    used = w.withdrawn + w.recirculated
    src = f"{CALC}, water"
    return [
        ratio("cti.water_circular_withdrawal", w.withdrawn_circular, w.withdrawn,
              formula="circular withdrawal / total withdrawal", source=src,
              inputs={"withdrawn_m3": w.withdrawn}, what="water withdrawn", notes=(NOT_READ,)),
        ratio("cti.water_circular_discharge", w.discharged_at_quality, w.discharged,
              formula="discharge at required quality / total discharge", source=src,
              inputs={"discharged_m3": w.discharged}, what="water discharged",
              notes=(NOT_READ,)),
        ratio("cti.water_onsite_circulation", used, w.withdrawn, unit="cycles", source=src,
              formula="total water use / water withdrawal; total use = withdrawn + "
                      "recirculated on site",
              inputs={"withdrawn_m3": w.withdrawn, "recirculated_m3": w.recirculated,
                      "total_use_m3": used}, what="water withdrawn",
              notes=(note("cti-water-circulation"), NOT_READ)),
    ]


def value_the_loop(fm: FlowModel, circ: Indicator) -> list[Indicator]:
    """% renewable energy, circular material productivity and CTI revenue (``circ``: the
    company's % circularity, whose reason a CTI revenue without it takes)."""
    out = []
    if fm.energy is not None:
        e = fm.energy
        out.append(ratio("cti.renewable_energy", e.consumed_renewable, e.consumed,
                         formula="renewable energy consumed / energy consumed (taken in − "
                                 "exported)", source=f"{CALC}, % renewable energy",
                         inputs={"renewable_MWh": e.renewable, "total_MWh": e.total,
                                 "exported_MWh": e.exported,
                                 "exported_renewable_MWh": e.exported_renewable},
                         what="energy consumed", scale=e.total or 0.0, notes=(NOT_READ,)))
    if fm.finance is not None:
        out += _revenue_indicators(fm, circ)
    return out


def _revenue_indicators(fm: FlowModel, circ: Indicator) -> list[Indicator]:
    """Circular material productivity and CTI revenue; null with the reason when the revenue
    is negative (a simulation's, whose revenue factors may be: review 319)."""
    assert fm.finance is not None
    cur, rev = fm.currency, fm.finance.revenue
    linear = linear_inflow(fm)
    prod = ratio("cti.circular_material_productivity", rev, linear / 1000, unit=f"{cur}/t",
                 formula="revenue / linear-inflow mass",
                 source=f"{CALC}, circular material productivity",
                 inputs={"revenue": rev, "linear_inflow_t": linear / 1000},
                 what="linear inflow", notes=(NOT_READ,))
    revenue = Indicator("cti.revenue", None if circ.value is None else rev * circ.value,
                        cur, "revenue × % circularity (company level)",
                        f"{CALC}, CTI revenue (from v2.0)", {"revenue": rev},
                        reason=circ.reason, reason_code=circ.reason_code,
                        reason_params=circ.reason_params if circ.value is None else {},
                        status="inferred", notes=(note("cti-revenue-reading"), NOT_READ))
    return [negative_revenue(i, rev) for i in (prod, revenue)]


def circular_transition_indicators(fm: FlowModel) -> list[Indicator]:
    """Every CTI indicator computable from ``fm``."""
    closed = close_the_loop(fm)
    circ = closed[2]
    return (closed + optimize_the_loop(fm) + water(fm)
            + value_the_loop(fm, circ))
