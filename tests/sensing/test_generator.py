"""The physics-based generator: hand-checkable steady states, sensor lag, events, faults."""

from __future__ import annotations

import math

import numpy as np

from junkan.sensing import Scenario, acoustic_features, generate, synthesize_audio
from junkan.sensing.generator import DT
from junkan.sensing.scenario import STATES, State


def _sc(**kw: object) -> Scenario:
    return Scenario.model_validate({"duration_s": 120, "seed": 3, **kw})


def test_rotor_sags_by_load_over_slope() -> None:
    # no-load idle then normal at 0.55 load: the linear slip region gives a sag of
    # (T_load / T_rated) · (n_sync − n_rated) = (0.55 + 0.03) · 15 rpm ≈ 8.7 rpm
    rec = generate(
        _sc(schedule=[{"at_s": 0, "state": "idle"}, {"at_s": 30, "state": "normal", "load": 0.55}])
    )
    p = rec.params
    assert p is not None
    idle = np.median(rec.signals["rpm"][2000:2900])
    run = np.median(rec.signals["rpm"][6000:11000])
    assert abs(idle - (p.sync_rpm - 0.03 * 15)) < 1.0
    assert abs((idle - run) - 0.55 * 15) < 1.5
    # current: I0 + (1 − I0)·T/T_r of rated, ≈ 0.3 + 0.7·0.58 = 0.706 of rated
    cur = np.median(rec.signals["current"][6000:11000]) / p.rated_current
    assert abs(cur - 0.706) < 0.03


def test_gas_sensor_lag_is_its_t90() -> None:
    rec = generate(
        _sc(
            line={"gas_t90_s": 20, "gas_delay_s": 2},
            events=[{"type": "fuel_tank", "start_s": 30, "severity": 1.0, "duration_s": 60}],
        )
    )
    ev = rec.events[0]
    # the noise-free sensor crosses 10 %LEL later than the release starts: delay + lag
    assert ev.observable_s > ev.onset_s + 2
    lel = rec.signals["lel"]
    assert np.isnan(lel[1:100]).all() and not np.isnan(lel[::100]).any()  # 1 Hz samples
    assert math.isclose(rec.params.gas_tau * math.log(10), 20)  # type: ignore[union-attr]


def test_events_set_the_true_state_and_are_reproducible() -> None:
    sc = _sc(
        events=[
            {"type": "jam", "start_s": 60, "duration_s": 3},
            {"type": "overload", "start_s": 90, "duration_s": 5},
        ]
    )
    a, b = generate(sc), generate(sc)
    assert np.array_equal(a.signals["current"], b.signals["current"])
    assert a.state[int(61 / DT)] == STATES.index(State.JAM)
    assert a.state[int(92 / DT)] == STATES.index(State.OVERLOAD)
    assert a.state[int(50 / DT)] == STATES.index(State.NORMAL)
    jam_rpm = a.signals["rpm"][int(61.5 / DT) : int(62.5 / DT)].mean()
    assert jam_rpm < a.signals["rpm"][int(50 / DT) : int(55 / DT)].mean() - 15


def test_faults_change_only_their_channel_and_window() -> None:
    sc = _sc(
        faults=[
            {"channel": "current", "kind": "stuck", "start_s": 40, "duration_s": 10},
            {"channel": "rpm", "kind": "dropout", "start_s": 70, "duration_s": 5},
        ]
    )
    rec = generate(sc)
    stuck = rec.signals["current"][int(40 / DT) : int(50 / DT)]
    assert np.ptp(stuck) == 0 and np.ptp(rec.signals["current"][int(51 / DT) :]) > 0
    assert np.isnan(rec.signals["rpm"][int(70 / DT) : int(75 / DT)]).all()
    assert not np.isnan(rec.signals["rpm"][: int(70 / DT)]).any()


def test_audio_synthesis_and_features_agree() -> None:
    rec = generate(_sc())
    audio = synthesize_audio(rec, 5000, 2000)
    assert audio.dtype == np.float32 and len(audio) == 2000 * 160
    feats = acoustic_features(audio)
    for band in ("ac_low", "ac_mid", "ac_high"):
        diff = feats[band] - rec.signals[band][5000:7000]
        assert abs(np.mean(diff)) < 1.5  # same band powers, independent estimation noise
