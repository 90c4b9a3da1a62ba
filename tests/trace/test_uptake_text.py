"""The ``own`` text rule 3 rewrites is the store's own form on each database (SQLite:
compact ASCII JSON; PostgreSQL: ``json.dumps``), the one the audit's quick comparison reads:
orjson's compact UTF-8 and number forms (``-0.000012`` for ``-1.2e-05``) sent every rewritten
lot to the audit's slow comparison (review 316)."""

from __future__ import annotations

import json

from sqlalchemy import text

from junkan.store.trace_logcheck import compact_json
from junkan.store.trace_repo import TraceRepo
from tests.trace.test_ledger import ev
from tests.trace.test_uptake_rule import blend, clean, pe


def test_a_rewritten_own_is_in_the_stores_form(repo: TraceRepo) -> None:
    # tiny figures: where orjson's text differs from the store's (-0.000012, -1.2e-05)
    lots = [pe("P", 100, -4e-5, biogenic_uptake_kg=-6e-5), pe("Q", 100, -2e-5)]
    repo.ingest("org-A", ev(*lots, {**blend("PQ", ("P", 50), ("Q", 50)),
                                    "process": {"cfp_kgco2e": 1.2e-5}}))
    repo.ingest("org-A", ev({"type": "redeclare", "lot": "Q",
                             "cfp": {"total": 100, "biogenic": -3e-5}}))
    with repo.db.engine.connect() as c:
        stored = c.execute(text("SELECT CAST(own AS TEXT) FROM trace_lots WHERE lot = 'PQ'")
                           ).scalar_one()
    doc = json.loads(stored)
    assert doc["pcf"]["biogenic_uptake_kg"] < 0  # derived again after the re-declaration
    form = (json.JSONEncoder(allow_nan=True).encode if repo.db.engine.dialect.name ==
            "postgresql" else compact_json(sort_keys=False, ensure_ascii=True, allow_nan=True))
    assert stored == form(doc)
    clean(repo)
