"""Detectors behind one interface, and the monitor's operator loop."""

from __future__ import annotations

import numpy as np
import pytest

from junkan import sensing
from junkan.sensing.battm import BAttM
from junkan.sensing.detectors import IX, Latch, Rules
from junkan.sensing.features import FEATURES
from junkan.sensing.reservoir import Reservoir

EXAMPLE = "examples/sensing/jam_and_gas.yaml"


def test_latch_debounces_and_holds() -> None:
    latch = Latch(10, 8, on_steps=2, off_steps=2)
    assert [latch(v) for v in (11, 5, 11, 11, 9, 7, 9, 7, 7)] == [
        False,
        False,
        False,
        True,
        True,
        True,
        True,
        True,
        False,
    ]


def _x(**kw: float) -> np.ndarray:
    x = np.zeros(len(FEATURES))
    x[IX["running"]] = 1
    for k, v in kw.items():
        x[IX[k]] = v
    return x


def test_rules_lel_levels_and_current_only_while_running() -> None:
    r = Rules()
    assert r.update(0, _x(lel=9.9))["lel_warn"] == 0
    out = r.update(0.1, _x(lel=10.0))
    assert out["lel_warn"] == 1 and out["lel_stop"] == 0 and out["score"] >= 1
    assert r.update(0.2, _x(lel=20.0))["lel_stop"] == 1
    r.reset()
    x = _x(current=1.2)
    x[IX["running"]] = 0  # a start-up: the current rule does not apply
    assert r.update(0, x)["current"] == 0 and r.update(0.1, x)["current"] == 0
    outs = [r.update(0.2 + i / 10, _x(current=1.2))["current"] for i in range(7)]
    assert outs == [0] * 6 + [1]  # held the manual's 0.7 s


def test_load_rule_fires_on_the_two_step_mean() -> None:
    r = Rules()
    r.set_load_limit(1.0, {"rice_level": 0.98})
    assert r.update(0, _x(load=0.6))["load"] == 0
    assert r.update(0.1, _x(load=1.3))["load"] == 0  # mean 0.95
    out = r.update(0.2, _x(load=1.3))
    assert out["load"] == 1 and out["load_value"] == pytest.approx(1.3)
    assert r.params()["load_calibration"] == {"rice_level": 0.98}
    x = _x(load=2.0)
    x[IX["running"]] = 0
    r.reset()
    assert r.update(0, x)["load"] == 0 and r.update(0.1, x)["load"] == 0


def test_rice_level_gives_the_asked_upcrossing_rate() -> None:
    from scipy.signal import lfilter

    from junkan.sensing.detectors import rice_level

    rng = np.random.default_rng(5)
    x = lfilter([1.0], [1.0, -0.7], rng.normal(0, 1, 400_000))
    level, fit = rice_level([x[:200_000], x[200_000:]], 1e-3)
    ups = int(np.sum((x[:-1] < level) & (x[1:] >= level)))
    assert 0.5 < ups / 400 < 2.0, (ups, fit)  # expected 400
    assert level > fit["mean"] + 2 * fit["sd"]


def test_load_observer_sees_a_load_step_before_the_current() -> None:
    sc = sensing.Scenario(
        name="step",
        seed=31,
        duration_s=80,
        events=[{"type": "overload", "start_s": 60, "duration_s": 10, "severity": 1.0}],
    )
    rec = sensing.generate(sc)
    from junkan.sensing.features import decision_matrix

    X, _ = decision_matrix(rec.signals, rec.params)  # type: ignore[arg-type]
    t = (np.arange(len(X)) + 1) * 0.1
    before = X[(t > 40) & (t < 59), IX["load"]]
    assert abs(before.mean() - 0.58) < 0.1  # feed load 0.55 + 0.03 friction
    ld = X[(t > 60) & (t < 60.6), IX["load"]]
    cur = (X[(t > 60) & (t < 60.6), IX["current"]] - 0.3) / 0.7  # motor torque from current
    assert ld.mean() > cur.mean() + 0.1  # the observer leads the flywheel-lagged current
    assert abs(X[(t > 63) & (t < 69), IX["load"]].mean() - 1.38) < 0.15


