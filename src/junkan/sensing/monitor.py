"""The monitor of one line: ordered batches → decision vector → detectors → fusion → alarms,
with the operator's loop (acknowledge, label; labels adapt the models, every version kept).

:func:`train` builds the detectors from tuning recordings (class means, readouts, baselines)
and calibrates their thresholds on the quiet stretches of those recordings."""

from __future__ import annotations

import copy
import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from junkan.sensing.battm import BAttM
from junkan.sensing.detectors import (
    Cusum,
    Detector,
    RobustZ,
    Rules,
    load_statistic,
    rice_level,
)
from junkan.sensing.features import BATCH, FEATURES, STEP, FeatureState, decision_matrix
from junkan.sensing.fusion import ACTIONS, Decision, Fusion
from junkan.sensing.generator import LineParams, Recording
from junkan.sensing.reservoir import Reservoir
from junkan.sensing.scenario import STATES, State, ref

DETECTORS = ("rules", "battm", "esn", "cusum", "robust_z")
GATED = ("esn", "cusum", "robust_z")
"""Scorers trained on normal running: they score only while the line feeds with the rotor up
to speed (0 otherwise), and start afresh when it does again."""
LABELS = ("confirmed", "false_alarm")


@dataclass
class Models:
    """The trained detectors of a line; ``version`` grows with every change."""

    detectors: dict[str, Any]
    version: int = 1
    _was_running: bool = False

    def fresh(self) -> Models:
        m = copy.deepcopy(self)
        for d in m.detectors.values():
            d.reset()
        return m

    def score(self, t: float, x: np.ndarray, running: bool) -> dict[str, dict[str, float]]:
        """Every detector's scores for one decision vector."""
        out: dict[str, dict[str, float]] = {}
        for k, d in self.detectors.items():
            if k in GATED and not running:
                if self._was_running:
                    d.reset()
                out[k] = {"score": 0.0}
            else:
                out[k] = d.update(t, x)
        if not running:  # overload and jam are states of a running line
            out["battm"] = {**out["battm"], "score": 0.0, "gated": 1.0}
        self._was_running = running
        return out

    def thresholds(self) -> dict[str, float]:
        return {k: float(d.threshold) for k, d in self.detectors.items()}

    def params(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "detectors": {k: d.params() for k, d in self.detectors.items()},
        }


def step_labels(rec: Recording) -> np.ndarray:
    """The true state at the end of each decision step."""
    n = len(rec.t) // BATCH
    return np.asarray(rec.state[BATCH - 1 : n * BATCH : BATCH])


def quiet_mask(rec: Recording, margin_s: float = 5.0) -> np.ndarray:
    """Decision steps of normal or idle running away from every event and sensor fault."""
    n = len(rec.t) // BATCH
    t = (np.arange(n) + 1) * STEP
    lab = step_labels(rec)
    ok = np.isin(lab, [STATES.index(State.IDLE), STATES.index(State.NORMAL)])
    base = np.asarray(rec.state[BATCH - 1 : n * BATCH : BATCH])
    changes = t[1:][np.diff(base) != 0]
    for c in [0.0, *changes.tolist()]:
        ok &= ~((t >= c) & (t <= c + 15))  # start-ups and load changes settle
    for e in rec.events:
        ok &= ~((t >= e.onset_s - 1) & (t <= e.end_s + margin_s))
    for _, _, a, b in rec.faults:
        ok &= ~((t >= a - 1) & (t <= b + margin_s))
    return np.asarray(ok)


def train(recs: list[Recording], *, margin: float = 1.25, seed: int = 0) -> Models:
    """Detectors fitted and calibrated on tuning recordings (never on evaluation seeds)."""
    mats = [decision_matrix(r.signals, _params(r)) for r in recs]
    Xs = [x for x, _ in mats]
    labels = [step_labels(r) for r in recs]
    X, lab = np.vstack(Xs), np.concatenate(labels)
    keep = lab >= 0
    battm = BAttM(tuple(s.value for s in STATES)).fit(X[keep], lab[keep])
    normal = [
        x[q & r & (lb == STATES.index(State.NORMAL))]
        for (x, r), q, lb in zip(mats, (quiet_mask(r) for r in recs), labels, strict=True)
    ]
    xn = np.vstack(normal)
    esn = Reservoir(seed=seed).fit(np.vstack([n for n in normal if len(n)]))
    rules = Rules()
    rules.set_load_limit(*load_limit(recs, mats, labels))
    models = Models(
        {
            "rules": rules,
            "battm": battm,
            "esn": esn,
            "cusum": Cusum().fit(xn),
            "robust_z": RobustZ().fit(xn),
        }
    )
    quiet_max = {k: 0.0 for k in ("esn", "cusum", "robust_z")}
    fault_conf = 0.0
    for rec, (x, run) in zip(recs, mats, strict=True):
        m = models.fresh()
        q = quiet_mask(rec)
        for i, row in enumerate(x):
            sc = m.score(i * STEP, row, bool(run[i]))
            if q[i]:
                for k in quiet_max:
                    quiet_max[k] = max(quiet_max[k], sc[k]["score"])
                fault_conf = max(fault_conf, sc["battm"]["score"])
    for k, v in quiet_max.items():
        models.detectors[k].threshold = max(v * margin, 1e-6)
    battm.threshold = float(min(0.95, max(0.5, fault_conf + 0.05)))
    models.version += 1
    return models


