"""Live clamp readings validated, converted to power and segmented as they arrive.

:class:`Stream` is the streaming counterpart of ``from_frame`` + ``segment``: each batch of one
circuit's readings (an MQTT message of :mod:`junkan.metering.live`, or arrays from a Modbus
poller) is checked row by row with the CSV import's rules, turned into real power with the same
formulas and assumptions, clock-corrected, and fed to that circuit's
:class:`~junkan.metering.online.OnlineSegmenter`, which emits final segments a few seconds
after each load change. Nothing is silently dropped: a refused message, a batch declared
missing by the ordering, a reading of an unknown circuit, with a negative / missing / absurd
current, voltage or power factor out of range, a time that is not later than the circuit's
previous reading (clock jump backwards, duplicate), or an implausible jump forward (a corrupt
stamp: :mod:`junkan.metering.stamps`, the CSV import's rule, which holds a circuit's first
readings and a forward jump until the readings after them show what they are; once the stream
is closed, its verdicts are the CSV import's on the same readings) goes to the quarantine with its
source and reason (detail rows kept up to ``max_quarantine``; the counts per reason always).
The accepted readings are kept raw per circuit (``keep_raw``) for the import path and the
provenance.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from junkan.metering.config import MAX_VOLTAGE_V, Electrical, MeteringError, Plant, electrical
from junkan.metering.ingest import MAX_CURRENT_A, PHASE_COLS, power_w
from junkan.metering.live import parse_message
from junkan.metering.online import OnlineSegmenter
from junkan.metering.segment import Segment, Segmentation
from junkan.metering.stamps import Clock, judge

if TYPE_CHECKING:
    from junkan.sensing import Batch, Reorder


@dataclass
class _Circuit:
    seg: OnlineSegmenter
    t_first: float | None = None
    last_t: float = -np.inf
    last_p: float = np.nan
    energy_wh: float = 0.0
    readings: int = 0
    raw: list[dict[str, np.ndarray]] = field(default_factory=list)
    assumptions: dict[str, str] = field(default_factory=dict)
    clock: Clock = field(default_factory=Clock)
    """The time rule's state (:mod:`junkan.metering.stamps`)."""
    held: dict[str, np.ndarray] = field(default_factory=dict)
    """Value-checked readings waiting for the ones after them (a forward jump, or the first
    readings: :mod:`junkan.metering.stamps`): t, cur, volt, pf, src."""


