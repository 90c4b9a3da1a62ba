"""Seed 002's hypotheses I–V as scripted experiments on the ELV-aluminium model.

    .venv/bin/python examples/alloys/hypotheses.py out/hypotheses

writes hypotheses.html (five charts) and hypotheses.json; prints whether each holds."""

from __future__ import annotations

import sys
from pathlib import Path

from junkan.alloys.experiments import run_all

if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "out/hypotheses")
    for key, res in run_all(out).items():
        print(f"{key}: {res['hypothesis']} -> {'supported' if res['supported'] else 'NOT'}")
    print(f"charts: {out / 'hypotheses.html'}")
