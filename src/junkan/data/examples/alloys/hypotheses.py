"""The five ELV-aluminium hypotheses (I–V, docs/alloys.md) as scripted experiments.

    .venv/bin/python examples/alloys/hypotheses.py out/hypotheses

writes hypotheses.html (five charts) and hypotheses.json; prints whether each holds."""

from __future__ import annotations

import sys
from pathlib import Path

from junkan.alloys import run_hypotheses

if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "out/hypotheses")
    for key, res in run_hypotheses(out).items():
        print(f"{key}: {res['hypothesis']} -> {'supported' if res['supported'] else 'NOT'}")
    print(f"charts: {out / 'hypotheses.html'}")
