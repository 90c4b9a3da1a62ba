"""The same code on a ``dask.distributed`` LocalCluster gives identical numbers (slow: it
starts a cluster)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from junkan import nature
from junkan.nature.assess import features, open_scenes, train_classifier


@pytest.mark.slow
def test_localcluster_gives_identical_numbers(sample: Path, result) -> None:  # type: ignore[no-untyped-def]
    distributed = pytest.importorskip("dask.distributed")
    a = nature.load(sample)
    a.spec.chunk = 64  # several chunks per area and per tile
    scenes = open_scenes(a)
    clf = train_classifier(a, scenes, features(a, scenes))
    assert clf is not None
    local_tile = nature.classify_tile(scenes[-1], clf)
    local_run = nature.run(a).to_json()
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        remote_tile = nature.classify_tile(scenes[-1], clf)
        remote_run = nature.run(a).to_json()
    assert remote_tile == local_tile
    assert json.dumps(remote_run["areas"]) == json.dumps(local_run["areas"])
    # chunking changes the order of the sums, not the numbers beyond rounding
    for mine, ref in zip(local_run["areas"], result.to_json()["areas"], strict=True):
        assert mine["scenes"][0]["NDVI"] == pytest.approx(ref["scenes"][0]["NDVI"], rel=1e-9)
