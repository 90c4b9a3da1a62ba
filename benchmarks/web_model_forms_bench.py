"""Issue 16's target for the model form editor: each interactive action answers within 1 s on
the shipped examples. Times the API calls behind each action of the form editor, as the
browser makes them, against a fresh service (SQLite, the demo seed, the default worker budget).

    .venv/bin/python benchmarks/web_model_forms_bench.py [--repeat 5]

Writes benchmarks/results/web_model_forms.json: per action the median and maximum wall time
(s) and the load average before and after. The first call of each action is a warm-up and is
not counted (worker processes start). Every edit is a new value, so no check is answered from
the loader's cache of documents seen before."""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import platform
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from junkan.api import create_app
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
from junkan.store.db import Settings
from web_actions_bench import timed  # the same timing as the workspace actions

OUT = Path(__file__).parent / "results" / "web_model_forms.json"
TARGET_S = 1.0


def actions(c: TestClient) -> dict[str, Callable[[], Any]]:
    atm = next(m for m in c.get("/api/models").json() if m["name"] == "atm_reuse")
    url = f"/api/models/{atm['id']}/form"
    doc = c.get(url).json()["document"]
    step = itertools.count(1)

    def edited(valid: bool = True) -> dict[str, Any]:
        d = copy.deepcopy(doc)
        i = next(step)
        d["products"]["atm"]["eol"]["collection"]["rate"] = i / 1000 if valid else 1 + i / 1000
        return d

    def check(valid: bool) -> None:
        res = c.post(f"{url}/validate", json={"document": edited(valid)})
        assert res.status_code == (200 if valid else 422), res.text

    def save() -> None:
        latest = c.get(f"/api/models/{atm['id']}").json()["latest_version"]
        res = c.put(url, json={"document": edited(), "base_version": latest})
        assert res.status_code == 200, res.text

    def create() -> None:
        tpl = c.get("/api/forms/templates/compressor_magnet").json()["document"]
        tpl["name"] = f"bench_{next(step)}"
        assert c.post("/api/forms", json={"document": tpl}).status_code == 201

    return {
        "open the form (document and choices)": lambda: c.get(url).raise_for_status(),
        "live check of a valid edit": lambda: check(True),
        "live check of an invalid share (errors by path)": lambda: check(False),
        "save the form as a new version": save,
        "create a model from a template": create,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(database_url=f"sqlite:///{tmp}/junkan.db"), seed=True)
        with TestClient(app) as c:
            c.post("/api/session", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
            c.headers["X-Junkan-CSRF"] = "1"
            results = {name: timed(fn, args.repeat) for name, fn in actions(c).items()}
    doc = {
        "benchmark": "web_model_forms",
        "target_s": TARGET_S,
        "repeat": args.repeat,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "loadavg_before": load_before,
        "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
        "actions": results,
        "all_within_target": all(r["max_s"] <= TARGET_S for r in results.values()),
    }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
