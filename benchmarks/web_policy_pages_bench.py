"""Issue 16's 1 s target for the Reverse chain page (issue 20) and the Municipality, Reports and
Solar panels pages (issue 24): the API calls behind each interactive action, as the browser makes
them, on the shipped examples (the pages' JSON copies in src/junkan/web/static/examples), against
a fresh service (SQLite, the demo seed, the default worker budget).

    .venv/bin/python benchmarks/web_policy_pages_bench.py [--repeat 5]

Writes benchmarks/results/web_policy_pages.json: per action the median and maximum wall time (s)
after one warm-up call (worker processes start, the identification catalogue is enrolled), and
the first call's time separately (what the first user waits). The Solar panels page works on the
registry the service keeps (``/api/policy/solar/registry``): it is filled first with 200
installations of the signed-in organisation, one of them handed to the partner organisation (a
certified recycler by the operator's grant), and each write is timed with the re-read the page
does after it. The pages run every one of these as long work with an activity bar and Cancel."""

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
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD, PARTNER_EMAIL, PARTNER_PASSWORD
from junkan.store.db import Settings
from junkan.store.policy_repo import SolarRepo

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


REG = "/api/policy/solar/registry"
INSTALLATIONS = 200
"""Installations the signed-in organisation owns in the stored registry before the solar actions
(of its two panel models, in two municipalities): the page reads a registry of that size."""


def solar_setup(c: TestClient, org: str) -> str:
    """Two panel models and :data:`INSTALLATIONS` installations of the signed-in organisation
    (maker and owner), one of them (10,000 panels) handed to the partner as recycler; the id of
    that one."""

    def post(client: TestClient, path: str, body: Any) -> Any:
        r = client.post(path, json=body)
        r.raise_for_status()
        return r.json()

    for name, mass in (("PV-A", 20), ("PV-B", 12)):
        post(
            c,
            f"{REG}/models",
            {
                "name": name,
                "technology": "c-Si",
                "mass_kg": mass,
                "glass_share": 0.75,
                "substances": [{"substance": "Pb", "part": "solder ribbon", "content_wt_pct": 0.2}],
            },
        )
    ids = [
        post(
            c,
            f"{REG}/installations",
            {
                "name": f"roof-{i}",
                "maker": org,
                "model": "PV-A" if i % 2 else "PV-B",
                "municipality": "13101" if i % 3 else "99201",
                "count": 10_000 if i == 0 else 50,
                "commissioned": f"{2005 + i % 15}-06-01",
            },
        )["record"]
        for i in range(INSTALLATIONS)
    ]
    post(
        c,
        f"{REG}/installations/{ids[0]}/handovers",
        {"to": "Partner Recycling", "role": "recycler", "count": 5_000, "date": "2026-01-10"},
    )
    return str(ids[0])


def solar_actions(c: TestClient, partner: TestClient, org: str) -> dict[str, Callable[[], Any]]:
    """The Solar panels page's calls on the stored registry, as policy.js makes them: opening
    the page (roles, then the view and the models), and each write followed by the re-read."""
    target = solar_setup(c, org)
    n = iter(range(10_000))

    def read(client: TestClient) -> None:
        for path in (f"{REG}?lang=ja&limit=1000", f"{REG}/models"):
            client.get(path).raise_for_status()

    def write(client: TestClient, path: str, body: dict[str, Any]) -> None:
        client.post(path, json=body).raise_for_status()
        read(client)

    return {
        "solar panels: open the page (roles, the registry, your models)": lambda: [
            c.get(f"{REG}/roles").raise_for_status(),
            read(c),
        ],
        "solar panels: register an installation (then re-read)": lambda: write(
            c,
            f"{REG}/installations",
            {
                "name": f"new-{next(n)}",
                "maker": org,
                "model": "PV-A",
                "municipality": "13101",
                "count": 20,
                "commissioned": "2024-04-01",
            },
        ),
        "solar panels: hand panels over (then re-read)": lambda: write(
            c,
            f"{REG}/installations/{target}/handovers",
            {"to": "Partner Recycling", "role": "dismantler", "count": 1, "date": "2026-02-01"},
        ),
        "solar panels: certified recycler opens the page": lambda: [
            partner.get(f"{REG}/roles").raise_for_status(),
            read(partner),
        ],
        "solar panels: report treatment (then re-read)": lambda: write(
            partner,
            f"{REG}/installations/{target}/treatments",
            {
                "count": 1,
                "date": "2026-03-01",
                "method": "hot-knife glass separation",
                "recovered_kg": {"glass": 9, "aluminium": 1},  # of a 12 kg PV-B panel
                "disposed_kg": 1,
            },
        ),
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
        partner = TestClient(app)  # a second session (the lifespan runs once, in ``c``)
        for client, (email, password) in (
            (c, (DEMO_EMAIL, DEMO_PASSWORD)),
            (partner, (PARTNER_EMAIL, PARTNER_PASSWORD)),
        ):
            client.post("/api/session", json={"email": email, "password": password})
            client.headers["X-Junkan-CSRF"] = "1"
        org = c.get("/api/me").json()["organisation"]
        SolarRepo(app.state.store.db).grant_role("Partner Recycling", "certified_recycler", "P-1")
        todo = {**actions(c, org), **solar_actions(c, partner, org)}
        for name, fn in todo.items():
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
