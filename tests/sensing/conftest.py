"""Sensing fixtures: small trained models (one 10-minute tuning scenario) and the MQTT broker
(JUNKAN_TEST_MQTT_URL; required when CI=true, as .ci/services.sh starts mosquitto)."""

from __future__ import annotations

import os

import pytest

from junkan import sensing


@pytest.fixture(scope="session")
def models() -> sensing.Models:
    return sensing.train((0,), 600.0)


@pytest.fixture
def mqtt_url() -> str:
    url = os.environ.get("JUNKAN_TEST_MQTT_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "CI must run the MQTT tests on a real broker: set JUNKAN_TEST_MQTT_URL "
                "(.ci/services.sh starts mosquitto)"
            )
        pytest.skip(
            'JUNKAN_TEST_MQTT_URL not set (eval "$(bash .ci/services.sh)" starts mosquitto)'
        )
    return url
