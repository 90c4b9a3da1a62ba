"""Run every benchmark (``make bench``); results go to benchmarks/results/*.json."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
BENCHES = ["lifecycle_bench.py", "service_bench.py", "network_bench.py", "foresight_bench.py",
           "alloy_bench.py", "trace_bench.py", "pact_bench.py",
           "trace_verify_bench.py", "uncertainty_bench.py", "optimise_bench.py"]

if __name__ == "__main__":
    for bench in BENCHES:
        print(f"== {bench}", flush=True)
        subprocess.run([sys.executable, str(HERE / bench)], check=True)
