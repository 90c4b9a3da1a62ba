"""The LEAP report: Locate, Evaluate, Assess, Prepare, as a list of neutral blocks
(headings, paragraphs, tables, definitions) that :func:`leap_page` renders as HTML
(junkan.core.report.Page) and :mod:`junkan.nature.pdf` as PDF."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from junkan.core.report import Page
from junkan.nature.results import DEPENDENCIES, fmt, service_name

if TYPE_CHECKING:
    from junkan.nature.results import NatureResult


@dataclass
class Block:
    """``kind``: h2, h3, p, table or defs."""

    kind: str
    text: str = ""
    rows: list[list[Any]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    numeric: tuple[int, ...] = ()
    items: dict[str, str] = field(default_factory=dict)


def _table(rows: list[list[Any]], columns: list[str], numeric: tuple[int, ...]) -> Block:
    return Block("table", rows=rows, columns=columns, numeric=numeric)


def _locate(r: NatureResult, t: dict[str, str]) -> list[Block]:
    ranked = sorted(r.areas, key=lambda a: -(a["integrated"]["value"] or 0.0))
    rows = [
        [
            a["id"],
            a["commodity"],
            a["supplier"],
            a.get("company") or "—",
            fmt(a["integrated"]["value"]),
            fmt(a["protected_overlap_share"]),
            fmt(a["C1.0"]["value_km2"]),
            f"{a['centroid']['lat']:.4f}, {a['centroid']['lon']:.4f}" if "centroid" in a else "—",
        ]
        for a in ranked
    ]
    cols = [t["area"], t["c_commodity"], t["c_supplier"], t["company"], t["score"],
            t["c_protected"]]
    if any(a.get("kba_overlap_km2") is not None for a in ranked):  # KBAs given: their column
        for row, a in zip(rows, ranked, strict=True):
            row.insert(6, fmt(a.get("kba_overlap_share")))
        cols.append(t["c_kba"])
    n = len(cols)
    return [Block("h2", t["locate"]),
            _table(rows, [*cols, "km²", t["c_latlon"]], tuple(range(4, n + 1)))]


def _evaluate(r: NatureResult, t: dict[str, str]) -> list[Block]:
    from junkan.nature import encore_report

    rows = []
    for a in r.areas:
        last, first = a["scenes"][-1], a["scenes"][0]
        rows.append(
            [
                a["id"],
                ("、" if t["lang"] == "ja" else ", ").join(service_name(s, t["lang"])
                          for s in DEPENDENCIES.get(str(a["commodity"]), ["—"])),
                fmt(first.get("NDVI")),
                fmt(last.get("NDVI")),
                fmt(first.get("water_km2")),
                fmt(last.get("water_km2")),
            ]
        )
    cols = [t["area"], t["c_dependencies"], t["c_ndvi_first"], t["c_ndvi_last"]]
    out = [
        Block("h2", t["evaluate"]),
        _table(rows, [*cols, t["c_water_first"], t["c_water_last"]], (2, 3, 4, 5)),
        *encore_report.evaluate_blocks(r, t),
        *_impacts(r, t),
        *_survey(r, t),
    ]
    out += _landcover(r, t)
    if r.classifier:
        c = r.classifier
        out.append(Block("h3", t["classifier"]))
        out.append(
            Block(
                "p",
                f"{t['c_accuracy']} {_ci(c, 'accuracy')}, kappa {_ci(c, 'kappa')}; F1: "
                + ", ".join(f"{k} {_ci(c, 'f1', k)}" for k in c["f1"]),
            )
        )
        out.append(
            _table(
                [[c["classes"][i], *row] for i, row in enumerate(c["confusion"])],
                [t["c_ref_pred"], *c["classes"]],
                tuple(range(1, len(c["classes"]) + 1)),
            )
        )
    return out


def _survey(r: NatureResult, t: dict[str, str]) -> list[Block]:
    """Species richness per area from the field survey, against each area's checklist."""
    if r.survey is None:
        return []
    rows = []
    for a in r.areas:
        s = a.get("survey") or {}
        share = s.get("checklist_share")
        rows.append([
            a["id"], Path(str(s.get("checklist", "—"))).name, s.get("observations", 0),
            s.get("species", 0), s.get("individuals", 0),
            "—" if share is None else f"{100 * share:.0f} %", fmt(s.get("chao1")),
            ", ".join(f"{g} {n}" for g, n in (s.get("species_by_group") or {}).items()),
        ])
    cols = [t["area"], t["c_checklist"], t["c_observations"], t["c_species"],
            t["c_individuals"], t["c_checklist_share"], "Chao1", t["c_by_group"]]
    note = t["survey_note"].format(n=r.survey["observations"], out=r.survey["outside_areas"])
    return [Block("h3", t["survey"]), Block("p", note), _table(rows, cols, (2, 3, 4, 5, 6))]


