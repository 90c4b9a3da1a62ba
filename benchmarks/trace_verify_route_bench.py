"""Server-process CPU per ``GET /api/trace/verify`` on the benchmark ledger, against the
CPU of the background pool's workers, where the audit runs (TestClient: the server runs in
this process, so ``time.process_time()`` is the server's CPU plus the client's small share),
with ``/api/health`` asked beside the last request.

    python -c "import sys; sys.path.insert(0,'benchmarks'); import trace_verify_bench as b; \
        print(b.ledger(226_000))"          # the ledger (var/bench/, ~320 MB, once)
    python benchmarks/trace_verify_route_bench.py var/bench/<ledger>.db [requests]

Writes benchmarks/results/trace_verify_route.json (one row per request, then the health
probe's own CPU alone for as long)."""
from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient

from junkan.api import create_app
from junkan.store.db import Database, Settings
from junkan.store.repo import Store

EMAIL, PASSWORD = "auditor@example.org", "correct horse battery staple 42"


def proc_cpu(pid: int) -> float:
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def mem(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        if k in ("VmPeak", "VmHWM", "VmSize"):
            out[k] = int(v.split()[0]) // 1024
    return out


def main() -> None:
    src = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    work = Path(tempfile.mkdtemp())
    db_path = work / "ledger.db"
    shutil.copy(src, db_path)
    shutil.copy(src.with_name(src.name + ".key"), work / "ledger.db.key")
    url = f"sqlite:///{db_path}"
    db = Database(url)
    db.migrate()
    store = Store(db)
    org = store.organisation_by_name("org-00")
    store.create_user(org.id, EMAIL, PASSWORD, "Auditor", role="admin")
    db.engine.dispose()
    app = create_app(Settings(database_url=url))
    out = []
    with TestClient(app) as c:
        r = c.post("/api/session", json={"email": EMAIL, "password": PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["X-Junkan-CSRF"] = "1"
        app.state.jobs.pool.wait_ready(120)
        time.sleep(5)  # the lot graph is read at start in a thread: let it finish
        app.state.trace.AUDIT_REUSE_S = 0.0  # every request audits
        for i in range(n):
            pool = app.state.jobs.pool
            pids = pool.stats()["pids"]
            w0 = sum(proc_cpu(p) for p in pids)
            lat: list[float] = []
            stop = threading.Event()

            def probe(stop: threading.Event = stop, lat: list[float] = lat) -> None:
                # a cheap request while verify runs
                while not stop.is_set():
                    t = time.perf_counter()
                    c.get("/api/health")
                    lat.append(time.perf_counter() - t)
                    time.sleep(0.05)

            cpu0, t0 = time.process_time(), time.perf_counter()
            th = threading.Thread(target=probe)
            if i == n - 1:  # the last request with a cheap request beside it
                th.start()
            r = c.get("/api/trace/verify")
            wall = time.perf_counter() - t0
            stop.set()
            if th.is_alive() or lat:
                th.join()
            cpu = time.process_time() - cpu0
            # the probe's own CPU is included in cpu: measure it alone afterwards
            doc = r.json()
            pids2 = pool.stats()["pids"]
            w1 = sum(proc_cpu(p) for p in pids2 if p in pids)
            row = {"worker_mem_mib": {p: mem(p) for p in pids2 if p in pids},
                   "request": i + 1, "status": r.status_code, "ok": doc.get("ok"),
                   "events": doc.get("events"), "wall_s": round(wall, 2),
                   "server_process_cpu_s": round(cpu, 2),
                   "pool_workers_cpu_s": round(w1 - w0, 2),
                   "probe_requests": len(lat),
                   "probe_median_ms": round(1000 * statistics.median(lat), 1) if lat else None,
                   "probe_max_ms": round(1000 * max(lat), 1) if lat else None}
            print(json.dumps(row), flush=True)
            out.append(row)
        # the probe alone for as long, to subtract its CPU
        cpu0, t0 = time.process_time(), time.perf_counter()
        k = 0
        while time.perf_counter() - t0 < out[-1]["wall_s"]:
            c.get("/api/health")
            k += 1
            time.sleep(0.05)
        alone = {"probe_alone": {"requests": k, "cpu_s": round(
            time.process_time() - cpu0, 2), "wall_s": round(time.perf_counter() - t0, 2)}}
        print(json.dumps(alone))
    shutil.rmtree(work)
    result = Path(__file__).parent / "results" / "trace_verify_route.json"
    result.write_text(json.dumps({"ledger": src.name, "requests": out, **alone,
                                  "load_average_at_end": os.getloadavg()}, indent=2) + "\n")


if __name__ == "__main__":
    main()
