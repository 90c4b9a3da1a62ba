"""Reader for J. E. Beasley's OR-Library capacitated warehouse location files (cap41 …).

Format: ``m n``; m lines ``capacity fixed_cost``; then per customer its demand followed by the
cost of serving *all* of its demand from each of the m sites (values may wrap over lines).
Source: Beasley, EJOR 33 (1988) 314–325; http://people.brunel.ac.uk/~mastjjb/jeb/orlib/capinfo.html
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from junkan.core.errors import JunkanError


@dataclass(frozen=True)
class CFLPInstance:
    """Capacitated facility location data: m sites, n customers.

    ``cost[i, j]`` is the cost of serving all of customer j's demand from site i."""

    name: str
    capacity: np.ndarray  # (m,)
    fixed_cost: np.ndarray  # (m,)
    demand: np.ndarray  # (n,)
    cost: np.ndarray  # (m, n)


def read_orlib(path: str | Path) -> CFLPInstance:
    p = Path(path)
    try:
        tokens = p.read_text(encoding="utf-8").split()
    except OSError as exc:
        raise JunkanError(f"{p}: cannot read the file ({exc.strerror})") from None
    try:
        vals = [float(t) for t in tokens]
    except ValueError as exc:
        raise JunkanError(f"{p}: not an OR-Library capacitated location file: {exc}") from None
    if len(vals) < 2:
        raise JunkanError(f"{p}: empty file; expected 'm n' on the first line")
    m, n = int(vals[0]), int(vals[1])
    need = 2 + 2 * m + n * (1 + m)
    if m <= 0 or n <= 0 or len(vals) != need:
        raise JunkanError(f"{p}: expected {need} numbers for m={m} sites and n={n} customers, "
                          f"found {len(vals)}")
    sites = np.array(vals[2:2 + 2 * m]).reshape(m, 2)
    cust = np.array(vals[2 + 2 * m:]).reshape(n, 1 + m)
    return CFLPInstance(name=p.stem, capacity=sites[:, 0], fixed_cost=sites[:, 1],
                        demand=cust[:, 0], cost=cust[:, 1:].T.copy())
