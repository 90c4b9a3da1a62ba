"""Audit = replay (issue 14): a full ``TraceRepo.audit()`` of a 1,000,000-event ledger in
SQLite (target ≤ 60 s on 2 cores), and an incremental ``audit(since=…)`` after 10,000 more
events. Results: results/trace_verify.json (events, seconds, events/s, peak RSS).

The ledger is built through ``TraceRepo.ingest`` in batches of ~10,000 events: ten
organisations in a ring, each round every organisation declares lots with recycled content
(mass-balance credit), merges and processes them and ships the product to the next one, which
receives it and makes a mass-balance claim from it; a few lots are re-declared (their cones
recomputed, the credit booked from them re-valued) and each quarter's period is closed. The
built file is cached under var/bench/ keyed by :data:`VERSION` and the size, so a re-run
skips the build (a couple of minutes). Run: ``python benchmarks/trace_verify_bench.py
[--events N]``."""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from junkan.store.db import Database
from junkan.store.repo import Store
from junkan.store.trace_repo import TraceRepo
from junkan.store.trace_state import SavedState
from junkan.trace.events import Event

VERSION = 2
"""Bump when the ledger's recipe changes: the cached file is keyed by it (and by the source of
the rules that made it, :func:`rules_digest`)."""
RULES = ["trace/rules.py", "trace/balance.py", "trace/events.py", "trace/numbers.py",
         "trace/pcf.py", "trace/pcf_data.py", "trace/propagate.py", "trace/canonical.py",
         "data/trace/carbon_content.yaml", "data/trace/pact_defaults.yaml"]
"""What decides the stored ledger: a ledger built under other rules is rebuilt."""
ORGS = [f"org-{i:02d}" for i in range(10)]
UNITS = 1400
"""Producer units per organisation and batch: 5 events each, plus 2 for the receiver."""
ROOT = Path(__file__).resolve().parents[1]
EVENTS: TypeAdapter[list[Any]] = TypeAdapter(list[Event])
START = datetime(2026, 1, 5, tzinfo=UTC)


def _producer(r: int, i: int, to: str) -> list[dict[str, Any]]:
    """Two declared lots (one with recycled content) merged, processed and shipped."""
    x, y, z, p = (f"{k}{r}-{i}" for k in "XYZP")
    create_x: dict[str, Any] = {
        "type": "create", "lot": x, "material": ("aluminium", "steel", "PET")[i % 3],
        "mass_kg": 100 + i % 50, "cfp": {"total": 800 + i % 97, "biogenic": 0.5},
        "recycled": {"pre_consumer": 0.1, "post_consumer": 0.3}, "site": "plant"}
    if i % 4 == 0:
        create_x["pcf"] = {"country": "JP"}
    return [create_x,
            {"type": "create", "lot": y, "material": "aluminium", "mass_kg": 50,
             "cfp": {"total": 300.25}, "site": "plant"},
            {"type": "merge", "lot": z, "mass_kg": 100, "site": "plant",
             "inputs": [{"lot": x, "mass_kg": 60}, {"lot": y, "mass_kg": 40}]},
            {"type": "process", "lot": p, "mass_kg": 90, "site": "plant",
             "process": {"cfp_kgco2e": 20, "energy_kwh": 50}, "inputs": [
                 {"lot": z, "mass_kg": 100}]},
            {"type": "ship", "lot": p, "to": to}]


def _receiver(r: int, i: int, sender: str) -> list[dict[str, Any]]:
    """The shipped product received and used in a mass-balance step that claims credit."""
    p = f"{sender}/P{r}-{i}"
    return [{"type": "receive", "lot": p, "site": "plant"},
            {"type": "process", "lot": f"M{r}-{i}", "mass_kg": 85, "site": "plant",
             "custody": "mass_balance", "claim": {"post_consumer": 0.1},
             "inputs": [{"lot": p, "mass_kg": 90}]}]


