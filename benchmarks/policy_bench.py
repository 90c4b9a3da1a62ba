"""Policy benchmark (issue 24). The issue names no speed target; this measures the sizes the
service accepts so a regression shows:

- solar-panel registry at its limit: 100,000 installations, 50,000 handovers, 10,000
  treatments, 50 models, 1,700 municipalities (seeded) — ``load`` (validation and the
  cross-checks), the view of one municipality, of the largest owner, of a recycler, and the
  end-of-life volumes;
- reuse history of 1,000 signed records: signing them one by one, and the buyer's check;
- disclosure pack: indicators, inline XBRL and its read-back check.

    .venv/bin/python benchmarks/policy_bench.py
    .venv/bin/python benchmarks/policy_bench.py --installations 10000 --records 100
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from junkan import policy
from junkan.policy.reuse import Record
from junkan.policy.solar import load_registry

FIX = Path(__file__).parents[1] / "tests" / "policy" / "fixtures"


def registry(n: int, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    codes = [f"{p:02d}{m:03d}" for p in range(1, 48) for m in range(100, 136)][:1700]
    models = [
        {
            "id": f"PV-{i}",
            "maker": f"maker-{i % 5}",
            "technology": "c-Si",
            "mass_kg": float(rng.uniform(15, 25)),
            "glass_share": 0.76,
            "substances": [{"substance": "Pb", "part": "solder", "content_wt_pct": 0.05}],
        }
        for i in range(50)
    ]
    start = date(2005, 1, 1)
    inst, hand, treat = [], [], []
    for i in range(n):
        c = start + timedelta(days=int(rng.integers(0, 9000)))
        count = int(rng.integers(10, 5000))
        inst.append(
            {
                "id": f"I{i}",
                "owner": f"owner-{i % 20000}",
                "municipality": codes[i % len(codes)],
                "model": f"PV-{i % 50}",
                "count": count,
                "commissioned": c.isoformat(),
                "end_of_business": (c + timedelta(days=365 * 20)).isoformat(),
            }
        )
        d = (c + timedelta(days=365 * 20 + 30)).isoformat()
        if i % 2:  # half of the installations not yet handed over
            continue
        hand.append(
            {
                "installation": f"I{i}",
                "to": f"dismantler-{i % 300}",
                "role": "dismantler",
                "count": count,
                "date": d,
            }
        )
        if i % 10 == 0:
            hand[-1]["role"] = "recycler"
            hand[-1]["to"] = f"recycler-{i % 50}"
            treat.append(
                {
                    "installation": f"I{i}",
                    "recycler": f"recycler-{i % 50}",
                    "count": count,
                    "date": d,
                    "method": "hot knife",
                    "recovered_kg": {"glass": count * 10.0},
                }
            )
    return {
        "kind": "solar_registry",
        "as_of": "2030-04-01",
        "municipalities": {f"city-{c}": c for c in codes},
        "models": models,
        "installations": inst,
        "handovers": hand,
        "treatments": treat,
    }


def timed(fn: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def bench_solar(n: int) -> dict[str, Any]:
    doc = registry(n)
    reg, t_load = timed(lambda: load_registry(doc, "bench"))
    city, t_city = timed(lambda: policy.run(reg, org="city-13100").to_json())
    owner, t_owner = timed(lambda: policy.run(reg, org="owner-1").to_json())
    rec, t_rec = timed(lambda: policy.run(reg, org="recycler-0").to_json())
    vol, t_vol = timed(lambda: policy.network_supply(reg, 2035))
    return {
        "installations": n,
        "handovers": len(doc["handovers"]),
        "treatments": len(doc["treatments"]),
        "load_s": t_load,
        "view_municipality_s": t_city,
        "municipality_installations": len(city["installations"]),
        "view_owner_s": t_owner,
        "view_recycler_s": t_rec,
        "recycler_installations": len(rec["installations"]),
        "network_supply_s": t_vol,
        "prefectures_in_2035": len(vol["by_prefecture"]),
    }


def bench_reuse(n: int) -> dict[str, Any]:
    priv, pub = policy.new_key()
    h = policy.load(FIX / "reuse_history.yaml")
    assert isinstance(h, policy.History)
    t0 = time.perf_counter()
    base = date(2020, 1, 1)
    for i in range(n):
        r = Record.model_validate(
            {
                "type": "repair",
                "by": "repairer",
                "at": f"{(base + timedelta(days=i)).isoformat()}T00:00:00Z",
                "parts_replaced": [{"part": f"part {i}"}],
            }
        )
        h = policy.sign_record(h, r, priv)
    t_sign = time.perf_counter() - t0
    res, t_verify = timed(lambda: policy.run(h, trusted={"repairer": pub}))
    assert res.valid
    return {"records": n, "sign_all_s": t_sign, "verify_s": t_verify}


def bench_disclosure() -> dict[str, Any]:
    model = policy.load(FIX / "pack.yaml")
    assert isinstance(model, policy.Pack)
    pack, t_pack = timed(lambda: policy.run(model))
    x, t_x = timed(pack.ixbrl)
    problems, t_check = timed(lambda: policy.check_ixbrl(x, pack.facts))
    assert problems == []
    return {"pack_s": t_pack, "ixbrl_s": t_x, "check_s": t_check, "facts": len(pack.facts)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--installations", type=int, default=100_000)
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "policy.json")
    a = ap.parse_args()
    doc = {
        "date": date.today().isoformat(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "loadavg_before": Path("/proc/loadavg").read_text().split()[:3],
        "solar": bench_solar(a.installations),
        "reuse": bench_reuse(a.records),
        "disclosure": bench_disclosure(),
    }
    doc["loadavg_after"] = Path("/proc/loadavg").read_text().split()[:3]
    print(json.dumps(doc, indent=2))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
