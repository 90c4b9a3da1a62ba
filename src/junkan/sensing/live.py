"""Live lines for a service: each organisation's lines, fed by an in-process replay of a
scenario (the embedded default, no broker needed), by a topic of an MQTT broker or by an OPC
UA server's subscription (:meth:`Hub.connect`, endpoints checked by
:mod:`junkan.sensing.sources`), all through the same
:class:`~junkan.sensing.ingest.LineIngest`; a ring of numbered events per line (decision
steps, alarms, connection status, quarantined messages, labels) for live streams that can
resume; and the operator's labels, handed to a sink (the service stores them in its database)
and turned into precision.

The hub holds no web framework and no database: the API routes
(``junkan.api.routers.sensing``) call it and store the labels."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from junkan.sensing.brokerauth import ENV as AUTH_ENV
from junkan.sensing.brokerauth import AuthError, BrokerAuth, broker_auth
from junkan.sensing.features import BATCH, STEP
from junkan.sensing.generator import LineParams, generate
from junkan.sensing.ingest import LineIngest
from junkan.sensing.linebook import LineBook
from junkan.sensing.monitor import LABELS, Models
from junkan.sensing.samples import Batch
from junkan.sensing.scenario import Scenario
from junkan.sensing.sources import (
    LineSource,
    SourceRefused,
    check,
    connect_url,
    endpoint,
    org_slug,
    reads,
    resolve,
    same_server,
)
from junkan.sensing.store import RawStore

log = logging.getLogger("junkan.sensing.live")
LINE_ID = re.compile(r"\A[A-Za-z0-9_-]{1,40}\Z")
MAX_EVENTS = 5000
"""Events kept per line for streams to resume from (500 s of steps at 10 Hz)."""
MAX_QUARANTINE = 100
"""Quarantined messages kept per line (with their reasons); older ones are only counted."""
QUARANTINE_EVENT_S = 1.0
"""At most one ``quarantined`` stream event per line per second (a flood of bad messages
must not push the decision steps out of the ring)."""


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
    source: str = "replay"
    endpoint: str | None = None
    status: str = "running"
    reads: str | None = None
    """The MQTT topic or OPC UA object the line reads (:func:`~junkan.sensing.sources.reads`)."""
    feed: Any = None
    events: deque[tuple[int, dict[str, Any]]] = field(
        default_factory=lambda: deque(maxlen=MAX_EVENTS)
    )
    quarantine: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=MAX_QUARANTINE))
    quarantined: int = 0
    next_id: int = 1
    done: bool = False
    restored: bool = False
    problem: str | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _last_q: float = -math.inf

    def add(self, event: dict[str, Any]) -> None:
        with self.lock:
            if event["kind"] == "quarantined":
                self.quarantined += 1
                self.quarantine.append({"at": time.time(), **event})
                now = time.monotonic()
                if now - self._last_q < QUARANTINE_EVENT_S:
                    return
                self._last_q = now
                event = {**event, "count": self.quarantined}
            self.events.append((self.next_id, event))
            self.next_id += 1

    def set_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            self.add({"kind": "status", "status": status})

    def since(self, after: int, limit: int = 500) -> list[tuple[int, dict[str, Any]]]:
        with self.lock:
            return [(i, e) for i, e in self.events if i > after][:limit]

    def summary(self) -> dict[str, Any]:
        mon = self.ingest.monitors.get(self.line)
        return {
            "line": self.line,
            "stream": self.stream,
            "source": self.source,
            "endpoint": self.endpoint,
            "reads": self.reads,
            "status": self.status,
            "scenario": self.scenario,
            "speed": self.speed,
            "done": self.done,
            "steps": len(mon.trace) if mon else 0,
            "alarms": len(mon.alarms) if mon else 0,
            "quarantined": self.quarantined,
            "model_version": mon.models.version if mon else None,
            "restored": self.restored,
            "problem": self.problem,
            "sequence": self.ingest.sequence(self.line),
        }

    def detail(self) -> dict[str, Any]:
        """The summary with the last quarantined messages and their reasons."""
        with self.lock:
            q = list(self.quarantine)
        return {**self.summary(), "quarantine": q}


class Hub:
    """Every organisation's live lines (at most ``max_per_org`` each, ``max_total`` in all);
    the raw streams of broker and PLC lines go under ``directory``, and their definitions
    to ``directory/lines.json`` (:class:`~junkan.sensing.linebook.LineBook`), from which
    :meth:`restore` connects them again when the service starts."""

    def __init__(self, directory: Path, *, max_per_org: int = 4, max_total: int = 16) -> None:
        self.directory = Path(directory)
        self.max_per_org, self.max_total = max_per_org, max_total
        self.lines: dict[tuple[str, str], LiveLine] = {}
        self.lock = threading.Lock()
        self.book = LineBook(self.directory)
        self.closed = False

    def get(self, org: str, line: str) -> LiveLine:
        live = self.lines.get((org, line))
        if live is None:  # another organisation's line is as absent as a line never started
            raise LiveError(404, f"no live line {line[:40]!r}")
        return live

    def of(self, org: str) -> list[LiveLine]:
        return [v for (o, _), v in sorted(self.lines.items()) if o == org]

    def _reserve(self, org: str, line: str) -> None:
        """Refuse a line that is live already or one past the limits (call under the lock)."""
        if self.closed:
            raise LiveError(503, "the service is stopping")
        old = self.lines.get((org, line))
        if old is not None and not old.done:
            raise LiveError(409, f"line {line} is live already; stop it first")
        running = [v for v in self.lines.values() if not v.done]
        if sum(v.org == org for v in running) >= self.max_per_org:
            raise LiveError(429, f"at most {self.max_per_org} live lines per organisation")
        if len(running) >= self.max_total:
            raise LiveError(429, "the service runs as many live lines as it may; try later")

    def _exclusive(self, org: str, ep: str, what: str) -> None:
        """Refuse to read what another organisation's live line reads on the same server
        (its topic on a shared broker, any listener; its object on a shared PLC): 409."""
        for v in self.lines.values():
            if not v.done and v.org != org and v.reads == what and same_server(v.endpoint, ep):
                raise LiveError(
                    409,
                    f"source: {what} on {ep} is read by another organisation's line; read "
                    f"your own (the default topic is junkan/sensing/{org_slug(org)}/<line>/batch)",
                )

    def _add(self, live: LiveLine) -> None:
        live.ingest.listeners.append(lambda _line, ev: live.add(ev))
        self.lines[(live.org, live.line)] = live

    def replay(self, org: str, sc: Scenario, models: Models, speed: float) -> LiveLine:
        """Start replaying a scenario's recording as line ``sc.line.id`` at ``speed``× real
        time (the generator runs in the replay's thread)."""
        if not (math.isfinite(speed) and 0.1 <= speed <= 50):
            raise LiveError(422, "speed: give 0.1 to 50 (times real time)")
        line = sc.line.id
        with self.lock:
            self._reserve(org, line)
            old = self.lines.get((org, line))  # an ended line, or one not restored
            ing = LineIngest(models, LineParams.of(sc), trace_max=6000)
            live = LiveLine(org, line, uuid.uuid4().hex[:12], sc.name, speed, ing)
            self._add(live)
        if old is not None and old.source != "replay":
            self.book.forget(org, line)  # the replay takes the line's place
        threading.Thread(target=self._run, args=(live, sc), daemon=True).start()
        return live

    def connect(
        self,
        org: str,
        spec: LineSource,
        models: Models,
        *,
        resolver: Any = None,
        by: str | None = None,
        restored: bool = False,
    ) -> LiveLine:
        """Start a live line fed by ``spec.source`` (an MQTT topic or an OPC UA server):
        the endpoint must be listed in ``JUNKAN_SENSING_ENDPOINTS`` (422 otherwise, before
        any connection). The connection runs in the background and reconnects by itself;
        its state (``connecting``, ``connected``, ``unreachable``, ``connection lost`` …) is
        the line's ``status`` and a ``status`` stream event. The definition is kept until the
        line is stopped; a kept line ``restored`` goes on after the last batch stored."""
        src, line = spec.source, spec.line.id
        try:
            ep = check(src.url, "source.url")
            address = resolve(ep, "source.url", resolver)
        except SourceRefused as exc:
            raise LiveError(422, str(exc)) from None
        try:
            auth = broker_auth(ep) if src.kind == "mqtt" else None
        except AuthError as exc:  # the administrator's settings: logged with the details
            log.warning("line %s of %s: %s", line, org, exc)
            raise LiveError(503, f"the server's broker settings ({AUTH_ENV}): {exc}") from None
        with self.lock:
            self._reserve(org, line)
            self._exclusive(org, str(ep), reads(org, line, src))
            params = LineParams.of(Scenario(line=spec.line, duration_s=60))
            raw = RawStore(self.directory / "raw" / org_slug(org))
            ing = LineIngest(models, params, store=raw, trace_max=6000)
            if restored:  # before the feed connects and asks for what came meanwhile
                ing.resume(line)
            live = LiveLine(
                org,
                line,
                uuid.uuid4().hex[:12],
                src.kind,
                1.0,
                ing,
                src.kind,
                str(ep),
                "connecting",
                reads(org, line, src),
            )
            self._add(live)  # listening before the first message can come
            try:
                live.feed = _feed(spec, live, connect_url(src.url, ep, address), auth)
            except ModuleNotFoundError as exc:
                self.lines.pop((org, line), None)
                raise LiveError(
                    503, f"this server lacks the 'sensing' extra ({exc.name} is not installed)"
                ) from None
        if not restored:
            self.book.keep(org, line, spec.model_dump(mode="json"), by)
        return live

    def restore(self, models: Models | Callable[[], Models], resolver: Any = None) -> list[Any]:
        """Connect again every kept broker or PLC line (the service starts): a line that
        cannot be connected — its endpoint is no longer listed, the limits are reached — is
        shown with status ``not restored`` and the reason as an ``error`` event until it is
        stopped. ``models`` (or a function giving them) is asked for only if a line is
        kept."""
        entries = self.book.entries()
        if not entries:
            return []
        m = models() if callable(models) else models
        out = []
        for e in entries:
            org, line = e["org"], e["line"]
            try:
                spec = LineSource.model_validate(e["spec"])
                if spec.line.id != line:
                    raise ValueError(f"spec.line.id {spec.line.id!r} is not the entry's line")
            except ValueError as exc:
                log.warning("%s: kept line %s of %s skipped: %s", self.book.path, line, org, exc)
                continue
            try:
                live = self.connect(org, spec, m, resolver=resolver, restored=True)
            except LiveError as exc:
                if self.closed:
                    break
                live = self._not_restored(org, spec, m, exc.detail)
            live.restored = True
            out.append(live)
        return out

    def _not_restored(self, org: str, spec: LineSource, models: Models, why: str) -> LiveLine:
        src = spec.source
        try:
            where = str(endpoint(src.url)[0])
        except SourceRefused:
            where = src.url[:100]
        params = LineParams.of(Scenario(line=spec.line, duration_s=60))
        ing = LineIngest(models, params, trace_max=10)
        live = LiveLine(
            org,
            spec.line.id,
            uuid.uuid4().hex[:12],
            src.kind,
            1.0,
            ing,
            src.kind,
            where,
            "not restored",
            done=True,
        )
        live.problem = f"not restored after the service restarted: {why}"
        live.add({"kind": "status", "status": "not restored"})
        live.add({"kind": "error", "detail": live.problem})
        live.add({"kind": "end"})
        with self.lock:
            old = self.lines.get((org, live.line))
            if old is None or old.done:
                self._add(live)
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
            live.status = "ended"
            live.add({"kind": "end"})

    def stop(self, org: str, line: str) -> None:
        """Stop a line: a replay ends, a broker or PLC line disconnects (its raw stream is
        flushed) and is no longer kept; its streams get ``end``."""
        live = self.get(org, line)
        with self.lock:
            self.lines.pop((org, line), None)
        if live.source != "replay":
            self.book.forget(org, line)
        self._halt(live)

    def _halt(self, live: LiveLine) -> None:
        live.stop.set()
        if live.feed is not None:
            live.feed.close()
            with live.ingest.lock:
                live.ingest.close()  # the raw stream's last rows to Parquet
            live.done, live.status = True, "stopped"
            live.add({"kind": "end"})

    def close(self) -> None:
        """Stop every line (the service is stopping); broker and PLC lines stay kept, to be
        restored at the next start."""
        with self.lock:
            self.closed = True
            lines = list(self.lines.values())
            self.lines.clear()
        for live in lines:
            self._halt(live)

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
        sink: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Label an alarm: the line's models adapt (a new version is kept) and the label
        record, with the alarm's evidence, goes to ``sink`` (the service's database) before
        the line's streams hear of it."""
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
        if sink is not None:
            sink(rec)
        live.add({"kind": "label", "id": alarm_id, "label": label, "model_version": version})
        return rec


def _feed(spec: LineSource, live: LiveLine, url: str, auth: BrokerAuth | None = None) -> Any:
    """The transport's client for a line (it connects in its own thread); ``auth``: the
    administrator's credentials and TLS for an MQTT broker."""
    src = spec.source
    if src.kind == "mqtt":
        from junkan.sensing.mqtt import LineFeed

        return LineFeed(
            url,
            live.line,
            live.ingest,
            topic=live.reads,
            protocol=src.protocol,
            auth=auth,
            on_status=live.set_status,
        )
    from junkan.sensing.opcua import OpcuaIngest

    return OpcuaIngest(
        url,
        live.ingest.models,
        live.ingest.params,
        [live.line],
        publish_ms=src.publish_ms,
        ingest=live.ingest,
        on_status=live.set_status,
    )


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
