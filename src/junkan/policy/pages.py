"""HTML pages of the solar-panel view, the reuse history and the disclosure pack (Japanese
and English), on :class:`junkan.core.report.Page`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from junkan.core.report import Page
from junkan.policy.report import columns, t

if TYPE_CHECKING:
    from junkan.policy.disclosure import DisclosurePack
    from junkan.policy.sharing import ReuseResult, SolarView


def solar_page(v: SolarView, lang: str) -> Page:
    page = Page(t("solar", lang), lang=lang, subtitle=f"{v.org} — {v.registry.as_of.isoformat()}")
    page.heading(t("inst", lang))
    rows = [
        [
            d["id"] if d.get("name") is None else f"{d['name']} ({d['id'][:8]})",
            ", ".join(d["roles"]),
            d.get("municipality"),
            d.get("count", "—"),
            d.get("end_of_business", "—"),
            t(f"status_{d['status']}", lang) if "status" in d else "—",
            d.get("mass_t", "—"),
        ]
        for d in v.installations
    ]
    cols = columns(
        lang,
        ("ID", "ID"),
        ("役割", "roles"),
        ("団体コード", "municipality"),
        ("枚数", "panels"),
        ("事業終了", "end of business"),
        ("状況", "status"),
        ("重量 (t)", "mass (t)"),
    )
    page.table(rows, columns=cols)
    if v.volumes:
        page.heading(t("vol", lang), 3)
        vk = ("municipality", "year", "panels", "mass_t", "glass_t")
        page.table([[r[k] for k in vk] for r in v.volumes], columns=list(vk))
    if v.models:
        page.heading(t("models", lang), 3)
        page.table(
            [
                [
                    m["id"] if m.get("name") is None else m["name"],
                    m["technology"],
                    m["mass_kg"],
                    m["glass_share"],
                    ", ".join(m["above_threshold"]),
                ]
                for m in v.models
            ],
            columns=["ID", "technology", "kg", "glass", "≥ 0.1 wt%"],
        )
    return page


def reuse_page(r: ReuseResult, lang: str) -> Page:
    ja = lang == "ja"
    p = r.history.product
    page = Page(t("reuse", lang), lang=lang, subtitle=f"{p.category} {p.serial}")
    page.paragraph(t("valid" if r.valid else "invalid", lang), warning=not r.valid)
    if r.unverified_authors:
        page.paragraph(
            ("署名者の鍵が未確認（信頼する公開鍵なし）: " if ja else "Authors not verified: ")
            + ", ".join(r.unverified_authors),
            warning=True,
        )
    g = r.grade
    if g is not None:
        meaning = g["ja"] if ja else g["en"]
        page.paragraph(
            ("グレード: " if ja else "Grade: ")
            + f"{g['value']} ({g['scale']})"
            + (f" — {meaning}" if meaning else "")
        )
    page.heading(t("records", lang))
    page.table(r.to_frame())
    for i, rec in enumerate(r.records()):
        if rec["check"]["problem"]:
            page.paragraph(f"#{i + 1}: {rec['check']['problem']}", warning=True)
    return page


def _indicator_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [
            x["key"],
            x["value"]
            if x["unit"] != "fraction" or x["value"] is None
            else f"{100 * x['value']:.2f} %",
            x["unit"],
            x["status"],
        ]
        for x in rows
    ]


def disclosure_page(d: DisclosurePack, lang: str) -> Page:
    cols = ["key", "値" if lang == "ja" else "value", "unit", "status"]
    page = Page(
        t("pack", lang),
        lang=lang,
        subtitle=f"{d.company.name} — {d.period.start.isoformat()}–{d.period.end.isoformat()}",
    )
    e5 = d.rows("esrs-e5")
    page.heading(t("e5_4", lang))
    page.table(_indicator_rows([x for x in e5 if x["key"].startswith("esrs_e5.4")]), columns=cols)
    page.heading(t("e5_5", lang))
    page.table(_indicator_rows([x for x in e5 if x["key"].startswith("esrs_e5.5")]), columns=cols)
    w = d.waste_table
    if w:
        page.heading(t("waste", lang), 3)
        page.table(
            [
                [side, kind, route, v]
                for side in ("diverted", "disposed")
                for kind in ("hazardous", "non_hazardous")
                for route, v in w[side][kind].items()
            ],
            columns=["", "type", "operation", "t"],
        )
    page.heading(t("cti", lang))
    page.table(_indicator_rows(d.rows("cti")), columns=cols)
    page.heading(t("iso", lang))
    page.table(_indicator_rows(d.rows("iso59020")), columns=cols)
    page.heading(t("pack_method", lang))
    page.definitions(
        {
            x["key"]: f"{x['formula']} — {x['source']}"
            for fw in ("esrs-e5", "cti", "iso59020")
            for x in d.rows(fw)
        }
    )
    page.bullets(d.notes)
    return page
