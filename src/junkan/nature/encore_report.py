"""The LEAP report's ENCORE parts: in Evaluate, the ratings of your ENCORE export per
commodity; in Assess, how they weigh the risk rating (the matrix of
``junkan/data/nature/encore.yaml``). English and Japanese."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from junkan.nature.encore import ordered
from junkan.nature.report import Block
from junkan.nature.schema import reference

if TYPE_CHECKING:
    from junkan.nature.results import NatureResult

TEXT = {
    "en": {
        "encore": "ENCORE materiality ratings (your export)",
        "encore_note": "Ratings of your ENCORE export for each commodity's ISIC Rev.4 class: "
        "VH very high, H high, M medium, L low, VL very low; ND: no data, N/A: no link (not "
        "applicable, left out). ENCORE's links are global and potential, for screening, not "
        "facts of a site. \"No rating\": the class is not in the file, or the commodity has no "
        "ISIC class (give it under encore: isic:); nothing is assumed in its place.",
        "c_kind": "ENCORE file",
        "c_column": "ecosystem service / pressure",
        "c_rating": "materiality",
        "c_dep": "dependencies",
        "c_pres": "pressures",
        "line": "line",
        "r_VH": "very high", "r_H": "high", "r_M": "medium", "r_L": "low", "r_VL": "very low",
        "r_ND": "no data",
        "no_rating": "no rating",
        "not_given": "file not given",
        "source": "Source",
        "risk_rule": "With your ENCORE export, each measure's level is read from this matrix: "
        "the ENCORE materiality of the columns it stands for (the highest, for the area's "
        "commodity) against its measured level. A measure whose columns are all N/A is not "
        "counted; without an ENCORE rating (ND, no such column, the class not in the file) "
        "the measured level stands. Matrix and links (assumptions unless a source is named):",
        "arrow": "measured {a} → {b}",
    },
    "ja": {
        "encore": "ENCORE の重要度評価（ご自身のエクスポート）",
        "encore_note": "産品の ISIC Rev.4 分類についての ENCORE エクスポートの評価："
        "VH 非常に高い、H 高い、M 中程度、L 低い、VL 非常に低い。ND はデータなし、"
        "N/A は関係なし（該当せず、表示しません）。ENCORE の関係は全球的・潜在的なもので"
        "スクリーニング用であり、現地の事実ではありません。「評価なし」は分類がファイルにない"
        "か、産品に ISIC 分類がない（encore: isic: で指定）場合で、代わりの値は仮定しません。",
        "c_kind": "ENCORE ファイル",
        "c_column": "生態系サービス／圧力",
        "c_rating": "重要度",
        "c_dep": "依存",
        "c_pres": "圧力",
        "line": "行",
        "r_VH": "非常に高い", "r_H": "高い", "r_M": "中程度", "r_L": "低い", "r_VL": "非常に低い",
        "r_ND": "データなし",
        "no_rating": "評価なし",
        "not_given": "ファイル未指定",
        "source": "出典",
        "risk_rule": "ENCORE エクスポートがある場合、各指標の水準は次の行列から読みます："
        "指標が表す列の ENCORE 重要度（その地域の産品について最も高いもの）と測定した水準の"
        "組み合わせです。列がすべて N/A の指標は数えません。ENCORE の評価がない場合（ND、"
        "列がない、分類がファイルにない）は測定した水準のままとします。行列と対応（出典の"
        "記載がないものは仮定）：",
        "arrow": "測定 {a} → {b}",
    },
}


def _rows(ans: dict[str, Any], kind: str, e: dict[str, str]) -> list[list[str]]:
    """One file's rows for a commodity: each rated column highest first, then the ND ones;
    or the reason it has no rating (N/A columns are left out: no link)."""
    if ans["status"] == "not given":
        return [[kind, "—", e["not_given"]]]
    if ans["status"] != "rated":
        return [[kind, ans["reason"], e["no_rating"]]]
    nd = reference("encore")["no_data"]
    rows = [[kind, k, f"{v} ({e['r_' + v]})"] for k, v in ordered(ans["ratings"])]
    return rows + [[kind, k, f"{nd} ({e['r_ND']})"] for k, v in ans["ratings"].items()
                   if v == nd]


def evaluate_blocks(r: NatureResult, t: dict[str, str]) -> list[Block]:
    """Per commodity: its ISIC class, the ENCORE activity (row) and both files' ratings."""
    if not r.encore:
        return []
    e = TEXT[t["lang"]]
    out = [Block("h3", e["encore"]), Block("p", e["encore_note"])]
    for c, ans in r.encore["commodities"].items():
        act = next((a["activity"] for a in (ans["dependencies"], ans["pressures"])
                    if a["status"] == "rated"), None)
        where = "" if act is None else (f" — {act['code']} {act['name']} "
                                        f"({e['line']} {act['line']})")
        out.append(Block("p", f"{c}: ISIC {ans['isic'] or '—'}{where}"))
        rows = _rows(ans["dependencies"], e["c_dep"], e) + _rows(ans["pressures"], e["c_pres"], e)
        out.append(Block("table", rows=rows, columns=[e["c_kind"], e["c_column"],
                                                      e["c_rating"]]))
    return [*out, Block("p", f"{e['source']}: {r.encore['source']}")]


def materiality(risk: dict[str, Any], name: str) -> str | None:
    """The ENCORE materiality a measure of an area's risk was weighed with, if any."""
    for side in ("impact", "dependency"):
        m = risk[side]["measures"].get(name)
        if m is not None and m.get("materiality"):
            return str(m["materiality"])
    return None


def risk_blocks(r: NatureResult, t: dict[str, str]) -> list[Block]:
    """The rule, matrix and measure → column links used with an ENCORE export."""
    if not r.encore:
        return []
    e = TEXT[t["lang"]]
    ref = reference("encore")["risk"]
    lvl = {x: t[f"lvl_{x}"] for x in ("low", "medium", "high")}
    items = {f"ENCORE {m}": ", ".join(e["arrow"].format(a=lvl[a], b=lvl[b])
                                      for a, b in row.items())
             for m, row in ref["matrix"].items()}
    items |= {t["m_" + n]: ", ".join(cols) for n, cols in ref["measures"].items()}
    src = (ref.get("source_ja") if t["lang"] == "ja" else None) or ref["source"]
    return [Block("p", e["risk_rule"]), Block("defs", items=items),
            Block("p", f"{e['source']}: {src}")]
