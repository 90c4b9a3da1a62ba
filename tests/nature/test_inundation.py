"""Surface water and flooding per pixel: Otsu's threshold against scikit-image's, the
near-optimal range, the fixed-threshold fallback, the sample's flooded extents against the
generated truth (per area and per pixel), and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from junkan import nature
from junkan.core.errors import JunkanError
from junkan.nature import inundation as inu
from junkan.nature import sample as smp
from tests.nature.conftest import SIZE

EDGES = np.linspace(-1.0, 1.0, inu.BINS + 1)
PX_KM2 = smp.PIXEL * smp.PIXEL / 1e6


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_otsu_equals_scikit_image(seed: int) -> None:
    filters = pytest.importorskip("skimage.filters")
    rng = np.random.default_rng(seed)
    n_w = int(rng.integers(200, 5_000))
    v = np.concatenate(
        [rng.normal(-0.4, 0.12, 20_000), rng.normal(rng.uniform(0.0, 0.6), 0.15, n_w)]
    )
    counts = np.histogram(np.clip(v, -1, 1), bins=inu.BINS, range=(-1, 1))[0]
    centres = (EDGES[:-1] + EDGES[1:]) / 2
    ref = filters.threshold_otsu(hist=(counts, centres))  # centre of the lower class's last bin
    got = inu.otsu(counts, EDGES)
    assert got["threshold"] == pytest.approx(ref + (EDGES[1] - EDGES[0]) / 2, abs=1e-12)
    lo, hi = got["range"]
    assert lo <= got["threshold"] <= hi
    assert 0 < got["separability"] <= 1


def test_two_spikes_hand_checked() -> None:
    counts = np.zeros(inu.BINS)
    counts[100] = 300  # values in [-0.5, -0.495)
    counts[300] = 100  # [0.5, 0.505)
    got = inu.otsu(counts, EDGES)
    # every cut between the spikes separates them perfectly: η = 1 over the whole gap
    assert got["separability"] == pytest.approx(1.0)
    assert got["threshold"] == pytest.approx(EDGES[101])
    assert got["range"] == pytest.approx([EDGES[101], EDGES[300]])
    assert got["valley"] == 0.0


def test_small_water_share_is_still_two_classes() -> None:
    """2 % open water: η is low, but the valley is clear, so Otsu's threshold is used."""
    rng = np.random.default_rng(5)
    v = np.concatenate([rng.normal(-0.45, 0.1, 49_000), rng.normal(0.45, 0.1, 1_000)])
    got = inu.otsu(np.histogram(v, bins=inu.BINS, range=(-1, 1))[0], EDGES)
    assert got["separability"] < 2 / np.pi and got["valley"] < 0.1
    assert -0.2 < got["threshold"] < 0.4


def test_unimodal_scene_falls_back_to_the_fixed_threshold(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n = 64
    green = rng.normal(0.08, 0.01, (n, n))
    swir = rng.normal(0.25, 0.01, (n, n))  # dry land only: MNDWI ≈ −0.5 everywhere
    dn = (np.stack([green, swir]) * 10_000).astype(np.uint16)
    tif = smp.write_tiff(tmp_path / "dry.tif", dn, bands=["B03", "B11"])
    r = nature.open_raster(tif)
    f = nature.Features(("B03", "B11"), ("MNDWI",), {"G": "B03", "S1": "B11"}, nodata=0)
    (th,) = inu.thresholds([r], f, "MNDWI", 0.0)
    # η of a normal distribution split at its mean is 2/π: η alone would accept it
    assert th["separability"] == pytest.approx(2 / np.pi, abs=0.03)
    assert th["method"] == "fixed" and th["valley"] >= inu.MAX_VALLEY
    assert th["threshold"] == 0.0 and th["range"] == [-inu.FIXED_HALF_WIDTH, inu.FIXED_HALF_WIDTH]


def test_flood_map_per_pixel(sample: Path, tmp_path: Path) -> None:
    import rasterio

    a = nature.load(sample)
    ref = nature.open_raster(a.path(a.spec.scenes[0].path, "s"))
    now = nature.open_raster(a.path(a.spec.scenes[1].path, "s"))
    f = nature.Features(("B03", "B11"), ("MNDWI",), dict(a.spec.bands), nodata=0)
    th = inu.thresholds([ref, now], f, "MNDWI", 0.0)
    out = inu.flood_map(
        ref, now, f, "MNDWI", th[0]["threshold"], th[1]["threshold"], tmp_path / "flood.tif"
    )
    with rasterio.open(out) as src:
        got = src.read(1)
        assert src.crs.to_string() == smp.CRS and src.nodata == 0
    maps = smp.class_maps(SIZE, 0)
    water = list(smp.signatures()["classes"]).index("water") + 1
    w0, w1 = maps[0] == water, maps[1] == water
    want = np.full(got.shape, inu.CODES["dry"])
    want[w0 & w1] = inu.CODES["permanent"]
    want[~w0 & w1] = inu.CODES["flooded"]
    want[w0 & ~w1] = inu.CODES["receded"]
    assert (want == inu.CODES["flooded"]).sum() > 20
    assert (got == want).mean() > 0.998
    assert ((got == inu.CODES["flooded"]) == (want == inu.CODES["flooded"])).mean() > 0.999


def test_bad_reference_scene(sample: Path) -> None:
    import yaml

    doc = yaml.safe_load(sample.read_text())
    doc["flood_reference"] = len(doc["scenes"])
    with pytest.raises(JunkanError, match="flood_reference: 6 but there are 6 scenes"):
        nature.load(doc=doc, base=sample.parent)
