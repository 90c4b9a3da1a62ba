"""``junkan.trace.load`` / ``run``: a supply chain worked out in memory with the ledger's
rules gives the ledger's answers — the A–G chain before and after a re-declaration, a
mass-balance claim, and refusals that name batch, event and rule."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from junkan import trace
from junkan.core.errors import JunkanError

CHAIN = {"batches": [
    {"org": "org-A", "events": [
        {"type": "create", "lot": "A", "material": "al", "mass_kg": 10, "cfp": {"total": 2},
         "recycled": {"post_consumer": 0.2}}, {"type": "ship", "lot": "A", "to": "org-B"}]},
    {"org": "org-E", "events": [
        {"type": "create", "lot": "E", "material": "al", "mass_kg": 30, "cfp": {"total": 10}},
        {"type": "ship", "lot": "E", "to": "org-B"}]},
    {"org": "org-B", "events": [
        {"type": "receive", "lot": "A"}, {"type": "receive", "lot": "E"},
        {"type": "merge", "lot": "B", "mass_kg": 40, "inputs": [
            {"lot": "A", "mass_kg": 10}, {"lot": "E", "mass_kg": 30}]}]},
]}


def _lot(result: trace.ChainResult, lot: str) -> dict[str, object]:
    return next(x for x in result.lots() if x["lot"] == lot)


def test_a_chain_in_memory_gives_the_ledgers_numbers(tmp_path: Path) -> None:
    path = tmp_path / "chain.yaml"
    path.write_text(yaml.safe_dump(CHAIN))
    res = trace.run(trace.load(path))
    b = _lot(res, "B")
    # B = A + E: CFP 2 + 10 = 12 kg; recycled 10·0.2 / 40 = 5 %
    assert b["cfp_kgco2e"] == 12 and b["recycled_post"] == pytest.approx(0.05)
    again = {"batches": [*CHAIN["batches"], {"org": "org-A", "events": [
        {"type": "redeclare", "lot": "A", "cfp": {"total": 1}}]}]}
    assert _lot(trace.run(trace.load(text=yaml.safe_dump(again))), "B")["cfp_kgco2e"] == 11
    assert res.to_frame().shape[0] == 3
    page = res.report(tmp_path / "chain.html")
    assert "Lots in creation order" in page.read_text()


def test_mass_balance_and_refusals_in_memory() -> None:
    doc = {"batches": [*CHAIN["batches"][:1], {"org": "org-B", "events": [
        {"type": "receive", "lot": "A", "site": "plant"},
        {"type": "create", "lot": "V", "material": "al", "mass_kg": 10, "cfp": {"total": 9},
         "site": "plant"},
        {"type": "process", "lot": "M", "mass_kg": 2, "site": "plant", "custody":
         "mass_balance", "inputs": [{"lot": "V", "mass_kg": 2}],
         "claim": {"post_consumer": 1.0}}]}]}
    res = trace.run(trace.load(text=yaml.safe_dump(doc)))
    kinds = [(e["kind"], e["mass_kg"]) for e in res.to_json()["mass_balance"]
             if e["org"] == "org-B"]
    assert kinds == [("credit", 2.0), ("claim", 2.0)]  # 10 kg × 20 % received, 2 kg claimed
    doc["batches"][1]["events"][2]["claim"] = {"post_consumer": 1.0}
    doc["batches"][1]["events"][2]["inputs"][0]["mass_kg"] = 3
    doc["batches"][1]["events"][2]["mass_kg"] = 3
    with pytest.raises(JunkanError, match=r"batches\[1\] \(org-B\) events\[2\] \(process M\): "
                                          "mass balance: claiming 3 kg"):
        trace.run(trace.load(text=yaml.safe_dump(doc)))
    with pytest.raises(JunkanError, match="not in 'org-E''s custody"):
        trace.run(trace.load(text=yaml.safe_dump({"batches": [
            CHAIN["batches"][0], {"org": "org-E", "events": [
                {"type": "process", "lot": "X", "mass_kg": 1,
                 "inputs": [{"lot": "A", "mass_kg": 1}]}]}]})))
