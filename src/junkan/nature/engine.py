"""``run``: every indicator of every sourcing area, with method, inputs and uncertainty."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from junkan.nature import (
    cloudy,
    encore,
    fieldwork,
    inundation,
    landcover,
    partial,
    precip_raster,
    risk,
)
from junkan.nature.assess import (
    compute_areas,
    features,
    layer,
    open_scenes,
    read_precipitation,
    train_classifier,
)
from junkan.nature.classify import Classifier
from junkan.nature.climate import SPI_CLIP, spi, vci
from junkan.nature.flood import flood_frequency
from junkan.nature.geo import Layer, NatureInputError, Polygon, centroid, check_volumes
from junkan.nature.landcover import LandCover
from junkan.nature.metrics import (
    adjusted_areas,
    change_uncertainty,
    error_rate_bounds,
    integrated,
    rel_drop,
    responsiveness,
)
from junkan.nature.rasters import Raster, mask, window
from junkan.nature.results import NatureResult, outline
from junkan.nature.schema import Assessment, reference
from junkan.nature.water import assess_water


def _mean_sd(s: dict[str, Any], name: str) -> tuple[float, float, int]:
    n = int(s[f"{name}:n"])
    if n == 0:
        return float("nan"), float("nan"), 0
    m = float(s[f"{name}:sum"]) / n
    var = max(0.0, float(s[f"{name}:sum2"]) / n - m * m)
    return m, math.sqrt(var), n


def _overlap(poly: Polygon, prot: Layer | None, raster: Raster) -> float | None:
    """km² of the area inside any polygon of ``prot`` (rasterised on the scene grid)."""
    if prot is None:
        return None
    win = window(poly, raster)
    assert win is not None
    both = mask([poly], raster, win) & mask(prot.polygons, raster, win)
    rows = raster.pixel_area_m2(win[0]) / 1e6
    return float((both * rows[:, None]).sum())


def _scene_rows(
    a: Assessment, stats: list[dict[str, Any]], clf: Classifier | None
) -> list[dict[str, Any]]:
    rows = []
    for sc, s in zip(a.spec.scenes, stats, strict=True):
        row: dict[str, Any] = {"date": sc.date.isoformat(), "valid_km2": float(s["valid_km2"])}
        for name in a.spec.indices:
            m, sd, n = _mean_sd(s, name)
            row[name] = m
            row[f"{name}_se"] = sd / math.sqrt(n) if n else float("nan")
        if "water_km2" in s:
            row["water_km2"] = float(s["water_km2"])
        if clf is not None:
            row["classes_km2"] = {
                c: float(s[f"class:{k}"]) for k, c in enumerate(clf.classes, start=1)
            }
        rows.append(row)
    return rows


def _land_change(
    a: Assessment, g: dict[str, Any], clf: Classifier, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    """C1.1 (natural → converted between first and last scene) and error-adjusted areas."""
    names = clf.classes
    for field in ("natural_classes", "converted_classes"):  # a typo must not count as 0 km²
        missing = [c for c in getattr(a.spec, field) if c not in names]
        if missing:
            raise NatureInputError(
                f"{a.source}: {field}: {missing} not among the classifier's training "
                f"classes ({', '.join(names)}); name its classes")
    nat = [names.index(c) + 1 for c in a.spec.natural_classes]
    conv = [names.index(c) + 1 for c in a.spec.converted_classes]
    out: dict[str, Any] = {}
    mapped = [np.array([r["classes_km2"][c] for c in names]) for r in (rows[0], rows[-1])]
    units = clf.clusters()  # the held-out polygons (clusters of pixels)
    adj = [units.adjusted_areas(m) for m in mapped]
    out["adjusted_km2"] = {
        c: {
            "first": float(adj[0][0][i]),
            "last": float(adj[1][0][i]),
            "se_first": float(adj[0][1][i]),
            "se_last": float(adj[1][1][i]),
        }
        for i, c in enumerate(names)
    }
    if "transitions" not in g:
        return out
    t = np.asarray(g["transitions"])
    lost = float(sum(t[i, j] for i in nat for j in conv))
    natural_first = float(sum(t[i, :].sum() for i in nat))
    both = sorted({*nat, *conv})
    se = math.sqrt(sum(adj[0][1][i - 1] ** 2 + adj[1][1][i - 1] ** 2 for i in both))
    pix = [adjusted_areas(clf.confusion, m)[1] for m in mapped]
    se_pix = math.sqrt(sum(pix[0][i - 1] ** 2 + pix[1][i - 1] ** 2 for i in both))
    deff = units.design_effect()
    bound = change_uncertainty(t, error_rate_bounds(clf.confusion, deff=deff), nat, conv)
    years = (a.spec.scenes[-1].date - a.spec.scenes[0].date).days / 365.25
    out["C1.1"] = {
        "value_km2": lost,
        "uncertainty_km2_95": max(units.t95 * se, bound),
        "uncertainty_parts_km2": {
            "sampling_95": units.t95 * se,
            "error_rate_bound": bound,
            "sampling_95_if_pixels_were_independent": 1.96 * se_pix,
        },
        "validation_units": {
            "polygons": units.n, "t95": units.t95, "design_effect": deff,
        },
        "method": "Σ pixel area mapped natural in the first scene and converted in the last "
        "(random-forest maps); ±: the larger of t(0.975, n − 1)·√(SE² of the error-adjusted "
        "areas of every natural and converted class at both dates; Olofsson et al. 2014 "
        "eqs. 9–10 with each error-matrix ratio estimated over the n held-out polygons as "
        "clusters, Brus 2022 ch. 6, Stehman 2009) and the misclassification bound: each "
        "transition that a wrong class at either date would move in or out of C1.1, times "
        "that class's error rate at its Jeffreys 95 % upper bound over the held-out pixels "
        "divided by the design effect of their clustering in polygons (Korn & Graubard "
        "1998's effective sample size; commission or omission, whichever is larger)",
        "inputs": [a.spec.scenes[0].path, a.spec.scenes[-1].path, a.spec.training],
    }
    out["forest_loss_rate_per_year"] = (
        lost / natural_first / years if natural_first > 0 and years > 0 else None
    )
    out["transitions_km2"] = {
        f"{names[i - 1]}→{names[j - 1]}": float(t[i, j])
        for i in range(1, len(names) + 1)
        for j in range(1, len(names) + 1)
        if i != j and t[i, j] > 0
    }
    out["conversion_share"] = lost / float(t.sum()) if t.sum() > 0 else None
    return out


def drought_doc(a: Assessment, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """VCI of the latest scene; not rated (``VCI_latest`` None, ``VCI_status``
    "insufficient history") when fewer years than ``vci_min_years`` (thresholds.yaml, an
    assumption) have a scene in its calendar month: over a few annual scenes the min–max
    range is the land's conversion, not drought."""
    out: dict[str, Any] = {}
    if "NDVI" in a.spec.indices and len(rows) >= 2:
        months = [sc.date.month for sc in a.spec.scenes]
        v = vci(np.array([r["NDVI"] for r in rows]), np.array(months))
        need = int(reference("thresholds")["vci_min_years"])
        years = len({sc.date.year for sc in a.spec.scenes if sc.date.month == months[-1]})
        out["VCI_history_years"] = years
        out["VCI_method"] = "Kogan 1995, per calendar month over the scenes' record"
        if years < need:
            out["VCI_latest"] = None
            out["VCI_status"] = "insufficient history"
            out["VCI_note"] = (
                f"{years} year(s) with a scene in month {months[-1]}; VCI needs at least "
                f"{need} (thresholds.yaml vci_min_years, an assumption), else a land "
                "conversion reads as drought; not rated"
            )
        else:
            out["VCI_latest"] = None if not math.isfinite(v[-1]) else float(v[-1])
    return out


