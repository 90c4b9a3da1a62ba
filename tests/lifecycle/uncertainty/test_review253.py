"""Review 253 (hostile CLI): a calibrated collection rate whose range reached 0 ended the fit
in "internal error: mass balance off by 1.98e-09" (round-off of the multilinear form judged
against a floor of 1 kg), and an attainable share came out as -2.3e-18 … 0.1791."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from junkan import lifecycle
from junkan.lifecycle import engine, uncertainty
from tests.conftest import EXAMPLES


def _section(parameter: str, scenario: str, value: float) -> uncertainty.UncertaintySection:
    return uncertainty.UncertaintySection.model_validate(yaml.safe_load(f"""
parameters:
  - {{parameter: "{parameter}", distribution: uniform, min: 0, max: 1, source: x,
     calibrate: true}}
observations:
  - {{headline: recycled_rare_earth_share, scenario: {scenario}, value: {value}, source: s}}
"""))


@pytest.fixture(scope="module")
def magnet() -> lifecycle.ModelFile:
    return lifecycle.load(EXAMPLES / "compressor_magnet.yaml")


def test_a_rate_whose_range_reaches_0_is_fitted(magnet: lifecycle.ModelFile) -> None:
    fit = uncertainty.calibrate(magnet, section=_section(
        "products.room_ac.eol.collection.rate", "B", 0.45)).to_json()
    obs = fit["observations"][0]
    assert obs["fitted"] == pytest.approx(0.45, rel=1e-6), obs
    assert obs["attainable"][0] < 0.45 < obs["attainable"][1]


def test_an_attainable_share_is_not_below_0(magnet: lifecycle.ModelFile) -> None:
    fit = uncertainty.calibrate(magnet, section=_section(
        "products.room_ac.maintenance[0].collection.rate", "A", 0.15)).to_json()
    lo, hi = fit["observations"][0]["attainable"]
    assert lo == 0.0 and hi == pytest.approx(0.1791, abs=1e-4), (lo, hi)


def test_the_balance_check_tells_an_imbalance_from_round_off(tmp_path: Path) -> None:
    """The floor of round-off (1e-6 of the year's largest flow) hides no imbalance of a real
    node: a millionth of a kilogram taken from a flow of the model is still found."""
    raw = lifecycle.run(lifecycle.load(EXAMPLES / "compressor_magnet.yaml")).raw
    assert engine.mass_balance_error(raw) <= engine.BALANCE_TOLERANCE
    year = int(np.argmax(np.abs(raw.edges).max(axis=-1)))
    i = int(np.argmax(raw.edges[year]))
    largest = raw.edges[year, i]
    raw.edges[year, i] += largest * 1e-17  # a unit in the last place: round-off
    assert engine.mass_balance_error(raw) <= engine.BALANCE_TOLERANCE
    small = int(np.argmin(np.where(raw.edges[year] > 1.0, raw.edges[year], np.inf)))
    raw.edges[year, small] *= 1 + 1e-6  # a real loss at a small flow
    assert engine.mass_balance_error(raw) > engine.BALANCE_TOLERANCE
