"""Rule 3's cost (docs/trace.md "Re-declared inputs (rule 3)"): a re-declaration that moves the
net biogenic CFP at the top of an n-lot downstream cone of rule-3 blends, so every blend's
derived uptake (declared and assumed parts) is derived again and written. trace_bench.py's
1M cone re-declares the total only, which rule 3 leaves alone. Lot i (a blend) is made from
its predecessor and one earlier lot; every 10th lot is declared outside the cone (half of
them with a declared uptake, some with a positive net biogenic CFP), so blends mix known,
assumed and netting inputs. Usage: python benchmarks/trace_uptake_bench.py [n]"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import insert

from junkan.store.db import Database
from junkan.store.repo import Store
from junkan.store.tables import Base
from junkan.store.trace_repo import TraceRepo
from junkan.trace.events import Redeclare

PLAIN = {"country": None, "fossil_carbon_kg": None, "standards": ["ISO14067"],
         "exempted_percent": 0.0, "packaging_included": False}


def _lot(i: int, org: str, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    declared = i == 0 or i % 10 == 5
    bio = -20.0 if i == 0 else (-3.0 if i % 20 == 5 else 4.0)
    pcf = {"biogenic_uptake_kg": -6.0} if i % 40 == 5 else {}
    row = {"seq": i + 1, "lot": f"C{i}", "creator_org": org, "owner_org": org,
           "received": True, "material": "al", "mass_kg": 10.0, "consumed_kg": 0.0,
           "site": "s", "custody": "declared" if declared else "controlled_blending",
           "declared": {"cfp": {"total": 5.0, "fossil": 5.0 - bio, "biogenic": bio},
                        "pcf": pcf} if declared else None,
           "own": {} if declared else {"rules": 3, "pcf": PLAIN},
           "own_cfp": 0.0 if declared else 0.1, "created_at": now}
    vals = {"seq": i + 1, "cfp_total": 5.0, "cfp_fossil": 5.0 - bio if declared else 5.0,
            "cfp_biogenic": bio if declared else 0.0, "rec_pre": 0.0, "rec_post": 0.3,
            "updated_at": now}
    return row, vals


def build(n: int, seed: int = 0) -> TraceRepo:
    db = Database(f"sqlite:///{tempfile.mkdtemp()}/uptake.db")
    db.migrate()
    org = Store(db).create_organisation("org-A")
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC)
    tables = Base.metadata.tables
    with db.engine.begin() as conn:
        for lo in range(0, n, 50_000):
            rows = [_lot(i, org.id, now) for i in range(lo, min(lo + 50_000, n))]
            conn.execute(insert(tables["trace_lots"]), [r for r, _ in rows])
            conn.execute(insert(tables["trace_values"]), [v for _, v in rows])
        prev, links = 0, []
        for i in range(1, n):
            if i % 10 == 5:
                continue
            links.append({"dst_seq": i + 1, "src_seq": prev + 1, "mass_kg": 3.0})
            j = int(rng.integers(0, i))
            if j != prev:
                links.append({"dst_seq": i + 1, "src_seq": j + 1, "mass_kg": 2.0})
            prev = i
        for lo in range(0, len(links), 50_000):
            conn.execute(insert(tables["trace_inputs"]), links[lo:lo + 50_000])
    from junkan.store.trace_tables import TraceKey
    from junkan.trace.signing import new_key

    repo = TraceRepo(db)
    with db.session() as s:
        priv, pub = new_key()
        s.add(TraceKey(org_id=org.id, public_key=pub,
                       private_key=repo.keys.encrypt(org.id, priv)))
    return repo


def redeclare(repo: TraceRepo, biogenic: float) -> tuple[float, int]:
    t0 = time.perf_counter()
    res = repo.ingest("org-A", [Redeclare(type="redeclare", lot="C0", cfp={
        "total": 5.0, "biogenic": biogenic})])
    return time.perf_counter() - t0, res.recomputed


def main(n: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    repo = build(n)
    out: dict[str, Any] = {"lots": n, "build_seconds": round(time.perf_counter() - t0, 2)}
    # first: reads the graph (and writes every blend's stale uptake); then warm, each moving
    # the net biogenic CFP at the top (every blend's uptake moves); then the total only
    for name, bio in (("first_biogenic", -30.0), ("warm_biogenic", -40.0),
                      ("warm_biogenic_2", -25.0)):
        secs, count = redeclare(repo, bio)
        out[name] = {"seconds": round(secs, 2), "recomputed": count}
    t0 = time.perf_counter()
    repo.ingest("org-A", [Redeclare(type="redeclare", lot="C0", cfp={"total": 4.0,
                                                                      "biogenic": -25.0})])
    out["warm_total_only_seconds"] = round(time.perf_counter() - t0, 2)
    return out


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000), indent=2))
