"""HTML pages of :mod:`junkan.policy` (Japanese first, English too), on
:class:`junkan.core.report.Page`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from junkan.core.report import Page

if TYPE_CHECKING:
    from junkan.policy.procurement import ProcurementResult
    from junkan.policy.recycled import PeriodicReport
    from junkan.policy.result import DiagnosisResult

T: dict[str, tuple[str, str]] = {
    # key: (Japanese, English)
    "title": ("自治体サーキュラーエコノミー診断", "Municipal circular-economy diagnosis"),
    "state": ("現状と類似団体との比較", "Current state against peers"),
    "peers": ("類似団体（人口規模）", "Peers (population size class)"),
    "peers_listed": ("類似団体（指定した団体）", "Peers (as listed)"),
    "potential": ("品目別のポテンシャル", "Potential by material stream"),
    "proposals": ("改善施策の提案と効果", "Improvement proposals and effects"),
    "method": ("算定方法と前提", "Method and assumptions"),
    "metric": ("指標", "indicator"),
    "value": ("値", "value"),
    "rank": ("順位", "rank"),
    "generation_g_per_person_day": ("1人1日当たりごみ排出量 (g)", "waste per person per day (g)"),
    "household_g_per_person_day": (
        "1人1日当たり生活系ごみ (g)",
        "household waste per person per day (g)",
    ),
    "recycling_rate": ("リサイクル率 R (%)", "recycling rate R (%)"),
    "final_disposal_kg_per_person_year": (
        "1人当たり最終処分量 (kg/年)",
        "final disposal per person (kg/yr)",
    ),
    "cost_JPY_per_person_year": (
        "1人当たり処理及び維持管理費 (円/年)",
        "operating cost per person (JPY/yr)",
    ),
    "business_g_per_employed_day": (
        "従業者1人1日当たり事業系ごみ (g)",
        "business waste per person employed per day (g)",
    ),
    "stream": ("品目", "stream"),
    "own": ("自団体 (kg/人/年)", "own (kg/person/yr)"),
    "best": ("類似団体の上位水準 (kg/人/年)", "peers' best level (kg/person/yr)"),
    "pot_t": ("ポテンシャル (t/年)", "potential (t/yr)"),
    "measure": ("施策", "measure"),
    "diverted": ("資源化増 (t/年)", "diverted (t/yr)"),
    "co2": ("CO2e削減 (t/年)", "CO2e reduction (t/yr)"),
    "landfill": ("埋立削減 (t/年)", "landfill avoided (t/yr)"),
    "cost": ("正味費用 (千円/年)", "net cost (thousand JPY/yr)"),
    "gain": ("R上昇 (ポイント)", "R gain (points)"),
    "model": ("算定モデル", "model"),
    "engine": (
        "各施策の効果はライフサイクルエンジン（junkan.lifecycle）で算定した。施策ごとの"
        "モデル（表の「算定モデル」）で、ベースライン（全量を処分）と施策のシナリオ"
        "（捕捉分を分別収集・資源化）を実行し、その差を効果とする。"
        "モデルはYAML文書として書き出せ（DiagnosisResult.write_models）、junkan compare で"
        "同じ値を再計算できる。",
        "Each proposal's effects are computed by the lifecycle engine (junkan.lifecycle): "
        "the proposal's model (column “model”) is run for its baseline (all of the potential "
        "disposed) and for the measure's scenario (the captured share collected separately "
        "and recovered), and the effects are the difference. DiagnosisResult.write_models "
        "writes the models; junkan compare on one prints the same figures.",
    ),
    "none": ("ポテンシャルのある施策はありません。", "No measure has potential."),
    "name": ("団体名", "municipality"),
    "pop": ("総人口", "population"),
    # solar-panel view, reuse history, disclosure pack (junkan.policy.pages)
    "solar": ("太陽光パネル情報共有", "Solar-panel information sharing"),
    "inst": ("設置（閲覧できる範囲）", "Installations (as you may see them)"),
    "vol": (
        "使用済みパネルの見込み量（事業終了年別）",
        "End-of-life volumes by end-of-business year",
    ),
    "models": ("登録したパネル型式", "Panel models you registered"),
    "reuse": ("リユース品の修理・整備履歴", "Repair and refurbishment history"),
    "records": ("記録", "Records"),
    "valid": ("署名と連鎖はすべて有効です。", "Every signature and link holds."),
    "invalid": ("検証できない記録があります。", "Some records do not verify."),
    "pack": ("循環性の開示パック", "Circularity disclosure pack"),
    "e5_4": ("ESRS E5-4 資源の投入", "ESRS E5-4 Resource inflows"),
    "e5_5": ("ESRS E5-5 資源の排出", "ESRS E5-5 Resource outflows"),
    "waste": ("廃棄物の内訳（t）", "Waste by type and treatment (t)"),
    "cti": ("WBCSD CTI", "WBCSD CTI"),
    "iso": ("ISO 59020 コア指標", "ISO 59020 core indicators"),
    "pack_method": ("算定方法と注記", "Method notes"),
    "status_overdue": ("事業終了後・未回収", "past end of business, not collected"),
    "status_approaching": ("事業終了が近い", "approaching end of business"),
    "status_operating": ("稼働中", "operating"),
    "status_collected": ("回収済み", "collected"),
    "status_treated": ("処理済み", "treated"),
}


def t(key: str, lang: str) -> str:
    return T[key][0 if lang == "ja" else 1]


def columns(lang: str, *names: tuple[str, str]) -> list[str]:
    """Column names in ``lang`` from (Japanese, English) pairs."""
    return [n[0 if lang == "ja" else 1] for n in names]


def _pct(x: float | None) -> float | None:
    return None if x is None else 100 * x


def diagnosis_page(r: DiagnosisResult, lang: str) -> Page:
    d = r.diagnosis
    tg = r.target
    sub = (
        f"{tg['name']}（{d.request.municipality}）{d.request.fiscal_year}年度"
        if lang == "ja"
        else f"{tg['name']} ({d.request.municipality}), fiscal year {d.request.fiscal_year}"
    )
    page = Page(t("title", lang), lang=lang, source=d.source, subtitle=sub)
    page.heading(t("state", lang))
    rows = []
    for key, rk in r.ranks.items():
        v = tg[key]
        rows.append(
            [
                t(key, lang),
                _pct(v) if key == "recycling_rate" else v,
                "—" if rk is None else f"{rk} / {r.ranked(key)}",
            ]
        )
    page.table(rows, columns=[t("metric", lang), t("value", lang), t("rank", lang)],
               caption=_compared(r, lang))
    page.heading(t("peers_listed" if r.peers_listed else "peers", lang), 3)
    page.table(
        [
            [
                p["name"],
                p["population"],
                p["generation_g_per_person_day"],
                _pct(p["recycling_rate"]),
                p["final_disposal_kg_per_person_year"],
            ]
            for p in r.peers
        ],
        columns=[
            t("name", lang),
            t("pop", lang),
            t("generation_g_per_person_day", lang),
            t("recycling_rate", lang),
            t("final_disposal_kg_per_person_year", lang),
        ],
    )
    page.heading(t("potential", lang))
    page.table(
        [
            [
                p.stream if lang == "ja" else d.factors.streams[p.stream].en,
                p.own_kg_per_person_year,
                p.best_quartile_kg_per_person_year,
                p.potential_t,
            ]
            for p in r.potential
        ],
        columns=[t("stream", lang), t("own", lang), t("best", lang), t("pot_t", lang)],
    )
    pr = r.potential_recycling_rate
    q = d.request.quantile
    if pr is not None:
        page.paragraph(
            f"全品目が上位水準（類似団体の{q:g}分位点）に達すると"
            f"リサイクル率は {100 * pr:.1f}% になります。"
            if lang == "ja"
            else f"With every stream at the peers' {q:g} quantile, R would be {100 * pr:.1f} %."
        )
    _proposals(page, r.proposals, lang)
    page.heading(t("method", lang))
    page.paragraph(_method(lang))
    for note in r.notes:
        page.paragraph(note["ja" if lang == "ja" else "en"], warning=True)
    return page


def _compared(r: DiagnosisResult, lang: str) -> str:
    """What the ranks compare with: the listed peers by name, or the size class."""
    if r.peers_listed:
        names = [f"{p['name']}（{p['code']}）" if lang == "ja" else f"{p['name']} ({p['code']})"
                 for p in r.peers if not p["is_target"]]
        return (f"指定した類似団体（{'、'.join(names)}）と比較" if lang == "ja"
                else f"compared with the listed peers: {', '.join(names)}")
    lo, hi = r.size_class
    top = "" if hi is None else f"{hi - 1:,}"
    return (f"人口 {lo:,}〜{top}人の団体と比較" if lang == "ja"
            else f"compared with municipalities of {lo:,}–{top} inhabitants")


def _proposals(page: Page, proposals: list[dict[str, Any]], lang: str) -> None:
    page.heading(t("proposals", lang))
    shown = [p for p in proposals if p["proposed"]]
    if not shown:
        page.paragraph(t("none", lang))
        return
    page.table(
        [
            [
                p["ja"] if lang == "ja" else p["en"],
                p["diverted_t"],
                p["co2e_reduction_t"],
                p["landfill_avoided_t"],
                p["net_cost_kJPY"],
                100 * p["recycling_rate_gain"],
                p["model"],
            ]
            for p in shown
        ],
        columns=[
            t("measure", lang),
            t("diverted", lang),
            t("co2", lang),
            t("landfill", lang),
            t("cost", lang),
            t("gain", lang),
            t("model", lang),
        ],
    )
    page.paragraph(t("engine", lang))


def _method(lang: str) -> str:
    from junkan.policy.result import METHOD

    if lang != "ja":
        return METHOD
    return (
        "1人当たりの値とリサイクル率Rは一般廃棄物処理実態調査の定義による。類似団体は同じ人口"
        "規模区分の団体（自団体を含む）。順位は1が最良で、同値は同順位。品目のポテンシャルは"
        "類似団体の1人当たり資源化量の上位25%水準との差×人口。各施策の効果は、施策ごとの"
        "ライフサイクルモデルをライフサイクルエンジン（junkan.lifecycle）で実行して算定する："
        "ベースラインではポテンシャル全量が品目の処分経路へ、施策のシナリオでは捕捉率分が"
        "分別収集・資源化へ向かい、両者の差（CO2e・埋立量・費用−収入）を効果とする。モデルの"
        "係数はdata/policyの係数（CO2e・費用・売却収入）と自団体の残渣率（埋立）で、効果は"
        "資源化量×各提案に記した係数に等しい。輸送は別工程としない（施策の1t当たり費用に"
        "収集を含む）。雇用は出典のある係数がないため算定しない。「assumption」と記した係数は"
        "意思決定の前に地域の値に置き換えること。"
    )


def periodic_page(r: PeriodicReport, lang: str) -> Page:
    """The recycled-content periodic report as a page."""
    ja = lang == "ja"
    page = Page(
        "再生材利用 定期報告" if ja else "Recycled-content periodic report",
        lang=lang,
        subtitle=f"{r.org} — {r.period}",
    )
    page.heading("製品別の実績と計画" if ja else "Products against the plan")
    page.table(r.to_frame(), caption=("kg; 利用率 = 再生材 ÷ 基準量（物質収支は主張量、物理的"
                                      "管理方式はロットの由来から）" if ja else
                                      "kg; share = recycled ÷ basis (claimed under mass "
                                      "balance, derived from the inputs under the physical "
                                      "models)"))
    gaps = [p for p in r.products if p["gap"]]
    for p in gaps:
        page.paragraph(f"{p['product']}: {p['gap']}", warning=True)
    page.heading("勘定（台帳の物質収支勘定）" if ja else "Accounts (the ledger's mass balance)")
    page.table(
        [
            [
                a["site"],
                a["characteristic"],
                a["period"],
                a["closed"],
                *[a["totals_kg"].get(k, 0.0) for k in KINDS],
                a["balance_kg"],
            ]
            for a in r.accounts
        ],
        columns=["site", "characteristic", "period", "closed", *KINDS, "balance_kg"],
    )
    _claims(page, r, ja)
    return page


def _claims(page: Page, r: PeriodicReport, ja: bool) -> None:
    """The evidence: each product's claim entries in the ledger with their lots (what
    ``junkan trace show`` or ``/api/trace/lots/{lot}`` opens), then the claims no product of
    the plan covers."""
    cols = (["製品", "ロット", "区分", "期間", "管理方式", "再生材 kg", "基準量 kg", "計上日時"]
            if ja else ["product", "lot", "characteristic", "period", "chain of custody",
                        "recycled kg", "basis kg", "booked at"])
    rows = [[product, c["lot"], c["characteristic"], c["period"], c["custody"], c["mass_kg"],
             c.get("basis_kg"), c.get("booked_at", "")]
            for product, claims in r.claims.items() for c in claims]
    rows += [["—", c["lot"], c["characteristic"], c["period"], c["custody"], c["mass_kg"],
              c.get("basis_kg"), c.get("booked_at", "")] for c in r.unassigned_claims]
    if not rows:
        return
    page.heading("根拠：台帳の計上と製造ロット" if ja
                 else "Evidence: the ledger's claims and made lots, by lot")
    page.table(rows, columns=cols, numeric=(5, 6),
               caption=("— は計画のどの製品にも該当しない計上" if ja
                        else "— a claim that no product of the plan covers"))


KINDS = ("credit", "claim", "outflow", "adjust", "carry_in", "carry_out")


def procurement_page(r: ProcurementResult, lang: str) -> Page:
    """The pass / fail report of a procurement check, with the evidence of every verdict."""
    ja = lang == "ja"
    doc = r.to_json()
    verdict = {
        "pass": "適合" if ja else "pass",
        "fail": "不適合" if ja else "fail",
        "unknown": "判定不能" if ja else "unknown",
    }
    page = Page(
        "グリーン購入 判断基準の確認" if ja else "Green-procurement criteria check",
        lang=lang,
        subtitle=f"{doc['product']} ({doc['maker']}) — {doc['item_ja'] if ja else doc['item_en']}",
    )
    page.paragraph(
        ("総合判定: " if ja else "Overall: ") + verdict["pass" if r.passed else "fail"],
        warning=not r.passed,
    )
    page.table(
        [
            [
                v["ja"] if ja else v["en"],
                v["required"],
                v["value"],
                v["basis"],
                verdict[v["verdict"]],
                v["note"],
            ]
            for v in r.verdicts
        ],
        columns=columns(
            lang,
            ("基準", "criterion"),
            ("要件", "required"),
            ("値", "value"),
            ("根拠", "basis"),
            ("判定", "verdict"),
            ("注記", "note"),
        ),
    )
    page.heading("根拠（ロット・文書）" if ja else "Evidence (lots, documents)")
    rows = [
        [v["criterion"], ", ".join(f"{k}={x}" for k, x in e.items())]
        for v in r.verdicts
        for e in v["evidence"]
    ]
    if rows:
        page.table(rows, columns=["基準" if ja else "criterion", "根拠" if ja else "evidence"])
    page.paragraph(
        ("判断基準の出典: " if ja else "Criteria source: ")
        + doc["criteria_source"]
        + f" ({doc['criteria_date']})"
    )
    return page
