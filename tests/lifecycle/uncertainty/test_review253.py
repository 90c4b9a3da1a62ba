"""Review 253 (hostile CLI): a calibrated collection rate whose range reached 0 ended the fit
in "internal error: mass balance off by 1.98e-09" (round-off of the multilinear form judged
against a floor of 1 kg), and an attainable share came out as -2.3e-18 … 0.1791."""

from __future__ import annotations

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


def test_the_balance_check_tells_an_imbalance_from_round_off() -> None:
    """At a collection rate of 0 nothing reaches the shredder. 2e-9 kg leaving it (what the
    multilinear form left there, one unit in the last place of the year's 2.1e7 kg) is
    round-off, which the 1 kg floor alone called an imbalance; a gram leaving it is a loss
    (review 255: the check's earlier form could not fail)."""
    magnet = lifecycle.load(EXAMPLES / "compressor_magnet.yaml")
    raw = lifecycle.run(magnet, overrides={"products.room_ac.eol.collection.rate": 0.0}).raw
    out = raw.compiled.edges.index(("Shredding and sorting", "Secondary-material market"))
    assert engine.node_balances(raw)["Shredding and sorting"][1].max() == 0.0
    assert engine.mass_balance_error(raw) <= engine.BALANCE_TOLERANCE
    raw.edges[28, out] = 2e-9
    assert engine.mass_balance_error(raw) <= engine.BALANCE_TOLERANCE
    raw.edges[28, out] = 1e-3
    assert engine.mass_balance_error(raw) > engine.BALANCE_TOLERANCE
