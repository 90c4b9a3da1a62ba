"""EU ESRS E5 (Delegated Regulation (EU) 2023/2772, Annex I): E5-4 resource inflows and E5-5
resource outflows, including the waste table of §37 with its consistency rules (total =
diverted + disposed; every hazardous / non-hazardous split sums to its total).

The waste operations follow the Waste Framework Directive definitions that EFRAG's Q&A ID 400
(31 Oct 2024) points to — "Total waste = recycled waste + reused waste + other recovery +
disposed waste":

* recycling (Directive 2008/98/EC Art. 3(17)): "any recovery operation by which waste materials
  are reprocessed into products, materials or substances … It includes the reprocessing of
  organic material but does not include energy recovery" — so composting and digestion are
  recycling;
* other recovery (Art. 4(1)(d) "other recovery, e.g. energy recovery"; Annex II R1) — energy
  recovery is diverted from disposal, not incineration;
* disposal (Art. 3(19), Annex I): incineration without energy recovery (D10), landfill, other.

Waste exported with unknown treatment fits none of these: the waste-table indicators are then
null with the reason (naming the outflow) and the other frameworks still compute."""

from __future__ import annotations

import math
from typing import Any

from junkan.indicators.inputs import DISPOSED, DIVERTED, FlowModel
from junkan.indicators.notes import note
from junkan.indicators.values import Indicator, IndicatorInputError, ratio

REGULATION = "ESRS E5 (Commission Delegated Regulation (EU) 2023/2772, Annex I)"
WASTE = (f"{REGULATION}, E5-5 §37; Directive 2008/98/EC Art. 3(17), 3(19), 4(1); "
         "EFRAG ESRS Q&A ID 400 (31 Oct 2024)")

_DIVERSION = {"reuse": "preparation_for_reuse", "refurbish": "preparation_for_reuse",
              "remanufacture": "preparation_for_reuse", "recycling": "recycling",
              "composting": "recycling", "digestion": "recycling",
              "energy_recovery": "other_recovery", "other_recovery": "other_recovery"}
_DISPOSAL = {"incineration": "incineration", "landfill": "landfill", "other_disposal": "other"}


class UnclassifiedWaste(IndicatorInputError):
    """A waste outflow whose treatment is unknown (route ``export``)."""


def waste_table(fm: FlowModel) -> dict[str, Any]:
    """The E5-5 §37 waste table in t: diverted and disposed, by operation and hazard class.

    Export is neither diverted nor disposed until its fate is known, so waste exported must
    be reported under a known route; a waste outflow with route ``export`` is an error."""
    table: dict[str, Any] = {
        "diverted": {h: {k: 0.0 for k in ("preparation_for_reuse", "recycling",
                                          "other_recovery")}
                     for h in ("hazardous", "non_hazardous")},
        "disposed": {h: {k: 0.0 for k in ("incineration", "landfill", "other")}
                     for h in ("hazardous", "non_hazardous")},
        "radioactive_t": 0.0,
    }
    cells: dict[tuple[str, ...], list[float]] = {}  # summed exactly, in any order (276)
    for i, o in enumerate(fm.outflows):
        if o.kind != "waste":
            continue
        h = "hazardous" if o.hazardous else "non_hazardous"
        t = o.mass / 1000
        if o.route in DIVERTED:
            cells.setdefault(("diverted", h, _DIVERSION[o.route]), []).append(t)
        elif o.route in DISPOSED:
            cells.setdefault(("disposed", h, _DISPOSAL[o.route]), []).append(t)
        else:
            raise UnclassifiedWaste(
                f"outflows[{i}].route: waste '{o.route}' with unknown treatment is neither "
                "diverted nor disposed (E5-5 §37); give its treatment route or kind: by-product")
        if o.radioactive:
            cells.setdefault(("radioactive_t",), []).append(t)
    for (side, *cell), masses in cells.items():
        if cell:
            table[side][cell[0]][cell[1]] = math.fsum(masses)
        else:
            table[side] = math.fsum(masses)
    for side in ("diverted", "disposed"):
        for h in ("hazardous", "non_hazardous"):
            table[side][h]["total"] = math.fsum(v for k, v in table[side][h].items()
                                                if k != "total")
        table[side]["total"] = table[side]["hazardous"]["total"] + \
            table[side]["non_hazardous"]["total"]
    table["total_t"] = table["diverted"]["total"] + table["disposed"]["total"]
    recycled = table["diverted"]["hazardous"]["recycling"] + \
        table["diverted"]["non_hazardous"]["recycling"]
    table["non_recycled_t"] = table["total_t"] - recycled
    table["hazardous_t"] = table["diverted"]["hazardous"]["total"] + \
        table["disposed"]["hazardous"]["total"]
    check_waste_table(table)
    return table


