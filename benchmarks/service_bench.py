"""Reliability benchmark of the service (issue 3, item 7) — loopback only, bounded in time.

1. Load: 50 concurrent clients for 60 s, each creating simulation runs, polling them and
   reading results and a table; reports errors and p50/p95 latency per request kind.
2. Crash: ``kill -9`` of the server while a long run is in progress; after a restart every
   saved model and every finished result is still there and the interrupted run shows as
   failed.

Results: benchmarks/results/service.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD  # noqa: E402
from lifecycle_bench import generate_model  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db_url: str, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "junkan.cli.main", "serve", "--seed", "--port", str(port),
         "--database-url", db_url],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def token(base: str) -> dict[str, str]:
    with httpx.Client(base_url=base, timeout=30) as c:
        c.post("/api/session", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        creds = c.post("/api/clients", json={"name": "bench"},
                       headers={"X-Junkan-CSRF": "1"}).json()
    res = httpx.post(f"{base}/oauth/token", data={"grant_type": "client_credentials"},
                     auth=(creds["client_id"], creds["client_secret"]), timeout=30)
    return {"Authorization": f"Bearer {res.json()['access_token']}"}


def load_test(base: str, headers: dict[str, str], clients: int, seconds: float
              ) -> dict[str, Any]:
    models = httpx.get(f"{base}/api/models", headers=headers).json()
    targets = [(m["id"], s) for m in models for s in
               (["baseline", "A", "B"] if m["name"] == "compressor_magnet" else
                ["reference", "current", "improvement_1", "improvement_2"])]
    lat: dict[str, list[float]] = {"create_run": [], "poll": [], "result": [], "table": [],
                                   "run_total": []}
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def timed(c: httpx.Client, kind: str, method: str, url: str, **kw: Any) -> httpx.Response:
        t0 = time.perf_counter()
        r = c.request(method, url, **kw)
        dt = time.perf_counter() - t0
        with lock:
            lat[kind].append(dt)
            if r.status_code >= 400:
                errors.append(f"{kind} {r.status_code} {r.text[:120]}")
        return r

    def worker(i: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
            n = i
            while time.monotonic() < stop:
                mid, scen = targets[n % len(targets)]
                n += 1
                try:
                    t0 = time.perf_counter()
                    run = timed(c, "create_run", "POST", f"/api/models/{mid}/runs",
                                json={"scenario": scen}).json()
                    while True:
                        st = timed(c, "poll", "GET", f"/api/runs/{run['id']}").json()
                        if st["status"] in ("succeeded", "failed"):
                            break
                        time.sleep(0.2)
                    if st["status"] != "succeeded":
                        with lock:
                            errors.append(f"run failed: {st['error']}")
                        continue
                    with lock:
                        lat["run_total"].append(time.perf_counter() - t0)
                    timed(c, "result", "GET", f"/api/runs/{run['id']}/result")
                    timed(c, "table", "GET", f"/api/runs/{run['id']}/tables/indicators",
                          params={"format": "csv"})
                except httpx.HTTPError as exc:
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0

    def pct(xs: list[float], q: float) -> float | None:
        return statistics.quantiles(xs, n=100)[q - 1] if len(xs) >= 2 else None

    return {"clients": clients, "seconds": elapsed, "errors": len(errors),
            "error_samples": errors[:5],
            "runs_completed": len(lat["run_total"]),
            "requests": sum(len(v) for k, v in lat.items() if k != "run_total"),
            "latency_ms": {k: {"count": len(v), "p50": 1000 * (pct(v, 50) or 0),
                               "p95": 1000 * (pct(v, 95) or 0)} for k, v in lat.items()}}


def crash_test(db_url: str, port: int) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    proc = start_server(db_url, port)
    try:
        h = token(base)
        models_before = {m["id"] for m in httpx.get(f"{base}/api/models", headers=h).json()}
        first = sorted(models_before)[0]
        done = httpx.post(f"{base}/api/models/{first}/runs", headers=h, json={}).json()
        while httpx.get(f"{base}/api/runs/{done['id']}", headers=h).json()["status"] != \
                "succeeded":
            time.sleep(0.1)
        result_before = httpx.get(f"{base}/api/runs/{done['id']}/result", headers=h).json()
        big = json.dumps(generate_model(1000))
        up = httpx.post(f"{base}/api/models", headers={**h, "Content-Type": "application/json"},
                        content=big, timeout=120)
        assert up.status_code == 201, up.text
        models_before.add(up.json()["id"])
        run = httpx.post(f"{base}/api/models/{up.json()['id']}/runs", headers=h, json={},
                         timeout=120).json()
        state = "queued"
        for _ in range(600):
            state = httpx.get(f"{base}/api/runs/{run['id']}", headers=h).json()["status"]
            if state == "running":
                break
            time.sleep(0.02)
        status_at_kill = state
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    proc = start_server(db_url, port)
    try:
        h = token(base)
        models_after = {m["id"] for m in httpx.get(f"{base}/api/models", headers=h).json()}
        result_after = httpx.get(f"{base}/api/runs/{done['id']}/result", headers=h).json()
        interrupted = httpx.get(f"{base}/api/runs/{run['id']}", headers=h).json()
    finally:
        proc.kill()
    return {"status_at_kill": status_at_kill,
            "models_kept": models_before <= models_after,
            "finished_result_kept": result_after == result_before,
            "interrupted_run_status": interrupted["status"],
            "interrupted_run_error": interrupted["error"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--database-url", default=None,
                    help="default: a fresh SQLite file in a temporary folder")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" /
                    "service.json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = args.database_url or f"sqlite:///{tmp}/bench.db"
        port = _free_port()
        proc = start_server(db_url, port)
        try:
            load = load_test(f"http://127.0.0.1:{port}", token(f"http://127.0.0.1:{port}"),
                             args.clients, args.seconds)
        finally:
            proc.kill()
            proc.wait()
        crash = crash_test(db_url, port)
    report = {"benchmark": "service reliability (loopback)", "database": db_url.split(":")[0],
              "load": load, "crash": crash}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
