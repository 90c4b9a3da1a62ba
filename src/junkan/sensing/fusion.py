"""Fusion of the detectors' scores into advisory actions, with the evidence for each.

Actions, from mild to severe: ``slow_feed`` → ``stop_feed`` → ``reverse`` →
``request_emergency_stop``. The monitor *advises*: the hard-wired safety chain (LEL relays,
spark extinguishing, explosion suppression) acts on its own, and its alarm (channel
``hw_alarm``) is only read here, never replaced. An action steps down only after the
conditions for it have been clear for ``hold_s`` seconds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from junkan.sensing.features import STEP
from junkan.sensing.scenario import ref

ACTIONS = ("none", "slow_feed", "stop_feed", "reverse", "request_emergency_stop")


@dataclass
class Evidence:
    source: str
    signal: str
    value: float
    threshold: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "signal": self.signal,
            "value": round(self.value, 4),
            "threshold": round(self.threshold, 4),
        }


@dataclass
class Decision:
    t: float
    action: str
    level: int
    evidence: list[Evidence] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "t": round(self.t, 3),
            "action": self.action,
            "evidence": [e.as_dict() for e in self.evidence],
        }


class Fusion:
    def __init__(self, hold_s: float = 2.0) -> None:
        self.hold = max(1, round(hold_s / STEP))
        self.reverse_after = round(ref("rules", "reverse_after_s") / STEP)
        self.level = 0
        self._below = 0
        self._jam_steps = 0
        self._esn_steps = 0
        self.esn_persist = 5  # an unexplained anomaly must last 0.5 s (not a door slam)

    def reset(self) -> None:
        self.level, self._below, self._jam_steps, self._esn_steps = 0, 0, 0, 0

    def wanted(
        self, scores: dict[str, dict[str, float]], thresholds: dict[str, float], hw_alarm: bool
    ) -> tuple[int, list[Evidence]]:
        """The level the evidence asks for now, and the evidence for that level."""
        r = scores["rules"]
        b = scores.get("battm", {})
        if b.get("gated"):
            b = {}
        e = scores.get("esn", {})
        bt = thresholds.get("battm", 1.0)
        ev: dict[int, list[Evidence]] = {i: [] for i in range(5)}

        def add(level: int, source: str, signal: str, value: float, thr: float) -> None:
            ev[level].append(Evidence(source, signal, value, thr))

        if hw_alarm:
            add(4, "hardwired", "hw_alarm", 1.0, 1.0)
        if r["lel_stop"]:
            add(4, "rules", "lel_stop", r["lel_stop"], 1.0)
        if r["sparks"] and r["lel_warn"]:
            add(4, "rules", "sparks+lel_warn", 1.0, 1.0)
        jam = (r["current"] and r["droop"]) or b.get("p_jam", 0) >= bt
        self._jam_steps = self._jam_steps + 1 if jam else 0
        if self._jam_steps >= self.reverse_after:
            add(3, "fusion", "jam_held_s", self._jam_steps * STEP, self.reverse_after * STEP)
        for name in ("lel_warn", "sparks"):
            if r[name]:
                add(2, "rules", name, r[name], 1.0)
        # high current alone is the feed controller's business (decoys raise it too); with
        # the load observer over its limit it is an overload: stop the feed
        if r["current"] and r.get("load"):
            add(2, "rules", "current+load", r["load_value"], r["load_limit"])
        if b.get("p_jam", 0) >= bt:
            add(2, "battm", "p_jam", b["p_jam"], bt)
        if b.get("p_overload", 0) >= bt:
            add(1, "battm", "p_overload", b["p_overload"], bt)
        esn_on = e.get("score", 0) >= thresholds.get("esn", float("inf"))
        self._esn_steps = self._esn_steps + 1 if esn_on else 0
        if self._esn_steps >= self.esn_persist:
            add(1, "esn", "score", e["score"], thresholds["esn"])
        if r["droop"]:
            add(1, "rules", "droop", r["droop"], 1.0)
        if r.get("load"):
            add(1, "rules", "load", r["load_value"], r["load_limit"])
        level = max((i for i in range(5) if ev[i]), default=0)
        return level, ev[level]

    def step(
        self,
        t: float,
        scores: dict[str, dict[str, float]],
        thresholds: dict[str, float],
        hw_alarm: bool = False,
    ) -> Decision | None:
        """Advance one decision step; a :class:`Decision` when the action changes."""
        want, evidence = self.wanted(scores, thresholds, hw_alarm)
        if want > self.level:
            self.level, self._below = want, 0
            return Decision(t, ACTIONS[want], want, evidence)
        if want < self.level:
            self._below += 1
            if self._below >= self.hold:
                self.level, self._below = want, 0
                return Decision(t, ACTIONS[want], want, evidence)
        else:
            self._below = 0
        return None