def load_limit(
    recs: list[Recording], mats: list[tuple[np.ndarray, np.ndarray]], labels: list[np.ndarray]
) -> tuple[float, dict[str, float]]:
    """The load rule's limit from the false-alarm budget: the level its statistic crosses
    upwards once per ``budget / safety`` of normal running (Rice's formula on the quiet normal
    running of the tuning recordings), and at least 1.1 × the largest value in their normal
    running with decoys and door slams (hard negatives)."""
    li = FEATURES.index("load")
    per_8h = ref("rules", "false_alarm_budget_per_8h") / ref("rules", "false_alarm_safety")
    rate = per_8h / (8 * 3600 / STEP)
    stretches, worst = [], 0.0
    for rec, (x, run), lab in zip(recs, mats, labels, strict=True):
        normal = run & (lab == STATES.index(State.NORMAL))
        q = quiet_mask(rec) & normal
        edges = np.flatnonzero(np.diff(np.concatenate([[0], q.astype(int), [0]])))
        stat = load_statistic(np.concatenate([[np.nan], x[:-1, li]]), x[:, li])
        stretches += [stat[a:b] for a, b in zip(edges[::2], edges[1::2], strict=True)]
        anomalous = np.zeros(len(x), dtype=bool)
        t = (np.arange(len(x)) + 1) * STEP
        for e in rec.events:
            if e.anomaly:
                anomalous |= (t >= e.onset_s - 1) & (t <= e.end_s + 5)
        ok = normal & ~anomalous
        worst = max(worst, float(stat[ok].max(initial=0.0)))
    level, fit = rice_level(stretches, rate)
    fit.update({"rice_level": level, "largest_normal": worst})
    return max(level, 1.1 * worst), fit


def _params(rec: Recording) -> LineParams:
    if rec.params is None:
        raise ValueError(f"recording of line {rec.line} has no line parameters")
    return rec.params


@dataclass
class Alarm:
    id: int
    line: str
    start: float
    action: str
    level: int
    evidence: list[dict[str, Any]]
    end: float | None = None
    decisions: list[dict[str, Any]] = field(default_factory=list)
    acknowledged: bool = False
    label: str | None = None
    features: np.ndarray | None = None
    n: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "line": self.line,
            "start": round(self.start, 3),
            "end": None if self.end is None else round(self.end, 3),
            "action": self.action,
            "evidence": self.evidence,
            "decisions": self.decisions,
            "acknowledged": self.acknowledged,
            "label": self.label,
        }


