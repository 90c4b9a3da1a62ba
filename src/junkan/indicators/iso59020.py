"""ISO 59020:2024 (first edition, 2024-05) core circularity indicators (§7.3.1, Table 3) with
their formulae from Annex A (A.1–A.13), and the mass balance §7.3.1 requires.

§7.3.1: the resource flows "shall be quantified and fully balanced with the use of the
mandatory indicators in Clauses A.2 and A.3" (the six mandatory rows of Table 3: A.2.2–A.2.4
and A.3.3–A.3.5; the others are optional). A.2.1 and A.3.1: the circular and the linear
(non-circular) parts of each side add up to 100 %. Annex G.2 aggregates flows by mass.

The text was read in a public transcript of Table 3 and Annex A, not in the ISO publication.
Formula (A.13) of the optional resource intensity index names its terms E and F, which that
transcript does not define — that indicator is junkan's reading and says so in its notes."""

from __future__ import annotations

import math

from junkan.indicators.flows import (
    ISO_BIOLOGICAL,
    ISO_RECYCLED,
    ISO_REUSED,
    MassBalance,
    linear_inflow,
    mass_balance,
)
from junkan.indicators.inputs import FlowModel
from junkan.indicators.notes import note
from junkan.indicators.values import Indicator, fsum, negative_revenue, ratio

EDITION = "ISO 59020:2024 (1st ed., 2024-05)"
READ = note("iso-read")


def src(clause: str, formula: str | None = None) -> str:
    """``ISO 59020:2024 (1st ed., 2024-05), Table 3 and A.2.2, formula (A.1)``."""
    return f"{EDITION}, Table 3 and {clause}" + (f", formula ({formula})" if formula else "")


def inflows(bal: MassBalance) -> list[Indicator]:
    """A.2.2–A.2.4 (mandatory) and the linear remainder of A.2.1."""
    m = bal.inflow_total
    rows = (("iso59020.inflow_reused", bal.inflow_reused, "A.2.2", "A.1", "mREUI"),
            ("iso59020.inflow_recycled", bal.inflow_recycled, "A.2.3", "A.2", "mRECI"),
            ("iso59020.inflow_renewable", bal.inflow_renewable, "A.2.4", "A.3", "mRENI"))
    out = [ratio(key, num, m, source=src(clause, eq), status="text", notes=(READ,),
                 formula=f"Σ {sym}(X) / Σ mTI(X) (aggregated by mass, Annex G.2)",
                 inputs={f"{sym}_t": num / 1000, "mTI_t": m / 1000}, what="total inflow mass")
           for key, num, clause, eq, sym in rows]
    out.append(ratio("iso59020.inflow_linear", bal.inflow_linear, m, source=src("A.2.1"),
                     status="text", formula="100 % − reused − recycled − renewable",
                     inputs={"balance_t": bal.as_t()}, what="total inflow mass",
                     notes=(READ, note("iso-inflow-balance"))))
    return out


def outflows(fm: FlowModel, bal: MassBalance) -> list[Indicator]:
    """A.3.3–A.3.5 (mandatory), the linear remainder of A.3.1 and A.3.2 (optional)."""
    m = bal.outflow_total
    rows = (("iso59020.outflow_reused", bal.outflow_reused, "A.3.3", "A.5", ISO_REUSED),
            ("iso59020.outflow_recycled", bal.outflow_recycled, "A.3.4", "A.6", ISO_RECYCLED),
            ("iso59020.outflow_biological_cycle", bal.outflow_biological, "A.3.5", "A.7",
             ISO_BIOLOGICAL))
    out = [ratio(key, num, m, source=src(clause, eq), status="text",
                 formula=f"Σ m_j RP_j AR_j over routes {', '.join(routes)} / Σ mTO(X)",
                 inputs={"recovered_t": num / 1000, "mTO_t": m / 1000},
                 what="total outflow mass",
                 notes=(READ, note("iso-actual-recovery")))
           for key, num, clause, eq, routes in rows]
    out.append(ratio("iso59020.outflow_linear", bal.outflow_linear, m, source=src("A.3.1"),
                     status="text", formula="100 % − reused − recycled − biological cycle",
                     inputs={"balance_t": bal.as_t()}, what="total outflow mass",
                     notes=(READ, note("iso-outflow-balance"))))
    return out + lifetimes(fm)


def lifetimes(fm: FlowModel) -> list[Indicator]:
    """A.3.2 (optional), formula (A.4), per product and mass-weighted over products; a ratio
    beyond a float's range is null with the reason (review 319: it was infinity, shown as
    "inf" and as a null without a reason in JSON)."""
    out = []
    lives = [(p.name, p.mass, p.lifetime / p.industry_lifetime) for p in fm.products
             if p.lifetime is not None and p.industry_lifetime is not None]
    for p in fm.products:
        if p.lifetime is not None and p.industry_lifetime is not None:
            out.append(ratio(f"iso59020.lifetime_relative.{p.name}", p.lifetime,
                             p.industry_lifetime, unit="ratio",
                             formula="RLP(X) = tLP(X) / tIALP(X)", source=src("A.3.2", "A.4"),
                             inputs={"product": p.name}, status="text", notes=(READ,)))
    if lives:
        out.append(ratio("iso59020.lifetime_vs_industry",
                         fsum(m * r for _, m, r in lives),
                         math.fsum(m for _, m, _ in lives), unit="ratio",
                         formula="Σ m_p RLP_p / Σ m_p", source=src("A.3.2", "A.4"),
                         inputs={"products": len(lives)}, status="text",
                         notes=(READ, note("iso-lifetime-average"))))
    return out


