"""The assessment's result: a table, a JSON document and a LEAP report (HTML, English or
Japanese) per company, for all areas (weighted by sourcing volume) and for a bank's
portfolio (companies weighted by exposure)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from junkan.core.encoding import jsonable
from junkan.nature.geo import to_wgs84
from junkan.nature.portfolio import bank_view, by_company

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Nature assessment (TNFD LEAP)",
        "locate": "Locate: priority locations",
        "evaluate": "Evaluate: dependencies and impacts",
        "assess": "Assess: risks and trends",
        "prepare": "Prepare: disclosure metrics",
        "portfolio": "Portfolio (volume-weighted)",
        "portfolio_equal": "Portfolio (areas weighted equally: volume_t not given for every area)",
        "bank": "Bank portfolio (exposure-weighted)",
        "exposure": "Exposure",
        "share": "Share",
        "bank_total": "Exposure-weighted integrated impact",
        "covered": "Share of exposure with assessed areas",
        "not_covered": "no assessed area",
        "bank_method": "The exposure-weighted mean of each company's integrated indicator, over "
        "the exposures whose company has assessed areas. Footprints are the companies' own, "
        "not attributed to the bank (that needs each company's value, not an input here).",
        "return10": "10-year return level",
        "impacts": "Impacts measured at the sourcing areas, by impact driver",
        "impacts_note": "Impact drivers as ENCORE names its pressures (land, freshwater and "
        "seabed use; volume of water use; …); the values are this assessment's site figures, "
        "not ENCORE's global ratings.",
        "p_land": "area of land use",
        "p_water": "volume of water use (in water-stressed areas)",
        "c_driver": "impact driver",
        "c_metric": "metric",
        "c_value": "value",
        "c_commodity": "commodity",
        "c_supplier": "supplier",
        "c_protected": "protected share",
        "c_kba": "KBA share",
        "c_latlon": "lat, lon",
        "c_dependencies": "dependencies (ENCORE 2024 services; which ones: assumption, "
        "screening)",
        "c_ndvi_first": "NDVI first",
        "c_ndvi_last": "NDVI last",
        "c_water_first": "water km² first",
        "c_water_last": "water km² last",
        "c_accuracy": "accuracy",
        "c_ref_pred": "reference \\ predicted",
        "c_years": "years",
        "c_fit": "fit",
        "c_10yr": "10-yr km² (90 %)",
        "c_100yr": "100-yr km² (90 %)",
        "c_latest_t": "latest T (yr)",
        "c_indicator": "indicator",
        "c_trend": "trend",
        "c_sen": "Sen slope /yr",
        "c_annual": "annual?",
        "c_date": "date",
        "c_water_km2": "water km²",
        "c_flooded": "flooded km²",
        "c_receded": "receded km²",
        "c_withdrawal": "C3.0 withdrawal m³",
        "c_consumption": "C3.0 consumption m³",
        "c_bounds": "bounds",
        "c_all_withdrawal": "all withdrawal m³",
        "c_by_source": "stressed, by source",
        "c_stress_data": "stress data",
        "company": "Company",
        "area": "Area",
        "score": "Integrated impact (0–100)",
        "weights": "Weights of the integrated indicator (assumption unless stated)",
        "classifier": "Land-cover classification (held-out polygons)",
        "lc_maps": "Land cover from your maps (C1.1 and forest loss from them)",
        "lc_source": "Maps",
        "lc_coverage": "Part of an area is nodata in some maps (valid %): class areas count "
        "valid pixels only, class trends use each class's share of the valid area, and C1.1 "
        "counts only pixels valid in both the first and the last map.",
        "c_valid": "valid %",
        "lc_check": "Your land-cover maps against the classification",
        "lc_mixed": "The first and last maps come from different products or versions: part "
        "of the change may be a difference of method, not of land",
        "lc_check_method": "Agreement: share of the area (where both give a class) on which "
        "the map's class and the random-forest class have the same name.",
        "lang": "en",
        "risk": "Nature-related risk per area",
        "risk_rule": "Rule: each measure is rated against its thresholds; impact materiality "
        "is the highest level of the impact measures, dependency materiality the highest of "
        "the measures of the ecosystem services the commodity depends on (ENCORE-style "
        "screening list); the risk is the higher of the two, one level up when both are at "
        "least medium. Thresholds (assumptions unless a source is named):",
        "risk_source": "Source of the rule and thresholds",
        "lvl_low": "low",
        "lvl_medium": "medium",
        "lvl_high": "high",
        "c_risk": "risk",
        "c_impact": "impact materiality",
        "c_dependency": "dependency materiality",
        "c_drivers": "measures at medium or high",
        "m_integrated": "integrated impact",
        "m_conversion_share": "conversion share",
        "m_protected_overlap_share": "protected-area share",
        "m_kba_overlap_share": "KBA share",
        "m_spi_latest": "SPI (latest)",
        "m_vci_latest": "VCI (latest)",
        "vci_unrated": "not rated: insufficient history ({years} year(s) with a scene in "
        "the latest scene's month; at least {need} needed)",
        "m_water_stressed_share": "withdrawal share from water-stressed areas",
        "m_water_loss": "surface-water loss",
        "m_vegetation_decline": "NDVI decline",
        "survey": "Field survey: species richness per area, against its checklist",
        "survey_note": "{n} observations ({out} outside every sourcing area). Chao1: "
        "bias-corrected estimate of richness from individual counts (Chao 1987), a lower "
        "bound, unreliable with few observations.",
        "c_checklist": "checklist",
        "c_observations": "observations",
        "c_species": "species",
        "c_individuals": "individuals",
        "c_checklist_share": "share of checklist seen",
        "c_by_group": "species per group",
        "c_compared": "km² compared",
        "c_agreement": "agreement",
        "mdc": "Responsiveness: minimum detectable year-on-year change",
        "flood": "Flood frequency: annual-maximum surface-water extent",
        "inundation": "Surface water and flooding per pixel (range: threshold uncertainty)",
        "inundation_ref": "Flooded = water now, not water in the reference scene of",
        "water": "C3.0 water withdrawal and consumption from water-stressed areas",
        "map": "Sourcing areas (WGS 84; colour: integrated impact; grey: not assessed)",
        "lon": "longitude (°)",
        "lat": "latitude (°)",
        "chart_score": "Integrated impact per area",
        "chart_water": "Surface-water extent per scene (km²) and 10-year return level",
        "chart_ndvi": "Mean NDVI per scene",
        "page": "page",
        "note": "Indicators from satellite scenes; uncertainties as stated per metric. "
        "ENCORE-style dependency categories are potential links for screening, "
        "not site facts.",
    },
    "ja": {
        "title": "自然関連評価（TNFD LEAP）",
        "locate": "Locate（発見）：優先地域",
        "evaluate": "Evaluate（診断）：依存と影響",
        "assess": "Assess（評価）：リスクと傾向",
        "prepare": "Prepare（準備）：開示指標",
        "portfolio": "ポートフォリオ（調達量加重）",
        "portfolio_equal": "ポートフォリオ（全地域に volume_t の指定がないため"
        "調達地域を等しく加重）",
        "bank": "銀行ポートフォリオ（エクスポージャー加重）",
        "exposure": "エクスポージャー",
        "share": "構成比",
        "bank_total": "エクスポージャー加重の統合影響指標",
        "covered": "評価済み調達地域のあるエクスポージャーの割合",
        "not_covered": "評価済みの調達地域なし",
        "bank_method": "評価済みの調達地域をもつ企業へのエクスポージャーで各企業の統合指標を"
        "加重平均した値。フットプリントは企業自身の値であり、銀行への帰属計算はしていません"
        "（各企業の企業価値が必要で、ここでは入力にありません）。",
        "return10": "10年確率値",
        "impacts": "調達地域で測定した影響（影響要因別）",
        "impacts_note": "影響要因は ENCORE の圧力（土地・淡水・海底の利用、水の使用量など）の"
        "区分。値は本評価で測定した現地の値であり、ENCORE の全球的な評価ではありません。",
        "p_land": "土地利用の面積",
        "p_water": "水の使用量（水ストレス地域）",
        "c_driver": "影響要因",
        "c_metric": "指標",
        "c_value": "値",
        "c_commodity": "産品",
        "c_supplier": "サプライヤー",
        "c_protected": "保護地域との重なり",
        "c_kba": "KBA との重なり",
        "c_latlon": "緯度, 経度",
        "c_dependencies": "依存（ENCORE 2024 の生態系サービス。どれに依存するかは仮定、"
        "スクリーニング）",
        "c_ndvi_first": "NDVI（最初）",
        "c_ndvi_last": "NDVI（最後）",
        "c_water_first": "水域 km²（最初）",
        "c_water_last": "水域 km²（最後）",
        "c_accuracy": "正解率",
        "c_ref_pred": "参照 \\ 予測",
        "c_years": "年数",
        "c_fit": "分布",
        "c_10yr": "10年確率 km²（90 %）",
        "c_100yr": "100年確率 km²（90 %）",
        "c_latest_t": "最新の再現期間（年）",
        "c_indicator": "指標",
        "c_trend": "傾向",
        "c_sen": "Sen 傾き /年",
        "c_annual": "毎年監視可?",
        "c_date": "日付",
        "c_water_km2": "水域 km²",
        "c_flooded": "浸水 km²",
        "c_receded": "減水 km²",
        "c_withdrawal": "C3.0 取水量 m³",
        "c_consumption": "C3.0 消費量 m³",
        "c_bounds": "範囲",
        "c_all_withdrawal": "全取水量 m³",
        "c_by_source": "ストレス地域、水源別",
        "c_stress_data": "水ストレスのデータ",
        "company": "企業",
        "area": "調達地域",
        "score": "統合影響指標（0–100）",
        "weights": "統合指標の重み（特記なき限り仮定）",
        "classifier": "土地被覆分類（検証用に除外したポリゴン）",
        "lc_maps": "利用者提供の土地被覆図（C1.1 と森林減少はこの図から算出）",
        "lc_source": "土地被覆図",
        "lc_coverage": "一部の土地被覆図では地域の一部がデータなしです（有効 %）。分類別面積は"
        "有効な画素のみ、分類の傾向は有効面積に占める割合、C1.1 は最初と最後の両方の図で"
        "有効な画素のみから算出しています。",
        "c_valid": "有効 %",
        "lc_check": "利用者提供の土地被覆図と分類結果の照合",
        "lc_mixed": "最初と最後の土地被覆図は製品または版が異なります。変化の一部は"
        "土地ではなく作成方法の違いによる可能性があります",
        "lc_check_method": "一致率：両方に分類がある面積のうち、土地被覆図の分類と"
        "ランダムフォレストの分類が同じ名称である面積の割合。",
        "lang": "ja",
        "risk": "調達地域ごとの自然関連リスク",
        "risk_rule": "規則：各指標をしきい値で評価し、影響の重要度は影響指標の最も高い水準、"
        "依存の重要度は産品が依存する生態系サービス（ENCORE 型のスクリーニング一覧）の指標の"
        "最も高い水準とします。リスクは両者の高い方とし、両方が「中」以上のときは1段階"
        "引き上げます。しきい値（出典の記載がないものは仮定）：",
        "risk_source": "規則としきい値の出典",
        "lvl_low": "低",
        "lvl_medium": "中",
        "lvl_high": "高",
        "c_risk": "リスク",
        "c_impact": "影響の重要度",
        "c_dependency": "依存の重要度",
        "c_drivers": "「中」以上の指標",
        "m_integrated": "統合影響指標",
        "m_conversion_share": "転換面積の割合",
        "m_protected_overlap_share": "保護地域との重なりの割合",
        "m_kba_overlap_share": "KBA との重なりの割合",
        "m_spi_latest": "SPI（最新）",
        "m_vci_latest": "VCI（最新）",
        "vci_unrated": "評価なし：履歴不足（最新シーンと同じ月のシーンがある年 {years} 年；"
        "{need} 年以上が必要）",
        "m_water_stressed_share": "水ストレス地域からの取水の割合",
        "m_water_loss": "地表水面積の減少",
        "m_vegetation_decline": "NDVI の低下",
        "survey": "現地調査：調達地域ごとの種数（各地域のチェックリストと照合）",
        "survey_note": "観察記録 {n} 件（うち調達地域の外 {out} 件）。Chao1：個体数から"
        "求めた種数の推定値（バイアス補正、Chao 1987）。下限の推定であり、記録が少ないと"
        "信頼できません。",
        "c_checklist": "チェックリスト",
        "c_observations": "観察記録数",
        "c_species": "種数",
        "c_individuals": "個体数",
        "c_checklist_share": "チェックリスト中の確認割合",
        "c_by_group": "分類群ごとの種数",
        "c_compared": "照合面積 km²",
        "c_agreement": "一致率",
        "mdc": "応答性：検出可能な最小の前年比変化",
        "flood": "洪水頻度：年最大地表水面積",
        "inundation": "画素ごとの地表水と浸水（範囲：しきい値の不確実性）",
        "inundation_ref": "浸水＝現在は水域で、基準シーンでは水域でない画素。基準シーン：",
        "water": "C3.0 水ストレス地域からの取水量と消費量",
        "map": "調達地域（WGS 84、色：統合影響指標、灰色：評価なし）",
        "lon": "経度（°）",
        "lat": "緯度（°）",
        "chart_score": "調達地域ごとの統合影響指標",
        "chart_water": "シーンごとの地表水面積（km²）と10年確率値",
        "chart_ndvi": "シーンごとの平均NDVI",
        "page": "ページ",
        "note": "指標は衛星画像から算出。不確実性は指標ごとに記載。ENCORE 型の依存区分は"
        "スクリーニング用の潜在的な関係であり、現地の事実ではありません。",
    },
}


def _dependencies() -> tuple[dict[str, list[str]], dict[str, dict[str, str]]]:
    """The screening list (``junkan/data/nature/dependencies.yaml``): services per commodity
    and each service's ENCORE 2024 name (``en``) and Japanese name (``ja``)."""
    from importlib import resources

    import yaml

    doc = yaml.safe_load(
        resources.files("junkan.data").joinpath("nature/dependencies.yaml").read_text())
    names: dict[str, dict[str, str]] = doc["services"]
    out: dict[str, list[str]] = {}
    for commodity, entry in doc["commodities"].items():
        for s in entry["services"]:
            if s not in names or not {"en", "ja"} <= set(names[s]):
                raise ValueError(f"dependencies.yaml: commodities: {commodity}: service {s!r} "
                                 f"needs an entry with en and ja under services: "
                                 f"(have {sorted(names)})")
        out[str(commodity)] = list(entry["services"])
    return out, names


