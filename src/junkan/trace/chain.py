"""A supply chain worked out in memory, without a store: ``load`` reads a chain document —
each organisation's event batches in the order they happen — and ``run`` applies them with
the ledger's own rules (:func:`junkan.trace.rules.apply`) and returns every lot's derived
CFP and recycled content, the genealogy and the mass-balance accounts. What-if questions
("what if the supplier re-declares?", "is this claim covered?") get the answer the ledger
would give, before anything is signed.

A chain document (JSON or YAML)::

    batches:
      - org: org-A
        events: [{type: create, lot: A, material: al, mass_kg: 10, cfp: {total: 2}},
                 {type: ship, lot: A, to: org-B}]
      - org: org-B
        at: 2026-02-01T00:00:00+00:00          # optional: the batch's time
        events: [{type: receive, lot: A}, ...]

Organisations refer to lots as they would in the ledger: their own id first, else the one
lot with that id they hold or were shipped, or ``organisation/id``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import Field

from junkan.core.base import Plain as Strict  # audits validate millions: see Plain
from junkan.core.errors import JunkanError
from junkan.core.fields import IsoDateTime
from junkan.trace import rules
from junkan.trace.events import Event
from junkan.trace.formats import parse_document, read_text, validate
from junkan.trace.replay import Ledger, ReplayLot, _View, recompute

START = datetime(2026, 1, 1, tzinfo=UTC)
"""Time of batches that give none: one second apart from this instant, in order (the
mass-balance period is then 2026Q1 unless the events name theirs)."""


class ChainBatch(Strict):
    org: str = Field(min_length=1, max_length=200)
    at: IsoDateTime | None = None
    events: list[Event] = Field(min_length=1, max_length=100_000)


class Chain(Strict):
    """Organisations' event batches in the order they happen."""

    batches: list[ChainBatch] = Field(min_length=1, max_length=10_000)


def load(path: str | Path | None = None, *, text: str | None = None) -> Chain:
    """Read and validate a chain document (JSON or YAML); errors name the file and field."""
    if (path is None) == (text is None):
        raise ValueError("give a path or text")
    source = str(path) if path is not None else "<text>"
    if text is None:
        text = read_text(Path(source))
    as_json = source.lower().endswith(".json") or text.lstrip().startswith("{")
    return validate(Chain, parse_document(text, source, as_json, "batches"), source, None)


class _ChainView(_View):
    """Resolves references as the ledger does for a batch (no signed record to say)."""

    def __init__(self, ledger: Ledger, pending: list[ReplayLot]) -> None:
        super().__init__(ledger, pending)
        self._by_id: dict[str, list[ReplayLot]] = {}
        """Lots by their id, in creation order (review 282: each reference by a bare id
        scanned every lot — 64,000 received lots took 128 s)."""

    def new_lot(self, **fields: Any) -> ReplayLot:
        lot = super().new_lot(**fields)
        self._by_id.setdefault(lot.lot, []).append(lot)
        return lot

    def lot(self, ref: str) -> ReplayLot | None:
        org_name, _, lot_id = ref.rpartition("/")
        if org_name:
            creator = self.ledger.names.get(org_name)
            return None if creator is None else self._visible(
                self.ledger.by_key.get((creator, lot_id)))
        own = self.ledger.by_key.get((self.org_id, lot_id))
        if own is not None:
            return own
        held = [x for x in self._with_id(lot_id)
                if self.org_id in (x.owner_org, x.shipped_to)]
        if len(held) > 1:
            raise rules.RuleError(f"lot {ref!r} is ambiguous: write organisation/{lot_id}")
        return held[0] if held else None

    def _with_id(self, lot_id: str) -> list[ReplayLot]:
        return self._by_id.get(lot_id, [])

    def _visible(self, lot: ReplayLot | None) -> ReplayLot | None:
        if lot is None or self.org_id in (lot.creator_org, lot.owner_org, lot.shipped_to):
            return lot
        return None


@dataclass
class ChainResult:
    """The ledger a chain leads to: lots in creation order, links, mass-balance entries."""

    ledger: Ledger

    def lots(self) -> list[dict[str, Any]]:
        """Every lot with its holder, mass, derived CFP (kg CO2e) and recycled shares."""
        return [{"creator": x.creator_org, "lot": x.lot, "holder": x.owner_org,
                 "material": x.material, "mass_kg": x.mass_kg, "custody": x.custody,
                 "cfp_kgco2e": x.cfp_total, "cfp_per_kg": x.cfp_total / x.mass_kg,
                 "cfp_fossil": x.cfp_fossil, "cfp_biogenic": x.cfp_biogenic,
                 "recycled_pre": x.rec_pre, "recycled_post": x.rec_post,
                 "inputs": [f"{src.creator_org}/{src.lot}:{m:g}" for src, m in x.inputs]}
                for x in self.ledger.lots]

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.lots())

    def to_json(self) -> dict[str, Any]:
        book = self.ledger.book
        return {"lots": self.lots(), "mass_balance": [
            {"org": e.org, "site": e.site, "characteristic": e.characteristic,
             "period": e.period, "kind": e.kind, "mass_kg": e.mass_kg,
             "lot": e.lot.lot if e.lot is not None else "", "uncovered": e.uncovered}
            for e in book.added]}

    def report(self, path: str | Path, title: str = "Supply chain") -> Path:
        """An HTML page: the lots' footprints and recycled content, and the accounts."""
        from junkan.core.report import Page

        frame = self.to_frame().drop(columns=["inputs"])
        page = Page(title).table(frame, caption="Lots in creation order (CFP in kg CO2e; "
                                                "recycled content as mass shares)")
        doc = self.to_json()["mass_balance"]
        if doc:
            page.table([[d[k] for k in ("org", "site", "characteristic", "period", "kind",
                                        "lot", "mass_kg", "uncovered")] for d in doc],
                       columns=["organisation", "site", "characteristic", "period", "kind",
                                "lot", "kg", "uncovered"], caption="Mass-balance entries")
        return page.write(path)


def run(chain: Chain) -> ChainResult:
    """Apply every batch with the ledger's rules (re-declarations recomputed at the batch's
    end, as the ledger does). A refused event stops the run with a
    :class:`~junkan.core.errors.JunkanError` naming the batch, the event and the rule."""
    orgs = {b.org for b in chain.batches} | {
        ev.to for b in chain.batches for ev in b.events if ev.type == "ship"}
    names = {o: o for o in orgs}  # in memory, an organisation's id is its name
    ledger = Ledger(names=names)
    pending: list[ReplayLot] = []
    view = _ChainView(ledger, pending)
    for i, batch in enumerate(chain.batches):
        at = batch.at or START.replace(second=i % 60, minute=i // 60 % 60, hour=i // 3600)
        view.org_id = view.org_name = batch.org
        for j, ev in enumerate(batch.events):
            try:
                rules.apply(view, ev, at)
            except rules.RuleError as exc:
                raise JunkanError(f"batches[{i}] ({batch.org}) events[{j}] ({ev.type} "
                                  f"{ev.lot}): {exc}") from None
        if pending:
            recompute(ledger, pending, at)
            pending.clear()
    return ChainResult(ledger)