def energy(fm: FlowModel) -> list[Indicator]:
    """A.4.2 (optional): renewable share of the net energy consumed, formula (A.8)."""
    if fm.energy is None:
        return []
    e = fm.energy
    return [ratio("iso59020.renewable_energy", e.consumed_renewable, e.consumed,
                  source=src("A.4.2", "A.8"), status="text", scale=e.total or 0.0,
                  formula="(EIRENE − EORENE) / (EITE − EOTE)",
                  inputs={"EIRENE_MWh": e.renewable, "EORENE_MWh": e.exported_renewable,
                          "EITE_MWh": e.total, "EOTE_MWh": e.exported},
                  what="net energy consumed (taken in − exported)",
                  notes=(READ, note("iso-energy-exported")))]


def water(fm: FlowModel) -> list[Indicator]:
    """A.5.2–A.5.4 (optional), formulae (A.9)–(A.11)."""
    if fm.water is None:
        return []
    w = fm.water
    used = w.withdrawn + w.recirculated
    quality = ratio("iso59020.water_discharged_at_quality", w.discharged_at_quality,
                    w.withdrawn, source=src("A.5.3", "A.10"), status="text",
                    formula="VCDW / VAIW: discharged in accordance with quality requirements "
                            "/ total water withdrawn",
                    inputs={"VCDW_m3": w.discharged_at_quality, "VAIW_m3": w.withdrawn},
                    what="water withdrawn", notes=(READ,))
    if quality.value is not None and quality.value > 1.0:
        quality = Indicator(quality.key, None, "fraction", quality.formula, quality.source,
                            quality.inputs, status="text", notes=quality.notes,
                            reason="water discharged at quality exceeds water withdrawn; "
                                   "A.5.3 is a share of the water withdrawn",
                            reason_code="water-quality-exceeds")
    return [
        ratio("iso59020.water_circular_sources", w.withdrawn_circular, w.withdrawn,
              source=src("A.5.2", "A.9"), status="text",
              formula="VCIW / VAIW: withdrawn from circular sources / total water withdrawn",
              inputs={"VCIW_m3": w.withdrawn_circular, "VAIW_m3": w.withdrawn},
              what="water withdrawn", notes=(READ,)),
        quality,
        ratio("iso59020.water_reuse_ratio", used, w.withdrawn, unit="cycles",
              source=src("A.5.4", "A.11"), status="text",
              formula="RWRR = VTWU / VTWW: total water use / total water withdrawal",
              inputs={"VTWU_m3": used, "VTWW_m3": w.withdrawn}, what="water withdrawn",
              notes=(READ, note("iso-water-reuse"))),
    ]


def economic(fm: FlowModel) -> list[Indicator]:
    """A.6.2 material productivity (A.12) and A.6.3 resource intensity index (A.13)."""
    if fm.finance is None:
        return []
    f, cur = fm.finance, fm.currency
    linear = linear_inflow(fm)
    m_in = math.fsum(i.mass for i in fm.inflows)
    out = [negative_revenue(ratio(
        "iso59020.material_productivity", f.revenue, linear / 1000, unit=f"{cur}/t",
        source=src("A.6.2", "A.12"), status="text",
        formula="revenue / total mass of all linear resource inflows",
        inputs={"revenue": f.revenue, "linear_inflow_t": linear / 1000}, what="linear inflow",
        notes=(READ, note("iso-productivity"))), f.revenue)]
    notes = (note("iso-intensity-inferred"),)
    key, formula = ("iso59020.resource_intensity_index",
                    "(R / R_base) / (M_in / M_in,base) — inferred")
    b = f.base_period
    if b is None:
        out.append(Indicator(key, None, "ratio", formula, src("A.6.3", "A.13"), {},
                             reason="needs finance.base_period (revenue and total_inflow of "
                                    "an earlier period)", status="inferred", notes=notes,
                             reason_code="base-period"))
    else:
        out.append(ratio(key, f.revenue / b.revenue, m_in / b.total_inflow, unit="ratio",
                         source=src("A.6.3", "A.13"), status="inferred", formula=formula,
                         inputs={"revenue": f.revenue, "base": b.label,
                                 "base_revenue": b.revenue, "inflow_t": m_in / 1000,
                                 "base_inflow_t": b.total_inflow / 1000},
                         what="total inflow", notes=notes))
    return out


def iso59020_core(fm: FlowModel) -> list[Indicator]:
    """Every ISO 59020 core indicator computable from ``fm``; raises if the mass balance of
    §7.3.1 does not hold."""
    bal = mass_balance(fm)
    return inflows(bal) + outflows(fm, bal) + energy(fm) + water(fm) + economic(fm)
