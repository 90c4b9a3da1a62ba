"""Rule 3 in the store reads and writes ``own`` on the driver's cursor with orjson
(junkan.store.trace_uptake_rows): what it leaves in ``own`` is what the lot-by-lot Python
path (pcf.rederived in creation order on the documents decoded by ``json``) gives, on SQLite and
PostgreSQL, from stored documents of every form: uptake facts missing, null, stale, not a
number; ``pcf`` empty, null or absent; ``rules`` not an integer (not followed); other facts
whose text a re-encoding could change (-0.0, 1E+300, an escaped character). The rest of a
rewritten ``own`` decodes to the same values (the sign of -0.0 too), and the text of a lot
left alone is as it was."""

from __future__ import annotations

import json
import math
import random
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import text

from junkan.store import trace_graph
from junkan.store.trace_repo import TraceRepo
from junkan.store.trace_uptake import rederive_uptake
from junkan.trace import rules
from junkan.trace.pcf import UPTAKE_FACTS, follows_inputs, rederived
from tests.trace.test_ledger import ev
from tests.trace.test_uptake_rule import blend, pe

U, A = UPTAKE_FACTS
ODD = ("zero", "tiny", "huge", "name", "list")


def _odd_text() -> str:
    """Other facts as text (numbers and escapes as a hand-written document has them)."""
    return ('"zero": -0.0, "tiny": 1E-7, "huge": 1E+300, "name": "caf\\u00e9", '
            '"list": [1, 2.5]')


def _tampered(kind: int, own: dict[str, Any]) -> str:
    """``own`` (a rule-3 lot's, as stored) in another form, as JSON text."""
    pcf = dict(own.get("pcf") or {})
    rest = {k: v for k, v in pcf.items() if k not in UPTAKE_FACTS}
    body = {k: v for k, v in own.items() if k != "pcf"}
    forms: list[Any] = [None, rest, rest | {U: None}, rest | {U: -1234.5, A: -0.25},
                        rest | {U: "x"}, "odd", "null", "absent", {U: -3.0}, {},
                        pcf | {A: -0.125}]
    form = forms[kind % len(forms)]
    if form is None:
        return json.dumps(own)
    if kind % 13 == 11 and form != rest | {U: "x"}:
        body["rules"] = 3.0  # not an integer: not followed
    if form == "absent":
        return json.dumps(body)
    if form == "null":
        return json.dumps(body | {"pcf": None})
    if form == "odd":
        inner = json.dumps(rest | {U: 7.0})[1:-1]
        return json.dumps(body)[:-1] + ', "pcf": {' + _odd_text() + ", " + inner + "}}"
    return json.dumps(body | {"pcf": form})


def _ledger(repo: TraceRepo, rng: random.Random, monkeypatch: pytest.MonkeyPatch
            ) -> list[str]:
    """Declared lots (with and without a declared uptake, net biogenic of both signs), then
    blends of them and of earlier blends, some made under rule 2 (not followed)."""
    declared = [f"D{i}" for i in range(8)]
    docs = []
    for i, lot in enumerate(declared):
        bio = rng.choice([-40.0, -10.0, 0.0, 15.0, 30.0])
        facts = {"biogenic_uptake_kg": bio - 20.0} if i % 3 == 0 else {}
        docs.append(pe(lot, 100, bio, mass=1000, **facts))
    repo.ingest("org-A", ev(*docs))
    made: list[str] = []
    left = dict.fromkeys(declared, 1000.0)
    for i in range(30):
        pool = declared + made
        srcs = rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))
        taken = [(x, left[x] / 4) for x in srcs]
        for x, kg in taken:
            left[x] -= kg
        left[f"B{i}"] = sum(kg for _, kg in taken)
        doc = blend(f"B{i}", *taken)
        if i % 7 == 3:
            with monkeypatch.context() as m:
                m.setattr(rules, "VERSION", 2)
                repo.ingest("org-A", ev(doc))
        else:
            repo.ingest("org-A", ev(doc))
        made.append(f"B{i}")
    # X of two lots without facts that do not net, Y of X and one of them: with X's facts
    # only a (stale) uptake, X has none once derived again, and so Y
    repo.ingest("org-A", ev(pe("E0", 10, 5.0), pe("E1", 10, 7.0), blend("X", ("E0", 10)),
                            blend("Y", ("X", 5), ("E1", 5))))
    return declared


