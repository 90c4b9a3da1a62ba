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
from junkan.core.limits import limits


@dataclass(frozen=True)
class CFLPInstance:
    """Capacitated facility location data: m sites, n customers.

    ``cost[i, j]`` is the cost of serving all of customer j's demand from site i."""

    name: str
    capacity: np.ndarray  # (m,)
    fixed_cost: np.ndarray  # (m,)
    demand: np.ndarray  # (n,)
    cost: np.ndarray  # (m, n)


def _tokens(text: str) -> list[tuple[str, int]]:
    """Every whitespace-separated token with its 1-based line number."""
    return [(t, no) for no, line in enumerate(text.splitlines(), 1) for t in line.split()]


def _checked(p: Path, vals: list[float], lines: list[int], m: int) -> None:
    """Refuse a non-finite or negative capacity, fixed cost, demand or cost, naming the site
    or customer (1-based, as OR-Library numbers them), the line and the value."""
    fields = ("capacity", "fixed cost")
    arr = np.asarray(vals[2:])
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~(np.isfinite(arr) & (arr >= 0)))
    if bad.size:
        pos = int(bad[0]) + 2
        v = vals[pos]
        if pos < 2 + 2 * m:
            what = f"site {(pos - 2) // 2 + 1} {fields[(pos - 2) % 2]}"
        else:
            j, k = divmod(pos - 2 - 2 * m, 1 + m)
            what = f"customer {j + 1} " + ("demand" if k == 0 else f"cost from site {k}")
        kind = "not a finite number" if not np.isfinite(v) else "negative"
        raise JunkanError(f"{p}: line {lines[pos]}: {what} is {kind} ({v:g}); give a finite "
                          "value ≥ 0")


def read_orlib(path: str | Path) -> CFLPInstance:
    p = Path(path)
    limit = limits().document_bytes
    try:
        if p.stat().st_size > limit:
            raise JunkanError(f"{p}: {p.stat().st_size:,} bytes, more than the {limit:,} a "
                              "document may have (JUNKAN_LIMIT_DOCUMENT_BYTES)")
        raw = p.read_bytes()
    except OSError as exc:
        raise JunkanError(f"{p}: cannot read the file ({exc.strerror})") from None
    try:
        tokens = _tokens(raw.decode("ascii"))
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise JunkanError(f"{p}: line {line}: byte 0x{raw[exc.start]:02x} is not a digit, sign, "
                          "point or space: an OR-Library file is plain ASCII numbers") from None
    vals = []
    for t, no in tokens:
        try:
            vals.append(float(t))
        except ValueError:
            raise JunkanError(f"{p}: line {no}: {t[:40]!r} is not a number; an OR-Library "
                              "capacitated location file holds numbers only") from None
    if len(vals) < 2:
        raise JunkanError(f"{p}: empty file; expected 'm n' on the first line")
    if not all(np.isfinite(v) and v == int(v) for v in vals[:2]):
        raise JunkanError(f"{p}: line {tokens[0][1]}: expected whole numbers 'm n' (sites, "
                          f"customers), found {tokens[0][0]} {tokens[1][0]}")
    m, n = int(vals[0]), int(vals[1])
    if m <= 0 or n <= 0:
        raise JunkanError(f"{p}: line {tokens[0][1]}: {m} sites and {n} customers; an "
                          "instance has at least one of each")
    if m * n > limits().cflp_pairs:
        raise JunkanError(f"{p}: line {tokens[0][1]}: {m:,} sites × {n:,} customers = "
                          f"{m * n:,} pairs, more than the {limits().describe('cflp_pairs')}")
    need = 2 + 2 * m + n * (1 + m)
    if len(vals) != need:
        raise JunkanError(f"{p}: expected {need} numbers for m={m} sites and n={n} customers, "
                          f"found {len(vals)}")
    _checked(p, vals, [no for _, no in tokens], m)
    sites = np.array(vals[2:2 + 2 * m]).reshape(m, 2)
    cust = np.array(vals[2 + 2 * m:]).reshape(n, 1 + m)
    return CFLPInstance(name=p.stem, capacity=sites[:, 0], fixed_cost=sites[:, 1],
                        demand=cust[:, 0], cost=cust[:, 1:].T.copy())