def spi_by_area(a: Assessment, areas: Layer) -> dict[str, dict[str, Any]]:
    """SPI of each precipitation series, keyed as :func:`read_precipitation` keys them
    (area id, ``""`` for the shared series); a series naming no area is refused. A raster
    series (junkan.nature.precip_raster) gives each area the mean of its pixels."""
    if a.spec.precipitation is None:
        return {}
    ids = [p.fid for p in areas.polygons]
    if precip_raster.is_raster(a.spec.precipitation):
        rs = precip_raster.spec_of(a.spec.precipitation)
        src = rs.path
        series = precip_raster.area_series(a.path(rs.path, "precipitation.path"), rs, areas)
    else:
        src = str(a.spec.precipitation)
        series = read_precipitation(a.path(src, "precipitation"))
    unknown = sorted(k for k in series if k and k not in ids)
    if unknown:
        raise NatureInputError(
            f"{src}: area {', '.join(map(repr, unknown[:5]))} is not a "
            f"sourcing area ({', '.join(ids[:10])}); fix the 'area' column"
        )
    missing = [i for i in ids if i not in series and "" not in series]
    if missing:
        raise NatureInputError(
            f"{src}: no series for area {', '.join(map(repr, missing[:5]))}; "
            "add its rows, or rows with an empty 'area' for every area without its own"
        )
    out = {}
    for key, (labels, mm) in series.items():
        if len(mm) < a.spec.spi_scale:
            raise NatureInputError(
                f"{src}" + (f" (area {key!r})" if key else "") + f": {len(mm)} months, fewer "
                f"than spi_scale ({a.spec.spi_scale}), so no SPI can be computed; give a "
                "longer series or a smaller spi_scale"
            )
        first_month = int(labels[0].split("-")[1])
        pad = np.concatenate([np.full(first_month - 1, np.nan), mm])
        vals = spi(pad, a.spec.spi_scale)[first_month - 1 :]
        out[key] = {
            "scale_months": a.spec.spi_scale,
            "latest_month": labels[-1],
            "latest": float(vals[-1]),
            "series": [None if not math.isfinite(v) else float(v) for v in vals[-24:]],
            "method": "gamma fit per calendar month (Thom 1958), as climate_indices.spi",
            "input": src,
            "area": key or None,
        }
    return out