def _sign(v: dict[str, Any]) -> str:
    """How a threshold is compared: at or beyond (≤ ≥), or strictly (< >)."""
    strict = v.get("inclusive") is False
    return ("<" if strict else "≤") if v["direction"] == "lower" else (">" if strict else "≥")


def _landcover(r: NatureResult, t: dict[str, str]) -> list[Block]:
    """Land cover from your maps (class areas per map, C1.1) or their check of the
    classifier (agreement per map)."""
    out: list[Block] = []
    maps = [(a, a["land_change"]) for a in r.areas
            if (a.get("land_change") or {}).get("from") == "landcover"]
    if maps:
        lc = maps[0][1]
        out += [Block("h3", t["lc_maps"]), Block("p", f"{t['lc_source']}: {lc['source']}")]
        note = lc.get("note_ja" if t["lang"] == "ja" else "note") or lc.get("note")
        out += [Block("p", x) for x in (note,) if x]
        out += [Block("p", f"{t['lc_mixed']} ({', '.join(d['sources_differ'])})")
                for _, d in maps[:1] if d.get("sources_differ")]
        classes = [c for c in lc["maps"][0]["classes_km2"]  # those mapped somewhere
                   if any(m["classes_km2"][c] > 0 for _, d in maps for m in d["maps"])]
        if any(d.get("coverage_note") for _, d in maps):
            out.append(Block("p", t["lc_coverage"]))
        rows = [[a["id"], m["date"], *(fmt(m["classes_km2"][c]) for c in classes),
                 "—" if m.get("valid_share") is None else f"{100 * m['valid_share']:.1f}"]
                for a, d in maps for m in d["maps"]]
        out.append(_table(rows, [t["area"], t["c_date"], *(f"{c} km²" for c in classes),
                                 t["c_valid"]], tuple(range(2, len(classes) + 3))))
    checks = [(a["id"], c) for a in r.areas for c in a.get("landcover_check") or []]
    if checks:
        out += [Block("h3", t["lc_check"]), Block("p", t["lc_check_method"]),
                _table([[i, c["date"], fmt(c["compared_km2"]), fmt(c["agreement"])]
                        for i, c in checks],
                       [t["area"], t["c_date"], t["c_compared"], t["c_agreement"]], (2, 3))]
    return out


def _impacts(r: NatureResult, t: dict[str, str]) -> list[Block]:
    """Each area's impacts as measured here, under ENCORE's impact drivers (pressures):
    land use (C1.0), land-use change (C1.1), use of protected areas (overlap) and water use
    in water-stressed areas (C3.0) — site figures, not ENCORE's global ratings."""
    rows = []
    for a in r.areas:
        c11 = (a.get("land_change") or {}).get("C1.1") or {}
        c3 = a.get("C3.0") or {}
        share = a.get("protected_overlap_share")
        rows += [
            [a["id"], t["p_land"], "C1.0", f"{fmt(a['C1.0']['value_km2'])} km²"],
            [a["id"], t["p_land"], "C1.1", f"{fmt(c11['value_km2'])} km²" if c11 else "—"],
            [a["id"], t["p_land"], t["c_protected"],
             "—" if share is None else f"{fmt(a['protected_overlap_km2'])} km² "
                                       f"({100 * share:.1f} %)"],
            [a["id"], t["p_water"], "C3.0",
             f"{fmt(c3['withdrawal_m3'])} m³" if c3 else "—"],
        ]
    return [Block("h3", t["impacts"]), Block("p", t["impacts_note"]),
            _table(rows, [t["area"], t["c_driver"], t["c_metric"], t["c_value"]], (3,))]


