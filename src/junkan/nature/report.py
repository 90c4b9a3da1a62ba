"""The LEAP report page (junkan.core.report.Page): Locate, Evaluate, Assess, Prepare."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from junkan.core.report import Page
from junkan.nature.results import DEPENDENCIES, fmt

if TYPE_CHECKING:
    from junkan.nature.results import NatureResult


def _locate(page: Page, r: NatureResult, t: dict[str, str]) -> None:
    page.heading(t["locate"])
    ranked = sorted(r.areas, key=lambda a: -(a["integrated"]["value"] or 0.0))
    page.table(
        [
            [
                a["id"],
                a["commodity"],
                a["supplier"],
                a.get("company") or "—",
                fmt(a["integrated"]["value"]),
                fmt(a["protected_overlap_share"]),
                fmt(a["C1.0"]["value_km2"]),
            ]
            for a in ranked
        ],
        columns=[
            t["area"],
            "commodity",
            "supplier",
            t["company"],
            t["score"],
            "protected share",
            "km²",
        ],
        numeric=(4, 5, 6),
    )


def _evaluate(page: Page, r: NatureResult, t: dict[str, str]) -> None:
    page.heading(t["evaluate"])
    rows = []
    for a in r.areas:
        last, first = a["scenes"][-1], a["scenes"][0]
        rows.append(
            [
                a["id"],
                ", ".join(DEPENDENCIES.get(str(a["commodity"]), ["—"])),
                fmt(first.get("NDVI")),
                fmt(last.get("NDVI")),
                fmt(first.get("water_km2")),
                fmt(last.get("water_km2")),
            ]
        )
    page.table(
        rows,
        columns=[
            t["area"],
            "dependencies (ENCORE-style, screening)",
            "NDVI first",
            "NDVI last",
            "water km² first",
            "water km² last",
        ],
        numeric=(2, 3, 4, 5),
    )
    if r.classifier:
        c = r.classifier
        page.heading(t["classifier"], 3)
        page.paragraph(
            f"accuracy {fmt(c['accuracy'])}, kappa {fmt(c['kappa'])}; F1: "
            + ", ".join(f"{k} {fmt(v)}" for k, v in c["f1"].items())
        )
        page.table(
            [[c["classes"][i], *row] for i, row in enumerate(c["confusion"])],
            columns=["reference \\ predicted", *c["classes"]],
            numeric=range(1, len(c["classes"]) + 1),
        )


def _assess(page: Page, r: NatureResult, t: dict[str, str]) -> None:
    page.heading(t["assess"])
    if r.spi:
        page.paragraph(
            f"SPI-{r.spi['scale_months']} {r.spi['latest_month']}: {fmt(r.spi['latest'])}"
        )
    page.heading(t["mdc"], 3)
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
    page.table(
        rows,
        columns=[t["area"], "indicator", "trend", "Sen slope /yr", "p", "MDC", "annual?"],
        numeric=(3, 4, 5),
    )


def _prepare(page: Page, r: NatureResult, t: dict[str, str]) -> None:
    page.heading(t["prepare"])
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
    page.table(rows, columns=[t["area"], "C1.0 km²", "±", "C1.1 km²", "± (95 %)"], numeric=(1, 3))
    page.heading(t["portfolio"], 3)
    page.table(
        [
            [
                k if k != "*" else "all",
                fmt(v["integrated"]),
                fmt(v["C1.0_km2"]),
                fmt(v["C1.1_km2"]),
                fmt(v["volume_t"]),
            ]
            for k, v in r.portfolio().items()
        ],
        columns=[t["company"], t["score"], "C1.0 km²", "C1.1 km²", "t"],
        numeric=(1, 2, 3, 4),
    )
    page.heading(t["weights"], 3)
    page.definitions({k: fmt(v) for k, v in r.weights.items()})


def leap_page(r: NatureResult, t: dict[str, str], lang: str) -> Page:
    page = Page(f"{t['title']}: {r.name}", lang=lang, source=r.source)
    page.paragraph(t["note"])
    for part in (_locate, _evaluate, _assess, _prepare):
        part(page, r, t)
    return page


def summary(r: NatureResult) -> list[list[Any]]:
    """Rows for the CLI's table."""
    out = []
    for a in r.areas:
        c11 = (a.get("land_change") or {}).get("C1.1") or {}
        out.append(
            [
                a["id"],
                a["commodity"],
                a["supplier"],
                fmt(a["C1.0"]["value_km2"]),
                fmt(c11.get("value_km2")),
                fmt(a["protected_overlap_share"]),
                fmt(a["integrated"]["value"]),
            ]
        )
    return out
