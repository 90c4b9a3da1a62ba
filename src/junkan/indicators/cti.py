"""WBCSD Circular Transition Indicators (CTI) v4.0 (2023), "Calculate" module.

Definitions (ctitool.com): circular inflow = non-virgin (reused or recycled) or renewable
virgin from sustained production; circular outflow = recovery potential × demonstrated actual
recovery, over products, by-products and waste; % circularity = mass-weighted average of
circular inflow and outflow. The equations follow these definitions; the exact v4 equations are
in WBCSD, *Circular Transition Indicators v4.0* (2023), pp. 43–74.
"""

from __future__ import annotations

from junkan.indicators.inputs import FlowModel
from junkan.indicators.values import Indicator, ratio

SOURCE = "WBCSD, Circular Transition Indicators v4.0 (2023)"


def circular_transition_indicators(fm: FlowModel) -> list[Indicator]:
    """Every CTI indicator computable from ``fm``."""
    m_in = sum(i.mass for i in fm.inflows)
    circ_in = sum(i.mass * (i.reused + i.recycled + i.renewable) for i in fm.inflows)
    linear_in = m_in - circ_in
    m_out = sum(o.mass for o in fm.outflows)
    circ_out = sum(o.mass * o.recovery_potential * o.actual_recovery for o in fm.outflows)
    crit = sum(i.mass for i in fm.inflows if i.critical)
    out = [
        ratio("cti.circular_inflow", circ_in, m_in, source=SOURCE,
              formula="Σ m_i (reused_i + recycled_i + renewable_i) / Σ m_i",
              inputs={"circular_inflow_t": circ_in / 1000, "inflow_t": m_in / 1000},
              what="total inflow mass"),
        ratio("cti.circular_outflow", circ_out, m_out, source=SOURCE,
              formula="Σ m_j RP_j AR_j / Σ m_j",
              inputs={"circular_outflow_t": circ_out / 1000, "outflow_t": m_out / 1000},
              what="total outflow mass"),
        ratio("cti.circularity", circ_in + circ_out, m_in + m_out, source=SOURCE,
              formula="(M_in %CI + M_out %CO) / (M_in + M_out)",
              inputs={"inflow_t": m_in / 1000, "outflow_t": m_out / 1000},
              what="inflow + outflow mass"),
        ratio("cti.critical_material", crit, m_in, source=SOURCE,
              formula="critical-material mass / total inflow mass",
              inputs={"critical_t": crit / 1000, "inflow_t": m_in / 1000},
              what="total inflow mass"),
    ]
    for route in sorted({o.route for o in fm.outflows}):
        part = sum(o.mass * o.recovery_potential * o.actual_recovery
                   for o in fm.outflows if o.route == route)
        out.append(ratio(f"cti.recovery_type.{route}", part, circ_out, source=SOURCE,
                         formula="circular outflow by route / circular outflow",
                         inputs={"route_t": part / 1000}, what="circular outflow"))
    for p in fm.products:
        if p.lifetime is not None and p.industry_lifetime is not None:
            out.append(Indicator(f"cti.actual_lifetime.{p.name}", p.lifetime / p.industry_lifetime,
                                 "ratio", "L_actual / L_industry-average", SOURCE,
                                 {"lifetime_years": p.lifetime,
                                  "industry_lifetime_years": p.industry_lifetime,
                                  "industry_source": p.industry_lifetime_source}))
    if fm.water is not None:
        w = fm.water
        out += [
            ratio("cti.water_circular_withdrawal", w.withdrawn_circular, w.withdrawn,
                  formula="circular withdrawal / total withdrawal", source=SOURCE,
                  inputs={"withdrawn_m3": w.withdrawn}, what="water withdrawn"),
            ratio("cti.water_circular_discharge", w.discharged_at_quality, w.discharged,
                  formula="discharge at required quality / total discharge", source=SOURCE,
                  inputs={"discharged_m3": w.discharged}, what="water discharged"),
            ratio("cti.water_onsite_circulation", w.recirculated, w.withdrawn + w.recirculated,
                  formula="recirculated / (withdrawn + recirculated)", source=SOURCE,
                  inputs={"recirculated_m3": w.recirculated}, what="water withdrawn + "
                  "recirculated"),
        ]
    if fm.energy is not None:
        out.append(ratio("cti.renewable_energy", fm.energy.renewable or 0.0,
                         fm.energy.total or 0.0,
                         formula="renewable energy / total energy", source=SOURCE,
                         inputs={"renewable_MWh": fm.energy.renewable,
                                 "total_MWh": fm.energy.total}, what="total energy"))
    if fm.finance is not None:
        cur = fm.currency
        if linear_in > 0:
            out.append(Indicator("cti.circular_material_productivity",
                                 fm.finance.revenue / (linear_in / 1000), f"{cur}/t",
                                 "revenue / linear-inflow mass", SOURCE,
                                 {"revenue": fm.finance.revenue,
                                  "linear_inflow_t": linear_in / 1000}))
        else:
            out.append(Indicator("cti.circular_material_productivity", None, f"{cur}/t",
                                 "revenue / linear-inflow mass", SOURCE,
                                 {"revenue": fm.finance.revenue}, reason="no linear inflow"))
        circ = out[2].value
        out.append(Indicator("cti.revenue", None if circ is None else fm.finance.revenue * circ,
                             cur, "revenue × % circularity (company level)", SOURCE,
                             {"revenue": fm.finance.revenue},
                             reason=None if circ is not None else out[2].reason))
    return out