def test_battery_truth_window_covers_its_gas() -> None:
    sc = sensing.Scenario(
        name="battery",
        seed=32,
        duration_s=150,
        events=[{"type": "battery", "start_s": 40, "severity": 1.0}],
    )
    rec = sensing.generate(sc)
    (ev,) = rec.events
    lel = rec.signals["lel"]
    high = rec.t[np.nan_to_num(lel) >= 10]
    assert len(high) and ev.onset_s == ev.observable_s == 40
    assert ev.end_s >= high.max()  # the VOC the battery gives off belongs to it


def test_battm_attractors_are_class_means_and_confidence_switches() -> None:
    rng = np.random.default_rng(0)
    a, b = np.zeros(len(FEATURES)), np.zeros(len(FEATURES))
    b[0], b[3] = 1.0, 5.0
    X = np.vstack(
        [
            a + rng.normal(0, 0.05, (200, len(FEATURES))),
            b + rng.normal(0, 0.05, (200, len(FEATURES))),
        ]
    )
    lab = np.repeat([2, 3], 200)  # normal, overload
    m = BAttM(("off", "idle", "normal", "overload", "jam")).fit(X, lab)
    assert np.allclose(m.mu[:, 2] * m.scale + m.center, X[:200].mean(0), atol=1e-9)
    for i in range(20):
        out = m.update(i * 0.1, a)
    assert out["p_normal"] > 0.9
    steps = 0
    while m.update(0, b)["p_overload"] < 0.9:
        steps += 1
        assert steps < 10  # switches within a second at 10 Hz
    assert out["surprise"] < m.update(0, b + 40)["surprise"]


def test_reservoir_scores_a_new_pattern_higher() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(3000) * 0.1
    X = np.column_stack([np.sin(t + k) for k in range(len(FEATURES))])
    X += rng.normal(0, 0.05, X.shape)
    esn = Reservoir(n=80).fit(X[:2000])
    normal = [esn.update(0, x)["score"] for x in X[2000:2500]]
    odd = [esn.update(0, x)["score"] for x in X[2500:2510] * -3]
    assert np.median(odd) > 10 * np.median(normal[50:])


@pytest.mark.slow
def test_monitor_alarms_on_the_example_and_labels_make_versions(models: sensing.Models) -> None:
    res = sensing.run(sensing.load(EXAMPLE), models)
    starts = [a.start for a in res.monitor.alarms]
    for onset in (100, 160, 400):  # jam, overload, battery
        assert any(onset <= s <= onset + 1 for s in starts), (onset, starts)
    assert not any(219 <= s <= 226 or 249 <= s <= 253 for s in starts)  # decoys
    assert all(a.evidence for a in res.monitor.alarms)
    mon = res.monitor
    v = mon.label(mon.alarms[0].id, "confirmed", "jam")
    assert v == mon.models.version == mon.versions[-1]["version"]
    old = mon.models_at(mon.versions[0]["version"])
    assert not np.allclose(old.detectors["battm"].mu, mon.models.detectors["battm"].mu)
    with pytest.raises(ValueError, match="label"):
        mon.label(mon.alarms[0].id, "maybe")
    doc = res.to_json()
    assert doc["alarms"][0]["label"] == "confirmed" and "p_jam" in doc["series"]


def test_evaluation_refuses_tuning_seeds(models: sensing.Models) -> None:
    sc = sensing.Scenario(duration_s=60, seed=0)
    with pytest.raises(
        sensing.ModelError if hasattr(sensing, "ModelError") else Exception, match="tuning"
    ):
        sensing.evaluate([sc], models, tuning_seeds=(0,))