DEPENDENCIES, SERVICE_NAMES = _dependencies()
"""ENCORE-style ecosystem-service dependencies used for screening, keyed by commodity: ENCORE
2024 service names in lower case (potential links only,
https://encorenature.org/en/data-and-methodology/limitations); which services a commodity
depends on is an assumption (see the data file)."""


def service_name(service: str, lang: str) -> str:
    """A service's name in ``lang`` (en: ENCORE's spelling; ja: junkan's translation)."""
    names = SERVICE_NAMES.get(service, {})
    return names.get(lang) or names.get("en") or service


@dataclass
class NatureResult:
    name: str
    source: str
    areas: list[dict[str, Any]]
    classifier: dict[str, Any] | None
    spi: dict[str, Any] | None
    weights: dict[str, float]
    scenes: list[str] = field(default_factory=list)
    surface_water: dict[str, Any] | None = None
    """Per-pixel water: index, reference scene, each scene's threshold, method (the
    per-area extents are each area's ``inundation``)."""
    bank: dict[str, Any] | None = None
    """The assessment's ``portfolio`` (a bank's exposures), as JSON."""
    survey: dict[str, Any] | None = None
    """The field survey overall (observations, those outside every area, checklists);
    each area's richness indicators are its ``survey``."""
    risk_rules: dict[str, Any] | None = None
    """The risk rating's rule and thresholds used (each area's rating is its ``risk``)."""
    encore: dict[str, Any] | None = None
    """Your ENCORE export's ratings per commodity (:func:`junkan.nature.encore.assess_encore`)."""
    skipped_scenes: list[dict[str, Any]] = field(default_factory=list)
    """Scenes left out by ``skip_scenes_above`` (path, date, nodata_share)."""

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> NatureResult:
        """The result again from its JSON document (:meth:`to_json`; NaN are null there),
        e.g. to write the report of a stored job."""
        try:
            return cls(
                str(doc["name"]),
                str(doc["source"]),
                list(doc["areas"]),
                doc.get("classifier"),
                doc.get("spi"),
                dict(doc["weights"]),
                list(doc.get("scenes") or []),
                doc.get("surface_water"),
                doc.get("bank_input"),
                doc.get("survey"),
                doc.get("risk_rules"),
                doc.get("encore"),
                list(doc.get("skipped_scenes") or []),
            )
        except (KeyError, TypeError, ValueError) as exc:
            from junkan.nature.geo import NatureInputError

            raise NatureInputError(f"not an assessment result document ({exc!r})") from None

    def mapped_areas(self) -> list[tuple[dict[str, Any], dict[str, Any], float | None]]:
        """The areas the maps draw: (area, its centroid with ``bbox`` as west, south, east,
        north in degrees, its integrated indicator or None when not assessed); areas
        without a centroid are left out. An area's ``outline`` (:func:`outline`), when the
        result has it, is its shape; else the maps draw the bounding box."""
        return [(a, a["centroid"], a["integrated"]["value"]) for a in self.areas
                if a.get("centroid")]

    def to_frame(self) -> pd.DataFrame:
        """One row per area and scene: indices, water, class areas."""
        rows = []
        for a in self.areas:
            for s in a["scenes"]:
                r = {"area": a["id"], "commodity": a["commodity"], "supplier": a["supplier"]}
                r.update({k: v for k, v in s.items() if k != "classes_km2"})
                r.update({f"{c}_km2": v for c, v in (s.get("classes_km2") or {}).items()})
                rows.append(r)
        return pd.DataFrame(rows)

    def portfolio(self) -> dict[str, Any]:
        """Per company and overall: volume-weighted integrated score, total C1.0, C1.1 and
        C3.0 (:func:`junkan.nature.portfolio.by_company`)."""
        return by_company(self.areas)

    def bank_portfolio(self) -> dict[str, Any] | None:
        """The bank's exposure-weighted view (:func:`junkan.nature.portfolio.bank_view`),
        None without a ``portfolio`` in the assessment."""
        return None if self.bank is None else bank_view(self.portfolio(), self.bank)

    def to_json(self) -> dict[str, Any]:
        return dict(
            jsonable(
                {
                    "name": self.name,
                    "source": self.source,
                    "scenes": self.scenes,
                    "skipped_scenes": self.skipped_scenes,
                    "areas": self.areas,
                    "classifier": self.classifier,
                    "spi": self.spi,
                    "weights": self.weights,
                    "portfolio": self.portfolio(),
                    "surface_water": self.surface_water,
                    "bank_input": self.bank,
                    "bank_portfolio": self.bank_portfolio(),
                    "survey": self.survey,
                    "risk_rules": self.risk_rules,
                    "encore": self.encore,
                }
            )
        )

    def summary(self) -> list[list[Any]]:
        """Rows of the CLI's table: area, commodity, supplier, C1.0, C1.1, protected share,
        integrated indicator."""
        from junkan.nature.report import summary

        return summary(self)

    def report(self, path: str | Path, *, lang: str = "en") -> Path:
        """The LEAP report: HTML, or PDF when ``path`` ends in ``.pdf`` (needs
        matplotlib, and for Japanese a CJK font such as Noto Sans CJK JP)."""
        if Path(path).suffix.lower() == ".pdf":
            from junkan.nature.pdf import write_pdf

            return write_pdf(self, TEXT[lang], lang, path)
        from junkan.nature.report import leap_page

        return leap_page(self, TEXT[lang], lang).write(path)