def _area_doc(
    a: Assessment,
    poly: Polygon,
    g: dict[str, Any],
    clf: Classifier | None,
    prot: Layer | None,
    scene0: Raster,
    cov: dict[str, float],
) -> dict[str, Any]:
    rows = _scene_rows(a, g["scenes"], clf)
    s0 = g["scenes"][0]
    area = float(s0["area_km2"])  # the covered part (the whole area unless partial_areas)
    px = float(np.median(scene0.pixel_area_m2())) / 1e6
    edge = cov["edge_pixels"]
    doc: dict[str, Any] = {
        "id": poly.fid,
        **{k: poly.properties.get(k) for k in ("commodity", "supplier", "company", "volume_t")},
        "scenes": rows,
    }
    doc["C1.0"] = {
        "value_km2": cov["polygon_km2"],
        "uncertainty_km2": 0.5 * edge * px,
        "method": "area of the sourcing polygon on the scene grid (pixel centres "
        "inside, the grid extended past the scenes for a partly covered area); "
        "±: half the boundary pixels; counts the area "
        "managed, not disturbed or restored areas outside it",
        "inputs": [a.spec.areas],
    }
    ov = _overlap(poly, prot, scene0)
    doc["protected_overlap_km2"] = ov
    doc["protected_overlap_share"] = None if ov is None or area <= 0 else ov / area
    if clf is not None:
        doc["land_change"] = _land_change(a, g, clf, rows)
    doc["drought"] = drought_doc(a, rows)
    return doc


def _components(doc: dict[str, Any], spi_doc: dict[str, Any] | None) -> dict[str, Any]:
    rows = doc["scenes"]
    lc = doc.get("land_change") or {}
    return {
        "conversion": lc.get("conversion_share"),
        "protected_overlap": doc["protected_overlap_share"],
        "vegetation_decline": rel_drop(rows[0].get("NDVI"), rows[-1].get("NDVI"))
        if len(rows) > 1
        else None,
        "water_loss": rel_drop(rows[0].get("water_km2"), rows[-1].get("water_km2"))
        if len(rows) > 1
        else None,
        "drought": None if spi_doc is None or spi_doc.get("latest") is None
        or not math.isfinite(spi_doc["latest"]) else max(0.0, -spi_doc["latest"]) / SPI_CLIP,
    }


def _landcover(
    a: Assessment, lc: LandCover | None, scenes: list[Raster], areas: Layer,
    clf: Classifier | None, scheduler: Any,
) -> list[dict[str, Any]] | None:
    """Each area's sums over your land-cover maps, computed and checked (legend, nodata)."""
    if lc is None:
        return None
    import dask

    graphs = landcover.area_graphs(a, lc, scenes, areas, clf)
    (done,) = dask.compute(graphs, **({"scheduler": scheduler} if scheduler else {}))
    landcover.check_values(lc, done, areas, scenes[0])
    return list(done)


def _class_trends(
    a: Assessment, doc: dict[str, Any], clf: Classifier | None, lc: LandCover | None,
    g_lc: dict[str, Any] | None,
) -> None:
    """Land-cover results of one area: from your maps (``replace``: land change, class
    trends over the maps' dates) or the classifier, and the maps' check of it."""
    th = reference("thresholds")
    if lc is not None and g_lc is not None and lc.spec.use == "replace":
        doc["land_change"] = landcover.land_change(a, lc, g_lc)
        years, series = landcover.series(lc, g_lc)
        doc["responsiveness"] |= responsiveness(
            years, series, alpha=th["mdc_alpha"], power=th["mdc_power"]
        )
    elif lc is not None and g_lc is not None and clf is not None:
        doc["landcover_check"] = landcover.agreement(a, lc, clf, g_lc)


def _trends(a: Assessment, doc: dict[str, Any], clf: Classifier | None, years: list[float]
            ) -> None:
    """Flood frequency and each indicator's responsiveness over the scenes."""
    th = reference("thresholds")
    if "water_km2" in doc["scenes"][0]:
        doc["flood"] = flood_frequency(
            [sc.date.year for sc in a.spec.scenes],
            [r["water_km2"] for r in doc["scenes"]],
            min_years=a.spec.flood_min_years,
            seed=a.spec.seed,
        )
    series = {
        k: [r.get(k) for r in doc["scenes"]]
        for k in [*a.spec.indices, "water_km2"]
        if all(r.get(k) is not None for r in doc["scenes"])
    }
    if clf is not None:
        for c in clf.classes:
            series[f"{c}_km2"] = [r["classes_km2"][c] for r in doc["scenes"]]
    doc["responsiveness"] = responsiveness(
        years, series, alpha=th["mdc_alpha"], power=th["mdc_power"]
    )


