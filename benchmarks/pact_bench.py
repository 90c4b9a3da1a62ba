"""PACT v3 host under load (issue 5): 100 concurrent clients on loopback HTTPS (keep-alive),
GET /3/footprints?limit=10 and GET /3/footprints/{id}, 20 s; target p95 ≤ 50 ms. The host runs
in its own process (uvicorn, TLS). The load comes from ``wrk`` (Debian package ``wrk``; a C
load generator, so the clients take little of the two cores from the host) with
``pact_wrk.lua``; without wrk, from 100 Python threads (httpx), whose own CPU use inflates the
latencies. Results: results/pact.json."""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
from pydantic import TypeAdapter

from junkan.api.pact import self_signed_certificate
from junkan.store.db import Database
from junkan.store.repo import Store
from junkan.store.trace_repo import TraceRepo
from junkan.trace.events import Event

CLIENTS = 100
SECONDS = 20.0


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'pact.db'}"
    db = Database(url)
    db.migrate()
    store = Store(db)
    org = store.create_organisation("org-bench")
    user = store.create_user(org.id, "bench@example.org", "pw-123456789", "bench")
    cid, secret = store.create_client(user.id, "bench")
    events = TypeAdapter(list[Event]).validate_python([
        {"type": "create", "lot": f"P{i}", "material": "aluminium", "mass_kg": 100,
         "cfp": {"total": 250 + i}} for i in range(200)])
    TraceRepo(db).ingest("org-bench", events)
    cert, key = self_signed_certificate(str(tmp / "tls"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "JUNKAN_DATABASE_URL": url}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory",
                             "junkan.api.pact:create_pact_app", "--host", "127.0.0.1",
                             "--port", str(port), "--ssl-certfile", cert, "--ssl-keyfile", key,
                             "--log-level", "warning"], env=env)
    base = f"https://127.0.0.1:{port}"
    ctx = ssl.create_default_context(cafile=cert)
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/notice", verify=ctx, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        tok = httpx.post(f"{base}/auth/token", data={"grant_type": "client_credentials"},
                         auth=(cid, secret), verify=ctx).json()["access_token"]
        hdr = {"Authorization": f"Bearer {tok}"}
        ids = [pf["id"] for pf in httpx.get(f"{base}/3/footprints?limit=200", headers=hdr,
                                            verify=ctx).json()["data"]]
        if shutil.which("wrk"):  # apt-get install wrk
            report = wrk_load(base, tok, ids)
        else:
            print("wrk not found (apt-get install wrk): Python threads make the load, and "
                  "their CPU use inflates the latencies", file=sys.stderr)
            report = python_load(base, ctx, hdr, ids)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    out = Path(__file__).parent / "results" / "pact.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


def wrk_load(base: str, token: str, ids: list[str]) -> dict[str, object]:
    """100 keep-alive connections on 2 wrk threads for SECONDS; latencies from wrk's HDR
    histogram. Closed loop: each connection sends its next request when the answer arrives."""
    script = Path(__file__).with_name("pact_wrk.lua")
    out = subprocess.run(["wrk", "-t2", f"-c{CLIENTS}", f"-d{SECONDS:g}s", "--timeout", "10s",
                          "-H", f"Authorization: Bearer {token}", "-s", str(script), base,
                          "--", *ids], capture_output=True, text=True, check=True).stdout
    row = json.loads(next(ln[4:] for ln in out.splitlines() if ln.startswith("JSON")))
    secs = row["duration_us"] / 1e6
    return {"benchmark": f"PACT v3 host, {CLIENTS} concurrent keep-alive clients (wrk), "
                         f"{SECONDS:g} s, loopback HTTPS, 200 footprints",
            "load_generator": "wrk 4.1 (-t2), benchmarks/pact_wrk.lua",
            "requests": row["requests"], "errors": row["errors"] + row["non2xx"],
            "p50_ms": row["p50_us"] / 1000, "p95_ms": row["p95_us"] / 1000,
            "p99_ms": row["p99_us"] / 1000, "requests_per_s": row["requests"] / secs,
            "target": "p95 ≤ 50 ms"}


def python_load(base: str, ctx: ssl.SSLContext, hdr: dict[str, str],
                ids: list[str]) -> dict[str, object]:
    """The fallback load: 100 Python threads with httpx clients."""
    lat: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + SECONDS

    def worker(k: int) -> None:
        rng = np.random.default_rng(k)
        with httpx.Client(base_url=base, verify=ctx, headers=hdr, timeout=30) as c:
            while time.monotonic() < stop:
                path = "/3/footprints?limit=10" if rng.random() < 0.5 else \
                    f"/3/footprints/{ids[int(rng.integers(len(ids)))]}"
                t0 = time.perf_counter()
                try:
                    ok = c.get(path).status_code == 200
                except httpx.HTTPError:
                    ok = False
                dt = time.perf_counter() - t0
                with lock:
                    lat.append(dt)
                    errors[0] += 0 if ok else 1

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ms = np.array(lat) * 1000
    return {"benchmark": f"PACT v3 host, {CLIENTS} concurrent keep-alive clients "
                         f"(Python threads), {SECONDS:g} s, loopback HTTPS, 200 footprints",
            "load_generator": "httpx, one thread per client",
            "requests": int(ms.size), "errors": errors[0],
            "p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95)),
            "p99_ms": float(np.percentile(ms, 99)),
            "requests_per_s": ms.size / SECONDS, "target": "p95 ≤ 50 ms"}


if __name__ == "__main__":
    main()