def rings(area: dict[str, Any]) -> list[list[list[float]]]:
    """What a map draws of an area: its ``outline`` rings (lon, lat), else its centroid's
    bounding box as one ring."""
    if area.get("outline"):
        return list(area["outline"])
    w, s, e, n = area["centroid"]["bbox"]
    return [[[w, s], [e, s], [e, n], [w, n], [w, s]]]


OUTLINE_POINTS = 200
"""Most vertices of an area's outline (all rings), so that the JSON stays small."""


def outline(geometry: dict[str, Any], crs: str | None = None,
            points: int = OUTLINE_POINTS) -> list[list[list[float]]]:
    """A (multi)polygon's rings simplified for drawing, as ``[[[lon, lat], ...], ...]``
    (degrees; outer rings and holes alike, each closed): Ramer–Douglas–Peucker with the
    tolerance doubled from 1e-6 of the extent until at most ``points`` vertices remain
    (rings that shrink below a triangle dropped). ``crs``: the geometry's CRS, converted to
    WGS 84 with rasterio; None: already WGS 84 degrees."""
    polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [
        geometry["coordinates"]]
    rings = []
    for ring in (r for poly in polys for r in poly):
        xs, ys = to_wgs84(crs, [float(p[0]) for p in ring], [float(p[1]) for p in ring])
        rings.append(list(zip(xs, ys, strict=True)))
    flat = [p for r in rings for p in r]
    if not flat:
        return []
    extent = max(max(p[0] for p in flat) - min(p[0] for p in flat),
                 max(p[1] for p in flat) - min(p[1] for p in flat)) or 1.0
    tol = extent * 1e-6
    while True:
        out = [r for r in (_rdp(ring, tol) for ring in rings) if len(r) >= 4]
        if sum(len(r) for r in out) <= points or tol > extent:
            return [[[round(x, 7), round(y, 7)] for x, y in r] for r in out]
        tol *= 2


def _rdp(ring: list[tuple[float, float]], tol: float) -> list[tuple[float, float]]:
    """Ramer–Douglas–Peucker on one ring (iterative; the first and last vertex kept)."""
    keep = {0, len(ring) - 1}
    stack = [(0, len(ring) - 1)]
    while stack:
        i, j = stack.pop()
        (x0, y0), (x1, y1) = ring[i], ring[j]
        dx, dy = x1 - x0, y1 - y0
        norm = math.hypot(dx, dy)
        best, far = -1.0, -1
        for k in range(i + 1, j):
            x, y = ring[k]
            d = (abs(dy * (x - x0) - dx * (y - y0)) / norm if norm
                 else math.hypot(x - x0, y - y0))
            if d > best:
                best, far = d, k
        if far > 0 and best > tol:
            keep.add(far)
            stack += [(i, far), (far, j)]
    return [ring[k] for k in sorted(keep)]


def fmt(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    return f"{v:.{digits}g}" if isinstance(v, float) else str(v)
