"""PACT v3 host under load (issue 5): 100 concurrent clients on loopback HTTPS (keep-alive),
GET /3/footprints?limit=10 and GET /3/footprints/{id}, 20 s; target p95 ≤ 50 ms. The host runs
in its own process (uvicorn, TLS). Results: results/pact.json."""

from __future__ import annotations

import json
import os
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
        report = {"benchmark": f"PACT v3 host, {CLIENTS} concurrent keep-alive clients, "
                               f"{SECONDS:g} s, loopback HTTPS, 200 footprints",
                  "requests": int(ms.size), "errors": errors[0],
                  "p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95)),
                  "p99_ms": float(np.percentile(ms, 99)),
                  "requests_per_s": ms.size / SECONDS, "target": "p95 ≤ 50 ms"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    out = Path(__file__).parent / "results" / "pact.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
