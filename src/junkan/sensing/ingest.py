"""The transport-independent side of ingest: every transport (MQTT, OPC UA, an in-process
replay) hands parsed :class:`~junkan.sensing.samples.Batch` es to one :class:`LineIngest`,
which puts each line in order (:class:`~junkan.sensing.samples.Reorder`), keeps the raw stream
(:class:`~junkan.sensing.store.RawStore`), runs the line's
:class:`~junkan.sensing.monitor.Monitor` and tells listeners (a live stream) about each
decision step and alarm, and an ``on_action`` hook about every action the line's monitor
takes (an alarm's onset, each escalation or step down, and its clearing). A malformed message
is counted with its reason and never stops a line; a reading outside its channel's range is
read as missing and reported (line, seq, field, frames, value) while the rest of its batch is
kept."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypedDict

from junkan.sensing.fusion import ACTIONS, Decision
from junkan.sensing.monitor import Alarm, Models, Monitor
from junkan.sensing.reorder import Reorder
from junkan.sensing.samples import Batch
from junkan.sensing.store import RawStore

log = logging.getLogger("junkan.sensing.ingest")
MAX_LINES = 200
"""Lines one ingest monitors at most; batches of further lines are rejected."""
MAX_REJECTED = 1000
"""Rejection reasons (and readings read as missing) kept (the oldest are dropped)."""
MASKED_LOG_S = 1.0
"""Readings read as missing are logged at most once a second per line (all are counted,
kept and told to listeners)."""

Listener = Callable[[str, dict[str, Any]], None]
"""``(line, event)``; event ``{"kind": "step"|"alarm"|"quarantined", ...}`` (a quarantined
message has line ``""``, its ``where`` and ``reason``; a reading read as missing is a
``quarantined`` event of its line, ``where`` naming the line and seq); must not block."""
ActionHook = Callable[[str, dict[str, Any]], None]
"""``(line, change)`` for every action a line's monitor takes: ``change`` is
``{"change": "onset"|"escalation"|"step down"|"clear", "alarm", "t", "action", "level",
"previous", "evidence", "start"}`` (``t`` and ``start`` in the batches' time)."""


class IngestOptions(TypedDict, total=False):
    """What a transport's ingest passes on to its :class:`LineIngest`."""

    store: RawStore | None
    max_wait: int
    max_wait_s: float
    trace_max: int
    on_alarm: Callable[[str, Any], None] | None
    on_action: ActionHook | None


class LineIngest:
    """Ordered batches of every line → raw store → the line's monitor → listeners."""

    def __init__(
        self,
        models: Models,
        params: Any,
        *,
        store: RawStore | None = None,
        max_wait: int = 50,
        max_wait_s: float = 5.0,
        trace_max: int = 6000,
        on_alarm: Callable[[str, Any], None] | None = None,
        on_action: ActionHook | None = None,
        ask_backfill: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.models, self.params, self.store = models, params, store
        self.max_wait, self.max_wait_s, self.trace_max = max_wait, max_wait_s, trace_max
        self.on_alarm = on_alarm
        self.on_action = on_action
        self.ask_backfill = ask_backfill
        self.monitors: dict[str, Monitor] = {}
        self.order: dict[str, Reorder] = {}
        self.processed_at: dict[tuple[str, int], float] = {}
        self.malformed: list[str] = []
        self.masked: list[str] = []
        """Readings read as missing (out of range), ``line L1 seq 42: values.lel[3]: …``
        (the last :data:`MAX_REJECTED`; ``masked_count`` counts them all)."""
        self.masked_count = 0
        self._masked_log: dict[str, tuple[float, int]] = {}
        self.listeners: list[Listener] = []
        self.lock = threading.Lock()

    def reject(self, where: str, reason: str) -> None:
        """Count and log a malformed message; the line goes on."""
        with self.lock:
            self.malformed.append(reason)
            del self.malformed[:-MAX_REJECTED]
        log.warning("malformed message on %s dropped: %s", where[:80], reason)
        self._tell("", {"kind": "quarantined", "where": where[:120], "reason": reason[:300]})

    def accept(self, b: Batch) -> None:
        with self.lock:
            self._accept(b)

    def resume_points(self) -> dict[str, int]:
        """The next sequence number each line waits for (to ask a backfill from when the
        connection comes back). A line resumed (:meth:`resume`) that has seen no batch yet is
        left out: its first batch shows the gap, asked for then, once (asked for here as well,
        everything its gateway published meanwhile would come twice)."""
        with self.lock:
            return {line: ro.next for line, ro in self.order.items() if ro.stats.accepted}

    def resume(self, line: str) -> tuple[int, float] | None:
        """Go on with ``line`` from the last batch its raw store holds in order (a line
        restored after the service restarted; call it before its first batch): the next
        ``seq`` expected is the one after, so the batches its gateway published meanwhile
        are a gap, asked for when its first batch comes. What was stored (``seq``, time), or
        ``None`` — nothing stored, no store: the line starts at the first ``seq`` it sees, as a
        new line does."""
        last = self.store.last_stored(line) if self.store is not None else None
        if last is None:
            return None
        with self.lock:
            ro = self._line(line)
            if ro is not None and not ro.stats.accepted:
                ro.resume(*last)
                log.info("line %s goes on after seq %d, stored before", line, last[0])
        return last

    def _line(self, line: str) -> Reorder | None:
        """The line's reorder buffer, made with its monitor for a line not seen before
        (``None`` past :data:`MAX_LINES`)."""
        ro = self.order.get(line)
        if ro is None:
            if len(self.order) >= MAX_LINES:
                self.malformed.append(f"line {line}: more than {MAX_LINES} lines")
                return None
            ro = self.order[line] = Reorder(
                max_wait=self.max_wait,
                max_wait_s=self.max_wait_s,
                first_seq=None,  # from the first seq seen: the gateway may have run for days
                on_gap=self._gap_asker(line),
                on_late=self._keep_late,
            )
            self.monitors[line] = Monitor(self.models, self.params, line, trace_max=self.trace_max)
        return ro

    def _accept(self, b: Batch) -> None:
        ro = self._line(b.line)
        if ro is None:
            return
        if b.masked and b.seq >= ro.next and b.seq not in ro.pending:  # not a duplicate
            self._report_masked(b)
        restarts = ro.stats.restarts
        released = ro.push(b)
        if ro.stats.restarts != restarts:
            why = ro.stats.last_restart or ""
            log.warning("line %s: a new stream starts at seq %d: %s", b.line, b.seq, why)
            event = {"kind": "restart", "seq": b.seq, "reason": why, "count": ro.stats.restarts}
            self._tell(b.line, event)
        self._run(self.monitors[b.line], released)

    def _keep_late(self, b: Batch) -> None:
        """A batch the monitor has moved past: kept in the raw store, marked late."""
        if self.store is not None:
            self.store.add(b, late=True)

    def _run(self, mon: Monitor, released: list[Batch | int]) -> None:
        """Released batches → raw store → the line's monitor → listeners and hooks."""
        for item in released:
            if isinstance(item, int):
                continue  # declared missing: the monitor holds its last values
            if self.store is not None:
                self.store.add(item)
            n_alarms = len(mon.alarms)
            dec = mon.process(item.t, item.values)
            self.processed_at[(item.line, item.seq)] = time.monotonic()
            self._tell(item.line, {"kind": "step", "seq": item.seq, **_last_step(mon)})
            if len(mon.alarms) > n_alarms:
                alarm = mon.alarms[-1]
                self._tell(item.line, {"kind": "alarm", **alarm.as_dict()})
                if self.on_alarm is not None:
                    self.on_alarm(item.line, alarm)
            if dec is not None and self.on_action is not None and _ours(mon, dec):
                self._hook(self.on_action, item.line, action_change(mon.alarms[-1], dec))

    def sequence(self, line: str) -> dict[str, Any] | None:
        """The line's ordering counts (:meth:`~junkan.sensing.reorder.Reorder.summary`)."""
        with self.lock:
            ro = self.order.get(line)
            return ro.summary() if ro is not None else None

    def _report_masked(self, b: Batch) -> None:
        for note in b.masked:
            self._masked(b.line, f"line {b.line} seq {b.seq}", note)

    def report_masked(self, line: str, where: str, note: str) -> None:
        """Count, log and tell listeners about a reading read as missing (the rest of its
        batch kept): ``where`` names the line and batch, ``note`` the field, frames and
        value."""
        with self.lock:
            self._masked(line, where, note)

    def _masked(self, line: str, where: str, note: str) -> None:
        self.masked.append(f"{where}: {note}")
        del self.masked[:-MAX_REJECTED]
        self.masked_count += 1
        now = time.monotonic()
        last, quiet = self._masked_log.get(line, (-MASKED_LOG_S, 0))
        if now - last >= MASKED_LOG_S:  # a sensor stuck out of range must not flood the log
            more = f" ({quiet} more on this line in the last second)" if quiet else ""
            log.warning("%s: %s; the rest of the batch kept%s", where, note, more)
            self._masked_log[line] = (now, 0)
        else:
            self._masked_log[line] = (last, quiet + 1)
        self._tell(line, {"kind": "quarantined", "where": where[:120], "reason": note[:300]})

    @staticmethod
    def _hook(fn: ActionHook, line: str, change: dict[str, Any]) -> None:
        try:
            fn(line, change)
        except Exception:  # a hook's failure never stops the line
            log.exception("sensing action hook failed")

    def _gap_asker(self, line: str) -> Callable[[int, int], None]:
        def gap(first: int, last: int) -> None:  # the transport's, when it asks
            ask = self.ask_backfill  # set by a transport made after the line (resume)
            if ask is not None:
                ask(line, first, last)

        return gap

    def _tell(self, line: str, event: dict[str, Any]) -> None:
        for fn in self.listeners:
            try:
                fn(line, event)
            except Exception:  # a listener's failure never stops the line
                log.exception("sensing listener failed")

    def close(self) -> None:
        """The stream ends: batches still waiting for a missing one are released in order
        (to the raw store and the monitor), and the raw store is written."""
        for line, ro in self.order.items():
            self._run(self.monitors[line], ro.drain())
        if self.store is not None:
            self.store.flush()


def _ours(mon: Monitor, dec: Decision) -> bool:
    """The decision is the last one of the line's last alarm (every decision is)."""
    return bool(mon.alarms and mon.alarms[-1].decisions[-1:] == [dec.as_dict()])


def action_change(alarm: Alarm, dec: Decision) -> dict[str, Any]:
    """What a decision did to its alarm (the last of the line's alarms): its ``onset``, an
    ``escalation`` or ``step down`` of the action, or its ``clear`` (back to ``none``)."""
    prev = ACTIONS.index(alarm.decisions[-2]["action"]) if len(alarm.decisions) > 1 else 0
    if len(alarm.decisions) <= 1:
        change = "onset"
    elif dec.level == 0:
        change = "clear"
    else:
        change = "escalation" if dec.level > prev else "step down"
    return {
        "change": change,
        "alarm": alarm.id,
        "t": dec.t,
        "action": dec.action,
        "level": dec.level,
        "previous": ACTIONS[prev],
        "evidence": [e.as_dict() for e in dec.evidence],
        "start": alarm.start,
    }


def _last_step(mon: Monitor) -> dict[str, Any]:
    if not mon.trace:
        return {}
    row = mon.trace[-1]
    keep = ("t", "action", "current", "droop", "load", "lel", "sparks", "ac_high")
    out: dict[str, Any] = {k: round(float(row[k]), 4) for k in keep if k in row}
    out["confidence"] = {k[2:]: round(v, 3) for k, v in row.items() if k.startswith("p_")}
    return out
