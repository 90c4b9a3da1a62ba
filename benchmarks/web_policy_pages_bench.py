"""Issue 16's 1 s target for the Reverse chain page (issue 20) and the Municipality, Reports and
Solar panels pages (issue 24): the API calls behind each interactive action, as the browser makes
them, on the shipped examples (the pages' JSON copies in src/junkan/web/static/examples), against
a fresh service (SQLite, the demo seed, the default worker budget).

    .venv/bin/python benchmarks/web_policy_pages_bench.py [--repeat 5]

Writes benchmarks/results/web_policy_pages.json: per action the median and maximum wall time (s)
after one warm-up call (worker processes start, the identification catalogue is enrolled), and
the first call's time separately (what the first user waits). The pages run every one of these
as long work with an activity bar and Cancel."""

from __future__ import annotations

import argparse
import base64
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

ROOT = Path(__file__).parents[1]
STATIC = ROOT / "src" / "junkan" / "web" / "static" / "examples"
OUT = Path(__file__).parent / "results" / "web_policy_pages.json"
TARGET_S = 1.0


def copy(name: str) -> Any:
    return json.loads((STATIC / f"{name}.json").read_text("utf-8"))


def timed(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    t0 = time.perf_counter()
    fn()  # warm-up (counted apart)
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {
        "first_s": round(first, 4),
        "median_s": round(statistics.median(times), 4),
        "max_s": round(max(times), 4),
    }


def actions(c: TestClient, org: str) -> dict[str, Callable[[], Any]]:
    def post(path: str, **kw: Any) -> Any:
        r = c.post(path, **kw)
        r.raise_for_status()
        return r

    photo_qr = base64.b64encode((STATIC / "metering_photo_qr.png").read_bytes()).decode()
    photo_none = base64.b64encode((STATIC / "metering_photo_none.png").read_bytes()).decode()
    demo = c.post("/api/metering/demo", json={"units": 24, "seed": 0}).json()
    plan = json.dumps({**copy("policy_plan"), "maker": org})
    pack = json.dumps(copy("policy_pack"))
    solar = json.dumps(copy("policy_solar")).replace('"city-chiyoda"', json.dumps(org))
    diag = {"document": json.dumps(copy("policy_diagnosis"))}
    js = {"Content-Type": "application/json"}
    return {
        "reverse chain: meter a generated day (24 units)": lambda: post(
            "/api/metering/demo", json={"units": 24, "seed": 0}
        ),
        "reverse chain: meter the shipped example": lambda: post(
            "/api/metering/run", json=copy("metering_example")
        ),
        "reverse chain: sources of the factors": lambda: c.get(
            "/api/metering/reference"
        ).raise_for_status(),
        "reverse chain: export the factors as a template": lambda: post(
            "/api/metering/export", json={"factors": demo["factors"], "actor": "dismantler"}
        ),
        "reverse chain: identify a photo (QR nameplate)": lambda: post(
            "/api/metering/identify", json={"image_b64": photo_qr, "use_text": True}
        ),
        "reverse chain: identify a photo (outline only)": lambda: post(
            "/api/metering/identify", json={"image_b64": photo_none, "use_text": True}
        ),
        "municipality: open (the survey sample)": lambda: c.get(
            "/api/policy/survey/sample"
        ).raise_for_status(),
        "municipality: diagnose": lambda: post("/api/policy/diagnose?lang=ja", json=diag),
        "municipality: council report (HTML)": lambda: post(
            "/api/policy/diagnose?lang=ja&format=html", json=diag
        ),
        "reports: periodic report (JSON, CSV and page)": lambda: [
            post(f"/api/policy/reports?period=FY2028&lang=ja{f}", content=plan, headers=js)
            for f in ("", "&format=csv", "&format=html")
        ],
        "reports: disclosure pack (JSON, inline XBRL and page)": lambda: [
            post(f"/api/policy/disclosure?lang=ja{f}", content=pack, headers=js)
            for f in ("", "&format=xhtml", "&format=html")
        ],
        "solar panels: the registry as a municipality": lambda: post(
            "/api/policy/solar/view?lang=ja", content=solar, headers=js
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    app = create_app(Settings(database_url=f"sqlite:///{tmp}/junkan.db"), seed=True)
    results: dict[str, dict[str, float]] = {}
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    with TestClient(app) as c:
        c.post("/api/session", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        c.headers["X-Junkan-CSRF"] = "1"
        org = c.get("/api/me").json()["organisation"]
        for name, fn in actions(c, org).items():
            results[name] = timed(fn, args.repeat)
            r = results[name]
            print(
                f"{name:55s} first {r['first_s']:.3f} s  median {r['median_s']:.3f} s  "
                f"max {r['max_s']:.3f} s"
            )
    doc = {
        "benchmark": "web_policy_pages",
        "target_s": TARGET_S,
        "repeat": args.repeat,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "note": "2 cores shared with other jobs; TestClient (no network); SQLite",
        "loadavg_before": load_before,
        "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
        "actions": results,
        "within_target": sorted(k for k, r in results.items() if r["max_s"] <= TARGET_S),
        "over_target": sorted(k for k, r in results.items() if r["max_s"] > TARGET_S),
    }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
