"""The result of a municipal CE diagnosis: current state against peers, potential by stream,
proposals with their effects — as tables, a JSON document and an HTML report (ja/en)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from junkan.policy.diagnose import (
    INDUSTRY_RANKED,
    RANKED,
    StreamPotential,
    capped,
    disposed_t,
    effects,
    fiscal_days,
    industry_metrics,
    metrics,
    peer_group,
    potentials,
    rank,
    size_class,
)
from junkan.policy.measure_model import ENGINE, MeasureModel
from junkan.policy.schema import Diagnosis

METHOD = (
    "Per-capita figures and the recycling rate R follow the MOE survey's definitions; "
    "peers are the municipalities of the same population size class (or the listed "
    "codes), the municipality included; rank 1 is best, ties share a rank; the potential "
    "of a stream is the gap to the peers' best-quartile per-capita recovery times the "
    "population (the streams together at most the waste disposed of without recovery, "
    "scaled down in proportion otherwise); each measure's effects are computed by the "
    "lifecycle engine (junkan.lifecycle) on the measure's model, named with each "
    "proposal: the potential goes down the stream's disposal route in the baseline and, "
    "for the captured share, to separate collection and recovery in the measure's "
    "scenario; the effects are the differences of the two runs (CO2e, landfill, cost less"
    " revenue). The models' factors are those of data/policy (CO2e, cost, revenue) and "
    "the municipality's own residue ratio (landfill), so each effect equals diverted "
    "tonnes × the factors listed with it. Transport is not a separate leg (the measures' "
    "cost per tonne includes collection); jobs are not estimated (no sourced factor). "
    "Factors marked 'assumption' in data/policy must be replaced by local figures before "
    "a decision."
)


_HEADER = (
    "# Lifecycle model {name}, written by the municipal CE diagnosis (junkan.policy).\n"
    "# The proposal's effects are this model's headline figures, measure scenario against\n"
    "# the baseline:  junkan compare {name}.yaml\n"
    "# Factors are those of data/policy with their status in each `source`; replace the\n"
    "# assumptions by local figures, or add a transport leg (mode, distance) to\n"
    "# separate_collection, and compare again.\n"
)


@dataclass
class DiagnosisResult:
    """What :func:`junkan.policy.run` returns for a :class:`~junkan.policy.Diagnosis`."""

    diagnosis: Diagnosis
    days: int
    peers: list[dict[str, Any]]
    """Every peer's figures, with ``code``, ``name`` and ``is_target``."""
    ranks: dict[str, int | None]
    potential: list[StreamPotential]
    proposals: list[dict[str, Any]]
    size_class: tuple[int, int | None]
    notes: list[dict[str, str]] = field(default_factory=list)
    """Warnings, each in ``ja`` and ``en``."""
    models: dict[str, MeasureModel] = field(default_factory=dict)
    """The lifecycle model of every proposal, by the name each proposal cites."""

    def write_models(self, folder: str | Path) -> list[Path]:
        """Write every proposal's lifecycle model to ``folder/<model>.yaml`` (a model
        document: ``junkan compare`` on it prints the effects the diagnosis reports);
        returns the files written."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, model in self.models.items():
            path = out / f"{name}.yaml"
            path.write_text(_HEADER.format(name=name) + model.text, encoding="utf-8")
            written.append(path)
        return written

    @property
    def peers_listed(self) -> bool:
        """True when the peers are the codes the diagnosis lists, not a size class."""
        return self.diagnosis.request.peers.codes is not None

    @property
    def target(self) -> dict[str, Any]:
        return next(p for p in self.peers if p["is_target"])

    @property
    def potential_recycling_rate(self) -> float | None:
        """R if every stream reached the best-quartile rate (the potential recovered
        instead of disposed; the denominator, total treated + group collection, unchanged)."""
        me = self.diagnosis.survey.find(self.diagnosis.request.municipality)
        den = me.treated_t + me.t["集団回収量"]
        extra = sum(p.potential_t for p in self.potential)
        return (me.recovered_t + extra) / den if den > 0 else None

    def to_frame(self) -> Any:
        """The peers' figures and the municipality's ranks (one row per peer)."""
        import pandas as pd

        return pd.DataFrame(self.peers)

    def potential_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([p.__dict__ for p in self.potential])

    def proposals_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.proposals)

    def ranked(self, key: str) -> int:
        """How many peers (the municipality included) have a value of ``key``: those ranked."""
        return sum(p.get(key) is not None for p in self.peers)

    def to_json(self) -> dict[str, Any]:
        req = self.diagnosis.request
        f = self.diagnosis.factors
        return {
            "kind": "diagnosis",
            "municipality": {
                "code": req.municipality,
                "name": self.target["name"],
                "fiscal_year": req.fiscal_year,
                "days": self.days,
            },
            "survey": self.diagnosis.survey.source,
            "size_class": {"from": self.size_class[0], "below": self.size_class[1]},
            "peers_by": "codes" if self.peers_listed else "size_class",
            "current": {
                k: v for k, v in self.target.items() if k not in ("code", "name", "is_target")
            },
            "ranks": {k: {"rank": v, "of": self.ranked(k)} for k, v in self.ranks.items()},
            "peers": self.peers,
            "quantile": req.quantile,
            "potential": [p.__dict__ for p in self.potential],
            "potential_total_t": sum(p.potential_t for p in self.potential),
            "potential_recycling_rate": self.potential_recycling_rate,
            "proposals": self.proposals,
            "effects_computed_by": ENGINE,
            "factors": {
                "date": f.date,
                "avoided_disposal_cost": f.avoided_disposal_cost.model_dump(),
                "catalogue_status": self.diagnosis.catalogue.status,
            },
            "method": METHOD,
            "notes": self.notes,
        }

    def report(self, path: str | Path, *, lang: str = "ja") -> Path:
        """A self-contained HTML page for the council (``lang``: ``ja`` or ``en``)."""
        from junkan.policy.report import diagnosis_page

        return diagnosis_page(self, lang).write(path)


def run_diagnosis(d: Diagnosis) -> DiagnosisResult:
    """Diagnose the municipality of ``d`` against its peers."""
    days = fiscal_days(d.request.fiscal_year)
    me = d.survey.find(d.request.municipality)
    group = peer_group(d)
    rows = []
    for m in group:
        row: dict[str, Any] = {"code": m.code, "name": m.name, "is_target": m.code == me.code}
        row.update(metrics(m, days))
        if d.industry is not None:
            row.update(industry_metrics(m, d.industry.get(m.code), days))
        rows.append(row)
    ranks = {}
    for key, better in (*RANKED, *(INDUSTRY_RANKED if d.industry is not None else ())):
        values = {r["code"]: r[key] for r in rows}
        ranks[key] = rank(values, me.code, better) if key in rows[0] else None
    pot, scaled = capped(me, potentials(me, group, d.survey.streams, d.request.quantile))
    notes = _notes(d, len(group), me.cost_kjpy is None)
    if scaled:
        t = f"{disposed_t(me):,.1f}"
        notes.append({"ja": f"品目別のポテンシャルの合計が資源化されずに処理される量（{t} t）を"
                            "超えるため、その量に比例して縮小した。",
                      "en": f"the streams' potentials added up to more than the waste disposed "
                            f"of without recovery ({t} t): scaled down in proportion to it"})
    if d.industry is not None:
        notes += _industry_notes([r for r in rows if r["employed"] is None])
    proposals, models = effects(d, me, pot)
    return DiagnosisResult(
        d, days, rows, ranks, pot, proposals, size_class(d, me.population), notes, models
    )


def _industry_notes(missing: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Peers the industry table has no row for (left out of the business-waste rank)."""
    if not missing:
        return []
    names = "、".join(f"{r['name']}（{r['code']}）" for r in missing[:5])
    more = f" ほか{len(missing) - 5}団体" if len(missing) > 5 else ""
    en_names = ", ".join(f"{r['name']} ({r['code']})" for r in missing[:5])
    en_more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    return [{"ja": "産業の表に行がない類似団体（従業者当たり事業系ごみの順位から除外）："
                   f"{names}{more}",
             "en": f"peers without a row in the industry table (left out of the business-waste "
                   f"rank): {en_names}{en_more}"}]


