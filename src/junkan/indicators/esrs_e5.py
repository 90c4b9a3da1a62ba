"""EU ESRS E5 (Delegated Regulation (EU) 2023/2772): E5-4 resource inflows and E5-5 resource
outflows, including the waste table of §37 with its consistency rules (total = diverted +
disposed; every hazardous / non-hazardous split sums to its total; EFRAG Q&A 400).
Datapoints: E5-4 §31 and E5-5 §37–39 of that Regulation."""

from __future__ import annotations

from typing import Any

from junkan.indicators.inputs import DISPOSED, DIVERTED, FlowModel
from junkan.indicators.values import Indicator, IndicatorInputError, ratio

SOURCE = "ESRS E5 (Commission Delegated Regulation (EU) 2023/2772), E5-4 §31, E5-5 §37–39"

_DIVERSION = {"reuse": "preparation_for_reuse", "refurbish": "preparation_for_reuse",
              "remanufacture": "preparation_for_reuse", "recycling": "recycling",
              "composting": "other_recovery", "other_recovery": "other_recovery"}
_DISPOSAL = {"incineration": "incineration", "energy_recovery": "incineration",
             "landfill": "landfill", "other_disposal": "other"}


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
    for i, o in enumerate(fm.outflows):
        if o.kind != "waste":
            continue
        h = "hazardous" if o.hazardous else "non_hazardous"
        t = o.mass / 1000
        if o.route in DIVERTED:
            table["diverted"][h][_DIVERSION[o.route]] += t
        elif o.route in DISPOSED:
            table["disposed"][h][_DISPOSAL[o.route]] += t
        else:
            raise IndicatorInputError(
                f"outflows[{i}].route: waste route '{o.route}' is neither diverted nor "
                "disposed under ESRS E5-5 §37; report where the exported waste is treated")
        if o.radioactive:
            table["radioactive_t"] += t
    for side in ("diverted", "disposed"):
        for h in ("hazardous", "non_hazardous"):
            table[side][h]["total"] = sum(v for k, v in table[side][h].items() if k != "total")
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
            parts = sum(v for k, v in table[side][h].items() if k != "total")
            if not close(parts, table[side][h]["total"]):
                raise IndicatorInputError(f"{side}.{h}.total ({table[side][h]['total']}) ≠ "
                                          f"sum of its operations ({parts})")
        both = table[side]["hazardous"]["total"] + table[side]["non_hazardous"]["total"]
        if not close(both, table[side]["total"]):
            raise IndicatorInputError(f"{side}.total ≠ hazardous + non-hazardous")
    if not close(table["total_t"], table["diverted"]["total"] + table["disposed"]["total"]):
        raise IndicatorInputError("total_t ≠ diverted.total + disposed.total (EFRAG Q&A 400)")


def esrs_e5(fm: FlowModel) -> list[Indicator]:
    m_in = sum(i.mass for i in fm.inflows)
    secondary = sum(i.mass * (i.reused + i.recycled) for i in fm.inflows)
    bio = [i for i in fm.inflows if i.biological]
    bio_mass = sum(i.mass for i in bio)
    bio_sustained = sum(i.mass * i.renewable for i in bio)
    out = [
        Indicator("esrs_e5.4.total_inflow", m_in / 1000, "t", "Σ inflow mass", SOURCE,
                  {"inflows": len(fm.inflows)}),
        ratio("esrs_e5.4.secondary_share", secondary, m_in, source=SOURCE,
              formula="reused + recycled inflow mass / total inflow (§31(c))",
              inputs={"secondary_t": secondary / 1000}, what="total inflow"),
        ratio("esrs_e5.4.biological_sustainably_sourced", bio_sustained, bio_mass,
              source=SOURCE, formula="sustainably sourced biological mass / biological mass "
              "(§31(b))", inputs={"biological_t": bio_mass / 1000},
              what="biological inflow"),
    ]
    for p in fm.products:
        if p.lifetime is not None and p.industry_lifetime is not None:
            out.append(Indicator(f"esrs_e5.5.durability_vs_industry.{p.name}",
                                 p.lifetime / p.industry_lifetime, "ratio",
                                 "expected durability / industry average (§36(a))", SOURCE,
                                 {"industry_source": p.industry_lifetime_source}))
    if any(o.kind == "waste" for o in fm.outflows):
        t = waste_table(fm)
        out += [
            Indicator("esrs_e5.5.waste_total", t["total_t"], "t", "diverted + disposed (§37(a))",
                      SOURCE, {"table": t}),
            Indicator("esrs_e5.5.waste_diverted", t["diverted"]["total"], "t",
                      "reuse + recycling + other recovery (§37(b))", SOURCE),
            Indicator("esrs_e5.5.waste_disposed", t["disposed"]["total"], "t",
                      "incineration + landfill + other (§37(c))", SOURCE),
            Indicator("esrs_e5.5.waste_non_recycled", t["non_recycled_t"], "t",
                      "total − recycled (§37(d))", SOURCE),
            ratio("esrs_e5.5.waste_non_recycled_share", t["non_recycled_t"], t["total_t"],
                  formula="non-recycled / total (§37(d))", source=SOURCE, inputs={},
                  what="total waste"),
            Indicator("esrs_e5.5.hazardous_waste", t["hazardous_t"], "t",
                      "hazardous diverted + disposed (§39)", SOURCE),
            Indicator("esrs_e5.5.radioactive_waste", t["radioactive_t"], "t",
                      "radioactive waste (§39)", SOURCE),
        ]
    return out