def _flood(r: NatureResult, t: dict[str, str]) -> list[Block]:
    rows = []
    for a in r.areas:
        f = a.get("flood") or {}
        if "return_levels_km2" not in f:
            rows.append([a["id"], len(f.get("years", [])), f.get("note", "—"), "", "", ""])
            continue
        lv, tl = f["return_levels_km2"], f["latest_return_period_years"]
        rows.append(
            [
                a["id"],
                len(f["years"]),
                f["distribution"],
                f"{fmt(lv['10']['value'])} ({fmt(lv['10']['low'])}–{fmt(lv['10']['high'])})",
                f"{fmt(lv['100']['value'])} ({fmt(lv['100']['low'])}–{fmt(lv['100']['high'])})",
                f"{f['latest_year']}: {fmt(tl['value'])} ({fmt(tl['low'])}–{fmt(tl['high'])})",
            ]
        )
    cols = [t["area"], t["c_years"], t["c_fit"], t["c_10yr"], t["c_100yr"], t["c_latest_t"]]
    return [Block("h3", t["flood"]), _table(rows, cols, (1,))]


def _risk(r: NatureResult, t: dict[str, str]) -> list[Block]:
    """Each area's risk rating with its impact and dependency materiality and the measures
    that drive it; the rule and the thresholds (from the data file) below."""
    from junkan.nature import encore_report
    from junkan.nature.risk import drivers, load_rules

    def lvl(x: str | None) -> str:
        return t[f"lvl_{x}"] if x else "—"

    def mat(k: dict[str, Any], n: str) -> str:
        m = encore_report.materiality(k, n)
        return f"; ENCORE {m}" if m else ""

    rated = [a for a in r.areas if a.get("risk")]
    if not rated:
        return []
    order = {"high": 0, "medium": 1, "low": 2, None: 3}
    rows = [
        [a["id"], a["commodity"], lvl(k["rating"]), lvl(k["impact"]["level"]),
         lvl(k["dependency"]["level"]),
         "; ".join(f"{t['m_' + n]} {fmt(v)} ({lvl(x)}{mat(k, n)})"
                   for n, v, x in drivers(k)) or "—"]
        for a in sorted(rated, key=lambda a: order[a["risk"]["rating"]])
        for k in [a["risk"]]
    ]
    rules = r.risk_rules or load_rules()
    th = {
        f"{t['m_' + n]} ({t['c_' + side]})":
        f"{_sign(v)} {fmt(float(v['medium']))} {lvl('medium')}, "
        f"{_sign(v)} {fmt(float(v['high']))} {lvl('high')}"
        + ("" if v["source"] == "assumption" else f" — {v['source']}")
        for side in ("impact", "dependency") for n, v in rules[side].items()
    }
    cols = [t["area"], t["c_commodity"], t["c_risk"], t["c_impact"], t["c_dependency"],
            t["c_drivers"]]
    src = (rules.get("source_ja") if t["lang"] == "ja" else None) or rules["source"]
    return [Block("h3", t["risk"]), _table(rows, cols, ()), Block("p", t["risk_rule"]),
            Block("defs", items=th), Block("p", f"{t['risk_source']}: {src}"),
            *encore_report.risk_blocks(r, t)]


def _assess(r: NatureResult, t: dict[str, str]) -> list[Block]:
    out = [Block("h2", t["assess"]), *_risk(r, t)]
    if r.spi:
        out.append(
            Block(
                "p", f"SPI-{r.spi['scale_months']} {r.spi['latest_month']}: {fmt(r.spi['latest'])}"
            )
        )
    vci = _vci(r, t)
    if vci:
        out.append(Block("p", vci))
    own = [a for a in r.areas if (a.get("spi") or {}).get("area")]  # areas with their own series
    if own:
        out.append(Block("p", "; ".join(
            f"{a['id']}: SPI-{a['spi']['scale_months']} {a['spi']['latest_month']}: "
            f"{fmt(a['spi']['latest'])}" for a in own)))
    rows = [
        [
            a["id"],
            k,
            v["trend"],
            fmt(v["sen_slope_per_year"]),
            fmt(v["p"]),
            fmt(v["min_detectable_change"]),
            "✓" if v["annual_monitoring"] else "✗",
        ]
        for a in r.areas
        for k, v in a["responsiveness"].items()
    ]
    out.append(Block("h3", t["mdc"]))
    cols = [t["area"], t["c_indicator"], t["c_trend"], t["c_sen"], "p", "MDC", t["c_annual"]]
    out.append(_table(rows, cols, (3, 4, 5)))
    return out + _flood(r, t) + _inundation(r, t)


