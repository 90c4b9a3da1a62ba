"""The stored solar-panel registry (issue 24; no speed target named — this records the
sizes so a regression shows): a SQLite (or ``--url``) store seeded with N installations of
one owner in M municipalities (bulk rows, as the repository would have written them), then
the reads the service makes — one municipality's view, the owner's first page (1,000), one
installation — and the checked writes: a handover and a treatment report. Results go to
``results/policy_registry_<backend>.json``.

    .venv/bin/python benchmarks/policy_registry_bench.py
    .venv/bin/python benchmarks/policy_registry_bench.py --installations 100000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from junkan.store.db import Database
from junkan.store.policy_repo import SolarRepo
from junkan.store.policy_tables import SolarInstallation, SolarModel
from junkan.store.repo import Store
from junkan.store.tables import new_id

RESULTS = Path(__file__).parent / "results"


def seed(db: Database, n: int, municipalities: int) -> dict[str, Any]:
    store = Store(db)
    ids = {o: store.create_organisation(o).id for o in ("owner", "maker", "city", "recycler")}
    repo = SolarRepo(db)
    repo.grant_role("city", "municipality", "13101")
    repo.grant_role("recycler", "certified_recycler", "P-1")
    mid = new_id()
    codes = ["13101"] + [f"{14100 + i:05d}" for i in range(1, municipalities)]
    with db.session() as s:
        s.add(
            SolarModel(
                id=mid,
                maker_org_id=ids["maker"],
                name="PV-A",
                doc={
                    "technology": "c-Si",
                    "mass_kg": 20.0,
                    "glass_share": 0.75,
                    "substances": [{"substance": "Pb", "part": "ribbon", "content_wt_pct": 0.2}],
                },
            )
        )
        s.flush()
        s.bulk_save_objects(
            [
                SolarInstallation(
                    id=new_id(),
                    owner_org_id=ids["owner"],
                    name=f"I{i:06d}",
                    municipality=codes[i % len(codes)],
                    model_id=mid,
                    count=50,
                    commissioned=date(2005 + i % 20, 1 + i % 12, 1),
                )
                for i in range(n)
            ]
        )
    return ids


def timed(fn: Any, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--installations", type=int, default=20_000)
    ap.add_argument("--municipalities", type=int, default=10)
    ap.add_argument("--url", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(args.url or f"sqlite:///{tmp}/bench.db")
        db.migrate()
        t = time.perf_counter()
        ids = seed(db, args.installations, args.municipalities)
        seeding = time.perf_counter() - t
        repo = SolarRepo(db)
        as_of = date(2030, 4, 1)
        city = repo.view(ids["city"], as_of=as_of, limit=10_000)
        first = city.installations[0]["id"]
        results = {
            "municipality_view_s": timed(lambda: repo.view(ids["city"], as_of=as_of, limit=10_000)),
            "municipality_installations": len(city.installations),
            "owner_first_page_s": timed(lambda: repo.view(ids["owner"], as_of=as_of, limit=1000)),
            "one_installation_s": timed(lambda: repo.installation(ids["city"], first)),
        }
        t = time.perf_counter()
        repo.handover(
            ids["owner"],
            first,
            {"to": "recycler", "role": "recycler", "count": 50, "date": "2030-01-01"},
        )
        results["handover_write_s"] = time.perf_counter() - t
        t = time.perf_counter()
        repo.report_treatment(
            ids["recycler"],
            first,
            {
                "count": 50,
                "date": "2030-02-01",
                "method": "crushing",
                "recovered_kg": {"glass": 700},
            },
        )
        results["treatment_write_s"] = time.perf_counter() - t
        db.engine.dispose()
    doc = {
        "benchmark": "policy_registry",
        "date": date.today().isoformat(),
        "installations": args.installations,
        "municipalities": args.municipalities,
        "backend": "postgresql" if args.url else "sqlite",
        "seeding_s": seeding,
        "results": results,
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }
    out = RESULTS / f"policy_registry_{doc['backend']}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(doc, indent=1))
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
