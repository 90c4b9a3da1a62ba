"""Features: acoustic band energies from 16 kHz audio, and the 10 Hz decision vector the
detectors read (one per 100 ms batch of ten 10 ms frames)."""

from __future__ import annotations

import warnings

import numpy as np

from junkan.sensing.generator import DT, LineParams

SAMPLE_RATE = 16_000
"""Audio sample rate (Hz); MIMII records at 16 kHz."""
HOP = SAMPLE_RATE // 100
"""Audio samples per 10 ms frame (160)."""
BATCH = 10
"""Frames per decision step: the detectors run at 10 Hz on 100 ms of 100 Hz features."""

FEATURES: tuple[str, ...] = (
    "current",
    "current_max",
    "droop",
    "ac_low",
    "ac_mid",
    "ac_high",
    "ac_high_max",
    "ac_flux",
    "ac_crest",
    "lel",
    "sparks",
    "load",
    "running",
)
"""The decision vector: mean and peak motor current (share of rated), rpm droop below the
synchronous speed (share), band energies (dB, mean; high band also peak), spectral flux (dB
per frame, positive changes), peak crest factor, the last gas reading (%LEL) and the sparks
counted in the batch, the estimated load torque (share of rated; :class:`FeatureState`) and
whether the line runs (feed on, rotor up to speed: 1 or 0)."""

SLOPE_FRAMES = 20
"""Frames (200 ms) of rpm over which the rotor's deceleration is fitted (least squares)."""


def acoustic_features(audio: np.ndarray) -> dict[str, np.ndarray]:
    """Band energies (dB) and crest factor per 10 ms frame of 16 kHz audio (rectangular
    160-sample frames, 100 Hz FFT bins: ≤500 Hz, 500–2000 Hz, 2–8 kHz)."""
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim != 1 or not np.isfinite(x).all():
        raise ValueError("audio: give one channel of finite samples")
    n = len(x) // HOP
    frames = x[: n * HOP].reshape(n, HOP)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2 / 16.0
    bands = np.column_stack([power[:, 1:5].sum(1), power[:, 5:20].sum(1), power[:, 20:80].sum(1)])
    rms = np.sqrt((frames**2).mean(1)) + 1e-12
    db = 10 * np.log10(bands + 1e-12)
    return {
        "ac_low": db[:, 0],
        "ac_mid": db[:, 1],
        "ac_high": db[:, 2],
        "ac_crest": np.abs(frames).max(1) / rms,
    }


class FeatureState:
    """Turns batches of 100 Hz frames into decision vectors; keeps what crosses batches (the
    last gas reading, the last band energies for the flux, the last good values)."""

    def __init__(self, params: LineParams) -> None:
        self.p = params
        self.lel = 0.0
        self.prev_bands = np.full(3, np.nan)
        self.last = np.zeros(len(FEATURES))
        self.running = False
        self.prev_rpm = np.full(SLOPE_FRAMES - BATCH, np.nan)

    def load_torque(self, current: np.ndarray, rpm: np.ndarray) -> float:
        """Load torque (share of rated) by the rotor's equation of motion, a disturbance
        observer: ``T_load = T_motor − J·dω/dt``. The motor torque follows from the current
        (``I = I₀ + (I_r − I₀)·T_m/T_r``, the last 50 ms); ``dω/dt`` is the least-squares
        slope of the last 200 ms of rpm. The flywheel delays the current's response to a load
        step by ``J/a`` (≈ 0.3 s); the deceleration term shows the step at once."""
        p = self.p
        w = np.concatenate([self.prev_rpm, rpm])[-SLOPE_FRAMES:] * (np.pi / 30)
        self.prev_rpm = w[-(SLOPE_FRAMES - BATCH) :] * (30 / np.pi)
        tt = np.arange(len(w)) * DT
        ok = np.isfinite(w)
        cur = current[-5:]
        cur = cur[np.isfinite(cur)]
        if ok.sum() < BATCH or not len(cur):
            return float("nan")  # held from the last batch by the caller
        tt, w = tt[ok] - tt[ok].mean(), w[ok]
        slope = float((tt * (w - w.mean())).sum() / (tt**2).sum())
        t_m = (float(cur.mean()) / p.rated_current - p.no_load) / (1 - p.no_load)
        return t_m - p.inertia * slope / p.rated_torque

    def vector(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        """The decision vector of one batch (missing values held from the last batch)."""
        p = self.p
        rows = np.vstack(
            [
                batch["current"] / p.rated_current,
                1 - batch["rpm"] / p.sync_rpm,
                batch["ac_low"],
                batch["ac_mid"],
                batch["ac_high"],
            ]
        )
        lel = batch["lel"]
        lel = lel[~np.isnan(lel)]
        if len(lel):
            self.lel = float(lel[-1])
        gaps = bool(np.isnan(rows).any())
        bands = rows[2:].T
        diff = np.diff(np.vstack([self.prev_bands[None, :], bands]), axis=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(rows, axis=1) if gaps else rows.mean(1)
            peak = np.nanmax(rows, axis=1) if gaps else rows.max(1)
            flux = float(np.nanmean(np.nansum(np.clip(diff, 0, None), axis=1)))
            crest = (
                float(np.nanmax(batch["ac_crest"]))
                if not np.isnan(batch["ac_crest"]).all()
                else np.nan
            )
            sparks = float(np.nansum(batch["sparks"]))
        if not np.isnan(bands[-1]).any():
            self.prev_bands = bands[-1]
        v = np.array(
            [
                mean[0],
                peak[0],
                mean[1],
                mean[2],
                mean[3],
                mean[4],
                peak[4],
                flux,
                crest,
                self.lel,
                sparks,
                self.load_torque(batch["current"], batch["rpm"]),
                0.0,
            ]
        )
        bad = ~np.isfinite(v)
        v[bad] = self.last[bad]
        feed = batch.get("feed")
        known = feed is not None and not np.isnan(feed).all()
        fed = not known or bool(np.nanmax(feed) > 0.5)  # type: ignore[arg-type]
        self.running = fed and bool(v[2] < 0.2)  # feeding, rotor up to speed
        v[-1] = float(self.running)
        self.last = v
        return v


def decision_matrix(
    signals: dict[str, np.ndarray], params: LineParams
) -> tuple[np.ndarray, np.ndarray]:
    """Decision vectors for a whole recording (rows at 10 Hz), as the monitor computes them,
    and whether the line was running (feeding, rotor up to speed) at each."""
    fs = FeatureState(params)
    n = len(next(iter(signals.values()))) // BATCH
    out = np.empty((n, len(FEATURES)))
    running = np.zeros(n, dtype=bool)
    for i in range(n):
        s = slice(i * BATCH, (i + 1) * BATCH)
        out[i] = fs.vector({k: v[s] for k, v in signals.items()})
        running[i] = fs.running
    return out, running


STEP = DT * BATCH
"""Seconds per decision step (0.1)."""
