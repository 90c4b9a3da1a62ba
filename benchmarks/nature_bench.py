"""junkan.nature benchmark (issue 23). Target:

* a generated 10,980 × 10,980 px, 10-band Sentinel-2-sized tile (uint16 GeoTIFF, tiled
  512 × 512, uncompressed): spectral indices (NDVI, NDWI, MNDWI, EVI, NBR, NDMI) and the
  random-forest land-cover classification of every pixel, ≤ 120 s and ≤ 4 GiB peak RSS with
  Dask on this machine (threaded scheduler, all cores);
* the same code on a ``dask.distributed`` LocalCluster gives identical numbers (checked here
  on a ``--check-size`` tile; ``tests/nature/test_distributed.py`` checks it on a small one).

The tile is written once to ``--tile`` (reused when it exists; its generation time is
reported separately). The classifier is trained on the generated sample scene (300 × 300 px,
held-out polygons) with ``--trees`` (default ``auto``, the assessment's default: the forest
size by out-of-bag convergence) and predicts with ``junkan.nature.forest.VotingForest``.
Each measurement runs in a fresh subprocess so its peak RSS (``ru_maxrss``) is its own. The
load average is recorded before and after: the machine is shared, so timings under load are
upper bounds.

    .venv/bin/python benchmarks/nature_bench.py                 # full tile
    .venv/bin/python benchmarks/nature_bench.py --size 4096     # quicker

Results: ``results/nature.json``. ``--report`` times the sample's assessment (with C3.0 and
flood frequency) and its HTML/PDF reports instead (``results/nature_report.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent
BLOCK = 1024


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def make_tile(path: Path, size: int, seed: int = 0) -> float:
    """Write the generated tile block by block (patches of the sample's classes)."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    from junkan.nature import sample as smp

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    nb = -(-size // smp.BLOCK)
    coarse = rng.integers(1, 6, size=(nb, nb)).astype(np.uint8)
    names = list(smp.signatures()["bands"])
    tmp = path.with_suffix(".part.tif")
    with rasterio.open(
        tmp,
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=10,
        dtype="uint16",
        crs=smp.CRS,
        nodata=0,
        tiled=True,
        blockxsize=512,
        blockysize=512,
        BIGTIFF="YES",
        transform=from_origin(*smp.ORIGIN, smp.PIXEL, smp.PIXEL),
    ) as dst:
        for r0 in range(0, size, BLOCK):
            for c0 in range(0, size, BLOCK):
                h, w = min(BLOCK, size - r0), min(BLOCK, size - c0)
                rows = (np.arange(r0, r0 + h) // smp.BLOCK)[:, None]
                cols = (np.arange(c0, c0 + w) // smp.BLOCK)[None, :]
                dn = smp.render(coarse[rows, cols], rng)
                dst.write(dn, window=Window(c0, r0, w, h))
        for i, n in enumerate(names):
            dst.set_band_description(i + 1, n)
    tmp.rename(path)
    return time.perf_counter() - t0


def classifier(trees: int | str) -> Any:
    from junkan import nature
    from junkan.nature.assess import features, open_scenes, train_classifier

    folder = Path(tempfile.mkdtemp(prefix="nature-bench-"))
    a = nature.load(nature.write_sample(folder, size=300, seed=0, years=(2019,)))
    a.spec.trees = "auto" if trees == "auto" else int(trees)
    scenes = open_scenes(a)
    return train_classifier(a, scenes, features(a, scenes))


def measure(tile: str, trees: int | str, backend: str, chunk: int) -> dict[str, Any]:
    """In a subprocess: train, then indices + classification of the whole tile."""
    from junkan.nature import classify_tile, open_raster

    clf = classifier(trees)
    raster = open_raster(tile, chunks=chunk)
    client = None
    if backend == "distributed":
        from dask.distributed import Client, LocalCluster

        client = Client(
            LocalCluster(
                n_workers=os.cpu_count() or 2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
        )
    load0 = loadavg()
    cpu0 = os.times()
    t0 = time.perf_counter()
    out = classify_tile(raster, clf)
    wall = time.perf_counter() - t0
    cpu1 = os.times()
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    if client is not None:
        client.close()
    return {
        "backend": backend,
        "wall_s": wall,
        "cpu_s": cpu,
        "unloaded_estimate_s": cpu / (os.cpu_count() or 1),
        "loadavg_before": load0,
        "loadavg_after": loadavg(),
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "classifier": {
            "trees": trees,
            "forest": clf.forest,
            "held_out_accuracy": clf.accuracy,
            "kappa": clf.kappa,
            # 95 % intervals, the held-out polygons as the sampling units
            "validation": clf.validation(),
            "predictor": "junkan.nature.forest.VotingForest (early vote decisions; the "
            "same classes as scikit-learn's predict)",
        },
        "result": out,
    }


def _sub(tile: Path, trees: int | str, backend: str, chunk: int) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--measure",
        str(tile),
        "--trees",
        str(trees),
        "--backend",
        backend,
        "--chunk",
        str(chunk),
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-3000:])
    doc: dict[str, Any] = json.loads(res.stdout.strip().splitlines()[-1])
    if backend == "distributed":  # the workers' memory is not the client's
        doc["peak_rss_gib_note"] = "client process only; workers are separate processes"
    return doc


def report_bench(size: int, out: Path) -> None:
    """``--report``: the assessment of the generated sample (with C3.0 and flood frequency)
    and its HTML and PDF reports (en, ja), timed; no target in the issue, measured for
    information."""
    from junkan import nature

    doc: dict[str, Any] = {"sample_size": size, "loadavg_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as d:
        path = nature.write_sample(d, size=size)
        t0 = time.perf_counter()
        res = nature.run(nature.load(path))
        doc["assess_s"] = time.perf_counter() - t0
        for name in ("report.html", "report_en.pdf", "report_ja.pdf"):
            t0 = time.perf_counter()
            f = res.report(Path(d) / name, lang="ja" if "_ja" in name else "en")
            doc[f"{name}_s"] = time.perf_counter() - t0
            doc[f"{name}_bytes"] = f.stat().st_size
    doc["loadavg_after"] = os.getloadavg()
    doc["command"] = " ".join(["benchmarks/nature_bench.py", *sys.argv[1:]])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps(doc, indent=2))


def _trees(text: str) -> int | str:
    return text if text == "auto" else int(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=10_980)
    ap.add_argument("--check-size", type=int, default=2048)
    ap.add_argument(
        "--trees", type=_trees, default="auto", help="forest size: auto (the assessment's "
        "default, out-of-bag convergence) or a number"
    )
    ap.add_argument("--chunk", type=int, default=1024)
    ap.add_argument("--tile", type=Path, default=None)
    ap.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--backend", default="threads", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "nature.json")
    ap.add_argument("--report", action="store_true", help="time the sample's reports only")
    args = ap.parse_args()
    if args.report:
        report_bench(args.size if args.size != 10_980 else 300, ROOT / "results/nature_report.json")
        return
    if args.measure:
        print(json.dumps(measure(args.measure, args.trees, args.backend, args.chunk)))
        return
    tmp = Path(tempfile.gettempdir())
    tile = args.tile or tmp / f"junkan-nature-tile-{args.size}.tif"
    check = tmp / f"junkan-nature-tile-{args.check_size}.tif"
    gen = {
        str(p): (make_tile(p, s) if not p.exists() else None)
        for p, s in ((tile, args.size), (check, args.check_size))
    }
    full = _sub(tile, args.trees, "threads", args.chunk)
    small = [_sub(check, args.trees, b, args.chunk) for b in ("threads", "distributed")]
    identical = small[0]["result"] == small[1]["result"]
    doc = {
        "target": "indices + classification of a 10,980² px 10-band tile ≤ 120 s and "
        "≤ 4 GiB peak RSS; identical numbers on a LocalCluster",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "command": " ".join(["benchmarks/nature_bench.py", *sys.argv[1:]]),
        "tile": {"size": args.size, "bands": 10, "generation_s": gen[str(tile)]},
        "full_tile": full,
        "met": {"time": full["wall_s"] <= 120, "memory": full["peak_rss_gib"] <= 4},
        "localcluster_check": {
            "size": args.check_size,
            "identical": identical,
            "threads_s": small[0]["wall_s"],
            "distributed_s": small[1]["wall_s"],
            "loadavg": small[1]["loadavg_after"],
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in doc.items() if k != "full_tile"}, indent=2))
    print(
        f"full tile: {full['wall_s']:.1f} s (CPU {full['cpu_s']:.0f} s), "
        f"peak RSS {full['peak_rss_gib']:.2f} GiB, "
        f"load {full['loadavg_before']} → {full['loadavg_after']}"
    )


if __name__ == "__main__":
    main()