def batches(n: int, units: int = UNITS) -> Iterator[tuple[str, datetime, list[dict[str, Any]]]]:
    """(organisation, time, events) until about ``n`` events."""
    done, r = 0, 0
    while done < n:
        at = START + timedelta(days=30 * r)
        for k, org in enumerate(ORGS):
            events: list[dict[str, Any]] = []
            if r and (at.month - 1) // 3 != ((at - timedelta(days=30)).month - 1) // 3:
                q = (at - timedelta(days=30))
                events.append({"type": "close_period", "site": "plant",
                               "period": f"{q.year}Q{(q.month - 1) // 3 + 1}"})
            if r:  # what the previous organisation in the ring shipped last round
                for i in range(units):
                    events += _receiver(r - 1, i, ORGS[k - 1])
                for i in range(0, units, max(1, units // 4)):  # a few re-declarations
                    events.append({"type": "redeclare", "lot": f"X{r - 1}-{i}",
                                   "cfp": {"total": 700}, "recycled": {"post_consumer": 0.25},
                                   "reason": "supplier data corrected"})
            made = min(units, max(0, (n - done - len(events)) // 5))
            for i in range(made):
                events += _producer(r, i, ORGS[(k + 1) % len(ORGS)])
            if events:
                done += len(events)
                yield org, at + timedelta(minutes=k), events
            if done >= n:
                return
        r += 1


def build(path: Path, n: int, units: int = UNITS) -> int:
    """A ledger of about ``n`` events at ``path`` (and its master key file beside it)."""
    db = Database(f"sqlite:///{path}")
    db.migrate()
    store = Store(db)
    for org in ORGS:
        store.create_organisation(org)
    repo = TraceRepo(db)
    total, t0 = 0, time.perf_counter()
    for org, at, events in batches(n, units):
        repo.ingest(org, EVENTS.validate_python(events), at=at)
        total += len(events)
        print(f"  built {total:,} events ({total / (time.perf_counter() - t0):,.0f}/s)",
              file=sys.stderr, flush=True)
    db.engine.dispose()
    return total


def rules_digest() -> str:
    """A short digest of the source of the ledger's rules (:data:`RULES`)."""
    h = hashlib.sha256()
    for name in RULES:
        h.update((ROOT / "src" / "junkan" / name).read_bytes())
    return h.hexdigest()[:10]


def ledger(n: int, units: int = UNITS) -> Path:
    """The cached ledger of ``n`` events (built if missing)."""
    path = ROOT / "var" / "bench" / f"trace_verify_v{VERSION}_{rules_digest()}_{n}_{units}.db"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=path.parent)) / "ledger.db"
        build(tmp, n, units)
        shutil.move(tmp.with_name("ledger.db.key"), path.with_name(path.name + ".key"))
        shutil.move(tmp, path)
        shutil.rmtree(tmp.parent)
    return path


def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> int:
    """Peak resident memory (MiB) of this process, or of its largest finished child."""
    return round(resource.getrusage(who).ru_maxrss / 1024)


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed_audit(repo: TraceRepo, **kw: Any) -> tuple[Any, dict[str, float]]:
    """An audit, its wall time and CPU time: the main process's and the worker processes'
    (which end with it), and what that CPU time would take on two idle cores."""
    gc.collect()  # the previous audit's replay (the audit pauses the collector)
    load = os.getloadavg()[0]  # other jobs on the machine slow the wall clock
    cpu0, kids0, t0 = time.process_time(), _children_cpu(), time.perf_counter()
    audit = repo.audit(**kw)
    seconds = time.perf_counter() - t0
    main, workers = time.process_time() - cpu0, _children_cpu() - kids0
    if audit.problems:
        raise SystemExit("the audit found problems:\n" + "\n".join(
            p.text for p in audit.problems[:20]))
    return audit, {"seconds": round(seconds, 2), "main_process_cpu_s": round(main, 2),
                   "worker_processes_cpu_s": round(workers, 2),
                   "two_idle_cores_s": round(max(main, (main + workers) / 2), 2),
                   "load_average_1m_before": round(load, 2)}


def new_events(n: int) -> Iterator[tuple[str, datetime, list[dict[str, Any]]]]:
    """About ``n`` events after the saved state: one organisation's producer batch (which
    ships to the next) — lots made, merged, processed and shipped."""
    units = max(1, n // 5)
    yield ORGS[0], START + timedelta(days=3650), [
        e for i in range(units) for e in _producer(9999, i, ORGS[1])]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--new", type=int, default=10_000, help="events added for --since")
    ap.add_argument("--units", type=int, default=UNITS, help="producer units per batch")
    args = ap.parse_args()
    path = ledger(args.events, args.units)
    work = Path(tempfile.mkdtemp(dir=path.parent))
    try:
        out = run(path, work, args.new)
    finally:
        shutil.rmtree(work)
    (ROOT / "benchmarks" / "results").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "results" / "trace_verify.json").write_text(
        json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


def run(path: Path, work: Path, n_new: int) -> dict[str, Any]:
    """The measurements on a copy of the cached ledger (``--since`` adds events to it)."""
    copy = work / "ledger.db"
    shutil.copy(path, copy)
    shutil.copy(path.with_name(path.name + ".key"), copy.with_name(copy.name + ".key"))
    db = Database(f"sqlite:///{copy}")
    repo = TraceRepo(db)
    audit, t = timed_audit(repo)
    events = sum(audit.events.values())
    full = {"events": events, **t, "events_per_s": round(events / t["seconds"]),
            "peak_rss_mib": peak_rss_mib(),
            "worker_peak_rss_mib": peak_rss_mib(resource.RUSAGE_CHILDREN),
            "target_seconds": 60}
    print(json.dumps({"full": full}), flush=True)
    state = work / "audit.state"
    _, saved = timed_audit(repo, save=state)
    added = 0
    for org, at, events_ in new_events(n_new):
        repo.ingest(org, EVENTS.validate_python(events_), at=at)
        added += len(events_)
    gc.collect()
    gc.disable()  # as the audit does while it loads
    t0 = time.perf_counter()
    SavedState.load(state)
    load_s = time.perf_counter() - t0
    gc.enable()
    since, t = timed_audit(repo, since=state)
    db.engine.dispose()
    return {
        "full": full,
        "full_with_save_state": {**saved, "state_mib": round(state.stat().st_size / 2**20, 1)},
        "since": {"events": sum(since.events.values()), "new_events": added,
                  "replayed": since.replayed, **t, "of_which_loading_the_state_s": round(
                      load_s, 2)},
        "peak_rss_mib": peak_rss_mib(),
        "machine": {"cores": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)},
    }


if __name__ == "__main__":
    main()
