"""Roll-ups of the areas' results: per company (areas weighted by sourcing volume) and for a
bank's portfolio (companies weighted by the bank's exposure to them).

A company's integrated indicator is the mean of its areas' values weighted by ``volume_t``
(equal weights when no area gives a volume; the areas file must give it for all or none, see
:func:`junkan.nature.geo.check_volumes`). A bank's portfolio indicator is the mean of its
companies' values weighted by exposure, over the exposures whose company has assessed areas;
the share of exposure that has none is reported as not covered, never guessed. Footprints
(C1.0, C1.1, C3.0) are the companies' own, not attributed to the bank: attributing them
(PCAF-style, exposure / company value) needs each company's value, which is not an input."""

from __future__ import annotations

from typing import Any


def _weighted(pairs: list[tuple[float, float | None]]) -> float | None:
    ok = [(w, v) for w, v in pairs if v is not None]
    total = sum(w for w, _ in ok)
    return sum(w * v for w, v in ok) / total if ok and total > 0 else None


def _c3_sum(areas: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Sum of the areas' C3.0 (value and bounds), None when no area has withdrawals."""
    docs = [a["C3.0"] for a in areas if a.get("C3.0")]
    if not docs:
        return None
    out: dict[str, Any] = {}
    for k in ("withdrawal_m3", "consumption_m3"):
        out[k] = sum(d[k] for d in docs)
        out[f"{k}_bounds"] = [sum(d["bounds_m3"][k][i] for d in docs) for i in (0, 1)]
        out[f"total_{k}"] = sum(d[f"total_{k}"] for d in docs)
    return out


def by_company(areas: list[dict[str, Any]]) -> dict[str, Any]:
    """Per company (areas without one under "—") and for all areas ("*"): the
    volume-weighted integrated indicator, total C1.0, C1.1 and C3.0, the volume (t, None
    when the areas give none) and the weighting used."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for a in areas:
        groups.setdefault(str(a.get("company") or "—"), []).append(a)
    groups["*"] = list(areas)
    given = [a.get("volume_t") not in (None, "") for a in areas]
    by_volume = bool(given) and all(given)  # some only: a result stored before the check
    equal = ("equal (no area gives volume_t)" if not any(given)
             else "equal (volume_t missing for some areas)")
    out = {}
    for name, members in groups.items():
        weight = [float(a["volume_t"]) if by_volume else 1.0 for a in members]
        out[name] = {
            "areas": [a["id"] for a in members],
            "integrated": _weighted([(w, a["integrated"]["value"])
                                     for w, a in zip(weight, members, strict=True)]),
            "C1.0_km2": sum(a["C1.0"]["value_km2"] for a in members),
            "C1.1_km2": sum(((a.get("land_change") or {}).get("C1.1") or {})
                            .get("value_km2", 0.0) for a in members),
            "volume_t": sum(weight) if by_volume else None,
            "weighting": "volume_t" if by_volume else equal,
            "C3.0": _c3_sum(members),
        }
    return out


def bank_view(companies: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """A bank's portfolio (``spec``: a :class:`~junkan.nature.schema.BankPortfolio` as JSON)
    over :func:`by_company`'s companies: per exposure its share and the company's figures,
    the exposure-weighted integrated indicator and the share of exposure covered by
    assessed areas."""
    exposures = {str(k): float(v) for k, v in spec["exposures"].items()}
    total = sum(exposures.values())
    rows: list[dict[str, Any]] = []
    pairs: list[tuple[float, float | None]] = []
    covered = 0.0
    for company, amount in exposures.items():
        c = companies.get(company) if company != "*" else None
        if c is not None and c["integrated"] is None:
            c = None  # areas, but no indicator to weigh: not covered
        rows.append({
            "company": company, "exposure": amount, "share": amount / total,
            "covered": c is not None,
            "integrated": None if c is None else c["integrated"],
            "C1.0_km2": None if c is None else c["C1.0_km2"],
            "C1.1_km2": None if c is None else c["C1.1_km2"],
        })
        if c is not None:
            covered += amount
            pairs.append((amount, c["integrated"]))
    return {
        **{k: spec[k] for k in ("name", "currency", "as_of", "source")},
        "total_exposure": total,
        "integrated": _weighted(pairs),
        "covered_share": covered / total,
        "companies": rows,
        "not_in_portfolio": sorted(k for k in companies if k not in exposures and k != "*"),
        "method": "exposure-weighted mean of each company's integrated indicator (0–100) over "
                  "the exposures whose company has assessed areas; footprints are the "
                  "companies' own, not attributed to the bank",
    }
