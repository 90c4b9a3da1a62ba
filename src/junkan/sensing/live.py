"""Live lines for a service: each organisation's lines, fed by an in-process replay of a
scenario (the embedded default, no broker needed) through the same
:class:`~junkan.sensing.ingest.LineIngest` as MQTT and OPC UA; a ring of numbered events per
line (decision steps, alarms, labels) for live streams that can resume; and the operator's
labels, stored (JSON lines, one file per organisation) and turned into precision.

The hub holds no web framework: the API routes (``junkan.api.routers.sensing``) call it."""

from __future__ import annotations

import json
import math
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from junkan.sensing.features import BATCH, STEP
from junkan.sensing.generator import generate
from junkan.sensing.ingest import LineIngest
from junkan.sensing.monitor import LABELS, Models
from junkan.sensing.samples import Batch
from junkan.sensing.scenario import Scenario

LINE_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
MAX_EVENTS = 5000
"""Events kept per line for streams to resume from (500 s of steps at 10 Hz)."""


class LiveError(Exception):
    """A request the hub refuses: ``status`` is the HTTP status it maps to."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass
class LiveLine:
    org: str
    line: str
    stream: str
    scenario: str
    speed: float
    ingest: LineIngest
    events: deque[tuple[int, dict[str, Any]]] = field(
        default_factory=lambda: deque(maxlen=MAX_EVENTS)
    )
    next_id: int = 1
    done: bool = False
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, event: dict[str, Any]) -> None:
        with self.lock:
            self.events.append((self.next_id, event))
            self.next_id += 1

    def since(self, after: int, limit: int = 500) -> list[tuple[int, dict[str, Any]]]:
        with self.lock:
            return [(i, e) for i, e in self.events if i > after][:limit]

    def summary(self) -> dict[str, Any]:
        mon = self.ingest.monitors.get(self.line)
        return {
            "line": self.line,
            "stream": self.stream,
            "scenario": self.scenario,
            "speed": self.speed,
            "done": self.done,
            "steps": len(mon.trace) if mon else 0,
            "alarms": len(mon.alarms) if mon else 0,
            "model_version": mon.models.version if mon else None,
        }


class Hub:
    """Every organisation's live lines (at most ``max_per_org`` each, ``max_total`` in all)
    and their labels (under ``directory``)."""

    def __init__(self, directory: Path, *, max_per_org: int = 4, max_total: int = 16) -> None:
        self.directory = Path(directory)
        self.max_per_org, self.max_total = max_per_org, max_total
        self.lines: dict[tuple[str, str], LiveLine] = {}
        self.lock = threading.Lock()

    def get(self, org: str, line: str) -> LiveLine:
        live = self.lines.get((org, line))
        if live is None:  # another organisation's line is as absent as a line never started
            raise LiveError(404, f"no live line {line[:40]!r}")
        return live

    def of(self, org: str) -> list[LiveLine]:
        return [v for (o, _), v in sorted(self.lines.items()) if o == org]

    def replay(self, org: str, sc: Scenario, models: Models, speed: float) -> LiveLine:
        """Start replaying a scenario's recording as line ``sc.line.id`` at ``speed``× real
        time (the generator runs in the replay's thread)."""
        if not (math.isfinite(speed) and 0.1 <= speed <= 50):
            raise LiveError(422, "speed: give 0.1 to 50 (times real time)")
        line = sc.line.id
        with self.lock:
            old = self.lines.get((org, line))
            if old is not None and not old.done:
                raise LiveError(409, f"line {line} is live already; stop it first")
            running = [v for v in self.lines.values() if not v.done]
            if sum(v.org == org for v in running) >= self.max_per_org:
                raise LiveError(429, f"at most {self.max_per_org} live lines per organisation")
            if len(running) >= self.max_total:
                raise LiveError(429, "the service runs as many live lines as it may; try later")
            from junkan.sensing.generator import LineParams

            ing = LineIngest(models, LineParams.of(sc), trace_max=6000)
            live = LiveLine(org, line, uuid.uuid4().hex[:12], sc.name, speed, ing)
            ing.listeners.append(lambda _line, ev: live.add(ev))
            self.lines[(org, line)] = live
        threading.Thread(target=self._run, args=(live, sc), daemon=True).start()
        return live

    def _run(self, live: LiveLine, sc: Scenario) -> None:
        try:
            rec = generate(sc)
            t0 = time.monotonic()
            for i in range(len(rec.t) // BATCH):
                if live.stop.is_set():
                    break
                s = slice(i * BATCH, (i + 1) * BATCH)
                values = {k: v[s] for k, v in rec.signals.items()}
                live.ingest.accept(Batch(live.line, i, float(rec.t[s.start]), values))
                time.sleep(max(0.0, t0 + (i + 1) * STEP / live.speed - time.monotonic()))
        except Exception as exc:  # the stream says why it ended
            live.add({"kind": "error", "detail": str(exc)[:300]})
        finally:
            live.done = True
            live.add({"kind": "end"})

    def stop(self, org: str, line: str) -> None:
        live = self.get(org, line)
        live.stop.set()
        with self.lock:
            self.lines.pop((org, line), None)

    def _alarm(self, live: LiveLine, alarm_id: int) -> Any:
        mon = live.ingest.monitors.get(live.line)
        try:
            if mon is None:
                raise KeyError(alarm_id)
            return mon, mon.find(alarm_id)
        except KeyError:
            raise LiveError(404, f"no alarm {alarm_id} on line {live.line}") from None

    def acknowledge(self, org: str, line: str, alarm_id: int, user: str) -> dict[str, Any]:
        live = self.get(org, line)
        mon, _ = self._alarm(live, alarm_id)
        with live.ingest.lock:
            a = mon.acknowledge(alarm_id)
        live.add({"kind": "acknowledged", "id": alarm_id, "by": user})
        return dict(a.as_dict())

    def label(
        self,
        org: str,
        line: str,
        alarm_id: int,
        label: str,
        user: str,
        state: str | None = None,
        note: str = "",
    ) -> dict[str, Any]:
        """Label an alarm (the line's models adapt; a new version is kept) and store the
        label with the alarm's evidence."""
        if label not in LABELS:
            raise LiveError(422, f"label: give one of {', '.join(LABELS)}")
        live = self.get(org, line)
        mon, a = self._alarm(live, alarm_id)
        try:
            with live.ingest.lock:
                version = mon.label(alarm_id, label, state)
        except ValueError as exc:
            raise LiveError(422, str(exc)) from None
        rec = {
            "at": time.time(),
            "line": line,
            "stream": live.stream,
            "alarm": alarm_id,
            "label": label,
            "state": state,
            "note": note,
            "by": user,
            "model_version": version,
            "action": a.action,
            "sources": sorted({e["source"] for e in a.evidence}),
            "evidence": a.evidence,
        }
        path = self._labels_path(org)
        path.parent.mkdir(parents=True, exist_ok=True)
        with live.lock, path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec, default=float) + "\n")
        live.add({"kind": "label", "id": alarm_id, "label": label, "model_version": version})
        return rec

    def _labels_path(self, org: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_-]", "_", org)[:64]
        return self.directory / f"labels-{safe}.jsonl"

    def labels(self, org: str) -> list[dict[str, Any]]:
        path = self._labels_path(org)
        if not path.exists():
            return []
        latest: dict[tuple[str, int], dict[str, Any]] = {}
        for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                rec = json.loads(text)
                latest[(rec["stream"], int(rec["alarm"]))] = rec  # the last label counts
            except (ValueError, KeyError, TypeError):
                raise LiveError(500, f"{path.name}: line {n} is not a label record") from None
        return list(latest.values())


def precision(labels: list[dict[str, Any]]) -> dict[str, Any]:
    """Precision of labelled alarms (confirmed / labelled), overall and by action and by
    evidence source, each with its count and Wilson 95 % interval."""

    def block(recs: list[dict[str, Any]]) -> dict[str, Any]:
        n = len(recs)
        k = sum(r["label"] == "confirmed" for r in recs)
        lo, hi = wilson(k, n)
        return {"labelled": n, "confirmed": k, "precision": k / n if n else None, "ci95": [lo, hi]}

    by_action: dict[str, list[dict[str, Any]]] = {}
    by_source: dict[str, list[dict[str, Any]]] = {}
    for r in labels:
        by_action.setdefault(r["action"], []).append(r)
        for s in r["sources"]:
            by_source.setdefault(s, []).append(r)
    return {
        "overall": block(labels),
        "by_action": {k: block(v) for k, v in sorted(by_action.items())},
        "by_source": {k: block(v) for k, v in sorted(by_source.items())},
    }


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float | None, float | None]:
    """Wilson score interval of a proportion ``k/n``."""
    if n == 0:
        return None, None
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)
