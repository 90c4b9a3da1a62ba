"""The model cache: trained models come back from disk bit-identical in behaviour; an entry
is trained once and then read (by another process too: a fresh cache object on the same
directory); a corrupt, foreign-key or tampered entry is ignored with a warning naming the file,
trained again and rewritten; the key follows the training data and settings."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from junkan import sensing
from junkan.sensing import modelcache
from junkan.sensing.modelcache import ModelCache, cache_key

JAM = {"duration_s": 30, "seed": 77, "events": [{"type": "jam", "start_s": 20, "severity": 0.9}]}


def _run(models: sensing.Models, rec: Any) -> tuple[list[dict[str, float]], list[float]]:
    mon = sensing.monitor_recording(models, rec)
    return list(mon.trace), [a.start for a in mon.alarms]


@pytest.mark.slow
def test_saved_models_score_exactly_as_trained(models: sensing.Models, tmp_path: Path) -> None:
    cache = ModelCache(tmp_path)
    cache.save("a" * 64, models)
    back = cache.load("a" * 64)
    assert back is not None and back.version == models.version
    assert json.dumps(back.params(), default=float) == json.dumps(models.params(), default=float)
    rec = sensing.generate(sensing.Scenario.model_validate(JAM))
    trace, alarms = _run(models, rec)
    trace2, alarms2 = _run(back, rec)
    assert alarms and alarms == alarms2
    assert trace == trace2  # every score of every step, to the last bit


def test_trained_once_then_read_and_bad_entries_retrained(
    models: sensing.Models,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    trainings: list[int] = []

    def fake_train(recs: list[Any], **kw: Any) -> sensing.Models:  # training itself: 14 s
        trainings.append(len(recs))
        return models

    monkeypatch.setattr(modelcache, "train_models", fake_train)
    recs = [sensing.generate(sensing.Scenario.model_validate(JAM))]
    first = ModelCache(tmp_path).trained(recs)
    again = ModelCache(tmp_path).trained(recs)  # another process, the same directory
    assert trainings == [1] and first is models and again is not models
    key = cache_key(recs, margin=1.25, seed=0)
    path = tmp_path / f"{key}.npz"
    assert [p.name for p in tmp_path.glob("*.npz")] == [path.name]
    # other settings or other data: another key
    assert cache_key(recs, margin=1.3, seed=0) != key
    other = [sensing.generate(sensing.Scenario.model_validate({**JAM, "seed": 78}))]
    assert cache_key(other, margin=1.25, seed=0) != key

    good = path.read_bytes()
    caplog.set_level(logging.WARNING, logger="junkan.sensing.modelcache")
    path.write_bytes(good[: len(good) // 2])  # a torn or corrupt file
    ModelCache(tmp_path).trained(recs)
    assert trainings == [1, 1] and str(path) in caplog.text
    assert ModelCache(tmp_path).load(key) is not None  # rewritten whole

    # an entry written for another key (copied, or another code version's): not trusted
    (tmp_path / f"{'b' * 64}.npz").write_bytes(path.read_bytes())
    assert ModelCache(tmp_path).load("b" * 64) is None
    assert "key" in caplog.records[-1].getMessage()

    # a tampered array (the shape this code's detectors do not have): not trusted
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    data["battm.mu"] = data["battm.mu"][:, :2]
    np.savez(path, **data)
    caplog.clear()
    assert ModelCache(tmp_path).load(key) is None
    assert "battm.mu: shape" in caplog.text
