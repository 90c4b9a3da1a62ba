"""Issue 16's target: each interactive action of the web UI answers within 1 s on the shipped
examples (longer work is a job with progress). Times the API calls behind each action, as the
browser makes them, against a fresh service (SQLite, the demo seed, the default worker budget).

    .venv/bin/python benchmarks/web_actions_bench.py [--repeat 5]

Writes benchmarks/results/web_actions.json: per action the median and maximum wall time (s).
The first call of each action is a warm-up and is not counted (worker processes start)."""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from junkan.api import create_app
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
from junkan.store.db import Settings

OUT = Path(__file__).parent / "results" / "web_actions.json"
TARGET_S = 1.0


def run_and_wait(c: TestClient, model_id: str, scenario: str, overrides: dict[str, Any]) -> None:
    run = c.post(f"/api/models/{model_id}/runs",
                 json={"scenario": scenario, "overrides": overrides}).json()
    while run["status"] in ("queued", "running"):
        time.sleep(0.05)
        run = c.get(f"/api/runs/{run['id']}").json()
    assert run["status"] == "succeeded", run
    for path in ("result", "indicators", "tables/indicators?format=json"):
        c.get(f"/api/runs/{run['id']}/{path}").raise_for_status()


def timed(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"median_s": round(statistics.median(times), 4), "max_s": round(max(times), 4)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    app = create_app(Settings(database_url=f"sqlite:///{tmp}/junkan.db"), seed=True)
    results: dict[str, dict[str, float]] = {}
    with TestClient(app) as c:
        c.post("/api/session", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        c.headers["X-Junkan-CSRF"] = "1"
        atm = next(m for m in c.get("/api/models").json() if m["name"] == "atm_reuse")
        mid = atm["id"]
        text = c.get("/api/examples/atm_reuse").text
        counter = iter(range(10_000))
        actions: dict[str, Callable[[], Any]] = {
            "list and search models": lambda: c.get("/api/models", params={"q": "atm"}),
            "open a model (card, versions, shares)": lambda: [
                c.get(f"/api/models/{mid}").raise_for_status(),
                c.get(f"/api/models/{mid}/versions"), c.get(f"/api/models/{mid}/shares")],
            "live validation of the document": lambda: c.post(
                "/api/validate", content=text.encode(),
                headers={"Content-Type": "application/yaml"}).raise_for_status(),
            "diff of two versions": lambda: c.get(f"/api/models/{mid}/diff",
                                                  params={"a": 1, "b": 2}).raise_for_status(),
            "save a run's edits as a scenario": lambda: c.post(
                f"/api/models/{mid}/scenarios", json={
                    "name": f"bench_{next(counter)}", "extends": "improvement_1",
                    "overrides": {"products.atm.eol.collection.rate": 0.7}}).raise_for_status(),
            "run one scenario (start, progress, results)": lambda: run_and_wait(
                c, mid, "improvement_1", {"products.atm.eol.collection.rate": 0.7}),
            "compare every scenario with an edit": lambda: c.post(
                f"/api/models/{mid}/compare",
                json={"overrides": {"products.atm.eol.collection.rate": 0.7}}).raise_for_status(),
            "add a shipped example as a model": lambda: c.post(
                "/api/models", content=text.encode(),
                headers={"Content-Type": "application/yaml"}).raise_for_status(),
        }
        c.post(f"/api/models/{mid}/scenarios", json={"name": "bench_seed"}).raise_for_status()
        for name, fn in actions.items():
            results[name] = timed(fn, args.repeat)
            print(f"{name:45s} median {results[name]['median_s']:.3f} s  "
                  f"max {results[name]['max_s']:.3f} s")
    doc = {"benchmark": "web_actions", "target_s": TARGET_S, "repeat": args.repeat,
           "date": datetime.now(UTC).isoformat(timespec="seconds"),
           "python": platform.python_version(), "machine": platform.machine(),
           "note": "2 cores shared with other jobs; TestClient (no network); SQLite",
           "actions": results,
           "all_within_target": all(r["max_s"] <= TARGET_S for r in results.values())}
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