def _rows(repo: TraceRepo) -> dict[int, Any]:
    with repo.db.engine.connect() as c:
        lots = c.execute(text(
            "SELECT l.seq, l.custody, CAST(l.declared AS TEXT), CAST(l.own AS TEXT), "
            "l.mass_kg, v.cfp_biogenic, l.lot FROM trace_lots l JOIN trace_values v "
            "ON v.seq = l.seq ORDER BY l.seq")).all()
    return {r[0]: SimpleNamespace(custody=r[1], declared=json.loads(r[2]), text=r[3],
                                  own=json.loads(r[3]), mass_kg=r[4], cfp_biogenic=r[5],
                                  lot=r[6]) for r in lots}


def _reference(repo: TraceRepo, lots: dict[int, Any]) -> dict[int, dict[str, Any]]:
    """pcf.rederived lot by lot in creation order: the new ``own`` of those that change."""
    with repo.db.engine.connect() as c:
        links = c.execute(text("SELECT src_seq, dst_seq, mass_kg FROM trace_inputs "
                               "ORDER BY id")).all()
    inputs: dict[int, list[tuple[Any, float]]] = {}
    for src, dst, kg in links:
        inputs.setdefault(dst, []).append((lots[src], kg))
    changed = {}
    for seq in sorted(lots):
        lot = lots[seq]
        if seq in inputs and follows_inputs(lot):
            new = rederived(lot, inputs[seq])
            if new is not None:
                lot.own = changed[seq] = new
    return changed


def seq_of(lots: dict[int, Any], name: str) -> int:
    return next(seq for seq, lot in lots.items() if lot.lot == name)


def _same_rest(stored: dict[str, Any], want: dict[str, Any]) -> bool:
    """Equal but for float rounding in the uptake facts; -0.0 is not 0.0."""
    def rest(own: dict[str, Any]) -> str:
        pcf = {k: v for k, v in (own.get("pcf") or {}).items() if k not in UPTAKE_FACTS}
        return json.dumps({**own, "pcf": pcf}, sort_keys=True)
    if rest(stored) != rest(want):
        return False
    a, b = stored.get("pcf") or {}, want.get("pcf") or {}
    for key in UPTAKE_FACTS:
        if (key in a) != (key in b) or (a.get(key) is None) != (b.get(key) is None):
            return False
        if a.get(key) is not None and not math.isclose(a[key], b[key], rel_tol=1e-9,
                                                       abs_tol=1e-9):
            return False
    return True


@pytest.mark.parametrize("seed", range(3))
def test_the_store_leaves_what_the_lot_by_lot_path_gives(
        repo: TraceRepo, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    rng = random.Random(seed)
    _ledger(repo, rng, monkeypatch)
    before = _rows(repo)
    with repo.db.engine.begin() as c:
        for k, (seq, lot) in enumerate(sorted(before.items())):
            if lot.custody != "declared" and follows_inputs(lot):
                doc = _tampered(k + seed, lot.own)
                if lot.lot == "X":
                    doc = json.dumps(lot.own | {"pcf": {U: -3.0}})
                elif lot.lot == "Y":
                    assert lot.own["pcf"][U] is None  # X had facts
                    continue
                c.execute(text("UPDATE trace_lots SET own = :o WHERE seq = :s"),
                          {"o": doc, "s": seq})
    lots = _rows(repo)
    texts = {seq: lot.text for seq, lot in lots.items()}
    assert any('"huge": 1E+300' in t for t in texts.values())
    want = _reference(repo, _rows(repo))
    assert want, "some lots change"
    with repo.db.session() as s:
        graph = trace_graph.read(s)
        starts = [seq for seq, lot in lots.items() if lot.custody == "declared"]
        assert sorted(rederive_uptake(s, graph, starts)) == sorted(want)
    after = _rows(repo)
    for seq, lot in after.items():
        if seq in want:
            assert _same_rest(lot.own, want[seq]), (lot.lot, lot.text, want[seq])
        else:
            assert lot.text == texts[seq], lot.lot  # not written
    y = next(lot for lot in after.values() if lot.lot == "Y")
    assert y.own["pcf"].get(U, "absent") == "absent" and seq_of(after, "Y") in want
    odd = [lot for seq, lot in after.items() if seq in want and "zero" in lot.own["pcf"]]
    assert odd, "a document with odd text was rewritten"
    for lot in odd:
        assert math.copysign(1.0, lot.own["pcf"]["zero"]) == -1.0
        assert {k: lot.own["pcf"][k] for k in ODD} == {
            "zero": -0.0, "tiny": 1e-7, "huge": 1e300, "name": "café", "list": [1, 2.5]}
    with repo.db.session() as s:  # a second pass changes nothing
        assert rederive_uptake(s, trace_graph.read(s), starts) == []
