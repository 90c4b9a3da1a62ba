"""CE added-value productivity (RAP), proposed by the Hitachi–AIST Circular Economy Lab in its
report's standardisation proposal, beside circular material productivity (CTI / ISO 59020)::

    RAP = value added / (variable circulation cost + Σ capex_i / legal life_i / actual-life index_i)
    value added = sales − costs paid to other companies
    actual-life index = actual life / average life

RAP rewards value created per unit of money spent on circulation; circular material
productivity (revenue ÷ linear-inflow mass) rewards revenue per tonne of virgin non-renewable
input. They can rank two strategies differently (see :func:`worked_example`). The formula is
taken from that report; no public methodology for it was found."""

from __future__ import annotations

import math
from typing import Any

from junkan.indicators.inputs import Finance, FlowModel
from junkan.indicators.notes import note
from junkan.indicators.values import Indicator, fsum, ratio

SOURCE = "Hitachi–AIST Circular Economy Lab report (seed 003), standardisation proposal (a)–(c)"
NOTES = (note("rap-lab-report"),)


def circulation_cost(finance: Finance) -> float:
    """Variable circulation cost + annualised capex (capex ÷ legal life ÷ actual-life index)."""
    return fsum([finance.variable_circulation_cost, *(
        c.amount / c.legal_service_life / c.actual_life_index for c in finance.capex)])


def rap(fm: FlowModel) -> list[Indicator]:
    if fm.finance is None:
        return []
    f = fm.finance
    cost = circulation_cost(f)
    inputs: dict[str, Any] = {"value_added": f.value_added, "variable_circulation_cost":
                              f.variable_circulation_cost, "circulation_cost": cost}
    formula = "value added / (variable circulation cost + Σ capex / legal life / actual-life index)"
    if f.value_added is None:
        return [Indicator("rap", None, "ratio", formula, SOURCE, inputs,
                          reason="value_added not given", notes=NOTES,
                          reason_code="value-added")]
    if cost == 0:
        return [Indicator("rap", None, "ratio", formula, SOURCE, inputs,
                          reason="no circulation cost (denominator is zero)", notes=NOTES,
                          reason_code="circulation-cost-zero")]
    if not math.isfinite(cost):  # review 319: value added ÷ infinity gave RAP 0.0
        return [Indicator("rap", None, "ratio", formula, SOURCE, inputs,
                          reason="the circulation cost is beyond the largest number: check "
                                 "the capex amounts, legal service lives and actual-life "
                                 "indices", notes=NOTES,
                          reason_code="circulation-cost-overflow")]
    # a tiny cost: the ratio beyond a float's range is null with the reason (review 319: it
    # was infinity, a null without a reason in JSON)
    return [ratio("rap", f.value_added, cost, unit="ratio", formula=formula, source=SOURCE,
                  inputs=inputs, notes=NOTES)]


def worked_example() -> dict[str, dict[str, float]]:
    """Two strategies for the same company (all numbers illustrative, in million JPY and t):

    * **recycle**: a shredding and sorting line (capex 400, legal life 8 yr, run as long as
      average) buys in scrap; revenue 1,000, value added 300, variable circulation cost 100;
      inflow 1,000 t of which 800 t recycled → linear inflow 200 t.
    * **reuse**: take-back and refurbishment (capex 40, legal life 8 yr, kept 1.5× as long as
      average); revenue 600, value added 240, variable circulation cost 90; inflow 1,000 t of
      which 300 t reused → linear inflow 700 t.

    RAP: recycle 300 / (100 + 400/8/1) = 300/150 = 2.0; reuse 240 / (90 + 40/8/1.5) =
    240 / 93.33… = 2.571… → reuse ranks first.
    Circular material productivity: recycle 1,000/200 = 5.0; reuse 600/700 = 0.857… → recycle
    ranks first.
    """
    from junkan.indicators.inputs import Capex

    out = {}
    for name, rev, va, var, capex, life_idx, linear in (
            ("recycle", 1000.0, 300.0, 100.0, 400.0, 1.0, 200.0),
            ("reuse", 600.0, 240.0, 90.0, 40.0, 1.5, 700.0)):
        fin = Finance(revenue=rev, value_added=va, variable_circulation_cost=var,
                      capex=[Capex(name="line", amount=capex, legal_service_life="8 year",
                                   actual_life_index=life_idx)])
        out[name] = {"rap": va / circulation_cost(fin), "circular_material_productivity":
                     rev / linear}
    return out