def run(a: Assessment, *, scheduler: Any = None) -> NatureResult:
    """Assess every sourcing area (see docs/nature.md)."""
    scenes = open_scenes(a)
    s0 = scenes[0]
    feats = features(a, scenes)
    areas = layer(a, a.spec.areas, "areas", s0, ("commodity", "supplier"))
    covs = partial.check_coverage(areas, s0, a.spec.partial_areas)
    skipped: list[dict[str, Any]] = []
    if a.spec.skip_scenes_above is not None:
        a, scenes, skipped = cloudy.drop_cloudy(a, scenes, areas, feats)
    check_volumes(areas)
    enc = encore.assess_encore(a, [str(p.properties.get("commodity")) for p in areas.polygons])
    prot = layer(a, a.spec.protected, "protected", s0, ()) if a.spec.protected else None
    kbas = layer(a, a.spec.kba, "kba", s0, ()) if a.spec.kba else None
    lc = landcover.open_maps(a, s0)
    water = assess_water(a, areas, s0)  # before the heavy part: its inputs fail fast
    spis = spi_by_area(a, areas)  # so do the precipitation series
    survey = fieldwork.assess_survey(a, areas)  # and the field survey
    rules = risk.load_rules(a.path(a.spec.risk_thresholds, "risk_thresholds")
                            if a.spec.risk_thresholds else None)
    clf = train_classifier(a, scenes, feats)
    if lc is not None:
        landcover.check_classes(a, lc, clf)
    lcs = _landcover(a, lc, scenes, areas, clf, scheduler)
    replaced = lc is not None and lc.spec.use == "replace"  # the maps give the classes
    graphs = compute_areas(a, scenes, areas, feats, None if replaced else clf, scheduler)
    wname = inundation.water_index(a.spec.indices, a.spec.water_index)
    pixels = (
        None
        if wname is None
        else inundation.assess(
            scenes,
            [sc.date.isoformat() for sc in a.spec.scenes],
            areas,
            feats,
            name=wname,
            reference=a.spec.flood_reference,
            fixed=a.spec.water_threshold,
            scheduler=scheduler,
        )
    )
    years = [sc.date.year + (sc.date.timetuple().tm_yday - 1) / 365.25 for sc in a.spec.scenes]
    docs = []
    for n, (poly, g) in enumerate(zip(areas.polygons, graphs, strict=True)):
        spi_doc = spis.get(poly.fid) or spis.get("")
        doc = _area_doc(a, poly, g, None if replaced else clf, prot, s0, covs[poly.fid])
        doc["spi"] = spi_doc
        _overlaps(doc, poly, kbas, s0, areas, covs)
        doc["C3.0"] = water.get(poly.fid)
        doc["survey"] = None if survey is None else survey[0][poly.fid]
        if pixels is not None:
            doc["inundation"] = pixels["areas"][poly.fid]
        _trends(a, doc, None if replaced else clf, years)
        _class_trends(a, doc, clf, lc, None if lcs is None else lcs[n])
        comps = _components(doc, spi_doc)
        doc["integrated"] = integrated(comps, a.weights())
        doc["risk"] = risk.rate(doc, comps, rules, encore.for_area(enc, doc))
        partial.mark(doc, covs[poly.fid])
        docs.append(doc)
    return NatureResult(
        a.spec.name,
        a.source,
        docs,
        clf.to_json() if clf else None,
        spis.get(""),
        a.weights(),
        [sc.path for sc in a.spec.scenes],
        None if pixels is None else {k: v for k, v in pixels.items() if k != "areas"},
        None if a.spec.portfolio is None else a.spec.portfolio.model_dump(mode="json"),
        None if survey is None else survey[1],
        rules,
        enc,
        skipped,
    )


def _overlaps(doc: dict[str, Any], poly: Polygon, kbas: Layer | None, s0: Raster,
              areas: Layer, covs: dict[str, dict[str, float]]) -> None:
    """KBA overlap (km², and share of the covered part) and the centroid of the area."""
    kba = _overlap(poly, kbas, s0)
    doc["kba_overlap_km2"] = kba
    covered = covs[poly.fid]["covered_km2"]
    doc["kba_overlap_share"] = None if kba is None or covered <= 0 else kba / covered
    doc["centroid"] = centroid(poly, areas.crs)
    doc["outline"] = outline(poly.geometry, areas.crs)
