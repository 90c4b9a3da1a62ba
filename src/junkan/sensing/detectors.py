"""Detectors behind one interface, ``update(t, x) -> scores`` (``scores["score"]`` compared
with the detector's ``threshold``), and the debounce that turns a score into alarms.

* :class:`Rules` — the rule layer (thresholds from ``data/sensing/shredder.yaml``) with
  hysteresis and debounce: LEL warn / stop, current × time, rpm droop, sparks in a window;
* :class:`Cusum` — EWMA-tracked two-sided CUSUM per feature (baseline);
* :class:`RobustZ` — median/MAD z-score over a sliding minute (baseline).

The BAttM classifier and the reservoir scorer are in :mod:`junkan.sensing.battm` and
:mod:`junkan.sensing.reservoir`."""

from __future__ import annotations

from collections import deque
from typing import Any, Protocol

import numpy as np

from junkan.sensing.features import FEATURES, STEP
from junkan.sensing.scenario import ref

IX = {f: i for i, f in enumerate(FEATURES)}


class Detector(Protocol):
    name: str
    threshold: float
    version: int

    def update(self, t: float, x: np.ndarray) -> dict[str, float]: ...

    def reset(self) -> None: ...

    def params(self) -> dict[str, Any]: ...


class Latch:
    """Hysteresis and debounce for one condition: on after ``on_steps`` consecutive steps at
    or above ``on``, off after ``off_steps`` consecutive steps below ``off``."""

    def __init__(self, on: float, off: float, on_steps: int = 1, off_steps: int = 1) -> None:
        self.on, self.off, self.on_steps, self.off_steps = on, off, on_steps, off_steps
        self.active = False
        self._n = 0
        self.since = 0  # steps the condition has been active

    def __call__(self, v: float) -> bool:
        if not self.active:
            self._n = self._n + 1 if v >= self.on else 0
            if self._n >= self.on_steps:
                self.active, self._n, self.since = True, 0, 0
        else:
            self.since += 1
            self._n = self._n + 1 if v < self.off else 0
            if self._n >= self.off_steps:
                self.active, self._n = False, 0
        return self.active


class Rules:
    """The rule layer. ``score`` = the largest value/threshold ratio of an active rule (≥ 1
    while any rule is active), so it also works as a continuous score."""

    name = "rules"

    def __init__(self) -> None:
        self.threshold = 1.0
        self.version = 1
        self.warn = ref("rules", "lel_warn_pct")
        self.stop = ref("rules", "lel_stop_pct")
        self.cur = ref("rules", "feed_stop_current_share")
        drop = ref("rules", "feed_restart_drop")
        self.droop = ref("rules", "rpm_droop_share")
        self.sparks = ref("rules", "spark_count")
        window = float(_rules_raw()["spark_count"]["window_s"])
        self.window = max(1, round(window / STEP))
        self.hold = round(ref("rules", "high_current_hold_s") / STEP)
        self.load = ref("rules", "load_torque_share")  # train() recalibrates it
        self.load_fit: dict[str, float] = {}
        self.latches = {
            "lel_warn": Latch(self.warn, 0.8 * self.warn),
            "lel_stop": Latch(self.stop, 0.8 * self.stop),
            # high current matters once it lasts the manual's 0.7 s; the load observer
            # (below) sees a surge earlier
            "current": Latch(self.cur, self.cur * (1 - drop), on_steps=self.hold, off_steps=3),
            "load": Latch(self.load, 0.85 * self.load, on_steps=1, off_steps=3),
            "droop": Latch(self.droop, 0.7 * self.droop, on_steps=2, off_steps=3),
            "sparks": Latch(self.sparks, 1, off_steps=10),
        }
        self.reset()

    def reset(self) -> None:
        self.recent: deque[float] = deque(maxlen=self.window)
        self.prev_load = float("nan")
        for latch in self.latches.values():
            latch.active, latch.since = False, 0

    def update(self, t: float, x: np.ndarray) -> dict[str, float]:
        self.recent.append(float(x[IX["sparks"]]))
        prev, self.prev_load = self.prev_load, float(x[IX["load"]])
        # current and droop rules only while feeding with the rotor up to speed
        up = x[IX["running"]] > 0.5
        values = {
            "lel_warn": x[IX["lel"]],
            "lel_stop": x[IX["lel"]],
            "current": x[IX["current"]] * up,
            "load": load_statistic(prev, self.prev_load) * up,
            "droop": x[IX["droop"]] * up,
            "sparks": sum(self.recent),
        }
        out: dict[str, float] = {}
        score = 0.0
        for k, latch in self.latches.items():
            active = latch(float(values[k]))
            out[k] = float(active)
            ratio = float(values[k]) / latch.on
            score = max(score, max(ratio, 1.0) if active else min(ratio, 0.99))
        out["current_held_s"] = (
            self.latches["current"].since * STEP if self.latches["current"].active else 0.0
        )
        out["load_value"], out["load_limit"] = float(values["load"]), self.load
        out["score"] = score
        return out

    def params(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "lel_warn": self.warn,
            "lel_stop": self.stop,
            "current": self.cur,
            "load": self.load,
            "load_calibration": self.load_fit,
            "droop": self.droop,
            "sparks": self.sparks,
        }

    def set_load_limit(self, value: float, fit: dict[str, float] | None = None) -> None:
        """Set the load rule's limit (``fit``: how it was calibrated, kept in params)."""
        self.load = float(value)
        self.load_fit = dict(fit or {})
        self.latches["load"] = Latch(self.load, 0.85 * self.load, on_steps=1, off_steps=3)
        self.version += 1


