"""A JSON summary of one run, for the API and the web UI: totals, per actor and stage,
indicator series, recycled share per material and the Sankey links."""

from __future__ import annotations

from typing import Any

import numpy as np

from junkan.core.encoding import jsonable
from junkan.lifecycle.results import Result
from junkan.lifecycle.sankey import sankey_data

__all__ = ["jsonable", "run_summary"]


def run_summary(result: Result) -> dict[str, Any]:
    raw, c = result.raw, result.raw.compiled
    tot = raw.recycled + raw.virgin
    share = np.divide(raw.recycled, tot, out=np.zeros_like(tot), where=tot > 0)
    return jsonable({
        "scenario": result.scenario,
        "currency": result.currency,
        "years": result.years,
        "totals": result.totals(),
        "by_actor": result.by_actor(),
        "co2e_t_by_stage": result.by_stage(),
        "indicators": result.indicator_series(),
        "recycled_share_by_material": {m: share[:, i] for i, m in enumerate(c.materials)},
        "recycled_share_by_material_total": {
            m: float(raw.recycled[:, i].sum() / tot[:, i].sum()) if tot[:, i].sum() > 0 else 0.0
            for i, m in enumerate(c.materials)},
        "sankey": sankey_data(result),
        "mass_balance_max_relative_error": raw.balance_error,
    })