class Monitor:
    """One line's monitor. Feed it ordered batches (:meth:`process`); read ``alarms``,
    ``trace`` (per-step scores) and ``versions``."""

    _ids = itertools.count(1)

    def __init__(
        self,
        models: Models,
        params: LineParams,
        line: str = "L1",
        *,
        keep_trace: bool = True,
        trace_max: int | None = None,
    ) -> None:
        self.models = models.fresh()
        self.params = params
        self.line = line
        self.features = FeatureState(params)
        self.fusion = Fusion()
        self.alarms: list[Alarm] = []
        self.open: Alarm | None = None
        self.keep_trace = keep_trace
        # a live line keeps the last ``trace_max`` steps; an offline run keeps them all
        self.trace: deque[dict[str, float]] = deque(maxlen=trace_max)
        self.versions: list[dict[str, Any]] = [
            {
                "version": self.models.version,
                "t": None,
                "reason": "trained",
                "params": self.models.params(),
            }
        ]
        self._history: dict[int, Models] = {self.models.version: copy.deepcopy(self.models)}

    def process(self, t: float, values: dict[str, np.ndarray]) -> Decision | None:
        """One decision step on a batch of 100 Hz frames starting at ``t``."""
        x = self.features.vector(values)
        te = t + STEP
        scores = self.models.score(te, x, self.features.running)
        hw = "hw_alarm" in values and bool(np.nanmax(values["hw_alarm"], initial=0) >= 1)
        dec = self.fusion.step(te, scores, self.models.thresholds(), hw)
        if self.keep_trace:
            row = {
                "t": te,
                "action": float(self.fusion.level),
                **{f: float(v) for f, v in zip(FEATURES, x, strict=True)},
            }
            for k, s in scores.items():
                row[f"{k}_score"] = s["score"]
            row.update({k: v for k, v in scores["battm"].items() if k.startswith("p_")})
            self.trace.append(row)
        self._track(te, x, dec)
        return dec

    def _track(self, t: float, x: np.ndarray, dec: Decision | None) -> None:
        if self.open is not None:
            self.open.n += 1
            assert self.open.features is not None
            self.open.features += x
        if dec is None:
            return
        if dec.level > 0 and self.open is None:
            self.open = Alarm(
                next(self._ids),
                self.line,
                dec.t,
                dec.action,
                dec.level,
                [e.as_dict() for e in dec.evidence],
                features=x.copy(),
                n=1,
            )
            self.alarms.append(self.open)
        if self.open is not None:
            self.open.decisions.append(dec.as_dict())
            if dec.level > self.open.level:
                self.open.level, self.open.action = dec.level, dec.action
                self.open.evidence = [e.as_dict() for e in dec.evidence]
            if dec.level == 0:
                self.open.end = dec.t
                self.open = None

    def find(self, alarm_id: int) -> Alarm:
        for a in self.alarms:
            if a.id == alarm_id:
                return a
        raise KeyError(f"no alarm {alarm_id} on line {self.line}")

    def acknowledge(self, alarm_id: int) -> Alarm:
        a = self.find(alarm_id)
        a.acknowledged = True
        return a

    def label(self, alarm_id: int, label: str, state: str | None = None) -> int:
        """Label an alarm; the models adapt and a new version is kept. A false alarm moves
        the normal attractor towards what was seen and raises the thresholds of the learned
        scorers that fired; a confirmed alarm with a ``state`` (``overload``/``jam``) moves
        that state's attractor. Returns the new model version."""
        if label not in LABELS:
            raise ValueError(f"label: give one of {', '.join(LABELS)}")
        if state is not None and state not in ("overload", "jam", "normal"):
            raise ValueError("state: give overload, jam or normal")
        a = self.find(alarm_id)
        a.label = label
        assert a.features is not None
        xm = a.features / max(a.n, 1)
        det = self.models.detectors
        if label == "false_alarm":
            det["battm"].learn(xm, "normal")
            for e in a.evidence:
                if e["source"] in ("esn", "cusum", "robust_z"):
                    d = det[e["source"]]
                    d.threshold = max(d.threshold, e["value"] * 1.1)
        elif state is not None:
            det["battm"].learn(xm, state)
        self.models.version += 1
        self.versions.append(
            {
                "version": self.models.version,
                "t": a.start,
                "reason": f"alarm {a.id} labelled {label}",
                "params": self.models.params(),
            }
        )
        self._history[self.models.version] = copy.deepcopy(self.models)
        return self.models.version

    def models_at(self, version: int) -> Models:
        """The models as they were at ``version`` (to replay an alarm with them)."""
        if version not in self._history:
            raise KeyError(f"no model version {version}; kept: {sorted(self._history)}")
        return self._history[version].fresh()

    def close(self, t: float) -> None:
        if self.open is not None:
            self.open.end = t
            self.open = None


def monitor_recording(
    models: Models,
    rec: Recording,
    *,
    keep_trace: bool = True,
    progress: Callable[[float], None] | None = None,
) -> Monitor:
    """Run a fresh monitor over a whole recording, batch by batch; ``progress`` hears the
    share done (0–1) every 100 batches (10 s of recording)."""
    mon = Monitor(models, _params(rec), rec.line, keep_trace=keep_trace)
    n = len(rec.t) // BATCH
    for i in range(n):
        s = slice(i * BATCH, (i + 1) * BATCH)
        mon.process(float(rec.t[s.start]), {k: v[s] for k, v in rec.signals.items()})
        if progress is not None and i % 100 == 99:
            progress((i + 1) / n)
    mon.close(float(n * STEP))
    return mon


__all__ = [
    "ACTIONS",
    "Alarm",
    "DETECTORS",
    "Detector",
    "Models",
    "Monitor",
    "monitor_recording",
    "train",
]