def check_waste_table(table: dict[str, Any], tol: float = 1e-9) -> None:
    """Enforce the consistency rules; raise naming the field that does not add up."""
    def close(a: float, b: float) -> bool:
        return abs(a - b) <= tol * max(1.0, abs(a), abs(b))

    for side in ("diverted", "disposed"):
        for h in ("hazardous", "non_hazardous"):
            parts = math.fsum(v for k, v in table[side][h].items() if k != "total")
            if not close(parts, table[side][h]["total"]):
                raise IndicatorInputError(f"{side}.{h}.total ({table[side][h]['total']}) ≠ "
                                          f"sum of its operations ({parts})")
        both = table[side]["hazardous"]["total"] + table[side]["non_hazardous"]["total"]
        if not close(both, table[side]["total"]):
            raise IndicatorInputError(f"{side}.total ≠ hazardous + non-hazardous")
    if not close(table["total_t"], table["diverted"]["total"] + table["disposed"]["total"]):
        raise IndicatorInputError("total_t ≠ diverted.total + disposed.total (EFRAG Q&A 400)")


def inflows(fm: FlowModel) -> list[Indicator]:
    """E5-4 §31(a)–(c)."""
    m_in = math.fsum(i.mass for i in fm.inflows)
    secondary = math.fsum(i.mass * (i.reused + i.recycled) for i in fm.inflows)
    bio = [i for i in fm.inflows if i.biological]
    bio_mass = math.fsum(i.mass for i in bio)
    bio_sustained = math.fsum(i.mass * i.renewable for i in bio)
    return [
        Indicator("esrs_e5.4.total_inflow", m_in / 1000, "t", "Σ inflow mass (§31(a))",
                  f"{REGULATION}, E5-4 §31(a)", {"inflows": len(fm.inflows)}, status="text"),
        Indicator("esrs_e5.4.secondary_t", secondary / 1000, "t",
                  "reused + recycled inflow mass (§31(c), absolute)",
                  f"{REGULATION}, E5-4 §31(c)", {"inflows": len(fm.inflows)}, status="text"),
        ratio("esrs_e5.4.secondary_share", secondary, m_in, source=f"{REGULATION}, E5-4 §31(c)",
              formula="reused + recycled inflow mass / total inflow (§31(c))", status="text",
              inputs={"secondary_t": secondary / 1000}, what="total inflow"),
        ratio("esrs_e5.4.biological_sustainably_sourced", bio_sustained, bio_mass,
              source=f"{REGULATION}, E5-4 §31(b)", status="text",
              formula="sustainably sourced biological mass / biological mass (§31(b))",
              inputs={"biological_t": bio_mass / 1000}, what="biological inflow"),
    ]


def waste_indicators(fm: FlowModel) -> list[Indicator]:
    """E5-5 §37 and §39 from the waste table; null with the reason when a waste outflow's
    treatment is unknown."""
    keys = (("esrs_e5.5.waste_total", "diverted + disposed (§37(a))"),
            ("esrs_e5.5.waste_diverted",
             "preparation for reuse + recycling + other recovery (§37(b))"),
            ("esrs_e5.5.waste_disposed", "incineration + landfill + other (§37(c))"),
            ("esrs_e5.5.waste_non_recycled", "total − recycled (§37(d))"),
            ("esrs_e5.5.waste_non_recycled_share", "non-recycled / total (§37(d))"),
            ("esrs_e5.5.hazardous_waste", "hazardous diverted + disposed (§39)"),
            ("esrs_e5.5.radioactive_waste", "radioactive waste (§39)"))
    try:
        t = waste_table(fm)
    except UnclassifiedWaste as exc:
        return [Indicator(k, None, "fraction" if k.endswith("share") else "t", f, WASTE,
                          reason=str(exc), status="text") for k, f in keys]
    values = (t["total_t"], t["diverted"]["total"], t["disposed"]["total"],
              t["non_recycled_t"], None, t["hazardous_t"], t["radioactive_t"])
    out = []
    for (key, formula), value in zip(keys, values, strict=True):
        if key.endswith("share"):
            out.append(ratio(key, t["non_recycled_t"], t["total_t"], formula=formula,
                             source=WASTE, inputs={}, what="total waste", status="text"))
        elif key.endswith(("hazardous_waste", "radioactive_waste")):
            out.append(Indicator(key, value, "t", formula, f"{REGULATION}, E5-5 §39", {},
                                 notes=(note("esrs-paragraph"),)))
        else:
            out.append(Indicator(key, value, "t", formula, WASTE,
                                 {"table": t} if key == "esrs_e5.5.waste_total" else {},
                                 status="text"))
    return out


def esrs_e5(fm: FlowModel) -> list[Indicator]:
    out = inflows(fm)
    for p in fm.products:
        if p.lifetime is not None and p.industry_lifetime is not None:
            out.append(ratio(f"esrs_e5.5.durability_vs_industry.{p.name}", p.lifetime,
                             p.industry_lifetime, unit="ratio",
                             formula="expected durability / industry average (§36(a))",
                             source=f"{REGULATION}, E5-5 §36(a)",
                             inputs={"industry_source": p.industry_lifetime_source},
                             status="text"))
    if any(o.kind == "waste" for o in fm.outflows):
        out += waste_indicators(fm)
    return out
