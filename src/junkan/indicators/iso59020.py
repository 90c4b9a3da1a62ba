"""ISO 59020:2024 core circularity indicators (§7.3.1), mass-weighted averages per period.

The standard's text was not available when this was written; the list follows its table of
contents and published summaries of §7.3.1 — check against ISO 59020:2024 before claiming
conformance."""

from __future__ import annotations

from junkan.indicators.inputs import FlowModel
from junkan.indicators.values import Indicator, ratio

SOURCE = "ISO 59020:2024 §7.3.1 core indicators (as summarised; verify against the standard)"


def iso59020_core(fm: FlowModel) -> list[Indicator]:
    m_in = sum(i.mass for i in fm.inflows)
    m_out = sum(o.mass for o in fm.outflows)

    def inflow_share(key: str, attr: str, what: str) -> Indicator:
        num = sum(i.mass * getattr(i, attr) for i in fm.inflows)
        return ratio(key, num, m_in, source=SOURCE, formula=f"Σ m_i {attr}_i / Σ m_i",
                     inputs={f"{attr}_t": num / 1000, "inflow_t": m_in / 1000},
                     what=what)

    def outflow_share(key: str, routes: tuple[str, ...]) -> Indicator:
        num = sum(o.mass * o.actual_recovery for o in fm.outflows if o.route in routes)
        return ratio(key, num, m_out, source=SOURCE,
                     formula=f"Σ m_j AR_j over routes {', '.join(routes)} / Σ m_j",
                     inputs={"recovered_t": num / 1000, "outflow_t": m_out / 1000},
                     what="total outflow mass")

    out = [
        inflow_share("iso59020.inflow_reused", "reused", "total inflow mass"),
        inflow_share("iso59020.inflow_recycled", "recycled", "total inflow mass"),
        inflow_share("iso59020.inflow_renewable", "renewable", "total inflow mass"),
        outflow_share("iso59020.outflow_reused", ("reuse", "refurbish", "remanufacture")),
        outflow_share("iso59020.outflow_recycled", ("recycling",)),
        outflow_share("iso59020.outflow_biological_cycle", ("composting",)),
    ]
    lives = [(p.mass, p.lifetime / p.industry_lifetime) for p in fm.products
             if p.lifetime is not None and p.industry_lifetime is not None]
    if lives:
        total = sum(m for m, _ in lives)
        out.append(Indicator("iso59020.lifetime_vs_industry",
                             sum(m * r for m, r in lives) / total, "ratio",
                             "mass-weighted Σ m_p (L_p / L_av,p) / Σ m_p", SOURCE,
                             {"products": len(lives)}))
    if fm.energy is not None:
        out.append(ratio("iso59020.renewable_energy", fm.energy.renewable or 0.0,
                         fm.energy.total or 0.0,
                         formula="renewable / total energy", source=SOURCE, inputs={},
                         what="total energy"))
    if fm.water is not None:
        w = fm.water
        out += [ratio("iso59020.water_circular_sources", w.withdrawn_circular, w.withdrawn,
                      formula="circular withdrawal / withdrawal", source=SOURCE, inputs={},
                      what="water withdrawn"),
                ratio("iso59020.water_discharged_at_quality", w.discharged_at_quality,
                      w.discharged, formula="discharged at quality / discharged",
                      source=SOURCE, inputs={}, what="water discharged"),
                ratio("iso59020.water_recirculated", w.recirculated,
                      w.withdrawn + w.recirculated,
                      formula="recirculated / (withdrawn + recirculated)", source=SOURCE,
                      inputs={}, what="water withdrawn + recirculated")]
    if fm.finance is not None:
        linear = m_in - sum(i.mass * (i.reused + i.recycled + i.renewable) for i in fm.inflows)
        out.append(Indicator("iso59020.material_productivity",
                             fm.finance.revenue / (linear / 1000) if linear > 0 else None,
                             f"{fm.currency}/t", "revenue / linear inflow mass", SOURCE,
                             {"linear_inflow_t": linear / 1000},
                             reason=None if linear > 0 else "no linear inflow"))
    return out
