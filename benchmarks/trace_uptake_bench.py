"""Rule 3's cost (docs/trace.md "Re-declared inputs (rule 3)"): a re-declaration that moves the
net biogenic CFP at the top of an n-lot downstream cone of rule-3 blends, so every blend's
derived uptake (declared and assumed parts) is derived again and written. trace_bench.py's
1M cone re-declares the total only, which rule 3 leaves alone. Lot i (a blend) is made from
its predecessor and one earlier lot; every 10th lot is declared outside the cone (half of
them with a declared uptake, some with a positive net biogenic CFP), so blends mix known,
assumed and netting inputs. Each re-declaration is timed whole and its rule-3 step alone
(store.trace_uptake.rederive_uptake: "uptake_seconds", "rewritten" lots). Usage:
python benchmarks/trace_uptake_bench.py [n] [database URL, default a new SQLite file; a
PostgreSQL database is emptied first]; results are added to results/trace_uptake.json."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert

from junkan.store import trace_recompute
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


def _database(url: str | None) -> Database:
    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp()}/uptake.db"
    db = Database(url)
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    db.migrate()
    return db


def build(n: int, url: str | None = None, seed: int = 0) -> TraceRepo:
    db = _database(url)
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


STEP: dict[str, float] = {}


def _timed(*args: Any) -> list[int]:
    t0 = time.perf_counter()
    changed = _REDERIVE(*args)
    STEP.update(seconds=time.perf_counter() - t0, rewritten=len(changed))
    return changed


_REDERIVE = trace_recompute.rederive_uptake
trace_recompute.rederive_uptake = _timed  # type: ignore[assignment]


def redeclare(repo: TraceRepo, biogenic: float) -> dict[str, Any]:
    STEP.clear()
    t0 = time.perf_counter()
    res = repo.ingest("org-A", [Redeclare(type="redeclare", lot="C0", cfp={
        "total": 5.0, "biogenic": biogenic})])
    return {"seconds": round(time.perf_counter() - t0, 2), "recomputed": res.recomputed,
            "uptake_seconds": round(STEP.get("seconds", 0.0), 2),
            "rewritten": STEP.get("rewritten", 0)}


def main(n: int, url: str | None = None) -> dict[str, Any]:
    t0 = time.perf_counter()
    repo = build(n, url)
    out: dict[str, Any] = {"lots": n, "build_seconds": round(time.perf_counter() - t0, 2)}
    # first: reads the graph (and writes every blend's stale uptake); then warm, each moving
    # the net biogenic CFP at the top (every blend's uptake moves); then the total only
    for name, bio in (("first_biogenic", -30.0), ("warm_biogenic", -40.0),
                      ("warm_biogenic_2", -25.0)):
        out[name] = redeclare(repo, bio)
    t0 = time.perf_counter()
    repo.ingest("org-A", [Redeclare(type="redeclare", lot="C0", cfp={"total": 4.0,
                                                                      "biogenic": -25.0})])
    out["warm_total_only_seconds"] = round(time.perf_counter() - t0, 2)
    return out


if __name__ == "__main__":
    result = main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000,
                  sys.argv[2] if len(sys.argv) > 2 else None)
    result["dialect"] = "sqlite" if len(sys.argv) <= 2 else sys.argv[2].split(":")[0]
    result["code"] = os.environ.get("BENCH_CODE", "")  # which tree ran, for before/after
    result["at"] = datetime.now(UTC).isoformat(timespec="seconds")
    print(json.dumps(result, indent=2))
    path = Path(__file__).parent / "results" / "trace_uptake.json"
    runs = json.loads(path.read_text()) if path.exists() else []
    path.write_text(json.dumps([*runs, result], indent=1) + "\n")