class Stream:
    """Per circuit of ``plant``: validation → power → online segmentation (see module)."""

    def __init__(
        self,
        plant: Plant,
        ref: Electrical | None = None,
        *,
        keep_raw: bool = True,
        max_quarantine: int = 100_000,
        max_wait: int = 20,
        max_wait_s: float = 2.0,
        **segmenter: Any,
    ) -> None:
        self.plant, self.ref = plant, ref or electrical()
        self.keep_raw, self.max_quarantine = keep_raw, max_quarantine
        self.circuits = {
            cid: _Circuit(
                OnlineSegmenter(
                    cid,
                    max_gap_s=c.max_gap_s,
                    idle_w=c.idle_w,
                    **segmenter,
                )
            )
            for cid, c in plant.circuits.items()
        }
        self.quarantine: list[dict[str, Any]] = []
        self.reasons: Counter[str] = Counter()
        self.order: dict[str, Reorder] = {}
        self.max_wait, self.max_wait_s = max_wait, max_wait_s

    # -- quarantine ------------------------------------------------------------------------
    def reject(self, source: str, reason: str, circuit: str = "", t: float | None = None) -> None:
        self.reasons[reason] += 1
        if len(self.quarantine) < self.max_quarantine:
            self.quarantine.append({"source": source, "circuit": circuit, "t": t, "reason": reason})

    def quarantine_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.quarantine, columns=["source", "circuit", "t", "reason"])

    # -- input -----------------------------------------------------------------------------
    def push_message(self, payload: bytes | str, source: str = "message") -> list[Segment]:
        """One MQTT message (:func:`junkan.metering.live.parse_message`), put in order per
        station × circuit; returns the segments that became final."""
        try:
            b = parse_message(payload)
        except MeteringError as exc:
            self.reject(source, str(exc))
            return []
        ro = self.order.get(b.line)
        if ro is None:
            from junkan.sensing import Reorder

            ro = self.order[b.line] = Reorder(max_wait=self.max_wait, max_wait_s=self.max_wait_s)
        out: list[Segment] = []
        for item in ro.push(b):
            if isinstance(item, int):
                self.reject(b.line, f"batch seq {item} missing (never arrived)")
            else:
                out += self._batch(item, source)
        return out

    def _batch(self, b: Batch, source: str) -> list[Segment]:
        v = b.values
        return self.push(
            b.line.split("/", 1)[1],
            v["t"],
            current_a=v.get("current_a"),
            phases=[v[c] for c in PHASE_COLS] if all(c in v for c in PHASE_COLS) else None,
            voltage_v=v.get("voltage_v"),
            power_factor=v.get("power_factor"),
            source=source,
        )

    def push(
        self,
        circuit: str,
        t: np.ndarray,
        *,
        current_a: np.ndarray | None = None,
        phases: list[np.ndarray] | None = None,
        voltage_v: np.ndarray | None = None,
        power_factor: np.ndarray | None = None,
        source: str = "push",
    ) -> list[Segment]:
        """Readings of one circuit (sensor-clock seconds; NaN voltage / PF = not measured)."""
        t = np.asarray(t, float)
        n = len(t)
        st = self.circuits.get(circuit)
        if st is None:
            for x in t:
                self.reject(source, "circuit: unknown (not in the circuits file)", circuit, x)
            return []
        cur = _line_current(n, current_a, phases)
        volt = np.full(n, np.nan) if voltage_v is None else np.asarray(voltage_v, float)
        pf = np.full(n, np.nan) if power_factor is None else np.asarray(power_factor, float)
        reason = np.full(n, "", dtype=object)

        def flag(mask: np.ndarray, why: str) -> None:
            reason[mask & (reason == "")] = why

        flag(~np.isfinite(t), "time: not a number")
        flag(~np.isfinite(cur), "current: missing or not a number")
        flag(cur < 0, "current: negative")
        flag(cur > MAX_CURRENT_A, f"current: above {MAX_CURRENT_A:g} A")
        flag((volt <= 0) | (volt > MAX_VOLTAGE_V), f"voltage_v: outside (0, {MAX_VOLTAGE_V:g}] V")
        flag((pf < 0) | (pf > 1), "power_factor: outside [0, 1]")
        ok = reason == ""
        for i in np.flatnonzero(~ok):
            self.reject(source, str(reason[i]), circuit, float(t[i]))
        new = {"t": t[ok], "cur": cur[ok], "volt": volt[ok], "pf": pf[ok],
               "src": np.full(int(ok.sum()), source, dtype=object)}
        if st.held:
            new = {k: np.concatenate([st.held[k], v]) for k, v in new.items()}
        return self._judge(st, circuit, new, final=False)

    def _judge(
        self, st: _Circuit, circuit: str, r: dict[str, np.ndarray], final: bool
    ) -> list[Segment]:
        """The time rules (:func:`~junkan.metering.stamps.judge`) on value-checked
        readings ``r``: accept, quarantine, or hold them for the readings after them."""
        why, n = judge(r["t"], st.clock, final)
        st.held = {k: v[n:] for k, v in r.items()} if n < len(r["t"]) else {}
        for i in np.flatnonzero(why != ""):
            self.reject(str(r["src"][i]), str(why[i]), circuit, float(r["t"][i]))
        ok = np.flatnonzero(why == "")
        if not len(ok):
            return []
        return self._accept(st, circuit, r["t"][ok], r["cur"][ok], r["volt"][ok], r["pf"][ok])

    def _accept(
        self,
        st: _Circuit,
        circuit: str,
        t_raw: np.ndarray,
        cur: np.ndarray,
        volt: np.ndarray,
        pf: np.ndarray,
    ) -> list[Segment]:
        c = self.plant.circuits[circuit]
        p, assumptions = power_w(c, self.ref, cur, volt, pf)
        st.assumptions |= assumptions
        if st.t_first is None:
            st.t_first = float(t_raw[0])
        t = t_raw - c.clock_offset_s - c.clock_drift_ppm * 1e-6 * (t_raw - st.t_first)
        tp = np.concatenate([[st.last_t], t])
        pp = np.concatenate([[st.last_p], p])
        dt = np.diff(tp)
        with np.errstate(invalid="ignore"):
            inc = np.where(
                (dt <= c.max_gap_s) & np.isfinite(pp[:-1]), 0.5 * (pp[1:] + pp[:-1]) * dt, 0.0
            )
        st.energy_wh += float(inc.sum()) / 3600.0
        st.last_t, st.last_p = float(t[-1]), float(p[-1])
        st.readings += len(t)
        if self.keep_raw:
            st.raw.append({"t_raw": t_raw, "current_a": cur, "voltage_v": volt, "pf": pf})
        return st.seg.push(t, p)

    # -- output ----------------------------------------------------------------------------
    def close(self) -> dict[str, Segmentation]:
        """End of stream: batches still waiting for a missing one are released in order (the
        missing ones quarantined), then every circuit's remaining segments are emitted."""
        for line, ro in self.order.items():
            while ro.pending:
                if ro.next in ro.pending:
                    self._batch(ro.pending.pop(ro.next), line)
                else:
                    self.reject(line, f"batch seq {ro.next} missing (never arrived)")
                ro.next += 1
        for cid, st in self.circuits.items():
            if st.held:
                self._judge(st, cid, st.held, final=True)
            st.seg.flush()
        return self.segmentations()

    def segmentations(self) -> dict[str, Segmentation]:
        return {cid: st.seg.segmentation() for cid, st in self.circuits.items() if st.readings}

    def raw_frame(self, circuit: str) -> pd.DataFrame:
        """The accepted readings of ``circuit`` as received (sensor clock)."""
        parts = self.circuits[circuit].raw
        if not parts:
            return pd.DataFrame(
                columns=["time", "circuit", "current_a", "voltage_v", "power_factor"]
            )
        cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        return pd.DataFrame(
            {
                "time": cat["t_raw"],
                "circuit": circuit,
                "current_a": cat["current_a"],
                "voltage_v": cat["voltage_v"],
                "power_factor": cat["pf"],
            }
        )

    def summary(self) -> dict[str, Any]:
        return {
            "circuits": {
                cid: {
                    "readings": st.readings,
                    "kwh": round(st.energy_wh / 1000, 6),
                    "segments": len(st.seg.done),
                    "assumptions": st.assumptions,
                }
                for cid, st in self.circuits.items()
                if st.readings
            },
            "held": {cid: len(st.held["t"]) for cid, st in self.circuits.items() if st.held},
            "quarantined": sum(self.reasons.values()),
            "quarantine_reasons": dict(self.reasons),
        }


def _line_current(
    n: int, current_a: np.ndarray | None, phases: list[np.ndarray] | None
) -> np.ndarray:
    """``current_a``; where it is NaN, the mean of the phase currents (as in the CSV import)."""
    cur = np.full(n, np.nan) if current_a is None else np.asarray(current_a, float)
    if phases is not None:
        ph = np.stack([np.asarray(x, float) for x in phases])
        mean = np.where((ph < 0).any(axis=0), -1.0, ph.mean(axis=0))
        cur = np.where(np.isnan(cur), mean, cur)
    if len(cur) != n:
        raise MeteringError(f"current: {len(cur)} values for {n} times")
    return cur
