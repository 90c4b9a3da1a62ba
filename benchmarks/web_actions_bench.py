"""Issue 16's target: each interactive action of the web UI answers within 1 s on the shipped
examples (longer work is a job with progress). Times the API calls behind each action, as the
browser makes them, against a fresh service (SQLite, the demo seed, the default worker budget).

    .venv/bin/python benchmarks/web_actions_bench.py [--repeat 5]

Writes benchmarks/results/web_actions.json: per action the median and maximum wall time (s).
The first call of each action is a warm-up and is not counted (worker processes start). Work
the UI runs as a job with progress and cancel (analyses, the shredder monitor) is timed too,
under ``jobs``, and is not held to the 1 s target."""

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
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD, PARTNER_EMAIL, PARTNER_PASSWORD
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


def analysis(c: TestClient, kind: str, body: dict[str, Any]) -> None:
    """Start a lifecycle analysis and poll it as the page does (every 0.5 s) until it ends."""
    job = c.post("/api/lifecycle/analyses", params={"kind": kind}, json=body)
    job.raise_for_status()
    doc = job.json()
    while doc["status"] in ("queued", "running"):
        time.sleep(0.5)
        doc = c.get(f"/api/lifecycle/analyses/{doc['id']}").json()
    assert doc["status"] == "succeeded", doc


def example(path: str) -> Any:
    import yaml

    return yaml.safe_load((Path(__file__).parents[1] / "examples" / path).read_text("utf-8"))


def market_setup(c: TestClient) -> None:
    """The partner publishes a condition to the demo company (then the demo user signs in)."""
    c.post("/api/session", json={"email": PARTNER_EMAIL, "password": PARTNER_PASSWORD})
    c.post("/api/market/conditions", json={
        "id": "bench", "buyer": "Partner Recycling", "criteria": "alloy-buyer.casting_premium",
        "price": {"base": "350 JPY/kg"}, "location": {"lat": 33.95, "lon": 130.95},
        "min_lot": "2 t", "capacity": "400 t", "granted_to": ["Demo Manufacturing"]},
    ).raise_for_status()
    c.cookies.clear()
    c.post("/api/session", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})


def offer(c: TestClient, n: int) -> None:
    c.post("/api/market/offers", json={
        "id": f"lot-{n}", "seller": "Demo Manufacturing", "location": {"lat": 33.87, "lon": 130.79},
        "item": {"id": f"lot-{n}", "kind": "recycled_material",
                 "material": {"name": "aluminium", "family": "cast"},
                 "composition": {"Si": 7.5, "Fe": 0.35 + 0.1 * (n % 9), "Cu": 1.5, "Mg": 0.25,
                                 "Zn": 0.3}, "quantity": {"mass": f"{2 + n % 5} t"}}},
    ).raise_for_status()


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
    job_results: dict[str, dict[str, float]] = {}
    load_before = Path("/proc/loadavg").read_text().split()[:3]
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
        market_setup(c)
        for n in range(10):
            offer(c, 1000 + n)
        actions.update({
            "indicator catalogue": lambda: c.get("/api/indicators/catalogue").raise_for_status(),
            "market: list conditions and offers": lambda: [
                c.get("/api/market/conditions").raise_for_status(),
                c.get("/api/market/offers").raise_for_status()],
            "market: post an offer": lambda: offer(c, next(counter)),
            "market: grade and match the offers": lambda: c.post(
                "/api/market/match").raise_for_status(),
            "analyses: list your analyses": lambda: c.get(
                "/api/lifecycle/analyses").raise_for_status(),
        })
        cm = next(m for m in c.get("/api/models").json() if m["name"] == "compressor_magnet")
        jobs: dict[str, Callable[[], Any]] = {
            "analyses: best loop, Pareto front (compressor_magnet)": lambda: analysis(
                c, "optimise", {"model_id": cm["id"],
                                "spec": example("optimise/compressor_magnet.yaml")}),
            "analyses: uncertainty, 200 runs (atm_reuse)": lambda: analysis(
                c, "uncertainty", {"model_id": mid, "runs": 200,
                                   "spec": example("uncertainty/atm_reuse.yaml")}),
            "analyses: Sobol' sensitivity, n=64 (atm_reuse)": lambda: analysis(
                c, "sensitivity", {"model_id": mid, "n": 64,
                                   "spec": example("uncertainty/atm_reuse.yaml")}),
            "shredder monitor: 10-minute scenario": lambda: c.post(
                "/api/sensing/run", json={"scenario": example("sensing/jam_and_gas.yaml")},
            ).raise_for_status(),
        }
        for name, fn in actions.items():
            results[name] = timed(fn, args.repeat)
            print(f"{name:45s} median {results[name]['median_s']:.3f} s  "
                  f"max {results[name]['max_s']:.3f} s")
        for name, fn in jobs.items():
            job_results[name] = timed(fn, min(args.repeat, 2))
            print(f"{name:45s} median {job_results[name]['median_s']:.3f} s  "
                  f"max {job_results[name]['max_s']:.3f} s (job)")
    doc = {"benchmark": "web_actions", "target_s": TARGET_S, "repeat": args.repeat,
           "date": datetime.now(UTC).isoformat(timespec="seconds"),
           "python": platform.python_version(), "machine": platform.machine(),
           "note": "2 cores shared with other jobs; TestClient (no network); SQLite",
           "loadavg_before": load_before,
           "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
           "actions": results,
           "jobs": job_results,
           "all_within_target": all(r["max_s"] <= TARGET_S for r in results.values())}
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
