"""A physics-based generator of a car-shredder line at 100 Hz, for honest benchmarks.

Rotor: ``J·dω/dt = a·(ω_s − ω) − T_load`` (linear slip region of an induction motor; the
flywheel makes the rpm sag gradually), solved exactly per step with :func:`scipy.signal.lfilter`
within each on/off segment; coasting when off. Motor current ``I = I₀ + (I_r − I₀)·T_m/T_r``,
clipped by the overload relay at 3·I_r. Load torque: feed × feedstock hardness (an AR(1)
process) + Poisson impacts + event torques. Acoustics: band powers (hammer-pass band, mid,
high/metallic ringing) and crest factor per 10 ms frame; :func:`synthesize_audio` turns them
into 16 kHz audio. Gas: the true %LEL of each release passes a transport delay and a
first-order lag with the sensor's t90, sampled at 1 Hz. Sparks: Poisson counts.

Events are labelled at their physical onset; ``observable_s`` is when the noise-free sensor
could first show them (onset for mechanical events and sparks, the warn-level crossing of the
lagged gas sensor for gas), so latency can be reported both ways."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from junkan.sensing.scenario import (
    ANOMALIES,
    STATES,
    Event,
    EventType,
    Scenario,
    State,
    ref,
)

DT = 0.01
"""Frame period (100 Hz)."""
CHANNELS: dict[str, str] = {
    "rpm": "rpm",
    "current": "A",
    "feed": "1",
    "lel": "%LEL",
    "sparks": "count",
    "ac_low": "dB",
    "ac_mid": "dB",
    "ac_high": "dB",
    "ac_crest": "1",
}
"""Observed channels and their units (the sample format of :mod:`junkan.sensing.samples`)."""
SPREAD = {
    "rpm": 5.0,
    "current": 0.05,
    "lel": 2.0,
    "ac_low": 3.0,
    "ac_mid": 3.0,
    "ac_high": 3.0,
    "sparks": 1.0,
}
"""A channel's normal spread (current: share of rated), the unit of a fault's ``size``."""


@dataclass(frozen=True)
class LineParams:
    rated_current: float
    rated_rpm: float
    sync_rpm: float
    inertia: float
    rated_torque: float
    no_load: float
    hammer_rows: float
    gas_tau: float
    gas_delay: float

    @classmethod
    def of(cls, sc: Scenario) -> LineParams:
        rpm = sc.line.rated_rpm or ref("line", "rated_rpm")
        slip = ref("line", "synchronous_rpm") / ref("line", "rated_rpm")
        t90 = sc.line.gas_t90_s or ref("gas", "t90_s")
        return cls(
            rated_current=sc.line.rated_current_a or ref("line", "rated_current_a"),
            rated_rpm=rpm,
            sync_rpm=rpm * slip,
            inertia=ref("line", "inertia_kgm2"),
            rated_torque=ref("line", "rated_power_kw") * 1e3 / (rpm * math.pi / 30),
            no_load=ref("line", "no_load_current_share"),
            hammer_rows=ref("line", "hammer_rows"),
            gas_tau=t90 / math.log(10),
            gas_delay=sc.line.gas_delay_s
            if sc.line.gas_delay_s is not None
            else ref("gas", "transport_delay_s"),
        )


@dataclass(frozen=True)
class TruthEvent:
    type: str
    onset_s: float
    end_s: float
    observable_s: float
    severity: float

    @property
    def anomaly(self) -> bool:
        return EventType(self.type) in ANOMALIES


@dataclass
class Recording:
    """A generated (or replayed) recording of one line: 100 Hz signals and the truth."""

    line: str
    t: np.ndarray
    signals: dict[str, np.ndarray]
    state: np.ndarray  # index into STATES per frame; -1 when unknown (replayed data)
    events: list[TruthEvent] = field(default_factory=list)
    faults: list[tuple[str, str, float, float]] = field(default_factory=list)
    params: LineParams | None = None
    band_power: np.ndarray | None = None  # (n, 3) linear band powers, for audio synthesis

    @property
    def duration(self) -> float:
        return float(len(self.t) * DT)

    def to_frame(self) -> pd.DataFrame:
        df = pd.DataFrame({"t": self.t, **self.signals})
        df["state"] = [STATES[i].value if i >= 0 else "" for i in self.state]
        return df


def generate(sc: Scenario) -> Recording:
    """Generate the recording a scenario describes (deterministic in ``sc.seed``)."""
    rng = np.random.default_rng(sc.seed)
    p = LineParams.of(sc)
    n = int(round(sc.duration_s / DT))
    t = np.arange(n) * DT
    on, load, base = _schedule(sc, n)
    events = sorted([*sc.events, *_random_events(sc, on, load, rng)], key=lambda e: e.start_s)
    torque, ring, impulse, sparks_rate, state = _event_drivers(events, t, base, p)
    hard = _ar1(rng, n, tau=3.0, sd=0.12)
    impacts = lfilter(
        [1.0], [1.0, -math.exp(-DT / 0.05)], rng.poisson(5 * DT, n) * rng.exponential(0.04, n)
    )
    t_load = (load * (1 + hard) + impacts * (load > 0) + torque + 0.03 * on) * p.rated_torque
    omega = _rotor(on, t_load, p)
    a = p.rated_torque / ((p.sync_rpm - p.rated_rpm) * math.pi / 30)
    t_motor = np.clip(a * (p.sync_rpm * math.pi / 30 - omega), 0, 2.5 * p.rated_torque) * on
    cur = p.rated_current * (p.no_load * on + (1 - p.no_load) * t_motor / p.rated_torque)
    cur = np.minimum(cur, 3 * p.rated_current) + rng.normal(0, 0.01 * p.rated_current, n) * on
    rpm = omega * 30 / math.pi + rng.normal(0, 0.8, n)
    lel_true = _gas_release(events, t)
    lel_sensor = _gas_sensor(lel_true, p)
    lel = np.full(n, np.nan)
    lel[::100] = np.round(lel_sensor[::100] + rng.normal(0, 0.3, len(lel[::100])), 1)
    lel = np.clip(lel, 0, 100)
    sparks = rng.poisson((0.05 * (load > 0) + sparks_rate) * DT).astype(float)
    bands, crest = _acoustics(rng, omega, p, load, impacts, ring, impulse, on)
    signals = {
        "rpm": np.maximum(rpm, 0),
        "current": np.maximum(cur, 0),
        "feed": np.where(load > 0, 1.0, 0.0),
        "lel": lel,
        "sparks": sparks,
        "ac_low": 10 * np.log10(bands[:, 0]),
        "ac_mid": 10 * np.log10(bands[:, 1]),
        "ac_high": 10 * np.log10(bands[:, 2]),
        "ac_crest": crest,
    }
    truth = [_truth(e, t, lel_sensor) for e in events]
    faults = _apply_faults(sc, signals, p, rng)
    return Recording(sc.line.id, t, signals, state, truth, faults, p, bands)


def _schedule(sc: Scenario, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    on, load = np.zeros(n), np.zeros(n)
    base = np.zeros(n, dtype=np.int8)
    starts = [*(int(round(s.at_s / DT)) for s in sc.schedule), n]
    for s, a, b in zip(sc.schedule, starts, starts[1:], strict=False):
        on[a:b] = s.state != "off"
        load[a:b] = s.load if s.state == "normal" else 0.0
        base[a:b] = STATES.index(State(s.state))
    return on, load, base


def _random_events(
    sc: Scenario, on: np.ndarray, load: np.ndarray, rng: np.random.Generator
) -> list[Event]:
    if sc.random is None:
        return []
    running = np.flatnonzero(load > 0) * DT
    hours = len(running) * DT / 3600
    out: list[Event] = []
    taken = [e.start_s for e in sc.events]
    for kind, rate in sc.random.per_hour.items():
        for _ in range(rng.poisson(rate * hours) if len(running) else 0):
            t0 = float(rng.choice(running[: max(1, len(running) - 6000)]))
            if all(abs(t0 - x) >= sc.random.min_gap_s for x in taken):
                taken.append(t0)
                out.append(
                    Event(type=kind, start_s=round(t0, 2), severity=float(rng.uniform(0.4, 1.0)))
                )
    return out


def _window(t: np.ndarray, e: Event, ramp: float = 0.3) -> np.ndarray:
    """0 → 1 → 0 over the event, with linear ramps of ``ramp`` seconds."""
    x = np.minimum((t - e.start_s) / ramp, (e.start_s + e.length - t) / ramp)
    return np.clip(x, 0, 1)


def _event_drivers(
    events: list[Event], t: np.ndarray, base: np.ndarray, p: LineParams
) -> tuple[np.ndarray, ...]:
    n = len(t)
    torque, ring, impulse, sparks = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    state = base.copy()
    for e in events:
        w = _window(t, e)
        span = (t >= e.start_s) & (t < e.start_s + e.length)
        if e.type is EventType.OVERLOAD:
            torque += (0.4 + 0.4 * e.severity) * w
            state[span] = STATES.index(State.OVERLOAD)
        elif e.type is EventType.JAM:
            torque += (1.4 + 1.0 * e.severity) * _window(t, e, 0.15)
            ring += 30 * e.severity * span
            state[span] = STATES.index(State.JAM)
        elif e.type is EventType.DECOY:
            torque += 0.2 * e.severity * w
            ring += 3 * e.severity * span
        elif e.type in (EventType.GAS_CYLINDER, EventType.DOOR_SLAM):
            impulse += 300 * e.severity * ((t >= e.start_s) & (t < e.start_s + 0.05))
        elif e.type is EventType.BATTERY:
            sparks += 40 * e.severity * span
    return torque, ring, impulse, sparks, state


def _ar1(rng: np.random.Generator, n: int, tau: float, sd: float) -> np.ndarray:
    phi = math.exp(-DT / tau)
    return np.asarray(lfilter([sd * math.sqrt(1 - phi**2)], [1, -phi], rng.normal(0, 1, n)))


def _rotor(on: np.ndarray, t_load: np.ndarray, p: LineParams) -> np.ndarray:
    """Rotor speed (rad/s), exact per step within each on/off segment."""
    ws = p.sync_rpm * math.pi / 30
    a = p.rated_torque / ((p.sync_rpm - p.rated_rpm) * math.pi / 30)
    phi_on = math.exp(-a * DT / p.inertia)
    phi_off = math.exp(-DT / 400.0)  # coasting: friction and windage, ~7 min time constant
    omega = np.empty(len(on))
    w0 = 0.0
    edges = [0, *(np.flatnonzero(np.diff(on)) + 1).tolist(), len(on)]
    for s, e in zip(edges, edges[1:], strict=False):
        if on[s]:
            drive = (1 - phi_on) * (ws - t_load[s:e] / a)
            y, _ = lfilter([1.0], [1.0, -phi_on], drive, zi=[phi_on * w0])
        else:
            y = w0 * phi_off ** np.arange(1, e - s + 1)
        omega[s:e] = np.maximum(y, 0)
        w0 = float(omega[e - 1])
    return omega


def _gas_release(events: list[Event], t: np.ndarray) -> np.ndarray:
    """True %LEL at the shredder hood from each gas event."""
    c = np.full(len(t), 0.5)
    for e in events:
        dt = t - e.start_s
        if e.type is EventType.GAS_CYLINDER:
            peak, rise, decay, lag = 15 + 45 * e.severity, 0.5, 15.0, 0.0
        elif e.type is EventType.FUEL_TANK:
            peak, rise, decay, lag = 12 + 20 * e.severity, e.length / 2, 20.0, 0.0
        elif e.type is EventType.BATTERY:
            peak, rise, decay, lag = 10 + 15 * e.severity, e.length / 2, 20.0, 3.0
        else:
            continue
        # rises while the release lasts, then decays (ventilation)
        x = np.clip(dt - lag, 0, None)
        during = 1 - np.exp(-np.minimum(x, e.length) / rise)
        after = np.exp(-np.clip(x - e.length, 0, None) / decay)
        c += peak * during * after * (dt >= lag)
    return c


def _gas_sensor(true: np.ndarray, p: LineParams) -> np.ndarray:
    d = int(round(p.gas_delay / DT))
    delayed = np.concatenate([np.full(d, true[0]), true[: len(true) - d]]) if d else true
    phi = math.exp(-DT / p.gas_tau)
    return np.asarray(lfilter([1 - phi], [1, -phi], delayed, zi=[phi * true[0]])[0])


def _acoustics(
    rng: np.random.Generator,
    omega: np.ndarray,
    p: LineParams,
    load: np.ndarray,
    impacts: np.ndarray,
    ring: np.ndarray,
    impulse: np.ndarray,
    on: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    n = len(omega)
    speed = (omega / (p.rated_rpm * math.pi / 30)) ** 2
    low = 1e-3 + on * speed * (0.2 + load) + 0.5 * impacts + impulse
    mid = 1e-3 + on * speed * 0.3 * (0.1 + load) + 3 * impacts + impulse
    high = 1e-3 + on * speed * 0.02 * (0.1 + load) + 0.5 * impacts + 0.02 * ring + impulse
    bands = np.column_stack([low, mid, high])
    # the spread of a band-power estimate from a 10 ms frame (chi-square, a few bins)
    bands = bands * rng.gamma(8.0, 1 / 8.0, (n, 3))
    crest = 3.2 + rng.gamma(4.0, 0.1, n) + 8 * np.minimum(impulse / 100, 1) + 2 * impacts
    return bands, crest


def _truth(e: Event, t: np.ndarray, lel_sensor: np.ndarray) -> TruthEvent:
    """The event's truth window: from the physical onset to its end, and for releases of
    gas (cylinders, fuel tanks, a battery's VOC) until the lagged sensor has fallen back
    below half the warn level, so an alarm on that gas belongs to its event."""
    onset, end = e.start_s, e.start_s + e.length
    observable = onset
    if e.type in (EventType.GAS_CYLINDER, EventType.FUEL_TANK, EventType.BATTERY):
        warn = ref("rules", "lel_warn_pct")
        after = np.flatnonzero((t >= onset) & (lel_sensor >= warn))
        if len(after):
            crossed = float(t[after[0]])
            if e.type is not EventType.BATTERY:  # a battery shows itself at once (sparks)
                observable = crossed
            below = np.flatnonzero((t > crossed) & (lel_sensor < 0.5 * warn))
            end = max(end, float(t[below[0]]) if len(below) else float(t[-1]))
    return TruthEvent(e.type.value, onset, end, observable, e.severity)


def _apply_faults(
    sc: Scenario, sig: dict[str, np.ndarray], p: LineParams, rng: np.random.Generator
) -> list[tuple[str, str, float, float]]:
    out: list[tuple[str, str, float, float]] = []
    for f in sc.faults:
        x = sig[f.channel]
        a, b = int(f.start_s / DT), min(len(x), int((f.start_s + f.duration_s) / DT))
        if a >= b:
            continue
        spread = SPREAD[f.channel] * (p.rated_current if f.channel == "current" else 1.0)
        if f.kind == "drift":
            x[a:b] += f.size * spread * np.linspace(0, 1, b - a)
        elif f.kind == "dropout":
            x[a:b] = np.nan
        elif f.kind == "stuck":
            held = x[a] if not np.isnan(x[a]) else np.nanmean(x[max(0, a - 200) : a + 1])
            x[a:b] = np.where(np.isnan(x[a:b]), np.nan, held) if f.channel == "lel" else held
        else:
            x[a:b] += rng.normal(0, 3 * f.size * spread, b - a)
        if f.channel in ("rpm", "current", "sparks", "lel"):
            np.maximum(x, 0, out=x, where=~np.isnan(x))
        out.append((f.channel, f.kind, f.start_s, f.start_s + f.duration_s))
    return out


def synthesize_audio(
    rec: Recording, start: int = 0, frames: int | None = None, *, seed: int = 0
) -> np.ndarray:
    """16 kHz audio (float32, full scale ±1) whose 10 ms frames carry the recording's band
    powers: complex Gaussian spectra per band (≤500 Hz, 500–2000 Hz, 2–8 kHz), then the
    inverse FFT. :func:`junkan.sensing.features.acoustic_features` recovers the bands."""
    if rec.band_power is None:
        raise ValueError("this recording has no band powers (generated recordings do)")
    bp = rec.band_power[start : None if frames is None else start + frames]
    rng = np.random.default_rng(seed)
    nb = 81  # rfft bins of a 160-sample frame, 100 Hz apart
    which = np.zeros(nb, dtype=int)
    which[5:20], which[20:] = 1, 2
    counts = np.bincount(which[1:80], minlength=3)
    amp = np.sqrt(bp[:, which] / counts[which] / 2)
    amp[:, [0, 80]] = 0  # no DC, no Nyquist bin
    spec = amp * (rng.normal(size=amp.shape) + 1j * rng.normal(size=amp.shape))
    audio = np.fft.irfft(spec, n=160, axis=1) * 160 / 40
    return np.asarray(audio.reshape(-1), dtype=np.float32)


def summary(rec: Recording) -> dict[str, Any]:
    return {
        "line": rec.line,
        "duration_s": rec.duration,
        "events": [e.__dict__ for e in rec.events],
        "faults": [
            dict(zip(("channel", "kind", "start_s", "end_s"), f, strict=True)) for f in rec.faults
        ],
    }