def _vci(r: NatureResult, t: dict[str, str]) -> str | None:
    """Each area's latest VCI, or why it is not rated (insufficient history), in words."""
    from junkan.nature.schema import reference

    need = int(reference("thresholds")["vci_min_years"])
    parts = []
    for a in r.areas:
        d = a.get("drought") or {}
        if d.get("VCI_status") == "insufficient history":
            text = t["vci_unrated"].format(years=d.get("VCI_history_years", 0), need=need)
        elif "VCI_latest" in d:
            text = fmt(d["VCI_latest"])
        else:
            continue
        parts.append(f"{a['id']}: {text}")
    return f"{t['m_vci_latest']} — " + "; ".join(parts) if parts else None


def _inundation(r: NatureResult, t: dict[str, str]) -> list[Block]:
    """Per area and scene: water, flooded (with the threshold range) and receded km²."""
    sw = r.surface_water
    if not sw:
        return []
    rng = lambda v: f"{fmt(v['value'])} ({fmt(v['low'])}–{fmt(v['high'])})"  # noqa: E731
    rows = [
        [a["id"], s["date"], rng(s["water_km2"]), rng(s["flooded_km2"]), fmt(s["receded_km2"])]
        for a in r.areas
        for s in a.get("inundation") or []
    ]
    th = "; ".join(f"{x['date']}: {fmt(x['threshold'])} ({x['method']})" for x in sw["thresholds"])
    cols = [t["area"], t["c_date"], f"{sw['index']} {t['c_water_km2']}", t["c_flooded"],
            t["c_receded"]]
    return [
        Block("h3", t["inundation"]),
        Block("p", f"{t['inundation_ref']} {sw['reference_date']}. {sw['method']}. {th}"),
        _table(rows, cols, ()),
    ]


def _water(r: NatureResult, t: dict[str, str]) -> list[Block]:
    rows = []
    for a in r.areas:
        c = a.get("C3.0")
        if not c:
            continue
        b = c["bounds_m3"]
        rows.append(
            [
                a["id"],
                fmt(c["withdrawal_m3"]),
                f"{fmt(b['withdrawal_m3'][0])}–{fmt(b['withdrawal_m3'][1])}",
                fmt(c["consumption_m3"]),
                f"{fmt(b['consumption_m3'][0])}–{fmt(b['consumption_m3'][1])}",
                fmt(c["total_withdrawal_m3"]),
                ", ".join(
                    f"{k} {fmt(v['withdrawal_m3'])}" for k, v in c["by_water_source"].items()
                ),
                c.get("stress_source") or "per-row bws / none",
            ]
        )
    if not rows:
        return []
    cols = [t["area"], t["c_withdrawal"], t["c_bounds"], t["c_consumption"], t["c_bounds"]]
    return [
        Block("h3", t["water"]),
        _table(rows, [*cols, t["c_all_withdrawal"], t["c_by_source"], t["c_stress_data"]],
               (1, 3, 5)),
    ]


def _prepare(r: NatureResult, t: dict[str, str]) -> list[Block]:
    rows = []
    for a in r.areas:
        c11 = (a.get("land_change") or {}).get("C1.1") or {}
        rows.append(
            [
                a["id"],
                fmt(a["C1.0"]["value_km2"]),
                f"± {fmt(a['C1.0']['uncertainty_km2'])}",
                fmt(c11.get("value_km2")),
                f"± {fmt(c11.get('uncertainty_km2_95'))}" if c11 else "—",
            ]
        )
    companies = r.portfolio()
    port = [
        [
            k if k != "*" else "all",
            fmt(v["integrated"]),
            fmt(v["C1.0_km2"]),
            fmt(v["C1.1_km2"]),
            fmt((v.get("C3.0") or {}).get("withdrawal_m3")),
            fmt(v["volume_t"]),
        ]
        for k, v in companies.items()
    ]
    equal = companies["*"]["volume_t"] is None
    return [
        Block("h2", t["prepare"]),
        _table(rows, [t["area"], "C1.0 km²", "±", "C1.1 km²", "± (95 %)"], (1, 3)),
        *_water(r, t),
        Block("h3", t["portfolio_equal" if equal else "portfolio"]),
        _table(
            port,
            [t["company"], t["score"], "C1.0 km²", "C1.1 km²", "C3.0 m³", "t"],
            (1, 2, 3, 4, 5),
        ),
        *_bank(r, t),
        Block("h3", t["weights"]),
        Block("defs", items={k: fmt(v) for k, v in r.weights.items()}),
    ]