def load_statistic(prev: float | np.ndarray, now: float | np.ndarray) -> Any:
    """The load rule's statistic: the load observer's mean over the last two steps (its
    white part halves in variance; a step shows after half a step on average)."""
    return (np.where(np.isnan(prev), now, prev) + now) / 2


def rice_level(x: list[np.ndarray], rate: float) -> tuple[float, dict[str, float]]:
    """The level a stationary Gaussian series crosses upwards at ``rate`` per step (Rice's
    formula: ``ν(u) = ν₀·exp(−(u − μ)²/2σ²)``, ``ν₀`` its mean-upcrossing rate, counted on
    ``x``, a list of contiguous stretches). Returns the level and the fitted figures."""
    allx = np.concatenate(x)
    mu, sd = float(allx.mean()), float(allx.std())
    ups = sum(int(np.sum((s[:-1] < mu) & (s[1:] >= mu))) for s in x if len(s) > 1)
    nu0 = ups / max(1, len(allx) - len(x))
    z = float(np.sqrt(2 * np.log(max(nu0, rate * 1.0001) / rate)))
    return mu + z * sd, {"mean": mu, "sd": sd, "nu0_per_step": nu0, "z": z}


def _rules_raw() -> dict[str, Any]:
    from junkan.sensing.scenario import reference

    rules: dict[str, Any] = reference()["rules"]
    return rules


class Cusum:
    """Two-sided CUSUM of each standardised feature against an EWMA baseline (updated only
    while quiet); ``score`` = the largest statistic."""

    name = "cusum"

    def __init__(self, k: float = 0.5, alpha: float = 0.002) -> None:
        self.k, self.alpha = k, alpha
        self.threshold = 25.0
        self.version = 0
        self.center = np.zeros(len(FEATURES))
        self.scale = np.ones(len(FEATURES))
        self.reset()

    def fit(self, X: np.ndarray) -> Cusum:
        self.center = X.mean(0)
        self.scale = np.maximum(X.std(0), 1e-3)
        self.version += 1
        self.reset()
        return self

    def reset(self) -> None:
        self.mean = self.center.copy()
        self.hi = np.zeros(len(FEATURES))
        self.lo = np.zeros(len(FEATURES))

    def update(self, t: float, x: np.ndarray) -> dict[str, float]:
        z = (x - self.mean) / self.scale
        self.hi = np.maximum(0, self.hi + z - self.k)
        self.lo = np.maximum(0, self.lo - z - self.k)
        score = float(max(self.hi.max(), self.lo.max()))
        if score < self.threshold:
            self.mean += self.alpha * (x - self.mean)
        return {"score": score}

    def params(self) -> dict[str, Any]:
        return {"version": self.version, "threshold": self.threshold, "k": self.k}


class RobustZ:
    """Largest robust z-score (median / 1.4826·MAD over the last ``window`` steps, refreshed
    every ``every`` steps); the spread never falls below a tenth of the training spread."""

    name = "robust_z"

    def __init__(self, window: int = 600, every: int = 10) -> None:
        self.window, self.every = window, every
        self.threshold = 8.0
        self.version = 0
        self.floor = np.ones(len(FEATURES))
        self.reset()

    def fit(self, X: np.ndarray) -> RobustZ:
        self.floor = np.maximum(0.1 * X.std(0), 1e-3)
        self.version += 1
        self.reset()
        return self

    def reset(self) -> None:
        self.hist: deque[np.ndarray] = deque(maxlen=self.window)
        self.med: np.ndarray | None = None
        self.mad = self.floor.copy()
        self._n = 0

    def update(self, t: float, x: np.ndarray) -> dict[str, float]:
        self.hist.append(x)
        self._n += 1
        if self.med is None or self._n % self.every == 0:
            H = np.asarray(self.hist)
            self.med = np.median(H, axis=0)
            self.mad = np.maximum(1.4826 * np.median(np.abs(H - self.med), axis=0), self.floor)
        score = float(np.max(np.abs(x - self.med) / self.mad)) if len(self.hist) > 20 else 0.0
        return {"score": score}

    def params(self) -> dict[str, Any]:
        return {"version": self.version, "threshold": self.threshold}


def alarm_intervals(
    t: np.ndarray, score: np.ndarray, threshold: float, *, on_steps: int = 2, off_steps: int = 10
) -> list[tuple[float, float]]:
    """Alarm intervals of a score: on after ``on_steps`` steps at or above ``threshold``, off
    after ``off_steps`` steps below it (debounce and hold, as the monitor's fusion does)."""
    latch = Latch(threshold, threshold, on_steps, off_steps)
    out: list[tuple[float, float]] = []
    start = None
    for ti, s in zip(t, score, strict=True):
        if latch(float(s)) and start is None:
            start = float(ti)
        elif not latch.active and start is not None:
            out.append((start, float(ti)))
            start = None
    if start is not None:
        out.append((start, float(t[-1])))
    return out