def _notes(d: Diagnosis, n_peers: int, no_cost: bool) -> list[dict[str, str]]:
    """Warnings for the reader, in both languages."""
    notes = []
    if d.request.survey == "sample":
        notes.append(
            {
                "ja": "調査データは同梱の架空の試料（実在しない団体）です。",
                "en": "The survey is the shipped synthetic sample (fictitious municipalities).",
            }
        )
    if n_peers < 4:
        listed = d.request.peers.codes is not None
        notes.append(
            {
                "ja": f"類似団体が{n_peers}団体のみで、上位水準の根拠が弱い。"
                + ("指定する団体コードを増やすこと。" if listed
                   else "人口区分を広げるか団体コードを指定すること。"),
                "en": f"only {n_peers} peers: the best-quartile rate rests on few "
                "municipalities; " + ("list more peer codes" if listed
                                      else "widen the size class or list peer codes"),
            }
        )
    if no_cost:
        notes.append(
            {
                "ja": "処理及び維持管理費の列がなく、1人当たり経費は順位付けしない。",
                "en": "no cost column (処理及び維持管理費): cost per person not ranked",
            }
        )
    absent = [m for m in d.catalogue.measures if m.stream not in d.survey.streams]
    if absent:  # listed with zero effects, as if the stream had no potential (review 318)
        ja = "、".join(f"{m.stream}（{m.id}）" for m in absent)
        en = ", ".join(f"{m.stream} ({m.id})" for m in absent)
        notes.append({"ja": f"調査に資源化量の列がない品目の施策は効果0として示した：{ja}",
                      "en": "measures on streams the survey has no 資源化量 column for are "
                            f"shown with zero effects, their potential unknown: {en}"})
    return notes