def _bank(r: NatureResult, t: dict[str, str]) -> list[Block]:
    """The bank's exposure-weighted portfolio, when the assessment gives one."""
    b = r.bank_portfolio()
    if b is None:
        return []
    rows = [
        [
            c["company"],
            f"{c['exposure']:,.0f}",
            f"{100 * c['share']:.1f} %",
            fmt(c["integrated"]) if c["covered"] else t["not_covered"],
            fmt(c["C1.0_km2"]),
            fmt(c["C1.1_km2"]),
        ]
        for c in b["companies"]
    ]
    return [
        Block("h3", f"{t['bank']}: {b['name']} ({b['currency']}, {b['as_of']}; {b['source']})"),
        _table(rows, [t["company"], f"{t['exposure']} ({b['currency']})", t["share"],
                      t["score"], "C1.0 km²", "C1.1 km²"], (1, 2, 3, 4, 5)),
        Block("defs", items={t["bank_total"]: fmt(b["integrated"]),
                             t["covered"]: f"{100 * b['covered_share']:.1f} %"}),
        Block("p", t["bank_method"]),
    ]


def blocks(r: NatureResult, t: dict[str, str]) -> list[Block]:
    """The report's content, in order (the scenes ``skip_scenes_above`` left out first)."""
    from junkan.nature.cloudy import report_lines

    out = [Block("p", t["note"])]
    skipped = report_lines(r.skipped_scenes, t["lang"])
    if skipped:
        out += [Block("h3", skipped[0]), *(Block("p", x) for x in skipped[1:])]
    for part in (_locate, _evaluate, _assess, _prepare):
        out.extend(part(r, t))
    return out


def leap_page(r: NatureResult, t: dict[str, str], lang: str) -> Page:
    from junkan.nature.charts import figures

    page = Page(f"{t['title']}: {r.name}", lang=lang, source=r.source)
    for fig in figures(r, t):
        page.figure(fig)
    for b in blocks(r, t):
        if b.kind in ("h2", "h3"):
            page.heading(b.text, int(b.kind[1]))
        elif b.kind == "p":
            page.paragraph(b.text)
        elif b.kind == "table":
            page.table(b.rows, columns=b.columns, numeric=b.numeric)
        else:
            page.definitions(b.items)
    return page


def _ci(c: dict[str, Any], name: str, cls: str | None = None) -> str:
    """A classifier figure with its 95 % interval over the held-out polygons as the
    sampling units (``classifier.validation``), e.g. "0.995 (95 %: 0.98–0.999)"."""
    v = c.get("validation") or {}
    value = c[name] if cls is None else c[name][cls]
    ci = v.get(f"{name}_ci95") if cls is None else (v.get("per_class_ci95") or {}).get(
        cls, {}).get(name)
    return fmt(value) if not ci else f"{fmt(value)} (95 %: {fmt(ci[0])}–{fmt(ci[1])})"


def summary(r: NatureResult) -> list[list[Any]]:
    """Rows for the CLI's table (C1.1 with its 95 % ± when it has one)."""
    out = []
    for a in r.areas:
        c11 = (a.get("land_change") or {}).get("C1.1") or {}
        out.append(
            [
                a["id"],
                a["commodity"],
                a["supplier"],
                fmt(a["C1.0"]["value_km2"]),
                fmt(c11.get("value_km2"))
                + (f"\n±{fmt(u, 2)}" if (u := c11.get("uncertainty_km2_95")) is not None else ""),
                fmt((a.get("C3.0") or {}).get("withdrawal_m3")),
                fmt(a["protected_overlap_share"]),
                fmt(a["integrated"]["value"]),
            ]
        )
    return out
